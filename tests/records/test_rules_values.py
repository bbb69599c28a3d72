"""Marks, rounding, semester and year averages (REGULATIONS.md §1.2–1.4, §2.3)."""

from __future__ import annotations

import ast
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from records.errors import ValidationError
from records.rules import parse_comment, parse_mark, round_half_up, ruleset

RULES_DIR = Path(__file__).resolve().parents[2] / "records" / "rules"

# Marks as tenths: 0.0, 0.1, ..., 10.0.
marks = st.integers(0, 100).map(lambda n: Decimal(n) / 10)


def exact_half_up(x: Fraction) -> Decimal:
    """Independent oracle: floor(10·x + 1/2) / 10 on exact rationals."""
    return Decimal(math.floor(x * 10 + Fraction(1, 2))) / 10


def oracle_term(regular: list[Decimal], periodic: list[Decimal], final: Decimal) -> Decimal:
    total = sum(map(Fraction, regular)) + 2 * sum(map(Fraction, periodic)) + 3 * Fraction(final)
    return exact_half_up(total / (len(regular) + 2 * len(periodic) + 3))


# ---------------------------------------------------------------- parsing


def test_brief_example_prints_7_3() -> None:
    assert str(ruleset("tt22").term_average(regular=[7, 8, 9], periodic=[8], final=6)) == "7.3"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, "7.0"),
        (7.1, "7.1"),
        (0.3, "0.3"),
        ("7.5", "7.5"),
        ("7,5", "7.5"),
        (" 10 ", "10.0"),
        (Decimal("8.50"), "8.5"),
        (Decimal(0), "0.0"),
        (-0.0, "0.0"),
        (10.0, "10.0"),
    ],
)
def test_parse_mark_is_exact_decimal_text(value: object, expected: str) -> None:
    result = parse_mark(value)
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize(
    "value",
    [
        -0.1,
        10.1,
        11,
        "7.25",
        7.25,
        Decimal("7.05"),
        0.1 + 0.2,
        "abc",
        "",
        float("nan"),
        "NaN",
        float("inf"),
        Decimal("Infinity"),
        None,
        True,
        [7],
        "7,5,1",
    ],
)
def test_parse_mark_rejects_invalid_values(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        parse_mark(value)
    assert "không hợp lệ" in info.value.message_vi
    assert "invalid" in info.value.message_en


@given(marks)
def test_float_str_and_decimal_inputs_agree(mark: Decimal) -> None:
    assert parse_mark(float(mark)) == parse_mark(str(mark)) == parse_mark(mark) == mark


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Đ", "Đ"),
        ("Đạt", "Đ"),
        ("đạt", "Đ"),
        ("CĐ", "CĐ"),
        ("Chưa đạt", "CĐ"),
        (" chưa  ĐẠT ", "CĐ"),
        ("Chưa đạt yêu cầu", "CĐ"),
        ("Đạt yêu cầu", "Đ"),
        # decomposed (NFD) spelling, as some keyboards produce it
        ("Chu\u031ba đa\u0323t", "CĐ"),
    ],
)
def test_parse_comment_normalises(value: str, expected: str) -> None:
    assert parse_comment(value) == expected


@pytest.mark.parametrize("value", ["D", "CD", "Tốt", "", 1, None])
def test_parse_comment_rejects_others(value: object) -> None:
    with pytest.raises(ValidationError):
        parse_comment(value)


# ---------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("7.26"), "7.3"),
        (Decimal("7.25"), "7.3"),
        (Decimal("7.249"), "7.2"),
        (Decimal("8.25"), "8.3"),
        (Decimal("6.45"), "6.5"),
        (Decimal("6.449"), "6.4"),
        (Decimal("7.95"), "8.0"),
        (Decimal("7.9499"), "7.9"),
        (Fraction(55, 7), "7.9"),
        (Fraction(29, 4), "7.3"),
    ],
)
def test_round_half_up(value: Decimal | Fraction, expected: str) -> None:
    assert str(round_half_up(value)) == expected


# ---------------------------------------------------------------- term averages


