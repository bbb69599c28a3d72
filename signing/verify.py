"""Verification of printed pages: a code, an image or scan, or a published PDF (FORMAT.md §7, SIGNING.md).

* ``verify_code(text, trust, db_session)`` — one QR text: signature against the trust list and,
  with a database, the edition's state (unknown, revoked, superseded, outdated by a correction).
* ``verify_file(source, trust, db_session)`` — a PDF, PNG, JPEG, TIFF or multi-page scanned PDF,
  first checked against the caps of ``signing.limits`` (nothing is decoded beyond them):
  - a *published PDF* (it carries the signed manifest) is checked page by page (QR, manifest,
    attached data, text layer) and then **as a file**: it is the school's file only if it is
    byte-identical to the issued one (``edition.pdf_sha256``) or carries a valid PAdES signature
    covering the whole file; anything else is *altered*;
  - a PDF is a *scan* only when its pages are images (no visible text, no vector drawing); a
    digital page without the manifest has been re-made (attachments stripped): *altered*;
  - a scan or photo is checked **as a set**: one code per page, no page twice, one edition per
    file; each code is verified, and its page is compared with the genuine page as issued
    (``signing.compare``) when the issued PDF is available. A photo is never *genuine* by its code
    alone: at best its code is genuine and a person compares it with the genuine page shown.

Nothing here raises on bad input: every problem is a verdict. Messages are Vietnamese for the
user and English for logs.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import io
import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.orm import Session

from records.models import Edition, EditionStatus, KeyKind
from records.services import editions as edition_service
from signing.compare import Comparison, compare, page_png, render_page
from signing.errors import QrReadError, SigningError
from signing.keys import KeyLookup, KeyStatus, TrustedKey
from signing.limits import CLI, Limits, UploadRefused, check_upload
from signing.manifest import (
    DOCUMENT_NAME,
    MANIFEST_NAME,
    ManifestCheck,
    check_text,
    page_texts,
    read_manifest,
    text_tokens,
)
from signing.payload import (
    CROCKFORD,
    PayloadFields,
    VerdictStatus,
    edition_short_id,
    human_code,
    page_digest,
    verify_payload,
)
from signing.pdfsign import PdfSignatureCheck, validate_pdf
from signing.qr import SCAN_DPI, FoundCode, scan_images, scan_pages

log = logging.getLogger(__name__)


class PageStatus(enum.Enum):
    """Verdict on one page (or one code found on a page)."""

    GENUINE = "genuine"
    ALTERED = "altered"
    UNKNOWN_KEY = "unknown_key"
    KEY_REVOKED = "key_revoked"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    OUTDATED = "outdated"
    UNKNOWN_EDITION = "unknown_edition"
    NO_CODE = "no_code"
    MALFORMED = "malformed"
    CODE_GENUINE = "code_genuine"  # a photo / scan (or an unconfirmed file): the code is genuine, compare the page

    @property
    def label_vi(self) -> str:
        """Short Vietnamese verdict."""
        return STATUS_LABELS[self]


STATUS_LABELS = {
    PageStatus.GENUINE: "Hợp lệ",
    PageStatus.ALTERED: "Đã bị sửa đổi",
    PageStatus.UNKNOWN_KEY: "Khóa không rõ",
    PageStatus.KEY_REVOKED: "Đã thu hồi (khóa ký)",
    PageStatus.REVOKED: "Đã thu hồi",
    PageStatus.SUPERSEDED: "Đã được thay thế",
    PageStatus.OUTDATED: "Đã có sửa chữa sau khi in",
    PageStatus.UNKNOWN_EDITION: "Không có trong danh sách bản in",
    PageStatus.NO_CODE: "Không tìm thấy mã",
    PageStatus.MALFORMED: "Mã không hợp lệ",
    PageStatus.CODE_GENUINE: "Mã thật — cần đối chiếu với trang gốc",
}

_FROM_PAYLOAD = {
    VerdictStatus.GENUINE: PageStatus.GENUINE,
    VerdictStatus.BAD_SIGNATURE: PageStatus.ALTERED,
    VerdictStatus.UNKNOWN_KEY: PageStatus.UNKNOWN_KEY,
    VerdictStatus.KEY_REVOKED: PageStatus.KEY_REVOKED,
    VerdictStatus.MALFORMED: PageStatus.MALFORMED,
}

OFFLINE_NOTE_VI = ("Chỉ kiểm tra chữ ký của mã (không có cơ sở dữ liệu): chưa kiểm tra được bản in có bị "
                   "thu hồi hoặc đã được thay thế hay không.")


@dataclass(frozen=True)
class PageVerdict:
    """The verdict on one page of a file (or one code of a scanned page)."""

    page_index: int  # 0-based page (or frame) of the file
    status: PageStatus
    message_vi: str
    message_en: str
    fields: PayloadFields | None = None
    details_vi: tuple[str, ...] = ()
    superseded_by: uuid.UUID | None = None
    genuine_page: int | None = None  # 0-based index of the page in the issued PDF (to show it)
    comparison: Comparison | None = None  # ink layout of a photo against the genuine page

    @property
    def ok(self) -> bool:
        """True only for a genuine page."""
        return self.status is PageStatus.GENUINE

    @property
    def code(self) -> str:
        """The human-readable code of the page ("A7K2-9QX4 · 3/41"), or ""."""
        f = self.fields
        return human_code(f.edition_id, f.page, f.pages) if f else ""


@dataclass(frozen=True)
class FileReport:
    """Everything found about a file: per-page verdicts, PDF signatures, file-level problems."""

    source: str
    kind: str  # "published-pdf" | "pdf" | "image"
    pages: tuple[PageVerdict, ...]
    signatures: tuple[PdfSignatureCheck, ...] = ()
    problems_vi: tuple[str, ...] = ()
    notes_vi: tuple[str, ...] = ()
    offline: bool = False
    trust_roots_known: bool = False

    @property
    def signatures_ok(self) -> bool:
        """Every PDF signature intact, valid, covering the whole file and (when roots are known) trusted."""
        return all(s.intact and s.valid and s.covers_whole_file and (s.trusted or not self.trust_roots_known)
                   for s in self.signatures)

    @property
    def ok(self) -> bool:
        """Every page genuine, no file problem, every PDF signature intact, valid and (when roots are known) trusted."""
        return bool(self.pages) and all(p.ok for p in self.pages) and not self.problems_vi and self.signatures_ok

    @property
    def needs_comparison(self) -> bool:
        """Every code genuine, but some page is a photo / scan: a person must compare it with the genuine page."""
        statuses = {p.status for p in self.pages}
        return (bool(self.pages) and PageStatus.CODE_GENUINE in statuses
                and statuses <= {PageStatus.GENUINE, PageStatus.CODE_GENUINE}
                and not self.problems_vi and self.signatures_ok)


# --- one code ----------------------------------------------------------------------------------


def _fmt_dt(value: object) -> str:
    return f"{value:%d/%m/%Y}" if value is not None else ""


def verify_code(text: str, trust: KeyLookup, db_session: Session | None = None, *, page_index: int = 0,
                public: bool = False) -> PageVerdict:
    """Verify one QR text: signature, then (with a database) the edition's state. Never raises.

    ``public=True`` keeps the messages to what the code itself carries (no revocation reason).
    """
    v = verify_payload(text, trust)
    status = _FROM_PAYLOAD[v.status]
    if status is not PageStatus.GENUINE:
        return PageVerdict(page_index, status, v.message_vi, v.message_en, v.fields)
    fields = v.fields
    assert fields is not None
    if db_session is None:
        return PageVerdict(page_index, PageStatus.GENUINE, f"{v.message_vi} {OFFLINE_NOTE_VI}",
                           v.message_en + " (offline: edition state not checked)", fields)
    forget = getattr(trust, "forget", None)  # a cache shared across requests (``SharedTrustList``)
    verdict = _state_verdict(db_session, fields, v.message_vi, v.message_en, public=public, page_index=page_index,
                             key=v.key if forget is not None else None)
    if verdict is _KEY_CHANGED and forget is not None:  # the key's row changed since the cache read it: again, once
        from signing.trust import DbTrustList

        forget(fields.key_id)
        return verify_code(text, DbTrustList(db_session), db_session, page_index=page_index, public=public)
    return verdict


#: ``_state_verdict``'s answer when the trusted key the signature was checked with is no longer the
#: database's (a shared cache entry older than a revocation or retirement)
_KEY_CHANGED = PageVerdict(0, PageStatus.UNKNOWN_KEY, "", "key changed")
_KEY_STATES = {"active": KeyStatus.ACTIVE, "retired": KeyStatus.RETIRED, "revoked": KeyStatus.REVOKED}


def _state_verdict(db_session: Session, fields: PayloadFields, message_vi: str, message_en: str, *,
                   public: bool, page_index: int = 0, key: TrustedKey | None = None) -> PageVerdict:
    """The verdict on a page whose code holds: the recorded edition's page and state decide."""
    try:
        state = _page_state(db_session, fields.edition_id, fields.page)
    except Exception as exc:  # noqa: BLE001 - a database problem must not hide the signature verdict
        return PageVerdict(page_index, PageStatus.GENUINE,
                           f"{message_vi} Không đọc được cơ sở dữ liệu nên chưa kiểm tra tình trạng bản in.",
                           f"{message_en}; database error {exc!r}", fields)
    if key is not None and state is not None and state.key_status is not None and state.key_id == fields.key_id \
            and (_KEY_STATES.get(str(getattr(state.key_status, "value", state.key_status))) is not key.status
                 or state.key_revoked_on != key.revoked_on):
        return _KEY_CHANGED
    short = edition_short_id(fields.edition_id)
    if state is None:
        return PageVerdict(page_index, PageStatus.UNKNOWN_EDITION,
                           f"Chữ ký đúng nhưng bản in {short} không có trong danh sách bản in của nhà trường "
                           "(có thể là bản in không được ghi nhận). Không công nhận.",
                           f"edition {fields.edition_id} not recorded", fields)
    if state.digest is None or state.digest != fields.digest.hex() or state.key_id != fields.key_id:
        return PageVerdict(page_index, PageStatus.ALTERED,
                           f"Mã không khớp với trang {fields.page} của bản in {short} đã ghi nhận.",
                           f"page {fields.page} digest/key differs from the recorded edition", fields)
    return _status_verdict(state, fields, short, public, page_index)


