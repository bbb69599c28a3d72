"""Inspectors and other readers of the archive: scoped, time-boxed access; find, open read-only, export.

An inspector reads a school's archive only through an *access window* (``InspectorAccess``: one school,
one school year or all, from a date to a date) that the school's administrator grants
(``grant_access``, ``Action.INSPECTORS_GRANT``), on top of holding the inspector role over the school.
The leadership and the office read their own school's archive without a window (``Action.ARCHIVE_READ``).

``find`` lists everything kept about a school, a year, a class or a student: archived items (issued
editions, scans, correction and copy documents, inspection minutes), and the records behind them
(editions, correction requests, monthly inspections). ``open_item`` returns an item's bytes, checked
against their hash. ``export_bag`` writes a BagIt bag (RFC 8493, ``bagit`` package) of a scope and
validates it. Every search, read and export is appended to the school's audit chain — the caller
commits (a read whose trace cannot be written is not given).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.config import store_for
from archive.errors import InspectorAccessError
from archive.items import read_verified, snapshot
from records import audit
from records.errors import NotFoundError, ValidationError
from records.models import (
    ArchiveItem,
    ArchiveItemStudent,
    Class,
    CorrectionRequest,
    Edition,
    Enrolment,
    Grade,
    Inspection,
    InspectorAccess,
    Role,
    School,
    SchoolYear,
    Student,
    User,
    utcnow,
)
from records.permissions import Action, Actor, Scope, allowed, require
from records.services.context import today as service_today

ACCESS_ENTITY = "inspector_access"
ITEM_ENTITY = "archive_item"
SEARCH_ENTITY = "archive_search"
MAX_WINDOW_DAYS = 366


# --- access windows ---------------------------------------------------------------------------


def grant_access(session: Session, actor: Actor, *, inspector_id: int, school_id: int, starts_on: dt.date,
                 ends_on: dt.date, reason: str, school_year_id: int | None = None) -> InspectorAccess:
    """Open an inspector's access to a school's archive (one year or all) for a window of dates (audited)."""
    school = session.get(School, school_id)
    if school is None:
        raise NotFoundError("Không tìm thấy trường.", f"school {school_id} not found")
    require(session, actor, Action.INSPECTORS_GRANT, school)
    inspector = session.get(User, inspector_id)
    if inspector is None or not inspector.active:
        raise NotFoundError("Không tìm thấy người dùng thanh tra (hoặc tài khoản đã khóa).",
                            f"inspector {inspector_id} not found or inactive")
    if Role.INSPECTOR not in Actor.load(session, inspector.id).roles_in(school.id, school.district):
        raise ValidationError(
            f"{inspector.full_name} ({inspector.username}) không giữ vai trò Thanh tra đối với {school.name}.",
            f"user {inspector.username} holds no inspector role over school {school.id}")
    if school_year_id is not None:
        year = session.get(SchoolYear, school_year_id)
        if year is None or year.school_id != school.id:
            raise ValidationError("Năm học không thuộc trường này.", f"year {school_year_id} not of school {school.id}")
    if ends_on < starts_on:
        raise ValidationError("Ngày kết thúc phải sau ngày bắt đầu.", f"window {starts_on}..{ends_on}")
    if (ends_on - starts_on).days >= MAX_WINDOW_DAYS:
        raise ValidationError(f"Thời hạn truy cập tối đa {MAX_WINDOW_DAYS} ngày; hãy cấp lại khi cần.",
                              f"window {starts_on}..{ends_on} too long")
    if not reason or not reason.strip():
        raise ValidationError("Cần ghi căn cứ cấp quyền (quyết định thanh tra, kiểm tra).", "grant without reason")
    access = InspectorAccess(user_id=inspector.id, school_id=school.id, school_year_id=school_year_id,
                             starts_on=starts_on, ends_on=ends_on, reason=reason.strip(),
                             granted_by_id=actor.user_id, granted_by_name=actor.username, granted_at=utcnow())
    session.add(access)
    session.flush()
    audit.append(session, actor, "grant", ACCESS_ENTITY, access.id, None, _access_snapshot(access),
                 school_id=school.id, reason=access.reason)
    return access


def revoke_access(session: Session, actor: Actor, access_id: int) -> InspectorAccess:
    """Close an access window before its end (audited)."""
    access = session.get(InspectorAccess, access_id)
    if access is None:
        raise NotFoundError(f"Không có quyền truy cập số {access_id}.", f"inspector access {access_id} not found")
    require(session, actor, Action.INSPECTORS_GRANT, access)
    if access.revoked_at is None:
        access.revoked_at = utcnow()
        access.revoked_by_name = actor.username
        session.flush()
        audit.append(session, actor, "revoke", ACCESS_ENTITY, access.id, {"revoked": False}, {"revoked": True},
                     school_id=access.school_id)
    return access


def accesses(session: Session, user_id: int) -> list[InspectorAccess]:
    """Every access window of a user, newest first."""
    return list(session.scalars(select(InspectorAccess).where(InspectorAccess.user_id == user_id)
                                .order_by(InspectorAccess.id.desc())))


def _access_snapshot(a: InspectorAccess) -> dict[str, Any]:
    return {"user_id": a.user_id, "school_id": a.school_id, "school_year_id": a.school_year_id,
            "starts_on": a.starts_on, "ends_on": a.ends_on, "reason": a.reason}


def _year_name(session: Session, year_id: int | None) -> str:
    year = session.get(SchoolYear, year_id) if year_id is not None else None
    return year.name if year else "mọi năm học"


def _refusal(session: Session, actor: Actor, scope: Scope, day: dt.date, what: str) -> InspectorAccessError:
    """Why an inspector may not read this (no window, another year, not yet open, expired, revoked)."""
    school = session.get(School, scope.school_id) if scope.school_id is not None else None
    school_name = school.name if school else "trường này"
    who = f"{actor.full_name} ({actor.username})"
    rows = [a for a in accesses(session, actor.user_id or 0) if a.school_id == scope.school_id]
    en = f"inspector {actor.username} has no open window over school {scope.school_id}, year {scope.school_year_id}"
    if not rows:
        return InspectorAccessError(f"{who} chưa được cấp quyền {what} của {school_name}.", en)
    years = [a for a in rows if a.school_year_id is None or a.school_year_id == scope.school_year_id]
    if not years:
        granted = ", ".join(sorted({_year_name(session, a.school_year_id) for a in rows}))
        return InspectorAccessError(
            f"{who} chỉ được cấp quyền {what} của {school_name} cho năm học {granted}; "
            f"hồ sơ này thuộc {_year_name(session, scope.school_year_id) if scope.school_year_id else 'nhiều năm học'}.",
            en)
    latest = max(years, key=lambda a: a.ends_on)
    if all(a.revoked_at is not None for a in years):
        return InspectorAccessError(f"Quyền {what} của {who} đối với {school_name} đã bị thu hồi.", en)
    future = [a for a in years if a.revoked_at is None and a.starts_on > day]
    if future:
        start = min(a.starts_on for a in future)
        return InspectorAccessError(
            f"Quyền {what} của {who} đối với {school_name} có hiệu lực từ ngày {start:%d/%m/%Y}.", en)
    return InspectorAccessError(
        f"Quyền {what} của {who} đối với {school_name} đã hết hạn ngày {latest.ends_on:%d/%m/%Y}.", en)


def _is_inspector_only(actor: Actor, scope: Scope) -> bool:
    roles = actor.roles_in(scope.school_id, scope.district)
    return Role.INSPECTOR in roles and roles <= {Role.INSPECTOR}


def require_reader(session: Session, actor: Actor, action: Action, target: object, *, today: dt.date | None = None,
                   what: str = "truy cập hồ sơ lưu trữ") -> None:
    """``require``, with a precise Vietnamese refusal for an inspector outside their window."""
    day = service_today(today)
    if allowed(session, actor, action, target, today=day):
        return
    from records.permissions import scope_of

    scope = scope_of(session, target)
    if not actor.is_system and _is_inspector_only(actor, scope):
        raise _refusal(session, actor, scope, day, what)
    require(session, actor, action, target, today=day)


# --- finding ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Findings:
    """Everything kept about a scope that the reader may see."""

    school: School
    scope: Scope
    items: tuple[ArchiveItem, ...]
    editions: tuple[Edition, ...]
    corrections: tuple[CorrectionRequest, ...]
    inspections: tuple[Inspection, ...]

    def criteria(self) -> dict[str, Any]:
        """The search criteria, as traced."""
        s = self.scope
        return {"school_id": s.school_id, "school_year_id": s.school_year_id, "class_id": s.class_id,
                "student_id": s.student_id}


def _search_scope(session: Session, school_id: int, school_year_id: int | None, class_id: int | None,
                  student_id: int | None) -> tuple[School, Scope]:
    school = session.get(School, school_id)
    if school is None:
        raise NotFoundError("Không tìm thấy trường.", f"school {school_id} not found")
    desc = f"hồ sơ lưu trữ của {school.name}"
    if class_id is not None:
        klass = session.get(Class, class_id)
        if klass is None or klass.school_id != school.id:
            raise NotFoundError("Không tìm thấy lớp trong trường này.", f"class {class_id} not of school {school_id}")
        grade = session.get(Grade, klass.grade_id)
        if grade is not None:
            if school_year_id is not None and grade.school_year_id != school_year_id:
                raise ValidationError("Lớp không thuộc năm học đã chọn.", f"class {class_id} not of {school_year_id}")
            school_year_id = grade.school_year_id
        desc += f", lớp {klass.name}"
    if student_id is not None:
        student = session.get(Student, student_id)
        if student is None:
            raise NotFoundError("Không tìm thấy học sinh.", f"student {student_id} not found")
        desc += f", học sinh {student.full_name}"
    if school_year_id is not None:
        year = session.get(SchoolYear, school_year_id)
        if year is None or year.school_id != school.id:
            raise NotFoundError("Không tìm thấy năm học của trường.", f"year {school_year_id} not of {school_id}")
        desc += f", năm học {year.name}"
    return school, Scope(school_id=school.id, district=school.district, school_year_id=school_year_id,
                         class_id=class_id, student_id=student_id, description_vi=desc)


def _may_read_year(session: Session, actor: Actor, school: School, year_id: int | None, day: dt.date) -> bool:
    return allowed(session, actor, Action.ARCHIVE_READ,
                   Scope(school_id=school.id, district=school.district, school_year_id=year_id), today=day)


def find(session: Session, actor: Actor, *, school_id: int, school_year_id: int | None = None,
         class_id: int | None = None, student_id: int | None = None,
         today: dt.date | None = None) -> Findings:
    """Everything kept about a school (or one year, class or student) that the actor may read (traced)."""
    day = service_today(today)
    school, scope = _search_scope(session, school_id, school_year_id, class_id, student_id)
    if scope.school_year_id is not None:
        require_reader(session, actor, Action.ARCHIVE_READ, scope, today=day)
    else:  # a whole school: the reader needs some window over it; then each year is filtered
        years = list(session.scalars(select(SchoolYear.id).where(SchoolYear.school_id == school.id)))
        if not any(_may_read_year(session, actor, school, y, day) for y in [None, *years]):
            require_reader(session, actor, Action.ARCHIVE_READ, scope, today=day)
    readable: dict[int | None, bool] = {}

    def year_ok(year_id: int | None) -> bool:
        if year_id not in readable:
            readable[year_id] = _may_read_year(session, actor, school, year_id, day)
        return readable[year_id]

    items = _items(session, scope)
    editions = _editions(session, scope)
    corrections = _corrections(session, scope)
    inspections = _inspections(session, scope)
    found = Findings(
        school, scope,
        tuple(i for i in items if year_ok(i.school_year_id)),
        tuple(e for e in editions if year_ok(e.school_year_id)),
        tuple(c for c, year_id in corrections if year_ok(year_id)),
        tuple(i for i in inspections if year_ok(i.school_year_id)),
    )
    audit.append(session, actor, "search", SEARCH_ENTITY, school.id, None,
                 {**found.criteria(), "items": [i.id for i in found.items],
                  "editions": len(found.editions), "corrections": len(found.corrections),
                  "inspections": len(found.inspections)}, school_id=school.id)
    return found


def _narrow(query: Any, scope: Scope, year: Any, klass: Any, student: Any) -> Any:
    """Restrict a query to the scope's year, class and student (by the given columns / condition)."""
    if scope.school_year_id is not None:
        query = query.where(year == scope.school_year_id)
    if scope.class_id is not None:
        query = query.where(klass == scope.class_id)
    if scope.student_id is not None:
        query = query.where(student(scope.student_id))
    return query


