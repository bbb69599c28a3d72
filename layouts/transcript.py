"""Học bạ THCS (the student transcript): records → :class:`TranscriptInput` → book document → PDF.

Three steps, each testable on its own:

1. :func:`load_transcript_input` reads one student's records (every enrolment, at this school or
   another one of the database) into a :class:`TranscriptInput`, a plain frozen dataclass of
   typed values (``Decimal`` marks, ``date`` dates). The correction note of each year comes from
   the audit trace (:data:`CorrectionLookup`), never from typed text.
2. :func:`build_transcript` turns the input into a :class:`~layouts.documents.BookDocument`:
   explicit pages, every value formatted for print, each year with the labels of its own
   regulation (TT58/TT26: Hạnh kiểm / Học lực; TT22: Kết quả rèn luyện / Kết quả học tập).
3. :func:`render_transcript` compiles it with ``templates/transcript.typ`` through
   :mod:`layouts.render`.

Pages of the full book (BOOKS.md §2, Sơn La CV 1540 adjustments): the cover (TT22 wording,
"BẢN SAO" for a copy), the identity page with the photo and *without* the "Quá trình học tập"
table, then two pages per school year: the subject table (with the correction note and the
confirmation blocks) and the results page. Every page after the identity page repeats Họ và tên,
Trường, Huyện, Tỉnh, Lớp, Năm học at its top, with the school of *that* year. Two-sided books get
blank pages so that the identity page and each year start on a recto.

Page numbers are those of the planned complete book (cover, identity page, one section per year
already recorded and one per grade still to come up to grade 9), so that the sheets printed at
the end of each year bind into one volume; a repeated grade adds a section and shifts what follows.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from layouts.documents import BookDocument, BookMeta, Page, Side
from layouts.errors import RenderError
from layouts.paginate import SLACK_PT, Flow, measure, pack
from layouts.photo import photo_svg
from records.errors import NotFoundError, ValidationError
from records.models import (
    Class,
    Enrolment,
    EnrolmentStatus,
    Grade,
    GradeSubject,
    HomeroomComment,
    Period,
    SchoolYear,
    Student,
    StudentResult,
    SubjectComment,
    SubjectResult,
    TeachingAssignment,
)
from records.rules import Promotion, ruleset
from records.services.context import VN_TZ

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from layouts.publish import Published
    from records.permissions import Actor
    from signing.pdfsign import PdfSigner

TEMPLATE = "transcript"
TT22_FORM_NOTE = (
    "(Mẫu ban hành kèm theo Thông tư số 22/2021/TT-BGDĐT ngày 20 tháng 7 năm 2021 "
    "của Bộ trưởng Bộ Giáo dục và Đào tạo)"
)
COPY_MARK = "BẢN SAO"
LEVELS = (6, 7, 8, 9)


# --- the input: plain typed data -------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A school as printed: name, district (huyện) and province (tỉnh)."""

    school: str
    district: str
    province: str


@dataclass(frozen=True)
class CorrectionNote:
    """Traced corrections of one student's year: number of corrected places and their subjects."""

    count: int = 0
    subjects: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubjectLine:
    """One subject of a year: term and year results (Decimal average or "Đ"/"CĐ"), comment, teacher."""

    name: str
    term1: Decimal | str | None = None
    term2: Decimal | str | None = None
    year: Decimal | str | None = None
    reassessed: Decimal | str | None = None
    comment: str = ""
    teacher: str = ""


@dataclass(frozen=True)
class YearRecord:
    """One school year of the student: class, school, regime, subject and overall results."""

    start_year: int
    grade: int
    class_name: str
    regime: str  # "tt58" | "tt26" | "tt22"
    place: Place
    subjects: tuple[SubjectLine, ...] = ()
    overall: tuple[Decimal | None, Decimal | None, Decimal | None] = (None, None, None)  # TT58/26 ĐTB
    conduct: tuple[str | None, str | None, str | None] = (None, None, None)  # HK I, HK II, CN
    learning: tuple[str | None, str | None, str | None] = (None, None, None)
    days_absent: int | None = None
    learning_after_summer: str | None = None
    conduct_after_summer: str | None = None
    promotion: str | None = None  # records.rules.Promotion value, before the summer
    final_promotion: str | None = None  # after the summer
    title: str | None = None
    homeroom_comment: str = ""
    homeroom_teacher: str = ""
    principal: str = ""
    approved_on: dt.date | None = None
    corrections: CorrectionNote = field(default_factory=CorrectionNote)
    repeating: bool = False

    @property
    def name(self) -> str:
        """"2023-2024"."""
        return f"{self.start_year}-{self.start_year + 1}"


@dataclass(frozen=True)
class Identity:
    """Page 1 (sơ yếu lý lịch) of the transcript."""

    full_name: str
    gender: str
    date_of_birth: dt.date
    place_of_birth: str = ""
    ethnicity: str = ""
    policy_category: str = ""
    current_address: str = ""
    father_name: str = ""
    father_occupation: str = ""
    mother_name: str = ""
    mother_occupation: str = ""
    guardian_name: str = ""
    guardian_occupation: str = ""


