"""The table of rights, walked whole: every role × every action, allowed and refused; then the conditions."""

from __future__ import annotations

import datetime as dt

import pytest

from records.errors import PermissionDeniedError
from records.models import Mark, MarkKind, Role, RoleGrant, TeachingAssignment, utcnow
from records.permissions import POLICY, Action, Actor, allowed, require, scope_of
from tests import factories as f
from tests.records.factories_gov import IN_TERM1, IN_TERM2, make_world

P, VP, AD, HD, HR, ST, OF, IN = (Role.PRINCIPAL, Role.VICE_PRINCIPAL, Role.ADMINISTRATOR, Role.HEAD_OF_DEPARTMENT,
                                 Role.HOMEROOM_TEACHER, Role.SUBJECT_TEACHER, Role.OFFICE, Role.INSPECTOR)

# Written out independently of POLICY: who may do each action on the natural target of the action
# (the class of the homeroom teacher; the subject teacher's own assignment in the current term).
EXPECTED: dict[Action, set[Role]] = {
    Action.ARCHIVE_DELETE: {P},
    Action.ARCHIVE_EXPORT: {P},  # inspectors only within a granted window (tests/archive/test_inspectors.py)
    Action.ARCHIVE_READ: {P, VP, AD, OF},  # idem
    Action.ACCOUNTS_MANAGE: {AD},
    Action.ARCHIVE_WRITE: {OF},
    Action.ASSIGNMENTS_WRITE: {AD, VP, HD},
    Action.ATTENDANCE_WRITE: {HR},
    Action.AUDIT_READ: {P, VP, AD, IN},
    Action.AUDIT_SEAL: {AD},
    Action.BOOKS_PRINT: {OF},
    Action.COMMENTS_WRITE: {ST},
    Action.CONDUCT_WRITE: {HR},
    Action.COPIES_ISSUE: {OF},
    Action.COPIES_REQUEST: {OF},
    Action.CORRECTION_APPLY: {AD},
    Action.CORRECTION_APPROVE: {P},
    Action.CORRECTION_REQUEST: {ST},
    Action.CORRECTION_WITNESS: {P, VP, AD},
    Action.DATA_BACKUP: set(),
    Action.EDITIONS_READ: {P, VP, AD, OF, IN},
    Action.EDITIONS_REVOKE: {P},
    Action.ENROLMENT_WRITE: {AD},
    Action.HOMEROOM_COMMENTS_WRITE: {HR},
    Action.INSPECTION_RECORD: {P, VP},
    Action.INSPECTORS_GRANT: {AD},
    Action.LOCK_DECIDE: {P},
    Action.LOCK_EXECUTE: {AD},
    Action.MARKS_WRITE: {ST},
    Action.RECORDS_READ: set(Role),
    Action.RESULTS_APPROVE: {P},
    Action.RESULTS_COMPUTE: {P, VP, AD, HR},
    Action.RIGHTS_GRANT: {AD},
    Action.SCHOOL_SETUP: {AD},
    Action.STUDENTS_WRITE: {HR, AD},
}
SYSTEM_ALLOWED = {Action.ACCOUNTS_MANAGE, Action.AUDIT_SEAL, Action.DATA_BACKUP, Action.RECORDS_READ,
                  Action.RIGHTS_GRANT, Action.SCHOOL_SETUP}
ASSIGNMENT_ACTIONS = {Action.MARKS_WRITE, Action.COMMENTS_WRITE, Action.CORRECTION_REQUEST, Action.ASSIGNMENTS_WRITE}


def test_the_table_names_every_action_once_and_sorted():
    assert set(POLICY) == set(Action) == set(EXPECTED)
    names = [a.name for a in Action]
    assert names == sorted(names)
    assert all(len(a.value.split(":")) == 3 for a in Action)


