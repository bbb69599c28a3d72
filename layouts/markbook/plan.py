"""The class mark book (Sổ gọi tên và ghi điểm / Sổ theo dõi và đánh giá học sinh) as a book document.

Pure functions from :class:`~records.books.markbook.MarkBookInput` (plain values read by
``records.books.markbook.read_markbook``: what the book records, with marks as ``Decimal``) to a
:class:`~layouts.documents.BookDocument` (strings only, paginated, one entry per physical page). Nothing here reads the database or applies assessment rules: averages,
results and lists arrive computed in the input; this module orders, formats and paginates.

Book order (BOOKS.md §1.2, §1.3; Sơn La CV 1540/2017 adjustments, BOOKS.md §4):

====  ============================================================  =======
 #    section                                                       part
====  ============================================================  =======
 1    cover, then the opening page-count certification               term1
 2    class information (homeroom teacher, subject teachers)         term1
 3    roll with personal data                                        term1
 4    attendance, September–December                                 term1
 5    attendance, January–May                                        year
 6    mark pages of term I, one per subject                          term1
 7    mark pages of term II, one per subject                         year
 8    summary of term I                                              term1
 9    summary of term II, summary of the year                        year
 10   year results: statistics and lists (promotion, re-assessment,
      summer training, repeat, titles)                               year
 11   monthly inspection minutes September–December                  term1
 12   monthly inspection minutes January–May                         year
 13   closing page-count certification                               year
====  ============================================================  =======

Pages of the class tables (roll, attendance, marks, summaries) are planned from what Typst lays
out (``layouts.paginate``: one measuring pass, then one page per planned page); everything else is
one page per entry, with exactly one minutes page per month September–May, however many
inspections a month has (they share its page, see ``minutes_page_data``; June–August inspections
go on the May page). The term-I print and the year-end print of the same book number their pages
identically: the year print takes the term-I print's plan (``PrintOptions.plan``, ``plan_of``), and
tables printed at the end of the year keep room for rows still to come (``YEAR_RESERVE_ROWS``).
When two-sided, every section starts on a recto (blank pages are inserted), an A4 attendance
section on a verso (each month's halves face each other), so that no sheet carries pages of both
print runs.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from layouts.documents import REGIMES, BookDocument, BookMeta, Page, Part
from layouts.errors import RenderError
from layouts.formatting import (
    dated_line,
    format_average,
    format_date,
    format_mark,
    format_percent,
    guardian_line,
    person,
)
from records.books.markbook import (
    Absence,
    Inspection,
    InspectionLine,
    MarkBookInput,
    Period,
    StudentInput,
    SubjectInput,
    SubjectMarks,
    SummaryRow,
    YearOutcome,
)
from records.rules import Promotion, ruleset

TERM1_MONTHS: tuple[int, ...] = (9, 10, 11, 12)
TERM2_MONTHS: tuple[int, ...] = (1, 2, 3, 4, 5)

WEEKDAYS = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")


@dataclass(frozen=True)
class PrintOptions:
    """How the office prints the book."""

    paper: Literal["a4", "a3"] = "a4"
    duplex: bool = False
    part: Part = "all"
    #: Section page counts of an earlier print of the same book (``plan_of(term1_document)``): the
    #: year print then binds with the term-I print even if rows grew taller since.
    plan: Mapping[str, int] | None = None


# --- formatting (layouts.formatting: one way of writing dates and marks for every book) -------------

def student_note(s: StudentInput) -> str:
    """The note shown under the name of a student who transferred or dropped out."""
    if s.status == "transferred_out":
        return f"Chuyển đi {format_date(s.status_date)}".strip()
    if s.status == "transferred_in":
        return f"Chuyển đến {format_date(s.status_date)}".strip()
    if s.status == "dropped_out":
        return f"Bỏ học {format_date(s.status_date)}".strip()
    return ""


# --- regime vocabulary -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Vocab:
    title: str
    subtitle: str
    learning: str
    conduct: str
    overall: str | None
    kind_labels: Mapping[str, str]
    avg_term: str
    avg_year: str
    legend_score: str
    legend_comment: str


_KIND_TT22 = {"tx": "ĐĐGtx", "gk": "ĐĐGgk", "ck": "ĐĐGck"}
_KIND_TT22_COMMENT = {"tx": "Thường xuyên", "gk": "Giữa kì", "ck": "Cuối kì"}
_KIND_TT58 = {"m": "Hệ số 1", "v15": "Hệ số 1", "v45": "Hệ số 2", "hk": "KT HK"}

# TT26 reused the physical pages with TT22's names for the columns (BOOKS.md §1.2).
_LEGEND_TT22 = (
    "ĐĐGtx: điểm đánh giá thường xuyên; ĐĐGgk: điểm đánh giá giữa kì; ĐĐGck: điểm đánh giá cuối kì; "
    "ĐTBmhk: điểm trung bình môn học kì; ĐTBmcn: điểm trung bình môn cả năm."
)

_VOCAB: dict[str, _Vocab] = {
    "tt22": _Vocab(
        title="SỔ THEO DÕI VÀ ĐÁNH GIÁ HỌC SINH",
        subtitle="(THEO LỚP HỌC)",
        learning=ruleset("tt22").vocabulary.learning,  # D-LBL-3: the regulation's words
        conduct=ruleset("tt22").vocabulary.conduct,
        overall=None,
        kind_labels=_KIND_TT22,
        avg_term="ĐTBmhk",
        avg_year="ĐTBmcn",
        legend_score=_LEGEND_TT22,
        legend_comment="Đ: Đạt; CĐ: Chưa đạt.",
    ),
    "tt26": _Vocab(
        title="SỔ GỌI TÊN VÀ GHI ĐIỂM",
        subtitle="",
        learning=ruleset("tt26").vocabulary.learning,
        conduct=ruleset("tt26").vocabulary.conduct,
        overall="ĐTB các môn",
        kind_labels=_KIND_TT22,
        avg_term="ĐTBmhk",
        avg_year="ĐTBmcn",
        legend_score=_LEGEND_TT22,
        legend_comment="Đ: Đạt yêu cầu; CĐ: Chưa đạt yêu cầu.",
    ),
    "tt58": _Vocab(
        title="SỔ GỌI TÊN VÀ GHI ĐIỂM",
        subtitle="",
        learning=ruleset("tt58").vocabulary.learning,
        conduct=ruleset("tt58").vocabulary.conduct,
        overall="ĐTB các môn",
        kind_labels=_KIND_TT58,
        avg_term="ĐTB HK",
        avg_year="ĐTB cả năm",
        legend_score=(
            "M: kiểm tra miệng; 15′: kiểm tra 15 phút (hệ số 1); Hệ số 2: kiểm tra 1 tiết; "
            "KT HK: kiểm tra học kì; ĐTB HK: điểm trung bình môn học kì."
        ),
        legend_comment="Đ: Đạt yêu cầu; CĐ: Chưa đạt yêu cầu.",
    ),
}

_SUB_LABEL_TT58 = {"m": "M", "v15": "15′"}


def book_title(regime: str) -> str:
    """The printed title of a mark book of that regime."""
    return _VOCAB[regime].title


# --- small builders ------------------------------------------------------------------------------

def _row(s: StudentInput, cells: Sequence[str]) -> dict[str, Any]:
    return {"no": str(s.no), "name": s.full_name, "status": s.status, "note": student_note(s), "cells": list(cells)}


def _col(
    label: str, sub: Sequence[str] = (), w: str = "1", rotate: bool = False, align: str = "center"
) -> dict[str, Any]:
    return {"label": label, "sub": list(sub), "w": w, "rotate": "1" if rotate else "0", "align": align}


def _year_label(inp: MarkBookInput) -> str:
    return f"{inp.year_start}-{inp.year_start + 1}"


def _term_label(term: int) -> str:
    return "HỌC KÌ I" if term == 1 else "HỌC KÌ II"


def _teachers(subj: SubjectInput, term: int) -> tuple[str, ...]:
    return subj.teachers_term1 if term == 1 else subj.teachers_term2


# --- page data builders (one per page kind) ------------------------------------------------------

def _bare(name: str, prefixes: tuple[str, ...]) -> str:
    """"Huyện Vân Hồ" -> "Vân Hồ" where the label already says what it is."""
    for p in prefixes:
        if name.startswith(p):
            return name[len(p):]
    return name


def cover_data(inp: MarkBookInput) -> dict[str, Any]:
    """Cover: ministry, title, school, district, province, class, year."""
    v = _VOCAB[inp.regime]
    return {
        "ministry": "BỘ GIÁO DỤC VÀ ĐÀO TẠO",
        "title": v.title,
        "subtitle": v.subtitle,
        "level": "TRUNG HỌC CƠ SỞ",
        "school": inp.school.upper(),
        "fields": [
            ["Huyện (Quận, Thị xã, Thành phố)", _bare(inp.district, ("Huyện ", "Quận ", "Thị xã ", "Thành phố "))],
            ["Tỉnh (Thành phố)", _bare(inp.province, ("Tỉnh ", "Thành phố "))],
            ["Lớp", inp.class_name],
            ["Năm học", _year_label(inp).replace("-", " - ")],
        ],
    }


def certification_data(inp: MarkBookInput, total_pages: int, closing: bool) -> dict[str, Any]:
    """Page-count certification, opening or closing the book, signed and stamped by the principal."""
    return {
        "heading": "XÁC NHẬN CỦA HIỆU TRƯỞNG" if closing else "",
        "title": _VOCAB[inp.regime].title,
        "subtitle": _VOCAB[inp.regime].subtitle,
        "line": f"Lớp {inp.class_name} — Năm học {_year_label(inp)}",
        "text": f"Sổ này có {total_pages} trang, được đánh số từ trang 1 đến trang {total_pages}.",
        "extra": (
            "Các trang được đóng dấu giáp lai; học sinh được ghi theo cùng một số thứ tự ở mọi trang."
            if not closing
            else "Đã kiểm tra đủ các trang ghi điểm, kiểm diện, tổng hợp kết quả và biên bản kiểm tra hằng tháng."
        ),
        "signatures": [
            {
                "date": dated_line(inp.place, None),
                "title": "HIỆU TRƯỞNG",
                "note": "(Ký, ghi rõ họ tên và đóng dấu)",
                "name": inp.principal,
            }
        ],
    }


_INSTRUCTIONS = (
    ("Sổ được in từ sổ điểm điện tử của nhà trường. Các trang được đánh số liên tục từ trang 1 đến trang cuối "
    "và được đóng dấu giáp lai; bản in cuối học kì I và bản in cuối năm dùng chung một cách đánh số."),
    "Học sinh được ghi theo thứ tự a, b, c; số thứ tự của mỗi học sinh giống nhau ở mọi trang của sổ.",
    ("Học sinh chuyển đi giữ nguyên dòng, họ tên được gạch ngang và ghi ngày chuyển; học sinh chuyển đến "
    "được ghi tiếp vào cuối danh sách với số thứ tự kế tiếp."),
    ("Giáo viên bộ môn kiểm tra và ký xác nhận ở trang ghi điểm của môn mình phụ trách; giáo viên chủ nhiệm "
    "kiểm tra, ký xác nhận các trang kiểm diện và tổng hợp; Hiệu trưởng ký duyệt và đóng dấu."),
    "Việc kiểm tra cập nhật điểm hằng tháng được ghi vào biên bản kiểm tra ở cuối sổ.",
    ("Điểm ghi bằng số, phần thập phân sau dấu phẩy; điểm trung bình lấy một chữ số thập phân. "
    "Kiểm diện: P — nghỉ có phép, K — nghỉ không phép."),
)


def class_info_data(inp: MarkBookInput) -> dict[str, Any]:
    """Class information: homeroom teacher, subject teachers of both terms, instructions."""
    active = sum(1 for s in inp.students if s.status != "transferred_in")
    female = sum(1 for s in inp.students if s.female and s.status != "transferred_in")
    return {
        "title": "THÔNG TIN VỀ LỚP HỌC",
        "fields": [
            ["Giáo viên chủ nhiệm", inp.homeroom_teacher],
            ["Hiệu trưởng", inp.principal],
            ["Sĩ số đầu năm", f"{active} học sinh (nữ: {female})"],
        ],
        "columns": ["STT", "Môn học", "Giáo viên dạy học kì I", "Giáo viên dạy học kì II", "Chữ ký"],
        "rows": [
            [str(i), s.name, ", ".join(s.teachers_term1), ", ".join(s.teachers_term2), ""]
            for i, s in enumerate(inp.subjects, 1)
        ],
        "instructions_title": "HƯỚNG DẪN SỬ DỤNG SỔ",
        "instructions": list(_INSTRUCTIONS),
    }


def roll_data(inp: MarkBookInput, students: Sequence[StudentInput], page: int, pages: int) -> dict[str, Any]:
    """One page of the roll with personal data."""
    cont = f" (trang {page}/{pages})" if pages > 1 else ""
    return {
        "title": "DANH SÁCH VÀ SƠ YẾU LÝ LỊCH HỌC SINH" + cont,
        "columns": [
            _col("Ngày sinh", w="1.65"),
            _col("Nữ", w="0.55"),
            _col("Dân tộc", w="1.15"),
            _col("Nơi sinh", w="2.7", align="left"),
            _col("Chỗ ở hiện nay", w="3.9", align="left"),
            _col("Họ tên cha, nghề nghiệp", w="2.6", align="left"),
            _col("Họ tên mẹ, nghề nghiệp", w="2.6", align="left"),
        ],
        "rows": [
            _row(
                s,
                [
                    format_date(s.birth_date),
                    "x" if s.female else "",
                    s.ethnicity,
                    s.birth_place,
                    s.address,
                    person(s.father, s.father_job) or (
                        "" if s.mother else guardian_line(s.guardian, s.guardian_job)),
                    person(s.mother, s.mother_job),
                ],
            )
            for s in students
        ],
    }


def _month_year(inp: MarkBookInput, month: int) -> int:
    return inp.year_start if month >= 8 else inp.year_start + 1


def attendance_data(
    inp: MarkBookInput,
    month: int,
    days: Sequence[int],
    with_totals: bool,
    half: str,
    absences: Mapping[tuple[int, date], bool],
    students: Sequence[StudentInput] | None = None,
    cont: str = "",
) -> dict[str, Any]:
    """One attendance page: a month (or half of it on A4) with P/K per day and month totals."""
    yr = _month_year(inp, month)
    cols = [_col("Ngày trong tháng", [str(d) for d in days])]
    if with_totals:
        cols.append(_col("Số ngày nghỉ", ["P", "K"], w="1.5"))
    rows = []
    n_days = calendar.monthrange(yr, month)[1]
    for s in inp.students if students is None else students:
        cells = []
        for d in days:
            excused = absences.get((s.no, date(yr, month, d)))
            cells.append("" if excused is None else ("P" if excused else "K"))
        if with_totals:
            p = sum(1 for d in range(1, n_days + 1) if absences.get((s.no, date(yr, month, d))) is True)
            k = sum(1 for d in range(1, n_days + 1) if absences.get((s.no, date(yr, month, d))) is False)
            cells += [str(p) if p else "", str(k) if k else ""]
        rows.append(_row(s, cells))
    return {
        "title": f"KIỂM DIỆN THÁNG {month} NĂM {yr}" + cont,
        "half": half,
        "weekdays": [WEEKDAYS[date(yr, month, d).weekday()] for d in days],
        "columns": cols,
        "rows": rows,
        "legend": "P: nghỉ có phép; K: nghỉ không phép. Cột tô xám: Chủ nhật.",
        "signatures": (
            [{"title": "Giáo viên chủ nhiệm", "name": inp.homeroom_teacher}] if with_totals else []
        ),
    }


def _mark_columns(inp: MarkBookInput, subj: SubjectInput, term: int, counts: Mapping[str, int]) -> list[dict[str, Any]]:
    v = _VOCAB[inp.regime]
    cols: list[dict[str, Any]] = []
    if inp.regime == "tt58":
        hs1 = [_SUB_LABEL_TT58[k] for k in ("m", "v15") for _ in range(counts.get(k, 0))]
        if hs1:
            cols.append(_col("Hệ số 1", hs1))
        hs2 = [str(i) for i in range(1, counts.get("v45", 0) + 1)]
        if hs2:
            cols.append(_col("Hệ số 2", hs2))
        cols.append(_col("KT HK", w="1.2"))
    else:
        labels = _KIND_TT22_COMMENT if subj.assessment == "comment" and inp.regime == "tt22" else v.kind_labels
        for kind in ("tx", "gk", "ck"):
            n = counts.get(kind, 0)
            if n > 1 or kind == "tx":
                cols.append(_col(labels[kind], [str(i) for i in range(1, n + 1)]))
            elif n == 1:
                cols.append(_col(labels[kind], w="1.2"))
    if subj.assessment == "comment":
        cols.append(_col(f"Kết quả {'HK I' if term == 1 else 'HK II'}", w="1.4"))
        if term == 2:
            cols.append(_col("Cả năm", w="1.4"))
    else:
        cols.append(_col(v.avg_term, w="1.4"))
        if term == 2:
            cols.append(_col(v.avg_year, w="1.4"))
    return cols


def _kind_order(inp: MarkBookInput) -> tuple[str, ...]:
    return ("m", "v15", "v45", "hk") if inp.regime == "tt58" else ("tx", "gk", "ck")


#: Printed after a mark changed by an approved correction (the trace holds the old value and who approved).
CORRECTION_MARK = "*"
CORRECTION_LEGEND = "(*): điểm đã sửa theo đề nghị được Hiệu trưởng phê duyệt (xem nhật ký sửa điểm)."


def marks_data(
    inp: MarkBookInput,
    subj: SubjectInput,
    term: int,
    students: Sequence[StudentInput],
    by_key: Mapping[tuple[int, str, int], SubjectMarks],
    cont: str = "",
) -> dict[str, Any]:
    """A subject's mark page for one term: entries by kind, term average (and year average in term II)."""
    kinds = _kind_order(inp)
    counts = {k: n for k, n in subj.required}
    for s in inp.students:  # columns are those required, widened if more entries were recorded
        sm = by_key.get((s.no, subj.code, term))
        if sm:
            for k, vals in sm.marks:
                counts[k] = max(counts.get(k, 0), len(vals))
    for k in ("gk", "ck", "hk"):
        if k in kinds:
            counts[k] = max(counts.get(k, 0), 1)
    rows = []
    any_corrected = False
    for s in students:
        sm = by_key.get((s.no, subj.code, term))
        got = dict(sm.marks) if sm else {}
        fixed = set(sm.corrected) if sm else set()
        cells: list[str] = []
        for k in kinds:
            shown = [format_mark(x) + (CORRECTION_MARK if (k, i) in fixed and x != "" else "")
                     for i, x in enumerate(got.get(k, ()))]
            any_corrected |= any(c.endswith(CORRECTION_MARK) for c in shown)
            cells += shown + [""] * (counts.get(k, 0) - len(shown))
        cells.append(format_average(sm.average) if sm else "")
        if term == 2:
            cells.append(format_average(sm.year_average) if sm else "")
        rows.append(_row(s, cells))
    teachers = _teachers(subj, term)
    sigs = [{"title": "Giáo viên bộ môn", "name": t} for t in teachers] or [{"title": "Giáo viên bộ môn", "name": ""}]
    sigs.append({"title": "Giáo viên chủ nhiệm", "name": inp.homeroom_teacher})
    v = _VOCAB[inp.regime]
    return {
        "subject": subj.name,
        "term": _term_label(term),
        "title": f"MÔN {subj.name.upper()} — {_term_label(term)}" + cont,
        "teachers": "Giáo viên bộ môn: " + (", ".join(teachers) if teachers else "……………………"),
        "assessment": subj.assessment,
        "columns": _mark_columns(inp, subj, term, counts),
        "rows": rows,
        "legend": (v.legend_comment if subj.assessment == "comment" else v.legend_score)
        + (" " + CORRECTION_LEGEND if any_corrected else ""),
        "signatures": sigs,
    }