def _items(session: Session, scope: Scope) -> list[ArchiveItem]:
    query = select(ArchiveItem).where(ArchiveItem.school_id == scope.school_id, ArchiveItem.deleted_at.is_(None))
    query = _narrow(query, scope, ArchiveItem.school_year_id, ArchiveItem.class_id,
                    lambda sid: ArchiveItem.id.in_(select(ArchiveItemStudent.item_id).where(
                        ArchiveItemStudent.student_id == sid)))
    return list(session.scalars(query.order_by(ArchiveItem.id)))


def _editions(session: Session, scope: Scope) -> list[Edition]:
    query = _narrow(select(Edition).where(Edition.school_id == scope.school_id), scope, Edition.school_year_id,
                    Edition.class_id, lambda sid: Edition.student_id == sid)
    return list(session.scalars(query.order_by(Edition.created_at, Edition.id)))


def _corrections(session: Session, scope: Scope) -> list[tuple[CorrectionRequest, int | None]]:
    query = (select(CorrectionRequest, Grade.school_year_id)
             .join(Enrolment, Enrolment.id == CorrectionRequest.enrolment_id)
             .join(Class, Class.id == Enrolment.class_id).join(Grade, Grade.id == Class.grade_id)
             .where(CorrectionRequest.school_id == scope.school_id))
    query = _narrow(query, scope, Grade.school_year_id, Enrolment.class_id, lambda sid: Enrolment.student_id == sid)
    return [(row[0], row[1]) for row in session.execute(query.order_by(CorrectionRequest.id))]


