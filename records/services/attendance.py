"""Attendance (kiểm diện): absences recorded by the homeroom teacher of the class (CV §2.2.2 c)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records import audit
from records.audit import AuditRecord
from records.db import insert_rows
from records.errors import NotFoundError, ValidationError
from records.models import Attendance, Class, Enrolment, Grade, SchoolYear, Term
from records.permissions import Action, Actor, require
from records.services import locks, versions
from records.services.marks import SaveResult
from records.services.sheets import clean_text


@dataclass(frozen=True)
class Absence:
    """An absence to record (``present=True`` clears a recorded absence of that day)."""

    enrolment_id: int
    day: dt.date
    excused: bool = False
    reason: str | None = None
    present: bool = False


def _state(a: Attendance) -> dict[str, object]:
    return {"enrolment_id": a.enrolment_id, "day": a.day, "excused": a.excused, "reason": a.reason}


def save_absences(session: Session, actor: Actor, klass: Class, absences: Iterable[Absence], *,
                  today: dt.date | None = None, expected_version: int | None = None) -> SaveResult:
    """Record (or clear) absences of students of a class; refused when the mark book of the term is locked.

    The sheet is a class's month (``versions.attendance_sheet``); ``expected_version`` (a save of one
    month) is the version the writer read, and a stale save raises ``StaleSheetError``.
    """
    require(session, actor, Action.ATTENDANCE_WRITE, klass, today=today)
    grade = session.get(Grade, klass.grade_id)
    year = session.get(SchoolYear, grade.school_year_id) if grade else None
    if year is None:
        raise NotFoundError("Không tìm thấy năm học của lớp.", f"class {klass.id} has no school year")
    terms = list(session.scalars(select(Term).where(Term.school_year_id == year.id)))
    items = [a if a.reason is None else dataclasses.replace(a, reason=clean_text(a.reason, "Lý do nghỉ") or None)
             for a in absences]
    if not items:
        return SaveResult()
    version = versions.claim(session, {versions.attendance_sheet(klass.id, a.day) for a in items},
                             school_id=klass.school_id, expected_version=expected_version)
    ids = {a.enrolment_id for a in items}
    on_roll = set(session.scalars(select(Enrolment.id).where(Enrolment.class_id == klass.id,
                                                             Enrolment.id.in_(ids))))
    if ids - on_roll:
        raise ValidationError(f"Có học sinh không thuộc lớp {klass.name}.", "enrolments not in the class")
    checked: set[int] = set()
    for item in items:
        term = next((t for t in terms if t.starts_on <= item.day <= t.ends_on), None)
        if term is None:
            raise ValidationError(f"Ngày {item.day:%d/%m/%Y} không thuộc học kì nào của năm học {year.name}.",
                                  f"{item.day} outside the terms of year {year.id}")
        if term.id not in checked:
            locks.ensure_open(session, "attendance", klass.id, term.id)
            checked.add(term.id)
    existing = {(a.enrolment_id, a.day): a for a in session.scalars(select(Attendance).where(
        Attendance.enrolment_id.in_(ids), Attendance.day.in_({a.day for a in items})))}
    # Distinct (student, day) items, the usual sheet: new absences go in one bulk insert, not as ORM rows.
    # A save naming a day twice takes the ORM path (its second item sees the first's pending row).
    bulk = len({(a.enrolment_id, a.day) for a in items}) == len(items)
    records: list[AuditRecord] = []
    new: list[Attendance] = []
    new_rows: list[tuple[int, dt.date, bool, str | None, int | None]] = []
    created = updated = deleted = unchanged = 0
    for item in items:
        current = existing.get((item.enrolment_id, item.day))
        if item.present:
            if current is None:
                unchanged += 1
                continue
            records.append(AuditRecord("delete", "attendance", current.id, _state(current), None, klass.school_id))
            session.delete(current)
            existing.pop((item.enrolment_id, item.day))
            deleted += 1
        elif current is None and bulk:
            new_rows.append((item.enrolment_id, item.day, item.excused, item.reason, actor.user_id))
            created += 1
        elif current is None:
            current = Attendance(enrolment_id=item.enrolment_id, day=item.day, excused=item.excused,
                                 reason=item.reason, recorded_by_id=actor.user_id)
            session.add(current)
            existing[(item.enrolment_id, item.day)] = current
            new.append(current)
            created += 1
        elif (current.excused, current.reason) != (item.excused, item.reason):
            before = _state(current)
            current.excused, current.reason, current.recorded_by_id = item.excused, item.reason, actor.user_id
            records.append(AuditRecord("update", "attendance", current.id, before, _state(current), klass.school_id))
            updated += 1
        else:
            unchanged += 1
    session.flush()  # one flush for the whole sheet: new ORM rows get their ids here
    records.extend(AuditRecord("create", "attendance", a.id, None, _state(a), klass.school_id) for a in new)
    if new_rows:
        records.extend(_insert_absences(session, new_rows, klass.school_id))
    audit.append_many(session, actor, records)
    return SaveResult(created, updated, deleted, unchanged, version)


_ATTENDANCE_COLUMNS = ("enrolment_id", "day", "excused", "reason", "recorded_by_id")


def _insert_absences(session: Session, rows: list[tuple[int, dt.date, bool, str | None, int | None]],
                     school_id: int) -> list[AuditRecord]:
    """Insert new absences (distinct student and day) in one statement; their traces, ids read back in order."""
    table = Attendance.__table__
    connection = session.connection()
    insert_rows(connection, table, _ATTENDANCE_COLUMNS, rows)  # type: ignore[arg-type]
    ids = {(e, d): i for i, e, d in connection.execute(
        select(table.c.id, table.c.enrolment_id, table.c.day).where(  # type: ignore[attr-defined]
            table.c.enrolment_id.in_({row[0] for row in rows}),  # type: ignore[attr-defined]
            table.c.day.in_({row[1] for row in rows})))}  # type: ignore[attr-defined]
    return [AuditRecord("create", "attendance", ids[(e, d)], None,
                        {"enrolment_id": e, "day": d, "excused": excused, "reason": reason}, school_id)
            for e, d, excused, reason, _by in rows]
