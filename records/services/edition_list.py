"""The printed editions of a school for the office's list: filtered by book, class and status.

Read right ``Action.EDITIONS_READ`` (leaders, administrator, office, inspectors). Each row says whether
the archive holds the PDF as issued (then it can be downloaded) and whether the reader may revoke it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.errors import NotFoundError, ValidationError
from records.models import (
    ArchiveItem,
    ArchiveKind,
    Class,
    Edition,
    EditionKind,
    EditionStatus,
    School,
    Student,
)
from records.permissions import Action, Actor, allowed, require
from records.services.reads import display_date

#: Vietnamese status labels: "valid" is an edition that is current (or outdated by a correction: still
#: genuine, but to be reprinted).
STATUS_LABELS = {
    EditionStatus.CURRENT: "còn hiệu lực",
    EditionStatus.OUTDATED: "còn hiệu lực, cần in lại (đã sửa sau khi in)",
    EditionStatus.SUPERSEDED: "đã được thay thế",
    EditionStatus.REVOKED: "đã thu hồi",
}
#: The book filter of the page.
BOOKS = {"mark_book": EditionKind.MARK_BOOK, "transcript": EditionKind.TRANSCRIPT, "register": EditionKind.REGISTER}


@dataclass(frozen=True)
class EditionLine:
    """One edition in the office's list."""

    id: str
    short_id: str
    kind: str
    title: str
    class_name: str
    student: str
    issued_on: str
    pages: int
    status: str
    status_vi: str
    copy: bool
    printed_by: str
    revoked_reason: str
    archived: bool


@dataclass(frozen=True)
class EditionList:
    """The filtered editions and whether the reader may revoke them."""

    lines: list[EditionLine]
    may_revoke: bool
    truncated: bool


def list_editions(session: Session, actor: Actor, school_id: int, *, book: str | None = None,
                  class_id: int | None = None, status: str | None = None, limit: int = 300) -> EditionList:
    """The school's editions, newest first, filtered."""
    school = session.get(School, school_id)
    if school is None:
        raise NotFoundError("Không tìm thấy trường.", f"school {school_id} not found")
    require(session, actor, Action.EDITIONS_READ, school)
    query = (select(Edition, Class.name, Student.code, Student.family_name, Student.middle_name, Student.given_name)
             .outerjoin(Class, Class.id == Edition.class_id).outerjoin(Student, Student.id == Edition.student_id)
             .where(Edition.school_id == school_id).order_by(Edition.created_at.desc()).limit(limit + 1))
    if book:
        if book not in BOOKS:
            raise ValidationError("Loại sổ không hợp lệ.", f"bad book filter {book!r}")
        query = query.where(Edition.kind == BOOKS[book])
    if class_id:
        query = query.where(Edition.class_id == class_id)
    if status:
        try:
            query = query.where(Edition.status == EditionStatus(status))
        except ValueError:
            raise ValidationError("Tình trạng không hợp lệ.", f"bad status filter {status!r}") from None
    rows = session.execute(query).all()
    ids = [row[0].id for row in rows[:limit]]
    archived = set(session.scalars(select(ArchiveItem.edition_id).where(
        ArchiveItem.edition_id.in_(ids), ArchiveItem.kind == ArchiveKind.ISSUED_EDITION,
        ArchiveItem.deleted_at.is_(None)))) if ids else set()
    lines = []
    for edition, class_name, code, family, middle, given in rows[:limit]:
        student = " ".join(p for p in (family, middle, given) if p) + (f" ({code})" if code else "")
        lines.append(EditionLine(str(edition.id), edition.id.hex[:8].upper(), edition.kind.label_vi, edition.title,
                                 class_name or "", student.strip(), display_date(edition.issued_on),
                                 edition.page_count, edition.status.value, STATUS_LABELS[edition.status],
                                 edition.copy, edition.created_by_name, edition.revoked_reason or "",
                                 edition.id in archived))
    return EditionList(lines, allowed(session, actor, Action.EDITIONS_REVOKE, school), len(rows) > limit)


def edition_school(session: Session, edition_id: str) -> tuple[uuid.UUID, int]:
    """The id and school of an edition (NotFoundError for an unknown or malformed id)."""
    try:
        key = uuid.UUID(str(edition_id))
    except ValueError:
        raise NotFoundError("Mã bản in không hợp lệ.", f"bad edition id {edition_id!r}") from None
    school_id = session.scalar(select(Edition.school_id).where(Edition.id == key))
    if school_id is None:
        raise NotFoundError("Không có bản in này.", f"edition {edition_id} not found")
    return key, school_id


def require_archive_read(session: Session, actor: Actor, edition_id: str) -> uuid.UUID:
    """Raise unless the actor may read the archived PDF of this edition; its id."""
    key, school_id = edition_school(session, edition_id)
    require(session, actor, Action.ARCHIVE_READ, session.get(School, school_id))
    return key


__all__ = ["BOOKS", "STATUS_LABELS", "EditionLine", "EditionList", "edition_school", "list_editions",
           "require_archive_read"]
