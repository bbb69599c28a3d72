"""Opening and locking the books: the principal decides, the administrator executes (CV §2.2.2 a, e).

A decision names a book (mark book or transcripts) of a school year, for one term or the whole year,
for one class or the whole school. It takes effect when executed; the latest executed decision of a
scope gives that scope's state. A class's term is locked when any scope covering it is locked
(class+term, class+year, school+term, school+year): to reopen one class under a school-wide lock,
the principal opens the school-wide scope and locks the others again.

Independently of locks, after the school year's ``mark_cutoff`` (31 May by default) nobody changes a
mark except through an approved correction (CV §2.2.2 a: "Không cho phép bất cứ cá nhân nào sửa
điểm sau ngày 31/5 hàng năm").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from records import audit
from records.db import autoflush
from records.errors import BookLockedError, ConflictError, CutoffPassedError, NotFoundError, ValidationError
from records.models import Book, Class, Grade, LockDecision, SchoolYear, Term, User, utcnow
from records.permissions import Action, Actor, require
from records.services.context import today as _today
from records.services.context import vn_time

HOW_TO_CORRECT_VI = (
    "Muốn sửa, giáo viên lập đơn đề nghị sửa chữa (ghi rõ nội dung, giá trị cũ, giá trị mới, lí do) "
    "trình Hiệu trưởng phê duyệt; việc sửa được thực hiện với sự chứng kiến của đại diện Ban giám hiệu "
    "và Ban quản trị."
)

# Which books each kind of entry appears in: a write is refused when any of them is locked.
BOOKS_OF: dict[str, tuple[Book, ...]] = {
    "mark": (Book.MARK_BOOK,),
    "attendance": (Book.MARK_BOOK,),
    "subject_comment": (Book.MARK_BOOK, Book.TRANSCRIPTS),
    "conduct": (Book.MARK_BOOK, Book.TRANSCRIPTS),
    "homeroom_comment": (Book.TRANSCRIPTS,),
    "result": (Book.MARK_BOOK, Book.TRANSCRIPTS),
}


def _state(d: LockDecision) -> dict[str, object]:
    return {"book": d.book, "locks": d.locks, "school_year_id": d.school_year_id, "term_id": d.term_id,
            "class_id": d.class_id, "decision_ref": d.decision_ref, "decided_by_id": d.decided_by_id,
            "decided_on": d.decided_on, "executed_by_id": d.executed_by_id, "executed_at": d.executed_at,
            "note": d.note}


def scope_text(session: Session, decision: LockDecision) -> str:
    """"Sổ gọi tên và ghi điểm lớp 9A1, Học kì I năm học 2025-2026" (or "toàn trường", "cả năm")."""
    year = session.get(SchoolYear, decision.school_year_id)
    term = session.get(Term, decision.term_id) if decision.term_id else None
    klass = session.get(Class, decision.class_id) if decision.class_id else None
    who = f"lớp {klass.name}" if klass else "toàn trường"
    when = f"{term.name} năm học {year.name}" if term and year else f"cả năm học {year.name if year else ''}"
    return f"{Book(decision.book).label_vi} {who}, {when}"


def decide(session: Session, actor: Actor, *, book: Book, school_year: SchoolYear, lock: bool,
           decision_ref: str, term: Term | None = None, klass: Class | None = None,
           decided_on: dt.date | None = None, note: str | None = None) -> LockDecision:
    """The principal decides to lock (``lock=True``) or open a book; it applies once executed."""
    decision = LockDecision(
        school_id=school_year.school_id, school_year_id=school_year.id, term_id=term.id if term else None,
        class_id=klass.id if klass else None, book=book, locks=lock, decision_ref=decision_ref.strip(),
        decided_by_id=actor.user_id, decided_on=_today(decided_on), note=note,
    )
    require(session, actor, Action.LOCK_DECIDE, decision)
    if not decision.decision_ref:
        raise ValidationError("Cần ghi số, ngày của quyết định khóa / mở sổ.", "decision reference required")
    if term is not None and term.school_year_id != school_year.id:
        raise ValidationError("Học kì không thuộc năm học đã chọn.", "term of another school year")
    if klass is not None:
        grade = session.get(Grade, klass.grade_id)
        if grade is None or grade.school_year_id != school_year.id:
            raise ValidationError(f"Lớp {klass.name} không thuộc năm học đã chọn.", "class of another year")
    session.add(decision)
    session.flush()
    audit.append(session, actor, "decide_lock" if lock else "decide_open", "lock_decision", decision.id,
                 None, _state(decision), school_id=decision.school_id, reason=decision.decision_ref)
    return decision


def execute(session: Session, actor: Actor, decision: LockDecision | int) -> LockDecision:
    """The administrator executes the principal's decision: from now on the scope is locked / open."""
    if isinstance(decision, int):
        found = session.get(LockDecision, decision)
        if found is None:
            raise NotFoundError(f"Không có quyết định khóa / mở sổ số {decision}.", f"no lock decision {decision}")
        decision = found
    require(session, actor, Action.LOCK_EXECUTE, decision)
    if decision.executed_at is not None:
        raise ConflictError(f"Quyết định {decision.decision_ref} đã được thực hiện.",
                            f"lock decision {decision.id} already executed")
    before = _state(decision)
    decision.executed_by_id = actor.user_id
    decision.executed_at = utcnow()
    session.flush()
    audit.append(session, actor, "lock" if decision.locks else "open", "lock_decision", decision.id, before,
                 _state(decision), school_id=decision.school_id, reason=decision.decision_ref)
    audit.seal_automatically(session, decision.school_id, "lock")  # a lock is a moment the trail must keep
    return decision