@dataclass(frozen=True)
class _PageState:
    """The recorded edition's state and one of its pages (one query)."""

    status: EditionStatus
    key_id: str
    superseded_by: uuid.UUID | None
    superseded_at: object
    revoked_at: object
    revoked_reason: str | None
    outdated_at: object
    digest: str | None
    position: int | None
    key_status: object = None  # the edition's key's row (the trusted-key cache is checked against it)
    key_revoked_on: object = None


@functools.cache
def _page_state_query():  # type: ignore[no-untyped-def]
    """One statement, built once (the public page runs it for every code: no per-request SQL building)."""
    from sqlalchemy import and_, bindparam, select

    from records.models import EditionPage, SigningKey

    return (select(Edition.status, Edition.key_id, Edition.superseded_by_id, Edition.superseded_at,
                   Edition.revoked_at, Edition.revoked_reason, Edition.outdated_at, EditionPage.digest,
                   EditionPage.position, SigningKey.status, SigningKey.revoked_on)
            .outerjoin(EditionPage, and_(EditionPage.edition_id == Edition.id,
                                         EditionPage.number == bindparam("number")))
            .outerjoin(SigningKey, SigningKey.key_id == Edition.key_id)
            .where(Edition.id == bindparam("edition_id")).limit(1))


def _page_state(session: Session, edition_id: uuid.UUID, number: int) -> _PageState | None:
    row = session.connection().execute(_page_state_query(), {"edition_id": edition_id, "number": number}).first()
    return None if row is None else _PageState(*row)


