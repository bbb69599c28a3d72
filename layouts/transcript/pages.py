"""The data of each page kind of the transcript (cover, identity page, a year's subject table and
results page): plain strings, formatted with ``layouts.formatting``. Pure; the page plan is in
``layouts.transcript.plan``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from layouts.formatting import dated_line, format_average, format_date
from layouts.photo import photo_svg
from layouts.transcript.inputs import (
    TranscriptInput,
    YearRecord,
)
from layouts.transcript.vocabulary import (
    COPY_MARK,
    TT22_FORM_NOTE,
    _labels,
    correction_text,
    decision_text,
)

# --- formatting ------------------------------------------------------------------------------


def long_date(place: str, day: dt.date | None) -> str:
    """ "Vân Hồ, ngày 05 tháng 9 năm 2022" (NĐ 30/2020, :func:`layouts.formatting.dated_line`)."""
    return dated_line(place, day)


def school_upper(name: str) -> str:
    """ "Trường THCS Tô Hiệu" → "TRƯỜNG THCS TÔ HIỆU" (the cover heading)."""
    return name.upper()


def register_label(number: str) -> str:
    """The cover's "Số sổ đăng bộ PCGD" value, always ending in "/THCS"."""
    number = (number or "").strip()
    if not number:
        return "………/THCS"
    return number if number.upper().endswith("/THCS") else f"{number}/THCS"


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
            ["Ngày sinh", format_date(ident.date_of_birth)],
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
            "t1": format_average(s.term1),
            "t2": format_average(s.term2),
            "cn": format_average(s.year),
            "re": format_average(s.reassessed),
            "comment": s.comment,
            "teacher": s.teacher,
        }
        for s in year.subjects
    ]
    overall: list[dict[str, str]] = []
    if year.regime != "tt22":
        t1, t2, cn = (format_average(v) for v in year.overall)
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
