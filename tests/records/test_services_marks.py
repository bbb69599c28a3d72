"""Marks, subject comments, attendance, conduct and homeroom comments through the services: checked and traced."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from records import audit
from records.errors import PermissionDeniedError, ValidationError
from records.models import (
    Attendance,
    AuditEntry,
    Conduct,
    HomeroomComment,
    Mark,
    MarkKind,
    Period,
    Role,
    SubjectComment,
)
from records.services import attendance, conduct, marks
from records.services.attendance import Absence
from records.services.context import on_date
from records.services.marks import MarkInput, SaveResult
from tests.records.factories_gov import IN_TERM1, IN_TERM2, make_world


def _teacher(session, world):
    return world.actor(session, Role.SUBJECT_TEACHER)


def test_save_marks_creates_updates_deletes_and_traces(session):
    world = make_world(session)
    a, b, c = (e.id for e in world.enrolments)
    teacher = _teacher(session, world)
    result = marks.save_marks(session, teacher, world.assignment1, [
        MarkInput(a, MarkKind.REGULAR, 1, "7.5"), MarkInput(b, MarkKind.REGULAR, 1, 8),
        MarkInput(c, MarkKind.REGULAR, 1, None)], today=IN_TERM1)
    assert result == SaveResult(created=2, unchanged=1)
    result = marks.save_marks(session, teacher, world.assignment1, [
        MarkInput(a, MarkKind.REGULAR, 1, "9"), MarkInput(b, MarkKind.REGULAR, 1, None),
        MarkInput(c, MarkKind.REGULAR, 1, "")], today=IN_TERM1)
    assert result == SaveResult(updated=1, deleted=1, unchanged=1)
    assert session.scalars(select(Mark.score)).all() == [Decimal("9.0")]
    trail = audit.entries(session, school_id=world.school.id, entity="mark")
    assert [e.action for e in trail] == ["create", "create", "update", "delete"]
    assert audit.state(trail[2].before)["value"] == "7.5" and audit.state(trail[2].after)["value"] == "9.0"
    assert all(e.actor_id == world.users[Role.SUBJECT_TEACHER].id for e in trail)
    assert audit.verify(session, world.school.id).ok


def test_record_mark_and_the_clock(session):
    world = make_world(session)
    teacher = _teacher(session, world)
    with on_date(IN_TERM2):
        mark = marks.record_mark(session, teacher, world.assignment2.id, world.enrolments[0].id, MarkKind.FINAL, 1,
                                 "6.5")
        assert mark is not None and mark.score == Decimal("6.5") and mark.entered_by_id == teacher.user_id
        with pytest.raises(PermissionDeniedError):
            marks.record_mark(session, teacher, world.assignment1, world.enrolments[0].id, MarkKind.FINAL, 1, "6")


def test_invalid_marks_are_refused_and_change_nothing(session):
    world = make_world(session)
    teacher = _teacher(session, world)
    e = world.enrolments[0].id
    bad = [
        [MarkInput(e, MarkKind.REGULAR, 1, "10.5")],
        [MarkInput(e, MarkKind.REGULAR, 1, "7.25")],
        [MarkInput(e, MarkKind.PERIODIC, 1, "7")],  # TT58 kind in a TT22 class
        [MarkInput(e, MarkKind.FINAL, 2, "7")],
        [MarkInput(world.enrolments[0].id + 10_000, MarkKind.REGULAR, 1, "7")],
    ]
    for inputs in bad:
        with pytest.raises(ValidationError):
            marks.save_marks(session, teacher, world.assignment1, inputs, today=IN_TERM1)
    assert session.scalar(select(func.count(Mark.id))) == 0
    assert session.scalar(select(func.count(AuditEntry.id))) == 0
    with pytest.raises(ValidationError):  # comment subject takes Đ/CĐ
        marks.save_marks(session, teacher, world.comment_assignment, [MarkInput(e, MarkKind.REGULAR, 1, "7")],
                         today=IN_TERM1)
    marks.save_marks(session, teacher, world.comment_assignment, [MarkInput(e, MarkKind.REGULAR, 1, "Đạt")],
                     today=IN_TERM1)
    assert session.scalars(select(Mark.grade)).all() == ["Đ"]


def test_subject_comments(session):
    world = make_world(session)
    teacher = _teacher(session, world)
    e = world.enrolments[0].id
    marks.save_comments(session, teacher, world.assignment1, Period.TERM1, {e: "Tiến bộ rõ rệt."}, today=IN_TERM1)
    marks.save_comments(session, teacher, world.assignment1, Period.TERM1, {e: "Tiến bộ."}, today=IN_TERM1)
    assert session.scalars(select(SubjectComment.text)).all() == ["Tiến bộ."]
    with pytest.raises(ValidationError):  # year comment belongs to term 2
        marks.save_comments(session, teacher, world.assignment1, Period.YEAR, {e: "x"}, today=IN_TERM1)
    marks.save_comments(session, teacher, world.assignment2, Period.YEAR, {e: "Cả năm tốt."}, today=IN_TERM2)
    with pytest.raises(PermissionDeniedError):
        marks.save_comments(session, world.actor(session, Role.HOMEROOM_TEACHER), world.assignment1, Period.TERM1,
                            {e: "x"}, today=IN_TERM1)
    actions = [x.action for x in audit.entries(session, school_id=world.school.id, entity="subject_comment")]
    assert actions == ["create", "update", "create"]


def test_attendance_by_the_homeroom_teacher(session):
    world = make_world(session)
    homeroom = world.actor(session, Role.HOMEROOM_TEACHER)
    e = world.enrolments[0].id
    day = dt.date(2025, 10, 6)
    result = attendance.save_absences(session, homeroom, world.klass, [Absence(e, day, excused=True, reason="Ốm")])
    assert result.created == 1
    attendance.save_absences(session, homeroom, world.klass, [Absence(e, day, excused=False)])
    assert session.scalars(select(Attendance.excused)).all() == [False]
    attendance.save_absences(session, homeroom, world.klass, [Absence(e, day, present=True)])
    assert session.scalar(select(func.count(Attendance.id))) == 0
    with pytest.raises(ValidationError):  # summer: no term
        attendance.save_absences(session, homeroom, world.klass, [Absence(e, dt.date(2026, 7, 1))])
    with pytest.raises(PermissionDeniedError):
        attendance.save_absences(session, _teacher(session, world), world.klass, [Absence(e, day)])
    with pytest.raises(PermissionDeniedError):
        attendance.save_absences(session, homeroom, world.other_class, [Absence(e, day)])
    actions = [x.action for x in audit.entries(session, school_id=world.school.id, entity="attendance")]
    assert actions == ["create", "update", "delete"]


def test_conduct_and_homeroom_comments(session):
    world = make_world(session)
    homeroom = world.actor(session, Role.HOMEROOM_TEACHER)
    e = world.enrolments[0].id
    conduct.save_conduct(session, homeroom, world.klass, Period.TERM1, {e: "tốt"})
    assert session.scalars(select(Conduct.level)).all() == ["Tốt"]
    with pytest.raises(ValidationError):
        conduct.save_conduct(session, homeroom, world.klass, Period.TERM1, {e: "Giỏi"})  # not a TT22 level
    conduct.save_homeroom_comments(session, homeroom, world.klass, Period.YEAR, {e: "Chăm ngoan, học tốt."})
    assert session.scalars(select(HomeroomComment.text)).all() == ["Chăm ngoan, học tốt."]
    for role in (Role.PRINCIPAL, Role.SUBJECT_TEACHER, Role.INSPECTOR):
        with pytest.raises(PermissionDeniedError):
            conduct.save_conduct(session, world.actor(session, role), world.klass, Period.TERM1, {e: "Khá"})
    assert [x.entity for x in audit.entries(session, school_id=world.school.id)] == ["conduct", "homeroom_comment"]


@pytest.mark.parametrize("slot", [8, 1_000_000, 0, -1])
def test_attack_mark_slot_beyond_the_form(session, slot):
    """Issue 10: a regular mark in slot 1,000,000 was accepted (printing the book then exhausted memory)."""
    world = make_world(session)
    teacher = _teacher(session, world)
    with pytest.raises(ValidationError, match="invalid slot"):
        marks.save_marks(session, teacher, world.assignment1,
                         [MarkInput(world.enrolments[0].id, MarkKind.REGULAR, slot, "7")], today=IN_TERM1)
    assert session.scalar(select(func.count(Mark.id))) == 0
    marks.save_marks(session, teacher, world.assignment1,
                     [MarkInput(world.enrolments[0].id, MarkKind.REGULAR, marks.MAX_SLOTS[MarkKind.REGULAR], "7")],
                     today=IN_TERM1)