def _status_verdict(state: _PageState, fields: PayloadFields, short: str, public: bool,
                    page_index: int) -> PageVerdict:
    genuine = None if state.position is None else state.position - 1
    if state.status is EditionStatus.REVOKED:
        why = "" if public or not state.revoked_reason else f" Lý do: {state.revoked_reason}."
        return PageVerdict(page_index, PageStatus.REVOKED,
                           f"Bản in {short} đã bị thu hồi ngày {_fmt_dt(state.revoked_at)}; không còn giá trị.{why}",
                           f"edition {fields.edition_id} revoked", fields, genuine_page=genuine)
    if state.status is EditionStatus.SUPERSEDED and state.superseded_by is not None:
        by = edition_short_id(state.superseded_by)
        return PageVerdict(page_index, PageStatus.SUPERSEDED,
                           f"Đã được thay thế bởi bản in {by} (ngày {_fmt_dt(state.superseded_at)}); "
                           f"bản in {short} này không còn là bản hiện hành.",
                           f"edition superseded by {state.superseded_by}", fields,
                           superseded_by=state.superseded_by, genuine_page=genuine)
    if state.status is EditionStatus.OUTDATED:
        return PageVerdict(page_index, PageStatus.OUTDATED,
                           f"Bản in {short} là bản thật, nhưng dữ liệu đã được sửa chữa theo quy định sau khi in "
                           f"(ngày {_fmt_dt(state.outdated_at)}); cần dùng bản in lại.",
                           f"edition {fields.edition_id} outdated by a correction", fields, genuine_page=genuine)
    return PageVerdict(page_index, PageStatus.GENUINE,
                       f"Hợp lệ: chữ ký của nhà trường đúng; bản in {short} là bản hiện hành.",
                       f"genuine; edition {fields.edition_id} current", fields, genuine_page=genuine)


def describe_fields(fields: PayloadFields) -> list[tuple[str, str]]:
    """What the code itself carries, as (label, value) lines in Vietnamese (safe to show anyone)."""
    lines = [
        ("Loại tài liệu", fields.doc_type.label_vi + (" (bản sao)" if fields.copy else "")),
        ("Mã bản in", edition_short_id(fields.edition_id)),
        ("Trang", f"{fields.page}/{fields.pages}"),
        ("Ngày in", f"{fields.issued:%d/%m/%Y}"),
        ("Khóa ký", fields.key_id),
    ]
    f = fields.facts
    if f is not None:
        lines += [("Họ và tên", f.student_name), ("Ngày sinh", f"{f.date_of_birth:%d/%m/%Y}"),
                  ("Trường", f.school), ("Năm học", f.school_year_label)]
        if f.learning_result:
            lines.append(("Kết quả học tập", f.learning_result))
        if f.conduct:
            lines.append(("Kết quả rèn luyện", f.conduct))
    return lines


# --- the short code printed under the QR ------------------------------------------------------

