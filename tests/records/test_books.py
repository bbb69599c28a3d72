"""records/books: the books' read services check the actor's read right before they read."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from records.books.correction import read_correction
from records.books.markbook import read_markbook
from records.books.owners import class_owner, student_owner, student_owners
from records.books.register import read_register
from records.books.transcript import read_transcript, read_transcripts
from records.books.year_books import only_school_code, year_books
from records.errors import NotFoundError, PermissionDeniedError, ValidationError
from records.models import Role
from records.permissions import Actor
from tests.factories import enrol, make_class, make_school, make_student, make_user, make_year


def _world(session: Session) -> dict:
    school = make_school(session)
    year = make_year(session, school, 2025)
    homeroom = make_user(session, school, [Role.HOMEROOM_TEACHER])
    other_homeroom = make_user(session, school, [Role.HOMEROOM_TEACHER])
    mine = make_class(session, year, 9, "9A1", homeroom=homeroom)
    theirs = make_class(session, year, 9, "9A2", homeroom=other_homeroom)
    a = make_student(session, school, course="2022-2026")
    b = make_student(session, school, course="2022-2026")
    enrol(session, a, mine)
    enrol(session, b, theirs)
    office = make_user(session, school, [Role.OFFICE])
    return {"school": school, "year": year, "mine": mine, "theirs": theirs, "a": a, "b": b,
            "homeroom": Actor.load(session, homeroom.id), "office": Actor.load(session, office.id),
            "outsider": Actor.load(session, make_user(session, make_school(session), [Role.OFFICE]).id)}


def test_the_mark_book_is_read_by_the_office_and_the_class_own_teacher_only(session: Session) -> None:
    w = _world(session)
    assert read_markbook(session, w["office"], w["mine"].id).class_name == "9A1"
    assert [s.no for s in read_markbook(session, w["homeroom"], w["mine"].id).students] == [1]
    with pytest.raises(PermissionDeniedError) as refused:
        read_markbook(session, w["homeroom"], w["theirs"].id)  # a draft of another teacher's class
    assert "xem hồ sơ" in refused.value.message_vi
    with pytest.raises(PermissionDeniedError):
        read_markbook(session, w["outsider"], w["mine"].id)  # the office of another school
    with pytest.raises(NotFoundError):
        read_markbook(session, w["office"], 10**9)
    assert read_markbook(session, Actor.system("dòng lệnh"), w["mine"].id).class_name == "9A1"


def test_transcripts_are_read_student_by_student_or_school_wide(session: Session) -> None:
    w = _world(session)
    a, b = w["a"].code, w["b"].code
    assert read_transcript(session, w["homeroom"], a).student_code == a
    with pytest.raises(PermissionDeniedError):
        read_transcript(session, w["homeroom"], b)
    both = read_transcripts(session, w["office"], [a, b, "KHONG-CO"])
    assert sorted(both) == sorted([a, b]) and both[a] == read_transcript(session, w["office"], a)
    assert list(read_transcripts(session, w["homeroom"], [a])) == [a]  # no school-wide right: checked per student
    with pytest.raises(PermissionDeniedError):
        read_transcripts(session, w["homeroom"], [a, b])  # one student of another class refuses the read
    with pytest.raises(PermissionDeniedError):
        read_transcripts(session, w["outsider"], [a])


def test_the_register_needs_a_right_over_the_whole_school(session: Session) -> None:
    w = _world(session)
    inp = read_register(session, w["office"], "2022-2026", school_code=w["school"].code)
    assert {line.student_code for line in inp.lines} == {w["a"].code, w["b"].code}
    with pytest.raises(PermissionDeniedError):
        read_register(session, w["homeroom"], "2022-2026", school_code=w["school"].code)


def test_correction_reads_are_checked_and_unknown_requests_named(session: Session) -> None:
    w = _world(session)
    with pytest.raises(NotFoundError) as missing:
        read_correction(session, w["office"], 10**9)
    assert "đơn đề nghị" in missing.value.message_vi


def test_owners_and_year_books(session: Session) -> None:
    w = _world(session)
    owner = class_owner(session, w["mine"].id)
    assert (owner.school_id, owner.school_year_id, owner.class_name, owner.start_year) == (
        w["school"].id, w["year"].id, "9A1", 2025)
    assert student_owner(session, w["a"].code, 2025).school_year_id == w["year"].id
    assert student_owner(session, w["a"].code, 2019).school_year_id is None
    assert set(student_owners(session, [w["a"].code, "KHONG-CO"])) == {w["a"].code}
    with pytest.raises(NotFoundError):
        student_owner(session, "KHONG-CO")
    books = year_books(session, w["school"].code, 2025)
    assert [n for _, n in books.classes] == ["9A1", "9A2"] and books.courses == ("2022-2026",)
    assert {code for code, _, _ in books.roll} == {w["a"].code, w["b"].code}
    with pytest.raises(NotFoundError):
        year_books(session, w["school"].code, 2019)
    with pytest.raises(ValidationError) as several:  # the world has two schools: the code must be given
        only_school_code(session)
    assert "--school" in several.value.message_vi
