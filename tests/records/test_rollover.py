"""Year set-up beyond the first run (calendar, regime, assignments between terms) and the roll-over."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from records import audit
from records.errors import ConflictError, PermissionDeniedError, ValidationError
from records.models import Class, Enrolment, Grade, Period, StudentResult, TeachingAssignment
from records.permissions import Actor
from records.services import rollover, setup, students
from tests.records.school_setup import set_up_school


def _decide(session, enrolment, decision):
    session.add(StudentResult(enrolment_id=enrolment.id, period=Period.YEAR, regime="tt22", learning="Đạt",
                              conduct="Tốt", promotion=decision, final_promotion=decision))
    session.flush()


def test_province_cutoff_is_the_default_of_new_years(session):
    built = set_up_school(session)
    assert built.year(2025).mark_cutoff == dt.date(2026, 5, 31)
    with pytest.raises(PermissionDeniedError):
        setup.set_province_cutoff(session, built.actor(), "Sơn La", 5, 25)  # the installation's setting
    setup.set_province_cutoff(session, Actor.system("tỉnh"), "Sơn La", 5, 25)
    assert built.year(2026).mark_cutoff == dt.date(2027, 5, 25)
    with pytest.raises(ValidationError):
        setup.set_province_cutoff(session, Actor.system("tỉnh"), "Sơn La", 2, 30)


def test_year_dates_and_regime_are_changed_and_traced(session):
    built = set_up_school(session)
    year = built.year(2025)
    setup.update_school_year(session, built.actor(), year, starts_on=dt.date(2025, 9, 5),
                             term1_ends_on=dt.date(2026, 1, 10), ends_on=dt.date(2026, 5, 25),
                             mark_cutoff=dt.date(2026, 5, 20))
    assert built.term(year, 2).starts_on == dt.date(2026, 1, 11) and year.mark_cutoff == dt.date(2026, 5, 20)
    with pytest.raises(ValidationError):
        setup.update_school_year(session, built.actor(), year, starts_on=dt.date(2025, 9, 5),
                                 term1_ends_on=dt.date(2025, 8, 1), ends_on=dt.date(2026, 5, 25),
                                 mark_cutoff=dt.date(2026, 5, 20))
    grade = built.grade(year, 9)
    setup.set_regime(session, built.actor(), grade, "tt58")
    assert grade.regime == "tt58"
    with pytest.raises(ValidationError):
        setup.set_regime(session, built.actor(), grade, "tt99")
    with pytest.raises(PermissionDeniedError):
        setup.set_regime(session, built.actor(built.teacher), grade, "tt22")
    trail = [e.entity for e in audit.entries(session, school_id=built.school.id)]
    assert trail[-2:] == ["school_year", "grade"]


def test_assignments_change_between_terms(session):
    built = set_up_school(session)
    year = built.year(2025)
    klass = built.klass(year, 6, "6A1")
    toan = built.subjects["toan"]
    term1, term2 = built.term(year, 1), built.term(year, 2)
    a = setup.assign_teacher(session, built.actor(), klass, toan, term1, built.teacher)
    copied = setup.copy_assignments(session, built.actor(), term1, term2)
    assert [(c.teacher_id, c.term_id) for c in copied] == [(built.teacher.id, term2.id)]
    assert setup.copy_assignments(session, built.actor(), term1, term2) == []  # nothing twice
    setup.remove_assignment(session, built.actor(), copied[0])
    setup.assign_teacher(session, built.actor(), klass, toan, term2, built.homeroom)
    teachers = session.scalars(select(TeachingAssignment.teacher_id).where(TeachingAssignment.class_id == klass.id)
                               .order_by(TeachingAssignment.term_id)).all()
    assert teachers == [built.teacher.id, built.homeroom.id]
    assert session.get(TeachingAssignment, a.id) is not None


def test_roll_over_moves_promoted_up_keeps_repeaters_and_lets_leavers_go(session):
    built = set_up_school(session)
    y1 = built.year(2025)
    c6 = built.klass(y1, 6, "6A1")
    c9 = built.klass(y1, 9, "9A1")
    kids = built.students("Lò Văn An", "Quàng Thị Bình", "Cầm Văn Cường", "Tòng Thị Dung", "Hà Văn Em")
    grads = built.students("Lường Văn Giang", "Vì Thị Hoa")
    e6 = students.enrol_class(session, built.actor(), c6, kids)
    e9 = students.enrol_class(session, built.actor(), c9, grads)
    by_name = {session.get(type(kids[0]), e.student_id).full_name: e for e in e6}
    _decide(session, by_name["Lò Văn An"], "promoted")
    _decide(session, by_name["Quàng Thị Bình"], "repeat")
    _decide(session, by_name["Cầm Văn Cường"], "reassess")  # pending: summer re-assessment
    _decide(session, by_name["Hà Văn Em"], "promoted")
    students.transfer_out(session, built.actor(), by_name["Tòng Thị Dung"], on=dt.date(2026, 3, 1),
                          to_school="THCS Chiềng Sinh")
    for e in e9:
        _decide(session, e, "promoted")
    y2 = built.year(2026)
    admin = built.actor()
    with pytest.raises(PermissionDeniedError):
        rollover.plan_roll_over(session, built.actor(built.teacher), y1, y2)
    plan = rollover.plan_roll_over(session, admin, y1, y2)
    where = {p.full_name: (p.decision, p.target) for p in plan.placements}
    assert where == {
        "Lò Văn An": ("promoted", "7A1"), "Quàng Thị Bình": ("repeat", "6A1"), "Cầm Văn Cường": ("pending", None),
        "Tòng Thị Dung": ("left", None), "Hà Văn Em": ("promoted", "7A1"),
        "Lường Văn Giang": ("completed", None), "Vì Thị Hoa": ("completed", None)}
    em = next(p.student_id for p in plan.placements if p.full_name == "Hà Văn Em")
    plan = rollover.plan_roll_over(session, admin, y1, y2, moves={em: "7A2"})
    report = rollover.apply_roll_over(session, admin, plan)
    assert report.classes_created == ("6A1", "7A1", "7A2")
    assert dict(report.classes_filled) == {"6A1": 1, "7A1": 1, "7A2": 1}
    rolled = session.execute(select(Class.name, Enrolment.repeating).join(Enrolment).join(Grade)
                             .where(Grade.school_year_id == y2.id).order_by(Class.name)).all()
    assert [tuple(r) for r in rolled] == [("6A1", True), ("7A1", False), ("7A2", False)]
    with pytest.raises(ConflictError):  # the rolls are numbered: a second run changes nothing
        rollover.apply_roll_over(session, admin, plan)
    with pytest.raises(ValidationError):
        rollover.plan_roll_over(session, admin, y1, built.year(2028))


def test_moving_a_repeater_up_is_refused_when_applied(session):
    built = set_up_school(session)
    y1 = built.year(2025)
    c6 = built.klass(y1, 6, "6A1")
    [kid] = built.students("Lò Thị Mai")
    [e] = students.enrol_class(session, built.actor(), c6, [kid])
    _decide(session, e, "repeat")
    y2 = built.year(2026)
    plan = rollover.plan_roll_over(session, built.actor(), y1, y2, moves={kid.id: "7A1"})
    with pytest.raises(ValidationError):
        rollover.apply_roll_over(session, built.actor(), plan)