_SHORT = re.compile(r"^\s*([0-9A-Z]{4})\s*-?\s*([0-9A-Z]{4})\s*(?:[·.•:,;]|\s)*\s*(?:TRANG\s*)?(\d{1,5})"
                    r"\s*(?:/\s*(\d{1,5}))?\s*$")
_CROCKFORD_IN = {c: i for i, c in enumerate(CROCKFORD)} | {"O": 0, "I": 1, "L": 1}


def parse_short_code(text: str) -> tuple[int, int, int | None] | None:
    """``"WWEM-9NT9 · 11/52"`` → (40-bit edition prefix, page, pages or None); None when not a short code."""
    m = _SHORT.match(text.upper().replace("\u00a0", " ")) if len(text) <= 40 else None
    if m is None:
        return None
    chars = m.group(1) + m.group(2)
    if any(c not in _CROCKFORD_IN for c in chars):
        return None
    prefix = 0
    for c in chars:
        prefix = prefix << 5 | _CROCKFORD_IN[c]
    return prefix, int(m.group(3)), int(m.group(4)) if m.group(4) else None


def verify_short_code(text: str, db_session: Session) -> PageVerdict | None:
    """The page a typed short code names, with its edition's state; None when ``text`` is not a short code.

    The short code carries no signature: it is a reference to a recorded page. The verdict is at best
    *Mã thật — cần đối chiếu*: the genuine page is shown for the person holding the paper to compare.
    """
    parsed = parse_short_code(text)
    if parsed is None:
        return None
    prefix, page, pages = parsed
    low = uuid.UUID(bytes=prefix.to_bytes(5, "big") + bytes(11))
    high = uuid.UUID(bytes=prefix.to_bytes(5, "big") + b"\xff" * 11)
    from sqlalchemy import select

    found = list(db_session.scalars(select(Edition).where(Edition.id >= low, Edition.id <= high).limit(2)))
    unknown = PageVerdict(0, PageStatus.UNKNOWN_EDITION,
                          "Không có trang nào của nhà trường mang mã này (kiểm tra lại mã, hoặc quét mã QR).",
                          f"short code {text!r}: no such recorded page")
    if len(found) != 1 or (pages is not None and pages != found[0].book_pages):
        return unknown
    edition = found[0]
    entry = next((p for p in edition.pages if p.number == page), None)
    if entry is None:
        return unknown
    from signing.payload import DocType

    doc_types = {"mark_book": DocType.MARK_BOOK, "transcript": DocType.TRANSCRIPT, "register": DocType.REGISTER,
                 "correction_record": DocType.CORRECTION_RECORD, "copy_minutes": DocType.COPY_MINUTES}
    fields = PayloadFields(doc_types.get(edition.kind.value, DocType.OTHER), edition.id, page, edition.book_pages,
                           edition.issued_on, bytes.fromhex(entry.digest), copy=edition.copy, key_id=edition.key_id)
    state = _state_verdict(db_session, fields, "", "", public=True)
    if state.status is not PageStatus.GENUINE:
        return replace(state, genuine_page=entry.position - 1)
    return PageVerdict(0, PageStatus.CODE_GENUINE,
                       f"Mã {human_code(edition.id, page, edition.book_pages)} là trang {page}/{edition.book_pages} của "
                       f"bản in {edition_short_id(edition.id)} (hiện hành). Mã ngắn không có chữ ký: hãy so từng điểm, "
                       "từng chữ của trang giấy với trang gốc.",
                       "short code of a current edition's page; compare with the genuine page", fields,
                       genuine_page=entry.position - 1)


def issued_page_lines(pdf: bytes, index: int) -> list[tuple[str, str]]:
    """What a transcript page of the issued PDF prints per subject / period, from its attached document."""
    try:
        raw = _attachments(pdf).get(DOCUMENT_NAME)
        data = json.loads(raw.decode("utf-8"))["pages"][index]["data"] if raw else {}
    except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError):
        return []
    lines: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        return lines
    for row in data.get("rows") or ():
        if isinstance(row, dict) and "name" in row and "cn" in row:
            parts = [f"{label} {row.get(k) or '—'}" for k, label in (("t1", "HK I"), ("t2", "HK II"), ("cn", "Cả năm"))]
            if row.get("re"):
                parts.append(f"KT lại {row['re']}")
            lines.append((str(row["name"]), " · ".join(parts)))
    for result in data.get("results") or ():
        if isinstance(result, list) and len(result) == 3:
            labels = data.get("labels") or {}
            lines.append((str(result[0]), (f"{labels.get('conduct', 'Rèn luyện')}: {result[1] or '—'} · "
                                          f"{labels.get('learning', 'Học tập')}: {result[2] or '—'}")))
    return lines


# --- files -------------------------------------------------------------------------------------

Source = bytes | str | os.PathLike[str]
IssuedPdf = Callable[[uuid.UUID], bytes | None]  # edition id → the PDF as issued (the archive), or None
GENUINE_DPI = 120  # the genuine page is rendered at this resolution for the comparison


