"""Assessment rules of Vietnamese lower-secondary schools (TT58/2011, TT58 as amended by TT26/2020,
TT22/2021): averages, classification, titles and promotion, as pure functions on Decimal.

    >>> from records.rules import ruleset
    >>> ruleset("tt22").term_average(regular=[7, 8, 9], periodic=[8], final=6)
    Decimal('7.3')
"""

from __future__ import annotations

from records.errors import ValidationError
from records.rules.promotion import Promotion
from records.rules.regimes import (
    TT22,
    TT26,
    TT58,
    Classification,
    Ruleset,
    SummerOutcome,
    TT22Rules,
    TT26Rules,
    TT58Rules,
    Vocabulary,
)
from records.rules.roadmap import regime_for
from records.rules.values import (
    FAIL,
    PASS,
    is_comment,
    parse_comment,
    parse_mark,
    parse_marks,
    round_half_up,
)

REGIMES: tuple[str, ...] = (TT58, TT26, TT22)

_RULESETS: dict[str, Ruleset] = {TT58: TT58Rules(), TT26: TT26Rules(), TT22: TT22Rules()}


def ruleset(name: str) -> Ruleset:
    """The rules of a regime: "tt58", "tt26" or "tt22" (case-insensitive)."""
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in _RULESETS:
        raise ValidationError(
            f"Quy chế đánh giá không hợp lệ: {name!r} (phải là tt58, tt26 hoặc tt22).",
            f"unknown regime: {name!r} (expected tt58, tt26 or tt22)",
        )
    return _RULESETS[key]


__all__ = [
    "FAIL",
    "PASS",
    "REGIMES",
    "TT22",
    "TT26",
    "TT58",
    "Classification",
    "Promotion",
    "Ruleset",
    "SummerOutcome",
    "Vocabulary",
    "is_comment",
    "parse_comment",
    "parse_mark",
    "parse_marks",
    "regime_for",
    "round_half_up",
    "ruleset",
]
