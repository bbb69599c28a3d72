"""TT22/2021: learning and training results, titles, promotion (REGULATIONS.md §2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from records.errors import ValidationError
from records.rules import Promotion, ruleset

TT22 = ruleset("tt22")

# The eight scored subjects and four comment subjects of the 2018 THCS programme.
SCORED = ("toan", "ngu_van", "ngoai_ngu", "khtn", "ls_dl", "gdcd", "cong_nghe", "tin_hoc")
COMMENTS = ("gdtc", "nghe_thuat", "hdtn_hn", "nd_dia_phuong")


def results(*marks: float, **comments: str) -> dict[str, object]:
    """The eight scored subjects with these marks (in order), comment subjects Đ unless given."""
    assert len(marks) == len(SCORED)
    data: dict[str, object] = dict(zip(SCORED, marks, strict=True))
    data.update({code: "Đ" for code in COMMENTS})
    data.update(comments)
    return data


def level(data: dict[str, object]) -> str:
    return TT22.learning_result(data)


def test_levels_are_ordered_best_to_worst() -> None:
    assert TT22.learning_levels == ("Tốt", "Khá", "Đạt", "Chưa đạt")
    assert TT22.conduct_levels == ("Tốt", "Khá", "Đạt", "Chưa đạt")


# ---------------------------------------------------------------- Tốt


def test_tot_needs_six_subjects_at_8_0() -> None:
    assert level(results(8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 6.5, 6.5)) == "Tốt"
    assert level(results(8.0, 8.0, 8.0, 8.0, 8.0, 7.9, 7.9, 7.9)) == "Khá"  # only 5 at 8.0


def test_tot_needs_every_subject_at_6_5() -> None:
    assert level(results(9, 9, 9, 9, 9, 9, 9, 6.5)) == "Tốt"
    c = TT22.classify(results(9, 9, 9, 9, 9, 9, 9, 6.4))
    assert (c.level, c.adjusted) == ("Khá", False)  # one-level drop: never adjusted


def test_tot_needs_every_comment_subject_dat() -> None:
    assert level(results(9, 9, 9, 9, 9, 9, 9, 9, gdtc="Đạt")) == "Tốt"
    c = TT22.classify(results(9, 9, 9, 9, 9, 9, 9, 9, gdtc="Chưa đạt"))
    # one CĐ: raw Đạt, two levels below Tốt because of one subject -> Khá
    assert (c.raw_level, c.level, c.adjustment_subject) == ("Đạt", "Khá", "gdtc")


# ---------------------------------------------------------------- Khá


def test_kha_needs_six_subjects_at_6_5() -> None:
    assert level(results(6.5, 6.5, 6.5, 6.5, 6.5, 6.5, 5.0, 5.0)) == "Khá"
    assert level(results(6.5, 6.5, 6.5, 6.5, 6.5, 6.4, 6.4, 6.4)) == "Đạt"


def test_kha_needs_every_subject_at_5_0() -> None:
    assert level(results(7, 7, 7, 7, 7, 7, 7, 5.0)) == "Khá"
    c = TT22.classify(results(7, 7, 7, 7, 7, 7, 7, 4.9))
    assert (c.level, c.adjusted) == ("Đạt", False)


def test_kha_needs_every_comment_subject_dat() -> None:
    assert level(results(7, 7, 7, 7, 7, 7, 7, 7, hdtn_hn="CĐ")) == "Đạt"


# ---------------------------------------------------------------- Đạt


def test_dat_needs_six_subjects_at_5_0() -> None:
    assert level(results(5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 3.5, 3.5)) == "Đạt"
    assert level(results(5.0, 5.0, 5.0, 5.0, 5.0, 4.9, 4.9, 4.9)) == "Chưa đạt"


def test_dat_allows_no_subject_below_3_5() -> None:
    assert level(results(6, 6, 6, 6, 6, 6, 6, 3.5)) == "Đạt"
    c = TT22.classify(results(6, 6, 6, 6, 6, 6, 6, 3.4))
    assert (c.level, c.adjusted) == ("Chưa đạt", False)


def test_dat_allows_at_most_one_cd() -> None:
    assert level(results(6, 6, 6, 6, 6, 6, 6, 6, gdtc="CĐ")) == "Đạt"
    assert level(results(6, 6, 6, 6, 6, 6, 6, 6, gdtc="CĐ", nghe_thuat="CĐ")) == "Chưa đạt"


# ---------------------------------------------------------------- adjustment (Điều 9 khoản 3)


def test_adjustment_tot_to_dat_becomes_kha() -> None:
    c = TT22.classify(results(8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 4.0))
    assert (c.raw_level, c.supported_level, c.level, c.adjusted) == ("Đạt", "Tốt", "Khá", True)
    assert c.adjustment_subject == "tin_hoc"
    assert c.overall_average is None


def test_adjustment_raises_only_to_the_adjacent_level() -> None:
    c = TT22.classify(results(8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 3.4))
    assert (c.raw_level, c.supported_level, c.level) == ("Chưa đạt", "Tốt", "Đạt")


def test_adjustment_kha_to_chua_dat_becomes_dat() -> None:
    c = TT22.classify(results(7, 7, 7, 7, 7, 7, 7, 3.0))
    assert (c.raw_level, c.supported_level, c.level) == ("Chưa đạt", "Khá", "Đạt")


def test_two_weak_subjects_get_no_adjustment() -> None:
    c = TT22.classify(results(8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 4.0, 4.0))
    assert (c.raw_level, c.level, c.adjusted) == ("Đạt", "Đạt", False)
    c = TT22.classify(results(8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5, 4.0, gdtc="CĐ"))
    assert (c.level, c.adjusted) == ("Đạt", False)
    c = TT22.classify(results(9, 9, 9, 9, 9, 9, 9, 9, gdtc="CĐ", nghe_thuat="CĐ"))
    assert (c.raw_level, c.level, c.adjusted) == ("Chưa đạt", "Chưa đạt", False)


def test_single_subject_counted_at_its_best_possible_result() -> None:
    """Decision D-ADJ-1: had tin_hoc been good, six subjects would reach 8.0: Tốt supported."""
    c = TT22.classify(results(8.0, 8.0, 8.0, 8.0, 8.0, 7.0, 7.0, 4.0))
    assert (c.raw_level, c.supported_level, c.level) == ("Đạt", "Tốt", "Khá")


def test_dat_level_drop_by_one_is_not_adjusted() -> None:
    c = TT22.classify(results(6, 6, 6, 6, 6, 6, 6, 2.0))
    assert (c.raw_level, c.level, c.adjusted) == ("Chưa đạt", "Chưa đạt", False)


def test_classification_needs_six_scored_subjects() -> None:
    with pytest.raises(ValidationError) as info:
        TT22.classify({"toan": 9, "ngu_van": 9, "ngoai_ngu": 9, "khtn": 9, "ls_dl": 9, "gdtc": "Đ"})
    assert "6" in info.value.message_vi
    assert TT22.learning_result({c: 9 for c in SCORED[:6]}) == "Tốt"


# ---------------------------------------------------------------- training result (Điều 8)


@pytest.mark.parametrize(
    ("term2", "term1", "year"),
    [
        ("Tốt", "Tốt", "Tốt"),
        ("Tốt", "Khá", "Tốt"),
        ("Tốt", "Đạt", "Khá"),
        ("Tốt", "Chưa đạt", "Khá"),
        ("Khá", "Tốt", "Khá"),
        ("Khá", "Khá", "Khá"),
        ("Khá", "Đạt", "Khá"),
        ("Khá", "Chưa đạt", "Đạt"),
        ("Đạt", "Tốt", "Khá"),  # decision D-TR-1 (the "also recalled" case of §2.5)
        ("Đạt", "Khá", "Đạt"),
        ("Đạt", "Đạt", "Đạt"),
        ("Đạt", "Chưa đạt", "Đạt"),
        ("Chưa đạt", "Tốt", "Chưa đạt"),
        ("Chưa đạt", "Khá", "Chưa đạt"),
        ("Chưa đạt", "Đạt", "Chưa đạt"),
        ("Chưa đạt", "Chưa đạt", "Chưa đạt"),
    ],
)
def test_year_training_result_table(term2: str, term1: str, year: str) -> None:
    assert TT22.year_conduct(term1=term1, term2=term2) == year


def test_year_training_result_rejects_tt58_labels() -> None:
    with pytest.raises(ValidationError):
        TT22.year_conduct("Trung bình", "Tốt")


# ---------------------------------------------------------------- titles (Điều 15)


def test_xuat_sac_needs_six_subjects_at_9_0() -> None:
    six = results(9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 8.0, 8.0)
    five = results(9.0, 9.0, 9.0, 9.0, 9.0, 8.9, 8.9, 8.9)
    assert TT22.title(six, conduct="Tốt") == "Học sinh Xuất sắc"
    assert TT22.title(five, conduct="Tốt") == "Học sinh Giỏi"
    assert TT22.title(six, learning="Tốt", conduct="Tốt") == "Học sinh Xuất sắc"


def test_titles_need_training_and_learning_tot() -> None:
    top = results(10, 10, 10, 10, 10, 10, 10, 10)
    assert TT22.title(top, conduct="Khá") is None
    assert TT22.title(top, learning="Khá", conduct="Tốt") is None
    assert TT22.title(results(10, 10, 10, 10, 10, 10, 10, 10, gdtc="CĐ"), conduct="Tốt") is None
    with pytest.raises(ValidationError):
        TT22.title(None, learning="Tốt", conduct="Tốt")  # Xuất sắc cannot be decided
    assert TT22.title(None, learning="Khá", conduct="Tốt") is None


def test_no_tien_tien_title_under_tt22() -> None:
    assert TT22.title(results(7, 7, 7, 7, 7, 7, 7, 7), conduct="Khá") is None
    assert "Học sinh Tiên tiến" not in TT22.titles


# ---------------------------------------------------------------- promotion (Điều 12–14)


@pytest.mark.parametrize(
    ("learning", "training", "expected"),
    [
        ("Tốt", "Tốt", Promotion.PROMOTED),
        ("Đạt", "Đạt", Promotion.PROMOTED),
        ("Chưa đạt", "Đạt", Promotion.REASSESS),
        ("Chưa đạt", "Tốt", Promotion.REASSESS),
        ("Tốt", "Chưa đạt", Promotion.SUMMER_TRAINING),
        ("Chưa đạt", "Chưa đạt", Promotion.SUMMER_TRAINING),
    ],
)
def test_promotion(learning: str, training: str, expected: Promotion) -> None:
    assert TT22.promotion(learning=learning, conduct=training, days_absent=10) is expected


def test_45_sessions_absent_is_allowed_46_is_not() -> None:
    assert TT22.promotion(learning="Đạt", conduct="Đạt", days_absent=45) is Promotion.PROMOTED
    assert TT22.promotion(learning="Đạt", conduct="Đạt", days_absent=46) is Promotion.REPEAT
    assert TT22.promotion(learning="Chưa đạt", conduct="Chưa đạt", days_absent=46) is Promotion.REPEAT


def test_promotion_rejects_tt58_labels() -> None:
    with pytest.raises(ValidationError):
        TT22.promotion(learning="Giỏi", conduct="Tốt", days_absent=0)


def test_grade_9_label_is_completion_of_the_programme() -> None:
    assert TT22.promotion_label(Promotion.PROMOTED, grade=9) == "Hoàn thành chương trình THCS"
    assert TT22.promotion_label(Promotion.PROMOTED, grade=8) == "Lên lớp"
    assert TT22.promotion_label("reassess", grade=8).startswith("Kiểm tra, đánh giá lại")
    assert TT22.promotion_label(Promotion.REPEAT, grade=9) == "Ở lại lớp"
    with pytest.raises(ValidationError):
        TT22.promotion_label(Promotion.PROMOTED, grade=10)


def test_summer_reassessment_replaces_year_average() -> None:
    data = results(6, 6, 6, 6, 6, 6, 6, 3.0)  # Chưa đạt, no adjustment (Đạt supported)
    assert TT22.retake_eligible(data) == ("tin_hoc",)
    out = TT22.after_summer(data, conduct="Khá", days_absent=2, retakes={"tin_hoc": 3.5})
    assert (out.before, out.promotion, out.learning) == (Promotion.REASSESS, Promotion.PROMOTED, "Đạt")
    out = TT22.after_summer(data, conduct="Khá", days_absent=2, retakes={"tin_hoc": 3.4})
    assert (out.promotion, out.learning) == (Promotion.REPEAT, "Chưa đạt")
    out = TT22.after_summer(data, conduct="Khá", days_absent=2)
    assert out.promotion is Promotion.REPEAT


def test_summer_reassessment_of_a_comment_subject() -> None:
    data = results(6, 6, 6, 6, 6, 6, 6, 6, gdtc="CĐ", nghe_thuat="CĐ")
    assert TT22.retake_eligible(data) == ("gdtc", "nghe_thuat")
    out = TT22.after_summer(data, conduct="Đạt", days_absent=0, retakes={"gdtc": "Đạt"})
    assert (out.learning, out.promotion) == ("Đạt", Promotion.PROMOTED)
    with pytest.raises(ValidationError):
        TT22.after_summer(data, conduct="Đạt", days_absent=0, retakes={"gdtc": 7})


def test_summer_training_then_reassessment() -> None:
    """MOET clarification (§2.6): after training rated Đạt, subjects can be re-assessed too."""
    data = results(6, 6, 6, 6, 6, 6, 6, 3.0)
    out = TT22.after_summer(
        data, conduct="Chưa đạt", days_absent=0, training_passed=True, retakes={"tin_hoc": 5}
    )
    assert (out.before, out.promotion, out.conduct, out.learning) == (
        Promotion.SUMMER_TRAINING,
        Promotion.PROMOTED,
        "Đạt",
        "Đạt",
    )
    out = TT22.after_summer(data, conduct="Chưa đạt", days_absent=0, training_passed=False)
    assert out.promotion is Promotion.REPEAT


def test_summer_training_alone() -> None:
    data = results(8, 8, 8, 8, 8, 8, 8, 8)
    out = TT22.after_summer(data, conduct="Chưa đạt", days_absent=0, training_passed=True)
    assert (out.promotion, out.conduct) == (Promotion.PROMOTED, "Đạt")
    with pytest.raises(ValidationError):  # nothing to re-assess
        TT22.after_summer(data, conduct="Chưa đạt", days_absent=0, training_passed=True, retakes={"toan": 9})


def test_no_summer_steps_for_promoted_or_absent_students() -> None:
    data = results(8, 8, 8, 8, 8, 8, 8, 8)
    out = TT22.after_summer(data, conduct="Tốt", days_absent=0)
    assert out.promotion is out.before is Promotion.PROMOTED
    with pytest.raises(ValidationError):
        TT22.after_summer(data, conduct="Tốt", days_absent=0, training_passed=True)
    weak = results(6, 6, 6, 6, 6, 6, 6, 3.0)
    with pytest.raises(ValidationError):
        TT22.after_summer(weak, conduct="Khá", days_absent=50, retakes={"tin_hoc": 9})


# ---------------------------------------------------------------- comment subjects, mark counts


@pytest.mark.parametrize(
    ("grades", "expected"),
    [
        (["Đ", "Đ", "Đ", "Đ"], "Đ"),
        (["Đạt", "Đạt", "Đạt", "Đạt", "Đạt"], "Đ"),
        (["Đ", "Đ", "Đ", "CĐ"], "CĐ"),
        (["CĐ", "Đ", "Đ", "Đ"], "CĐ"),  # 3/4 would pass the TT58 rule but not TT22's
        (["Đ", "Đ", "Đ"], "CĐ"),  # a required assessment is missing
    ],
)
def test_comment_term_result_all_must_be_dat(grades: list[str], expected: str) -> None:
    assert TT22.comment_term_result(grades, 4) == expected


def test_comment_term_result_input_checks() -> None:
    for bad_required in (0, -1, "4", True):
        with pytest.raises(ValidationError):
            TT22.comment_term_result(["Đ"], bad_required)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        TT22.comment_term_result("ĐĐĐĐ", 4)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        TT22.comment_term_result(["Đ", "Tốt"], 2)


def test_comment_year_result_is_semester_2() -> None:
    assert TT22.comment_year_result("CĐ", "Đ") == "Đ"
    assert TT22.comment_year_result("Đạt", "Chưa đạt") == "CĐ"


@pytest.mark.parametrize(
    ("lessons", "expected"),
    [(35, 2), (36, 3), (52, 3), (70, 3), (71, 4), (105, 4), (140, 4)],
)
def test_regular_count_by_lessons_per_year(lessons: int, expected: int) -> None:
    assert TT22.required_regular_count(lessons) == expected
    assert TT22.required_regular_count(lessons, comment=True) == 2


def test_averages_are_decimals() -> None:
    c = TT22.classify(results(8, 8, 8, 8, 8, 8, 8, 8))
    assert c.level == "Tốt"
    assert TT22.subject_results(results(8, 8, 8, 8, 8, 8, 8, 7.5))["tin_hoc"] == Decimal("7.5")