@dataclass(frozen=True)
class TranscriptInput:
    """Everything a transcript prints, for one student (independent of the database)."""

    student_code: str
    register_number: str
    identity: Identity
    holder: Place  # the school keeping the transcript (cover, identity page)
    principal: str = ""
    created_on: dt.date | None = None  # when the transcript was opened (identity page date)
    photo: bytes | None = None
    years: tuple[YearRecord, ...] = ()
    #: Grades still to come after the recorded years (for the planned page numbering).
    remaining_grades: tuple[int, ...] = ()
    #: The last page number of the latest print of each recorded year ((start year, page), …), read
    #: from its edition: the next year's print numbers its pages after it without laying the years
    #: before it out again (:func:`build_transcript`).
    printed_ends: tuple[tuple[int, int], ...] = ()


# --- formatting ------------------------------------------------------------------------------


def fmt_result(value: Decimal | str | None) -> str:
    """A subject result as printed: "8,5" (decimal comma, one decimal), "Đ"/"CĐ", or ""."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.1'))}".replace(".", ",")
    return value


def fmt_date(day: dt.date | None) -> str:
    """dd/mm/yyyy, or "" when unknown."""
    return day.strftime("%d/%m/%Y") if day else ""


def vn_date(at: dt.datetime | None) -> dt.date | None:
    """The calendar day of a recorded time in Vietnam (UTC+7); naive times are UTC (as stored)."""
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(VN_TZ).date()


def long_date(place: str, day: dt.date | None) -> str:
    """ "Vân Hồ, ngày 05 tháng 9 năm 2022", with dotted blanks when the day is not known yet."""
    if day is None:
        return f"{place}, ngày …… tháng …… năm ………"
    return f"{place}, ngày {day.day:02d} tháng {day.month} năm {day.year}"


def school_upper(name: str) -> str:
    """ "Trường THCS Tô Hiệu" → "TRƯỜNG THCS TÔ HIỆU" (the cover heading)."""
    return name.upper()


def register_label(number: str) -> str:
    """The cover's "Số sổ đăng bộ PCGD" value, always ending in "/THCS"."""
    number = (number or "").strip()
    if not number:
        return "………/THCS"
    return number if number.upper().endswith("/THCS") else f"{number}/THCS"


def _labels(regime: str) -> dict[str, str]:
    """Column and row labels of a year section: the regulation's words (``Ruleset.vocabulary``,
    D-LBL-3) and the form's own (BOOKS.md §2.2)."""
    rules = ruleset(regime)
    v = rules.vocabulary
    return {
        "subject": v.subject,
        "term1": "Học kì I",
        "term2": "Học kì II",
        "year": "Cả năm",
        "reassessed": v.reassessed,
        "comment": v.subject_sign,
        "conduct": v.conduct,
        "learning": v.learning,
        "absent": "Tổng số buổi nghỉ học cả năm",
        "summer": v.summer,
        "decision": "Được lên lớp hoặc không được lên lớp",
        "decision9": v.grade9_question,
        "title": v.award,
        "circular": rules.circular_vi,
    }


def decision_text(year: YearRecord) -> str:
    """The promotion decision as the form words it for the year's regime and grade."""
    decision = year.final_promotion or year.promotion
    if not decision:
        return ""
    value = Promotion(decision)
    rules = ruleset(year.regime)
    if value in (Promotion.PROMOTED, Promotion.REPEAT):
        return rules.vocabulary.decision(value, year.grade)
    return rules.promotion_label(value, grade=year.grade)


def correction_text(note: CorrectionNote) -> str:
    """The note under the subject table, filled from the trace."""
    subjects = ", ".join(note.subjects) if note.count and note.subjects else "không"
    return f"Trong bảng này có sửa chữa ở: {note.count} chỗ, thuộc các môn học: {subjects}."


# --- document construction (pure) ------------------------------------------------------------


def school_short(name: str) -> str:
    """The school as written after the label "Trường:": "Trường THCS Tô Hiệu" → "THCS Tô Hiệu"."""
    name = name.strip()
    return name[len("Trường "):].strip() if name.lower().startswith("trường ") else name


def _head(inp: TranscriptInput, year: YearRecord) -> dict[str, str]:
    return {
        "name": inp.identity.full_name,
        "school": year.place.school,
        "school_short": school_short(year.place.school),
        "district": year.place.district,
        "province": year.place.province,
        "class": year.class_name,
        "year": year.name,
    }


def _foot(inp: TranscriptInput) -> dict[str, str]:
    """Footer facts of the front pages: the holder school and the first year (when they were written)."""
    first = inp.years[0] if inp.years else None
    return {"school": inp.holder.school, "class": first.class_name if first else "",
            "year": first.name if first else ""}


def _cover(inp: TranscriptInput, copy: bool, copy_ref: str = "") -> dict[str, Any]:
    data = {
        "school": school_upper(inp.holder.school),
        "district": inp.holder.district,
        "province": inp.holder.province,
        "title": "HỌC BẠ",
        "subtitle": "TRUNG HỌC CƠ SỞ",
        "form_note": TT22_FORM_NOTE,
        "student": inp.identity.full_name,
        "register_number": register_label(inp.register_number),
        "copy": COPY_MARK if copy else "",
        "foot": _foot(inp),
    }
    if copy and copy_ref:  # which request a copy answers (archive.copies)
        data["copy_ref"] = copy_ref
    return data


