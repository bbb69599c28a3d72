"""Marks and subject comments, written by the subject teacher of the assignment (CV §2.2.2 d).

Every write: rights first (own assignment, current term), then the cut-off (marks only) and the
locks, then the change and its trace, in the caller's transaction. A mark changes after its book is
locked or after the cut-off only through ``records.services.corrections``.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, String, Table, bindparam, func, select, type_coerce
from sqlalchemy.orm import Session

from records import audit
from records.audit import AuditRecord
from records.db import insert_rows
from records.errors import NotFoundError, ValidationError
from records.models import (
    Assessment,
    Class,
    Enrolment,
    Grade,
    Mark,
    MarkKind,
    Period,
    Subject,
    SubjectComment,
    TeachingAssignment,
    Term,
)
from records.models.base import utcnow
from records.permissions import Action, Actor, require
from records.rules import parse_comment, parse_mark
from records.services import locks, versions
from records.services.limits import SUBJECT_COMMENT_MAX, check_length

# Kinds of marks each regime records (REGULATIONS.md §1.2, §1.3, §2.2).
KINDS_OF_REGIME: dict[str, frozenset[MarkKind]] = {
    "tt58": frozenset({MarkKind.REGULAR, MarkKind.PERIODIC, MarkKind.FINAL}),
    "tt26": frozenset({MarkKind.REGULAR, MarkKind.MIDTERM, MarkKind.FINAL}),
    "tt22": frozenset({MarkKind.REGULAR, MarkKind.MIDTERM, MarkKind.FINAL}),
}
SINGLE_KINDS = frozenset({MarkKind.MIDTERM, MarkKind.FINAL})
# The most columns of a kind the printed form holds (BOOKS.md §1: TT58 numbers its coefficient-1
# columns 1–7 and its coefficient-2 columns 1–9; TT22/TT26 require at most 4 regular marks, the form
# keeps room for 7). A slot beyond is refused: it could never be printed (docs/GOVERNANCE.md §4 Bounds).
MAX_SLOTS: dict[MarkKind, int] = {MarkKind.REGULAR: 7, MarkKind.PERIODIC: 9, MarkKind.MIDTERM: 1,
                                  MarkKind.FINAL: 1}

MarkValue = Decimal | str | int | None


@dataclass(frozen=True)
class MarkInput:
    """One mark to save: ``value`` None removes the mark of that column."""

    enrolment_id: int
    kind: MarkKind
    slot: int
    value: MarkValue
    assessed_on: dt.date | None = None


@dataclass(frozen=True)
class SaveResult:
    """What a save changed."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    version: int = field(default=0, compare=False)  # the sheet's version after the save: present it next time


@dataclass(frozen=True)
class MarkKey:
    """The natural key of a mark: one column (kind, slot) of a student in a subject and term."""

    enrolment_id: int
    subject_id: int
    term_id: int
    kind: MarkKind
    slot: int


def mark_state(key: MarkKey, value: Decimal | str | None, assessed_on: dt.date | None = None) -> dict[str, Any]:
    """The traced state of a mark."""
    return {"enrolment_id": key.enrolment_id, "subject_id": key.subject_id, "term_id": key.term_id,
            "kind": MarkKind(key.kind).value, "slot": key.slot,
            "value": None if value is None else str(value), "assessed_on": assessed_on}


def _assignment(session: Session, assignment: TeachingAssignment | int) -> TeachingAssignment:
    if isinstance(assignment, TeachingAssignment):
        return assignment
    found = session.get(TeachingAssignment, assignment)
    if found is None:
        raise NotFoundError("Không tìm thấy phân công giảng dạy.", f"teaching assignment {assignment} not found")
    return found


def _class_context(session: Session, class_id: int) -> tuple[Class, Grade]:
    klass = session.get(Class, class_id)
    if klass is None:
        raise NotFoundError("Không tìm thấy lớp.", f"class {class_id} not found")
    grade = session.get(Grade, klass.grade_id)
    assert grade is not None
    return klass, grade