def _inspections(session: Session, scope: Scope) -> list[Inspection]:
    if scope.student_id is not None:
        return []  # inspections are of a class or the school, not of a student
    query = select(Inspection).where(Inspection.school_id == scope.school_id)
    if scope.school_year_id is not None:
        query = query.where(Inspection.school_year_id == scope.school_year_id)
    if scope.class_id is not None:
        query = query.where((Inspection.class_id == scope.class_id) | Inspection.class_id.is_(None))
    return list(session.scalars(query.order_by(Inspection.id)))


# --- opening ----------------------------------------------------------------------------------


def open_item(session: Session, actor: Actor, item_id: int, *, today: dt.date | None = None) -> tuple[ArchiveItem, bytes]:
    """An archived item and its bytes (hash-checked), for reading only; the read is traced."""
    item = session.get(ArchiveItem, item_id)
    if item is None or item.deleted_at is not None:
        raise NotFoundError(f"Không có hồ sơ lưu trữ số {item_id}.", f"archive item {item_id} not found")
    require_reader(session, actor, Action.ARCHIVE_READ, item, today=today)
    data = read_verified(store_for(session), item)
    audit.append(session, actor, "read", ITEM_ENTITY, item.id, None, {"sha256": item.sha256, "size": item.size},
                 school_id=item.school_id)
    return item, data


