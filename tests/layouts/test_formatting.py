"""One way of writing dates, marks and people on every printed book (layouts.formatting)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from layouts.formatting import (
    dated_line,
    format_average,
    format_date,
    format_mark,
    format_percent,
    guardian_line,
    long_date,
    person,
)


def test_long_dates_follow_nd30() -> None:
    assert long_date(date(2026, 5, 5)) == "ngày 05 tháng 5 năm 2026"
    assert long_date(date(2025, 10, 31)) == "ngày 31 tháng 10 năm 2025"
    assert long_date(date(2026, 2, 14)) == "ngày 14 tháng 02 năm 2026"
    assert long_date(date(2026, 1, 9)) == "ngày 09 tháng 01 năm 2026"
    assert dated_line("Vân Hồ", date(2026, 5, 28)) == "Vân Hồ, ngày 28 tháng 5 năm 2026"
    assert dated_line("", None) == "……………, ngày …… tháng …… năm 20……"


def test_table_dates_marks_and_shares() -> None:
    assert format_date(date(2026, 1, 12)) == "12/01/2026"
    assert format_mark(Decimal("7.5")) == "7,5" and format_mark(Decimal(10)) == "10" and format_mark("CĐ") == "CĐ"
    assert format_average(Decimal("7.25")) == "7,3" and format_average(Decimal(8)) == "8,0"
    assert format_percent(1, 8) == "12,5%" and format_percent(1, 0) == ""


def test_people() -> None:
    assert person("Lò  Văn Dũng", "Làm ruộng") == "Lò Văn Dũng, Làm ruộng"
    assert person("", "") == "" and guardian_line("", "") == ""
    assert guardian_line("Hà Thị Lan", "Y sĩ") == "Người giám hộ: Hà Thị Lan, Y sĩ"


def test_one_dated_line_on_every_form() -> None:
    """D-FMT-1: the transcript, the register, the copy papers and the correction forms print NĐ 30's line."""
    from layouts import copies, correction
    from layouts.register import pages as register_pages
    from layouts.transcript.pages import long_date as transcript_line

    day = date(2026, 3, 5)
    assert transcript_line("Vân Hồ", day) == "Vân Hồ, ngày 05 tháng 3 năm 2026"
    assert transcript_line("Vân Hồ", None) == "Vân Hồ, ngày …… tháng …… năm 20……"
    assert register_pages.long_date is transcript_line
    assert copies.dated_line is correction.dated_line is dated_line
    assert not hasattr(copies, "_long_date")