def _identity(inp: TranscriptInput) -> dict[str, Any]:
    ident = inp.identity
    return {
        "title": "HỌC BẠ",
        "photo": photo_svg(inp.photo) or "",
        "fields": [
            ["Họ và tên", ident.full_name],
            ["Giới tính", ident.gender],
            ["Ngày sinh", fmt_date(ident.date_of_birth)],
            ["Nơi sinh", ident.place_of_birth],
            ["Dân tộc", ident.ethnicity],
            ["Đối tượng", ident.policy_category],
            ["Chỗ ở hiện tại", ident.current_address],
        ],
        "parents": [
            ["Họ và tên cha", ident.father_name, ident.father_occupation],
            ["Họ và tên mẹ", ident.mother_name, ident.mother_occupation],
            ["Người giám hộ", ident.guardian_name, ident.guardian_occupation],
        ],
        "date": long_date(inp.holder.district, inp.created_on),
        "signer": "HIỆU TRƯỞNG",
        "signer_note": "(Ký, ghi rõ họ tên và đóng dấu)",
        "principal": inp.principal,
        "units": [str(u) for u in range(IDENTITY_UNITS)],
        "foot": _foot(inp),
    }


#: Units of the identity page: title and photo, seven lines of fields and parents, the signature.
IDENTITY_UNITS = 1 + 4 + 3 + 1  # title, 4 lines of personal data, 3 of parents/guardian, signature
#: Room to sign under each subject's comment (mm) before the page's spare height is shared out,
#: and the most a subject gets.
SIGN_MM = 1.0
SIGN_MAX_MM = 14.0


def _subjects_data(inp: TranscriptInput, year: YearRecord) -> dict[str, Any]:
    """Everything of a year's subject table (the units of its pages: subject rows, the overall row, the tail)."""
    labels = _labels(year.regime)
    rows = [
        {
            "name": s.name,
            "t1": fmt_result(s.term1),
            "t2": fmt_result(s.term2),
            "cn": fmt_result(s.year),
            "re": fmt_result(s.reassessed),
            "comment": s.comment,
            "teacher": s.teacher,
        }
        for s in year.subjects
    ]
    overall: list[dict[str, str]] = []
    if year.regime != "tt22":
        t1, t2, cn = (fmt_result(v) for v in year.overall)
        overall.append({"name": "Điểm trung bình các môn học", "t1": t1, "t2": t2, "cn": cn})
    return {
        "head": _head(inp, year),
        "regime": year.regime,
        "circular": labels["circular"],
        "grade": str(year.grade),
        "labels": {k: labels[k] for k in ("subject", "term1", "term2", "year", "reassessed", "comment")},
        "first": "0",
        "rows": rows,
        "overall": overall,
        "tail": "1",
        "sign": f"{SIGN_MM:.1f}",
        "corrections": correction_text(year.corrections),
        "homeroom": year.homeroom_teacher,
        "principal": year.principal,
    }


#: The units of a results page, in order: results table, the lines under it, the homeroom
#: teacher's comment, their signature, the principal's approval and signature.
RESULT_UNITS = ("results", "lines", "comment", "homeroom", "approval")


def _results_data(inp: TranscriptInput, year: YearRecord) -> dict[str, Any]:
    labels = _labels(year.regime)
    periods = (labels["term1"], labels["term2"], labels["year"])
    summer = ", ".join(
        part
        for part in (
            f"{labels['learning']}: {year.learning_after_summer}" if year.learning_after_summer else "",
            f"{labels['conduct']}: {year.conduct_after_summer}" if year.conduct_after_summer else "",
        )
        if part
    )
    extras: list[list[str]] = []
    if year.regime != "tt22":
        extras = [["Giải thưởng các kì thi từ cấp huyện trở lên", ""], ["Khen thưởng đặc biệt khác", ""]]
    approved = year.approved_on is not None
    return {
        "head": _head(inp, year),
        "regime": year.regime,
        "labels": {"conduct": labels["conduct"], "learning": labels["learning"]},
        "units": list(RESULT_UNITS),
        "results": [
            [p, year.conduct[i] or "", year.learning[i] or ""] for i, p in enumerate(periods)
        ],
        "lines": [
            [labels["absent"], "" if year.days_absent is None else str(year.days_absent)],
            [labels["summer"], summer],
            [labels["decision9"] if year.grade == 9 else labels["decision"], decision_text(year)],
            [labels["title"], year.title or ""],
            *extras,
        ],
        "homeroom_comment": year.homeroom_comment,
        "homeroom": year.homeroom_teacher,
        "approval": (
            "Đồng ý với nhận xét và kết quả đánh giá của giáo viên chủ nhiệm." if approved else ""
        ),
        "date": long_date(year.place.district, year.approved_on),
        "principal": year.principal,
    }


# --- page plan: measured by Typst ------------------------------------------------------------


@dataclass(frozen=True)
class _Section:
    """A run of pages printed together: the front (cover, identity) or one school year."""

    name: str  # "front" or the year name
    parts: tuple[tuple[str, dict[str, Any]], ...]  # (kind, data of the whole part)


@dataclass(frozen=True)
class _Landed:
    """Where Typst laid a part out: the units on each of its pages, and the spare height (mm)
    under the last unit when the part fits one page."""

    pages: tuple[tuple[int, ...], ...]
    spare_mm: float


def _sections(inp: TranscriptInput, copy: bool, copy_ref: str = "") -> list[_Section]:
    front = _Section("front", (("transcript-cover", _cover(inp, copy, copy_ref)), ("transcript-identity", _identity(inp))))
    years = [
        _Section(y.name, (("transcript-subjects", _subjects_data(inp, y)), ("transcript-results", _results_data(inp, y))))
        for y in inp.years
    ]
    return [front, *years]