_PERIOD_LABEL = {"hk1": "HỌC KÌ I", "hk2": "HỌC KÌ II", "cn": "CẢ NĂM"}


def summary_data(
    inp: MarkBookInput,
    period: Period,
    students: Sequence[StudentInput],
    by_key: Mapping[tuple[int, str, int], SubjectMarks],
    rows_by_student: Mapping[tuple[int, str], SummaryRow],
    outcomes: Mapping[int, YearOutcome],
    cont: str = "",
) -> dict[str, Any]:
    """Summary of a term or the year: subject results, overall average, learning, conduct, absences, title."""
    v = _VOCAB[inp.regime]
    cols = [
        _col(
            "Điểm trung bình môn / kết quả đánh giá",
            [s.short_name or s.name for s in inp.subjects],
            rotate=True,
        )
    ]
    if v.overall:
        cols.append(_col(v.overall, w="1.2", rotate=True))
    cols += [
        _col(v.learning, w="1.1", rotate=True),
        _col(v.conduct, w="1.1", rotate=True),
        _col("Số ngày nghỉ", ["Có phép", "Không phép"], rotate=True),
        _col("Danh hiệu", w="1.5", rotate=True),
    ]
    if period == "cn":
        cols.append(_col("Lên lớp / Ở lại lớp", w="2.9", rotate=True))
    rows = []
    for s in students:
        cells = []
        for subj in inp.subjects:
            if period == "cn":
                sm = by_key.get((s.no, subj.code, 2))
                cells.append(format_average(sm.year_average) if sm else "")
            else:
                sm = by_key.get((s.no, subj.code, 1 if period == "hk1" else 2))
                cells.append(format_average(sm.average) if sm else "")
        r = rows_by_student.get((s.no, period))
        if v.overall:
            cells.append(format_average(r.overall_average) if r else "")
        cells += [
            _abbrev(r.learning) if r else "",
            _abbrev(r.conduct) if r else "",
            str(r.absent_excused) if r and r.absent_excused else "",
            str(r.absent_unexcused) if r and r.absent_unexcused else "",
            _short_title(r.title) if r else "",
        ]
        if period == "cn":
            o = outcomes.get(s.no)
            cells.append(_DECISION_SHORT.get(o.decision, o.decision) if o else "")
        rows.append(_row(s, cells))
    if inp.regime == "tt22":
        levels = "T: Tốt; K: Khá; Đ: Đạt; CĐ: Chưa đạt (kết quả học tập, rèn luyện; môn đánh giá bằng nhận xét)"
        titles = "HSXS: Học sinh Xuất sắc; HSG: Học sinh Giỏi"
    else:
        levels = "G: Giỏi; K: Khá; Tb: Trung bình; Y: Yếu; T: Tốt (hạnh kiểm); Đ/CĐ: Đạt/Chưa đạt yêu cầu"
        titles = "HSG: Học sinh Giỏi; HSTT: Học sinh Tiên tiến"
    # Absences are counted under "Có phép" / "Không phép": the letter K means Khá on this page only.
    legend = f"{levels}. {titles}."
    if period == "cn":
        shown = {o.decision for o in outcomes.values() if any(s.no == o.student_no for s in students)}
        legend += "".join(f" {short}: {long[0].lower() + long[1:]}." for long, short in _DECISION_SHORT.items()
                          if long in shown)
    return {
        "period": _PERIOD_LABEL[period],
        "title": f"TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ — {_PERIOD_LABEL[period]}" + cont,
        "columns": cols,
        "rows": rows,
        "legend": legend,
        "signatures": [
            {"title": "Giáo viên chủ nhiệm", "name": inp.homeroom_teacher},
            {"date": dated_line(inp.place, None), "title": "Hiệu trưởng", "note": "(Ký, ghi rõ họ tên và đóng dấu)",
             "name": inp.principal},
        ],
    }


