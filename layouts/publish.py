"""Publish a book as an edition: sign every page's QR, render PDF/A-3b, attach the data, sign the PDF.

``publish(...)`` takes a built book document (``layouts.markbook.build_markbook``,
``layouts.transcript.build_transcript``, …) and:

1. checks the actor may print it (``Action.BOOKS_PRINT``), that the signing key is the school's
   active key in the trust list, and that every value of the scope is the audit trail's
   (``records.services.trail``: a value edited behind the services' back stops the print, named);
2. for every page computes ``page_digest(page.data)``, signs the QR payload (doc type, edition id,
   page n/N, digest, and for a transcript the facts a person checks by eye), makes the QR SVG
   (0.5 mm modules) and fills ``page.qr``, ``page.code`` and ``page.qr_mm`` (the printed width the
   template draws it at; a code larger than the reserved slot, ``QR_SLOT_MM``, is refused);
3. renders the document through ``layouts.render`` as PDF/A-3b;
4. re-extracts every page's text and writes the signed manifest (``signing.manifest``);
5. attaches the book document and the manifest (AFRelationship /Data, listed in /AF) and sets the
   XMP identification (title, school, edition), keeping the PDF/A markers;
6. optionally signs the file as PAdES B-B (last: nothing may rewrite the file afterwards);
7. records the edition (``records.services.editions.create_edition``): a reprint supersedes;
8. calls the issue listeners (``add_issue_listener``) in the same transaction: the archive keeps the
   PDF as issued (``archive.install()`` registers ``archive.items:deposit_issued``).

The caller commits the session. A PDF whose edition was not committed verifies as "unknown edition".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import pikepdf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pikepdf.models.metadata import encode_pdf_date

from layouts.documents import QR_SLOT_MM, BookDocument, Page
from layouts.errors import RenderError
from layouts.render import render_document_texts
from records.models import Edition, EditionKind, KeyKind, KeyState
from records.permissions import Actor
from records.services import editions as edition_service
from records.services import trail
from records.services.context import today as service_today
from signing.errors import SigningKeyError
from signing.keys import TrailCacheSigner, key_id
from signing.manifest import (
    DOCUMENT_NAME,
    MANIFEST_NAME,
    Manifest,
    ManifestPage,
    printed_counts,
    sign_manifest,
    text_digest,
    text_tokens,
)
from signing.payload import (
    DocType,
    PayloadFields,
    TranscriptFacts,
    configured_url_base,
    encode_payload,
    human_code,
    page_digest,
)
from signing.pdfsign import PdfSigner, sign_pdf
from signing.qr import DEFAULT_MODULE_MM, qr_svg

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

PDF_STANDARD = "a-3b"
CREATOR_TOOL = "sodientu"

_KIND_BY_BOOK = {
    "markbook": EditionKind.MARK_BOOK,
    "transcript": EditionKind.TRANSCRIPT,
    "register": EditionKind.REGISTER,
    "correction": EditionKind.CORRECTION_RECORD,
    "copy_minutes": EditionKind.COPY_MINUTES,
}
DOC_TYPE_OF: dict[EditionKind, DocType] = {
    EditionKind.MARK_BOOK: DocType.MARK_BOOK,
    EditionKind.TRANSCRIPT: DocType.TRANSCRIPT,
    EditionKind.REGISTER: DocType.REGISTER,
    EditionKind.CORRECTION_RECORD: DocType.CORRECTION_RECORD,
    EditionKind.COPY_MINUTES: DocType.COPY_MINUTES,
    EditionKind.OTHER: DocType.OTHER,
}

FactsFor = Callable[[Page], TranscriptFacts | None]


@dataclass(frozen=True)
class Scope:
    """What the edition is of: the school and the class, the student or the year it covers."""

    school_id: int
    class_id: int | None = None
    student_id: int | None = None
    school_year_id: int | None = None
    part: str | None = None  # default: the document's part ("term1", "year", "all")


@dataclass(frozen=True)
class Timings:
    """Where publishing spent its time: CPU seconds of the process, all threads (Typst lays out on
    several), so that the figures mean the same on a machine shared with other work."""

    sign_qr: float
    render: float
    text_and_manifest: float
    attach: float
    pdf_signature: float
    record: float

    @property
    def overhead(self) -> float:
        """Everything but the Typst render."""
        return self.sign_qr + self.text_and_manifest + self.attach + self.pdf_signature + self.record


@dataclass(frozen=True)
class Published:
    """A published edition: the PDF bytes, the recorded edition, its manifest and timings."""

    pdf: bytes
    edition: Edition
    manifest: Manifest
    document_json: bytes
    qr_versions: tuple[int, ...]
    payload_bytes: tuple[int, ...]
    timings: Timings


def edition_kind(document: BookDocument) -> EditionKind:
    """The edition kind of a book document (from ``book.kind``)."""
    return _KIND_BY_BOOK.get(document.book.kind, EditionKind.OTHER)


def default_title(document: BookDocument, kind: EditionKind, copy: bool) -> str:
    """"Sổ theo dõi và đánh giá học sinh — Lớp 9A1 — 2025-2026 (term1)"."""
    b = document.book
    parts = [kind.label_vi]
    if b.class_name:
        parts.append(f"Lớp {b.class_name}")
    if b.year:
        parts.append(b.year)
    title = " — ".join(parts)
    if b.part != "all":
        title += f" ({b.part})"
    return title + (" — bản sao" if copy else "")


def publish(
    session: Session,
    actor: Actor,
    document: BookDocument,
    *,
    template: str,
    scope: Scope,
    private_key: Ed25519PrivateKey,
    copy: bool = False,
    issued_on: dt.date | None = None,
    facts: FactsFor | None = None,
    url_base: str | None = None,
    pdf_signer: PdfSigner | None = None,
    signature_reason: str = "Xác nhận bản in của nhà trường",
    signature_location: str = "",
    title: str | None = None,
    kind: EditionKind | None = None,
) -> Published:
    """Sign, render, attach, optionally PDF-sign and record one edition of a book (the caller commits).

    The three steps are also usable apart (``layouts.batch`` keeps its database transactions short
    around the render): :func:`check_publication` (database reads), :func:`produce` (no database),
    :func:`record_publication` (one short write).
    """
    kind = check_publication(session, actor, document, scope=scope, private_key=private_key, kind=kind)
    produced = produce(document, template=template, kind=kind, private_key=private_key, copy=copy,
                       issued_on=issued_on or service_today(), facts=facts, url_base=url_base,
                       pdf_signer=pdf_signer, signature_reason=signature_reason,
                       signature_location=signature_location, title=title)
    return record_publication(session, actor, produced, scope=scope)


def check_publication(session: Session, actor: Actor, document: BookDocument, *, scope: Scope,
                      private_key: Ed25519PrivateKey, kind: EditionKind | None = None,
                      traced: bool = False, rights: edition_service.PrintRights | None = None) -> EditionKind:
    """Raise unless the actor may print the book with this key; returns the edition kind (reads only).

    ``traced=True``: the caller checks the scope's values against the trail itself
    (:func:`require_traced_scopes`, one replay for many books; or ``layouts.batch``'s run-wide check,
    compared by digest with the values the book read, before anything is recorded).
    ``rights``: the ``PrintRights`` of the caller's read transaction and actor (many books: what the
    transaction read for one book's right and key is not read again).
    """
    kind = kind or edition_kind(document)
    if rights is not None and (rights.session is not session or rights.actor is not actor):
        raise ValueError("print rights of another session or actor")
    authorize = rights.authorize if rights is not None else partial(edition_service.authorize_print, session, actor)
    authorize(school_id=scope.school_id, class_id=scope.class_id, student_id=scope.student_id,
              school_year_id=scope.school_year_id)
    _require_active_key(session, key_id(private_key), scope.school_id, rights)
    if not document.pages:
        raise RenderError("Sổ không có trang nào để in.", "document without pages")
    # print only what the trail says: a value changed behind the services' back stops the print, named
    if not traced:
        trail.require_traced(session, scope_enrolments(session, scope), signer=TrailCacheSigner(private_key))
    return kind


def scope_enrolments(session: Session, scope: Scope) -> list[int]:
    """The enrolments whose values a book of this scope prints (its trail check's enrolments)."""
    return trail.enrolments_of(session, class_id=scope.class_id, student_id=scope.student_id,
                               school_id=scope.school_id,
                               course=scope.part if scope.class_id is None and scope.student_id is None else None)


def require_traced_scopes(session: Session, scopes: list[Scope], private_key: Any = None) -> None:
    """``trail.require_traced`` of the enrolments of many scopes at once (each audit chain replayed once).

    Raises like it for the first mismatch of any of them; the batch then checks its books one by one
    to fail only the book concerned.
    """
    ids: set[int] = set()
    for scope in scopes:
        ids.update(scope_enrolments(session, scope))
    trail.require_traced(session, ids, signer=TrailCacheSigner(private_key) if private_key is not None else None)


@dataclass(frozen=True)
class Produced:
    """A signed and rendered edition not yet recorded (``produce``); ``record_publication`` records it."""

    pdf: bytes
    edition_id: uuid.UUID
    kind: EditionKind
    title: str
    issued: dt.date
    total: int
    pages: tuple[edition_service.PrintedPage, ...]
    key_id: str
    document_sha256: str
    pdf_signed: bool
    part: str
    copy: bool
    manifest: Manifest
    document_json: bytes
    qr_versions: tuple[int, ...]
    payload_bytes: tuple[int, ...]
    timings: Timings
    rendered: BookDocument | None = None  # the document as compiled (QR codes filled in)


def produce(
    document: BookDocument,
    *,
    template: str,
    kind: EditionKind,
    private_key: Ed25519PrivateKey,
    issued_on: dt.date,
    copy: bool = False,
    facts: FactsFor | None = None,
    url_base: str | None = None,
    pdf_signer: PdfSigner | None = None,
    signature_reason: str = "Xác nhận bản in của nhà trường",
    signature_location: str = "",
    title: str | None = None,
) -> Produced:
    """Sign every page's QR, render PDF/A-3b, write the signed manifest, attach, PDF-sign (no database)."""
    t0 = time.process_time()
    signed = _sign_pages(document, kind=kind, private_key=private_key, issued=issued_on, copy=copy, facts=facts,
                         url_base=url_base)
    t1 = time.process_time()
    # one PDF parse gives the page count (overflow check of render_document) and the page texts
    pdf, texts = render_document_texts(template, signed.document, pdf_standard=PDF_STANDARD)
    t2 = time.process_time()
    return _finish(document, signed, pdf, texts, kind=kind, private_key=private_key, copy=copy, pdf_signer=pdf_signer,
                   signature_reason=signature_reason, signature_location=signature_location, title=title,
                   sign_qr=t1 - t0, render=t2 - t1)


@dataclass(frozen=True)
class ProduceRequest:
    """One book of ``produce_many``: the arguments of ``produce`` that differ from book to book."""

    document: BookDocument
    kind: EditionKind
    facts: FactsFor | None = None
    copy: bool = False
    title: str | None = None


def produce_many(
    requests: list[ProduceRequest],
    *,
    template: str,
    private_key: Ed25519PrivateKey,
    issued_on: dt.date,
    url_base: str | None = None,
    pdf_signer: PdfSigner | None = None,
    signature_reason: str = "Xác nhận bản in của nhà trường",
    signature_location: str = "",
    dump: Callable[[str], None] | None = None,
) -> list[Produced | Exception]:
    """``produce`` for many books of one template, rendered in ONE Typst compile (``render.render_batch``) and
    split into one PDF per book; per book its ``Produced`` or the error that stopped it (layouts/README.md,
    D-BATCH-1). What is signed — QR payloads, page digests, manifest, attached document — is what ``produce``
    signs for the book alone; only the PDF bytes differ (object numbers, the batch's font subsets).

    A book whose codes cannot be signed fails alone; a batch that does not compile or whose page count is
    not the sum of the books' is produced book by book (each failing with its own error, the overflow named).
    ``dump`` (benchmarks) gets the batch's compiled input.
    """
    from layouts.render import BATCH_TEMPLATES, render_batch

    out: list[Produced | Exception | None] = [None] * len(requests)
    signed: list[tuple[int, _Signed, float]] = []
    for i, req in enumerate(requests):
        t0 = time.process_time()
        try:
            if template not in BATCH_TEMPLATES:
                raise RenderError("Không in được sổ.", f"template {template!r} has no batch entry")
            signed.append((i, _sign_pages(req.document, kind=req.kind, private_key=private_key, issued=issued_on,
                                          copy=req.copy, facts=req.facts, url_base=url_base),
                           time.process_time() - t0))
        except Exception as exc:  # noqa: BLE001 - that book only
            out[i] = exc
    rendered = None
    # per book of a batch: its attachments made and put in while the batch is split (render_batch's edit),
    # before its one save; or the error that stopped it. The CPU of the edits is theirs, not the render's
    made: dict[int, tuple[_Made, str, float, float] | Exception] = {}

    def edit(k: int, texts: tuple[str, ...], book: pikepdf.Pdf) -> None:
        i, sig, _t = signed[k]
        req = requests[i]
        t0 = time.process_time()
        try:
            m = _manifest(req.document, sig, texts, private_key)
            t1 = time.process_time()
            title = req.title or default_title(req.document, req.kind, req.copy)
            _attach_into(book, m.attached, m.manifest_bytes, title=title, school=req.document.book.school,
                         edition_id=sig.edition_id, issued=sig.issued)
            made[k] = (m, title, t1 - t0, time.process_time() - t1)
        except Exception as exc:  # noqa: BLE001 - that book only
            made[k] = exc

    if len(signed) > 1:
        t1 = time.process_time()
        try:
            rendered = render_batch(template, [s.document for _i, s, _t in signed], pdf_standard=PDF_STANDARD,
                                    edit=edit)
        except Exception:
            log.info("batch render of %d %s books failed; rendering them one by one", len(signed), template,
                     exc_info=True)
        if rendered is not None and dump is not None:
            dump(rendered.source)
        pages = sum(len(s.document.pages) for _i, s, _t in signed)
        edits = sum(m[2] + m[3] for m in made.values() if not isinstance(m, Exception))
        per_page = (time.process_time() - t1 - edits) / max(1, pages)
    for k, (i, sig, sign_qr) in enumerate(signed):
        req = requests[i]
        try:
            if rendered is not None:
                done = made.get(k)
                if done is None:
                    raise RenderError("Không in được sổ.", "book not attached while splitting the batch")
                if isinstance(done, Exception):
                    raise done
                m, title, manifest_s, attach_s = done
                out[i] = _produced(req.document, sig, m, rendered.pdfs[k], kind=req.kind, copy=req.copy,
                                   pdf_signer=pdf_signer, signature_reason=signature_reason,
                                   signature_location=signature_location, title=title, sign_qr=sign_qr,
                                   render=per_page * len(sig.document.pages), text_and_manifest=manifest_s,
                                   attach=attach_s)
                continue
            t1 = time.process_time()
            pdf, texts = render_document_texts(template, sig.document, pdf_standard=PDF_STANDARD)
            render_s = time.process_time() - t1
            if dump is not None:  # what was compiled: this book alone
                from layouts.render import batch_json, document_json

                dump(batch_json([document_json(sig.document.to_dict())]))
            out[i] = _finish(req.document, sig, pdf, texts, kind=req.kind, private_key=private_key, copy=req.copy,
                             pdf_signer=pdf_signer, signature_reason=signature_reason,
                             signature_location=signature_location, title=req.title, sign_qr=sign_qr,
                             render=render_s)
        except Exception as exc:  # noqa: BLE001
            out[i] = exc
    return [o if o is not None else RenderError("Không in được sổ.", "not produced") for o in out]


@dataclass(frozen=True)
class _Signed:
    """A document whose pages carry their signed QR codes (``_sign_pages``)."""

    document: BookDocument  # with the codes
    edition_id: uuid.UUID
    issued: dt.date
    total: int
    key_id: str
    payloads: tuple[str, ...]
    versions: tuple[int, ...]
    sizes: tuple[int, ...]
    digests: tuple[bytes, ...]


def _sign_pages(document: BookDocument, *, kind: EditionKind, private_key: Ed25519PrivateKey, issued: dt.date,
                copy: bool, facts: FactsFor | None, url_base: str | None) -> _Signed:
    """A new edition id, and every page's digest, signed QR payload and code (filled in the document)."""
    if not document.pages:
        raise RenderError("Sổ không có trang nào để in.", "document without pages")
    if document.book.draft:
        raise RenderError("Bản nháp không được in thành bản chính thức.", "a draft document cannot be published")
    doc_type = DOC_TYPE_OF[kind]
    url_base = url_base or configured_url_base()  # SODIENTU_VERIFY_URL: a phone camera opens the page
    total = document.book.total_pages or max(p.no for p in document.pages)
    edition_id = uuid.uuid4()
    codes: dict[int, tuple[str | None, str | None, float | None]] = {}
    payloads: list[str] = []
    versions: list[int] = []
    sizes: list[int] = []
    digests: list[bytes] = []
    for page in document.pages:
        digest = page_digest(page.data)
        page_facts = facts(page) if (facts is not None and doc_type is DocType.TRANSCRIPT) else None
        fields = PayloadFields(doc_type=doc_type, edition_id=edition_id, page=page.no, pages=total,
                               issued=issued, digest=digest, facts=page_facts, copy=copy)
        text = encode_payload(fields, private_key, url_base=url_base)
        svg = qr_svg(text, module_mm=DEFAULT_MODULE_MM)
        if svg.size_mm > QR_SLOT_MM:
            raise RenderError(
                f"Mã QR của trang {page.no} rộng {svg.size_mm:g} mm, không vừa ô {QR_SLOT_MM:g} mm dành cho nó "
                + ("(họ tên học sinh, tên trường và địa chỉ xác thực SODIENTU_VERIFY_URL quá dài: hãy dùng một địa "
                   "chỉ ngắn hơn)." if url_base else "(họ tên học sinh và tên trường quá dài)."),
                f"QR of page {page.no} is {svg.size_mm} mm (version {svg.version}), the slot holds {QR_SLOT_MM} mm")
        codes[page.no] = (svg.svg, human_code(edition_id, page.no, total), svg.size_mm)
        payloads.append(text)
        versions.append(svg.version)
        sizes.append(110 + (0 if page_facts is None else _facts_len(text)))
        digests.append(digest)
    return _Signed(document.with_codes(codes), edition_id, issued, total, key_id(private_key), tuple(payloads),
                   tuple(versions), tuple(sizes), tuple(digests))


def _finish(document: BookDocument, signed: _Signed, pdf: bytes, texts: list[str], *, kind: EditionKind,
            private_key: Ed25519PrivateKey, copy: bool, pdf_signer: PdfSigner | None, signature_reason: str,
            signature_location: str, title: str | None, sign_qr: float, render: float) -> Produced:
    """The rendered book's manifest, attachments, identification and PDF signature: its ``Produced``."""
    t2 = time.process_time()
    made = _manifest(document, signed, texts, private_key)
    t3 = time.process_time()

    title = title or default_title(document, kind, copy)
    pdf = attach_and_identify(pdf, made.attached, made.manifest_bytes, title=title, school=document.book.school,
                              edition_id=signed.edition_id, issued=signed.issued)
    t4 = time.process_time()
    return _produced(document, signed, made, pdf, kind=kind, copy=copy, pdf_signer=pdf_signer,
                     signature_reason=signature_reason, signature_location=signature_location, title=title,
                     sign_qr=sign_qr, render=render, text_and_manifest=t3 - t2, attach=t4 - t3)


@dataclass(frozen=True)
class _Made:
    """A book's attachments: the document JSON (and its digest), the manifest and its signed bytes."""

    attached: bytes
    doc_sha: str
    manifest: Manifest
    manifest_bytes: bytes


def _manifest(document: BookDocument, signed: _Signed, texts: list[str] | tuple[str, ...],
              private_key: Ed25519PrivateKey) -> _Made:
    """The attached document and the signed manifest of a rendered book (its pages' texts)."""
    attached = document_attachment(signed.document)
    doc_sha = hashlib.sha256(attached).hexdigest()
    manifest_pages = []
    for i, (page, text, payload, digest) in enumerate(
            zip(document.pages, texts, signed.payloads, signed.digests, strict=True), 1):
        tokens = text_tokens(text)
        manifest_pages.append(ManifestPage(i, page.no, digest.hex(), payload, text_digest(tokens),
                                           printed_counts(page.data, tokens)))
    manifest = Manifest(str(signed.edition_id), signed.key_id, doc_sha, tuple(manifest_pages))
    return _Made(attached, doc_sha, manifest, sign_manifest(manifest, private_key))


def _produced(document: BookDocument, signed: _Signed, made: _Made, pdf: bytes, *, kind: EditionKind, copy: bool,
              pdf_signer: PdfSigner | None, signature_reason: str, signature_location: str, title: str,
              sign_qr: float, render: float, text_and_manifest: float, attach: float) -> Produced:
    """The ``Produced`` of a book whose PDF carries its attachments: PDF-signed last (optional)."""
    t4 = time.process_time()
    if pdf_signer is not None:
        pdf = sign_pdf(pdf, pdf_signer, reason=signature_reason, location=signature_location)
    t5 = time.process_time()
    pages = tuple(edition_service.PrintedPage(p.no, p.kind, d)
                  for p, d in zip(document.pages, signed.digests, strict=True))
    return Produced(pdf, signed.edition_id, kind, title, signed.issued, signed.total, pages, signed.key_id,
                    made.doc_sha, pdf_signer is not None, document.book.part, copy, made.manifest, made.attached,
                    signed.versions, signed.sizes, Timings(sign_qr, render, text_and_manifest, attach, t5 - t4, 0.0),
                    signed.document)


def record_publication(session: Session, actor: Actor, produced: Produced, *, scope: Scope) -> Published:
    """Record a produced edition (``create_edition``: a new original supersedes; the caller commits)."""
    t5 = time.process_time()
    draft = _draft(produced, scope)
    edition = edition_service.create_edition(session, actor, draft)
    published = Published(produced.pdf, edition, produced.manifest, produced.document_json, produced.qr_versions,
                          produced.payload_bytes, produced.timings)
    for listener in _resolved_listeners():
        listener(session, actor, published)
    t6 = time.process_time()
    return replace(published, timings=replace(produced.timings, record=t6 - t5))


def record_publications(session: Session, actor: Actor, items: list[tuple[Produced, Scope]]
                        ) -> list[Published | Exception]:
    """Record many produced editions at once (``create_editions``: one bulk insert, one trace, one seal) and
    call each issue listener once for all of them (a listener with a ``many`` attribute gets the list).

    Per item: its ``Published``, or the error that refused it. A listener's failure fails every item
    (the caller rolls back: no edition without its archive copy).
    """
    t0 = time.process_time()
    drafts = [_draft(produced, scope) for produced, scope in items]
    editions = edition_service.create_editions(session, actor, drafts)
    out: list[Published | Exception] = []
    for (produced, _scope), edition in zip(items, editions, strict=True):
        if isinstance(edition, Exception):
            out.append(edition)
            continue
        out.append(Published(produced.pdf, edition, produced.manifest, produced.document_json, produced.qr_versions,
                             produced.payload_bytes, produced.timings))
    published = [p for p in out if isinstance(p, Published)]
    if published:
        for listener in _resolved_listeners():
            many = getattr(listener, "many", None)
            if many is not None:
                many(session, actor, published)
            else:
                for one in published:
                    listener(session, actor, one)
    share = (time.process_time() - t0) / max(1, len(items))
    return [replace(p, timings=replace(p.timings, record=share)) if isinstance(p, Published) else p for p in out]


def _draft(produced: Produced, scope: Scope) -> edition_service.EditionDraft:
    return edition_service.EditionDraft(
        edition_id=produced.edition_id, kind=produced.kind, school_id=scope.school_id, title=produced.title,
        issued_on=produced.issued, book_pages=produced.total, pages=produced.pages, key_id=produced.key_id,
        document_sha256=produced.document_sha256, pdf_sha256=hashlib.sha256(produced.pdf).hexdigest(),
        pdf_signed=produced.pdf_signed, class_id=scope.class_id, student_id=scope.student_id,
        school_year_id=scope.school_year_id, part=scope.part or produced.part, copy=produced.copy,
    )


# --- issue listeners: layers above (the archive) learn of every issued edition ------------------

IssueListener = Callable[["Session", Actor, Published], object]
_issue_listeners: dict[str, IssueListener | None] = {}


def add_issue_listener(target: str) -> None:
    """Call ``"module:function"(session, actor, published)`` after every recorded edition, in its transaction.

    Named by import path, not passed as an object, so that print workers (``layouts.batch``, spawned
    processes) install the same listeners (``issue_listeners()`` travels in the batch configuration).
    An exception in a listener fails the publication (the edition is not recorded without its archive copy).
    """
    if ":" not in target:
        raise ValueError(f"issue listener {target!r} is not 'module:function'")
    _issue_listeners.setdefault(target, None)


def remove_issue_listener(target: str) -> None:
    """Stop calling a listener."""
    _issue_listeners.pop(target, None)


def issue_listeners() -> tuple[str, ...]:
    """The registered listeners, by import path."""
    return tuple(_issue_listeners)


def _resolved_listeners() -> list[IssueListener]:
    import importlib

    out = []
    for target, fn in list(_issue_listeners.items()):
        if fn is None:
            module, _, name = target.partition(":")
            fn = _issue_listeners[target] = getattr(importlib.import_module(module), name)
        out.append(fn)
    return out


def _facts_len(text: str) -> int:
    """Bytes of a payload beyond the 110 of a code without facts; of a text just encoded (``SDT1:`` + base45:
    3 characters for 2 bytes, 2 for the last odd byte) counted without decoding it."""
    from signing.payload import PREFIX, payload_bytes

    if text.startswith(PREFIX):
        chars = len(text) - len(PREFIX)
        return chars // 3 * 2 + (chars % 3 == 2) - 110
    return len(payload_bytes(text)) - 110


def _require_active_key(session: Session, kid: str, school_id: int,
                        rights: edition_service.PrintRights | None = None) -> None:
    row = rights.find_key(kid) if rights is not None else edition_service.find_key(session, kid)
    if row is None or row.kind is not KeyKind.ED25519:
        raise SigningKeyError(f"Khóa ký {kid} chưa có trong danh sách khóa tin cậy của nhà trường.",
                              f"signing key {kid} is not in the trust list")
    if row.status is not KeyState.ACTIVE:
        raise SigningKeyError(f"Khóa ký {kid} không còn hiệu lực ({row.status.value}); hãy dùng khóa hiện hành.",
                              f"signing key {kid} is {row.status.value}")
    if row.school_id is not None and row.school_id != school_id:
        raise SigningKeyError(f"Khóa ký {kid} thuộc trường khác.", f"key {kid} belongs to school {row.school_id}")


def document_attachment(document: BookDocument) -> bytes:
    """The attached JSON: the document as rendered, without the QR SVGs (their texts are in the manifest)."""
    lean = replace(document, pages=tuple(replace(p, qr=None) for p in document.pages))
    return lean.to_json().encode("utf-8")


def attach_and_identify(pdf: bytes, document_json: bytes, manifest_json: bytes, *, title: str, school: str,
                        edition_id: uuid.UUID, issued: dt.date) -> bytes:
    """Attach the document and the manifest as PDF/A-3 associated files; set XMP title, creator, edition."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        _attach_into(doc, document_json, manifest_json, title=title, school=school, edition_id=edition_id,
                     issued=issued)
        out = io.BytesIO()
        doc.save(out, deterministic_id=True)
    return out.getvalue()


def _attach_into(doc: pikepdf.Pdf, document_json: bytes, manifest_json: bytes, *, title: str, school: str,
                 edition_id: uuid.UUID, issued: dt.date) -> None:
    """What :func:`attach_and_identify` does to an open PDF (a book of a batch: before its one save)."""
    when = encode_pdf_date(dt.datetime(issued.year, issued.month, issued.day, tzinfo=dt.UTC))
    specs = []
    for name, data, desc in (
        (DOCUMENT_NAME, document_json, "Dữ liệu của sổ (JSON) — từng trang in đúng dữ liệu này"),
        (MANIFEST_NAME, manifest_json, "Bản kê có chữ ký của nhà trường: mã QR và nội dung từng trang"),
    ):
        spec = pikepdf.AttachedFileSpec(doc, data, filename=name, mime_type="application/json",
                                        description=desc, relationship=pikepdf.Name.Data,
                                        creation_date=when, mod_date=when)
        doc.attachments[name] = spec
        specs.append(spec.obj)
    doc.Root.AF = pikepdf.Array(specs)
    with doc.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:title"] = title
        meta["dc:creator"] = [school]
        meta["dc:identifier"] = f"urn:uuid:{edition_id}"
        meta["pdf:Keywords"] = f"sodientu; bản in {edition_id}"
        meta["xmp:CreatorTool"] = CREATOR_TOOL


# --- transcripts: the facts a person checks by eye --------------------------------------------


def short_school(name: str) -> str:
    """"Trường THCS Tô Hiệu" → "THCS Tô Hiệu" (keeps the QR small)."""
    for prefix in ("Trường ", "TRƯỜNG "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _year_start(text: Any) -> int | None:
    try:
        return int(str(text).split("-")[0])
    except ValueError:
        return None


def transcript_facts(document: BookDocument, date_of_birth: dt.date) -> FactsFor:
    """Facts for each page of a transcript document (blank pages carry none).

    Year pages carry the school and year of that page (``head``); the results page also the
    year's learning result and conduct (the "Cả năm" row). Front pages carry the holder school
    and the latest year of the document.
    """
    from signing.payload import RESULT_CODES

    labels = set(RESULT_CODES.values())
    years = [y for p in document.pages if isinstance(p.data.get("head"), dict)
             for y in [_year_start(p.data["head"].get("year"))] if y is not None]
    latest = max(years) if years else (_year_start(document.book.year) or 0)
    name = ""
    for p in document.pages:
        name = str(p.data.get("student") or (p.data.get("head") or {}).get("name") or "")
        if name:
            break

    def facts(page: Page) -> TranscriptFacts | None:
        if page.kind == "blank" or not name:
            return None
        head = page.data.get("head")
        if isinstance(head, dict):
            learning = conduct = ""
            results = page.data.get("results")
            if isinstance(results, list) and len(results) >= 3:
                conduct = results[-1][1] if results[-1][1] in labels else ""
                learning = results[-1][2] if results[-1][2] in labels else ""
            return TranscriptFacts(str(head.get("name") or name), date_of_birth,
                                   short_school(str(head.get("school") or document.book.school)),
                                   _year_start(head.get("year")) or latest, learning, conduct)
        return TranscriptFacts(name, date_of_birth, short_school(document.book.school), latest)

    return facts


__all__ = [
    "DOC_TYPE_OF",
    "PDF_STANDARD",
    "ProduceRequest",
    "Produced",
    "Published",
    "Scope",
    "Timings",
    "add_issue_listener",
    "attach_and_identify",
    "check_publication",
    "default_title",
    "document_attachment",
    "edition_kind",
    "issue_listeners",
    "produce",
    "produce_many",
    "publish",
    "record_publication",
    "record_publications",
    "remove_issue_listener",
    "require_traced_scopes",
    "scope_enrolments",
    "short_school",
    "transcript_facts",
]
