"""The register's printed words (BOOKS.md §3). The register has no regulation-dependent wording (its
columns are the same under TT58 and TT22), so nothing here comes from ``records.rules``."""

from __future__ import annotations

TITLE = "SỔ ĐĂNG BỘ"
LEVEL = "TRUNG HỌC CƠ SỞ"
#: Labels of the parents' cell of a line.
FATHER, MOTHER, GUARDIAN = "Cha", "Mẹ", "Người giám hộ"
#: A leaving reason that is not a departure (the course completed): not counted as "chuyển đi".
COMPLETED = "Hoàn thành"

__all__ = ["COMPLETED", "FATHER", "GUARDIAN", "LEVEL", "MOTHER", "TITLE"]
