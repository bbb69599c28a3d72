"""TT58/2011 and TT58 as amended by TT26/2020: classification, titles, promotion (REGULATIONS.md §1)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from records.errors import ValidationError
from records.rules import Promotion, ruleset

TT58 = ruleset("tt58")
TT26 = ruleset("tt26")
BOTH = [TT58, TT26]

# Ten scored subjects of the 2006 THCS programme and three comment subjects.
SCORED = (
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
COMMENTS = ("the_duc", "am_nhac", "my_thuat")


def results(default: float | str, **overrides: object) -> dict[str, object]:
    """All ten scored subjects at ``default``, comment subjects Đ, then the overrides."""
    data: dict[str, object] = {code: default for code in SCORED}
    data.update({code: "Đ" for code in COMMENTS})
    data.update(overrides)
    return data


def level(rs: object, data: dict[str, object]) -> str:
    return rs.learning_result(data)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- overall average


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_overall_average_is_plain_mean_without_double_weights(rs: object) -> None:
    # Toán 10 and Văn 10 with eight subjects at 5.0: plain mean 6.0 (QĐ40's ×2 weights would give 6.7)
    data = results(5.0, toan=10, ngu_van=10)
    assert rs.overall_average(data) == Decimal("6.0")  # type: ignore[attr-defined]


def test_overall_average_rounds_half_up() -> None:
    assert TT58.overall_average(results(8.0, hoa_hoc=7.5)) == Decimal("8.0")  # 79.5/10 = 7.95
    assert TT58.overall_average(results(8.0, hoa_hoc=7.4)) == Decimal("7.9")  # 79.4/10 = 7.94


def test_overall_average_ignores_comment_subjects() -> None:
    assert TT58.overall_average({"toan": 6, "ngu_van": 7, "the_duc": "CĐ"}) == Decimal("6.5")


def test_tt22_has_no_overall_average() -> None:
    assert ruleset("tt22").overall_average(results(8.0)) is None


# ---------------------------------------------------------------- Giỏi boundaries


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_gioi_overall_average_boundary_7_95_rounds_to_8_0(rs: object) -> None:
    assert level(rs, results(8.0)) == "Giỏi"
    assert level(rs, results(8.0, hoa_hoc=7.5)) == "Giỏi"  # 7.95 -> 8.0
    assert level(rs, results(8.0, hoa_hoc=7.4)) == "Khá"  # 7.94 -> 7.9
    assert level(rs, results(8.0, hoa_hoc=7.0)) == "Khá"  # 7.9


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_gioi_key_subject_boundary(rs: object) -> None:
    assert level(rs, results(8.5, toan=8.0, ngu_van=7.5, ngoai_ngu=7.5)) == "Giỏi"
    c = rs.classify(results(8.5, toan=7.9, ngu_van=7.9, ngoai_ngu=7.9))  # type: ignore[attr-defined]
    # key-subject-only drop: ordinary one-level drop, not an adjustment case (§1.6 notes)
    assert (c.level, c.raw_level, c.adjusted) == ("Khá", "Khá", False)


def test_third_key_subject_ngoai_ngu_only_from_tt26() -> None:
    data = results(8.5, toan=7.9, ngu_van=7.9, ngoai_ngu=8.0)
    assert level(TT58, data) == "Khá"
    assert level(TT26, data) == "Giỏi"
    data = results(7.0, toan=6.4, ngu_van=6.4, ngoai_ngu=6.5)
    assert level(TT58, data) == "Trung bình"
    assert level(TT26, data) == "Khá"


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_gioi_every_subject_6_5_boundary(rs: object) -> None:
    assert level(rs, results(9.0, hoa_hoc=6.5)) == "Giỏi"
    c = rs.classify(results(9.0, hoa_hoc=6.4))  # type: ignore[attr-defined]
    assert (c.level, c.adjusted) == ("Khá", False)  # a one-level drop is never adjusted


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
@pytest.mark.parametrize("spelling", ["CĐ", "Chưa đạt"])
def test_single_cd_with_gioi_average_is_yeu_adjusted_to_trung_binh(rs: object, spelling: str) -> None:
    """§1.6 note [verify with the product owner]: a CĐ subject is "the result of one subject"."""
    assert level(rs, results(9.0, am_nhac="Đạt")) == "Giỏi"
    c = rs.classify(results(9.0, am_nhac=spelling))  # type: ignore[attr-defined]
    assert (c.raw_level, c.level, c.adjusted) == ("Yếu", "Trung bình", True)
    assert (c.supported_level, c.adjustment_subject) == ("Giỏi", "am_nhac")


# ---------------------------------------------------------------- Khá boundaries


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_kha_overall_average_boundary(rs: object) -> None:
    assert level(rs, results(6.5)) == "Khá"
    assert level(rs, results(6.5, hoa_hoc=6.0)) == "Khá"  # 64.5/10 = 6.45 -> 6.5
    assert level(rs, results(6.5, hoa_hoc=5.9)) == "Trung bình"  # 6.44 -> 6.4
    assert level(rs, results(6.5, hoa_hoc=5.5)) == "Trung bình"  # 6.4


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_kha_key_subject_boundary(rs: object) -> None:
    assert level(rs, results(7.0, toan=6.5, ngu_van=6.0, ngoai_ngu=6.0)) == "Khá"
    assert level(rs, results(7.0, toan=6.4, ngu_van=6.0, ngoai_ngu=6.0)) == "Trung bình"


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_kha_every_subject_5_0_boundary(rs: object) -> None:
    assert level(rs, results(7.0, hoa_hoc=5.0)) == "Khá"
    c = rs.classify(results(7.0, hoa_hoc=4.9))  # type: ignore[attr-defined]
    assert (c.level, c.adjusted) == ("Trung bình", False)


# ---------------------------------------------------------------- Trung bình boundaries


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_trung_binh_overall_average_boundary(rs: object) -> None:
    assert level(rs, results(5.0)) == "Trung bình"
    assert level(rs, results(5.0, hoa_hoc=4.5)) == "Trung bình"  # 4.95 -> 5.0
    assert level(rs, results(5.0, hoa_hoc=4.0)) == "Yếu"  # 4.9


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_trung_binh_key_subject_boundary(rs: object) -> None:
    assert level(rs, results(5.5, toan=5.0, ngu_van=4.9, ngoai_ngu=4.9)) == "Trung bình"
    assert level(rs, results(5.5, toan=4.9, ngu_van=4.9, ngoai_ngu=4.9)) == "Yếu"


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_trung_binh_every_subject_3_5_boundary(rs: object) -> None:
    assert level(rs, results(5.5, hoa_hoc=3.5)) == "Trung bình"
    c = rs.classify(results(5.5, hoa_hoc=3.4))  # type: ignore[attr-defined]
    assert (c.level, c.adjusted) == ("Yếu", False)  # average only at Tb level: no adjustment


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_cd_with_trung_binh_average_is_yeu(rs: object) -> None:
    assert level(rs, results(5.5, the_duc="CĐ")) == "Yếu"


# ---------------------------------------------------------------- Yếu / Kém boundaries


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_yeu_overall_average_boundary(rs: object) -> None:
    assert level(rs, results(3.5)) == "Yếu"
    assert level(rs, results(3.5, hoa_hoc=3.0)) == "Yếu"  # 3.45 -> 3.5
    assert level(rs, results(3.5, hoa_hoc=2.5)) == "Kém"  # 3.4


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_yeu_every_subject_2_0_boundary(rs: object) -> None:
    assert level(rs, results(4.0, hoa_hoc=2.0)) == "Yếu"
    assert level(rs, results(4.0, hoa_hoc=1.9)) == "Kém"


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_yeu_allows_comment_cd(rs: object) -> None:
    assert level(rs, results(4.0, the_duc="CĐ", am_nhac="CĐ")) == "Yếu"


# ---------------------------------------------------------------- adjustment (Điều 13 khoản 6)


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
@pytest.mark.parametrize(
    ("default", "subject_mark", "overall", "raw", "adjusted", "supported"),
    [
        # Giỏi average, one subject drops it to Trung bình -> Khá  (80.5/10 = 8.05 -> 8.1)
        (8.5, 4.0, "8.1", "Trung bình", "Khá", "Giỏi"),
        # Giỏi average, one subject drops it to Yếu -> Trung bình  (79.5/10 -> 8.0)
        (8.5, 3.0, "8.0", "Yếu", "Trung bình", "Giỏi"),
        # Khá average, one subject drops it to Yếu -> Trung bình  (66/10 = 6.6)
        (7.0, 3.0, "6.6", "Yếu", "Trung bình", "Khá"),
        # Khá average, one subject drops it to Kém -> Yếu  (64.5/10 -> 6.5)
        (7.0, 1.5, "6.5", "Kém", "Yếu", "Khá"),
        # Giỏi average, one subject drops it to Kém -> Yếu (not in the table; decision D-ADJ-2)
        (9.0, 1.5, "8.3", "Kém", "Yếu", "Giỏi"),
    ],
)
def test_adjustment_table(
    rs: object, default: float, subject_mark: float, overall: str, raw: str, adjusted: str, supported: str
) -> None:
    c = rs.classify(results(default, hoa_hoc=subject_mark))  # type: ignore[attr-defined]
    assert c.overall_average == Decimal(overall)
    assert (c.raw_level, c.level, c.adjusted) == (raw, adjusted, True)
    assert (c.supported_level, c.adjustment_subject) == (supported, "hoa_hoc")


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_adjustment_boundaries_of_the_failing_subject(rs: object) -> None:
    # Giỏi-level average (all 9.0 but hoa_hoc): raw level follows hoa_hoc, adjusted one level up
    expected = {
        6.5: ("Giỏi", "Giỏi"),
        6.4: ("Khá", "Khá"),
        5.0: ("Khá", "Khá"),
        4.9: ("Trung bình", "Khá"),
        3.5: ("Trung bình", "Khá"),
        3.4: ("Yếu", "Trung bình"),
        2.0: ("Yếu", "Trung bình"),
        1.9: ("Kém", "Yếu"),
    }
    for mark, (raw, final) in expected.items():
        c = rs.classify(results(9.0, hoa_hoc=mark))  # type: ignore[attr-defined]
        assert (c.raw_level, c.level) == (raw, final), mark


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_two_failing_subjects_get_no_adjustment(rs: object) -> None:
    c = rs.classify(results(9.0, hoa_hoc=4.0, vat_li=4.0))  # type: ignore[attr-defined]
    assert c.overall_average == Decimal("8.0")
    assert (c.raw_level, c.level, c.adjusted) == ("Trung bình", "Trung bình", False)
    c = rs.classify(results(9.0, hoa_hoc=4.0, the_duc="CĐ"))  # type: ignore[attr-defined]
    assert (c.raw_level, c.level, c.adjusted) == ("Yếu", "Yếu", False)
    c = rs.classify(results(9.0, the_duc="CĐ", am_nhac="CĐ"))  # type: ignore[attr-defined]
    assert (c.raw_level, c.level, c.adjusted) == ("Yếu", "Yếu", False)


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_trung_binh_average_single_subject_to_kem_is_not_adjusted(rs: object) -> None:
    c = rs.classify(results(5.5, hoa_hoc=1.5))  # type: ignore[attr-defined]
    assert c.overall_average == Decimal("5.1")
    assert (c.raw_level, c.level, c.adjusted) == ("Kém", "Kém", False)


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_key_subject_pulled_down_alone_is_the_single_subject(rs: object) -> None:
    # Toán 4.0 is the only weak subject; Văn 7.5, NN 7.5: had Toán been good, the student is Giỏi.
    c = rs.classify(results(9.0, toan=4.0, ngu_van=7.5, ngoai_ngu=7.5))  # type: ignore[attr-defined]
    assert (c.raw_level, c.level, c.adjustment_subject) == ("Trung bình", "Khá", "toan")


def test_key_criterion_plus_one_failing_subject_adjusts_from_kha() -> None:
    """Decision D-ADJ-3: average 8.2 reaches Khá too; without hoa_hoc the student is Khá."""
    c = TT58.classify(results(9.0, toan=7.9, ngu_van=7.9, hoa_hoc=3.0))
    assert c.overall_average == Decimal("8.2")
    assert (c.raw_level, c.supported_level, c.level) == ("Yếu", "Khá", "Trung bình")


def test_second_subject_below_gioi_only_still_allows_kha_clause() -> None:
    """Decision D-ADJ-3: only hoa_hoc fails the Khá minimum (5.0); vat_li 6.0 only fails Giỏi's."""
    c = TT58.classify(results(9.5, vat_li=6.0, hoa_hoc=3.0))
    assert c.overall_average == Decimal("8.5")
    assert (c.raw_level, c.supported_level, c.level) == ("Yếu", "Khá", "Trung bình")
    c = TT58.classify(results(9.5, vat_li=6.0, hoa_hoc=4.0))
    assert (c.raw_level, c.level, c.adjusted) == ("Trung bình", "Trung bình", False)