def _units(kind: str, data: Mapping[str, Any]) -> int:
    if kind == "transcript-subjects":
        return len(data["rows"]) + len(data["overall"]) + 1  # + the tail
    if kind in ("transcript-results", "transcript-identity"):
        return len(data["units"])
    return 1


#: The book of the measuring pass (its footer is not measured; the page frame is every page's).
_MEASURE_BOOK = BookMeta(kind="transcript", title="HỌC BẠ TRUNG HỌC CƠ SỞ", school="", district="", province="",
                         class_name="", year="", regime="tt22", paper="a4", orientation="portrait").to_dict()
PT_PER_MM = 72 / 25.4


def _measure(parts: Sequence[tuple[str, dict[str, Any]]]) -> list[_Landed]:
    """Where each unit of every part lands: one measuring pass of :mod:`layouts.paginate` (the
    height of each part's repeated header and of each of its units), packed into pages; the
    cover is one page."""
    flows = [Flow(kind, {**data, "photo": ""} if "photo" in data else data)  # the photo is laid out
             for kind, data in parts if kind != "transcript-cover"]       # 30 × 40 mm like its placeholder
    measured = iter(measure(TEMPLATE, _MEASURE_BOOK, flows))
    out = []
    for kind, data in parts:
        if kind == "transcript-cover":
            out.append(_Landed(((0,),), 0.0))
            continue
        m = next(measured)
        if len(m.rows) != _units(kind, data):
            raise RenderError("Không in được học bạ: lỗi khi đo trang. Vui lòng báo cho quản trị hệ thống.",
                              f"{kind}: {len(m.rows)} units measured, {_units(kind, data)} sent")
        pages = pack(m)
        spare = (m.room - m.fixed - sum(m.rows) - SLACK_PT) / PT_PER_MM if len(pages) == 1 else 0.0
        out.append(_Landed(tuple(tuple(r) for r in pages), max(0.0, spare)))
    return out


def _split(kind: str, data: dict[str, Any], landed: _Landed) -> list[dict[str, Any]]:
    """The data of each printed page of a part: the units that landed on it."""
    if kind == "transcript-subjects":
        n, n_overall = len(data["rows"]), len(data["overall"])
        sign = SIGN_MM
        if len(landed.pages) == 1 and n:
            # Share the page's spare height out as room to sign (kept under the spare: the table
            # grows by less than what is left, so the page still holds it).
            sign = min(SIGN_MAX_MM, SIGN_MM + math.floor(10 * 0.85 * (landed.spare_mm - 2.0) / n) / 10)
            sign = max(SIGN_MM, sign)
        out = []
        for units in landed.pages:
            rows = [u for u in units if u < n]
            out.append({
                **data,
                "first": str(rows[0]) if rows else str(n),
                "rows": [data["rows"][u] for u in rows],
                "overall": [data["overall"][u - n] for u in units if n <= u < n + n_overall],
                "tail": "1" if n + n_overall in units else "",
                "sign": f"{sign:.1f}",
            })
        return out
    if kind == "transcript-results":
        out = []
        for units in landed.pages:
            names = [RESULT_UNITS[u] for u in units]
            out.append({**data, "units": names, "results": data["results"] if "results" in names else []})
        return out
    if kind == "transcript-identity":
        return [{**data, "units": [str(u) for u in units]} for units in landed.pages]
    return [data] * len(landed.pages)


def _section_pages(section: _Section, landed: Sequence[_Landed], duplex: bool) -> list[tuple[str, dict[str, Any]]]:
    """The pages of a section (kind, data; kind "blank" for a filler), in order.

    Two-sided, a section fills whole sheets (an even count starting on a recto), so each year's
    print binds between the others; a year's subject pages end on a verso and its results start on
    the facing recto (a blank recto first when the subject table takes an odd number of pages).
    """
    pages: list[tuple[str, dict[str, Any]]] = []
    foot = None
    for (kind, data), where in zip(section.parts, landed, strict=True):
        foot = data.get("foot") or {k: data["head"][k] for k in ("school", "class", "year")}
        parts = [(kind, d) for d in _split(kind, data, where)]
        if duplex and kind == "transcript-subjects" and len(parts) % 2 == 1:
            pages.append(("blank", {"foot": foot}))
        if duplex and kind == "transcript-identity" and len(pages) % 2 == 1:
            pages.append(("blank", {"foot": foot}))
        pages += parts
    if duplex and len(pages) % 2 == 1:
        pages.append(("blank", {"foot": foot}))
    return pages


def _year_key(year: int | str | None) -> int | None:
    if year is None:
        return None
    if isinstance(year, int):
        return year
    text = str(year).strip()
    try:
        return int(text.split("-")[0])
    except ValueError:
        raise ValidationError(
            f"Năm học không hợp lệ: «{year}» (ví dụ 2023-2024).", f"invalid school year {year!r}"
        ) from None


#: Pages a grade still to come is planned to take (its subject page and results page; two-sided,
#: a blank recto before and a blank verso after them, so the year fills two sheets).
PLANNED_YEAR_PAGES = {False: 2, True: 4}


