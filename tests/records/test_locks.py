"""Locks and the cut-off: decided by the principal, executed by the administrator; locked writes change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from records import audit
from records.errors import BookLockedError, ConflictError, CutoffPassedError, PermissionDeniedError
from records.models import AuditEntry, Book, Conduct, Mark, MarkKind, Period, Role
from records.services import attendance, conduct, locks, marks
from records.services.attendance import Absence
from records.services.marks import MarkInput
from tests.records.factories_gov import IN_TERM1, IN_TERM2, make_world


def _snapshot(session):
    session.flush()
    return (
        [(m.enrolment_id, m.kind, m.slot, m.score) for m in session.scalars(select(Mark).order_by(Mark.id))],
        session.scalar(select(func.count(AuditEntry.id))),
    )


def _lock(session, world, *, book=Book.MARK_BOOK, term=None, klass=None, lock=True, ref="QĐ số 12/QĐ-THCS"):
    decision = locks.decide(session, world.actor(session, Role.PRINCIPAL), book=book, school_year=world.year,
                            term=term, klass=klass, lock=lock, decision_ref=ref, decided_on=IN_TERM1)
    return locks.execute(session, world.actor(session, Role.ADMINISTRATOR), decision)


def _save(session, world, value="8", slot=1, today=IN_TERM1):
    return marks.save_marks(session, world.actor(session, Role.SUBJECT_TEACHER), world.assignment1,
                            [MarkInput(world.enrolments[0].id, MarkKind.REGULAR, slot, value)], today=today)


def test_principal_decides_administrator_executes(session):
    world = make_world(session)
    for role in (Role.ADMINISTRATOR, Role.VICE_PRINCIPAL, Role.SUBJECT_TEACHER, Role.INSPECTOR):
        with pytest.raises(PermissionDeniedError):
            locks.decide(session, world.actor(session, role), book=Book.MARK_BOOK, school_year=world.year,
                         lock=True, decision_ref="QĐ 1")
    decision = locks.decide(session, world.actor(session, Role.PRINCIPAL), book=Book.MARK_BOOK,
                            school_year=world.year, term=world.term1, lock=True, decision_ref="QĐ 1")
    assert not locks.lock_state(session, Book.MARK_BOOK, world.klass.id, world.term1.id).locked  # not executed
    with pytest.raises(PermissionDeniedError):
        locks.execute(session, world.actor(session, Role.PRINCIPAL), decision)
    locks.execute(session, world.actor(session, Role.ADMINISTRATOR), decision.id)
    state = locks.lock_state(session, Book.MARK_BOOK, world.klass.id, world.term1.id)
    assert state.locked and state.decision.id == decision.id
    assert decision.decided_by_id == world.users[Role.PRINCIPAL].id
    assert decision.executed_by_id == world.users[Role.ADMINISTRATOR].id and decision.executed_at is not None
    with pytest.raises(ConflictError):
        locks.execute(session, world.actor(session, Role.ADMINISTRATOR), decision)
    trail = audit.entries(session, school_id=world.school.id, entity="lock_decision")
    assert [e.action for e in trail] == ["decide_lock", "lock"]
    assert trail[1].actor_id == world.users[Role.ADMINISTRATOR].id and trail[1].reason == "QĐ 1"


def test_write_to_locked_book_is_refused_and_changes_nothing(session):
    world = make_world(session)
    _save(session, world, "6")
    _lock(session, world, term=world.term1)
    before = _snapshot(session)
    with pytest.raises(BookLockedError) as refused:
        _save(session, world, "9")
    with pytest.raises(BookLockedError):
        _save(session, world, "9", slot=2)
    assert _snapshot(session) == before
    text = refused.value.message_vi
    assert "QĐ số 12/QĐ-THCS" in text and world.users[Role.PRINCIPAL].full_name in text
    assert world.users[Role.ADMINISTRATOR].full_name in text and "đơn đề nghị sửa chữa" in text
    assert audit.verify(session, world.school.id).ok


def test_locks_cover_class_and_term_scopes(session):
    world = make_world(session)
    _lock(session, world, term=world.term1, klass=world.other_class)  # another class: no effect here
    _save(session, world, "7")
    _lock(session, world, term=world.term2)  # the other term: no effect on term 1
    _save(session, world, "7.5")
    _lock(session, world)  # the whole year, whole school
    with pytest.raises(BookLockedError):
        _save(session, world, "8")
    _lock(session, world, lock=False, ref="QĐ mở sổ")  # reopen the year; term 2 stays locked
    _save(session, world, "8")
    assert locks.lock_state(session, Book.MARK_BOOK, world.klass.id, world.term2.id).locked
    with pytest.raises(BookLockedError):
        marks.save_marks(session, world.actor(session, Role.SUBJECT_TEACHER), world.assignment2,
                         [MarkInput(world.enrolments[0].id, MarkKind.REGULAR, 1, "5")], today=IN_TERM2)


def test_transcripts_lock_refuses_conduct_and_mark_book_lock_refuses_attendance(session):
    world = make_world(session)
    homeroom = world.actor(session, Role.HOMEROOM_TEACHER)
    conduct.save_conduct(session, homeroom, world.klass, Period.TERM1, {world.enrolments[0].id: "Tốt"})
    _lock(session, world, book=Book.TRANSCRIPTS, term=world.term1)
    with pytest.raises(BookLockedError):
        conduct.save_conduct(session, homeroom, world.klass, Period.TERM1, {world.enrolments[0].id: "Khá"})
    assert session.scalars(select(Conduct.level)).all() == ["Tốt"]
    attendance.save_absences(session, homeroom, world.klass, [Absence(world.enrolments[0].id, IN_TERM1)])
    _lock(session, world, book=Book.MARK_BOOK, term=world.term1)
    with pytest.raises(BookLockedError):
        attendance.save_absences(session, homeroom, world.klass, [Absence(world.enrolments[1].id, IN_TERM1)])


def test_after_the_cutoff_nobody_changes_a_mark(session):
    world = make_world(session)
    world.year.mark_cutoff = dt.date(2026, 5, 25)  # term 2 runs to 31 May
    session.flush()
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    enrolment = world.enrolments[0].id
    marks.save_marks(session, teacher, world.assignment2, [MarkInput(enrolment, MarkKind.REGULAR, 1, "6")],
                     today=dt.date(2026, 5, 20))
    before = _snapshot(session)
    with pytest.raises(CutoffPassedError) as refused:
        marks.save_marks(session, teacher, world.assignment2, [MarkInput(enrolment, MarkKind.REGULAR, 1, "9")],
                         today=dt.date(2026, 5, 28))
    assert "25/05/2026" in refused.value.message_vi and "đơn đề nghị" in refused.value.message_vi
    with pytest.raises(CutoffPassedError):
        marks.save_marks(session, teacher, world.assignment2, [MarkInput(enrolment, MarkKind.REGULAR, 2, "9")],
                         today=dt.date(2026, 5, 26))
    with pytest.raises(PermissionDeniedError):  # after the term: not the current term any more either
        marks.save_marks(session, teacher, world.assignment2, [MarkInput(enrolment, MarkKind.REGULAR, 1, "9")],
                         today=dt.date(2026, 6, 2))
    assert _snapshot(session) == before