def _target(world, action):
    return world.assignment1 if action in ASSIGNMENT_ACTIONS else world.klass


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.name)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.name)
def test_rights_table(session, role, action):
    world = make_world(session)
    actor = world.actor(session, role)
    target = _target(world, action)
    expected = role in EXPECTED[action]
    assert allowed(session, actor, action, target, today=IN_TERM1) is expected
    if expected:
        require(session, actor, action, target, today=IN_TERM1)
    else:
        with pytest.raises(PermissionDeniedError) as refused:
            require(session, actor, action, target, today=IN_TERM1)
        assert action.label_vi in refused.value.message_vi
        assert actor.full_name in refused.value.message_vi


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.name)
def test_system_actor(session, action):
    world = make_world(session)
    system = Actor.system("tests")
    assert allowed(session, system, action, _target(world, action), today=IN_TERM1) is (action in SYSTEM_ALLOWED)
    assert system.username == "system" and system.user_id is None


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.name)
def test_nobody_acts_on_another_school(session, action):
    world = make_world(session)
    elsewhere = make_world(session, district="Mộc Châu")
    for role in Role:
        actor = world.actor(session, role)
        assert not allowed(session, actor, action, _target(elsewhere, action), today=IN_TERM1), role


def test_subject_teacher_writes_only_own_assignment_in_the_current_term(session):
    world = make_world(session)
    teacher = world.actor(session, ST)
    assert allowed(session, teacher, Action.MARKS_WRITE, world.assignment1, today=IN_TERM1)
    assert not allowed(session, teacher, Action.MARKS_WRITE, world.assignment1, today=IN_TERM2)
    assert allowed(session, teacher, Action.MARKS_WRITE, world.assignment2, today=IN_TERM2)
    assert not allowed(session, teacher, Action.MARKS_WRITE, world.assignment2, today=IN_TERM1)
    assert not allowed(session, teacher, Action.MARKS_WRITE, world.assignment1, today=dt.date(2026, 6, 15))
    other = world.user_actor(session, world.other_teacher)
    assert not allowed(session, other, Action.MARKS_WRITE, world.assignment1, today=IN_TERM1)
    # A mark of the teacher's class and subject in the current term: allowed through the assignment.
    mark = Mark(enrolment_id=world.enrolments[0].id, subject_id=world.subject.id, term_id=world.term1.id,
                kind=MarkKind.REGULAR, slot=1)
    assert allowed(session, teacher, Action.MARKS_WRITE, mark, today=IN_TERM1)
    assert not allowed(session, other, Action.MARKS_WRITE, mark, today=IN_TERM1)
    # A subject the teacher does not teach in that class.
    maths_elsewhere = Mark(enrolment_id=world.enrolments[0].id, subject_id=world.comment_subject.id,
                           term_id=world.term2.id, kind=MarkKind.REGULAR, slot=1)
    assert not allowed(session, teacher, Action.MARKS_WRITE, maths_elsewhere, today=IN_TERM2)
    # Past terms: may still file a correction request for their own assignment.
    assert allowed(session, teacher, Action.CORRECTION_REQUEST, world.assignment1, today=IN_TERM2)


def test_the_current_term_is_injectable_through_the_clock(session):
    from records.services.context import on_date

    world = make_world(session)
    teacher = world.actor(session, ST)
    with on_date(IN_TERM2):
        assert not allowed(session, teacher, Action.MARKS_WRITE, world.assignment1)
        assert allowed(session, teacher, Action.MARKS_WRITE, world.assignment2)
    with on_date(IN_TERM1):
        assert allowed(session, teacher, Action.MARKS_WRITE, world.assignment1)


def test_homeroom_teacher_only_for_their_class(session):
    world = make_world(session)
    homeroom = world.actor(session, HR)
    assert allowed(session, homeroom, Action.ATTENDANCE_WRITE, world.klass)
    assert not allowed(session, homeroom, Action.ATTENDANCE_WRITE, world.other_class)
    assert allowed(session, homeroom, Action.STUDENTS_WRITE, world.enrolments[0])
    student = session.get(type(world.enrolments[0].student), world.enrolments[0].student_id)
    assert allowed(session, homeroom, Action.STUDENTS_WRITE, student)
    other = world.user_actor(session, world.other_teacher)
    assert not allowed(session, other, Action.STUDENTS_WRITE, student)
    assert allowed(session, other, Action.CONDUCT_WRITE, world.other_class)