def build_transcript(
    inp: TranscriptInput,
    *,
    year: int | str | None = None,
    volume: bool = False,
    duplex: bool = False,
    copy: bool = False,
    copy_ref: str = "",
) -> BookDocument:
    """The transcript document: one year (``year``), or the whole volume (default and ``volume``).

    A one-year print holds that year's pages; the cover and the identity page come with it
    when it is the first year of the book (they are completed when the transcript is opened) or
    when a copy is printed (the copy mark goes on the cover). Typst lays each part out first
    (:func:`_measure`); a subject table or a results page that does not fit one page continues on
    the next, under the student block and the repeated column heads.
    """
    wanted = None if volume else _year_key(year)
    if wanted is not None and all(y.start_year != wanted for y in inp.years):
        raise NotFoundError(
            f"Học sinh {inp.identity.full_name} không có kết quả năm học {wanted}-{wanted + 1}.",
            f"student {inp.student_code} has no year {wanted}",
        )
    sections = _sections(inp, copy, copy_ref)
    wanted_name = None if wanted is None else f"{wanted}-{wanted + 1}"
    first_year = inp.years[0].name if inp.years else None
    keep_front = wanted is None or copy or (first_year is not None and first_year == wanted_name)
    bound = _bound_start(inp, wanted, duplex)
    if bound is not None:  # only the printed sections are laid out; the year follows last year's print
        sections = [s for s in sections if s.name == wanted_name or (s.name == "front" and keep_front)]
    landed = iter(_measure([part for s in sections for part in s.parts]))
    planned = [(s.name, _section_pages(s, [next(landed) for _ in s.parts], duplex)) for s in sections]
    numbers: list[list[int]] = []
    no = 0
    for name, pages in planned:
        if bound is not None and name != "front":
            no = bound - 1
        numbers.append(list(range(no + 1, no + len(pages) + 1)))
        no += len(pages)
    total = no + PLANNED_YEAR_PAGES[duplex] * len(inp.remaining_grades)
    selected: list[Page] = []
    for (name, pages), nos in zip(planned, numbers, strict=True):
        for (kind, data), no in zip(pages, nos, strict=True):
            keep = wanted is None or name == wanted_name or (name == "front" and keep_front)
            if keep:
                side: Side = "verso" if duplex and no % 2 == 0 else "recto"
                selected.append(Page(no=no, kind=kind, side=side, data=data))
    last = inp.years[-1] if inp.years else None
    shown = [y for y in inp.years if wanted is None or y.start_year == wanted]
    meta = BookMeta(
        kind="transcript",
        title="HỌC BẠ TRUNG HỌC CƠ SỞ",
        school=inp.holder.school,
        district=inp.holder.district,
        province=inp.holder.province,
        class_name=shown[-1].class_name if shown else (last.class_name if last else ""),
        year=_years_span(shown or list(inp.years)),
        regime=(shown[-1].regime if shown else (last.regime if last else "tt22")),  # type: ignore[arg-type]
        paper="a4",
        orientation="portrait",
        duplex=duplex,
        part="all",
        total_pages=total,
    )
    return BookDocument(book=meta, pages=tuple(selected))


def _bound_start(inp: TranscriptInput, wanted: int | None, duplex: bool) -> int | None:
    """The first page number of the year ``wanted`` when it follows the recorded print of the year
    before it (``inp.printed_ends``): the year is the last recorded one and the year before it was
    printed (two-sided, on a whole sheet). Otherwise None: every section is laid out to number it."""
    if wanted is None or len(inp.years) < 2 or inp.years[-1].start_year != wanted:
        return None
    end = dict(inp.printed_ends).get(inp.years[-2].start_year)
    if end is None or (duplex and end % 2 == 1):
        return None
    return end + 1


def _years_span(years: Sequence[YearRecord]) -> str:
    if not years:
        return ""
    first, last = years[0].start_year, years[-1].start_year + 1
    return f"{first}-{last}"


# --- rendering ------------------------------------------------------------------------------


def render_transcript(document: BookDocument) -> bytes:
    """Compile a transcript document to PDF (PDF/A-3b); every page of the plan is one page."""
    from layouts.render import render_document

    return render_document(TEMPLATE, document, pdf_standard="a-3b")


# --- loading from the records ----------------------------------------------------------------

#: Gives the traced corrections of one enrolment (a student's year in a class).
CorrectionLookup = Callable[[Session, Enrolment], CorrectionNote]


def traced_corrections(session: Session, enrolment: Enrolment) -> CorrectionNote:
    """Corrections of the year from the governance trace (``records.services.corrections``).

    The service counts the marks changed with the trace action ``correct`` through applied
    correction requests of the enrolment. The note is never typed by hand.
    """
    from records.services.corrections import correction_note

    note = correction_note(session, enrolment.id)
    return CorrectionNote(count=int(note.count), subjects=tuple(note.subjects))


def _text(value: str | None) -> str:
    return (value or "").strip()


def _by_period(rows: Iterable[Any]) -> dict[Period, Any]:
    return {row.period: row for row in rows}


def _year_enrolments(student: Student) -> list[Enrolment]:
    """One enrolment per school year: the one that carries the year's results.

    A student who changed school during a year has two enrolments that year; the transcript
    shows the school where the year ended (the active one, else the latest).
    """
    by_year: dict[int, list[Enrolment]] = {}
    for e in student.enrolments:
        by_year.setdefault(e.class_.grade.school_year.start_year, []).append(e)
    chosen = []
    for start in sorted(by_year):
        candidates = sorted(by_year[start], key=lambda e: (e.status == EnrolmentStatus.ACTIVE, e.enrolled_on, e.id))
        chosen.append(candidates[-1])
    return chosen


