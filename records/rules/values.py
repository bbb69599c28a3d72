"""Parsing of marks and comment grades, and half-up rounding to one decimal place.

Everything here is exact decimal arithmetic: a float is converted from its shortest decimal
text (``repr``), never from its binary expansion, so ``7.1`` becomes ``Decimal("7.1")``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from fractions import Fraction

from records.errors import ValidationError

#: One decimal place: the quantum of every mark and average.
TENTH = Decimal("0.1")
MIN_MARK = Decimal(0)
MAX_MARK = Decimal(10)

#: Comment grades, in their canonical short form.
PASS = "Đ"
FAIL = "CĐ"

# Enough digits that sums of marks are exact and a quotient of them is never rounded across a
# .x5 boundary before the final half-up rounding (the distance to a boundary is at least
# 1 / (20 * denominator)).
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)

_COMMENT_ALIASES = {
    "đ": PASS,
    "đạt": PASS,
    "đạt yêu cầu": PASS,
    "cđ": FAIL,
    "chưa đạt": FAIL,
    "chưa đạt yêu cầu": FAIL,
}

MarkInput = int | float | str | Decimal


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _invalid_mark(value: object, what_vi: str, what_en: str) -> ValidationError:
    return ValidationError(
        f"{what_vi} không hợp lệ: {value!r}. Điểm phải là số từ 0 đến 10, tối đa một chữ số thập phân.",
        f"invalid {what_en}: {value!r} (must be a number from 0 to 10 with at most one decimal place)",
    )


def to_decimal(value: object, what_vi: str = "Điểm", what_en: str = "mark") -> Decimal:
    """Convert an int, float, str or Decimal exactly from its decimal text, without range checks."""
    if isinstance(value, bool):
        raise _invalid_mark(value, what_vi, what_en)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _invalid_mark(value, what_vi, what_en)
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # Vietnamese decimal comma: "7,5"
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise _invalid_mark(value, what_vi, what_en) from None
    else:
        raise _invalid_mark(value, what_vi, what_en)
    if not result.is_finite():
        raise _invalid_mark(value, what_vi, what_en)
    return result


def parse_mark(value: object, what_vi: str = "Điểm", what_en: str = "mark") -> Decimal:
    """Validate a mark (0..10, at most one decimal place) and return it as a Decimal with one decimal."""
    if value.__class__ is Decimal or value.__class__ is int:  # not bool, not float: equal means same mark
        try:
            return _ON_SCALE[value]
        except (KeyError, TypeError):  # off the scale, or a signalling NaN: checked below
            pass
    result = to_decimal(value, what_vi, what_en)
    if not MIN_MARK <= result <= MAX_MARK:
        raise _invalid_mark(value, what_vi, what_en)
    with localcontext(_CONTEXT):
        quantized = result.quantize(TENTH)
    if quantized != result:
        raise _invalid_mark(value, what_vi, what_en)
    return abs(quantized)  # abs() turns -0.0 into 0.0


# Every mark of the scale (0.0–10.0), keyed by itself: a Decimal or int equal to one is that mark.
_ON_SCALE: dict[object, Decimal] = {m: m for m in ((Decimal(n) / 10).quantize(Decimal("0.1")) for n in range(101))}


def parse_marks(values: object, what_vi: str = "Điểm", what_en: str = "mark") -> list[Decimal]:
    """Validate a list (or other iterable, not a string) of marks."""
    if values is None:
        return []
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValidationError(
            f"{what_vi}: cần một danh sách điểm, nhận được {values!r}.",
            f"{what_en}: expected a list of marks, got {values!r}",
        )
    return [parse_mark(v, what_vi, what_en) for v in values]


def parse_comment(value: object) -> str:
    """Normalise a comment grade ("Đ", "Đạt", "CĐ", "Chưa đạt", any case) to "Đ" or "CĐ"."""
    if isinstance(value, str):
        grade = _COMMENT_ALIASES.get(_nfc(value).casefold())
        if grade is not None:
            return grade
    raise ValidationError(
        f"Kết quả đánh giá bằng nhận xét không hợp lệ: {value!r} (phải là Đ/Đạt hoặc CĐ/Chưa đạt).",
        f"invalid comment grade: {value!r} (expected Đ/Đạt or CĐ/Chưa đạt)",
    )


def is_comment(value: object) -> bool:
    """True when ``value`` is a comment grade (Đ/CĐ in any accepted spelling)."""
    return isinstance(value, str) and _nfc(value).casefold() in _COMMENT_ALIASES


def parse_subject_result(value: object, code: str) -> Decimal | str:
    """A subject's average (Decimal) or comment grade ("Đ"/"CĐ")."""
    if is_comment(value):
        return parse_comment(value)
    return parse_mark(value, f"Điểm trung bình môn {code}", f"average of subject {code}")


def round_half_up(value: Decimal | Fraction | int) -> Decimal:
    """Round a non-negative exact value half up to one decimal place."""
    with localcontext(_CONTEXT):
        if isinstance(value, Fraction):
            value = Decimal(value.numerator) / Decimal(value.denominator)
        return Decimal(value).quantize(TENTH, rounding=ROUND_HALF_UP)


def weighted_average(weighted: Iterable[tuple[Decimal, int]]) -> Decimal:
    """Sum(w·x) / Sum(w) rounded half up to 0.1, computed in decimal arithmetic."""
    pairs = list(weighted)
    denominator = sum(w for _, w in pairs)
    with localcontext(_CONTEXT):
        numerator = sum((x * w for x, w in pairs), Decimal(0))
        return (numerator / Decimal(denominator)).quantize(TENTH, rounding=ROUND_HALF_UP)
