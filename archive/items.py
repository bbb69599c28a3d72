"""Deposit, find, read, check and (after retention) delete archived items.

``deposit`` is the one way in: it checks the right (``Action.ARCHIVE_WRITE``, the office), checks the
metadata against the database (the class, year, edition and students belong to the school), writes
the content to the store *first* (atomic: see ``archive.store``), then adds the item row and an audit
entry in the caller's transaction (the caller commits). A crash before the commit leaves at most an
unreferenced object in the store — never metadata without content — and ``check`` lists such
objects. Items are never changed afterwards.

``issued_pdf(session, edition_id)`` gives the PDF of an edition as issued (``deposit_issued`` writes it
at issue through the ``layouts.publish`` issue listener that ``archive.install()`` registers).
"""

from __future__ import annotations

import datetime as dt
import json
import mimetypes
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from archive.config import store_for
from archive.errors import ObjectCorruptedError, ObjectMissingError, RetentionError
from archive.retention import rule, rule_for
from archive.store import Store, sha256_of
from records import audit
from records.errors import NotFoundError, ValidationError
from records.models import (
    ArchiveItem,
    ArchiveItemStudent,
    ArchiveKind,
    Class,
    Edition,
    Grade,
    School,
    SchoolYear,
    Student,
    utcnow,
)
from records.permissions import Action, Actor, require
from records.services import editions as edition_service
from records.services.context import today as service_today

ENTITY = "archive_item"
_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


def media_type_of(head: bytes, filename: str | None = None) -> str:
    """The media type from the first bytes (PDF, PNG, JPEG, TIFF), else from the file name."""
    for magic, media in _MAGIC:
        if head.startswith(magic):
            return media
    if filename:
        guessed = mimetypes.guess_type(filename)[0]
        if guessed:
            return guessed
    return "application/octet-stream"


def deposit(
    session: Session,
    actor: Actor,
    data: bytes | IO[bytes],
    *,
    kind: ArchiveKind | str,
    school_id: int,
    school_year_id: int | None = None,
    class_id: int | None = None,
    student_ids: Iterable[int] = (),
    edition_id: uuid.UUID | str | None = None,
    retention: str | None = None,
    filename: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    title: str | None = None,
    media_type: str | None = None,
) -> ArchiveItem:
    """Keep the bytes with their metadata (rights checked, audited; the caller commits)."""
    try:
        kind = ArchiveKind(kind)
    except ValueError:
        raise ValidationError(f"Loại hồ sơ lưu trữ không hợp lệ: «{kind}».", f"bad archive kind {kind!r}") from None
    edition = _edition(session, edition_id)
    school_year_id, class_id = _check_scope(session, school_id, school_year_id, class_id, edition)
    students = sorted({int(s) for s in student_ids} | ({edition.student_id} if edition and edition.student_id
                                                        else set()))
    for sid in students:
        if session.get(Student, sid) is None:
            raise NotFoundError("Không tìm thấy học sinh của hồ sơ lưu trữ.", f"student {sid} not found")
    extra = dict(metadata or {})
    try:
        extra_text = audit.canonical_json(extra) if extra else None
    except TypeError as exc:
        raise ValidationError("Thông tin kèm theo hồ sơ không ghi được.", f"metadata not JSON: {exc}") from exc
    item = ArchiveItem(kind=kind, school_id=school_id, school_year_id=school_year_id, class_id=class_id,
                       edition_id=edition.id if edition else None, filename=_clean_filename(filename),
                       title=(title or (edition.title if edition else "") or kind.label_vi)[:300], extra=extra_text,
                       deposited_by_id=actor.user_id, deposited_by_name=actor.username)
    item.students = [ArchiveItemStudent(student_id=s) for s in students]
    require(session, actor, Action.ARCHIVE_WRITE, item)
    chosen = rule(retention) if retention else rule_for(kind, edition.kind.value if edition else
                                                         extra.get("book") if isinstance(extra.get("book"), str)
                                                         else None)
    store = store_for(session)
    # 1. content (atomic in the store), 2. metadata in the caller's transaction
    content: Any
    if isinstance(data, (bytes, bytearray, memoryview)):
        head, content = bytes(data[:8]), data
    else:
        head = data.read(8)
        content = _Prefixed(head, data)
    stored = store.put(content)
    now = utcnow()
    item.sha256, item.size = stored.sha256, stored.size
    item.media_type = (media_type or media_type_of(head, filename))[:100]
    item.deposited_at = now
    item.retention = chosen.name
    item.retain_until = chosen.until(service_today())
    session.add(item)
    session.flush()
    audit.append(session, actor, "deposit", ENTITY, item.id, None, snapshot(item), school_id=school_id)
    return item