# ---------------------------------------------------------------- input checks


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_classification_needs_toan_and_ngu_van_as_scores(rs: object) -> None:
    data = results(8.0)
    del data["toan"]
    with pytest.raises(ValidationError):
        rs.classify(data)  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        rs.classify(results(8.0, ngu_van="Đ"))  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        rs.classify({})  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        rs.classify(results(8.0, hoa_hoc=7.25))  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        rs.classify(results(8.0, hoa_hoc="Tốt"))  # type: ignore[attr-defined]


def test_classification_accepts_strings_and_floats() -> None:
    assert TT58.learning_result(results("8,0", hoa_hoc=Decimal("7.5"))) == "Giỏi"


# ---------------------------------------------------------------- conduct, titles


def test_levels_are_ordered_best_to_worst() -> None:
    for rs in BOTH:
        assert rs.learning_levels == ("Giỏi", "Khá", "Trung bình", "Yếu", "Kém")
        assert rs.conduct_levels == ("Tốt", "Khá", "Trung bình", "Yếu")


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
@pytest.mark.parametrize(("term1", "term2"), [("Tốt", "Yếu"), ("Yếu", "Tốt"), ("Khá", "Trung bình")])
def test_year_conduct_is_semester_2(rs: object, term1: str, term2: str) -> None:
    assert rs.year_conduct(term1, term2) == term2  # type: ignore[attr-defined]


