"""How values are written on every printed book: dates, marks, averages, shares, people.

One module for the mark book, the transcript and the register (and the correction minutes), so
a date or a mark reads the same on every page a school prints. Pure functions, strings out.

Dates follow Nghị định 30/2020/NĐ-CP, Phụ lục I (thể thức văn bản): in a dated line the day below
10 and the months 1 and 2 take a leading zero, other months do not — "ngày 05 tháng 5 năm 2026",
"ngày 28 tháng 02 năm 2026". Table dates are dd/mm/yyyy ("05/09/2025"). Marks use the decimal
comma and are printed as entered ("8", "7,5"); averages have one decimal, rounded half up
("8,0", "6,5").
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from layouts.errors import RenderError

MarkValue = Decimal | str  # a score, or "Đ" / "CĐ" for comment-assessed subjects

_TENTH = Decimal("0.1")
#: What is printed where a date or a place is left for handwriting.
BLANK_PLACE = "……………"
BLANK_DATE = "ngày …… tháng …… năm 20……"


def format_date(d: dt.date | None) -> str:
    """A date in a table: dd/mm/yyyy ("" for none)."""
    return "" if d is None else f"{d.day:02d}/{d.month:02d}/{d.year}"


def long_date(d: dt.date | None) -> str:
    """"ngày 05 tháng 5 năm 2026" (NĐ 30/2020: zero before a day < 10 and the months 1, 2 only)."""
    if d is None:
        return BLANK_DATE
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def dated_line(place: str, d: dt.date | None) -> str:
    """"Vân Hồ, ngày 31 tháng 10 năm 2025", or the line to fill in by hand."""
    return f"{place or BLANK_PLACE}, {long_date(d)}"


def format_mark(value: MarkValue | None) -> str:
    """A mark as printed: decimal comma, as entered ("8", "7,5"); "Đ"/"CĐ" unchanged."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, Decimal):
        raise RenderError("Điểm không hợp lệ.", f"marks must be Decimal or str, got {type(value).__name__}")
    return format(value, "f").replace(".", ",")


def format_average(value: MarkValue | None) -> str:
    """An average as printed: one decimal, half-up, decimal comma ("8,0", "6,5")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return format(value.quantize(_TENTH, rounding=ROUND_HALF_UP), "f").replace(".", ",")


def format_percent(part: int, whole: int) -> str:
    """A share as printed in statistics: "12,5%"; empty when there is no base."""
    if whole == 0:
        return ""
    pct = (Decimal(part) * 100 / Decimal(whole)).quantize(_TENTH, rounding=ROUND_HALF_UP)
    return format(pct, "f").replace(".", ",") + "%"


def person(name: str, job: str = "") -> str:
    """A person with an occupation, as in the roll and the register: "Lò Văn Dũng, Làm ruộng"."""
    return ", ".join(x for x in (" ".join(name.split()), " ".join(job.split())) if x)


def guardian_line(name: str, job: str = "") -> str:
    """A guardian, named as such (printed where the parents' cells would be empty)."""
    who = person(name, job)
    return f"Người giám hộ: {who}" if who else ""


__all__ = [
    "BLANK_DATE",
    "BLANK_PLACE",
    "MarkValue",
    "dated_line",
    "format_average",
    "format_date",
    "format_mark",
    "format_percent",
    "guardian_line",
    "long_date",
    "person",
]