@pytest.mark.parametrize("name", ["tt26", "tt22"])
def test_term_average_weights_1_2_3(name: str) -> None:
    rs = ruleset(name)
    # (8 + 9 + 2·7 + 3·8) / (2 + 5) = 55/7 = 7.857 -> 7.9
    assert rs.term_average(regular=[8, 9], periodic=[7], final=8) == Decimal("7.9")
    # mid-term as a scalar, or through the midterm keyword
    assert rs.term_average(regular=[8, 9], periodic=7, final=8) == Decimal("7.9")
    assert rs.term_average(regular=[8, 9], midterm=7, final=8) == Decimal("7.9")
    # (8·4 + 2·8 + 3·8) / 9 = 8.0: the denominator follows the number of regular marks
    assert rs.term_average(regular=[8, 8, 8, 8], periodic=[8], final=8) == Decimal("8.0")


def test_term_average_half_up_at_exact_tie() -> None:
    rs = ruleset("tt22")
    # (7 + 7 + 8 + 2·7.5 + 3·7) / (3 + 5) = 58/8 = 7.25 exactly -> 7.3 (half-even would give 7.2)
    assert rs.term_average(regular=[7, 7, 8], periodic=[7.5], final=7) == Decimal("7.3")
    # (7.5 + 2·7.5 + 3·7) / 6 = 43.5/6 = 7.25 exactly -> 7.3
    assert rs.term_average(regular=[7.5], periodic=[7.5], final=7) == Decimal("7.3")
    # (7.4 + 2·7.5 + 3·7) / 6 = 43.4/6 = 7.2333 -> 7.2
    assert rs.term_average(regular=[7.4], periodic=[7.5], final=7) == Decimal("7.2")


def test_regular_marks_may_have_one_decimal() -> None:
    """Decision D-MARK-1: the integer-only written KTtx rule (§1.2 [UNCERTAIN]) is not enforced."""
    for name in ("tt58", "tt26", "tt22"):
        # (7.5 + 2·8 + 3·8) / 6 = 47.5/6 = 7.916 -> 7.9
        assert ruleset(name).term_average(regular=[7.5], periodic=[8], final=8) == Decimal("7.9")


def test_term_average_does_not_invent_missing_marks() -> None:
    """Decision D-MISS-1: missing marks are not replaced by 0 here; the caller enters a 0 explicitly."""
    rs = ruleset("tt22")
    # no regular mark: (2·7 + 3·8) / 5 = 7.6; with an explicit 0 for a missed assessment: 38/6 = 6.3
    assert rs.term_average(regular=[], periodic=[7], final=8) == Decimal("7.6")
    assert rs.term_average(regular=[0], periodic=[7], final=8) == Decimal("6.3")


def test_tt58_term_average_takes_several_periodic_tests() -> None:
    rs = ruleset("tt58")
    # (6 + 7 + 8 + 2·(7 + 9) + 3·8) / (3 + 4 + 3) = 77/10 = 7.7
    assert rs.term_average(regular=[6, 7, 8], periodic=[7, 9], final=8) == Decimal("7.7")
    # no periodic test at all: (6 + 3·8) / 4 = 7.5
    assert rs.term_average(regular=[6], periodic=[], final=8) == Decimal("7.5")


@pytest.mark.parametrize("name", ["tt26", "tt22"])
@pytest.mark.parametrize("periodic", [[], [7, 8], None])
def test_single_midterm_regimes_require_exactly_one_midterm(name: str, periodic: object) -> None:
    with pytest.raises(ValidationError):
        ruleset(name).term_average(regular=[8], periodic=periodic, final=8)