def test_year_conduct_rejects_unknown_labels() -> None:
    with pytest.raises(ValidationError):
        TT58.year_conduct("Tốt", "Đạt")


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
@pytest.mark.parametrize(
    ("learning", "conduct", "expected"),
    [
        ("Giỏi", "Tốt", "Học sinh Giỏi"),
        ("Giỏi", "Khá", "Học sinh Tiên tiến"),
        ("Khá", "Tốt", "Học sinh Tiên tiến"),
        ("Khá", "Khá", "Học sinh Tiên tiến"),
        ("Giỏi", "Trung bình", None),
        ("Trung bình", "Tốt", None),
        ("Yếu", "Tốt", None),
    ],
)
def test_titles(rs: object, learning: str, conduct: str, expected: str | None) -> None:
    assert rs.title(None, learning=learning, conduct=conduct) == expected  # type: ignore[attr-defined]


def test_title_computes_learning_from_averages() -> None:
    assert TT58.title(results(8.0), conduct="Tốt") == "Học sinh Giỏi"
    assert TT58.title(results(8.0, hoa_hoc=7.4), conduct="Tốt") == "Học sinh Tiên tiến"


# ---------------------------------------------------------------- promotion


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
@pytest.mark.parametrize(
    ("learning", "conduct", "expected"),
    [
        ("Giỏi", "Tốt", Promotion.PROMOTED),
        ("Trung bình", "Trung bình", Promotion.PROMOTED),
        ("Yếu", "Trung bình", Promotion.REASSESS),
        ("Yếu", "Tốt", Promotion.REASSESS),
        ("Trung bình", "Yếu", Promotion.SUMMER_TRAINING),
        ("Giỏi", "Yếu", Promotion.SUMMER_TRAINING),
        ("Yếu", "Yếu", Promotion.REPEAT),
        ("Kém", "Tốt", Promotion.REPEAT),
        ("Kém", "Yếu", Promotion.REPEAT),
    ],
)
def test_promotion(rs: object, learning: str, conduct: str, expected: Promotion) -> None:
    assert rs.promotion(learning=learning, conduct=conduct, days_absent=0) is expected  # type: ignore[attr-defined]


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_45_sessions_absent_is_allowed_46_is_not(rs: object) -> None:
    assert rs.promotion(learning="Giỏi", conduct="Tốt", days_absent=45) is Promotion.PROMOTED  # type: ignore[attr-defined]
    assert rs.promotion(learning="Giỏi", conduct="Tốt", days_absent=46) is Promotion.REPEAT  # type: ignore[attr-defined]
    assert rs.promotion(learning="Yếu", conduct="Khá", days_absent=46) is Promotion.REPEAT  # type: ignore[attr-defined]


