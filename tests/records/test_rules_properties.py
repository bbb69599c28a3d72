"""Property-based checks of classification, titles and promotion against restated tables."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from records.rules import Promotion, ruleset

THRESHOLD_MARKS = [
    Decimal(x)
    for x in ("0", "1.9", "2.0", "3.4", "3.5", "4.9", "5.0", "6.4", "6.5", "7.9", "8.0", "8.9", "9.0", "10")
]
marks = st.one_of(st.sampled_from(THRESHOLD_MARKS), st.integers(0, 100).map(lambda n: Decimal(n) / 10))
comments = st.sampled_from(["Đ", "Đ", "Đ", "CĐ"])

TT58_SCORED = (
    "toan",
    "ngu_van",
    "ngoai_ngu",
    "vat_li",
    "hoa_hoc",
    "sinh_hoc",
    "lich_su",
    "dia_li",
    "gdcd",
    "cong_nghe",
)
TT22_SCORED = ("toan", "ngu_van", "ngoai_ngu", "khtn", "ls_dl", "gdcd", "cong_nghe", "tin_hoc")
COMMENT_SUBJECTS = ("c1", "c2", "c3")


@st.composite
def subject_results(draw: st.DrawFn, regime: str) -> dict[str, object]:
    scored = TT22_SCORED if regime == "tt22" else TT58_SCORED
    # Cluster the marks around a random centre so that every level, including the adjustment
    # cases, is reached often.
    centre = draw(st.integers(20, 100))
    data: dict[str, object] = {}
    for code in scored:
        if draw(st.integers(0, 4)) == 0:
            data[code] = draw(marks)
        else:
            data[code] = Decimal(max(0, min(100, centre + draw(st.integers(-12, 12))))) / 10
    for code in COMMENT_SUBJECTS:
        data[code] = draw(comments)
    return data


def improve(data: dict[str, object], code: str, step: Decimal) -> dict[str, object]:
    value = data[code]
    better = "Đ" if isinstance(value, str) else min(Decimal(10), value + step)  # type: ignore[operator]
    return {**data, code: better}


# ---------------------------------------------------------------- oracles restating the tables


def tt58_raw(data: dict[str, object], keys: tuple[str, ...]) -> str:
    scores = [v for v in data.values() if isinstance(v, Decimal)]
    avg = Fraction(sum(scores)) / len(scores)
    avg_rounded = Decimal(int(avg * 10 + Fraction(1, 2))) / 10
    key = max(v for k, v in data.items() if k in keys)
    passed = all(v == "Đ" for v in data.values() if isinstance(v, str))
    table = [("Giỏi", "8.0", "8.0", "6.5"), ("Khá", "6.5", "6.5", "5.0"), ("Trung bình", "5.0", "5.0", "3.5")]
    for name, a, k, e in table:
        if passed and avg_rounded >= Decimal(a) and key >= Decimal(k) and min(scores) >= Decimal(e):
            return name
    if avg_rounded >= Decimal("3.5") and min(scores) >= Decimal("2.0"):
        return "Yếu"
    return "Kém"


def tt22_raw(data: dict[str, object]) -> str:
    scores = [v for v in data.values() if isinstance(v, Decimal)]
    cd = sum(1 for v in data.values() if v == "CĐ")

    def count(limit: str) -> int:
        return sum(1 for s in scores if s >= Decimal(limit))

    if cd == 0 and min(scores) >= Decimal("6.5") and count("8.0") >= 6:
        return "Tốt"
    if cd == 0 and min(scores) >= Decimal("5.0") and count("6.5") >= 6:
        return "Khá"
    if cd <= 1 and min(scores) >= Decimal("3.5") and count("5.0") >= 6:
        return "Đạt"
    return "Chưa đạt"


# ---------------------------------------------------------------- classification


@settings(max_examples=300)
@given(st.data())
def test_raw_level_matches_the_tables(data: st.DataObject) -> None:
    for name in ("tt58", "tt26", "tt22"):
        rs = ruleset(name)
        res = data.draw(subject_results(name))
        expected = tt22_raw(res) if name == "tt22" else tt58_raw(res, rs.key_subjects)
        assert rs.classify(res).raw_level == expected


@settings(max_examples=300)
@given(st.data())
def test_adjustment_is_at_most_one_level_and_only_after_a_two_level_drop(data: st.DataObject) -> None:
    for name in ("tt58", "tt26", "tt22"):
        rs = ruleset(name)
        c = rs.classify(data.draw(subject_results(name)))
        levels = rs.learning_levels
        if c.adjusted:
            assert levels.index(c.raw_level) - levels.index(c.level) == 1
            assert c.supported_level is not None and c.adjustment_subject is not None
            assert levels.index(c.raw_level) - levels.index(c.supported_level) >= 2
            assert levels.index(c.supported_level) <= 1  # Giỏi/Khá (Tốt/Khá)
        else:
            assert c.level == c.raw_level
            assert c.supported_level is None and c.adjustment_subject is None


@settings(max_examples=300)
@given(st.data())
def test_learning_result_is_monotonic_when_a_subject_improves(data: st.DataObject) -> None:
    for name in ("tt58", "tt26", "tt22"):
        rs = ruleset(name)
        res = data.draw(subject_results(name))
        code = data.draw(st.sampled_from(sorted(res)))
        step = data.draw(st.integers(1, 50).map(lambda n: Decimal(n) / 10))
        before = rs.learning_levels.index(rs.learning_result(res))
        after = rs.learning_levels.index(rs.learning_result(improve(res, code, step)))
        assert after <= before, (name, code, res)


@given(st.data())
def test_overall_average_is_the_rounded_plain_mean(data: st.DataObject) -> None:
    res = data.draw(subject_results("tt58"))
    scores = [v for v in res.values() if isinstance(v, Decimal)]
    exact = Fraction(sum(scores)) / len(scores)
    result = ruleset("tt26").overall_average(res)
    assert result is not None
    assert abs(Fraction(result) - exact) <= Fraction(1, 20)
    assert Decimal(0) <= result <= Decimal(10)


# ---------------------------------------------------------------- titles and promotion


@given(st.data())
def test_titles_follow_learning_and_conduct(data: st.DataObject) -> None:
    for name in ("tt58", "tt26", "tt22"):
        rs = ruleset(name)
        res = data.draw(subject_results(name))
        conduct = data.draw(st.sampled_from(rs.conduct_levels))
        learning = rs.learning_result(res)
        title = rs.title(res, conduct=conduct)
        assert title in (None, *rs.titles)
        if title is not None:
            assert rs.conduct_levels.index(conduct) <= 1
            assert rs.learning_levels.index(learning) <= 1
        if name == "tt22":
            nines = sum(1 for v in res.values() if isinstance(v, Decimal) and v >= Decimal("9.0"))
            good = conduct == "Tốt" and learning == "Tốt"
            assert (title == "Học sinh Xuất sắc") == (good and nines >= 6)
            assert (title == "Học sinh Giỏi") == (good and nines < 6)


@given(
    name=st.sampled_from(["tt58", "tt26", "tt22"]),
    learning=st.integers(0, 4),
    conduct=st.integers(0, 3),
    days=st.integers(0, 200),
)
def test_promotion_properties(name: str, learning: int, conduct: int, days: int) -> None:
    rs = ruleset(name)
    learning_label = rs.learning_levels[min(learning, len(rs.learning_levels) - 1)]
    conduct_label = rs.conduct_levels[conduct]
    decision = rs.promotion(learning=learning_label, conduct=conduct_label, days_absent=days)
    assert isinstance(decision, Promotion)
    pass_learning = rs.learning_levels.index(learning_label) <= 2  # Đạt (tt22) or Trung bình
    pass_conduct = conduct <= 2
    if days > 45:
        assert decision is Promotion.REPEAT
    else:
        assert (decision is Promotion.PROMOTED) == (pass_learning and pass_conduct)
    # more absences never help
    later = rs.promotion(learning=learning_label, conduct=conduct_label, days_absent=days + 1)
    assert later is decision or later is Promotion.REPEAT