# Year decisions too long for the summary's column, printed abbreviated and explained in the legend.
_DECISION_SHORT = {ruleset("tt22").vocabulary.grade9_done: "HTCT THCS", ruleset("tt58").vocabulary.grade9_done: "Xét CNTN"}

#: "Lên lớp" and the grade-9 wording of each regime (``Ruleset.promotion_label``, D-LBL-2).
_PROMOTED = ("Lên lớp", *dict.fromkeys(ruleset(r).promotion_label(Promotion.PROMOTED, grade=9) for r in REGIMES))


_TITLE_SHORT = {
    "Học sinh Xuất sắc": "HSXS",
    "Học sinh Giỏi": "HSG",
    "Học sinh Tiên tiến": "HSTT",
}


_LEVEL_SHORT = {"Tốt": "T", "Khá": "K", "Đạt": "Đ", "Chưa đạt": "CĐ", "Giỏi": "G", "Trung bình": "Tb", "Yếu": "Y"}


def _abbrev(level: str) -> str:
    return _LEVEL_SHORT.get(level, level)


def _short_title(title: str) -> str:
    return _TITLE_SHORT.get(title, title)


_LEVELS = {
    "tt22": (("Tốt", "Khá", "Đạt", "Chưa đạt"), ("Tốt", "Khá", "Đạt", "Chưa đạt")),
    "tt26": (("Giỏi", "Khá", "Trung bình", "Yếu", "Kém"), ("Tốt", "Khá", "Trung bình", "Yếu")),
    "tt58": (("Giỏi", "Khá", "Trung bình", "Yếu", "Kém"), ("Tốt", "Khá", "Trung bình", "Yếu")),
}


