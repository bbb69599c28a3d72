"""The domain model: exact marks, constraints, relationships, several schools in one database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from records.models import Mark, MarkKind, Role, Student
from tests import factories as f


def _mark_setup(session):
    school = f.make_school(session)
    year = f.make_year(session, school, 2025)
    klass = f.make_class(session, year, 9, "9A1")
    student = f.make_student(session, school)
    enrolment = f.enrol(session, student, klass)
    subject = klass.grade.subjects[0].subject
    return enrolment, subject, year.terms[0]


def test_marks_are_exact_tenths(session):
    enrolment, subject, term = _mark_setup(session)
    for slot, value in enumerate(["7.1", "0.1", "10", "9.9", "0"], start=1):
        session.add(Mark(enrolment_id=enrolment.id, subject_id=subject.id, term_id=term.id,
                         kind=MarkKind.REGULAR, slot=slot, score=Decimal(value)))
    session.flush()
    session.expire_all()
    got = session.scalars(select(Mark.score).order_by(Mark.slot)).all()
    assert got == [Decimal("7.1"), Decimal("0.1"), Decimal("10.0"), Decimal("9.9"), Decimal("0.0")]
    assert all(isinstance(v, Decimal) for v in got)


@pytest.mark.parametrize("bad", ["10.1", "-0.1"])
def test_out_of_range_score_is_refused_by_the_database(session, bad):
    enrolment, subject, term = _mark_setup(session)
    session.add(Mark(enrolment_id=enrolment.id, subject_id=subject.id, term_id=term.id,
                     kind=MarkKind.REGULAR, slot=1, score=Decimal(bad)))
    with pytest.raises(IntegrityError):
        session.flush()


def test_score_with_two_decimals_is_refused(session):
    enrolment, subject, term = _mark_setup(session)
    session.add(Mark(enrolment_id=enrolment.id, subject_id=subject.id, term_id=term.id,
                     kind=MarkKind.REGULAR, slot=1, score=Decimal("7.25")))
    with pytest.raises(StatementError):
        session.flush()


def test_mark_has_exactly_one_value(session):
    enrolment, subject, term = _mark_setup(session)
    session.add(Mark(enrolment_id=enrolment.id, subject_id=subject.id, term_id=term.id,
                     kind=MarkKind.FINAL, slot=1, score=Decimal(5), grade="Đ"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_regimes_follow_the_roadmap(session):
    school = f.make_school(session)
    regimes = {y: {g.level: g.regime for g in f.make_year(session, school, y).grades} for y in (2019, 2021, 2023, 2024)}
    assert regimes[2019] == {6: "tt58", 7: "tt58", 8: "tt58", 9: "tt58"}
    assert regimes[2021] == {6: "tt22", 7: "tt26", 8: "tt26", 9: "tt26"}
    assert regimes[2023] == {6: "tt22", 7: "tt22", 8: "tt22", 9: "tt26"}
    assert regimes[2024] == {6: "tt22", 7: "tt22", 8: "tt22", 9: "tt22"}


def test_several_schools_share_one_database(session):
    a, b = f.make_school(session, name="Trường THCS Tô Hiệu"), f.make_school(session, name="Trường THCS Chiềng Khoa")
    f.make_student(session, a, given_name="An")
    f.make_student(session, b, given_name="Bình")
    names = session.scalars(select(Student.given_name).where(Student.school_id == b.id)).all()
    assert names == ["Bình"]


def test_inspector_role_is_district_wide(session):
    inspector = f.make_user(session, None, [Role.INSPECTOR])
    grant = inspector.grants[0]
    assert grant.school_id is None and grant.district == "Vân Hồ"
    assert Role.INSPECTOR.label_vi == "Thanh tra"


def test_full_name_keeps_vietnamese_order(session):
    school = f.make_school(session)
    s = f.make_student(session, school, family_name="Lò", middle_name="Thị Thanh", given_name="Hương")
    assert s.full_name == "Lò Thị Thanh Hương"
