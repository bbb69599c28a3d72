"""Which regime applies to a class: the roadmap of REGULATIONS.md §0."""

from __future__ import annotations

from records.errors import ValidationError

#: First school year (by its starting calendar year) with TT58 in force: 2011-12.
FIRST_TT58_YEAR = 2011
#: First school year of TT26 (TT58 as amended): 2020-21.
FIRST_TT26_YEAR = 2020
#: School year in which grade 6 moved to TT22 (2021-22); grade g follows g - 6 years later.
FIRST_TT22_YEAR = 2021


def regime_for(school_year_start: int, grade: int) -> str:
    """Regime ("tt58", "tt26" or "tt22") of a grade in the school year starting in that calendar year."""
    if isinstance(grade, bool) or not isinstance(grade, int) or not 6 <= grade <= 9:
        raise ValidationError(
            f"Khối lớp không hợp lệ: {grade!r} (THCS gồm các khối 6, 7, 8, 9).",
            f"invalid grade: {grade!r} (lower-secondary grades are 6 to 9)",
        )
    if isinstance(school_year_start, bool) or not isinstance(school_year_start, int):
        raise ValidationError(
            f"Năm học không hợp lệ: {school_year_start!r} (cần năm bắt đầu, ví dụ 2023 cho 2023-2024).",
            f"invalid school year: {school_year_start!r} (expected its starting year, e.g. 2023)",
        )
    if school_year_start < FIRST_TT58_YEAR:
        raise ValidationError(
            f"Năm học {school_year_start}-{school_year_start + 1} áp dụng quy chế trước Thông tư 58/2011 "
            "(QĐ 40/2006), hệ thống chưa hỗ trợ.",
            f"school year {school_year_start}-{school_year_start + 1} predates TT58 (QĐ 40/2006 regime); "
            "not supported",
        )
    if school_year_start >= FIRST_TT22_YEAR + (grade - 6):
        return "tt22"
    if school_year_start >= FIRST_TT26_YEAR:
        return "tt26"
    return "tt58"