_STUDENT_OPTIONS = (
    selectinload(Student.enrolments)
    .selectinload(Enrolment.class_)
    .selectinload(Class.grade)
    .selectinload(Grade.subjects)
    .selectinload(GradeSubject.subject),
    selectinload(Student.enrolments)
    .selectinload(Enrolment.class_)
    .selectinload(Class.grade)
    .selectinload(Grade.school_year)
    .selectinload(SchoolYear.terms),
    selectinload(Student.school),
)


def load_transcript_input(
    session: Session, student_code: str, *, corrections: CorrectionLookup | None = None
) -> TranscriptInput:
    """Read one student's transcript from the records."""
    student = session.scalars(
        select(Student).where(Student.code == student_code).options(*_STUDENT_OPTIONS)
    ).one_or_none()
    if student is None:
        raise NotFoundError(
            f"Không tìm thấy học sinh có mã «{student_code}».", f"no student with code {student_code!r}"
        )
    return _transcript_input(session, student, corrections or traced_corrections)


def load_transcript_inputs(
    session: Session, student_codes: Iterable[str], *, corrections: CorrectionLookup | None = None
) -> dict[str, TranscriptInput]:
    """``load_transcript_input`` of many students at once (a handful of queries for all of them).

    The result is the same as loading each student alone; codes without a student are left out
    (``load_transcript_input`` of such a code raises the NotFoundError).
    """
    codes = list(dict.fromkeys(student_codes))
    students: list[Student] = []
    for chunk in _chunks(codes):
        students += session.scalars(select(Student).where(Student.code.in_(chunk)).options(*_STUDENT_OPTIONS))
    chosen = {s.id: _year_enrolments(s) for s in students}
    enrolment_ids = [e.id for es in chosen.values() for e in es]
    class_ids = sorted({e.class_id for es in chosen.values() for e in es})
    pre = _Prefetched(
        results=_by_enrolment(session, SubjectResult, enrolment_ids),
        comments=_by_enrolment(session, SubjectComment, enrolment_ids),
        overall=_by_enrolment(session, StudentResult, enrolment_ids),
        homeroom=_by_enrolment(session, HomeroomComment, enrolment_ids),
        teachers={},
        notes=None,
        printed=_printed_ends(session, [s.id for s in students]),
    )
    for chunk in _chunks(class_ids):
        for ta in session.scalars(
            select(TeachingAssignment)
            .where(TeachingAssignment.class_id.in_(chunk))
            .options(selectinload(TeachingAssignment.teacher))
            .order_by(TeachingAssignment.id)
        ):
            pre.teachers.setdefault(ta.class_id, []).append(ta)
    lookup = corrections or traced_corrections
    if corrections is None:  # the trace is read only for the (rare) enrolments with correction requests
        from records.models import CorrectionRequest

        requested: set[int] = set()
        for chunk in _chunks(enrolment_ids):
            requested.update(session.scalars(
                select(CorrectionRequest.enrolment_id).where(CorrectionRequest.enrolment_id.in_(chunk))))
        pre.notes = {e.id: traced_corrections(session, e) if e.id in requested else CorrectionNote(0, ())
                     for es in chosen.values() for e in es}
    by_code = {s.code: _transcript_input(session, s, lookup, chosen[s.id], pre) for s in students}
    return {code: by_code[code] for code in codes if code in by_code}


@dataclass
class _Prefetched:
    """Rows of many enrolments read at once (``load_transcript_inputs``), in id order."""

    results: dict[int, list[SubjectResult]]
    comments: dict[int, list[SubjectComment]]
    overall: dict[int, list[StudentResult]]
    homeroom: dict[int, list[HomeroomComment]]
    teachers: dict[int, list[TeachingAssignment]]  # by class id
    notes: dict[int, CorrectionNote] | None  # by enrolment id (None: ask the lookup)
    printed: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)  # by student id