@pytest.mark.parametrize("days", [-1, 1.5, "3", None, True])
def test_days_absent_must_be_a_non_negative_integer(days: object) -> None:
    with pytest.raises(ValidationError):
        TT58.promotion(learning="Giỏi", conduct="Tốt", days_absent=days)  # type: ignore[arg-type]


def test_retake_replaces_year_average_and_reclassifies() -> None:
    data = results(5.5, hoa_hoc=3.0)  # Yếu (hoa_hoc < 3.5), average at Tb level: no adjustment
    assert TT58.learning_result(data) == "Yếu"
    assert TT58.retake_eligible(data) == ("hoa_hoc",)
    out = TT58.after_summer(data, conduct="Khá", days_absent=3, retakes={"hoa_hoc": 5})
    assert out.before is Promotion.REASSESS
    assert out.promotion is Promotion.PROMOTED
    assert out.learning == "Trung bình"
    assert out.averages["hoa_hoc"] == Decimal("5.0")
    assert out.retaken == ("hoa_hoc",)
    out = TT58.after_summer(data, conduct="Khá", days_absent=3, retakes={"hoa_hoc": 3.4})
    assert (out.learning, out.promotion) == ("Yếu", Promotion.REPEAT)


def test_retake_of_a_comment_subject() -> None:
    data = results(5.5, the_duc="CĐ")
    out = TT26.after_summer(data, conduct="Tốt", days_absent=0, retakes={"the_duc": "Đạt"})
    assert (out.learning, out.promotion) == ("Trung bình", Promotion.PROMOTED)


