"""Monthly inspection: marks expected by the end of a month vs entered, late ones, minutes for the mark book."""

from __future__ import annotations

import datetime as dt

import pytest

from records import audit
from records.errors import PermissionDeniedError, ValidationError
from records.models import Inspection, MarkKind, Role
from records.services import inspections, marks
from records.services.marks import MarkInput
from tests.records.factories_gov import make_world


def _enter(session, world, slots, enrolments, day):
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    marks.save_marks(session, teacher, world.assignment1,
                     [MarkInput(e.id, MarkKind.REGULAR, s, "7", assessed_on=day) for e in enrolments for s in slots],
                     today=day)


def test_expected_marks_are_prorated_over_the_term(session):
    world = make_world(session)
    term = world.term1  # 5 Sep 2025 – 15 Jan 2026, 133 days; Toán (140 lessons): 4 regular marks
    assert inspections.expected_per_student("tt22", 140, False, term, dt.date(2025, 9, 1)) == {}
    assert inspections.expected_per_student("tt22", 140, False, term, dt.date(2025, 10, 31)) == {MarkKind.REGULAR: 1}
    mid = inspections.expected_per_student("tt22", 140, False, term, dt.date(2025, 11, 30))
    assert mid == {MarkKind.REGULAR: 2, MarkKind.MIDTERM: 1}
    end = inspections.expected_per_student("tt22", 140, False, term, dt.date(2026, 1, 31))
    assert end == {MarkKind.REGULAR: 4, MarkKind.MIDTERM: 1, MarkKind.FINAL: 1}
    assert inspections.expected_per_student("tt58", 140, False, term, dt.date(2025, 11, 30))[MarkKind.PERIODIC] == 1


def test_entry_progress_per_teacher_class_subject(session):
    world = make_world(session)
    first, second, third = world.enrolments
    _enter(session, world, [1], [first, second, third], dt.date(2025, 10, 10))
    _enter(session, world, [2], [first], dt.date(2025, 11, 20))
    principal = world.actor(session, Role.PRINCIPAL)
    october = inspections.entry_progress(session, principal, world.year, 2025, 10, today=dt.date(2025, 12, 1))
    row = next(r for r in october.rows if r.subject == "Toán" and r.class_name == "9A1")
    assert (row.students, row.expected, row.entered, row.late) == (3, 3, 3, False)
    november = inspections.entry_progress(session, principal, world.year, 2025, 11, klass=world.klass,
                                          today=dt.date(2025, 12, 1))
    row = next(r for r in november.rows if r.subject == "Toán")
    # by 30 Nov: 2 regular + the mid-term for each of 3 students = 9; entered 3 + 1 = 4
    assert (row.expected, row.entered, row.missing) == (9, 4, 5)
    assert row.late and set(row.late_students) == {first.student.full_name, second.student.full_name,
                                                    third.student.full_name}
    assert row.teacher == world.users[Role.SUBJECT_TEACHER].full_name
    assert november.by_teacher()[row.teacher][0] >= 9
    assert all(r.class_name == "9A1" for r in november.rows)


def test_teachers_cannot_read_the_school_progress(session):
    world = make_world(session)
    with pytest.raises(PermissionDeniedError):
        inspections.entry_progress(session, world.actor(session, Role.SUBJECT_TEACHER), world.year, 2025, 10)
    inspections.entry_progress(session, world.actor(session, Role.INSPECTOR), world.year, 2025, 10)


def test_record_inspection_and_minutes(session):
    world = make_world(session)
    _enter(session, world, [1], world.enrolments, dt.date(2025, 10, 10))
    vice = world.actor(session, Role.VICE_PRINCIPAL)
    with pytest.raises(PermissionDeniedError):
        inspections.record_inspection(session, world.actor(session, Role.INSPECTOR), world.year, 2025, 10,
                                      findings="x", today=dt.date(2025, 11, 2))
    with pytest.raises(ValidationError):
        inspections.record_inspection(session, vice, world.year, 2025, 10, findings=" ", today=dt.date(2025, 11, 2))
    school_wide = inspections.record_inspection(
        session, vice, world.year, 2025, 10, findings="Giáo viên nhập điểm đúng tiến độ.",
        conclusion="Đạt yêu cầu.", today=dt.date(2025, 11, 2))
    inspections.record_inspection(session, vice, world.year, 2025, 11, klass=world.other_class,
                                  findings="Lớp 9A2 chậm nhập điểm.", today=dt.date(2025, 12, 2))
    assert isinstance(school_wide, Inspection) and school_wide.inspected_on == dt.date(2025, 11, 2)
    minutes = inspections.inspection_minutes(session, world.klass.id, world.year)
    assert len(minutes) == 1  # the other class's inspection is not in 9A1's book
    page = minutes[0]
    assert page["month_vi"] == "Tháng 10/2025" and page["scope_vi"] == "Toàn trường"
    assert page["inspector"] == world.users[Role.VICE_PRINCIPAL].full_name
    assert page["findings"] == "Giáo viên nhập điểm đúng tiến độ." and page["conclusion"] == "Đạt yêu cầu."
    toan = next(p for p in page["progress"] if p["subject"] == "Toán")
    assert (toan["expected"], toan["entered"], toan["missing"]) == (3, 3, 0)
    assert len(inspections.inspection_minutes(session, world.other_class.id, world.year.id)) == 2
    assert [e.entity for e in audit.entries(session, school_id=world.school.id, entity="inspection")] == [
        "inspection", "inspection"]


def test_an_inspection_belongs_to_a_month_of_the_year_that_has_begun(session):
    world = make_world(session)
    principal = world.actor(session, Role.PRINCIPAL)
    for (cal_year, month), message in (((2025, 8), "không thuộc năm học"), ((2026, 9), "không thuộc năm học"),
                                       ((2025, 12), "chưa đến")):
        with pytest.raises(ValidationError) as refused:
            inspections.record_inspection(session, principal, world.year, cal_year, month, findings="x",
                                          today=dt.date(2025, 11, 20))
        assert message in refused.value.message_vi
    june = inspections.record_inspection(session, principal, world.year, 2026, 6, findings="Sau năm học.",
                                         today=dt.date(2026, 6, 20))
    assert june.month == 6