def _read(source: Source) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "<dữ liệu>"
    try:
        return Path(source).read_bytes(), str(source)
    except OSError as exc:
        raise QrReadError(f"Không đọc được tệp: {source}.", f"cannot read {source}: {exc}") from None


def _attachments(pdf: bytes) -> dict[str, bytes]:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            return {name: spec.get_file().read_bytes() for name, spec in doc.attachments.items()
                    if name in (DOCUMENT_NAME, MANIFEST_NAME)}
    except Exception:  # noqa: BLE001 - unreadable structure: no manifest
        return {}


def image_only_pages(pdf: bytes) -> list[bool]:
    """Per page: True when it shows only images (a scan); visible text or vector drawing → False.

    Text drawn invisibly (render mode 3, the OCR layer of a "searchable" scan) is allowed. The text
    objects are counted, not extracted: a font whose /ToUnicode was stripped still draws text.
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        doc = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:
        return []
    out = []
    try:
        for page in doc:
            only_images = True
            for obj in page.get_objects():
                kind = obj.type
                if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                    if pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw) != pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE:
                        only_images = False
                elif kind in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_SHADING):
                    only_images = False
                if not only_images:
                    break
            out.append(only_images)
            page.close()
    finally:
        doc.close()
    return out


def verify_file(source: Source, trust: KeyLookup, db_session: Session | None = None, *,
                certificates: Sequence[str] = (), dpi: int = SCAN_DPI, public: bool = False,
                limits: Limits = CLI, issued_pdf: IssuedPdf | None = None) -> FileReport:
    """Verify every page of a PDF, image or scan; never raises on a bad, hostile or tampered file.

    ``public=True`` (the web page): no revocation reasons in the messages. ``limits``: caps checked
    before decoding. ``issued_pdf``: where the issued PDFs are kept (to compare photos with them).
    """
    try:
        data, name = _read(source)
        shape = check_upload(data, limits)
    except SigningError as exc:
        return FileReport(str(source) if not isinstance(source, bytes) else "<dữ liệu>", "unknown", (),
                          problems_vi=(exc.message_vi,))
    try:
        return _verify_file(data, name, shape.is_pdf, trust, db_session, certificates, dpi, public, issued_pdf)
    except SigningError as exc:
        return FileReport(name, "unknown", (), problems_vi=(exc.message_vi,))
    except Exception as exc:  # noqa: BLE001 - a hostile file is a verdict, never a traceback or a 500
        log.warning("verification of %s failed: %r", name, exc)
        return FileReport(name, "unknown", (), problems_vi=("Tệp bị hỏng hoặc không đọc được.",))


def _verify_file(data: bytes, name: str, pdf: bool, trust: KeyLookup, db_session: Session | None,
                 certificates: Sequence[str], dpi: int, public: bool, issued_pdf: IssuedPdf | None) -> FileReport:
    offline = db_session is None
    roots = list(certificates)
    if db_session is not None:
        try:
            roots += [pem for _kid, pem, status in _db_certificates(db_session) if status != "revoked"]
        except Exception as exc:  # noqa: BLE001 - certificates are optional; the page verdicts still stand
            log.warning("cannot read certificates from the database: %r", exc)
    if not pdf:
        report = _verify_scan(data, name, "image", trust, db_session, dpi, public, issued_pdf)
        return replace(report, offline=offline, trust_roots_known=bool(roots))
    atts = _attachments(data)
    signatures = tuple(validate_pdf(data, roots))
    if MANIFEST_NAME in atts:
        report = _verify_published(data, name, atts, trust, db_session, dpi, public)
        report = _check_identity(report, data, db_session, signatures, bool(roots))
    else:
        images = image_only_pages(data)
        report = _verify_scan(data, name, "pdf", trust, db_session, dpi, public, issued_pdf, images)
    problems = list(report.problems_vi)
    problems += [s.message_vi for s in signatures if not (s.intact and s.valid and s.covers_whole_file)]
    if roots:
        problems += [s.message_vi for s in signatures if s.intact and s.valid and s.covers_whole_file and not s.trusted]
    notes = list(report.notes_vi)
    if db_session is not None:
        problems += _db_file_problems(db_session, report, signatures)
    if signatures and not roots:
        notes.append("Chưa có chứng thư số của nhà trường để xác minh người ký tệp PDF.")
    return FileReport(name, report.kind, report.pages, signatures, tuple(dict.fromkeys(problems)), tuple(notes),
                      offline, bool(roots))


def _db_certificates(session: Session) -> list[tuple[str, str, str]]:
    return [(r.key_id, r.public_pem, r.status.value) for r in edition_service.list_keys(session, kind=KeyKind.X509)]


def _db_file_problems(session: Session, report: FileReport, signatures: tuple[PdfSignatureCheck, ...]) -> list[str]:
    problems = []
    editions = {p.fields.edition_id for p in report.pages if p.fields is not None}
    for eid in editions:
        state = session.get(Edition, eid)
        if state is None or report.kind != "published-pdf":
            continue
        if state.pdf_signed and not signatures:
            problems.append(f"Bản in {edition_short_id(eid)} được phát hành có chữ ký số PDF, nhưng tệp này "
                            "không còn chữ ký: tệp đã bị tạo lại.")
    return problems


_FILE_ALTERED_VI = ("tệp khác với tệp nhà trường đã phát hành (không trùng từng byte với tệp đã ghi nhận và không có "
                    "chữ ký số PDF hợp lệ bao trùm toàn tệp) — nội dung có thể đã bị che, vẽ đè hoặc sửa")


def _check_identity(report: FileReport, data: bytes, session: Session | None,
                    signatures: tuple[PdfSignatureCheck, ...], roots_known: bool) -> FileReport:
    """A published PDF is the school's file only when byte-identical to the issued one or PAdES-signed whole."""
    signed_whole = any(s.intact and s.valid and s.covers_whole_file and (s.trusted or not roots_known)
                       for s in signatures)
    if signed_whole:
        return report
    digest = hashlib.sha256(data).hexdigest()
    editions = {p.fields.edition_id for p in report.pages if p.fields is not None}
    if session is not None:
        recorded = {eid: (session.get(Edition, eid) or _NO_EDITION).pdf_sha256 for eid in editions}
        if editions and all(sha == digest for sha in recorded.values()):
            return replace(report, notes_vi=(*report.notes_vi, "Tệp trùng từng byte với tệp nhà trường đã phát hành."))
        pages = tuple(_downgrade(p, PageStatus.ALTERED, _FILE_ALTERED_VI, "file differs from the issued file")
                      for p in report.pages)
        return replace(report, pages=pages, problems_vi=(*report.problems_vi, _FILE_ALTERED_VI[0].upper()
                                                         + _FILE_ALTERED_VI[1:] + "."))
    why = ("kiểm tra ngoại tuyến không đối chiếu được tệp với tệp đã phát hành và tệp không có chữ ký số PDF: "
           "hãy kiểm tra với cơ sở dữ liệu của nhà trường hoặc so với trang gốc")
    pages = tuple(_downgrade(p, PageStatus.CODE_GENUINE, why, "offline: file identity not confirmed")
                  for p in report.pages)
    return replace(report, pages=pages)