def _reassess_text(inp: MarkBookInput, o: YearOutcome, year_results: Mapping[tuple[int, str], Any]) -> str:
    """"Toán: 5,5; Ngữ văn: …": the subjects a student re-assesses, with the result once known.

    Without recorded re-assessments the subjects are those the student may re-assess: a year result
    below 5,0 or "CĐ" (REGULATIONS.md, "Retake"); with none of them it reads "chưa xác định môn".
    """
    names = {s.code: s.name for s in inp.subjects}
    pairs: list[tuple[str, Any]] = list(o.reassess)
    if not pairs:
        for subj in inp.subjects:
            r = year_results.get((o.student_no, subj.code))
            if r == "CĐ" or (isinstance(r, Decimal) and r < 5):
                pairs.append((subj.code, None))
    if not pairs:
        return "chưa xác định môn"
    return "; ".join(f"{names.get(c, c)}: {format_average(r) or '…'}" for c, r in pairs)


def results_entries(lists: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """The lines of the year lists in order, as (list, item) with item -1 for a list's title."""
    return [(i, j) for i, lst in enumerate(lists) for j in range(-1, len(lst["items"]))]


def results_page(data: Mapping[str, Any], entries: Sequence[tuple[int, int]], k: int, n: int) -> dict[str, Any]:
    """Page ``k`` of ``n`` of the year results: the statistics on the first, the given lines of the lists."""
    lists: list[dict[str, Any]] = []
    for i, j in entries:
        src = data["lists"][i]
        if not lists or lists[-1]["no"] != str(i + 1):
            lists.append({"no": str(i + 1), "title": src["title"] + (" (tiếp theo)" if j >= 0 else ""), "items": []})
        if j >= 0:
            lists[-1]["items"].append(src["items"][j])
    return {**data, "title": data["title"] + _cont(k, n), "tables": data["tables"] if k == 1 else [],
            "lists": lists, "signatures": data["signatures"] if k == n else []}


def results_data(
    inp: MarkBookInput,
    rows_by_student: Mapping[tuple[int, str], SummaryRow],
    outcomes: Mapping[int, YearOutcome],
) -> dict[str, Any]:
    """Year results: class statistics per level and period, then the end-of-year lists (all of them;
    ``results_page`` cuts them into pages)."""
    v = _VOCAB[inp.regime]
    learning_levels, conduct_levels = _LEVELS[inp.regime]
    periods: tuple[Period, ...] = ("hk1", "hk2", "cn")
    tables = []
    for label, levels, attr in ((v.learning, learning_levels, "learning"), (v.conduct, conduct_levels, "conduct")):
        counted = {p: Counter(getattr(r, attr) for (no, pp), r in rows_by_student.items() if pp == p) for p in periods}
        bases = {p: sum(1 for (no, pp) in rows_by_student if pp == p) for p in periods}
        trows = [["Số học sinh được đánh giá"] + [x for p in periods for x in (str(bases[p]), "")]]
        for lvl in levels:
            trows.append([lvl] + [x for p in periods for x in (str(counted[p][lvl]), format_percent(counted[p][lvl], bases[p]))])
        tables.append({"title": label, "groups": ["Học kì I", "Học kì II", "Cả năm"], "rows": trows})

    names = {s.no: s.full_name for s in inp.students}
    year_results = {(m.student_no, m.subject): m.year_average for m in inp.marks if m.term == 2}

    def who(no: int) -> str:
        return f"{no}. {names.get(no, '')}"

    by_decision: dict[str, list[YearOutcome]] = {}
    for o in sorted(outcomes.values(), key=lambda o: o.student_no):
        by_decision.setdefault(o.decision, []).append(o)
    promoted = [o for d in _PROMOTED for o in by_decision.get(d, [])]
    nine = ruleset(inp.regime).promotion_label(Promotion.PROMOTED, grade=9)
    lists: list[dict[str, Any]] = [
        {
            "title": "Học sinh được lên lớp" if inp.grade != 9 else f"Học sinh {nine[0].lower() + nine[1:]}",
            "items": [f"Tổng số: {len(promoted)} học sinh."],
        },
        {
            "title": "Học sinh phải kiểm tra lại (môn kiểm tra lại: kết quả)",
            "items": [
                who(o.student_no) + " — " + _reassess_text(inp, o, year_results) + (f" → {o.final}" if o.final else "")
                for o in by_decision.get("Kiểm tra lại", [])
            ],
        },
        {
            "title": "Học sinh phải rèn luyện trong kì nghỉ hè (kết quả rèn luyện)",
            "items": [
                who(o.student_no) + (f" — {o.summer_training}" if o.summer_training else "")
                + (f" → {o.final}" if o.final else "")
                for o in by_decision.get("Rèn luyện hè", [])
            ],
        },
        {
            "title": "Học sinh ở lại lớp",
            "items": [who(o.student_no) for o in by_decision.get("Ở lại lớp", [])],
        },
        {
            "title": "Học sinh được khen thưởng cuối năm",
            "items": [
                f"{who(no)} — {r.title}"
                for (no, p), r in sorted(rows_by_student.items(), key=lambda kv: kv[0])
                if p == "cn" and r.title
            ],
        },
    ]
    for lst in lists:
        if not lst["items"]:
            lst["items"] = ["Không có."]
    for i, lst in enumerate(lists, 1):
        lst["no"] = str(i)
    return {
        "title": "KẾT QUẢ CUỐI NĂM HỌC VÀ THỐNG KÊ CỦA LỚP",
        "tables": tables,
        "lists": lists,
        "signatures": [
            {"title": "Giáo viên chủ nhiệm", "name": inp.homeroom_teacher},
            {"date": dated_line(inp.place, None), "title": "Hiệu trưởng", "note": "(Ký, ghi rõ họ tên và đóng dấu)",
             "name": inp.principal},
        ],
    }


def inspection_data(inp: MarkBookInput, month: int, insp: Inspection | None) -> dict[str, Any]:
    """Monthly inspection minutes (Sơn La CV 1540/2017); an empty form when none is recorded yet."""
    yr = _month_year(inp, month)
    if insp is None:
        term = 1 if month in TERM1_MONTHS else 2
        rows = [[str(i), s.name, ", ".join(_teachers(s, term)), "", "", "", ""] for i, s in enumerate(inp.subjects, 1)]
        fields = [["Thời gian kiểm tra", "ngày …… tháng …… năm ……"], ["Người kiểm tra", "……………………………………"]]
        findings, requests = "", ""
        inspectors: list[tuple[str, str]] = [("", "Người kiểm tra")]
        held_on = None
    else:
        rows = _minutes_rows(inp, insp)
        fields = [
            ["Thời gian kiểm tra", format_date(insp.held_on)],
            ["Người kiểm tra", _inspectors_text(insp)],
        ]
        findings, requests = insp.findings, insp.requests
        inspectors = list(insp.inspectors)
        held_on = insp.held_on
    sigs = [{"title": "Giáo viên chủ nhiệm", "name": inp.homeroom_teacher}]
    sigs += [{"title": "Người kiểm tra" if not r else r, "name": n} for n, r in inspectors]
    return {
        "agency": ("PHÒNG GD&ĐT " + inp.district.replace("Huyện ", "").replace("Quận ", "")).upper(),
        "school": inp.school.upper(),
        "place_date": dated_line(inp.place, held_on),
        "title": "BIÊN BẢN KIỂM TRA HẰNG THÁNG",
        "subtitle": _minutes_subtitle(month, yr, [insp] if insp else []),
        "fields": [["Lớp", inp.class_name], ["Giáo viên chủ nhiệm", inp.homeroom_teacher], *fields],
        "columns": ["STT", "Môn học", "Giáo viên", "Số điểm phải có", "Số điểm đã nhập", "Nhập chậm", "Nhận xét"],
        "rows": rows,
        "findings": findings,
        "requests": requests,
        "signatures": sigs,
    }


# --- several inspections of one month share its page ----------------------------------------------
#
# The page plan has exactly one minutes page per month, September–May; inspections of June–August go on
# the May page. A month with several inspections prints them all on its page in the "compact" form
# (one block per inspection: heading line with date and inspectors, a table whose rows are one line of a
# smaller type, findings and requests of at most two lines each) when the height model below says they
# fit; otherwise the latest inspection is printed in the compact form and each earlier one is one
# summary line (date, inspectors, marks entered / expected, subjects behind, findings), with the note
# MINUTES_ARCHIVE_NOTE. The choice depends only on counts and text lengths, never on Typst measuring.

MINUTES_ARCHIVE_NOTE = "Xem biên bản lưu tại hồ sơ nhà trường."
MINUTES_SHORT_COLUMNS = ("STT", "Môn học", "Giáo viên", "Phải có", "Đã nhập", "Chậm", "Nhận xét")


@dataclass(frozen=True)
class _MinutesMetrics:
    """Heights (mm) of the compact minutes page; kept in step with `inspection-compact` in markbook.typ."""

    budget: float  # content height available to the page body
    fixed: float  # header, title, class fields, signatures, note
    session: float  # one inspection block without rows and text: heading, table header, spacing
    row: float  # one table row
    line: float  # one line of findings/requests or of an earlier-inspection summary
    chars: int  # characters of one text line (conservative)
    cell_chars: tuple[int, ...]  # most characters per table cell, per column


_MINUTES_METRICS = {
    # cell_chars: what a column holds at 7 pt (A4) / 8 pt (A3), nothing being set smaller (README, "Type sizes")
    "a4": _MinutesMetrics(budget=245.5, fixed=60.0, session=12.0, row=3.6, line=3.4, chars=115,
                          cell_chars=(4, 40, 34, 6, 6, 6, 34)),
    "a3": _MinutesMetrics(budget=243.5, fixed=66.0, session=13.0, row=4.1, line=3.9, chars=210,
                          cell_chars=(6, 78, 66, 8, 8, 8, 66)),
}
_TEXT_LINES = 2  # findings / requests lines of each inspection sharing a page ("several")
_LATEST_TEXT_LINES = 4  # ... of the latest inspection printed above the summaries ("latest")


def minutes_page_month(month: int) -> int:
    """The month whose minutes page carries an inspection of ``month`` (June–August → May)."""
    return 5 if month in (6, 7, 8) else month


def _clip(text: str, limit: int) -> str:
    """``text`` on at most ``limit`` characters, cut at a word with "…" when longer."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 1)]
    if " " in cut[len(cut) // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.—-") + "…"


def _inspectors_text(insp: Inspection) -> str:
    return "; ".join(f"{n} ({r})" if r else n for n, r in insp.inspectors)


def _minutes_rows(inp: MarkBookInput, insp: Inspection, cell_chars: Sequence[int] | None = None) -> list[list[str]]:
    subj_names = {s.code: s.name for s in inp.subjects}
    rows = [
        [str(i), subj_names.get(ln.subject, ln.subject), ln.teacher, str(ln.expected), str(ln.entered),
         str(ln.late) if ln.late else "", ln.note]
        for i, ln in enumerate(insp.lines, 1)
    ]
    if cell_chars is not None:
        rows = [[_clip(c, n) for c, n in zip(r, cell_chars)] for r in rows]
    return rows


def _minutes_subtitle(month: int, yr: int, inspections: Sequence[Inspection]) -> str:
    text = f"Việc cập nhật thông tin, điểm số vào sổ điện tử — Tháng {month}/{yr}"
    if any(i.month != month for i in inspections):  # June–August inspections on the May page
        text += " và các lần kiểm tra sau tháng 5"
    return text


def _text_lines(label: str, text: str, chars: int) -> int:
    return max(1, -(-(len(label) + len(" ".join(text.split()))) // chars))


def _session_data(
    inp: MarkBookInput, insp: Inspection, heading: str, m: _MinutesMetrics, text_lines: int = _TEXT_LINES
) -> tuple[dict[str, Any], bool]:
    """One inspection block of a shared page, and whether something of it was abbreviated."""
    limit_f = text_lines * m.chars - len("Nhận xét chung: ")
    limit_r = text_lines * m.chars - len("Kiến nghị, yêu cầu: ")
    findings, requests = _clip(insp.findings, limit_f), _clip(insp.requests, limit_r)
    rows = _minutes_rows(inp, insp, m.cell_chars)
    cut = findings != " ".join(insp.findings.split()) or requests != " ".join(insp.requests.split()) or (
        rows != _minutes_rows(inp, insp))
    heading += f" ngày {format_date(insp.held_on)}"
    if insp.inspectors:
        heading += f" — Người kiểm tra: {_inspectors_text(insp)}"
    heading = _clip(heading, int(m.chars * 0.9))  # one bold line of the page's width
    return {"heading": heading, "rows": rows, "findings": findings, "requests": requests}, cut


def _session_height(s: dict[str, Any], m: _MinutesMetrics) -> float:
    lines = _text_lines("Nhận xét chung: ", s["findings"], m.chars) + _text_lines(
        "Kiến nghị, yêu cầu: ", s["requests"], m.chars)
    return m.session + len(s["rows"]) * m.row + lines * m.line


def _earlier_line(insp: Inspection, m: _MinutesMetrics) -> str:
    expected = sum(ln.expected for ln in insp.lines)
    entered = sum(ln.entered for ln in insp.lines)
    behind = sum(1 for ln in insp.lines if ln.late or ln.entered < ln.expected)
    parts = [f"Ngày {format_date(insp.held_on)}"]
    if insp.inspectors:
        parts.append(_inspectors_text(insp))
    progress = f"đã nhập {entered}/{expected} điểm"
    progress += f", {behind} môn còn thiếu" if behind else ", đủ"
    parts.append(progress)
    text = " — ".join(parts)
    findings = " ".join(insp.findings.split())
    if findings:
        text += f" — Nhận xét: {findings}"
    return _clip(text, m.chars)


def minutes_page_data(
    inp: MarkBookInput, month: int, inspections: Sequence[Inspection], paper: str = "a4"
) -> dict[str, Any]:
    """The one minutes page of a month: empty form, one inspection, or several sharing the page."""
    ordered = sorted(inspections, key=lambda i: (i.held_on, i.month, i.inspectors, i.findings, i.requests))
    if len(ordered) <= 1:
        return inspection_data(inp, month, ordered[0] if ordered else None)
    m = _MINUTES_METRICS[paper]
    data = inspection_data(inp, month, ordered[-1])
    data["subtitle"] = _minutes_subtitle(month, _month_year(inp, month), ordered)
    data["fields"] = data["fields"][:2]  # class and homeroom teacher; each inspection has its own heading
    data["columns"] = list(MINUTES_SHORT_COLUMNS)
    built = [_session_data(inp, insp, f"Lần {no}:", m) for no, insp in enumerate(ordered, 1)]
    sessions = [s for s, _ in built]
    abbreviated = any(cut for _, cut in built)
    inspectors: list[tuple[str, str]] = []
    if m.fixed + sum(_session_height(s, m) for s in sessions) <= m.budget:
        data["layout"] = "several"
        for insp in ordered:
            inspectors += [p for p in insp.inspectors if p not in inspectors]
        data["sessions"] = sessions
        data["earlier"] = []
    else:  # the latest in full, the earlier ones summarised
        data["layout"] = "latest"
        inspectors = list(ordered[-1].inspectors)
        latest, _ = _session_data(inp, ordered[-1], "Lần kiểm tra", m, _LATEST_TEXT_LINES)
        room = int((m.budget - m.fixed - _session_height(latest, m)) // m.line) - 1  # minus the list's title
        earlier = [_earlier_line(i, m) for i in ordered[:-1]]
        if len(earlier) > room:
            rest = ordered[max(room - 1, 0) : -1]
            earlier = earlier[: max(room - 1, 0)] + [_clip(
                "Các lần kiểm tra khác: ngày " + ", ".join(format_date(i.held_on) for i in rest), m.chars)]
        data["sessions"] = [latest]
        data["earlier"] = earlier
        abbreviated = True
    data["rows"] = []
    data["findings"] = data["requests"] = ""
    data["note"] = MINUTES_ARCHIVE_NOTE if abbreviated else ""
    data["signatures"] = [{"title": "Giáo viên chủ nhiệm", "name": inp.homeroom_teacher}] + [
        {"title": r or "Người kiểm tra", "name": n} for n, r in inspectors]
    return data


# --- the page plan -------------------------------------------------------------------------------
#
# Pages of the class tables (roll, attendance, marks, summaries) are planned from measurement
# (layouts.paginate): every table is laid out once by Typst with all its rows, and the rows are
# packed into pages. Everything else is one page per entry.

#: Tables printed at the end of the year keep room for this many more one-line rows from the term-I print
#: on (arrivals in term II, notes under the names of students who leave): their page count, fixed when
#: the term-I print numbers the book, then still holds at the year print (README, "Term-I plan").
YEAR_RESERVE_ROWS = 4

#: Placeholder continuation of a title while measuring: as long as any real one ("tiếp theo 2/3").
_CONT_PLACEHOLDER = " (trang 99/99)"

PageMaker = Callable[[Sequence[StudentInput], int, int], dict[str, Any]]


@dataclass
class _Table:
    """A class table to paginate: its key in the plan, page kind, data for a slice of the students."""

    key: str
    kind: str
    make: PageMaker  # (students on the page, page no. within the table, pages of the table) -> data
    group: str | None = None
    part: Part = "term1"
    ranges: list[range] = field(default_factory=list)
    items: Sequence[Any] | None = None  # the rows, when they are not the students (the year lists)

    def rows(self, students: Sequence[StudentInput]) -> Sequence[Any]:
        return students if self.items is None else self.items

    def pages(self, students: Sequence[StudentInput]) -> list[tuple[str, dict[str, Any]]]:
        """(kind, data) of each planned page; a page kept for rows still to come is blank."""
        rows = self.rows(students)
        n = len([r for r in self.ranges if len(r)]) or 1
        return [(self.kind, self.make([rows[i] for i in r], k, n)) if len(r) or k == 1 else ("blank", {})
                for k, r in enumerate(self.ranges, 1)]


@dataclass
class _Section:
    name: str
    part: Part
    pages: list[tuple[str, Any]] = field(default_factory=list)  # (kind, data or a callable(total))
    start: Literal["recto", "verso"] = "recto"  # two-sided: a spread section starts on a verso
    keys: list[str] = field(default_factory=list)  # plan keys of its tables, in order


def _cont(k: int, n: int) -> str:
    return f" (trang {k}/{n})" if n > 1 else ""


def _tables(inp: MarkBookInput, opts: PrintOptions) -> dict[str, list[_Table]]:
    """The class tables of each section, not yet paginated."""
    by_key = {(m.student_no, m.subject, m.term): m for m in inp.marks}
    absences = {(a.student_no, a.day): a.excused for a in inp.absences}
    rows_by_student: dict[tuple[int, str], SummaryRow] = {(r.student_no, r.period): r for r in inp.summaries}
    outcomes = {o.student_no: o for o in inp.outcomes}
    out: dict[str, list[_Table]] = {
        "roll": [_Table("roll", "roll", lambda st, k, n: roll_data(inp, st, k, n))]}
    for name, months in (("attendance_t1", TERM1_MONTHS), ("attendance_t2", TERM2_MONTHS)):
        tables = out.setdefault(name, [])
        for m in months:
            last = calendar.monthrange(_month_year(inp, m), m)[1]
            if opts.paper == "a3":
                tables.append(_Table(f"attendance/{m}", "attendance", lambda st, k, n, m=m, last=last: attendance_data(
                    inp, m, range(1, last + 1), True, "", absences, st, _cont(k, n))))
            else:
                for half, days, totals in (("1/2", range(1, 17), False), ("2/2", range(17, last + 1), True)):
                    tables.append(_Table(
                        f"attendance/{m}/{half[0]}", "attendance",
                        lambda st, k, n, m=m, days=days, totals=totals, half=half: attendance_data(
                            inp, m, days, totals, half, absences, st, _cont(k, n)),
                        group=f"attendance/{m}"))
    for term in (1, 2):
        out[f"marks_t{term}"] = [
            _Table(f"marks/{term}/{subj.code}", "marks",
                   lambda st, k, n, subj=subj, term=term: marks_data(inp, subj, term, st, by_key, _cont(k, n)))
            for subj in inp.subjects]
    for name, periods in (("summary_t1", ("hk1",)), ("summary_t2", ("hk2", "cn"))):
        out[name] = [
            _Table(f"summary/{period}", "summary", lambda st, k, n, period=period: summary_data(
                inp, period, st, by_key, rows_by_student, outcomes, _cont(k, n)))  # type: ignore[arg-type]
            for period in periods]
    results = results_data(inp, rows_by_student, outcomes)
    out["results"] = [_Table("results", "results", lambda es, k, n: results_page(results, es, k, n),
                             items=results_entries(results["lists"]))]
    for name in ("attendance_t2", "marks_t2", "summary_t2", "results"):
        for t in out[name]:
            t.part = "year"
    return out


def _plan_tables(inp: MarkBookInput, opts: PrintOptions, tables: Sequence[_Table]) -> None:
    """Fill each table's row ranges from one measuring pass of Typst."""
    from layouts.paginate import Flow, paginate

    students = list(inp.students)
    meta = _meta(inp, opts, 0).to_dict()
    flows = [Flow(t.kind, _measuring_data(t.make(t.rows(students), 1, 1)), group=t.group,
                  reserve_rows=YEAR_RESERVE_ROWS if t.part == "year" else 0) for t in tables]
    for t, ranges in zip(tables, paginate("markbook", meta, flows), strict=True):
        t.ranges = ranges if t.items is None else _titles_with_items(ranges, t.items)


def _titles_with_items(ranges: list[range], entries: Sequence[tuple[int, int]]) -> list[range]:
    """Move a list's title that would end a page to the next page, with its first item."""
    out = list(ranges)
    for k in range(len(out) - 1):
        r, nxt = out[k], out[k + 1]
        if len(r) > 1 and entries[r.stop - 1][1] == -1 and len(nxt):
            out[k], out[k + 1] = range(r.start, r.stop - 1), range(r.stop - 1, nxt.stop)
    return out


def _measuring_data(data: dict[str, Any]) -> dict[str, Any]:
    """Page data as measured: the title with the longest continuation it may carry."""
    out = dict(data)
    if "title" in out and not str(out["title"]).endswith(_CONT_PLACEHOLDER):
        out["title"] = str(out["title"]) + _CONT_PLACEHOLDER
    return out


def _spread_pages(tables: Sequence[_Table], students: Sequence[StudentInput]) -> list[tuple[str, dict[str, Any]]]:
    """Pages of a section in order; the halves of a group alternate page by page (facing pairs)."""
    out: list[tuple[str, dict[str, Any]]] = []
    i = 0
    while i < len(tables):
        group = [t for t in tables[i:] if t.group is not None and t.group == tables[i].group] or [tables[i]]
        made = [t.pages(students) for t in group]
        for k in range(len(made[0])):
            out += [pages[k] for pages in made]
        i += len(group)
    return out


def _sections(inp: MarkBookInput, opts: PrintOptions) -> list[_Section]:
    students = list(inp.students)
    inspections: dict[int, list[Inspection]] = {}
    for insp in sorted(inp.inspections, key=lambda i: i.held_on):
        inspections.setdefault(minutes_page_month(insp.month), []).append(insp)
    tables = _tables(inp, opts)
    _plan_tables(inp, opts, [t for ts in tables.values() for t in ts])

    def table_section(name: str, part: Part, start: Literal["recto", "verso"] = "recto") -> _Section:
        ts = tables[name]
        return _Section(name, part, _spread_pages(ts, students), start, [t.key for t in ts])

    spread: Literal["recto", "verso"] = "verso" if opts.paper == "a4" else "recto"
    secs: list[_Section] = [
        _Section("cover", "term1", [("cover", cover_data(inp)), ("certification", ("open",))]),
        _Section("class_info", "term1", [("class_info", class_info_data(inp))]),
        table_section("roll", "term1"),
        table_section("attendance_t1", "term1", spread),
        table_section("attendance_t2", "year", spread),
        table_section("marks_t1", "term1"),
        table_section("marks_t2", "year"),
        table_section("summary_t1", "term1"),
        table_section("summary_t2", "year"),
        table_section("results", "year"),
    ]
    for name, part, months in (("minutes_t1", "term1", TERM1_MONTHS), ("minutes_t2", "year", TERM2_MONTHS)):
        sec = _Section(name, part)  # type: ignore[arg-type]
        for m in months:  # exactly one page per month, whatever the number of inspections
            sec.pages.append(("inspection", minutes_page_data(inp, m, inspections.get(m, []), opts.paper)))
        secs.append(sec)
    secs.append(_Section("closing", "year", [("certification", ("close",))]))
    return secs


def _apply_plan(secs: list[_Section], plan: Mapping[str, int], part: Part) -> None:
    """Hold each section to the page count of an earlier print's plan (``PrintOptions.plan``).

    A section with fewer pages now is padded with blank pages; a section of a print run not
    printed now keeps the planned count (its pages are not printed); a printed section that needs
    more pages than planned keeps them (the book grows: documented in layouts/README.md).
    """
    for sec in secs:
        want = plan.get(sec.name)
        if want is None:
            continue
        have = len(sec.pages)
        if have < want:
            sec.pages += [("blank", {})] * (want - have)
        elif have > want and part != "all" and sec.part != part:
            del sec.pages[want:]


def build_markbook(inp: MarkBookInput, opts: PrintOptions = PrintOptions()) -> BookDocument:
    """The book document of a class's mark book: the full book's pages, then the requested part."""
    _validate(inp)
    secs = _sections(inp, opts)
    if opts.plan:
        _apply_plan(secs, opts.plan, opts.part)
    # lay out pages: number them; two-sided, pad so that each section starts on a recto (a spread
    # section on a verso, after a blank recto of its own print run)
    plan: list[tuple[str, Any, Part]] = []
    for sec in secs:
        if opts.duplex and len(plan) % 2 == 1:
            plan.append(("blank", {}, plan[-1][2]))
        if opts.duplex and sec.start == "verso":
            plan.append(("blank", {}, sec.part))
        for kind, data in sec.pages:
            plan.append((kind, data, sec.part))
    if opts.duplex and len(plan) % 2 == 1:
        plan.append(("blank", {}, plan[-1][2]))
    total = len(plan)
    pages = []
    for no, (kind, data, part) in enumerate(plan, 1):
        if kind == "certification":
            data = certification_data(inp, total, closing=data[0] == "close")
        pages.append(
            Page(no=no, kind=kind, side="verso" if opts.duplex and no % 2 == 0 else "recto", data=data, part=part)
        )
    meta = replace(_meta(inp, opts, total), plan=tuple((s.name, len(s.pages)) for s in secs))
    return BookDocument(book=meta, pages=tuple(pages)).select(opts.part)


def _meta(inp: MarkBookInput, opts: PrintOptions, total: int) -> BookMeta:
    return BookMeta(
        kind="markbook",
        title=_VOCAB[inp.regime].title,
        school=inp.school,
        district=inp.district,
        province=inp.province,
        class_name=inp.class_name,
        year=_year_label(inp),
        regime=inp.regime,
        paper=opts.paper,
        orientation="landscape" if opts.paper == "a3" else "portrait",
        duplex=opts.duplex,
        part="all",
        total_pages=total,
    )


def plan_of(document: Mapping[str, Any]) -> dict[str, int]:
    """The section plan recorded in a printed edition's book document (``book.plan``), for
    ``PrintOptions(plan=…)``: the year print then numbers its pages as the term-I print did."""
    return {str(k): int(v) for k, v in document.get("book", {}).get("plan", [])}


def plan_from_pdf(pdf: bytes, class_name: str, year: str) -> dict[str, int]:
    """The plan of a printed mark book (its attached book document), checked to be this class's book."""
    import io
    import json

    import pikepdf

    from signing.manifest import DOCUMENT_NAME

    refused = RenderError("Tệp đã chọn không phải bản in sổ gọi tên và ghi điểm của sodientu.",
                          "the PDF carries no mark-book document")
    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            spec = doc.attachments.get(DOCUMENT_NAME)
            if spec is None:
                raise refused
            document = json.loads(spec.get_file().read_bytes())
    except (pikepdf.PdfError, ValueError) as exc:
        raise refused from exc
    book = document.get("book", {}) if isinstance(document, dict) else {}
    if book.get("kind") != "markbook" or not book.get("plan"):
        raise refused
    if (book.get("class"), book.get("year")) != (class_name, year):
        raise RenderError(
            f"Bản in đã chọn là sổ lớp {book.get('class')} năm học {book.get('year')}, "
            f"không phải sổ lớp {class_name} năm học {year}.",
            f"plan source is {book.get('class')} {book.get('year')}, not {class_name} {year}")
    return plan_of(document)


def _validate(inp: MarkBookInput) -> None:
    if inp.regime not in _VOCAB:
        raise RenderError("Chế độ đánh giá không hợp lệ.", f"unknown regime {inp.regime!r}")
    nos = [s.no for s in inp.students]
    if len(set(nos)) != len(nos):
        raise RenderError("Số thứ tự học sinh bị trùng.", "duplicate roll numbers in the mark book input")
    codes = [s.code for s in inp.subjects]
    if len(set(codes)) != len(codes):
        raise RenderError("Môn học bị trùng.", "duplicate subject codes in the mark book input")


def render_markbook(inp: MarkBookInput, opts: PrintOptions = PrintOptions(), *, pdf_standard: str | None = None) -> bytes:
    """Build and render the mark book to PDF bytes."""
    from layouts.render import render_document

    return render_document("markbook", build_markbook(inp, opts), pdf_standard=pdf_standard)


def iter_pages(doc: BookDocument, kind: str) -> Iterable[Page]:
    """The pages of a kind, in book order."""
    return (p for p in doc.pages if p.kind == kind)


__all__ = [
    "Absence",
    "Inspection",
    "InspectionLine",
    "MarkBookInput",
    "PrintOptions",
    "StudentInput",
    "SubjectInput",
    "SubjectMarks",
    "SummaryRow",
    "YearOutcome",
    "book_title",
    "build_markbook",
    "format_average",
    "format_date",
    "format_mark",
    "minutes_page_data",
    "minutes_page_month",
    "plan_from_pdf",
    "plan_of",
    "render_markbook",
]
