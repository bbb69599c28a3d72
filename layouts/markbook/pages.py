"""The data of each page kind of the mark book (cover, certification, class information, roll,
attendance, marks, summaries, year results, inspection minutes): plain strings, already formatted
(``layouts.formatting``), for one page or one slice of a class table. Pure; no pagination here."""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from layouts.formatting import (
    dated_line,
    format_average,
    format_date,
    format_mark,
    format_percent,
    guardian_line,
    person,
)
from layouts.markbook.inputs import (
    Inspection,
    MarkBookInput,
    Period,
    StudentInput,
    SubjectInput,
    SubjectMarks,
    SummaryRow,
    YearOutcome,
)
from layouts.markbook.vocabulary import (
    _DECISION_SHORT,
    _INSTRUCTIONS,
    _KIND_TT22_COMMENT,
    _LEVELS,
    _PERIOD_LABEL,
    _PROMOTED,
    _SUB_LABEL_TT58,
    _SUMMARY_LEGEND,
    _VOCAB,
    CORRECTION_LEGEND,
    CORRECTION_MARK,
    HOMEROOM,
    INSPECTOR,
    MINUTES_ARCHIVE_NOTE,
    MINUTES_SHORT_COLUMNS,
    PRINCIPAL,
    SIGN_AND_STAMP,
    SUBJECT_TEACHER,
    WEEKDAYS,
    _abbrev,
    _short_title,
    _term_label,
)
from records.rules import Promotion, ruleset

TERM1_MONTHS: tuple[int, ...] = (9, 10, 11, 12)
TERM2_MONTHS: tuple[int, ...] = (1, 2, 3, 4, 5)


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


# --- small builders ------------------------------------------------------------------------------

def _row(s: StudentInput, cells: Sequence[str]) -> dict[str, Any]:
    return {"no": str(s.no), "name": s.full_name, "status": s.status, "note": student_note(s), "cells": list(cells)}


def _col(
    label: str, sub: Sequence[str] = (), w: str = "1", rotate: bool = False, align: str = "center"
) -> dict[str, Any]:
    return {"label": label, "sub": list(sub), "w": w, "rotate": "1" if rotate else "0", "align": align}


def _year_label(inp: MarkBookInput) -> str:
    return f"{inp.year_start}-{inp.year_start + 1}"


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
                "title": PRINCIPAL.upper(),
                "note": SIGN_AND_STAMP,
                "name": inp.principal,
            }
        ],
    }


def class_info_data(inp: MarkBookInput) -> dict[str, Any]:
    """Class information: homeroom teacher, subject teachers of both terms, instructions."""
    active = sum(1 for s in inp.students if s.status != "transferred_in")
    female = sum(1 for s in inp.students if s.female and s.status != "transferred_in")
    return {
        "title": "THÔNG TIN VỀ LỚP HỌC",
        "fields": [
            [HOMEROOM, inp.homeroom_teacher],
            [PRINCIPAL, inp.principal],
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
            [{"title": HOMEROOM, "name": inp.homeroom_teacher}] if with_totals else []
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
    sigs = [{"title": SUBJECT_TEACHER, "name": t} for t in teachers] or [{"title": SUBJECT_TEACHER, "name": ""}]
    sigs.append({"title": HOMEROOM, "name": inp.homeroom_teacher})
    v = _VOCAB[inp.regime]
    return {
        "subject": subj.name,
        "term": _term_label(term),
        "title": f"MÔN {subj.name.upper()} — {_term_label(term)}" + cont,
        "teachers": SUBJECT_TEACHER + ": " + (", ".join(teachers) if teachers else "……………………"),
        "assessment": subj.assessment,
        "columns": _mark_columns(inp, subj, term, counts),
        "rows": rows,
        "legend": (v.legend_comment if subj.assessment == "comment" else v.legend_score)
        + (" " + CORRECTION_LEGEND if any_corrected else ""),
        "signatures": sigs,
    }


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
    levels, titles = _SUMMARY_LEGEND["tt22" if inp.regime == "tt22" else "tt58"]
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
            {"title": HOMEROOM, "name": inp.homeroom_teacher},
            {"date": dated_line(inp.place, None), "title": PRINCIPAL, "note": SIGN_AND_STAMP,
             "name": inp.principal},
        ],
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
            {"title": HOMEROOM, "name": inp.homeroom_teacher},
            {"date": dated_line(inp.place, None), "title": PRINCIPAL, "note": SIGN_AND_STAMP,
             "name": inp.principal},
        ],
    }


def inspection_data(inp: MarkBookInput, month: int, insp: Inspection | None) -> dict[str, Any]:
    """Monthly inspection minutes (Sơn La CV 1540/2017); an empty form when none is recorded yet."""
    yr = _month_year(inp, month)
    if insp is None:
        term = 1 if month in TERM1_MONTHS else 2
        rows = [[str(i), s.name, ", ".join(_teachers(s, term)), "", "", "", ""] for i, s in enumerate(inp.subjects, 1)]
        fields = [["Thời gian kiểm tra", "ngày …… tháng …… năm ……"], [INSPECTOR, "……………………………………"]]
        findings, requests = "", ""
        inspectors: list[tuple[str, str]] = [("", INSPECTOR)]
        held_on = None
    else:
        rows = _minutes_rows(inp, insp)
        fields = [
            ["Thời gian kiểm tra", format_date(insp.held_on)],
            [INSPECTOR, _inspectors_text(insp)],
        ]
        findings, requests = insp.findings, insp.requests
        inspectors = list(insp.inspectors)
        held_on = insp.held_on
    sigs = [{"title": HOMEROOM, "name": inp.homeroom_teacher}]
    sigs += [{"title": INSPECTOR if not r else r, "name": n} for n, r in inspectors]
    return {
        "agency": ("PHÒNG GD&ĐT " + inp.district.replace("Huyện ", "").replace("Quận ", "")).upper(),
        "school": inp.school.upper(),
        "place_date": dated_line(inp.place, held_on),
        "title": "BIÊN BẢN KIỂM TRA HẰNG THÁNG",
        "subtitle": _minutes_subtitle(month, yr, [insp] if insp else []),
        "fields": [["Lớp", inp.class_name], [HOMEROOM, inp.homeroom_teacher], *fields],
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
        heading += f" — {INSPECTOR}: {_inspectors_text(insp)}"
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
    data["signatures"] = [{"title": HOMEROOM, "name": inp.homeroom_teacher}] + [
        {"title": r or INSPECTOR, "name": n} for n, r in inspectors]
    return data


def _cont(k: int, n: int) -> str:
    return f" (trang {k}/{n})" if n > 1 else ""
