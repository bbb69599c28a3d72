"""records.services.limits: texts beyond what a printed book holds in one block are refused at entry,
with a Vietnamese message naming the field (the books never cut or shrink them)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from records.errors import ValidationError
from records.models import HomeroomComment, Period, Role, SubjectComment
from records.services import conduct, marks, students
from records.services.limits import HOMEROOM_COMMENT_MAX, SUBJECT_COMMENT_MAX
from tests.records.factories_gov import IN_TERM1, make_world
from tests.records.school_setup import set_up_school


def test_personal_data_longer_than_its_column_is_refused_by_name(session) -> None:
    built = set_up_school(session)
    with pytest.raises(ValidationError) as refused:
        students.add_student(session, built.actor(), built.school, code="Z1", family_name="Lò", given_name="An",
                             date_of_birth=dt.date(2011, 1, 1), gender="Nam", place_of_birth="x" * 201)
    assert "«Nơi sinh» dài 201 kí tự, quá mức tối đa 200 kí tự" in refused.value.message_vi
    pupil = students.add_student(session, built.actor(), built.school, code="Z2", family_name="Lò", given_name="An",
                                 date_of_birth=dt.date(2011, 1, 1), gender="Nam", place_of_birth="x" * 200)
    assert len(pupil.place_of_birth) == 200  # the maximum itself is kept whole


def test_comments_longer_than_a_printed_block_are_refused(session) -> None:
    world = make_world(session)
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    homeroom = world.actor(session, Role.HOMEROOM_TEACHER)
    e = world.enrolments[0].id
    longest = ("Tiến bộ rõ rệt. " * 100)[:SUBJECT_COMMENT_MAX]
    marks.save_comments(session, teacher, world.assignment1, Period.TERM1, {e: longest}, today=IN_TERM1)
    with pytest.raises(ValidationError) as refused:
        marks.save_comments(session, teacher, world.assignment1, Period.TERM1, {e: longest + " Cố gắng."}, today=IN_TERM1)
    assert "«Nhận xét môn học»" in refused.value.message_vi
    assert session.scalars(select(SubjectComment.text)).all() == [longest.strip()]
    with pytest.raises(ValidationError) as refused:
        conduct.save_homeroom_comments(session, homeroom, world.klass, Period.YEAR, {e: "Ngoan. " * (HOMEROOM_COMMENT_MAX // 6)})
    assert "«Nhận xét của giáo viên chủ nhiệm»" in refused.value.message_vi
    assert session.scalars(select(HomeroomComment)).all() == []