def test_head_of_department_declares_assignments_of_their_department_only(session):
    world = make_world(session)
    head = world.actor(session, HD)
    mine = TeachingAssignment(teacher_id=world.users[ST].id, class_id=world.klass.id,
                              subject_id=world.subject.id, term_id=world.term1.id)
    theirs = TeachingAssignment(teacher_id=world.other_teacher.id, class_id=world.klass.id,
                                subject_id=world.subject.id, term_id=world.term1.id)
    assert allowed(session, head, Action.ASSIGNMENTS_WRITE, mine)
    assert not allowed(session, head, Action.ASSIGNMENTS_WRITE, theirs)
    assert allowed(session, world.actor(session, AD), Action.ASSIGNMENTS_WRITE, theirs)


def test_inspector_reads_in_their_district_only_and_never_writes(session):
    world = make_world(session)
    inspector = world.actor(session, IN)
    assert allowed(session, inspector, Action.RECORDS_READ, world.school)
    assert allowed(session, inspector, Action.AUDIT_READ, world.school)
    elsewhere = make_world(session, district="Mộc Châu")
    assert not allowed(session, inspector, Action.RECORDS_READ, elsewhere.school)
    writes = [a for a in Action if not a.value.endswith(":read")]
    assert not any(allowed(session, inspector, a, _target(world, a), today=IN_TERM1) for a in writes)


def test_revoked_grants_and_inactive_users(session):
    world = make_world(session)
    principal = world.users[P]
    grant = session.query(RoleGrant).filter_by(user_id=principal.id).one()
    grant.revoked_at = utcnow()
    session.flush()
    assert not allowed(session, Actor.load(session, principal.id), Action.LOCK_DECIDE, world.school)
    principal.active = False
    session.flush()
    with pytest.raises(PermissionDeniedError):
        Actor.load(session, principal.id)


def test_one_person_may_hold_several_roles(session):
    world = make_world(session)
    both = f.make_user(session, world.school, [P, Role.SUBJECT_TEACHER])
    actor = Actor.load(session, both.id)
    assert allowed(session, actor, Action.LOCK_DECIDE, world.school)
    assert not allowed(session, actor, Action.MARKS_WRITE, world.assignment1, today=IN_TERM1)  # not theirs
    ta = f.assign(session, both, world.klass, world.subject, world.term1)
    assert allowed(session, actor, Action.MARKS_WRITE, ta, today=IN_TERM1)


def test_refusal_names_the_action_the_object_and_who_may(session):
    world = make_world(session)
    office = world.actor(session, OF)
    with pytest.raises(PermissionDeniedError) as refused:
        require(session, office, Action.MARKS_WRITE, world.assignment1, today=IN_TERM1)
    text = refused.value.message_vi
    assert "nhập điểm" in text and "Toán" in text and "9A1" in text and "Giáo viên bộ môn" in text


def test_scope_of_derives_school_class_subject_and_term(session):
    world = make_world(session)
    mark = Mark(enrolment_id=world.enrolments[1].id, subject_id=world.subject.id, term_id=world.term2.id,
                kind=MarkKind.FINAL, slot=1)
    scope = scope_of(session, mark)
    assert (scope.school_id, scope.class_id, scope.subject_id, scope.term_id) == (
        world.school.id, world.klass.id, world.subject.id, world.term2.id)
    assert scope.homeroom_teacher_id == world.users[HR].id
    with pytest.raises(TypeError):
        scope_of(session, object())


def test_the_documented_table_is_the_policy():
    from pathlib import Path

    from records.services.rights import rights_markdown

    doc = (Path(__file__).parents[2] / "docs" / "GOVERNANCE.md").read_text(encoding="utf-8")
    documented = doc.split("<!-- rights-table:start -->\n")[1].split("\n<!-- rights-table:end -->")[0]
    assert documented == rights_markdown(), "regenerate the table in docs/GOVERNANCE.md from rights_markdown()"