class _Prefixed:
    """A stream whose first bytes were already read (to sniff the media type)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            if size < 0:
                out, self.head = self.head + self.rest.read(), b""
                return out
            out, self.head = self.head[:size], self.head[size:]
            return out
        return self.rest.read(size)


def _clean_filename(name: str | None) -> str | None:
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in base if ch.isprintable())[:255] or None


def _edition(session: Session, edition_id: uuid.UUID | str | None) -> Edition | None:
    return None if edition_id is None else edition_service.get_edition(session, edition_id)


def _check_scope(session: Session, school_id: int, school_year_id: int | None, class_id: int | None,
                 edition: Edition | None) -> tuple[int | None, int | None]:
    """The year and class, filled from the edition and the class, checked to belong to the school."""
    if edition is not None:
        if edition.school_id != school_id:
            raise ValidationError("Bản in thuộc trường khác.", f"edition {edition.id} is of school {edition.school_id}")
        school_year_id = school_year_id if school_year_id is not None else edition.school_year_id
        class_id = class_id if class_id is not None else edition.class_id
    if class_id is not None:
        klass = session.get(Class, class_id)
        if klass is None or klass.school_id != school_id:
            raise ValidationError("Lớp không thuộc trường của hồ sơ.", f"class {class_id} not of school {school_id}")
        grade = session.get(Grade, klass.grade_id)
        class_year = grade.school_year_id if grade else None
        if school_year_id is None:
            school_year_id = class_year
        elif class_year is not None and class_year != school_year_id:
            raise ValidationError("Lớp không thuộc năm học của hồ sơ.", f"class {class_id} not of year {school_year_id}")
    if school_year_id is not None:
        year = session.get(SchoolYear, school_year_id)
        if year is None or year.school_id != school_id:
            raise ValidationError("Năm học không thuộc trường của hồ sơ.",
                                  f"year {school_year_id} not of school {school_id}")
    return school_year_id, class_id


def snapshot(item: ArchiveItem) -> dict[str, Any]:
    """The item's metadata as traced in the audit chain."""
    return {
        "sha256": item.sha256, "size": item.size, "kind": item.kind.value, "media_type": item.media_type,
        "filename": item.filename, "title": item.title, "school_year_id": item.school_year_id,
        "class_id": item.class_id, "student_ids": list(item.student_ids),
        "edition_id": str(item.edition_id) if item.edition_id else None, "retention": item.retention,
        "retain_until": item.retain_until, "extra": json.loads(item.extra) if item.extra else None,
    }


# --- reading ----------------------------------------------------------------------------------


def read_verified(store: Store, item: ArchiveItem) -> bytes:
    """The item's bytes, checked against its hash (``ObjectMissingError`` / ``ObjectCorruptedError``)."""
    data = store.read(item.sha256)
    if sha256_of_bytes(data) != item.sha256:
        raise ObjectCorruptedError(item.sha256)
    return data


