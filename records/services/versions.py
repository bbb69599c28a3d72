"""Optimistic concurrency of editable sheets: read a sheet's version, present it when saving.

A sheet is what one person edits on one screen: the marks of a class in a subject and term, the
subject comments of a class for a period, the attendance of a class for a month, the conduct or the
homeroom comments of a class for a period. Every save bumps the sheet's version (``sheet_version``)
in its own transaction; a save that presents ``expected_version`` is refused with
``StaleSheetError`` when the stored version differs (someone saved in between) and writes nothing.

Locks: ``claim`` takes the school's audit-chain lock first (every writer takes it anyway to append
its trace), then the sheet rows in sorted order, so concurrent writers queue and never deadlock.
Under it, PostgreSQL's READ COMMITTED statements see the previous writer's committed rows: no lost
update and no duplicate-key race on a sheet's first rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from records import audit
from records.errors import StaleSheetError, ValidationError
from records.models import Period, SheetVersion, TeachingAssignment, utcnow


def mark_sheet(assignment: TeachingAssignment) -> str:
    """The sheet of the marks of a teaching assignment (class, subject, term)."""
    return f"mark:{assignment.class_id}:{assignment.subject_id}:{assignment.term_id}"


def subject_comment_sheet(assignment: TeachingAssignment, period: Period | str) -> str:
    """The sheet of the subject teacher's comments of a class for a period."""
    return f"subject_comment:{assignment.class_id}:{assignment.subject_id}:{Period(period).value}"


def attendance_sheet(class_id: int, day: dt.date) -> str:
    """The attendance sheet of a class for the month of ``day``."""
    return f"attendance:{class_id}:{day:%Y-%m}"


def conduct_sheet(class_id: int, period: Period | str) -> str:
    """The conduct (training results) sheet of a class for a period."""
    return f"conduct:{class_id}:{Period(period).value}"


def homeroom_comment_sheet(class_id: int, period: Period | str) -> str:
    """The homeroom teacher's comments of a class for a period."""
    return f"homeroom_comment:{class_id}:{Period(period).value}"


def version_of(session: Session, sheet: str) -> int:
    """The current version of a sheet (0: never saved)."""
    return session.scalar(select(SheetVersion.version).where(SheetVersion.sheet == sheet)) or 0


def claim(session: Session, sheets: Iterable[str], *, school_id: int | None,
          expected_version: int | None = None) -> int:
    """Lock the sheets for this transaction and bump their versions; returns the new version of the last.

    With ``expected_version`` (only for a single sheet) the save is refused unless the stored version
    equals it. Call before reading what the save compares against.
    """
    names = sorted(set(sheets))
    if expected_version is not None and len(names) != 1:
        raise ValidationError("Mỗi lần lưu chỉ được một bảng (ví dụ: điểm danh của một tháng).",
                              f"expected_version given for {len(names)} sheets")
    audit.lock_chain(session, audit.chain_of(school_id))
    connection = session.connection()
    now = utcnow()
    new = 0
    for name in names:
        current = connection.execute(_SELECT, {"v_sheet": name}).scalar()
        if expected_version is not None and (current or 0) != expected_version:
            raise StaleSheetError(name, expected_version, current or 0)
        new = (current or 0) + 1
        connection.execute(_INSERT if current is None else _UPDATE, {"v_sheet": name, "v_version": new, "v_at": now})
    return new


def claim_many(session: Session, sheets: Sequence[tuple[str, int | None]], *, school_id: int | None) -> list[int]:
    """``claim`` for several saves at once, in the order given: the new version of each (a sheet named
    twice is bumped twice), as if each had been claimed in turn.

    Each save's expected version (or None) is compared with the sheet's version at its turn; one stale
    save refuses them all (``StaleSheetError``) before anything is written. One chain lock, one read of
    the sheets (locked in sorted order), one write each.
    """
    if not sheets:
        return []
    audit.lock_chain(session, audit.chain_of(school_id))
    connection = session.connection()
    stored = {name: version for name, version in connection.execute(_SELECT_MANY, {"v_sheets": sorted({n for n, _ in sheets})})}
    running = {name: stored.get(name) or 0 for name, _ in sheets}
    out = []
    for name, expected in sheets:
        if expected is not None and running[name] != expected:
            raise StaleSheetError(name, expected, running[name])
        running[name] += 1
        out.append(running[name])
    now = utcnow()
    changed = [{"v_sheet": name, "v_version": version, "v_at": now} for name, version in running.items()]
    if new := [values for values in changed if values["v_sheet"] not in stored]:
        connection.execute(_INSERT, new)
    if old := [values for values in changed if values["v_sheet"] in stored]:
        connection.execute(_UPDATE, old)
    return out


# Built once: their compiled form and cache key are reused by every save.
_TABLE = cast(Table, SheetVersion.__table__)
_SELECT = select(_TABLE.c.version).where(_TABLE.c.sheet == bindparam("v_sheet")).with_for_update()
_INSERT = insert(_TABLE).values(sheet=bindparam("v_sheet"), version=bindparam("v_version"), updated_at=bindparam("v_at"))
_UPDATE = (update(_TABLE).where(_TABLE.c.sheet == bindparam("v_sheet"))
           .values(version=bindparam("v_version"), updated_at=bindparam("v_at")))
_SELECT_MANY = (select(_TABLE.c.sheet, _TABLE.c.version).where(_TABLE.c.sheet.in_(bindparam("v_sheets", expanding=True)))
                .order_by(_TABLE.c.sheet).with_for_update())
