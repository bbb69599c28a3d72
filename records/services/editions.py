"""Printed editions and the trust list: record a print, revoke it, supersede it, manage public keys.

Printing is the office's right (``Action.BOOKS_PRINT``, CV §2.2.3 b); withdrawing a print (a book
reported stolen or withdrawn) is a leadership decision, the principal's (``Action.EDITIONS_REVOKE``,
CV §2.2.2 a). Keys are set up by the installation or the administrator (``Action.SCHOOL_SETUP``).
Every write is appended to the audit trail in the caller's transaction; the caller commits.

Rules:

* an edition is never changed in what it printed; reprinting makes a new edition;
* a new *original* of the same scope (kind, class, student, year, part) supersedes the current
  originals of that scope; a *copy* (bản sao) supersedes nothing — each copy handed out stays
  valid until it is revoked or a correction outdates it;
* ``on_correction_applied`` (called by the corrections service when an approved correction is
  written) marks the current editions whose data it changed as *outdated*, until they are reprinted.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records import audit
from records.errors import ConflictError, NotFoundError, SodientuError, ValidationError
from records.models import (
    Class,
    Edition,
    EditionKind,
    EditionPage,
    EditionStatus,
    Enrolment,
    KeyKind,
    KeyState,
    School,
    SchoolYear,
    SigningKey,
    Student,
    utcnow,
)
from records.permissions import Action, Actor, Scope, require, student_scopes
from records.services.context import today as _today

ENTITY = "edition"
KEY_ENTITY = "signing_key"


# --- inputs and results ------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintedPage:
    """One physical page as printed: full-book number, layout kind, 16-byte data digest."""

    number: int
    kind: str
    digest: bytes


@dataclass(frozen=True)
class EditionDraft:
    """What publishing produced, to be recorded as an edition."""

    edition_id: uuid.UUID
    kind: EditionKind
    school_id: int
    title: str
    issued_on: dt.date
    book_pages: int
    pages: tuple[PrintedPage, ...]
    key_id: str
    document_sha256: str
    pdf_sha256: str | None = None
    pdf_signed: bool = False
    class_id: int | None = None
    student_id: int | None = None
    school_year_id: int | None = None
    part: str = "all"
    copy: bool = False


@dataclass(frozen=True)
class EditionState:
    """What a verifier needs to know about an edition (no personal data beyond the title)."""

    edition_id: uuid.UUID
    kind: EditionKind
    title: str
    status: EditionStatus
    copy: bool
    issued_on: dt.date
    created_at: dt.datetime
    created_by: str
    page_count: int
    book_pages: int
    key_id: str
    digests: dict[int, str]  # full-book page number -> hex digest
    superseded_by: uuid.UUID | None = None
    superseded_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    revoked_reason: str | None = None
    outdated_at: dt.datetime | None = None
    outdated_by_request_id: int | None = None


# --- printing ----------------------------------------------------------------------------------


def print_target(session: Session, *, school_id: int, class_id: int | None = None,
                 student_id: int | None = None, school_year_id: int | None = None) -> object:
    """The object the print right is checked on: the class, else the student, else the year or school."""
    for model, key in ((Class, class_id), (Student, student_id), (SchoolYear, school_year_id), (School, school_id)):
        if key is not None:
            obj = session.get(model, key)
            if obj is None:
                raise NotFoundError("Không tìm thấy đối tượng cần in.", f"{model.__name__} {key} not found")
            return obj
    raise ValidationError("Thiếu trường của bản in.", "edition without school")


def authorize_print(session: Session, actor: Actor, *, school_id: int, class_id: int | None = None,
                    student_id: int | None = None, school_year_id: int | None = None) -> None:
    """Raise PermissionDeniedError unless the actor may print this book (checked before rendering)."""
    target = print_target(session, school_id=school_id, class_id=class_id, student_id=student_id,
                          school_year_id=school_year_id)
    require(session, actor, Action.BOOKS_PRINT, target)


class PrintRights:
    """``authorize_print`` (and ``find_key``) for the many books of one read transaction (a print task): the
    students of ``student_ids`` read at once (``permissions.student_scopes``), and each distinct target's
    decision and each key looked up once. Every call still decides: the right of every book is checked by the
    same rules on the same scope as ``authorize_print``; only what this transaction already read or decided is
    not read again. Bound to the session's transaction and to the actor it was made for: once that transaction
    ends (commit, rollback), it forgets everything and reads again; a refusal is never remembered."""

    def __init__(self, session: Session, actor: Actor, student_ids: Sequence[int] = ()) -> None:
        self.session, self.actor = session, actor
        self._transaction = session.get_transaction()
        self._student_ids = tuple(student_ids)
        self._scopes: dict[int, Scope] | None = None
        self._allowed: set[tuple[int, int | None, int | None, int | None]] = set()
        self._keys: dict[str, SigningKey | None] = {}

    def _current(self) -> None:
        transaction = self.session.get_transaction()
        if transaction is None or transaction is not self._transaction:  # a new transaction: nothing carried over
            self._transaction = transaction
            self._scopes = None
            self._allowed.clear()
            self._keys.clear()

    def authorize(self, *, school_id: int, class_id: int | None = None, student_id: int | None = None,
                  school_year_id: int | None = None) -> None:
        """``authorize_print(session, actor, …)`` of one book."""
        self._current()
        target = (school_id, class_id, student_id, school_year_id)
        if target in self._allowed:
            return
        if class_id is None and student_id is not None and student_id in self._student_ids:
            scopes = self._scopes
            if scopes is None:
                scopes = self._scopes = student_scopes(self.session, self._student_ids)
                self._transaction = self.session.get_transaction()  # the first read may have begun it
            scope = scopes.get(student_id)
            if scope is None:
                raise NotFoundError("Không tìm thấy đối tượng cần in.", f"Student {student_id} not found")
            require(self.session, self.actor, Action.BOOKS_PRINT, scope)
        else:
            authorize_print(self.session, self.actor, school_id=school_id, class_id=class_id, student_id=student_id,
                            school_year_id=school_year_id)
            self._transaction = self.session.get_transaction()
        self._allowed.add(target)

    def find_key(self, key_id: str) -> SigningKey | None:
        """``find_key`` of this transaction."""
        self._current()
        if key_id not in self._keys:
            self._keys[key_id] = find_key(self.session, key_id)
            self._transaction = self.session.get_transaction()
        return self._keys[key_id]


def authorize_revoke(session: Session, actor: Actor, edition: Edition) -> None:
    """Raise PermissionDeniedError unless the actor may withdraw this edition (the principal)."""
    target = print_target(session, school_id=edition.school_id, class_id=edition.class_id,
                          student_id=edition.student_id, school_year_id=edition.school_year_id)
    require(session, actor, Action.EDITIONS_REVOKE, target)


def create_edition(session: Session, actor: Actor, draft: EditionDraft) -> Edition:
    """Record a print as a new edition (audited); a new original supersedes the current ones of its scope."""
    authorize_print(session, actor, school_id=draft.school_id, class_id=draft.class_id,
                    student_id=draft.student_id, school_year_id=draft.school_year_id)
    _check_pages(draft)
    if session.get(Edition, draft.edition_id) is not None:
        raise ConflictError("Mã bản in đã tồn tại.", f"edition {draft.edition_id} exists")
    now = utcnow()
    edition = Edition(
        id=draft.edition_id, school_id=draft.school_id, kind=draft.kind, class_id=draft.class_id,
        student_id=draft.student_id, school_year_id=draft.school_year_id, part=draft.part, copy=draft.copy,
        title=draft.title, issued_on=draft.issued_on, created_at=now, created_by_id=actor.user_id,
        created_by_name=actor.username, page_count=len(draft.pages), book_pages=draft.book_pages,
        key_id=draft.key_id, document_sha256=draft.document_sha256, pdf_sha256=draft.pdf_sha256,
        pdf_signed=draft.pdf_signed, status=EditionStatus.CURRENT,
    )
    edition.pages = [EditionPage(position=i, number=p.number, kind=p.kind, digest=p.digest.hex())
                     for i, p in enumerate(draft.pages, 1)]
    superseded: list[Edition] = []
    if not draft.copy:
        superseded = list(session.scalars(_scope_query(draft).where(
            Edition.status.in_((EditionStatus.CURRENT, EditionStatus.OUTDATED)))))
    session.add(edition)
    session.flush()
    for old in superseded:
        before = {"status": old.status.value}
        old.status = EditionStatus.SUPERSEDED
        old.superseded_by_id = edition.id
        old.superseded_at = now
        audit.append(session, actor, "supersede", ENTITY, str(old.id), before,
                     {"status": old.status.value, "superseded_by": str(edition.id)}, school_id=old.school_id)
    audit.append(session, actor, "print", ENTITY, str(edition.id), None, _snapshot(edition),
                 school_id=edition.school_id)
    audit.seal_automatically(session, edition.school_id, "edition")  # what was printed stays provable
    session.flush()
    return edition


def create_editions(session: Session, actor: Actor, drafts: Sequence[EditionDraft]) -> list[Edition | SodientuError]:
    """Record many prints at once (a print run's task), by the rules of :func:`create_edition`.

    The print right is checked once per class, student or year (``PrintRights``: the students' scopes read at
    once, in this transaction), the editions and their pages are written
    with one bulk insert each, their audit entries (supersessions, then the print) with one
    ``audit.append_many``, and the chain is sealed once. Per draft: its recorded edition, or the error
    that refused it (rights, pages, an existing id) — the others are recorded. The caller commits.
    """
    out: list[Edition | SodientuError | None] = [None] * len(drafts)
    allowed: dict[tuple[int, int | None, int | None, int | None], SodientuError | None] = {}
    ok: list[int] = []
    rights = PrintRights(session, actor, [d.student_id for d in drafts if d.class_id is None and d.student_id])
    for i, draft in enumerate(drafts):
        target = (draft.school_id, draft.class_id, draft.student_id, draft.school_year_id)
        try:
            if target not in allowed:
                try:
                    rights.authorize(school_id=draft.school_id, class_id=draft.class_id,
                                     student_id=draft.student_id, school_year_id=draft.school_year_id)
                    allowed[target] = None
                except SodientuError as exc:
                    allowed[target] = exc
            if allowed[target] is not None:
                raise allowed[target]  # type: ignore[misc]
            _check_pages(draft)
            ok.append(i)
        except SodientuError as exc:
            out[i] = exc
    existing = set(session.scalars(select(Edition.id).where(Edition.id.in_([drafts[i].edition_id for i in ok]))))
    seen: set[uuid.UUID] = set()
    for i in list(ok):
        if drafts[i].edition_id in existing or drafts[i].edition_id in seen:
            out[i] = ConflictError("Mã bản in đã tồn tại.", f"edition {drafts[i].edition_id} exists")
            ok.remove(i)
        seen.add(drafts[i].edition_id)
    if ok:
        _insert_editions(session, actor, [drafts[i] for i in ok])
        recorded = {e.id: e for e in session.scalars(select(Edition).where(
            Edition.id.in_([drafts[i].edition_id for i in ok])))}
        for i in ok:
            out[i] = recorded[drafts[i].edition_id]
    return out  # type: ignore[return-value]


def _check_pages(draft: EditionDraft) -> None:
    if not draft.pages:
        raise ValidationError("Bản in không có trang nào.", "edition without pages")
    numbers = [p.number for p in draft.pages]
    if len(set(numbers)) != len(numbers) or min(numbers) < 1 or max(numbers) > draft.book_pages:
        raise ValidationError("Số trang của bản in không hợp lệ.", f"bad page numbers {numbers[:5]}…")
    if any(len(p.digest) != 16 for p in draft.pages):
        raise ValidationError("Mã băm trang không hợp lệ.", "page digests must be 16 bytes")


def _scope_key(e: Edition | EditionDraft) -> tuple[object, ...]:
    return (e.school_id, e.kind, e.class_id, e.student_id, e.school_year_id, e.part)


def _insert_editions(session: Session, actor: Actor, drafts: list[EditionDraft]) -> None:
    """Bulk insert of checked drafts: supersede the current originals of each scope, trace, seal."""
    from sqlalchemy import insert, or_, update

    now = utcnow()
    originals = [d for d in drafts if not d.copy]
    current: dict[tuple[object, ...], list[tuple[uuid.UUID, EditionStatus, int]]] = {}
    loaded: list[Edition] = []
    if originals:
        students = {d.student_id for d in originals if d.student_id is not None}
        classes = {d.class_id for d in originals if d.class_id is not None}
        scopes = {_scope_key(d) for d in originals}
        query = select(Edition).where(
            Edition.school_id.in_({d.school_id for d in originals}), Edition.kind.in_({d.kind for d in originals}),
            Edition.copy.is_(False), Edition.status.in_((EditionStatus.CURRENT, EditionStatus.OUTDATED)))
        narrow = []
        if students:
            narrow.append(Edition.student_id.in_(students))
        if classes:
            narrow.append(Edition.class_id.in_(classes))
        if any(d.student_id is None and d.class_id is None for d in originals):
            narrow.append(Edition.student_id.is_(None) & Edition.class_id.is_(None))
        for old in session.scalars(query.where(or_(*narrow))):
            if _scope_key(old) in scopes:
                loaded.append(old)
                current.setdefault(_scope_key(old), []).append((old.id, old.status, old.school_id))
    records: list[audit.AuditRecord] = []
    superseded: list[dict[str, object]] = []
    rows, pages = [], []
    for d in drafts:
        if not d.copy:
            for old_id, status, school_id in current.pop(_scope_key(d), []):
                superseded.append({"id": old_id, "superseded_by_id": d.edition_id})
                records.append(audit.AuditRecord("supersede", ENTITY, str(old_id), {"status": status.value},
                                                 {"status": EditionStatus.SUPERSEDED.value,
                                                  "superseded_by": str(d.edition_id)}, school_id))
            current[_scope_key(d)] = [(d.edition_id, EditionStatus.CURRENT, d.school_id)]
        rows.append({
            "id": d.edition_id, "school_id": d.school_id, "kind": d.kind, "class_id": d.class_id,
            "student_id": d.student_id, "school_year_id": d.school_year_id, "part": d.part, "copy": d.copy,
            "title": d.title, "issued_on": d.issued_on, "created_at": now, "created_by_id": actor.user_id,
            "created_by_name": actor.username, "page_count": len(d.pages), "book_pages": d.book_pages,
            "key_id": d.key_id, "document_sha256": d.document_sha256, "pdf_sha256": d.pdf_sha256,
            "pdf_signed": d.pdf_signed, "status": EditionStatus.CURRENT})
        pages += [{"edition_id": d.edition_id, "position": i, "number": p.number, "kind": p.kind,
                   "digest": p.digest.hex()} for i, p in enumerate(d.pages, 1)]
        records.append(audit.AuditRecord("print", ENTITY, str(d.edition_id), None, _draft_snapshot(d), d.school_id))
    session.flush()
    session.execute(insert(Edition), rows)
    session.execute(insert(EditionPage), pages)
    for change in superseded:  # an edition superseded within the batch too (its row exists now)
        session.execute(update(Edition).where(Edition.id == change["id"]).values(
            status=EditionStatus.SUPERSEDED, superseded_by_id=change["superseded_by_id"], superseded_at=now))
    audit.append_many(session, actor, records)
    for school_id in sorted({d.school_id for d in drafts}):
        audit.seal_automatically(session, school_id, "edition")  # what was printed stays provable
    for old in loaded:  # read again with their new status
        session.expire(old)


def _draft_snapshot(d: EditionDraft) -> dict[str, object]:
    """The traced snapshot of a new edition (``_snapshot`` of the row ``_insert_editions`` writes)."""
    return {
        "kind": d.kind.value, "title": d.title, "class_id": d.class_id, "student_id": d.student_id,
        "school_year_id": d.school_year_id, "part": d.part, "copy": d.copy, "issued_on": d.issued_on,
        "page_count": len(d.pages), "book_pages": d.book_pages, "key_id": d.key_id,
        "document_sha256": d.document_sha256, "pdf_sha256": d.pdf_sha256, "pdf_signed": d.pdf_signed,
        "pages": [[p.number, p.digest.hex()] for p in d.pages],
    }


def _scope_query(draft: EditionDraft):  # type: ignore[no-untyped-def]
    def eq(col, value):  # type: ignore[no-untyped-def]
        return col.is_(None) if value is None else col == value

    return select(Edition).where(
        Edition.school_id == draft.school_id, Edition.kind == draft.kind, eq(Edition.class_id, draft.class_id),
        eq(Edition.student_id, draft.student_id), eq(Edition.school_year_id, draft.school_year_id),
        Edition.part == draft.part, Edition.copy.is_(False),
    )


def _snapshot(e: Edition) -> dict[str, object]:
    return {
        "kind": e.kind.value, "title": e.title, "class_id": e.class_id, "student_id": e.student_id,
        "school_year_id": e.school_year_id, "part": e.part, "copy": e.copy, "issued_on": e.issued_on,
        "page_count": e.page_count, "book_pages": e.book_pages, "key_id": e.key_id,
        "document_sha256": e.document_sha256, "pdf_sha256": e.pdf_sha256, "pdf_signed": e.pdf_signed,
        "pages": [[p.number, p.digest] for p in e.pages],
    }


def get_edition(session: Session, edition_id: uuid.UUID | str) -> Edition:
    """The edition with this id (full UUID), or NotFoundError."""
    try:
        key = edition_id if isinstance(edition_id, uuid.UUID) else uuid.UUID(str(edition_id).strip())
    except ValueError:
        raise NotFoundError(f"Mã bản in không hợp lệ: {edition_id}.", f"bad edition id {edition_id!r}") from None
    edition = session.get(Edition, key)
    if edition is None:
        raise NotFoundError(f"Không có bản in {edition_id}.", f"edition {edition_id} not found")
    return edition


def find_editions(session: Session, prefix: str) -> list[Edition]:
    """Editions whose id starts with a hex prefix (for commands that accept a shortened id)."""
    hexpart = prefix.replace("-", "").lower()
    if not hexpart or any(c not in "0123456789abcdef" for c in hexpart):
        return []
    rows = session.scalars(select(Edition).order_by(Edition.created_at))
    return [e for e in rows if e.id.hex.startswith(hexpart)]


def revoke_edition(session: Session, actor: Actor, edition_id: uuid.UUID | str, reason: str) -> Edition:
    """Withdraw an edition (e.g. a transcript reported stolen): nothing of it verifies any more."""
    edition = get_edition(session, edition_id)
    authorize_revoke(session, actor, edition)
    if not reason or not reason.strip():
        raise ValidationError("Cần ghi lý do thu hồi bản in.", "revocation needs a reason")
    if edition.status is EditionStatus.REVOKED:
        raise ConflictError("Bản in này đã bị thu hồi.", f"edition {edition.id} already revoked")
    before = {"status": edition.status.value}
    edition.status = EditionStatus.REVOKED
    edition.revoked_at = utcnow()
    edition.revoked_by_name = actor.username
    edition.revoked_reason = reason.strip()
    audit.append(session, actor, "revoke", ENTITY, str(edition.id), before,
                 {"status": "revoked"}, school_id=edition.school_id, reason=edition.revoked_reason)
    session.flush()
    return edition


def on_correction_applied(session: Session, actor: Actor, *, enrolment_id: int,
                          request_id: int | None = None) -> list[Edition]:
    """Hook for the corrections service: outdate the current editions whose data the correction changed.

    A correction of a student's entry changes the class's mark book of that year and the student's
    transcript; their current editions stay genuine prints but no longer say what the records say.
    """
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise NotFoundError("Không tìm thấy học sinh trong lớp.", f"enrolment {enrolment_id} not found")
    klass = session.get(Class, enrolment.class_id)
    year_id = klass.grade.school_year_id if klass is not None else None
    rows = session.scalars(select(Edition).where(
        Edition.status == EditionStatus.CURRENT,
        ((Edition.kind == EditionKind.MARK_BOOK) & (Edition.class_id == enrolment.class_id))
        | ((Edition.kind == EditionKind.TRANSCRIPT) & (Edition.student_id == enrolment.student_id)),
    ))
    now = utcnow()
    changed = []
    for edition in rows:
        if edition.kind is EditionKind.MARK_BOOK and year_id is not None and edition.school_year_id not in (
                None, year_id):
            continue
        edition.status = EditionStatus.OUTDATED
        edition.outdated_at = now
        edition.outdated_by_request_id = request_id
        audit.append(session, actor, "outdate", ENTITY, str(edition.id), {"status": "current"},
                     {"status": "outdated"}, school_id=edition.school_id, request_id=request_id)
        changed.append(edition)
    session.flush()
    return changed


def _correction_subscriber(session: Session, event: object) -> None:
    """Subscriber of ``records.services.corrections.on_correction_applied`` (registered below)."""
    request_id = getattr(event, "request_id", None)
    actor = Actor.system(f"sửa chữa theo đơn số {request_id}")
    on_correction_applied(session, actor, enrolment_id=event.enrolment_id, request_id=request_id)  # type: ignore[attr-defined]


def subscribe_to_corrections() -> None:
    """Register the outdating hook with the corrections service (idempotent; done on import)."""
    from records.services import corrections

    if _correction_subscriber not in corrections.on_correction_applied:
        corrections.on_correction_applied.append(_correction_subscriber)


def edition_state(session: Session, edition_id: uuid.UUID) -> EditionState | None:
    """What a verifier needs about an edition, or None when the database does not know it."""
    e = session.get(Edition, edition_id)
    if e is None:
        return None
    return EditionState(
        edition_id=e.id, kind=e.kind, title=e.title, status=e.status, copy=e.copy, issued_on=e.issued_on,
        created_at=e.created_at, created_by=e.created_by_name, page_count=e.page_count,
        book_pages=e.book_pages, key_id=e.key_id, digests={p.number: p.digest for p in e.pages},
        superseded_by=e.superseded_by_id, superseded_at=e.superseded_at, revoked_at=e.revoked_at,
        revoked_reason=e.revoked_reason, outdated_at=e.outdated_at, outdated_by_request_id=e.outdated_by_request_id,
    )


def current_pdf_digests(session: Session, edition_ids: Sequence[uuid.UUID] | set[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    """The PDF digest of each of these editions that is still current (a resumed print run's check)."""
    ids = sorted(edition_ids)
    out: dict[uuid.UUID, str | None] = {}
    for i in range(0, len(ids), 500):
        for edition_id, digest in session.execute(
                select(Edition.id, Edition.pdf_sha256).where(Edition.id.in_(ids[i:i + 500]),
                                                             Edition.status == EditionStatus.CURRENT)):
            out[edition_id] = digest
    return out


def list_editions(session: Session, *, school_id: int | None = None, limit: int = 100) -> list[Edition]:
    """The latest editions (newest first)."""
    query = select(Edition).order_by(Edition.created_at.desc()).limit(limit)
    if school_id is not None:
        query = query.where(Edition.school_id == school_id)
    return list(session.scalars(query))


# --- the trust list ----------------------------------------------------------------------------


def _key_target(session: Session, school_id: int | None) -> object:
    if school_id is None:
        return None
    school = session.get(School, school_id)
    if school is None:
        raise NotFoundError("Không tìm thấy trường.", f"school {school_id} not found")
    return school


def register_key(session: Session, actor: Actor, *, key_id: str, kind: KeyKind, public_pem: str,
                 school_id: int | None, label: str = "", valid_from: dt.date | None = None,
                 activate: bool = True) -> SigningKey:
    """Add a public key to the trust list; an active key retires the school's previous active one of its kind."""
    require(session, actor, Action.SCHOOL_SETUP, _key_target(session, school_id))
    if session.scalar(select(SigningKey).where(SigningKey.key_id == key_id)) is not None:
        raise ConflictError(f"Khóa {key_id} đã có trong danh sách tin cậy.", f"key {key_id} already registered")
    today = _today(valid_from)
    if activate:
        for old in active_keys(session, school_id=school_id, kind=kind):
            old.status = KeyState.RETIRED
            old.retired_on = today
            audit.append(session, actor, "retire", KEY_ENTITY, old.key_id, {"status": "active"},
                         {"status": "retired"}, school_id=school_id)
    row = SigningKey(key_id=key_id, kind=kind, school_id=school_id, public_pem=public_pem, label=label,
                     status=KeyState.ACTIVE if activate else KeyState.RETIRED, valid_from=today,
                     retired_on=None if activate else today)
    session.add(row)
    session.flush()
    audit.append(session, actor, "register", KEY_ENTITY, key_id, None,
                 {"kind": kind.value, "status": row.status.value, "public_pem": public_pem, "label": label},
                 school_id=school_id)
    return row


def active_keys(session: Session, *, school_id: int | None, kind: KeyKind) -> list[SigningKey]:
    """The school's active keys of a kind (normally one)."""
    query = select(SigningKey).where(SigningKey.kind == kind, SigningKey.status == KeyState.ACTIVE)
    query = query.where(SigningKey.school_id.is_(None) if school_id is None else SigningKey.school_id == school_id)
    return list(session.scalars(query.order_by(SigningKey.id)))


def get_key(session: Session, key_id: str) -> SigningKey:
    """The trust-list entry with this key id, or NotFoundError."""
    row = session.scalar(select(SigningKey).where(SigningKey.key_id == key_id.strip().lower()))
    if row is None:
        raise NotFoundError(f"Không có khóa {key_id} trong danh sách tin cậy.", f"key {key_id} not found")
    return row


def retire_key(session: Session, actor: Actor, key_id: str, on: dt.date | None = None) -> SigningKey:
    """Stop signing with a key; what it signed stays verifiable."""
    row = get_key(session, key_id)
    require(session, actor, Action.SCHOOL_SETUP, _key_target(session, row.school_id))
    if row.status is KeyState.REVOKED:
        raise ConflictError(f"Khóa {key_id} đã bị thu hồi.", f"key {key_id} is revoked")
    before = {"status": row.status.value}
    row.status = KeyState.RETIRED
    row.retired_on = _today(on)
    audit.append(session, actor, "retire", KEY_ENTITY, row.key_id, before, {"status": "retired"},
                 school_id=row.school_id)
    session.flush()
    return row


def revoke_key(session: Session, actor: Actor, key_id: str, reason: str, on: dt.date | None = None) -> SigningKey:
    """Revoke a key (lost, stolen): nothing it signed is accepted any more."""
    row = get_key(session, key_id)
    require(session, actor, Action.SCHOOL_SETUP, _key_target(session, row.school_id))
    if not reason or not reason.strip():
        raise ValidationError("Cần ghi lý do thu hồi khóa.", "key revocation needs a reason")
    if row.status is KeyState.REVOKED:
        raise ConflictError(f"Khóa {key_id} đã bị thu hồi.", f"key {key_id} already revoked")
    before = {"status": row.status.value}
    row.status = KeyState.REVOKED
    row.revoked_on = _today(on)
    row.revoked_reason = reason.strip()
    audit.append(session, actor, "revoke", KEY_ENTITY, row.key_id, before, {"status": "revoked"},
                 school_id=row.school_id, reason=row.revoked_reason)
    session.flush()
    return row


def list_keys(session: Session, *, kind: KeyKind | None = None, school_id: int | None = None) -> list[SigningKey]:
    """Every trusted key (all statuses), oldest first."""
    query = select(SigningKey).order_by(SigningKey.id)
    if kind is not None:
        query = query.where(SigningKey.kind == kind)
    if school_id is not None:
        query = query.where(SigningKey.school_id == school_id)
    return list(session.scalars(query))


def find_key(session: Session, key_id: str) -> SigningKey | None:
    """The trust-list entry with this key id, or None."""
    return session.scalar(select(SigningKey).where(SigningKey.key_id == key_id.strip().lower()))


__all__: Sequence[str] = [
    "EditionDraft",
    "EditionState",
    "PrintRights",
    "PrintedPage",
    "active_keys",
    "authorize_print",
    "authorize_revoke",
    "create_edition",
    "create_editions",
    "current_pdf_digests",
    "edition_state",
    "find_editions",
    "find_key",
    "get_edition",
    "get_key",
    "list_editions",
    "list_keys",
    "on_correction_applied",
    "register_key",
    "retire_key",
    "revoke_edition",
    "revoke_key",
    "subscribe_to_corrections",
]

subscribe_to_corrections()