def sha256_of_bytes(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    import hashlib

    return hashlib.sha256(data).hexdigest()


def issued_item(session: Session, edition_id: uuid.UUID | str) -> ArchiveItem | None:
    """The archived PDF item of an edition as issued (the first deposit of it), or None."""
    try:
        key = edition_id if isinstance(edition_id, uuid.UUID) else uuid.UUID(str(edition_id))
    except ValueError:
        return None
    return session.scalars(select(ArchiveItem).where(
        ArchiveItem.edition_id == key, ArchiveItem.kind == ArchiveKind.ISSUED_EDITION,
        ArchiveItem.deleted_at.is_(None)).order_by(ArchiveItem.id).limit(1)).first()


def issued_pdf(session: Session, edition_id: uuid.UUID | str) -> bytes | None:
    """The PDF of an edition exactly as issued, checked against its hash; None when the archive has none.

    Raises ``ObjectMissingError``/``ObjectCorruptedError`` when the archive recorded it but the store no
    longer holds it intact. No right is checked here: the caller decides who may see it.
    """
    item = issued_item(session, edition_id)
    if item is None:
        return None
    return read_verified(store_for(session), item)


def deposit_issued(session: Session, actor: Actor, published: Any) -> ArchiveItem:
    """Keep an issued edition's PDF (the ``layouts.publish`` issue listener; same transaction as the edition).

    An edition of no single year (a bound transcript volume, a course's register) is filed under the
    school year it was issued in (the latest year of the school begun by its issue date), as paper
    archives file documents by the year they were made.
    """
    from archive import seals

    seals.install()  # print workers install the listener by name only: the seal publisher comes with it
    edition: Edition = published.edition
    year_id = edition.school_year_id
    if year_id is None:  # a bound volume, a register: filed under the school year it was issued in
        year_id = session.scalar(select(SchoolYear.id).where(
            SchoolYear.school_id == edition.school_id, SchoolYear.starts_on <= edition.issued_on)
            .order_by(SchoolYear.starts_on.desc()).limit(1))
    return deposit(
        session, actor, published.pdf, kind=ArchiveKind.ISSUED_EDITION, school_id=edition.school_id,
        school_year_id=year_id, class_id=edition.class_id,
        student_ids=(edition.student_id,) if edition.student_id else (), edition_id=edition.id,
        filename=f"{edition.id}.pdf", title=edition.title, media_type="application/pdf",
        metadata={"book": edition.kind.value, "part": edition.part, "copy": edition.copy,
                  "issued_on": edition.issued_on.isoformat(), "pages": edition.page_count},
    )


def _rows_of_editions(session: Session, editions: list[Edition]) -> list[Any]:
    """The schools, their years, the classes (and their grades) and students the checks of these editions' items look up
    (``_check_scope``, ``permissions.scope_of``), read in one query per table into the session and returned,
    so that the caller, holding them, finds them there (``session.get``) instead of one query each: the
    session's identity map keeps only the rows something refers to."""
    held: list[Any] = []
    schools = sorted({e.school_id for e in editions})
    held += session.scalars(select(SchoolYear).where(SchoolYear.school_id.in_(schools)))  # a volume's: by date
    for model, ids in ((School, schools), (Class, {e.class_id for e in editions}),
                       (Student, {e.student_id for e in editions})):
        wanted = sorted(i for i in ids if i is not None)
        for i in range(0, len(wanted), 500):
            held += session.scalars(select(model).where(model.id.in_(wanted[i:i + 500])))
    grades = sorted({row.grade_id for row in held if isinstance(row, Class)})
    if grades:
        held += session.scalars(select(Grade).where(Grade.id.in_(grades)))
    return held


def deposit_issued_many(session: Session, actor: Actor, published: list[Any]) -> list[ArchiveItem]:
    """``deposit_issued`` of many editions (a print run's task): the same checks per item, the PDFs put in the
    store together (``Store.put_many``: two file-system syncs in all on a local folder), the items
    flushed together and traced with one ``audit.append_many``. The caller commits."""
    from archive import seals

    seals.install()
    if not published:
        return []
    years: dict[tuple[int, dt.date], int | None] = {}
    items: list[ArchiveItem] = []
    held = _rows_of_editions(session, [one.edition for one in published])  # noqa: F841 - kept while checking
    for one in published:
        edition: Edition = one.edition
        year_id = edition.school_year_id
        if year_id is None:
            key = (edition.school_id, edition.issued_on)
            if key not in years:
                years[key] = session.scalar(select(SchoolYear.id).where(
                    SchoolYear.school_id == edition.school_id, SchoolYear.starts_on <= edition.issued_on)
                    .order_by(SchoolYear.starts_on.desc()).limit(1))
            year_id = years[key]
        year_id, class_id = _check_scope(session, edition.school_id, year_id, edition.class_id, edition)
        if edition.student_id and session.get(Student, edition.student_id) is None:
            raise NotFoundError("Không tìm thấy học sinh của hồ sơ lưu trữ.", f"student {edition.student_id} not found")
        extra = {"book": edition.kind.value, "part": edition.part, "copy": edition.copy,
                 "issued_on": edition.issued_on.isoformat(), "pages": edition.page_count}
        item = ArchiveItem(kind=ArchiveKind.ISSUED_EDITION, school_id=edition.school_id, school_year_id=year_id,
                           class_id=class_id, edition_id=edition.id, filename=f"{edition.id}.pdf",
                           title=edition.title[:300], extra=audit.canonical_json(extra),
                           deposited_by_id=actor.user_id, deposited_by_name=actor.username)
        item.students = [ArchiveItemStudent(student_id=edition.student_id)] if edition.student_id else []
        require(session, actor, Action.ARCHIVE_WRITE, item)
        items.append(item)
    stored = store_for(session).put_many([one.pdf for one in published])  # content first, then metadata
    now = utcnow()
    for item, one, put in zip(items, published, stored, strict=True):
        chosen = rule_for(ArchiveKind.ISSUED_EDITION, one.edition.kind.value)
        item.sha256, item.size, item.media_type = put.sha256, put.size, "application/pdf"
        item.deposited_at, item.retention, item.retain_until = now, chosen.name, chosen.until(service_today())
    session.add_all(items)
    session.flush()
    audit.append_many(session, actor, [audit.AuditRecord("deposit", ENTITY, item.id, None, snapshot(item),
                                                         item.school_id) for item in items])
    return items


deposit_issued.many = deposit_issued_many  # type: ignore[attr-defined]  # layouts.publish.record_publications


# --- checking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckProblem:
    """An item whose content is missing from the store or no longer hashes to its name."""

    item_id: int
    sha256: str
    problem: str  # "missing" | "corrupted"
    title: str
    kind: str


@dataclass(frozen=True)
class CheckReport:
    """What ``check`` found: items checked, bytes hashed, problems, and objects no item names."""

    location: str
    items: int
    objects: int
    bytes: int
    problems: tuple[CheckProblem, ...] = ()
    unreferenced: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """No item is missing or corrupted (unreferenced objects are left-overs of interrupted deposits)."""
        return not self.problems


def _kept(school_id: int | None) -> Select[tuple[ArchiveItem]]:
    query = select(ArchiveItem).where(ArchiveItem.deleted_at.is_(None)).order_by(ArchiveItem.id)
    return query if school_id is None else query.where(ArchiveItem.school_id == school_id)


def count_kept(session: Session, *, school_id: int | None = None) -> int:
    """How many items ``check`` reads (the length of its progress bar)."""
    return int(session.scalar(select(func.count()).select_from(_kept(school_id).subquery())) or 0)


def check(session: Session, *, school_id: int | None = None, store: Store | None = None,
          progress: Callable[[int], None] | None = None) -> CheckReport:
    """Re-hash every kept object and name the items whose content is missing or corrupted.

    ``progress(1)`` is called for every item read (a progress bar; ``count_kept`` gives the total).
    """
    store = store or store_for(session)
    items = list(session.scalars(_kept(school_id)))
    status: dict[str, str | None] = {}
    hashed = 0
    for item in items:
        if progress is not None:
            progress(1)
        if item.sha256 in status:
            continue
        try:
            stream = store.open(item.sha256)
        except ObjectMissingError:
            status[item.sha256] = "missing"
            continue
        with stream:
            sha, size = sha256_of(stream)
        hashed += size
        status[item.sha256] = None if sha == item.sha256 else "corrupted"
    problems = tuple(CheckProblem(i.id, i.sha256, status[i.sha256] or "", i.title, i.kind.value)
                     for i in items if status.get(i.sha256))
    unreferenced: tuple[str, ...] = ()
    if school_id is None:
        named = set(session.scalars(select(ArchiveItem.sha256)))
        unreferenced = tuple(sorted(sha for sha in store if sha not in named))
    return CheckReport(store.location, len(items), len(status), hashed, problems, unreferenced)


# --- deletion after retention -------------------------------------------------------------------


def delete_expired(session: Session, actor: Actor, item_id: int, reason: str, *,
                   today: dt.date | None = None) -> ArchiveItem:
    """Record the destruction of an item whose retention has ended (the principal; audited; the caller commits).

    The row stays (who, when, why); the content leaves the store only with ``purge`` after the commit, so a
    rolled-back deletion never leaves metadata without content.
    """
    item = session.get(ArchiveItem, item_id)
    if item is None:
        raise NotFoundError(f"Không có hồ sơ lưu trữ số {item_id}.", f"archive item {item_id} not found")
    require(session, actor, Action.ARCHIVE_DELETE, item)
    if not reason or not reason.strip():
        raise ValidationError("Cần ghi lí do (quyết định hủy tài liệu hết giá trị).", "deletion without reason")
    if item.deleted_at is not None:
        raise RetentionError(f"Hồ sơ lưu trữ số {item_id} đã được hủy.", f"archive item {item_id} already deleted")
    day = service_today(today)
    if item.retain_until is None:
        raise RetentionError(f"Hồ sơ lưu trữ số {item_id} ({item.title}) phải bảo quản vĩnh viễn, không được hủy.",
                             f"archive item {item_id} is kept permanently")
    if day <= item.retain_until:
        raise RetentionError(
            f"Hồ sơ lưu trữ số {item_id} ({item.title}) phải bảo quản đến hết ngày "
            f"{item.retain_until:%d/%m/%Y}; chưa được hủy.",
            f"archive item {item_id} is kept until {item.retain_until}")
    item.deleted_at = utcnow()
    item.deleted_by_name = actor.username
    item.deletion_reason = reason.strip()
    session.flush()
    audit.append(session, actor, "delete", ENTITY, item.id, {"deleted": False},
                 {"deleted": True, "sha256": item.sha256, "retain_until": item.retain_until},
                 school_id=item.school_id, reason=item.deletion_reason)
    return item


def purge(session: Session, store: Store | None = None) -> list[str]:
    """Remove from the store the objects of committed deletions that no kept item still names."""
    store = store or store_for(session)
    kept = set(session.scalars(select(ArchiveItem.sha256).where(ArchiveItem.deleted_at.is_(None))))
    gone = set(session.scalars(select(ArchiveItem.sha256).where(ArchiveItem.deleted_at.is_not(None))))
    removed = []
    for sha in sorted(gone - kept):
        if store.exists(sha):
            store.remove(sha)
            removed.append(sha)
    return removed