class _NoEdition:
    pdf_sha256 = None


_NO_EDITION = _NoEdition()


def _downgrade(v: PageVerdict, status: PageStatus, why_vi: str, why_en: str) -> PageVerdict:
    """A genuine page verdict turned into ``status`` with the reason (other verdicts kept)."""
    if v.status is not PageStatus.GENUINE:
        return v
    return replace(v, status=status, message_vi=f"{STATUS_LABELS[status]}: {why_vi}.",
                   message_en=f"{status.value}: {why_en}", details_vi=(*v.details_vi, why_vi))


def genuine_page_index(session: Session | None, fields: PayloadFields) -> int | None:
    """0-based index, in the issued PDF, of the page the code names (from the recorded edition)."""
    if session is None:
        return None
    try:
        edition = session.get(Edition, fields.edition_id)
    except Exception:  # noqa: BLE001 - no database answer: no genuine page to show
        return None
    if edition is None:
        return None
    for p in edition.pages:
        if p.number == fields.page:
            return p.position - 1
    return None


def genuine_page_png(issued_pdf: IssuedPdf | None, edition_id: uuid.UUID, index: int, dpi: int = 110) -> bytes | None:
    """The genuine page as issued (PNG), or None when the issued PDF is not available."""
    if issued_pdf is None:
        return None
    pdf = issued_pdf(edition_id)
    if pdf is None:
        return None
    try:
        return page_png(pdf, index, dpi)
    except Exception as exc:  # noqa: BLE001 - an unreadable archive copy must not hide the verdict
        log.warning("cannot render page %s of edition %s: %r", index, edition_id, exc)
        return None


def _compare(img: object, code: FoundCode, fields: PayloadFields, index: int | None,
             issued_pdf: IssuedPdf | None) -> Comparison | None:
    if issued_pdf is None or index is None:
        return None
    pdf = issued_pdf(fields.edition_id)
    if pdf is None:
        return None
    from signing.qr import read_qr_codes

    try:
        genuine = render_page(pdf, index, GENUINE_DPI)
        found = [c for c in read_qr_codes(genuine)]
        if not found:
            return None
        return compare(img, code.position, genuine, found[0].position, GENUINE_DPI)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001
        log.warning("comparison with edition %s page %s failed: %r", fields.edition_id, index, exc)
        return None


_PHOTO_VI = ("ảnh chụp / bản quét không chứng minh được nội dung trang: mã QR chỉ chứng minh nhà trường đã in trang "
             "{code}; hãy so từng điểm, từng chữ của trang giấy với trang gốc")
_PHOTO_EN = "photo or scan: the code is genuine; the page content must be compared with the genuine page"


def _scan_codes(data: bytes, dpi: int) -> list[list[str]] | None:
    try:
        return [[c.text for c in page.codes] for page in scan_pages(data, dpi)]
    except SigningError:
        return None