def test_retake_only_for_eligible_subjects() -> None:
    data = results(5.5, hoa_hoc=3.0)
    with pytest.raises(ValidationError):
        TT58.after_summer(data, conduct="Khá", days_absent=3, retakes={"vat_li": 9})
    with pytest.raises(ValidationError):
        TT58.after_summer(results(8.0), conduct="Khá", days_absent=3, retakes={"hoa_hoc": 9})


def test_summer_conduct_training() -> None:
    data = results(6.0)
    out = TT58.after_summer(data, conduct="Yếu", days_absent=0, training_passed=True)
    assert (out.before, out.promotion, out.conduct) == (
        Promotion.SUMMER_TRAINING,
        Promotion.PROMOTED,
        "Trung bình",
    )
    out = TT58.after_summer(data, conduct="Yếu", days_absent=0, training_passed=False)
    assert out.promotion is Promotion.REPEAT
    with pytest.raises(ValidationError):
        TT58.after_summer(data, conduct="Yếu", days_absent=0)


def test_no_summer_for_yeu_and_yeu() -> None:
    data = results(5.5, hoa_hoc=3.0)
    out = TT58.after_summer(data, conduct="Yếu", days_absent=0)
    assert out.promotion is Promotion.REPEAT
    with pytest.raises(ValidationError):
        TT58.after_summer(data, conduct="Yếu", days_absent=0, retakes={"hoa_hoc": 9})


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_promotion_labels(rs: object) -> None:
    assert Promotion.PROMOTED.label_vi == "Lên lớp"
    assert rs.promotion_label(Promotion.PROMOTED, grade=7) == "Lên lớp"  # type: ignore[attr-defined]
    assert rs.promotion_label(Promotion.PROMOTED, grade=9) == "Được xét công nhận tốt nghiệp THCS"  # type: ignore[attr-defined]
    assert rs.promotion_label(Promotion.REPEAT, grade=9) == "Ở lại lớp"  # type: ignore[attr-defined]
    assert "hạnh kiểm" in rs.promotion_label(Promotion.SUMMER_TRAINING)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- comment subjects, mark counts


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
@pytest.mark.parametrize(
    ("grades", "required", "expected"),
    [
        (["Đ", "Đ", "Đ"], 3, "Đ"),
        (["CĐ", "Đ", "Đ"], 3, "Đ"),  # 2/3 Đ, semester exam (last) Đ
        (["Đ", "Đ", "CĐ"], 3, "CĐ"),  # semester exam CĐ
        (["CĐ", "CĐ", "Đ"], 3, "CĐ"),  # 1/3 Đ
        (["CĐ", "Đ", "CĐ", "Đ", "Đ", "Đ"], 6, "Đ"),  # 4/6 = 2/3
        (["CĐ", "CĐ", "Đ", "CĐ", "Đ", "Đ"], 6, "CĐ"),  # 3/6 < 2/3
        (["Đ", "Đ"], 3, "CĐ"),  # too few tests
        (["Đạt", "Chưa đạt", "Đạt"], 3, "Đ"),
    ],
)
def test_comment_term_result_two_thirds_rule(
    rs: object, grades: list[str], required: int, expected: str
) -> None:
    assert rs.comment_term_result(grades, required) == expected  # type: ignore[attr-defined]


