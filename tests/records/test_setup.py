"""records.services.setup: schools, years with their regimes, curricula, classes, users, assignments."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from records import audit
from records.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from records.models import GradeSubject, Role, RoleGrant, Subject, Term
from records.permissions import Actor
from records.rules import regime_for
from records.services import setup
from tests.records.school_setup import set_up_school


def test_create_school_is_for_the_installation_and_traced(session) -> None:
    system = Actor.system("kiểm thử")
    school = setup.create_school(session, system, code="X-001", name="  Trường THCS   Tô Hiệu ", district="Mộc Châu",
                                 province="Sơn La", external=True)
    assert school.name == "Trường THCS Tô Hiệu" and school.external
    trail = audit.entries(session, school_id=school.id, entity="school")
    assert [e.action for e in trail] == ["create"] and trail[0].actor_name == "system"
    with pytest.raises(ConflictError):
        setup.create_school(session, system, code="X-001", name="Khác", district="Mộc Châu", province="Sơn La")
    built = set_up_school(session)
    with pytest.raises(PermissionDeniedError):
        setup.create_school(session, built.actor(), code="X-002", name="Trường khác", district="Mộc Châu",
                            province="Sơn La")


@pytest.mark.parametrize("start", [2022, 2023, 2024, 2025])
def test_school_year_has_terms_grades_with_their_regime_and_curriculum(session, start: int) -> None:
    built = set_up_school(session)
    year = built.year(start)
    terms = session.scalars(select(Term).where(Term.school_year_id == year.id).order_by(Term.number)).all()
    assert [t.number for t in terms] == [1, 2]
    assert terms[0].starts_on == dt.date(start, 9, 5) and terms[1].ends_on == dt.date(start + 1, 5, 31)
    assert terms[0].ends_on + dt.timedelta(days=1) == terms[1].starts_on
    for level in (6, 7, 8, 9):
        grade = built.grade(year, level)
        assert grade.regime == regime_for(start, level)
        codes = [gs.subject.code for gs in sorted(grade.subjects, key=lambda gs: gs.position)]
        expected = [code for code, _ in setup.curriculum_for(grade.regime, level)]
        assert codes == expected
        assert ("khtn" in codes) == (grade.regime == "tt22")
        assert ("vat_li" in codes) == (grade.regime != "tt22")


def test_lessons_per_year_override_the_subject_default(session) -> None:
    built = set_up_school(session)
    year = built.year(2025)
    by_code = {gs.subject.code: gs for gs in built.grade(year, 8).subjects}
    assert by_code["cong_nghe"].lessons == 52 and by_code["cong_nghe"].lessons_per_year == 52
    assert by_code["toan"].lessons == 140 and by_code["toan"].lessons_per_year is None
    assert {gs.subject.code: gs.lessons for gs in built.grade(year, 6).subjects}["cong_nghe"] == 35


def test_year_twice_and_bad_dates_are_refused(session) -> None:
    built = set_up_school(session)
    built.year(2025)
    with pytest.raises(ConflictError):
        setup.create_school_year(session, built.actor(), built.school, 2025)
    with pytest.raises(ValidationError):
        setup.create_school_year(session, built.actor(), built.school, 2026, term1_ends_on=dt.date(2026, 8, 1))


def test_set_curriculum_replaces_the_subjects_of_a_grade(session) -> None:
    built = set_up_school(session)
    grade = built.grade(built.year(2025), 6)
    setup.set_curriculum(session, built.actor(), grade, [("toan", None), ("ngu_van", 175), ("gdtc", None)])
    rows = session.scalars(select(GradeSubject).where(GradeSubject.grade_id == grade.id)
                           .order_by(GradeSubject.position)).all()
    assert [(r.subject.code, r.lessons) for r in rows] == [("toan", 140), ("ngu_van", 175), ("gdtc", 70)]
    with pytest.raises(NotFoundError) as refused:
        setup.set_curriculum(session, built.actor(), grade, [("tieng_thai", None)])
    assert "Chưa khai báo môn học: tieng_thai" in refused.value.message_vi


def test_class_homeroom_teacher_gets_the_role(session) -> None:
    built = set_up_school(session)
    year = built.year(2025)
    klass = built.klass(year, 9, "9A1")
    assert klass.homeroom_teacher_id == built.homeroom.id
    roles = {g.role for g in session.scalars(select(RoleGrant).where(RoleGrant.user_id == built.homeroom.id))}
    assert Role.HOMEROOM_TEACHER in roles
    with pytest.raises(ConflictError):
        built.klass(year, 9, "9A1")
    with pytest.raises(PermissionDeniedError):
        setup.create_class(session, built.actor(built.teacher), built.grade(year, 9), "9A9")


def test_users_and_grants(session) -> None:
    built = set_up_school(session)
    system = Actor.system("kiểm thử")
    inspector = setup.create_user(session, system, username="ThanhTra", full_name="Thanh  Tra", school=None,
                                  roles=[Role.INSPECTOR], district="Mộc Châu")
    assert inspector.username == "thanhtra" and inspector.full_name == "Thanh Tra"
    assert Actor.load(session, inspector.id).grants[0].district == "Mộc Châu"
    with pytest.raises(ValidationError):
        setup.grant_role(session, system, built.teacher, Role.PRINCIPAL, district="Mộc Châu")
    with pytest.raises(ConflictError):
        setup.grant_role(session, built.actor(), built.teacher, Role.SUBJECT_TEACHER, school=built.school)
    with pytest.raises(ConflictError):
        setup.create_user(session, system, username="thanhtra", full_name="Ai Đó", school=built.school)
    with pytest.raises(PermissionDeniedError):
        setup.grant_role(session, built.actor(built.teacher), built.teacher, Role.PRINCIPAL, school=built.school)
    grant = setup.grant_role(session, built.actor(), built.teacher, Role.HEAD_OF_DEPARTMENT, school=built.school)
    setup.revoke_role(session, built.actor(), grant)
    assert grant.revoked_at is not None
    assert Role.HEAD_OF_DEPARTMENT not in Actor.load(session, built.teacher.id).roles_in(built.school.id)


def test_teaching_assignments(session) -> None:
    built = set_up_school(session)
    year = built.year(2025)
    klass = built.klass(year, 9, "9A1")
    term1 = built.term(year, 1)
    khtn = built.subjects["khtn"]
    shared = setup.assign_teachers(session, built.actor(built.vice), [
        setup.AssignmentSpec(built.teacher.id, klass.id, khtn.id, term1.id),
        setup.AssignmentSpec(built.homeroom.id, klass.id, khtn.id, term1.id, note="Phần Sinh học"),
    ])
    assert [ta.teacher_id for ta in shared] == [built.teacher.id, built.homeroom.id]
    assert shared[1].note == "Phần Sinh học" and shared[0].declared_by_id == built.vice.id
    assert len(audit.entries(session, school_id=built.school.id, entity="teaching_assignment")) == 2
    vat_li = session.scalars(select(Subject).where(Subject.school_id == built.school.id,
                                                   Subject.code == "vat_li")).one()
    with pytest.raises(ValidationError):  # not in the 2025-26 grade-9 curriculum (TT22)
        setup.assign_teacher(session, built.actor(), klass, vat_li, term1, built.teacher)
    with pytest.raises(PermissionDeniedError):
        setup.assign_teacher(session, built.actor(built.teacher), klass, built.subjects["toan"], term1,
                             built.teacher)
    other_year_term = built.term(built.year(2024), 1)
    with pytest.raises(ValidationError):
        setup.assign_teacher(session, built.actor(), klass, built.subjects["toan"], other_year_term, built.teacher)