@dataclass(frozen=True)
class LockState:
    """Whether a book is locked for a class and term, and by which executed decision."""

    book: Book
    locked: bool
    decision: LockDecision | None


_DECISIONS = LockDecision.__table__.c  # type: ignore[attr-defined]
_COVERING_YEAR_PROBE = (select(_DECISIONS.id)
                        .where(_DECISIONS.book == bindparam("probe_book"),
                               _DECISIONS.school_year_id == bindparam("probe_year"),
                               _DECISIONS.executed_at.is_not(None),
                               or_(_DECISIONS.class_id.is_(None), _DECISIONS.class_id == bindparam("probe_class")),
                               _DECISIONS.term_id.is_(None)).limit(1))
_COVERING_PROBE = (select(_DECISIONS.id)
                   .where(_DECISIONS.book == bindparam("probe_book"),
                          _DECISIONS.school_year_id == bindparam("probe_year"),
                          _DECISIONS.executed_at.is_not(None),
                          or_(_DECISIONS.class_id.is_(None), _DECISIONS.class_id == bindparam("probe_class")),
                          or_(_DECISIONS.term_id.is_(None), _DECISIONS.term_id == bindparam("probe_term"))).limit(1))


def _covering(session: Session, book: Book, class_id: int, term_id: int | None,
              school_year_id: int) -> list[LockDecision]:
    """Executed decisions of every scope covering the class and term, newest first."""
    # Most writes meet no executed decision covering them (the term is under way): a plain Core probe with
    # the same conditions answers that without the ORM.
    autoflush(session)
    probe = _COVERING_PROBE if term_id is not None else _COVERING_YEAR_PROBE
    executed = session.connection().execute(probe, {"probe_book": book, "probe_year": school_year_id,
                                                    "probe_class": class_id, "probe_term": term_id}).first()
    if executed is None:
        return []
    query = (select(LockDecision)
             .where(LockDecision.book == book, LockDecision.school_year_id == school_year_id,
                    LockDecision.executed_at.is_not(None),
                    or_(LockDecision.class_id.is_(None), LockDecision.class_id == class_id),
                    or_(LockDecision.term_id.is_(None), LockDecision.term_id == term_id)
                    if term_id is not None else LockDecision.term_id.is_(None))
             .order_by(LockDecision.executed_at.desc(), LockDecision.id.desc()))
    return list(session.scalars(query))


def lock_state(session: Session, book: Book, class_id: int, term_id: int | None) -> LockState:
    """The state of a book for a class in a term (``term_id=None``: the year as a whole)."""
    klass = session.get(Class, class_id)
    if klass is None:
        raise NotFoundError("Không tìm thấy lớp.", f"class {class_id} not found")
    grade = session.get(Grade, klass.grade_id)
    assert grade is not None
    latest: dict[tuple[int | None, int | None], LockDecision] = {}
    for decision in _covering(session, book, class_id, term_id, grade.school_year_id):
        latest.setdefault((decision.class_id, decision.term_id), decision)
    locking = [d for d in latest.values() if d.locks]
    if locking:
        return LockState(book, True, max(locking, key=lambda d: (d.executed_at, d.id)))
    return LockState(book, False, None)


def ensure_open(session: Session, entry_kind: str, class_id: int, term_id: int | None,
                books: Iterable[Book] | None = None) -> None:
    """Raise ``BookLockedError`` (who locked it, under which decision, how to correct) if a book is locked."""
    for book in books if books is not None else BOOKS_OF[entry_kind]:
        state = lock_state(session, book, class_id, term_id)
        if state.locked and state.decision is not None:
            d = state.decision
            decided_by = session.get(User, d.decided_by_id)
            executed_by = session.get(User, d.executed_by_id) if d.executed_by_id else None
            executed_at = vn_time(d.executed_at, "%H:%M %d/%m/%Y") if d.executed_at else None
            raise BookLockedError(
                f"{scope_text(session, d)} đã khóa theo {d.decision_ref} của "
                f"{decided_by.full_name if decided_by else 'Hiệu trưởng'} ngày {d.decided_on:%d/%m/%Y}"
                + (f", do {executed_by.full_name} thực hiện lúc {executed_at}"
                   if executed_by and executed_at else "")
                + f". {HOW_TO_CORRECT_VI}",
                f"{book.value} locked for class {class_id} term {term_id} by decision {d.id} ({d.decision_ref})",
            )


def ensure_before_cutoff(session: Session, school_year_id: int, today: dt.date | None = None) -> None:
    """Raise ``CutoffPassedError`` when today is after the school year's mark cut-off."""
    year = session.get(SchoolYear, school_year_id)
    if year is None:
        raise NotFoundError("Không tìm thấy năm học.", f"school year {school_year_id} not found")
    day = _today(today)
    if day > year.mark_cutoff:
        raise CutoffPassedError(
            f"Đã qua hạn chót sửa điểm của năm học {year.name} (ngày {year.mark_cutoff:%d/%m/%Y}): "
            f"không ai được thay đổi điểm sau ngày này, trừ khi có đơn đề nghị sửa chữa được Hiệu trưởng "
            f"phê duyệt. {HOW_TO_CORRECT_VI}",
            f"mark cut-off {year.mark_cutoff} of school year {year.id} has passed (today {day})",
        )


def decisions(session: Session, school_year: SchoolYear) -> list[LockDecision]:
    """Every lock decision of a school year, in order (for the register of decisions)."""
    return list(session.scalars(select(LockDecision).where(LockDecision.school_year_id == school_year.id)
                                .order_by(LockDecision.decided_at, LockDecision.id)))