def _verify_scan(data: bytes, name: str, kind: str, trust: KeyLookup, db_session: Session | None, dpi: int,
                 public: bool, issued_pdf: IssuedPdf | None, image_only: Sequence[bool] = ()) -> FileReport:
    """Every page of a photo or scan, then the set: one code a page, no page twice, one edition a file."""
    verdicts: list[PageVerdict] = []
    try:
        for i, (img, page) in enumerate(scan_images(data, dpi)):
            verdicts.append(_scan_page(i, img, page.codes, trust, db_session, public, issued_pdf,
                                       digital=i < len(image_only) and not image_only[i]))
    except UploadRefused:
        raise
    except SigningError as exc:
        if not verdicts:
            return FileReport(name, kind, (), problems_vi=(exc.message_vi,))
        return FileReport(name, kind, tuple(verdicts), problems_vi=(exc.message_vi,))
    verdicts, problems = _check_set(verdicts)
    notes = (("Ảnh chụp / bản quét: mã QR chỉ chứng minh trang được nhà trường in; nội dung trang phải được đối "
              "chiếu với trang gốc (hiển thị bên cạnh khi có bản lưu)."),)
    return FileReport(name, kind, tuple(verdicts), problems_vi=tuple(problems), notes_vi=notes,
                      offline=db_session is None)


def _scan_page(i: int, img: object, codes: Sequence[FoundCode], trust: KeyLookup, db_session: Session | None,
               public: bool, issued_pdf: IssuedPdf | None, digital: bool) -> PageVerdict:
    if not codes:
        return PageVerdict(i, PageStatus.NO_CODE,
                           "Không tìm thấy mã QR trên trang (ảnh mờ, bị che hoặc không phải trang sổ).",
                           "no QR code found")
    if len(codes) > 1:
        first = verify_code(codes[0].text, trust, db_session, page_index=i, public=public)
        return PageVerdict(i, PageStatus.ALTERED,
                           f"Trang có {len(codes)} mã QR: một trang sổ thật chỉ có một mã (mã bị dán thêm).",
                           f"{len(codes)} codes on one page", first.fields)
    code = codes[0]
    v = verify_code(code.text, trust, db_session, page_index=i, public=public)
    if v.fields is None:
        return v
    if digital:
        return replace(v, status=PageStatus.ALTERED,
                       message_vi="Đây là trang PDF số (có chữ hoặc nét vẽ, không phải ảnh quét) nhưng không có bản kê "
                                  "có chữ ký đi kèm: tệp đã bị tạo lại hoặc bị gỡ dữ liệu đối chiếu. Không công nhận "
                                  "là bản gốc.",
                       message_en="digital page without the signed manifest (re-made file)")
    index = genuine_page_index(db_session, v.fields)
    if v.status is not PageStatus.GENUINE:
        return replace(v, genuine_page=index)
    comparison = _compare(img, code, v.fields, index, issued_pdf)
    if comparison is not None and not comparison.matches:
        return replace(v, status=PageStatus.ALTERED, genuine_page=index, comparison=comparison,
                       message_vi=f"Mã QR là mã thật của trang {v.fields.page}/{v.fields.pages}, nhưng trang giấy "
                                  "không giống trang gốc mà mã chỉ đến (trang trắng, trang khác hoặc mã bị cắt dán "
                                  "từ trang khác). Không công nhận.",
                       message_en=f"code genuine but the page does not match the genuine page ({comparison})")
    how = ""
    if comparison is not None:
        how = " Bố cục chữ trên trang khớp với trang gốc, nhưng máy không đọc được từng điểm số."
    elif index is not None and issued_pdf is not None:
        how = " Không có bản lưu của trang gốc để so tự động."
    why = _PHOTO_VI.format(code=v.code)
    return replace(v, status=PageStatus.CODE_GENUINE, genuine_page=index, comparison=comparison,
                   message_vi=f"{v.message_vi} Tuy vậy, {why}.{how}", message_en=f"{v.message_en}; {_PHOTO_EN}")


def _check_set(verdicts: list[PageVerdict]) -> tuple[list[PageVerdict], list[str]]:
    """Flag a page number seen twice and a file mixing editions."""
    seen: dict[tuple[uuid.UUID, int], int] = {}
    out = []
    for v in verdicts:
        f = v.fields
        if f is not None and v.status is not PageStatus.MALFORMED:
            key = (f.edition_id, f.page)
            if key in seen and v.status is not PageStatus.ALTERED:
                v = replace(v, status=PageStatus.ALTERED,
                            message_vi=f"Trang {f.page}/{f.pages} lặp lại: đã có ở trang {seen[key] + 1} của tệp "
                                       "(trang bị sao chép).",
                            message_en=f"page {f.page} repeated (first at file page {seen[key] + 1})")
            seen.setdefault(key, v.page_index)
        out.append(v)
    problems = []
    editions = {eid for eid, _ in seen}
    if len(editions) > 1:
        codes = ", ".join(sorted(edition_short_id(e) for e in editions))
        problems.append(f"Tệp gồm các trang của {len(editions)} bản in khác nhau ({codes}): một bộ sổ, học bạ "
                        "chỉ gồm các trang của một bản in.")
    return out, problems


