"""Verification of printed pages: a code, an image or scan, or a published PDF (FORMAT.md §7).

* ``verify_code(text, trust, db_session)`` — one QR text: signature against the trust list and,
  with a database, the edition's state (unknown, revoked, superseded, outdated by a correction).
* ``verify_file(source, trust, db_session)`` — a PDF, PNG, JPEG, TIFF or multi-page scanned PDF:
  - a *published PDF* (it carries the signed manifest) is checked page by page: the QR rendered
    from the page equals the manifest's, the QR signature, the attached page data against the
    signed digest, the manifest signature, and the page's text layer against the printed-token
    counts and text digest of the manifest; its PDF signatures are validated (pyHanko);
  - anything else is treated as a scan: every QR on every page is verified. A digital page (its
    text layer shows the page's printed code) without a manifest has been re-made: *altered*.

Nothing here raises on bad input: every problem is a verdict. Messages are Vietnamese for the
user and English for logs.
"""

from __future__ import annotations

import enum
import hashlib
import io
import json
import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from records.models import Edition, EditionStatus, KeyKind
from records.services import editions as edition_service
from signing.errors import QrReadError, SigningError
from signing.keys import KeyLookup
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
    PayloadFields,
    VerdictStatus,
    edition_short_id,
    human_code,
    page_digest,
    verify_payload,
)
from signing.pdfsign import PdfSignatureCheck, validate_pdf
from signing.qr import SCAN_DPI, scan_pages

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
    def ok(self) -> bool:
        """Every page genuine, no file problem, every PDF signature intact, valid and (when roots are known) trusted."""
        sig_ok = all(s.intact and s.valid and s.covers_whole_file and (s.trusted or not self.trust_roots_known)
                     for s in self.signatures)
        return bool(self.pages) and all(p.ok for p in self.pages) and not self.problems_vi and sig_ok


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
    try:
        state = edition_service.edition_state(db_session, fields.edition_id)
    except Exception as exc:  # noqa: BLE001 - a database problem must not hide the signature verdict
        return PageVerdict(page_index, PageStatus.GENUINE,
                           f"{v.message_vi} Không đọc được cơ sở dữ liệu nên chưa kiểm tra tình trạng bản in.",
                           f"{v.message_en}; database error {exc!r}", fields)
    short = edition_short_id(fields.edition_id)
    if state is None:
        return PageVerdict(page_index, PageStatus.UNKNOWN_EDITION,
                           f"Chữ ký đúng nhưng bản in {short} không có trong danh sách bản in của nhà trường "
                           "(có thể là bản in không được ghi nhận). Không công nhận.",
                           f"edition {fields.edition_id} not recorded", fields)
    recorded = state.digests.get(fields.page)
    if recorded is None or recorded != fields.digest.hex() or state.key_id != fields.key_id:
        return PageVerdict(page_index, PageStatus.ALTERED,
                           f"Mã không khớp với trang {fields.page} của bản in {short} đã ghi nhận.",
                           f"page {fields.page} digest/key differs from the recorded edition", fields)
    if state.status is EditionStatus.REVOKED:
        why = "" if public or not state.revoked_reason else f" Lý do: {state.revoked_reason}."
        return PageVerdict(page_index, PageStatus.REVOKED,
                           f"Bản in {short} đã bị thu hồi ngày {_fmt_dt(state.revoked_at)}; không còn giá trị.{why}",
                           f"edition {fields.edition_id} revoked", fields)
    if state.status is EditionStatus.SUPERSEDED and state.superseded_by is not None:
        by = edition_short_id(state.superseded_by)
        return PageVerdict(page_index, PageStatus.SUPERSEDED,
                           f"Đã được thay thế bởi bản in {by} (ngày {_fmt_dt(state.superseded_at)}); "
                           f"bản in {short} này không còn là bản hiện hành.",
                           f"edition superseded by {state.superseded_by}", fields,
                           superseded_by=state.superseded_by)
    if state.status is EditionStatus.OUTDATED:
        return PageVerdict(page_index, PageStatus.OUTDATED,
                           f"Bản in {short} là bản thật, nhưng dữ liệu đã được sửa chữa theo quy định sau khi in "
                           f"(ngày {_fmt_dt(state.outdated_at)}); cần dùng bản in lại.",
                           f"edition {fields.edition_id} outdated by a correction", fields)
    return PageVerdict(page_index, PageStatus.GENUINE,
                       f"Hợp lệ: chữ ký của nhà trường đúng; bản in {short} là bản hiện hành.",
                       f"genuine; edition {fields.edition_id} current", fields)


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


# --- files -------------------------------------------------------------------------------------

Source = bytes | str | os.PathLike[str]


def _read(source: Source) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "<dữ liệu>"
    try:
        return Path(source).read_bytes(), str(source)
    except OSError as exc:
        raise QrReadError(f"Không đọc được tệp: {source}.", f"cannot read {source}: {exc}") from None