# --- BagIt export -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """A written and validated bag: where, how many items and bytes, its Payload-Oxum."""

    path: Path
    items: int
    bytes: int
    oxum: str


def _jsonable_rows(rows: Sequence[Any], fields: Sequence[str]) -> list[dict[str, Any]]:
    """Rows as plain JSON objects (dates ISO, enums by value, UUIDs as text)."""
    def plain(value: Any) -> Any:
        return str(value) if isinstance(value, uuid.UUID) else value

    return [json.loads(audit.canonical_json({name: plain(getattr(row, name)) for name in fields})) for row in rows]


_EDITION_FIELDS = ("id", "kind", "title", "class_id", "student_id", "school_year_id", "part", "copy", "issued_on",
                   "created_at", "created_by_name", "page_count", "book_pages", "key_id", "document_sha256",
                   "pdf_sha256", "pdf_signed", "status", "superseded_by_id", "revoked_at", "revoked_reason")
_CORRECTION_FIELDS = ("id", "enrolment_id", "subject_id", "term_id", "kind", "slot", "old_value", "new_value",
                      "reason", "status", "requested_by_id", "requested_at", "decided_by_id", "decided_at",
                      "decision_note", "applied_by_id", "applied_at", "witness_leader_id", "witness_board_id",
                      "requester_present")
