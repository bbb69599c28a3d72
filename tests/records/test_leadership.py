"""The leadership's read service: the lock register agrees with ``locks.lock_state`` whatever the order of lock
and open decisions; rights are checked first; results, requests and the teacher's form as the pages show them."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from records.errors import PermissionDeniedError
from records.models import Book, CorrectionStatus, MarkKind, Role
from records.services import corrections, leadership, locks
from records.services.context import on_date
from tests.records.factories_gov import IN_TERM2, make_world


def _decide(session, world, book, lock, *, term=None, klass=None):  # type: ignore[no-untyped-def]
    principal, admin = world.actor(session, Role.PRINCIPAL), world.actor(session, Role.ADMINISTRATOR)
    decision = locks.decide(session, principal, book=book, school_year=world.year, lock=lock,
                            decision_ref=f"QĐ {lock} {book.value}", term=term, klass=klass)
    locks.execute(session, admin, decision)
    return decision


def _check_register(session, world) -> None:  # type: ignore[no-untyped-def]
    register = leadership.lock_register(session, world.actor(session, Role.VICE_PRINCIPAL), world.year.id)
    terms = [world.term1.id, world.term2.id, None]
    for row in register.states:
        klass = world.klass if row.class_name == world.klass.name else world.other_class
        expected = [locks.lock_state(session, book, klass.id, term).locked for book in Book for term in terms]
        assert [locked for _, locked in row.cells] == expected, row.class_name


def test_the_register_agrees_with_lock_state_through_locks_and_opens(session):
    world = make_world(session)
    steps = [
        (Book.MARK_BOOK, True, "term1", None),  # the whole school, term I
        (Book.MARK_BOOK, False, "term1", None),  # opened again
        (Book.MARK_BOOK, True, "term1", "other"),  # one class locked under the open school
        (Book.TRANSCRIPTS, True, None, None),  # the year, school-wide
        (Book.MARK_BOOK, True, None, "klass"),  # one class's whole year
        (Book.TRANSCRIPTS, False, None, None),
    ]
    for book, lock, term, klass in steps:
        _decide(session, world, book, lock, term=getattr(world, term) if term else None,
                klass=getattr(world, "other_class" if klass == "other" else "klass") if klass else None)
        _check_register(session, world)
    # a decision not executed yet changes nothing, is listed as pending, and only the principal may decide
    pending = locks.decide(session, world.actor(session, Role.PRINCIPAL), book=Book.MARK_BOOK,
                           school_year=world.year, lock=False, decision_ref="QĐ mở", klass=world.klass)
    _check_register(session, world)
    vice = leadership.lock_register(session, world.actor(session, Role.VICE_PRINCIPAL), world.year.id)
    assert [d.executed for d in vice.decisions] == [True] * len(steps) + [False]
    assert vice.decisions[-1].id == pending.id and not vice.may_decide and not vice.may_execute
    principal = leadership.lock_register(session, world.actor(session, Role.PRINCIPAL), world.year.id)
    admin = leadership.lock_register(session, world.actor(session, Role.ADMINISTRATOR), world.year.id)
    assert (principal.may_decide, principal.may_execute, admin.may_decide, admin.may_execute) == (
        True, False, False, True)


def test_reading_needs_the_right(session):
    world = make_world(session)
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    for call in (lambda: leadership.lock_register(session, teacher, world.year.id),
                 lambda: leadership.correction_requests(session, teacher, world.school.id),
                 lambda: leadership.results_overview(session, teacher, world.year.id),
                 lambda: leadership.inspections_of(session, teacher, world.year.id),
                 lambda: leadership.witnesses(session, world.actor(session, Role.PRINCIPAL), world.school.id)):
        with pytest.raises(PermissionDeniedError):
            call()
    with pytest.raises(PermissionDeniedError):  # another teacher's assignment
        leadership.correction_form(session, world.user_actor(session, world.other_teacher), world.assignment1.id)


def test_requests_and_the_teachers_form(session):
    world = make_world(session)
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    form = leadership.correction_form(session, teacher, world.assignment1.id, today=IN_TERM2)
    assert form.class_name == world.klass.name and len(form.students) == len(world.enrolments)
    kinds = {value.split(":")[0] for value, _ in form.columns}
    assert kinds == {MarkKind.REGULAR.value, MarkKind.MIDTERM.value, MarkKind.FINAL.value}  # TT22: no periodic
    assert form.lock_vi == ""
    _decide(session, world, Book.MARK_BOOK, True, term=world.term1)
    assert "Sổ đã khóa theo QĐ True mark_book" in leadership.correction_form(
        session, teacher, world.assignment1.id, today=IN_TERM2).lock_vi
    assert "Đã qua ngày khóa điểm" in leadership.correction_form(
        session, teacher, world.assignment2.id, today=dt.date(2026, 6, 10)).lock_vi
    with on_date(IN_TERM2):
        filed = [corrections.request_correction(
            session, teacher, enrolment_id=e.id, subject_id=world.subject.id, term_id=world.term1.id,
            kind=MarkKind.REGULAR, slot=slot, new_value="7,5", reason="Nhập nhầm") for e, slot in
            itertools.product(world.enrolments[:2], (1, 2))]
        corrections.approve(session, world.actor(session, Role.PRINCIPAL), filed[0], "Đồng ý")
    vice = world.actor(session, Role.VICE_PRINCIPAL)
    rows = leadership.correction_requests(session, vice, world.school.id)
    assert [r.id for r in rows] == [r.id for r in reversed(filed)]
    assert [r.id for r in leadership.correction_requests(session, vice, world.school.id, CorrectionStatus.APPROVED)
            ] == [filed[0].id]
    assert rows[-1].column == "ĐĐGtx1" and rows[-1].old_value == "(trống)" and rows[-1].new_value == "7,5"
    assert [r.id for r in leadership.my_correction_requests(session, teacher)] == [r.id for r in reversed(filed)]
    detail = leadership.correction_detail(session, world.actor(session, Role.ADMINISTRATOR), filed[0].id)
    assert detail.may_apply and not detail.may_decide and [t.action for t in detail.trace] == ["Lập đơn", "Phê duyệt"]
    assert leadership.correction_detail(session, world.actor(session, Role.PRINCIPAL), filed[1].id).may_decide
    leaders, board = leadership.witnesses(session, world.actor(session, Role.ADMINISTRATOR), world.school.id)
    assert {p.id for p in leaders} == {world.users[Role.PRINCIPAL].id, world.users[Role.VICE_PRINCIPAL].id}
    assert {p.id for p in board} == {world.board_witness.id}  # the applier is not offered as a witness


def test_the_head_of_department_sees_only_the_own_departments_teachers(session):
    world = make_world(session)
    head = world.actor(session, Role.HEAD_OF_DEPARTMENT)
    with on_date(IN_TERM2):
        mine = leadership.department_progress(session, head, world.school.id)
    assert mine is not None and mine.department == "Tổ Toán - Tin" and mine.year_name == world.year.name
    teachers = {r.teacher_id for r in mine.progress.rows}
    assert teachers == {world.users[Role.SUBJECT_TEACHER].id}  # not the other department's Toán teacher
    assert mine.progress.rows and all(r.expected >= r.entered for r in mine.progress.rows)
    with pytest.raises(PermissionDeniedError):  # reading needs RECORDS_READ on the school
        leadership.department_progress(session, world.actor(session, Role.SUBJECT_TEACHER), world.school.id)
