"""Hostile input: parsers of marks, comment grades, base45 and QR payloads under arbitrary input, and
names that are Typst/HTML markup printed literally. ``bench/bench_fuzz.py`` runs the same properties on
many more inputs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from layouts.render import extract_page_texts
from records.services import students
from tests.reliability import hostile

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(hostile.mark_texts)
def test_mark_parser(value: object) -> None:
    hostile.check_mark(value)


@FUZZ
@given(hostile.comment_texts)
def test_comment_parser(value: object) -> None:
    hostile.check_comment(value)


@FUZZ
@given(hostile.base45_texts)
def test_base45_decoder(text: str) -> None:
    hostile.check_base45(text)


@FUZZ
@given(hostile.payload_texts)
def test_qr_payload_decoder(text: str) -> None:
    hostile.check_payload(text)


@FUZZ
@given(hostile.mutations)
def test_a_changed_payload_is_never_genuine(changes: list[tuple[int, int]]) -> None:
    hostile.check_mutation(changes)


def _squash(pdf: bytes) -> str:
    return " ".join(" ".join(extract_page_texts(pdf)).split())


@pytest.mark.slow
def test_markup_in_a_transcript_prints_literally() -> None:
    from layouts.transcript import build_transcript, render_transcript
    from tests.layouts.transcript_samples import sample_input

    m = hostile.MARKUP
    inp = sample_input(seed=3, years=1)
    identity = dataclasses.replace(inp.identity, full_name="Lò Thị " + m[0], father_name=m[1], mother_name=m[2],
                                   place_of_birth=m[3], current_address=m[4], father_occupation=m[5],
                                   mother_occupation=m[6] + " " + m[7] + " " + m[8])
    text = _squash(render_transcript(build_transcript(dataclasses.replace(inp, identity=identity), volume=False)))
    for value in ("Lò Thị " + m[0], *m[1:]):
        assert value in text


@pytest.mark.slow
def test_markup_in_a_mark_book_prints_literally() -> None:
    from layouts.markbook import render_markbook
    from tests.layouts.factories import make_markbook_input

    inp = make_markbook_input(n_students=len(hostile.MARKUP) + 1)
    students = list(inp.students)
    for i, value in enumerate(hostile.MARKUP):
        students[i] = dataclasses.replace(students[i], full_name="Lò " + value, address=value)
    text = _squash(render_markbook(dataclasses.replace(inp, students=tuple(students),
                                                       homeroom_teacher=hostile.MARKUP[2])))
    for value in hostile.MARKUP:
        assert "Lò " + value in text


def test_markup_in_a_code_is_displayed_literally_on_the_verification_page(tmp_path) -> None:
    from web.app import create_app

    client = create_app(f"sqlite:///{tmp_path / 'w.sqlite'}", TESTING=True).test_client()
    answer = client.post("/xac-thuc", data={"code": "<script>alert(1)</script>"})
    assert b"<script>alert(1)</script>" not in answer.data
    assert b"&lt;script&gt;" in answer.data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(text=hostile.comment_bodies)
def test_a_comment_is_stored_as_typed_or_refused_clearly(session, text: str) -> None:
    from records.errors import ValidationError
    from records.models import HomeroomComment, Period, Role
    from records.services import conduct
    from tests.records.factories_gov import IN_TERM1, make_world

    world = getattr(session, "_h16_world", None) or make_world(session)
    session._h16_world = world  # one school for all examples of this test
    homeroom = world.actor(session, Role.HOMEROOM_TEACHER)
    e = world.enrolments[0].id
    nested = session.begin_nested()
    try:
        conduct.save_homeroom_comments(session, homeroom, world.klass, Period.TERM1, {e: text}, today=IN_TERM1)
    except ValidationError as error:
        assert error.message_vi
    else:
        stored = session.scalar(select(HomeroomComment.text).where(HomeroomComment.enrolment_id == e))
        assert (stored or "") == " ".join(unicodedata.normalize("NFC", text).split())
    finally:
        nested.rollback()


@pytest.mark.parametrize("field", ["family_name", "given_name", "permanent_address"])
def test_a_control_character_in_a_student_field_is_refused_clearly(session, field: str) -> None:
    from records.errors import ValidationError
    from tests.records.school_setup import set_up_school

    school = set_up_school(session)
    row = {"code": "HS-NUL", "family_name": "Lò", "middle_name": "Thị", "given_name": "Ơn",
           "date_of_birth": dt.date(2012, 1, 1), "gender": "Nữ", field: "Bản\x00Pa"}
    with pytest.raises(ValidationError) as refused:
        students.add_students(session, school.actor(), school.school, [row])
    assert "U+0000" in refused.value.message_vi