def _verify_published(data: bytes, name: str, atts: dict[str, bytes], trust: KeyLookup,
                      db_session: Session | None, dpi: int, public: bool = False) -> FileReport:
    mc: ManifestCheck = read_manifest(atts[MANIFEST_NAME], trust)
    problems: list[str] = []
    doc_pages: list[object] = []
    doc_ok = False
    raw_doc = atts.get(DOCUMENT_NAME)
    if raw_doc is None:
        problems.append("Tệp thiếu dữ liệu sổ đính kèm.")
    else:
        try:
            doc_pages = list(json.loads(raw_doc.decode("utf-8"))["pages"])
            doc_ok = True
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            problems.append("Dữ liệu sổ đính kèm bị hỏng.")
    if mc.manifest is not None and raw_doc is not None and hashlib.sha256(raw_doc).hexdigest() != \
            mc.manifest.document_sha256:
        problems.append("Dữ liệu sổ đính kèm khác với bản đã ký.")
        doc_ok = False
    if not mc.signature_ok:
        problems.append(mc.message_vi)
    texts = page_texts(data)
    scanned = _scan_codes(data, dpi) or []
    n = max(len(texts), len(scanned))
    mpages = mc.manifest.pages if mc.manifest is not None else ()
    if len(mpages) > n:
        missing = ", ".join(str(p.number) for p in mpages[n:])
        problems.append(f"Tệp thiếu trang so với bản đã phát hành (trang {missing}).")
    verdicts = []
    for i in range(n):
        entry = mpages[i] if i < len(mpages) else None
        codes = scanned[i] if i < len(scanned) else []
        if entry is None:
            verdicts.append(PageVerdict(i, PageStatus.ALTERED if codes else PageStatus.NO_CODE,
                                        "Trang này không thuộc bản in đã phát hành (trang bị chèn thêm).",
                                        "page not in the manifest"))
            continue
        base = verify_code(entry.qr, trust, db_session, page_index=i, public=public)
        if base.status is not PageStatus.GENUINE and base.status is not PageStatus.OUTDATED \
                and base.status is not PageStatus.SUPERSEDED and base.status is not PageStatus.REVOKED:
            verdicts.append(base)
            continue
        altered: list[str] = []
        if not codes:
            altered.append("mã QR trên trang bị mất hoặc không đọc được")
        elif entry.qr not in codes:
            altered.append("mã QR trên trang khác với mã đã phát hành cho trang này")
        f = base.fields
        assert f is not None
        if mc.manifest is not None and (str(f.edition_id) != mc.manifest.edition_id or f.digest.hex() != entry.digest):
            altered.append("bản kê không khớp với mã QR")
        if not mc.signature_ok:
            altered.append("bản kê đính kèm không có chữ ký hợp lệ")
        if not doc_ok or i >= len(doc_pages):
            altered.append("thiếu dữ liệu trang đính kèm")
        else:
            try:
                pdata = doc_pages[i]["data"]  # type: ignore[index]
                if page_digest(pdata) != f.digest:
                    altered.append("dữ liệu trang đính kèm khác với dữ liệu đã ký")
            except (KeyError, TypeError, SigningError):
                altered.append("dữ liệu trang đính kèm bị hỏng")
        tc = check_text(entry.printed, entry.text_sha256, text_tokens(texts[i] if i < len(texts) else ""))
        if not tc.ok:
            if tc.changed:
                shown = "; ".join(f"«{t}» có {found} lần thay vì {want}" for t, want, found in tc.changed[:6])
                altered.append(f"nội dung hiển thị của trang khác với dữ liệu đã ký ({shown})")
            else:
                altered.append("văn bản của trang khác với bản đã phát hành")
        if altered:
            verdicts.append(PageVerdict(i, PageStatus.ALTERED,
                                        f"Đã bị sửa đổi (trang {f.page}/{f.pages}): " + "; ".join(altered) + ".",
                                        "altered: " + "; ".join(altered), f, tuple(altered)))
        else:
            verdicts.append(base)
    if mc.key_revoked:
        problems.append("Khóa ký của bản in này đã bị thu hồi.")
    notes = ("Đã đối chiếu từng trang: mã QR, chữ ký, dữ liệu đính kèm và văn bản hiển thị của trang.",)
    return FileReport(name, "published-pdf", tuple(verdicts), problems_vi=tuple(problems), notes_vi=notes,
                      offline=db_session is None)


__all__ = [
    "STATUS_LABELS",
    "FileReport",
    "IssuedPdf",
    "PageStatus",
    "PageVerdict",
    "describe_fields",
    "genuine_page_index",
    "genuine_page_png",
    "image_only_pages",
    "issued_page_lines",
    "page_texts",
    "parse_short_code",
    "verify_code",
    "verify_file",
    "verify_short_code",
]
