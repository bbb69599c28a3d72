"""Saving a sheet of one value per student (conduct, homeroom or subject comments) — create, change, clear.

The services that own each sheet check rights and locks and normalise the values; this module does the
shared part: compare with what is stored, write with one flush, and trace every change in one append.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from records import audit
from records.audit import AuditRecord
from records.errors import ValidationError
from records.permissions import Actor
from records.services.marks import SaveResult

#: The longest free text a sheet keeps in one cell (a comment, a reason of absence).
MAX_TEXT_CHARS = 2000


def refuse_unprintable(text: str, what_vi: str) -> None:
    """Refuse a control, surrogate or private-use character in a text a person typed or imported."""
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cs", "Co")), None)
    if bad is not None:
        raise ValidationError(f"{what_vi} chứa ký tự điều khiển không in được (U+{ord(bad):04X}).",
                              f"control character U+{ord(bad):04X} in free text")


def clean_text(raw: str | None, what_vi: str = "Nhận xét") -> str:
    """Free text as stored: NFC, whitespace runs made one space; control characters and over-long text
    refused (PostgreSQL cannot store NUL, and nothing invisible should reach a printed book)."""
    text = " ".join(unicodedata.normalize("NFC", raw or "").split())
    refuse_unprintable(text, what_vi)
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError(f"{what_vi} dài quá {MAX_TEXT_CHARS} ký tự ({len(text)}).",
                              f"free text of {len(text)} characters (max {MAX_TEXT_CHARS})")
    return text


def save_values(session: Session, actor: Actor, *, entity: str, field: str, existing: Mapping[int, Any],
                wanted: Mapping[int, str | None], make: Callable[[int, str], Any],
                touch: Callable[[Any], None], key: Callable[[int], dict[str, Any]],
                school_id: int | None, version: int = 0) -> SaveResult:
    """Store ``wanted`` (enrolment id → value, empty clears) against ``existing`` rows, traced as ``entity``.

    ``make`` builds a new row, ``touch`` marks a changed row's author; ``field`` names the value column;
    ``version`` is the sheet's version the caller claimed (``versions.claim``) before reading ``existing``.
    """
    records: list[AuditRecord] = []
    new: list[tuple[Any, dict[str, Any], str]] = []
    created = updated = deleted = unchanged = 0
    for enrolment_id, value in wanted.items():
        current = existing.get(enrolment_id)
        k = key(enrolment_id)
        if current is None and value:
            new.append((make(enrolment_id, value), k, value))  # inserted in bulk below, not through the session
            created += 1
        elif current is not None and not value:
            records.append(AuditRecord("delete", entity, current.id, {**k, field: getattr(current, field)}, None,
                                       school_id))
            session.delete(current)
            deleted += 1
        elif current is not None and value != getattr(current, field):
            records.append(AuditRecord("update", entity, current.id, {**k, field: getattr(current, field)},
                                       {**k, field: value}, school_id))
            setattr(current, field, value)
            touch(current)
            updated += 1
        else:
            unchanged += 1
    session.flush()  # one flush for the whole sheet's changed and removed rows
    if new:
        ids = _insert_new(session, [row for row, _k, _v in new], [k for _row, k, _v in new])
        records.extend(AuditRecord("create", entity, ids[k["enrolment_id"]], None, {**k, field: value}, school_id)
                       for _row, k, value in new)
    audit.append_many(session, actor, records)
    return SaveResult(created, updated, deleted, unchanged, version)


def _insert_new(session: Session, rows: list[Any], keys: list[dict[str, Any]]) -> dict[int, int]:
    """Insert the sheet's new rows (unsaved model objects, one per student) in one Core statement; their ids.

    The ids are read back by the sheet's key (``keys``: the enrolment id and the values every row of the
    sheet shares, named as columns): the caller holds the sheet's lock, no one else writes these rows.
    Column defaults apply as in a flush; the order of the rows (so of their ids) is kept.
    """
    model = type(rows[0])
    table = model.__table__
    columns = [(prop.key, prop.columns[0].name) for prop in sa_inspect(model).column_attrs]
    given = [(attr, name) for attr, name in columns if attr in rows[0].__dict__]
    session.execute(insert(table), [{name: row.__dict__[attr] for attr, name in given} for row in rows])
    shared = {name: value for name, value in keys[0].items() if name != "enrolment_id"}
    query = select(table.c.id, table.c.enrolment_id).where(
        table.c.enrolment_id.in_([k["enrolment_id"] for k in keys]), *(table.c[n] == v for n, v in shared.items()))
    return {enrolment_id: row_id for row_id, enrolment_id in session.execute(query)}