def test_comment_term_result_with_separate_final() -> None:
    assert TT58.comment_term_result(["CĐ", "Đ"], 3, final="Đ") == "Đ"
    assert TT58.comment_term_result(["Đ", "Đ"], 3, final="CĐ") == "CĐ"


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_comment_year_result_is_semester_2(rs: object) -> None:
    assert rs.comment_year_result("CĐ", "Đạt") == "Đ"  # type: ignore[attr-defined]
    assert rs.comment_year_result("Đ", "CĐ") == "CĐ"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("lessons", "expected"),
    [(35, 2), (36, 3), (52, 3), (104, 3), (105, 4), (140, 4), (18, 2)],
)
def test_tt58_regular_count_by_lessons_per_week(lessons: int, expected: int) -> None:
    assert TT58.required_regular_count(lessons) == expected


@pytest.mark.parametrize(("lessons", "expected"), [(35, 2), (36, 3), (70, 3), (71, 4), (105, 4)])
def test_tt26_regular_count_by_lessons_per_year(lessons: int, expected: int) -> None:
    assert TT26.required_regular_count(lessons) == expected


@pytest.mark.parametrize("rs", BOTH, ids=lambda r: r.name)
def test_regular_count_of_comment_subjects_and_bad_input(rs: object) -> None:
    assert rs.required_regular_count(140, comment=True) == 2  # type: ignore[attr-defined]
    for bad in (0, -35, 35.0, "35", True):
        with pytest.raises(ValidationError):
            rs.required_regular_count(bad)  # type: ignore[attr-defined]