def _chunks(ids: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _by_enrolment(session: Session, model: Any, enrolment_ids: Sequence[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for chunk in _chunks(enrolment_ids):
        for row in session.scalars(select(model).where(model.enrolment_id.in_(chunk)).order_by(model.id)):
            out.setdefault(row.enrolment_id, []).append(row)
    return out


def _transcript_input(
    session: Session,
    student: Student,
    lookup: CorrectionLookup,
    enrolments: list[Enrolment] | None = None,
    pre: _Prefetched | None = None,
) -> TranscriptInput:
    enrolments = _year_enrolments(student) if enrolments is None else enrolments
    years = tuple(_load_year(session, e, lookup, pre) for e in enrolments)
    first = student.enrolments[0] if student.enrolments else None
    holder = student.school
    identity = Identity(
        full_name=student.full_name,
        gender=student.gender.value,
        date_of_birth=student.date_of_birth,
        place_of_birth=_text(student.place_of_birth),
        ethnicity=_text(student.ethnicity),
        policy_category=_text(student.policy_category),
        current_address=_text(student.current_address or student.permanent_address),
        father_name=_text(student.father_name),
        father_occupation=_text(student.father_occupation),
        mother_name=_text(student.mother_name),
        mother_occupation=_text(student.mother_occupation),
        guardian_name=_text(student.guardian_name),
        guardian_occupation=_text(student.guardian_occupation),
    )
    return TranscriptInput(
        student_code=student.code,
        register_number=_text(student.register_number),
        identity=identity,
        holder=Place(holder.name, holder.district, holder.province),
        principal=_text(holder.principal_name),
        created_on=student.entry_date or (min(e.enrolled_on for e in student.enrolments) if first else None),
        photo=student.photo,
        years=years,
        remaining_grades=_remaining(years),
        printed_ends=pre.printed.get(student.id, ()) if pre is not None
        else _printed_ends(session, [student.id]).get(student.id, ()),
    )


def _printed_ends(session: Session, student_ids: Sequence[int]) -> dict[int, tuple[tuple[int, int], ...]]:
    """Per student, the last page number of the latest (not revoked, not copy) print of each year."""
    from sqlalchemy import func

    from records.models import Edition, EditionKind, EditionPage, EditionStatus

    latest: dict[tuple[int, int], tuple[Any, int]] = {}
    for chunk in _chunks(list(student_ids)):
        rows = session.execute(
            select(Edition.student_id, SchoolYear.start_year, Edition.created_at, func.max(EditionPage.number))
            .join(EditionPage, EditionPage.edition_id == Edition.id)
            .join(SchoolYear, SchoolYear.id == Edition.school_year_id)
            .where(Edition.kind == EditionKind.TRANSCRIPT, Edition.student_id.in_(chunk), Edition.copy.is_(False),
                   Edition.status != EditionStatus.REVOKED)
            .group_by(Edition.id, Edition.student_id, SchoolYear.start_year, Edition.created_at))
        for student_id, start, created, last in rows:
            if student_id is None:  # filtered out above; for the type checker
                continue
            key = (student_id, start)
            if key not in latest or created > latest[key][0]:
                latest[key] = (created, int(last))
    out: dict[int, list[tuple[int, int]]] = {}
    for (student_id, start), (_created, last) in sorted(latest.items()):
        out.setdefault(student_id, []).append((start, last))
    return {k: tuple(v) for k, v in out.items()}


def _remaining(years: Sequence[YearRecord]) -> tuple[int, ...]:
    if not years:
        return LEVELS
    last = years[-1]
    decision = last.final_promotion or last.promotion
    if decision == Promotion.REPEAT.value:
        return tuple(range(last.grade, 10))
    return tuple(range(last.grade + 1, 10))


def _load_year(
    session: Session, enrolment: Enrolment, lookup: CorrectionLookup, pre: _Prefetched | None = None
) -> YearRecord:
    klass = enrolment.class_
    grade = klass.grade
    school = klass.school
    school_year = grade.school_year
    results: dict[tuple[int, Period], SubjectResult] = {
        (r.subject_id, r.period): r
        for r in (
            pre.results.get(enrolment.id, [])
            if pre is not None
            else session.scalars(select(SubjectResult).where(SubjectResult.enrolment_id == enrolment.id))
        )
    }
    comments: dict[tuple[int, Period], SubjectComment] = {
        (c.subject_id, c.period): c
        for c in (
            pre.comments.get(enrolment.id, [])
            if pre is not None
            else session.scalars(select(SubjectComment).where(SubjectComment.enrolment_id == enrolment.id))
        )
    }
    term_numbers = {t.id: t.number for t in school_year.terms}
    teachers: dict[int, list[tuple[int, str]]] = {}
    for ta in (
        pre.teachers.get(klass.id, [])
        if pre is not None
        else session.scalars(
            select(TeachingAssignment)
            .where(TeachingAssignment.class_id == klass.id)
            .options(selectinload(TeachingAssignment.teacher))
            .order_by(TeachingAssignment.id)
        )
    ):
        teachers.setdefault(ta.subject_id, []).append((term_numbers.get(ta.term_id, 0), ta.teacher.full_name))
    lines = []
    for gs in grade.subjects:
        sid = gs.subject_id
        t1, t2, cn = (results.get((sid, p)) for p in (Period.TERM1, Period.TERM2, Period.YEAR))
        comment = next(
            (c.text for p in (Period.YEAR, Period.TERM2, Period.TERM1) if (c := comments.get((sid, p)))), ""
        )
        names = teachers.get(sid, [])
        # The teacher of the second term signs the year; list each name once.
        ordered = [n for _t, n in sorted(names, key=lambda x: -x[0])]
        lines.append(
            SubjectLine(
                name=gs.subject.name,
                term1=t1.value if t1 else None,
                term2=t2.value if t2 else None,
                year=cn.value if cn else None,
                reassessed=(cn.reassessed_score if cn.reassessed_score is not None else cn.reassessed_grade)
                if cn
                else None,
                comment=_text(comment),
                teacher=", ".join(dict.fromkeys(ordered)),
            )
        )
    overall = _by_period(
        pre.overall.get(enrolment.id, [])
        if pre is not None
        else session.scalars(select(StudentResult).where(StudentResult.enrolment_id == enrolment.id))
    )
    homeroom = _by_period(
        pre.homeroom.get(enrolment.id, [])
        if pre is not None
        else session.scalars(select(HomeroomComment).where(HomeroomComment.enrolment_id == enrolment.id))
    )
    year_result: StudentResult | None = overall.get(Period.YEAR)
    comment_row = homeroom.get(Period.YEAR) or homeroom.get(Period.TERM2) or homeroom.get(Period.TERM1)
    periods = (Period.TERM1, Period.TERM2, Period.YEAR)
    return YearRecord(
        start_year=school_year.start_year,
        grade=grade.level,
        class_name=klass.name,
        regime=grade.regime,
        place=Place(school.name, school.district, school.province),
        subjects=tuple(lines),
        overall=tuple(overall[p].overall_average if p in overall else None for p in periods),  # type: ignore[arg-type]
        conduct=tuple(overall[p].conduct if p in overall else None for p in periods),  # type: ignore[arg-type]
        learning=tuple(overall[p].learning if p in overall else None for p in periods),  # type: ignore[arg-type]
        days_absent=year_result.days_absent if year_result else None,
        learning_after_summer=year_result.learning_after_summer if year_result else None,
        conduct_after_summer=year_result.conduct_after_summer if year_result else None,
        promotion=year_result.promotion if year_result else None,
        final_promotion=year_result.final_promotion if year_result else None,
        title=year_result.title if year_result else None,
        homeroom_comment=_text(comment_row.text if comment_row else ""),
        homeroom_teacher=klass.homeroom_teacher.full_name if klass.homeroom_teacher else "",
        principal=_text(school.principal_name),
        approved_on=vn_date(year_result.approved_at) if year_result else None,
        corrections=pre.notes[enrolment.id] if pre is not None and pre.notes is not None else lookup(session, enrolment),
        repeating=enrolment.repeating,
    )


# --- the command's entry point ---------------------------------------------------------------


def _printable_input(session: Session, student_code: str, year: int | str | None, volume: bool,
                     corrections: CorrectionLookup | None) -> TranscriptInput:
    if year is not None and volume:
        raise ValidationError(
            "Chọn một năm học (--year) hoặc cả quyển (--volume), không chọn cả hai.",
            "--year and --volume are mutually exclusive",
        )
    inp = load_transcript_input(session, student_code, corrections=corrections)
    if not inp.years:
        raise NotFoundError(
            f"Học sinh {inp.identity.full_name} chưa có năm học nào để in học bạ.",
            f"student {student_code} has no enrolment",
        )
    return inp


def print_transcript(
    session: Session,
    student_code: str,
    year: int | str | None = None,
    volume: bool = False,
    duplex: bool = False,
    copy: bool = False,
    *,
    corrections: CorrectionLookup | None = None,
) -> bytes:
    """PDF of a student's transcript as a *draft* (no codes, no edition, "BẢN NHÁP" in every QR slot):
    one year, or the bound grade-6-to-9 volume. :func:`publish_transcript` prints the signed edition."""
    inp = _printable_input(session, student_code, year, volume, corrections)
    document = build_transcript(inp, year=year, volume=volume, duplex=duplex, copy=copy)
    return render_transcript(document.as_draft())


def publish_transcript(
    session: Session,
    actor: Actor,
    student_code: str,
    *,
    private_key: Ed25519PrivateKey,
    year: int | str | None = None,
    volume: bool = False,
    duplex: bool = False,
    copy: bool = False,
    pdf_signer: PdfSigner | None = None,
    issued_on: dt.date | None = None,
    corrections: CorrectionLookup | None = None,
    copy_ref: str = "",
    adjust: Callable[[TranscriptInput], TranscriptInput] | None = None,
) -> Published:
    """Publish a student's transcript (one year, or the volume) as a signed edition; the caller commits.

    Every page's QR carries the facts a person checks by eye (``layouts.publish.transcript_facts``);
    a copy is published as a copy (copy flag in the codes and the edition, "BẢN SAO" on the cover)
    and supersedes nothing. ``copy_ref`` names the request a copy answers (printed on the cover);
    ``adjust`` changes the input before it is built (the current signers of a copy, ``archive.copies``).
    """
    from layouts.publish import Scope, check_publication, produce, record_publication, transcript_facts
    from records.models import SchoolYear, Student
    from records.services.context import today

    inp = _printable_input(session, student_code, year, volume, corrections)
    if adjust is not None:
        inp = adjust(inp)
    document = build_transcript(inp, year=year, volume=volume, duplex=duplex, copy=copy, copy_ref=copy_ref)
    student_id, school_id = session.execute(
        select(Student.id, Student.school_id).where(Student.code == student_code)).one()
    wanted = None if volume else _year_key(year)
    year_id = None
    if wanted is not None:
        year_id = session.scalar(select(SchoolYear.id).where(SchoolYear.school_id == school_id,
                                                             SchoolYear.start_year == wanted))
    scope = Scope(school_id, student_id=student_id, school_year_id=year_id)
    kind = check_publication(session, actor, document, scope=scope, private_key=private_key)
    issued = issued_on or today()
    produced = produce(document, template=TEMPLATE, kind=kind, private_key=private_key, issued_on=issued,
                       copy=copy, facts=transcript_facts(document, inp.identity.date_of_birth),
                       pdf_signer=pdf_signer)
    return record_publication(session, actor, produced, scope=scope)


def with_corrections(inp: TranscriptInput, notes: dict[int, CorrectionNote]) -> TranscriptInput:
    """A copy of ``inp`` whose years (by start year) carry the given correction notes (tests, benches)."""
    return replace(
        inp, years=tuple(replace(y, corrections=notes.get(y.start_year, y.corrections)) for y in inp.years)
    )


__all__ = [
    "CorrectionLookup",
    "CorrectionNote",
    "Identity",
    "Place",
    "SubjectLine",
    "TranscriptInput",
    "YearRecord",
    "build_transcript",
    "load_transcript_input",
    "load_transcript_inputs",
    "print_transcript",
    "publish_transcript",
    "render_transcript",
    "traced_corrections",
]