_INSPECTION_FIELDS = ("id", "school_year_id", "class_id", "year", "month", "inspected_on", "inspected_by_id",
                      "findings", "conclusion", "recorded_at")


def export_bag(session: Session, actor: Actor, target: Path, *, school_id: int, school_year_id: int | None = None,
               class_id: int | None = None, student_id: int | None = None,
               today: dt.date | None = None) -> Export:
    """Write a validated BagIt bag of everything kept about the scope into ``target`` (a new folder; traced)."""
    import bagit

    day = service_today(today)
    school, scope = _search_scope(session, school_id, school_year_id, class_id, student_id)
    require_reader(session, actor, Action.ARCHIVE_EXPORT, scope if scope.school_year_id is not None else
                   _any_readable_year(session, actor, school, day), today=day, what="xuất hồ sơ lưu trữ")
    found = find(session, actor, school_id=school_id, school_year_id=scope.school_year_id, class_id=class_id,
                 student_id=student_id, today=day)
    items = [i for i in found.items
             if allowed(session, actor, Action.ARCHIVE_EXPORT, i, today=day)]
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise ValidationError(f"Thư mục {target} đã có tệp; hãy chọn một thư mục mới.", f"{target} not empty")
    store = store_for(session)
    staging = target.with_name(target.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "items").mkdir(parents=True)
    listed = []
    total = 0
    for item in items:
        data = read_verified(store, item)
        name = f"items/{item.id:06d}-{item.kind.value}{_suffix(item)}"
        (staging / name).write_bytes(data)
        total += len(data)
        listed.append({"item_id": item.id, "file": f"data/{name}", **snapshot(item),
                       "deposited_at": item.deposited_at.isoformat(), "deposited_by": item.deposited_by_name})
    (staging / "metadata").mkdir()
    documents = {
        "items.json": listed,
        "editions.json": _jsonable_rows(found.editions, _EDITION_FIELDS),
        "corrections.json": _jsonable_rows(found.corrections, _CORRECTION_FIELDS),
        "inspections.json": _jsonable_rows(found.inspections, _INSPECTION_FIELDS),
    }
    for name, rows in documents.items():
        (staging / "metadata" / name).write_text(json.dumps(rows, ensure_ascii=False, indent=1, sort_keys=True),
                                                 encoding="utf-8")
    bag = bagit.make_bag(str(staging), {
        "Source-Organization": school.name,
        "External-Description": scope.description_vi,
        "External-Identifier": f"sodientu:{school.code}:{found.criteria()}",
        "Contact-Name": f"{actor.full_name} ({actor.username})",
        "Bagging-Date": day.isoformat(),
    }, checksums=["sha256", "sha512"])
    bag.validate()
    if target.exists():
        target.rmdir()
    staging.rename(target)
    oxum = str(bag.info.get("Payload-Oxum", ""))
    audit.append(session, actor, "export", SEARCH_ENTITY, school.id, None,
                 {**found.criteria(), "items": [i.id for i in items], "bytes": total, "oxum": oxum,
                  "format": "BagIt 1.0"}, school_id=school.id)
    return Export(target, len(items), total, oxum)


def _any_readable_year(session: Session, actor: Actor, school: School, day: dt.date) -> Scope:
    """For a whole-school export: the first year scope the actor may export (else the school scope)."""
    years = list(session.scalars(select(SchoolYear.id).where(SchoolYear.school_id == school.id)))
    for year_id in [None, *years]:
        scope = Scope(school_id=school.id, district=school.district, school_year_id=year_id,
                      description_vi=f"hồ sơ lưu trữ của {school.name}")
        if allowed(session, actor, Action.ARCHIVE_EXPORT, scope, today=day):
            return scope
    return Scope(school_id=school.id, district=school.district, description_vi=f"hồ sơ lưu trữ của {school.name}")


def _suffix(item: ArchiveItem) -> str:
    if item.filename and "." in item.filename:
        ext = item.filename.rsplit(".", 1)[1].lower()
        if ext.isalnum() and len(ext) <= 5:
            return "." + ext
    return {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg",
            "image/tiff": ".tif"}.get(item.media_type, ".bin")
