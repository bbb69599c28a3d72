"""The data of the register's pages (cover, list lines, closing page): plain strings, formatted with
``layouts.formatting``. Pure; the page plan is in ``layouts.register.plan``."""

from __future__ import annotations

from typing import Any

from layouts.formatting import format_date
from layouts.register.inputs import (
    Paper,
    RegisterInput,
    RegisterLine,
    YearTrack,
)
from layouts.register.vocabulary import COMPLETED, FATHER, GUARDIAN, LEVEL, MOTHER, TITLE
from layouts.transcript.pages import long_date, school_upper

#: The columns of the list, in table order.
COLUMNS = ("number", "name", "dob", "gender", "ethnicity", "birthplace", "address", "parents", "entry_date",
           "entry_class", "entry_from", "g6", "g7", "g8", "g9", "left_date", "left_reason", "notes")
#: Column widths in mm per paper (landscape content: A3 381 mm at 8 pt, A4 265 mm at 7 pt), sent to
#: the template with each list page. Each holds its longest unbreakable value on one line: a date,
#: "1234/THCS" (A3; "123/THCS" on A4), "(2023-2024)".
COLUMNS_MM: dict[str, tuple[float, ...]] = {
    "a3": (17, 36, 16, 9, 12, 29, 34, 40, 16, 9, 24, 20, 20, 20, 20, 16, 27, 16),
    "a4": (13, 22, 14.5, 7, 9, 18, 20, 25, 14.5, 7.5, 14, 14, 14, 14, 14, 14.5, 18, 12),
}


# --- document construction (pure) ------------------------------------------------------------


def _track_text(t: YearTrack) -> str:
    parts = [f"{t.class_name} ({t.year})"]
    if t.school:
        parts.append(t.school)
    if t.outcome:
        parts.append(t.outcome)
    return "\n".join(parts)


def line_cells(line: RegisterLine) -> dict[str, str]:
    """The printed cells of a line, by column key."""
    parents = [p for p in (
        f"{FATHER}: {line.father}" if line.father else "",
        f"{MOTHER}: {line.mother}" if line.mother else "",
        f"{GUARDIAN}: {line.guardian}" if line.guardian else "",
    ) if p]
    cells = {
        "number": line.number,
        "name": line.full_name,
        "code": line.student_code + (f" · Mã ĐD: {line.moet_id}" if line.moet_id else ""),
        "dob": format_date(line.date_of_birth),
        "gender": line.gender,
        "ethnicity": line.ethnicity,
        "birthplace": line.place_of_birth,
        "address": line.address,
        "parents": "\n".join(parents),
        "entry_date": format_date(line.entry_date),
        "entry_class": line.entry_class,
        "entry_from": line.entry_from,
        "left_date": format_date(line.left_on),
        "left_reason": line.left_reason,
        "notes": line.notes,
    }
    for level in (6, 7, 8, 9):
        cells[f"g{level}"] = "\n".join(_track_text(t) for t in line.tracks if t.grade == level)
    return cells


def list_head(inp: RegisterInput, paper: Paper) -> dict[str, Any]:
    """The head repeated on every list page: school, course, print date, column widths."""
    return {
        "school": inp.school.school, "course": inp.course,
        "printed": f"In ngày {format_date(inp.printed_on)}" if inp.printed_on else "",
        "widths": [f"{w:g}" for w in COLUMNS_MM[paper]],
    }


def cover_data(inp: RegisterInput) -> dict[str, Any]:
    """The cover: title, level, school, district, province, course."""
    return {
        "title": TITLE,
        "level": LEVEL,
        "school": school_upper(inp.school.school),
        "district": inp.school.district,
        "province": inp.school.province,
        "course": inp.course,
    }


def closing_data(inp: RegisterInput, total: int) -> dict[str, Any]:
    """The closing page: the page and student counts, the principal's date and signature."""
    female = sum(1 for line in inp.lines if line.gender == "Nữ")
    arrived = sum(1 for line in inp.lines if line.entry_from)
    left = sum(1 for line in inp.lines if line.left_on and COMPLETED not in line.left_reason)
    return {
        "summary": [
            (f"Sổ đăng bộ khóa học {inp.course} có {total} trang, ghi danh {len(inp.lines)} học sinh "
            f"(trong đó {female} học sinh nữ)."),
            (f"Số học sinh chuyển đến trong khóa học: {arrived}. "
            f"Số học sinh chuyển đi hoặc thôi học: {left}."),
        ],
        "date": long_date(inp.school.district, inp.printed_on),
        "principal": inp.principal,
    }
