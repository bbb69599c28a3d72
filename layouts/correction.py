"""The correction request form and the correction record (CV §2.2.3 a), as a printable document.

"Giáo viên … phải có đơn đề nghị; Hiệu trưởng phải phê duyệt vào đơn; đơn được lưu trong hồ sơ của
Ban quản trị … Khi sửa dữ liệu phải có sự chứng kiến của đại diện Ban giám hiệu, Ban quản trị và người
đề nghị chỉnh sửa số liệu và được ghi nhận đầy đủ các điều chỉnh trong hồ sơ lưu trữ."

``records.books.correction.read_correction(session, actor, request_id)`` (plain data, the read right checked)
   │  ``build_correction(data, part=…)``   pure: formats and chooses the pages
   ▼
BookDocument (book.kind "correction") with up to two form pages:
   ``correction-request``  Đơn đề nghị chỉnh sửa điểm — the teacher's request, with the principal's
                           approval or rejection on the form itself (blank to fill in while pending);
   ``correction-record``   Biên bản chỉnh sửa dữ liệu — when, where, who was present, what the trace
                           says was changed (entry number, before/after), signed by the three witnesses.
                           Only once the correction was applied.
   │  ``planned(doc)``   a form too long for its page (a long reason) continues on the next page of the
   │                     same form, split where Typst says it no longer fits; nothing is shrunk (issue 9)
   │  ``render_correction(doc)`` → templates/correction.typ (+ common.typ)
   ▼
PDF/A-3b. ``print_correction(session, request_id, actor)`` does all of it; with the school's signing key
it publishes the print as an edition (QR codes, attached data, recorded; ``layouts.publish``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from layouts.documents import REGIMES, BookDocument, BookMeta, Page
from layouts.errors import LayoutOverflowError
from layouts.formatting import dated_line, format_date, long_date
from layouts.render import render_document
from records.books.correction import read_correction
from records.errors import ConflictError, ValidationError
from records.models import CorrectionStatus
from records.permissions import Actor

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

TEMPLATE = "correction"
PDF_STANDARD = "a-3b"
#: Vietnam keeps UTC+7 all year; the trace stores UTC.
VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")

Part = Literal["all", "form", "record"]
PARTS: tuple[str, ...] = ("all", "form", "record")

#: What each traced action means, as printed in the record's trace table.
ACTION_LABELS = {
    "request": "Lập đơn đề nghị",
    "approve": "Hiệu trưởng phê duyệt đơn",
    "reject": "Hiệu trưởng không duyệt đơn",
    "correct": "Sửa điểm trên sổ điểm điện tử",
    "apply": "Ghi nhận việc sửa và người chứng kiến",
    "outdate": "Đánh dấu bản in cũ có sửa chữa sau in",
    "recompute": "Tính lại kết quả học tập",
}
#: At most this many trace entries are listed (the rest are counted): the record stays one page.
MAX_TRACE_ROWS = 10
#: Body text size (pt). Never stepped down: a reason too long for its page continues on the next one.
BODY_PT = "12"


# --- formatting -----------------------------------------------------------------------------


def parse_when(text: str | None) -> dt.datetime | None:
    """A time of ``correction_document`` ("12/03/2026 07:30 UTC") as an aware datetime, or None."""
    if not text:
        return None
    raw = text.strip()
    if raw.endswith("UTC"):
        raw = raw[:-3].strip()
    try:
        return dt.datetime.strptime(raw, "%d/%m/%Y %H:%M").replace(tzinfo=dt.UTC)
    except ValueError:
        raise ValidationError(f"Thời điểm không hợp lệ trong đơn: {text}.", f"bad time {text!r}") from None


def local(at: dt.datetime | None) -> dt.datetime | None:
    """The time in Vietnam (UTC+7)."""
    return at.astimezone(VN_TZ) if at else None


def bare_district(district: str | None) -> str:
    """"Huyện Vân Hồ" → "Vân Hồ" (the place of a dated line and of the agency's name)."""
    name = (district or "").strip()
    for prefix in ("Huyện ", "Quận ", "Thị xã ", "Thành phố ", "huyện ", "quận "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def short_date(at: dt.datetime | None) -> str:
    """"12/03/2026"."""
    return format_date(at) if at else "……/……/………"


def clock(at: dt.datetime | None) -> str:
    """"07 giờ 30 phút"."""
    return f"{at.hour:02d} giờ {at.minute:02d} phút" if at else "…… giờ …… phút"


def mark_text(value: Any) -> str:
    """A mark as printed: decimal comma ("8,0", "7,5"); "Đ", "CĐ", "(trống)", "(xóa)" as they are."""
    if value is None or value == "":
        return "(trống)"
    text = str(value).strip()
    try:
        Decimal(text)
    except InvalidOperation:
        return text
    return text.replace(".", ",")


def _s(value: Any, default: str = "") -> str:
    return default if value is None else str(value)


def _person(name: Any) -> str:
    return _s(name).strip()


# --- the pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    """What both pages need, taken from the plain data once."""

    number: str
    school: str
    agency: str
    place: str
    student: str
    student_code: str
    class_name: str
    subject: str
    term: str
    year: str
    column: str
    old: str
    new: str
    reason: str
    requester: str
    requested_at: dt.datetime | None
    status: str
    status_vi: str
    decided_by: str
    decided_at: dt.datetime | None
    decision_note: str
    applied_by: str
    applied_at: dt.datetime | None


def _facts(data: Mapping[str, Any]) -> _Facts:
    school = data.get("school") or {}
    student = data.get("student") or {}
    decision = data.get("decision") or {}
    application = data.get("application") or {}
    place = bare_district(school.get("district"))
    return _Facts(
        number=_s(data.get("number")),
        school=_s(school.get("name")),
        agency=("PHÒNG GD&ĐT " + place).upper() if place else "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO",
        place=place,
        student=_s(student.get("name")),
        student_code=_s(student.get("code")),
        class_name=_s(student.get("class")),
        subject=_s(data.get("subject")),
        term=_s(data.get("term")),
        year=_s(data.get("school_year")),
        column=_s(data.get("column")),
        old=mark_text(data.get("old_value")),
        new=mark_text(data.get("new_value")),
        reason=_s(data.get("reason")).strip(),
        requester=_person(data.get("requested_by")),
        requested_at=local(parse_when(data.get("requested_at"))),
        status=_s(data.get("status")),
        status_vi=_s(data.get("status_vi")),
        decided_by=_person(decision.get("by")),
        decided_at=local(parse_when(decision.get("at"))),
        decision_note=_s(decision.get("note")).strip(),
        applied_by=_person(application.get("by")),
        applied_at=local(parse_when(application.get("at"))),
    )


def _term_year(f: _Facts) -> str:
    return ", ".join(x for x in (f.term, f"năm học {f.year}" if f.year else "") if x)


def request_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The request form (đơn đề nghị) with the principal's decision on it."""
    f = _facts(data)
    status = f.status
    if status in (CorrectionStatus.APPROVED.value, CorrectionStatus.APPLIED.value):
        choice = "approve"
    elif status == CorrectionStatus.REJECTED.value:
        choice = "reject"
    else:
        choice = ""  # pending: the principal ticks and writes on the printed form
    if status == CorrectionStatus.APPLIED.value:
        state = (f"Đã sửa trên sổ điểm điện tử lúc {clock(f.applied_at)} ngày {short_date(f.applied_at)} "
                 "(xem biên bản chỉnh sửa dữ liệu kèm theo).")
    elif status == CorrectionStatus.APPROVED.value:
        state = "Đã duyệt, chờ Ban quản trị thực hiện chỉnh sửa trước người chứng kiến."
    elif status == CorrectionStatus.REJECTED.value:
        state = "Không duyệt: điểm giữ nguyên như đã nhập."
    else:
        state = "Chờ Hiệu trưởng phê duyệt."
    return {
        "size": BODY_PT,
        "place_date": dated_line(f.place, f.requested_at),
        "title": "ĐƠN ĐỀ NGHỊ CHỈNH SỬA ĐIỂM",
        "subtitle": "(Điều chỉnh sai sót điểm số đã nhập trên sổ điểm điện tử)",
        "number": f"Đơn số {f.number} trên hệ thống sổ điện tử",
        "to": f"Hiệu trưởng {f.school}" if f.school else "Hiệu trưởng nhà trường",
        "fields": [
            ["Tôi tên là", f.requester or "……………………………………"],
            ["Giáo viên bộ môn", f.subject],
            ["Giảng dạy lớp", f"{f.class_name} — {_term_year(f)}" if f.class_name else _term_year(f)],
        ],
        "intro": ("Trong quá trình nhập điểm vào sổ điểm điện tử, tôi đã nhập sai điểm dưới đây. "
                  "Tôi đề nghị được điều chỉnh như sau:"),
        "columns": ["STT", "Họ và tên học sinh", "Lớp", "Môn học", "Học kì", "Cột điểm", "Điểm đã nhập",
                    "Điểm đề nghị sửa"],
        "rows": [["1", f.student, f.class_name, f.subject, f.term, f.column, f.old, f.new]],
        "reason": f.reason,
        "pledge": ("Tôi xin cam đoan điểm đề nghị sửa đúng với điểm ghi trong sổ theo dõi cá nhân của giáo viên "
                   "và bài kiểm tra của học sinh. Kính đề nghị Hiệu trưởng xem xét, phê duyệt."),
        "requester": {"date": "", "title": "NGƯỜI LÀM ĐƠN", "note": "(Ký và ghi rõ họ tên)", "name": f.requester},
        "decision": {
            "title": "Ý KIẾN PHÊ DUYỆT CỦA HIỆU TRƯỞNG",
            "choice": choice,
            "options": ["Đồng ý cho chỉnh sửa điểm như đề nghị", "Không đồng ý chỉnh sửa"],
            "note": f.decision_note,
            "state": state,
            "signature": {"date": dated_line(f.place, f.decided_at), "title": "HIỆU TRƯỞNG",
                          "note": "(Ký, ghi rõ họ tên và đóng dấu)", "name": f.decided_by},
        },
        "filing": "Đơn này được lưu trong hồ sơ của Ban quản trị sổ điện tử nhà trường.",
    }


def _changes(data: Mapping[str, Any], f: _Facts) -> list[dict[str, str]]:
    """The changes of the mark, from the trace (``changes``), else the request's old and new values."""
    changes = data.get("changes")
    if changes:
        return [{"entry": _s(c.get("entry_id")), "before": mark_text(c.get("before")),
                 "after": mark_text(c.get("after"))} for c in changes]
    entries = [e for e in data.get("trace") or () if e.get("entity") == "mark" and e.get("action") == "correct"]
    return [{"entry": _s(e.get("id")), "before": f.old, "after": f.new} for e in entries] or [
        {"entry": "", "before": f.old, "after": f.new}]


def _trace_rows(data: Mapping[str, Any]) -> tuple[list[list[str]], str]:
    entries = list(data.get("trace") or ())
    rows = []
    for e in entries[:MAX_TRACE_ROWS]:
        at = local(parse_when(e.get("at")))
        action = _s(e.get("action"))
        who = _s(e.get("actor_name") or e.get("actor"))
        rows.append([_s(e.get("id")), at.strftime("%d/%m/%Y %H:%M") if at else "", who,
                     ACTION_LABELS.get(action, action), _s(e.get("hash"))[:16]])
    more = len(entries) - len(rows)
    return rows, (f"… và {more} mục khác của nhật kí có cùng số đơn." if more > 0 else "")


def record_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The correction record (biên bản chỉnh sửa dữ liệu): only for an applied request."""
    f = _facts(data)
    if f.status != CorrectionStatus.APPLIED.value:
        raise ConflictError(
            f"Đơn số {f.number} chưa được thực hiện chỉnh sửa ({f.status_vi or f.status}): "
            "chưa có biên bản chỉnh sửa dữ liệu để in. Chỉ in được đơn đề nghị.",
            f"correction request {f.number} is {f.status}: no correction record yet")
    witnesses = list(data.get("witnesses") or ())
    names = [_person(w.get("name")) for w in witnesses] + ["", "", ""]
    leader, board, requester = names[0], names[1], names[2] or f.requester
    present = [
        ["1.", leader or "……………………………", "Đại diện Ban giám hiệu"],
        ["2.", board or "……………………………", "Đại diện Ban quản trị"],
        ["3.", requester or "……………………………",
         f"Người đề nghị (giáo viên bộ môn {f.subject})" if f.subject else "Người đề nghị"],
    ]
    changes = _changes(data, f)
    rows = [[str(i), f.student, f.class_name, f.subject, f.term, f.column, c["before"], c["after"], c["entry"]]
            for i, c in enumerate(changes, 1)]
    trace_rows, trace_more = _trace_rows(data)
    where = f"tại {f.school}" if f.school else "tại trường"
    approval = (f", đã được Hiệu trưởng {f.decided_by} phê duyệt ngày {short_date(f.decided_at)}"
                if f.decided_by else ", đã được Hiệu trưởng phê duyệt")
    if f.decision_note:
        approval += f" (ý kiến: {f.decision_note})"
    entry_ids = ", ".join(c["entry"] for c in changes if c["entry"])
    return {
        "size": BODY_PT,
        "agency": f.agency,
        "school": f.school.upper(),
        "place_date": dated_line(f.place, f.applied_at),
        "title": "BIÊN BẢN CHỈNH SỬA DỮ LIỆU",
        "subtitle": f"Về việc chỉnh sửa điểm số trên sổ điểm điện tử theo đơn đề nghị số {f.number}",
        "opening": f"Hôm nay, vào lúc {clock(f.applied_at)}, {long_date(f.applied_at)}, {where}, chúng tôi gồm:",
        "present": present,
        "operator": (f"Người thực hiện chỉnh sửa trên phần mềm: {f.applied_by}." if f.applied_by else ""),
        "basis": (f"Căn cứ đơn đề nghị chỉnh sửa điểm số {f.number} lập ngày {short_date(f.requested_at)} của "
                  f"ông (bà) {f.requester}{approval}."),
        "reason": f.reason,
        "intro": "Đã tiến hành chỉnh sửa dữ liệu trên sổ điểm điện tử như sau:",
        "columns": ["STT", "Họ và tên học sinh", "Lớp", "Môn học", "Học kì", "Cột điểm", "Trước khi sửa",
                    "Sau khi sửa", "Mục nhật kí"],
        "rows": rows,
        "trace_title": f"Lưu vết trên hệ thống (các mục nhật kí mang số đơn {f.number}):",
        "trace_columns": ["Mục số", "Thời điểm", "Người thực hiện", "Nội dung", "Mã băm (rút gọn)"],
        "trace_rows": trace_rows,
        "trace_more": trace_more,
        "closing": (
            "Việc chỉnh sửa được thực hiện trước sự chứng kiến của những người có tên trên và đã được hệ thống "
            f"lưu vết đầy đủ{f' (mục nhật kí số {entry_ids})' if entry_ids else ''}. Biên bản được lập thành "
            "01 bản, đã đọc lại cho những người có mặt cùng nghe, thống nhất kí tên dưới đây và được lưu cùng "
            f"đơn đề nghị số {f.number} trong hồ sơ của Ban quản trị."),
        "signatures": [
            {"title": "ĐẠI DIỆN BAN GIÁM HIỆU", "note": "(Ký và ghi rõ họ tên)", "name": leader},
            {"title": "ĐẠI DIỆN BAN QUẢN TRỊ", "note": "(Ký và ghi rõ họ tên)", "name": board},
            {"title": "NGƯỜI ĐỀ NGHỊ", "note": "(Ký và ghi rõ họ tên)", "name": requester},
        ],
    }


def build_correction(data: Mapping[str, Any], *, part: Part = "all") -> BookDocument:
    """The request form and (once applied) the correction record of ``correction_document`` data.

    ``part``: "all" (the form, plus the record when the correction was applied), "form" or "record"
    (refused with a Vietnamese message while the correction has not been applied).
    """
    if part not in PARTS:
        raise ValidationError(f"Không rõ phần cần in: {part}.", f"unknown part {part!r}")
    if data.get("type") not in (None, "correction"):
        raise ValidationError("Dữ liệu không phải đơn đề nghị chỉnh sửa điểm.", f"not a correction: {data.get('type')}")
    applied = data.get("status") == CorrectionStatus.APPLIED.value
    kinds: list[tuple[str, dict[str, Any]]] = []
    if part in ("all", "form"):
        kinds.append(("correction-request", request_data(data)))
    if part == "record" or (part == "all" and applied):
        kinds.append(("correction-record", record_data(data)))
    f = _facts(data)
    regime = str(data.get("regime") or "tt22")
    book = BookMeta(
        kind="correction",
        title=f"Đơn đề nghị chỉnh sửa điểm số {f.number}",
        school=f.school,
        district=_s((data.get("school") or {}).get("district")),
        province=_s((data.get("school") or {}).get("province")),
        class_name=f.class_name,
        year=f.year,
        regime=regime if regime in REGIMES else "tt22",  # type: ignore[arg-type]
        total_pages=len(kinds),
    )
    pages = tuple(Page(no=i, kind=kind, data=page) for i, (kind, page) in enumerate(kinds, 1))
    return BookDocument(book=book, pages=pages)


def _fits(book: BookMeta, kind: str, data: Mapping[str, Any]) -> bool:
    """Whether one page of ``kind`` with ``data`` comes out of Typst as one page (measured, not estimated)."""
    try:
        render_document(TEMPLATE, BookDocument(book=book, pages=(Page(no=1, kind=kind, data=dict(data)),)))
    except LayoutOverflowError:
        return False
    return True


def _split_page(book: BookMeta, kind: str, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One form page as the pages it takes: the reason wraps on and continues on the next page (the
    form's title "(tiếp theo)" over it), the rest of the form after it. The share of the reason a page
    holds is the most words Typst lays out on it (a binary search of one-page compiles)."""
    words = re.findall(r"\S+\s*", str(data.get("reason") or ""))
    pages: list[dict[str, Any]] = []
    first = True
    while True:
        rest = "".join(words).strip()
        last = {**data, "reason": rest, "head": first, "tail": True, "continued": not first}
        if _fits(book, kind, last):
            return [*pages, last]
        low, high = 0, len(words)  # the most words that fit with the rest of the form on a later page
        while low < high:
            mid = (low + high + 1) // 2
            share = {**last, "reason": "".join(words[:mid]).strip(), "tail": False}
            if _fits(book, kind, share):
                low = mid
            else:
                high = mid - 1
        if low == 0 and not first:
            raise LayoutOverflowError(
                "Không in được đơn: một trang tiếp theo không chứa nổi phần còn lại. Vui lòng báo cho quản trị hệ thống.",
                f"correction {kind}: not even one word of the reason fits a continuation page")
        pages.append({**last, "reason": "".join(words[:low]).strip(), "tail": False})
        words, first = words[low:], False


def planned(document: BookDocument) -> BookDocument:
    """The document with every form page split where Typst says it no longer fits (issue 9: nothing is
    shrunk; a long reason wraps and continues on the next page of the same form). Unchanged — and one
    compile — when every page fits, as almost every request does."""
    try:
        render_document(TEMPLATE, document)
        return document
    except LayoutOverflowError:
        pass
    data: list[tuple[str, dict[str, Any]]] = []
    for page in document.pages:
        if _fits(document.book, page.kind, page.data):
            data.append((page.kind, dict(page.data)))
        else:
            data.extend((page.kind, d) for d in _split_page(document.book, page.kind, page.data))
    book = replace(document.book, total_pages=len(data))
    return BookDocument(book=book, pages=tuple(Page(no=i, kind=k, data=d) for i, (k, d) in enumerate(data, 1)))


def render_correction(document: BookDocument) -> bytes:
    """PDF/A-3b of a correction document (every planned page exactly one page; nothing shrunk)."""
    return render_document(TEMPLATE, planned(document), pdf_standard=PDF_STANDARD)


def print_correction(
    session: Session,
    request_id: int,
    actor: Actor,
    *,
    part: Part = "all",
    private_key: Ed25519PrivateKey | None = None,
    issued_on: dt.date | None = None,
) -> bytes:
    """PDF of a correction request's form and record.

    Without a key: a plain PDF/A-3b for anyone who may read the request (the requester, the leadership,
    the board, the office). With the school's signing key: published as an edition through
    ``layouts.publish`` (the office's right; QR codes, attached data, recorded; the caller commits), one
    edition scope per request, so a reprint after approval or application supersedes the earlier print.
    """
    read = read_correction(session, actor, request_id)
    document = build_correction(read.data, part=part)
    if private_key is None:
        return render_correction(document)
    from layouts.publish import Scope, publish

    owner = read.owner
    scope = Scope(owner.school_id, student_id=owner.student_id, school_year_id=owner.school_year_id,
                  part=f"correction-{request_id}" if part == "all" else f"correction-{request_id}-{part[0]}")
    name = (document.pages[0].data.get("rows") or [["", ""]])[0][1]
    title = f"Đơn đề nghị chỉnh sửa điểm số {request_id}"
    if any(p.kind == "correction-record" for p in document.pages):
        title += " và biên bản chỉnh sửa dữ liệu"
    title += f" — {name} — Lớp {document.book.class_name} — {document.book.year}"

    return publish(session, actor, planned(document), template=TEMPLATE, scope=scope, private_key=private_key,
                   issued_on=issued_on, title=title[:300]).pdf


__all__ = [
    "ACTION_LABELS",
    "PARTS",
    "VN_TZ",
    "build_correction",
    "mark_text",
    "print_correction",
    "record_data",
    "render_correction",
    "request_data",
]
