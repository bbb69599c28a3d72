"""Regime selection (REGULATIONS.md §0) and the ruleset registry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from records.errors import ValidationError
from records.rules import REGIMES, Promotion, regime_for, ruleset

# The table of §0, school years by their starting calendar year.
TABLE = {
    2019: ("tt58", "tt58", "tt58", "tt58"),
    2020: ("tt26", "tt26", "tt26", "tt26"),
    2021: ("tt22", "tt26", "tt26", "tt26"),
    2022: ("tt22", "tt22", "tt26", "tt26"),
    2023: ("tt22", "tt22", "tt22", "tt26"),
    2024: ("tt22", "tt22", "tt22", "tt22"),
}


@pytest.mark.parametrize("year", sorted(TABLE))
@pytest.mark.parametrize("grade", [6, 7, 8, 9])
def test_regime_table(year: int, grade: int) -> None:
    assert regime_for(year, grade) == TABLE[year][grade - 6]


@pytest.mark.parametrize(("year", "expected"), [(2011, "tt58"), (2015, "tt58"), (2030, "tt22")])
def test_regime_outside_the_transition(year: int, expected: str) -> None:
    assert {regime_for(year, g) for g in (6, 7, 8, 9)} == {expected}


@pytest.mark.parametrize(("year", "grade"), [(2010, 6), (2023, 5), (2023, 10), ("2023", 6), (2023, True)])
def test_regime_for_rejects_bad_input(year: object, grade: object) -> None:
    with pytest.raises(ValidationError):
        regime_for(year, grade)  # type: ignore[arg-type]


@given(year=st.integers(2011, 2100), grade=st.integers(6, 9))
def test_regimes_only_move_forward(year: int, grade: int) -> None:
    order = ["tt58", "tt26", "tt22"]
    assert order.index(regime_for(year, grade)) <= order.index(regime_for(year + 1, grade))
    # a cohort never goes back to an older regime as it moves up a grade
    if grade < 9:
        assert order.index(regime_for(year, grade)) <= order.index(regime_for(year + 1, grade + 1))


def test_ruleset_registry() -> None:
    assert REGIMES == ("tt58", "tt26", "tt22")
    for name in REGIMES:
        assert ruleset(name).name == name
        assert ruleset(name.upper()) is ruleset(name)
    for bad in ("tt40", "", None, 22):
        with pytest.raises(ValidationError):
            ruleset(bad)  # type: ignore[arg-type]


def test_promotion_enum() -> None:
    assert [p.value for p in Promotion] == ["promoted", "reassess", "summer_training", "repeat"]
    assert Promotion("repeat") is Promotion.REPEAT
    assert Promotion.PROMOTED.label_vi == "Lên lớp"
    assert Promotion.REASSESS.label_vi == "Kiểm tra lại"
    assert Promotion.SUMMER_TRAINING.label_vi == "Rèn luyện trong kì nghỉ hè"
    assert Promotion.REPEAT.label_vi == "Ở lại lớp"
    assert Promotion.PROMOTED.final and Promotion.REPEAT.final
    assert not Promotion.REASSESS.final and not Promotion.SUMMER_TRAINING.final