@pytest.mark.parametrize("name", ["tt58", "tt26", "tt22"])
def test_missing_final_is_an_error(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        ruleset(name).term_average(regular=[8, 9], periodic=[7], final=None)
    assert "cuối kì" in info.value.message_vi


@pytest.mark.parametrize(
    "bad", [{"regular": [8, 11]}, {"regular": "89"}, {"final": 7.25}, {"periodic": [-1]}]
)
def test_term_average_validates_every_mark(bad: dict[str, object]) -> None:
    kwargs: dict[str, object] = {"regular": [8], "periodic": [7], "final": 8, **bad}
    with pytest.raises(ValidationError):
        ruleset("tt22").term_average(**kwargs)  # type: ignore[arg-type]


def test_midterm_given_twice_is_an_error() -> None:
    with pytest.raises(ValidationError):
        ruleset("tt22").term_average(regular=[8], periodic=[7], midterm=7, final=8)


@given(
    name=st.sampled_from(["tt58", "tt26", "tt22"]),
    regular=st.lists(marks, max_size=6),
    periodic=st.lists(marks, min_size=1, max_size=4),
    final=marks,
)
def test_term_average_equals_exact_rational_rounded_half_up(
    name: str, regular: list[Decimal], periodic: list[Decimal], final: Decimal
) -> None:
    if name != "tt58":
        periodic = periodic[:1]
    result = ruleset(name).term_average(regular=regular, periodic=periodic, final=final)
    assert result == oracle_term(regular, periodic, final)
    assert Decimal(0) <= result <= Decimal(10)
    assert result.as_tuple().exponent == -1


@given(
    regular=st.lists(marks, min_size=1, max_size=5),
    midterm=marks,
    final=marks,
    which=st.integers(0, 10),
    step=st.integers(1, 30).map(lambda n: Decimal(n) / 10),
)
def test_term_average_is_monotonic_in_each_mark(
    regular: list[Decimal], midterm: Decimal, final: Decimal, which: int, step: Decimal
) -> None:
    rs = ruleset("tt22")
    before = rs.term_average(regular=regular, periodic=[midterm], final=final)
    index = which % (len(regular) + 2)
    if index < len(regular):
        regular = [*regular]
        regular[index] = min(regular[index] + step, Decimal(10))
    elif index == len(regular):
        midterm = min(midterm + step, Decimal(10))
    else:
        final = min(final + step, Decimal(10))
    assert rs.term_average(regular=regular, periodic=[midterm], final=final) >= before


@given(regular=st.lists(marks, min_size=2, max_size=5), midterm=marks, final=marks)
def test_term_average_ignores_the_order_of_regular_marks(
    regular: list[Decimal], midterm: Decimal, final: Decimal
) -> None:
    rs = ruleset("tt26")
    assert rs.term_average(regular=regular, periodic=midterm, final=final) == rs.term_average(
        regular=list(reversed(regular)), periodic=midterm, final=final
    )


# ---------------------------------------------------------------- year averages


@pytest.mark.parametrize("name", ["tt58", "tt26", "tt22"])
def test_year_average_counts_semester_2_twice(name: str) -> None:
    rs = ruleset(name)
    # (7.9 + 2·8.5) / 3 = 24.9/3 = 8.3 (the plain mean would give 8.2)
    assert rs.year_average(7.9, 8.5) == Decimal("8.3")
    # (6.0 + 2·6.7) / 3 = 19.4/3 = 6.4666 -> 6.5
    assert rs.year_average(term1=6.0, term2=6.7) == Decimal("6.5")
    # (8.6 + 2·7.7) / 3 = 24.0/3 = 8.0
    assert rs.year_average("8.6", "7.7") == Decimal("8.0")


def test_year_average_rejects_unrounded_semester_averages() -> None:
    """ĐTBmcn is computed from the recorded (rounded) semester averages (§1.4 [UNCERTAIN])."""
    with pytest.raises(ValidationError):
        ruleset("tt22").year_average(Decimal("7.857"), Decimal("8.5"))


@given(name=st.sampled_from(["tt58", "tt26", "tt22"]), a=marks, b=marks)
def test_year_average_formula(name: str, a: Decimal, b: Decimal) -> None:
    result = ruleset(name).year_average(a, b)
    assert result == exact_half_up((Fraction(a) + 2 * Fraction(b)) / 3)
    assert min(a, b) <= result <= max(a, b)


# ---------------------------------------------------------------- layering


def test_rules_package_imports_only_stdlib_and_records_errors() -> None:
    allowed_ours = {"records.errors", "records.rules"}
    for path in RULES_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in {"records", "layouts", "signing", "archive", "scans", "web"}:
                    assert any(name == a or name.startswith(a + ".") for a in allowed_ours), (path, name)
                else:
                    assert top in {
                        "__future__",
                        "collections",
                        "dataclasses",
                        "decimal",
                        "enum",
                        "fractions",
                        "math",
                        "types",
                        "unicodedata",
                        "typing",
                    }, (path, name)