def parse_value(subject: Subject, value: MarkValue) -> Decimal | str | None:
    """A score (Decimal, 0–10, one decimal) for a scored subject, "Đ"/"CĐ" for a comment subject."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if subject.assessment is Assessment.COMMENT:
        return parse_comment(value)
    return parse_mark(value, f"Điểm môn {subject.name}", f"mark of {subject.code}")


def check_kind(regime: str, kind: MarkKind | str, slot: int) -> MarkKind:
    """The kind, if the regime records it and the slot is possible."""
    kind = MarkKind(kind)
    if kind not in KINDS_OF_REGIME.get(regime, frozenset(MarkKind)):
        raise ValidationError(f"Loại điểm “{kind.value}” không có trong quy chế {regime.upper()}.",
                              f"mark kind {kind.value} not used by {regime}")
    if not isinstance(slot, int) or slot < 1 or slot > MAX_SLOTS[kind]:
        raise ValidationError(f"Cột điểm {kind.value}{slot} không hợp lệ (sổ có {MAX_SLOTS[kind]} cột loại này).",
                              f"invalid slot {slot} for {kind.value} (max {MAX_SLOTS[kind]})")
    return kind


def _mark_value(mark: Mark) -> Decimal | str | None:
    return mark.score if mark.score is not None else mark.grade


def _set_value(mark: Mark, value: Decimal | str) -> None:
    if isinstance(value, Decimal):
        mark.score, mark.grade = value, None
    else:
        mark.score, mark.grade = None, value


_MARK_COLUMNS = ("enrolment_id", "subject_id", "term_id", "kind", "slot", "score", "grade",
                 "assessed_on", "entered_by_id", "entered_at")


# Built once (their compiled form and cache key are reused by every save): the sheet's queries.
_ENROLMENTS = cast(Table, Enrolment.__table__).c
_ON_ROLL = select(_ENROLMENTS.id).where(_ENROLMENTS.class_id == bindparam("class_id"),
                                        _ENROLMENTS.id.in_(bindparam("enrolment_ids", expanding=True)))
_MARKS = cast(Table, Mark.__table__)


def save_marks(session: Session, actor: Actor, assignment: TeachingAssignment | int, inputs: Iterable[MarkInput],
               *, today: dt.date | None = None, reason: str | None = None,
               expected_version: int | None = None) -> SaveResult:
    """Save marks of one teaching assignment (a column, a sheet): create, change or remove, traced.

    ``expected_version``: the sheet's version the writer read (``versions.version_of``); a save made
    stale by another writer raises ``StaleSheetError`` and changes nothing. One sheet of
    :func:`save_mark_sheets` (one code path for the web, the import and the demo).
    """
    return save_mark_sheets(session, [MarkSheet(actor, assignment, inputs, expected_version)],
                            today=today, reason=reason)[0]


@dataclass(frozen=True)
class MarkSheet:
    """One teacher's save of one teaching assignment's sheet, in a batch (``save_mark_sheets``)."""

    actor: Actor
    assignment: TeachingAssignment | int
    inputs: Iterable[MarkInput]
    expected_version: int | None = None


_EXISTING_MANY = select(Mark).where(_MARKS.c.enrolment_id.in_(bindparam("enrolment_ids", expanding=True)),
                                    _MARKS.c.subject_id.in_(bindparam("subject_ids", expanding=True)),
                                    _MARKS.c.term_id == bindparam("term_id"))
_ANY_STORED_MANY = (select(_MARKS.c.id).where(_MARKS.c.enrolment_id.in_(bindparam("enrolment_ids", expanding=True)),
                                              _MARKS.c.subject_id.in_(bindparam("subject_ids", expanding=True)),
                                              _MARKS.c.term_id == bindparam("term_id")).limit(1))
_NEW_IDS_MANY = (select(_MARKS.c.id, _MARKS.c.enrolment_id, _MARKS.c.subject_id, type_coerce(_MARKS.c.kind, String),
                        _MARKS.c.slot)
                 .where(_MARKS.c.enrolment_id.in_(bindparam("enrolment_ids", expanding=True)),
                        _MARKS.c.subject_id.in_(bindparam("subject_ids", expanding=True)),
                        _MARKS.c.term_id == bindparam("term_id"), _MARKS.c.id > bindparam("after_id")))
_LAST_ID = select(func.max(_MARKS.c.id))


def save_mark_sheets(session: Session, sheets: Iterable[MarkSheet], *, today: dt.date | None = None,
                     reason: str | None = None) -> list[SaveResult]:
    """Save the mark sheets of several teaching assignments of ONE class and term in one call.

    The same checks, changes and trail as ``save_marks`` called for each sheet in turn (the results in
    the order given), all or nothing: every sheet's rights (its actor, its assignment), the versions
    (a sheet's ``expected_version`` against the version at its turn), the cut-off and the locks are
    checked before anything is written; then one read of the stored marks, one insert of the new ones
    and one append of the trail (each sheet's entries under its actor, sheet after sheet). Two sheets of
    the same subject (a shared subject) may not both write the same column of a student.

    The cyclic garbage collector is paused for the call: a class's sheets keep thousands of inputs, states
    and rows alive at once, and the collections they would trigger (each walking every object the
    session holds) cost more than the save itself (measured: bench/README.md, "Mark sheets of a class").
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _save_mark_sheets(session, list(sheets), today=today, reason=reason)
    finally:
        if paused:
            gc.enable()


def _save_mark_sheets(session: Session, sheets: list[MarkSheet], *, today: dt.date | None,
                      reason: str | None) -> list[SaveResult]:
    if not sheets:
        return []
    tas = [_assignment(session, sheet.assignment) for sheet in sheets]
    for sheet, ta in zip(sheets, tas, strict=True):
        require(session, sheet.actor, Action.MARKS_WRITE, ta, today=today)
    first = tas[0]
    if any(ta.class_id != first.class_id or ta.term_id != first.term_id for ta in tas):
        raise ValidationError("Chỉ lưu cùng lúc các bảng điểm của một lớp trong một học kì.",
                              "mark sheets of several classes or terms in one batch")
    class_id, term_id = first.class_id, first.term_id
    klass, grade = _class_context(session, class_id)
    school_id = klass.school_id
    versions_after = versions.claim_many(session, [(versions.mark_sheet(ta), sheet.expected_version)
                                                   for sheet, ta in zip(sheets, tas, strict=True)],
                                         school_id=school_id)
    locks.ensure_before_cutoff(session, grade.school_year_id, today)
    locks.ensure_open(session, "mark", class_id, term_id)
    columns: dict[tuple[Any, Any], MarkKind] = {}  # (kind, slot) as given -> checked kind
    wanted_of: list[dict[tuple[int, MarkKind, int], tuple[Decimal | str | None, dt.date | None]]] = []
    owner: dict[tuple[int, int, MarkKind, int], int] = {}  # (enrolment, subject, kind, slot) -> sheet index
    for index, (sheet, ta) in enumerate(zip(sheets, tas, strict=True)):
        subject = session.get(Subject, ta.subject_id)
        assert subject is not None
        parsed: dict[tuple[type, Any], Decimal | str | None] = {}
        wanted: dict[tuple[int, MarkKind, int], tuple[Decimal | str | None, dt.date | None]] = {}
        for item in sheet.inputs:
            slot = item.slot
            kind = columns.get((item.kind, slot))  # type: ignore[assignment]
            if kind is None:
                kind = columns[(item.kind, slot)] = check_kind(grade.regime, item.kind, slot)
            raw = item.value
            try:
                value = parsed[(raw.__class__, raw)]
            except KeyError:
                value = parsed[(raw.__class__, raw)] = parse_value(subject, raw)
            except TypeError:  # unhashable: parse_value names the bad value
                value = parse_value(subject, raw)
            wanted[(item.enrolment_id, kind, slot)] = (value, item.assessed_on)
        for enrolment_id, kind, slot in wanted:
            if owner.setdefault((enrolment_id, ta.subject_id, kind, slot), index) != index:
                raise ValidationError(f"Cột điểm {kind.value}{slot} của một học sinh được lưu hai lần trong cùng một lượt.",
                                      f"column {kind.value}{slot} of enrolment {enrolment_id}, subject "
                                      f"{ta.subject_id} in two sheets of one batch")
        wanted_of.append(wanted)
    if not owner:
        return [SaveResult(version=version) for version in versions_after]
    enrolment_ids = list({key[0] for key in owner})
    subject_ids = list({ta.subject_id for ta in tas})
    on_roll = set(session.scalars(_ON_ROLL, {"class_id": class_id, "enrolment_ids": enrolment_ids}))
    if set(enrolment_ids) - on_roll:
        raise ValidationError(f"Có học sinh không thuộc lớp {klass.name}.",
                              f"enrolments {sorted(set(enrolment_ids) - on_roll)} not in class {klass.id}")
    batch = {"enrolment_ids": enrolment_ids, "subject_ids": subject_ids, "term_id": term_id}
    stored = session.execute(_ANY_STORED_MANY, batch).first() is not None
    existing = {(m.enrolment_id, m.subject_id, MarkKind(m.kind), m.slot): m
                for m in session.scalars(_EXISTING_MANY, batch)} if stored else {}
    entered_at = utcnow()  # the driver-level insert does not apply column defaults
    records_of: list[list[AuditRecord]] = []
    new_rows: list[tuple[Any, ...]] = []  # in _MARK_COLUMNS order, sheet after sheet
    new_of: list[tuple[int, int]] = []  # each sheet's slice of new_rows
    counts: list[tuple[int, int, int]] = []
    for sheet, ta, wanted in zip(sheets, tas, wanted_of, strict=True):
        records: list[AuditRecord] = []
        subject_id, user_id = ta.subject_id, sheet.actor.user_id
        start = len(new_rows)
        updated = deleted = unchanged = 0
        for (enrolment_id, kind, slot), (value, assessed_on) in wanted.items():
            mark = existing.get((enrolment_id, subject_id, kind, slot))
            if mark is None:
                if value is None:
                    unchanged += 1
                    continue
                scored = isinstance(value, Decimal)
                new_rows.append((enrolment_id, subject_id, term_id, kind, slot, value if scored else None,
                                 None if scored else value, assessed_on, user_id, entered_at))
                continue
            key = MarkKey(enrolment_id, subject_id, term_id, kind, slot)
            old = _mark_value(mark)
            before = mark_state(key, old, mark.assessed_on)
            if value is None:
                records.append(AuditRecord("delete", "mark", mark.id, before, None, school_id, reason))
                session.delete(mark)
                deleted += 1
            elif value != old or (assessed_on is not None and assessed_on != mark.assessed_on):
                _set_value(mark, value)
                mark.assessed_on = assessed_on or mark.assessed_on
                mark.entered_by_id = user_id
                records.append(AuditRecord("update", "mark", mark.id, before,
                                           mark_state(key, value, mark.assessed_on), school_id, reason))
                updated += 1
            else:
                unchanged += 1
        records_of.append(records)
        new_of.append((start, len(new_rows)))
        counts.append((updated, deleted, unchanged))
    session.flush()
    if new_rows:
        # One Core INSERT for the whole batch, sheet after sheet (the ids as one save after another would
        # give them); the ids read back by the natural key, only the rows above the last id before.
        connection = session.connection()
        last_id = connection.execute(_LAST_ID).scalar() or 0
        insert_rows(connection, _MARKS, _MARK_COLUMNS, new_rows)
        new_ids = _new_ids(connection, batch, last_id, new_rows)
        kind_values = {kind: MarkKind(kind).value for kind in MarkKind}
        for records, (start, end) in zip(records_of, new_of, strict=True):
            for index in range(start, end):
                enrolment_id, subject_id, _t, kind, slot, score, grade_, assessed_on, _u, _at = new_rows[index]
                state = {"enrolment_id": enrolment_id, "subject_id": subject_id, "term_id": term_id,
                         "kind": kind_values[kind], "slot": slot, "value": str(score if grade_ is None else grade_),
                         "assessed_on": assessed_on.isoformat() if assessed_on.__class__ is dt.date else assessed_on}
                records.append(AuditRecord("create", "mark", new_ids[index], None, state, school_id, reason))
    audit.append_groups(session, [(sheet.actor, records) for sheet, records in zip(sheets, records_of, strict=True)])
    return [SaveResult(end - start, updated, deleted, unchanged, version)
            for (start, end), (updated, deleted, unchanged), version in zip(new_of, counts, versions_after, strict=True)]


def _new_ids(connection: Connection, batch: dict[str, Any], last_id: int, new_rows: list[tuple[Any, ...]]) -> list[int]:
    """The ids of the marks just inserted (``new_rows``, in order), the highest id before being ``last_id``.

    SQLite gives a new row the highest id of the table plus one (the write lock is held: no other writer):
    when the highest id is now ``last_id + len(new_rows)``, the rows got ``last_id + 1``, ``last_id + 2``, …
    in the order inserted, and nothing needs reading back. Otherwise (PostgreSQL's sequences, or any
    surprise) the ids are read back by the natural key of the rows above ``last_id``.
    """
    if connection.dialect.name == "sqlite" and connection.execute(_LAST_ID).scalar() == last_id + len(new_rows):
        return list(range(last_id + 1, last_id + 1 + len(new_rows)))
    ids = {(e, subj, k, s): i for i, e, subj, k, s in connection.execute(_NEW_IDS_MANY, {**batch, "after_id": last_id})}
    return [ids[(e, subj, MarkKind(k).value, s)] for e, subj, _t, k, s, *_rest in new_rows]


def record_mark(session: Session, actor: Actor, assignment: TeachingAssignment | int, enrolment_id: int,
                kind: MarkKind, slot: int, value: MarkValue, *, assessed_on: dt.date | None = None,
                today: dt.date | None = None) -> Mark | None:
    """Save one mark (``value`` None removes it); returns the mark, or None when removed."""
    ta = _assignment(session, assignment)
    save_marks(session, actor, ta, [MarkInput(enrolment_id, kind, slot, value, assessed_on)], today=today)
    return find_mark(session, MarkKey(enrolment_id, ta.subject_id, ta.term_id, MarkKind(kind), slot))


def find_mark(session: Session, key: MarkKey) -> Mark | None:
    """The mark stored under a natural key, if any."""
    return session.scalars(select(Mark).where(
        Mark.enrolment_id == key.enrolment_id, Mark.subject_id == key.subject_id, Mark.term_id == key.term_id,
        Mark.kind == MarkKind(key.kind), Mark.slot == key.slot)).one_or_none()


def store_mark(session: Session, actor: Actor, key: MarkKey, value: Decimal | str | None, *, action: str,
               school_id: int, reason: str | None, request_id: int | None) -> tuple[Mark | None, dict[str, Any]]:
    """Write a mark and trace it WITHOUT checking rights, locks or the cut-off (corrections only).

    Returns the mark (None when removed) and the traced state before the change. The sheet's version is
    bumped, so an editor holding the sheet from before the correction must reload it.
    """
    enrolment = session.get(Enrolment, key.enrolment_id)
    if enrolment is not None:
        versions.claim(session, [f"mark:{enrolment.class_id}:{key.subject_id}:{key.term_id}"], school_id=school_id)
    mark = find_mark(session, key)
    before = mark_state(key, _mark_value(mark) if mark else None, mark.assessed_on if mark else None)
    entry_id: int
    if value is None:
        if mark is None:
            return None, before
        entry_id = mark.id
        session.delete(mark)
        session.flush()
        result = None
    else:
        if mark is None:
            mark = Mark(enrolment_id=key.enrolment_id, subject_id=key.subject_id, term_id=key.term_id,
                        kind=MarkKind(key.kind), slot=key.slot)
            session.add(mark)
        _set_value(mark, value)
        mark.entered_by_id = actor.user_id
        session.flush()
        entry_id = mark.id
        result = mark
    after = None if value is None else mark_state(key, value, result.assessed_on if result else None)
    audit.append(session, actor, action, "mark", entry_id, before, after, school_id=school_id, reason=reason,
                 request_id=request_id)
    return result, before


# --- subject comments -------------------------------------------------------------------------


def _period_term(session: Session, period: Period, term: Term) -> None:
    number = 1 if period is Period.TERM1 else 2
    if term.number != number:
        raise ValidationError(f"Nhận xét {period.label_vi} được ghi trong học kì {'I' if number == 1 else 'II'}.",
                              f"period {period.value} belongs to term {number}")


def save_comments(session: Session, actor: Actor, assignment: TeachingAssignment | int, period: Period,
                  comments: Mapping[int, str | None], *, today: dt.date | None = None,
                  expected_version: int | None = None) -> SaveResult:
    """Save the subject teacher's comments (TT22 nhận xét) for a period; None or "" removes one.

    ``expected_version`` as in ``save_marks``.
    """
    ta = _assignment(session, assignment)
    period = Period(period)
    require(session, actor, Action.COMMENTS_WRITE, ta, today=today)
    for raw in comments.values():
        check_length("comment", " ".join((raw or "").split()), SUBJECT_COMMENT_MAX, label_vi="Nhận xét môn học")
    klass, _grade = _class_context(session, ta.class_id)
    term = session.get(Term, ta.term_id)
    assert term is not None
    _period_term(session, period, term)
    version = versions.claim(session, [versions.subject_comment_sheet(ta, period)], school_id=klass.school_id,
                             expected_version=expected_version)
    locks.ensure_open(session, "subject_comment", ta.class_id, ta.term_id)
    on_roll = set(session.scalars(select(Enrolment.id).where(Enrolment.class_id == ta.class_id,
                                                             Enrolment.id.in_(list(comments)))))
    if set(comments) - on_roll:
        raise ValidationError(f"Có học sinh không thuộc lớp {klass.name}.", "enrolments not in the class")
    existing = {c.enrolment_id: c for c in session.scalars(select(SubjectComment).where(
        SubjectComment.enrolment_id.in_(list(comments)), SubjectComment.subject_id == ta.subject_id,
        SubjectComment.period == period))}
    from records.services.sheets import clean_text, save_values  # sheets builds on this module's SaveResult

    def touch(row: SubjectComment) -> None:
        row.teacher_id = actor.user_id

    return save_values(
        session, actor, entity="subject_comment", field="text", existing=existing,
        wanted={e: clean_text(raw) for e, raw in comments.items()},
        make=lambda e, text: SubjectComment(enrolment_id=e, subject_id=ta.subject_id, period=period, text=text,
                                            teacher_id=actor.user_id),
        touch=touch, key=lambda e: {"enrolment_id": e, "subject_id": ta.subject_id, "period": period.value},
        school_id=klass.school_id, version=version)