def _is_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def _attachments(pdf: bytes) -> dict[str, bytes]:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            return {name: spec.get_file().read_bytes() for name, spec in doc.attachments.items()
                    if name in (DOCUMENT_NAME, MANIFEST_NAME)}
    except Exception:  # noqa: BLE001 - unreadable structure: treat the file as a scan
        return {}


def verify_file(source: Source, trust: KeyLookup, db_session: Session | None = None, *,
                certificates: Sequence[str] = (), dpi: int = SCAN_DPI, public: bool = False) -> FileReport:
    """Verify every page of a PDF, image or scan; never raises on a bad or tampered file.

    ``public=True`` (the web page): no revocation reasons in the messages.
    """
    try:
        data, name = _read(source)
    except SigningError as exc:
        return FileReport(str(source), "unknown", (), problems_vi=(exc.message_vi,))
    offline = db_session is None
    roots = list(certificates)
    if db_session is not None:
        try:
            roots += [pem for _kid, pem, status in _db_certificates(db_session) if status != "revoked"]
        except Exception as exc:  # noqa: BLE001 - certificates are optional; the page verdicts still stand
            log.warning("cannot read certificates from the database: %r", exc)
    if _is_pdf(data):
        atts = _attachments(data)
        signatures = tuple(validate_pdf(data, roots))
        if MANIFEST_NAME in atts:
            report = _verify_published(data, name, atts, trust, db_session, dpi, public)
        else:
            report = _verify_scan(data, name, "pdf", trust, db_session, dpi, page_texts(data), public)
        problems = list(report.problems_vi)
        problems += [s.message_vi for s in signatures if not (s.intact and s.valid and s.covers_whole_file)]
        if roots:
            problems += [s.message_vi for s in signatures
                         if s.intact and s.valid and s.covers_whole_file and not s.trusted]
        notes = list(report.notes_vi)
        if db_session is not None:
            problems += _db_file_problems(db_session, data, report, signatures)
        if signatures and not roots:
            notes.append("Chưa có chứng thư số của nhà trường để xác minh người ký tệp PDF.")
        return FileReport(name, report.kind, report.pages, signatures, tuple(problems), tuple(notes), offline,
                          bool(roots))
    report = _verify_scan(data, name, "image", trust, db_session, dpi, (), public)
    return FileReport(name, report.kind, report.pages, (), report.problems_vi, report.notes_vi, offline, bool(roots))


def _db_certificates(session: Session) -> list[tuple[str, str, str]]:
    return [(r.key_id, r.public_pem, r.status.value) for r in edition_service.list_keys(session, kind=KeyKind.X509)]


def _db_file_problems(session: Session, data: bytes, report: FileReport,
                      signatures: tuple[PdfSignatureCheck, ...]) -> list[str]:
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


def _scan_codes(data: bytes, dpi: int) -> list[list[str]] | None:
    try:
        return [[c.text for c in page.codes] for page in scan_pages(data, dpi)]
    except SigningError:
        return None


def _verify_scan(data: bytes, name: str, kind: str, trust: KeyLookup, db_session: Session | None, dpi: int,
                 texts: Sequence[str] = (), public: bool = False) -> FileReport:
    pages = _scan_codes(data, dpi)
    if pages is None:
        return FileReport(name, kind, (), problems_vi=("Tệp không phải ảnh hoặc PDF đọc được.",))
    verdicts: list[PageVerdict] = []
    for i, codes in enumerate(pages):
        if not codes:
            verdicts.append(PageVerdict(i, PageStatus.NO_CODE,
                                        "Không tìm thấy mã QR trên trang (ảnh mờ, bị che hoặc không phải trang sổ).",
                                        "no QR code found"))
            continue
        for text in codes:
            v = verify_code(text, trust, db_session, page_index=i, public=public)
            page_text = texts[i] if i < len(texts) else ""
            if v.fields is not None and v.status is PageStatus.GENUINE and _digital(page_text, v.fields):
                v = PageVerdict(i, PageStatus.ALTERED,
                                "Đây là trang PDF số nhưng không có bản kê có chữ ký đi kèm: tệp đã bị tạo lại "
                                "hoặc bị gỡ dữ liệu đối chiếu, nội dung trang không còn kiểm chứng được. "
                                "Không công nhận là bản gốc.",
                                "digital page without the signed manifest (re-made file)", v.fields)
            verdicts.append(v)
    notes = ("Ảnh chụp / bản quét: chỉ kiểm tra được mã QR; hãy đối chiếu nội dung trang với thông tin của mã.",)
    return FileReport(name, kind, tuple(verdicts), notes_vi=notes, offline=db_session is None)


def _digital(page_text: str, fields: PayloadFields) -> bool:
    """True when the page's text layer shows its printed code: a digital rendition, not a scan."""
    if not page_text:
        return False
    code = edition_short_id(fields.edition_id)
    return code in "".join(page_text.split())


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
    "PageStatus",
    "PageVerdict",
    "describe_fields",
    "page_texts",
    "verify_code",
    "verify_file",
]
