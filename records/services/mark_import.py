"""Entering a whole sheet of new marks at once: the first save of a teacher's columns, or a spreadsheet import.

Same rules as ``records.services.marks.save_marks`` (the subject teacher of the assignment, in the
current term, before the cut-off, book open; values and columns checked by the same helpers; one
trace entry per mark), but only for marks that do not exist yet — to change or remove marks use
``save_marks``. It exists for speed: the marks are inserted in one statement without RETURNING
(which SQLite can only do row by row when the order must be kept) and their ids read back by their
natural key, so a sheet of 300 marks costs a handful of statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from records import audit
from records.audit import AuditRecord
from records.errors import ConflictError, NotFoundError, ValidationError
from records.models import Class, Enrolment, Grade, Mark, MarkKind, Subject, TeachingAssignment
from records.permissions import Action, Actor, require
from records.services import locks
from records.services.marks import MarkInput, MarkKey, SaveResult, check_kind, mark_state, parse_value

__all__ = ["import_sheet"]


def import_sheet(session: Session, actor: Actor, assignment: TeachingAssignment | int, inputs: Iterable[MarkInput],
                 *, today: dt.date | None = None, reason: str | None = None) -> SaveResult:
    """Enter new marks of one teaching assignment (refused if any of them already exists)."""
    ta = assignment if isinstance(assignment, TeachingAssignment) else session.get(TeachingAssignment, assignment)
    if ta is None:
        raise NotFoundError("Không tìm thấy phân công giảng dạy.", f"teaching assignment {assignment} not found")
    require(session, actor, Action.MARKS_WRITE, ta, today=today)
    klass = session.get(Class, ta.class_id)
    assert klass is not None
    grade = session.get(Grade, klass.grade_id)
    assert grade is not None
    locks.ensure_before_cutoff(session, grade.school_year_id, today)
    locks.ensure_open(session, "mark", ta.class_id, ta.term_id)
    subject = session.get(Subject, ta.subject_id)
    assert subject is not None
    kinds: dict[tuple[str, int], MarkKind] = {}
    rows: list[dict[str, Any]] = []
    seen: set[tuple[int, MarkKind, int]] = set()
    for item in inputs:
        kind = kinds.get((item.kind, item.slot))
        if kind is None:
            kind = kinds[(item.kind, item.slot)] = check_kind(grade.regime, item.kind, item.slot)
        key = (item.enrolment_id, kind, item.slot)
        if key in seen:
            raise ValidationError("Một cột điểm của học sinh được nhập hai lần.", f"duplicate mark {key}")
        seen.add(key)
        value = parse_value(subject, item.value)
        if value is None:
            continue
        rows.append({"enrolment_id": item.enrolment_id, "subject_id": ta.subject_id, "term_id": ta.term_id,
                     "kind": kind, "slot": item.slot, "score": value if isinstance(value, Decimal) else None,
                     "grade": value if isinstance(value, str) else None, "assessed_on": item.assessed_on,
                     "entered_by_id": actor.user_id})
    if not rows:
        return SaveResult()
    enrolment_ids = list({r["enrolment_id"] for r in rows})
    on_roll = set(session.scalars(select(Enrolment.id).where(Enrolment.class_id == ta.class_id,
                                                             Enrolment.id.in_(enrolment_ids))))
    if set(enrolment_ids) - on_roll:
        raise ValidationError(f"Có học sinh không thuộc lớp {klass.name}.",
                              f"enrolments {sorted(set(enrolment_ids) - on_roll)} not in class {klass.id}")
    wanted = {(r["enrolment_id"], r["kind"], r["slot"]) for r in rows}

    table = cast(Table, Mark.__table__)
    query = select(table.c.id, table.c.enrolment_id, table.c.kind, table.c.slot).where(
        table.c.enrolment_id.in_(enrolment_ids), table.c.subject_id == ta.subject_id, table.c.term_id == ta.term_id)

    def stored() -> dict[tuple[int, MarkKind, int], int]:
        return {(e, k, s): i for i, e, k, s in session.execute(query)}

    clash = wanted & set(stored())
    if clash:
        raise ConflictError(f"Đã có {len(clash)} điểm trong các cột này; sửa điểm đã nhập bằng chức năng sửa điểm.",
                            f"{len(clash)} marks already exist for assignment {ta.id}")
    session.execute(insert(table), rows)  # Core: no ORM bookkeeping for rows we do not load
    ids = stored()
    audit.append_many(session, actor, [
        AuditRecord("create", "mark", ids[(r["enrolment_id"], r["kind"], r["slot"])], None,
                    mark_state(MarkKey(r["enrolment_id"], ta.subject_id, ta.term_id, r["kind"], r["slot"]),
                               r["score"] if r["score"] is not None else r["grade"], r["assessed_on"]),
                    klass.school_id, reason)
        for r in rows
    ])
    return SaveResult(created=len(rows))
