"""The three assessment regimes of lower-secondary schools.

* ``tt58``: Thông tư 58/2011/TT-BGDĐT as originally issued (to the 2019-20 school year);
* ``tt26``: TT58 as amended by Thông tư 26/2020/TT-BGDĐT (2006-programme classes, 2020-21 on);
* ``tt22``: Thông tư 22/2021/TT-BGDĐT (2018-programme classes).

Section numbers (§) refer to shared/domain/REGULATIONS.md; the choices made where that text is
uncertain are listed in docs/REGULATIONS-DECISIONS.md.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

from records.errors import ValidationError
from records.rules.promotion import Promotion
from records.rules.values import (
    FAIL,
    PASS,
    parse_comment,
    parse_mark,
    parse_marks,
    parse_subject_result,
    round_half_up,
    weighted_average,
)

TT58 = "tt58"
TT26 = "tt26"
TT22 = "tt22"

MAX_DAYS_ABSENT = 45  # more than 45 sessions absent in the year -> repeat (§1.9, §2.6)
COMMENT_REGULAR_COUNT = 2  # regular assessments per semester of a comment subject
_TEN = Decimal("10.0")
_RETAKE_BELOW = Decimal("5.0")  # scored subjects with a year average below 5.0 may be retaken

SubjectResults = Mapping[str, object]


@dataclass(frozen=True)
class Vocabulary:
    """The words the printed books use for one regulation's results (D-LBL-3: one place per
    regulation; ``Ruleset.vocabulary``). Layouts read them from here and never spell them again."""

    conduct: str  # the conduct / training result: "Hạnh kiểm" | "Kết quả rèn luyện"
    learning: str  # the learning result: "Học lực" | "Kết quả học tập"
    award: str  # the heading of the title (danh hiệu) line of the transcript
    subject: str  # the subject column of the transcript
    reassessed: str  # the summer re-assessment column of the transcript
    subject_sign: str  # the transcript's last column: the subject teacher's comment and signature
    summer: str  # the transcript's line of the summer re-assessment / training result
    grade9_question: str  # the transcript's decision line in grade 9
    grade9_done: str  # a grade-9 student promoted (D-LBL-2), in every book
    grade9_not_done: str  # a grade-9 student who is not

    def decision(self, decision: Promotion | str, grade: int) -> str:
        """A promotion decision as the transcript's decision line words it ("Được lên lớp", grade 9:
        the programme completed or the graduation review); the summer cases as ``promotion_label``."""
        value = Promotion(decision)
        if value is Promotion.PROMOTED:
            return self.grade9_done if grade == 9 else "Được lên lớp"
        if value is Promotion.REPEAT:
            return self.grade9_not_done if grade == 9 else "Không được lên lớp"
        raise ValueError(f"{value} has no transcript wording of its own")


_VOCABULARY_TT58 = Vocabulary(
    conduct="Hạnh kiểm",
    learning="Học lực",
    award="Danh hiệu",
    subject="Môn học",
    reassessed="Điểm hoặc xếp loại kiểm tra lại (nếu có)",
    subject_sign="Giáo viên bộ môn ký xác nhận ĐTB môn học hoặc xếp loại và ghi rõ họ tên",
    summer="Kết quả kiểm tra lại hoặc rèn luyện hạnh kiểm trong kì nghỉ hè (nếu có)",
    grade9_question="Được hoặc không được xét công nhận tốt nghiệp THCS",
    grade9_done="Được xét công nhận tốt nghiệp THCS",
    grade9_not_done="Không được xét công nhận tốt nghiệp THCS",
)
_VOCABULARY_TT22 = Vocabulary(
    conduct="Kết quả rèn luyện",
    learning="Kết quả học tập",
    award="Khen thưởng",
    subject="Môn học/Hoạt động giáo dục",
    reassessed="Điểm hoặc mức đánh giá lại (nếu có)",
    subject_sign="Nhận xét sự tiến bộ, ưu điểm nổi bật, hạn chế chủ yếu (nếu có) và chữ ký của giáo viên môn học",
    summer="Kết quả đánh giá lại môn học hoặc rèn luyện trong kì nghỉ hè (nếu có)",
    grade9_question="Hoàn thành hoặc chưa hoàn thành chương trình THCS",
    grade9_done="Hoàn thành chương trình THCS",
    grade9_not_done="Chưa hoàn thành chương trình THCS",
)


@dataclass(frozen=True)
class Classification:
    """Learning result (học lực / kết quả học tập) with the reason for any adjustment."""

    level: str
    raw_level: str
    adjusted: bool
    overall_average: Decimal | None
    #: Level the student would have reached had ``adjustment_subject`` been satisfactory.
    supported_level: str | None = None
    #: The single subject that pulled the result down two or more levels (when adjusted).
    adjustment_subject: str | None = None


@dataclass(frozen=True)
class SummerOutcome:
    """The decision taken again after summer re-assessment and/or summer training."""

    promotion: Promotion
    before: Promotion
    learning: str
    conduct: str
    classification: Classification
    averages: Mapping[str, Decimal | str] = field(compare=False)
    retaken: tuple[str, ...] = ()


def _label_error(kind_vi: str, kind_en: str, value: object, allowed: Iterable[str]) -> ValidationError:
    allowed = tuple(allowed)
    return ValidationError(
        f"{kind_vi} không hợp lệ: {value!r} (phải là một trong: {', '.join(allowed)}).",
        f"invalid {kind_en}: {value!r} (expected one of {', '.join(allowed)})",
    )


def _normalize_label(value: object, allowed: tuple[str, ...], kind_vi: str, kind_en: str) -> str:
    if isinstance(value, str):
        wanted = " ".join(unicodedata.normalize("NFC", value).split()).casefold()
        for label in allowed:
            if label.casefold() == wanted:
                return label
    raise _label_error(kind_vi, kind_en, value, allowed)


def _check_days_absent(days_absent: object) -> int:
    if isinstance(days_absent, bool) or not isinstance(days_absent, int) or days_absent < 0:
        raise ValidationError(
            f"Số buổi nghỉ học không hợp lệ: {days_absent!r} (phải là số nguyên không âm).",
            f"invalid number of sessions absent: {days_absent!r} (must be a non-negative integer)",
        )
    return days_absent


def _check_grade(grade: object) -> int:
    if isinstance(grade, bool) or not isinstance(grade, int) or not 6 <= grade <= 9:
        raise ValidationError(
            f"Khối lớp không hợp lệ: {grade!r} (THCS gồm các khối 6, 7, 8, 9).",
            f"invalid grade: {grade!r} (lower-secondary grades are 6 to 9)",
        )
    return grade


class Ruleset:
    """Assessment rules of one regime; obtain instances with ``records.rules.ruleset(name)``."""

    name: str = ""
    circular_vi: str = ""
    #: The words of the printed books under this regulation.
    vocabulary: Vocabulary = _VOCABULARY_TT22
    learning_levels: tuple[str, ...] = ()
    conduct_levels: tuple[str, ...] = ()
    key_subjects: tuple[str, ...] = ()
    #: True when "periodic" is the single mid-term assessment (TT26, TT22).
    single_periodic: bool = True
    #: Conduct/training level given to a student whose summer training is completed.
    conduct_after_training: str = ""
    #: Lowest learning and conduct levels that allow promotion.
    min_learning_for_promotion: str = ""
    min_conduct_for_promotion: str = ""
    titles: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"ruleset({self.name!r})"

    # ------------------------------------------------------------------ marks and averages

    def term_average(
        self,
        *,
        regular: Iterable[object] | None = (),
        periodic: object = (),
        final: object = None,
        midterm: object = None,
    ) -> Decimal:
        """Semester subject average (ĐTBmhk): weights 1, 2, 3, rounded half up to 0.1."""
        regular_marks = parse_marks(regular, "Điểm thường xuyên", "regular mark")
        if midterm is not None:
            if periodic not in ((), None, []):
                raise ValidationError(
                    "Chỉ nhập điểm giữa kì một lần (periodic hoặc midterm).",
                    "give the mid-term either as periodic or as midterm, not both",
                )
            periodic = midterm
        periodic_marks = self._periodic_marks(periodic)
        if final is None:
            raise ValidationError(
                "Thiếu điểm kiểm tra, đánh giá cuối kì (học kì): không tính được điểm trung bình môn.",
                "the end-of-term (semester exam) mark is missing: cannot compute the term average",
            )
        final_mark = parse_mark(final, "Điểm cuối kì", "end-of-term mark")
        weighted = [(m, 1) for m in regular_marks] + [(m, 2) for m in periodic_marks] + [(final_mark, 3)]
        return weighted_average(weighted)

    def _periodic_marks(self, periodic: object) -> list[Decimal]:
        if periodic is None or isinstance(periodic, int | float | str | Decimal):
            marks = [] if periodic is None else [parse_mark(periodic, "Điểm giữa kì", "mid-term mark")]
        else:
            marks = parse_marks(periodic, "Điểm định kì/giữa kì", "periodic mark")
        if self.single_periodic and len(marks) != 1:
            raise ValidationError(
                f"{self.circular_vi}: mỗi học kì có đúng một điểm kiểm tra, đánh giá giữa kì "
                f"(nhận được {len(marks)}).",
                f"{self.name}: exactly one mid-term mark per semester is required (got {len(marks)})",
            )
        return marks

    def year_average(self, term1: object, term2: object) -> Decimal:
        """Year subject average (ĐTBmcn) = (HKI + 2·HKII) / 3 from the rounded term averages."""
        a = parse_mark(term1, "Điểm trung bình học kì I", "semester 1 average")
        b = parse_mark(term2, "Điểm trung bình học kì II", "semester 2 average")
        return weighted_average([(a, 1), (b, 2)])

    def required_regular_count(self, lessons_per_year: int, *, comment: bool = False) -> int:
        """Minimum number of regular marks per semester for a subject with this many lessons a year."""
        if (
            isinstance(lessons_per_year, bool)
            or not isinstance(lessons_per_year, int)
            or lessons_per_year < 1
        ):
            raise ValidationError(
                f"Số tiết/năm học không hợp lệ: {lessons_per_year!r} (phải là số nguyên dương).",
                f"invalid lessons per year: {lessons_per_year!r} (must be a positive integer)",
            )
        if comment:
            return COMMENT_REGULAR_COUNT
        return self._regular_count(lessons_per_year)

    def _regular_count(self, lessons_per_year: int) -> int:
        # TT26 and TT22: by lessons per school year (§1.3, §2.2).
        if lessons_per_year <= 35:
            return 2
        if lessons_per_year <= 70:
            return 3
        return 4

    # ------------------------------------------------------------------ comment subjects

    def comment_term_result(
        self, assessments: Iterable[object], required: int, *, final: object = None
    ) -> str:
        """Semester result ("Đ"/"CĐ") of a comment-assessed subject from its assessments."""
        if isinstance(assessments, str) or not isinstance(assessments, Iterable):
            raise ValidationError(
                "Cần một danh sách kết quả đánh giá (Đ/CĐ).",
                f"expected a list of comment grades, got {assessments!r}",
            )
        grades = [parse_comment(a) for a in assessments]
        if final is not None:
            grades.append(parse_comment(final))
        if isinstance(required, bool) or not isinstance(required, int) or required < 1:
            raise ValidationError(
                f"Số lần đánh giá bắt buộc không hợp lệ: {required!r}.",
                f"invalid required number of assessments: {required!r}",
            )
        if len(grades) < required:
            return FAIL
        return PASS if self._comment_term_pass(grades) else FAIL

    def _comment_term_pass(self, grades: list[str]) -> bool:
        raise NotImplementedError

    def comment_year_result(self, term1: object, term2: object) -> str:
        """Year result of a comment subject: the semester 2 result."""
        parse_comment(term1)
        return parse_comment(term2)

    # ------------------------------------------------------------------ learning result

    def normalize_learning(self, label: object) -> str:
        """Validate a learning level label of this regime (case-insensitive)."""
        return _normalize_label(label, self.learning_levels, "Mức xếp loại học tập", "learning level")

    def normalize_conduct(self, label: object) -> str:
        """Validate a conduct/training level label of this regime (case-insensitive)."""
        return _normalize_label(label, self.conduct_levels, self._conduct_kind_vi, "conduct level")

    _conduct_kind_vi = "Mức hạnh kiểm"

    def subject_results(self, averages: SubjectResults) -> dict[str, Decimal | str]:
        """Validate {subject_code: average or Đ/CĐ}; numbers become Decimals, comments "Đ"/"CĐ"."""
        if not isinstance(averages, Mapping) or not averages:
            raise ValidationError(
                "Cần kết quả của các môn học để xếp loại.",
                "subject results are required for classification",
            )
        return {str(code): parse_subject_result(value, str(code)) for code, value in averages.items()}

    def _split(self, averages: SubjectResults) -> tuple[dict[str, Decimal], dict[str, str]]:
        results = self.subject_results(averages)
        scored = {c: v for c, v in results.items() if isinstance(v, Decimal)}
        comments = {c: v for c, v in results.items() if isinstance(v, str)}
        self._check_complete(scored, comments)
        return scored, comments

    def _check_complete(self, scored: dict[str, Decimal], comments: dict[str, str]) -> None:
        raise NotImplementedError

    def overall_average(self, averages: SubjectResults) -> Decimal | None:
        """Plain mean of the scored subjects' averages, rounded (ĐTBhk/ĐTBcn); None under TT22."""
        return None

    def _overall(self, scored: dict[str, Decimal]) -> Decimal | None:
        return None

    def _raw_level(
        self, scored: dict[str, Decimal], comments: dict[str, str], overall: Decimal | None
    ) -> int:
        """Index in ``learning_levels`` (0 = best) from the thresholds alone, without adjustment."""
        raise NotImplementedError

    def classify(self, averages: SubjectResults) -> Classification:
        """Learning result with the single-subject adjustment (§1.6 Điều 13 khoản 6, §2.4 Điều 9 khoản 3).

        The result is raised by one level when it is two or more levels below the level that a
        single subject's satisfactory result would give (that subject at 10.0 or Đ, every other
        value, including the overall average, unchanged), provided that level is one of the two
        best (Giỏi/Khá, Tốt/Khá).
        """
        scored, comments = self._split(averages)
        overall = self._overall(scored)
        raw = self._raw_level(scored, comments, overall)
        best: tuple[int, str] | None = None
        for code in sorted(scored.keys() | comments.keys()):
            if code in scored:
                if scored[code] == _TEN:
                    continue
                level = self._raw_level({**scored, code: _TEN}, comments, overall)
            else:
                if comments[code] == PASS:
                    continue
                level = self._raw_level(scored, {**comments, code: PASS}, overall)
            if best is None or level < best[0]:
                best = (level, code)
        levels = self.learning_levels
        if best is not None and raw - best[0] >= 2 and best[0] <= 1:
            return Classification(
                level=levels[raw - 1],
                raw_level=levels[raw],
                adjusted=True,
                overall_average=overall,
                supported_level=levels[best[0]],
                adjustment_subject=best[1],
            )
        return Classification(levels[raw], levels[raw], False, overall)

    def learning_result(self, averages: SubjectResults) -> str:
        """Learning level (học lực / kết quả học tập) of a semester or a year."""
        return self.classify(averages).level

    def retake_eligible(self, averages: SubjectResults) -> tuple[str, ...]:
        """Subjects that may be re-assessed in summer: year average below 5.0 or graded CĐ."""
        results = self.subject_results(averages)
        return tuple(
            sorted(
                code
                for code, value in results.items()
                if value == FAIL or (isinstance(value, Decimal) and value < _RETAKE_BELOW)
            )
        )

    # ------------------------------------------------------------------ conduct / training

    def year_conduct(self, term1: object, term2: object) -> str:
        """Year conduct (hạnh kiểm) or training result (kết quả rèn luyện) from the two semesters."""
        raise NotImplementedError

    # ------------------------------------------------------------------ titles

    def title(
        self,
        averages: SubjectResults | None = None,
        *,
        learning: object = None,
        conduct: object,
    ) -> str | None:
        """Title (danh hiệu) for the given results, or None."""
        raise NotImplementedError

    def _learning_from(self, averages: SubjectResults | None, learning: object) -> str:
        if learning is not None:
            return self.normalize_learning(learning)
        if averages is None:
            raise ValidationError(
                "Cần kết quả học tập hoặc điểm các môn để xét danh hiệu.",
                "either the learning level or the subject averages are required",
            )
        return self.learning_result(averages)

    # ------------------------------------------------------------------ promotion

    def promotion(self, *, learning: object, conduct: object, days_absent: int) -> Promotion:
        """End-of-year decision from the year learning level, conduct level and sessions absent."""
        learning_level = self.learning_levels.index(self.normalize_learning(learning))
        conduct_level = self.conduct_levels.index(self.normalize_conduct(conduct))
        if _check_days_absent(days_absent) > MAX_DAYS_ABSENT:
            return Promotion.REPEAT
        return self._promotion(learning_level, conduct_level)

    def _promotion(self, learning: int, conduct: int) -> Promotion:
        raise NotImplementedError

    def after_summer(
        self,
        averages: SubjectResults,
        *,
        conduct: object,
        days_absent: int,
        retakes: Mapping[str, object] | None = None,
        training_passed: bool | None = None,
    ) -> SummerOutcome:
        """Decide again after the summer: retake results replace year averages, training lifts conduct.

        ``averages`` are the year results before the summer, ``conduct`` the year conduct
        (training result) before the summer, ``retakes`` {subject_code: retake mark or Đ/CĐ}
        and ``training_passed`` whether the summer training tasks were completed.
        """
        results = self.subject_results(averages)
        conduct_label = self.normalize_conduct(conduct)
        classification = self.classify(results)
        before = self.promotion(learning=classification.level, conduct=conduct_label, days_absent=days_absent)
        retakes = dict(retakes or {})
        if before.final:
            if retakes or training_passed is not None:
                raise ValidationError(
                    f"Học sinh thuộc diện «{self.promotion_label(before)}», không kiểm tra lại hay "
                    "rèn luyện trong hè.",
                    f"the decision is already final ({before.value}): no summer re-assessment or training",
                )
            return SummerOutcome(
                before, before, classification.level, conduct_label, classification, MappingProxyType(results)
            )
        decision = before
        if before is Promotion.SUMMER_TRAINING:
            if training_passed is None:
                raise ValidationError(
                    "Cần kết quả rèn luyện trong kì nghỉ hè (hoàn thành hay không).",
                    "the outcome of the summer training is required",
                )
            if not training_passed:
                if retakes:
                    raise self._no_retake_error()
                return SummerOutcome(
                    Promotion.REPEAT,
                    before,
                    classification.level,
                    conduct_label,
                    classification,
                    MappingProxyType(results),
                )
            conduct_label = self.conduct_after_training
            decision = self.promotion(
                learning=classification.level, conduct=conduct_label, days_absent=days_absent
            )
        elif training_passed is not None:
            raise ValidationError(
                "Học sinh không thuộc diện rèn luyện trong kì nghỉ hè.",
                "student was not required to do summer training",
            )
        if decision is not Promotion.REASSESS:
            if retakes:
                raise self._no_retake_error()
            return SummerOutcome(
                decision,
                before,
                classification.level,
                conduct_label,
                classification,
                MappingProxyType(results),
            )
        eligible = set(self.retake_eligible(results))
        new_results = dict(results)
        for code, value in retakes.items():
            if code not in eligible:
                raise ValidationError(
                    f"Môn {code} không thuộc diện kiểm tra lại (chỉ các môn có điểm trung bình cả năm "
                    "dưới 5,0 hoặc đánh giá Chưa đạt).",
                    f"subject {code} is not eligible for re-assessment (year average < 5.0 or CĐ only)",
                )
            if isinstance(results[code], Decimal):
                new_results[code] = parse_mark(value, f"Điểm kiểm tra lại môn {code}", f"retake of {code}")
            else:
                new_results[code] = parse_comment(value)
        classification = self.classify(new_results)
        decision = self.promotion(
            learning=classification.level, conduct=conduct_label, days_absent=days_absent
        )
        if not decision.final:
            decision = Promotion.REPEAT
        return SummerOutcome(
            decision,
            before,
            classification.level,
            conduct_label,
            classification,
            MappingProxyType(new_results),
            tuple(sorted(retakes)),
        )

    def _no_retake_error(self) -> ValidationError:
        return ValidationError(
            "Học sinh không thuộc diện kiểm tra lại trong hè.",
            "student is not eligible for summer re-assessment",
        )

    def promotion_label(self, decision: Promotion | str, *, grade: int | None = None) -> str:
        """Vietnamese wording of a decision for this regime (and grade, for grade 9)."""
        decision = Promotion(decision)
        if grade is not None:
            _check_grade(grade)
        return self._promotion_label(decision, grade)

    def _promotion_label(self, decision: Promotion, grade: int | None) -> str:
        return decision.label_vi


# ---------------------------------------------------------------------- TT58 and TT26


class TT58Rules(Ruleset):
    """Thông tư 58/2011/TT-BGDĐT as originally issued."""

    name = TT58
    circular_vi = "Thông tư 58/2011/TT-BGDĐT"
    vocabulary = _VOCABULARY_TT58
    learning_levels = ("Giỏi", "Khá", "Trung bình", "Yếu", "Kém")
    conduct_levels = ("Tốt", "Khá", "Trung bình", "Yếu")
    key_subjects = ("toan", "ngu_van")
    single_periodic = False
    conduct_after_training = "Trung bình"
    titles = ("Học sinh Giỏi", "Học sinh Tiên tiến")

    # (overall average, best key subject, every scored subject) minimums; comments all Đ.
    _THRESHOLDS = (
        (Decimal("8.0"), Decimal("8.0"), Decimal("6.5")),
        (Decimal("6.5"), Decimal("6.5"), Decimal("5.0")),
        (Decimal("5.0"), Decimal("5.0"), Decimal("3.5")),
    )
    _WEAK = (Decimal("3.5"), Decimal("2.0"))  # Yếu: overall >= 3.5, every subject >= 2.0

    def _regular_count(self, lessons_per_year: int) -> int:
        # Original TT58 Điều 8: by lessons per week (35 school weeks a year).
        per_week = Fraction(lessons_per_year, 35)
        if per_week <= 1:
            return 2
        if per_week < 3:
            return 3
        return 4

    def _comment_term_pass(self, grades: list[str]) -> bool:
        # §1.5: at least 2/3 of the tests Đ, the semester exam (the last one) among them.
        return grades[-1] == PASS and 3 * grades.count(PASS) >= 2 * len(grades)

    def _check_complete(self, scored: dict[str, Decimal], comments: dict[str, str]) -> None:
        for code in ("toan", "ngu_van"):
            if code not in scored:
                kind = "được đánh giá bằng nhận xét" if code in comments else "thiếu"
                raise ValidationError(
                    f"Không xếp loại học lực được: môn {code} {kind}, cần điểm trung bình môn.",
                    f"cannot classify: the average of {code} is missing or not a score",
                )
        for code in self.key_subjects:
            if code in comments:
                raise ValidationError(
                    f"Môn {code} phải được đánh giá bằng điểm số.",
                    f"subject {code} must be assessed by score",
                )

    def overall_average(self, averages: SubjectResults) -> Decimal | None:
        """Plain mean of the scored subjects' averages, rounded half up to 0.1 (ĐTBhk/ĐTBcn)."""
        scored, _ = self._split(averages)
        return self._overall(scored)

    def _overall(self, scored: dict[str, Decimal]) -> Decimal | None:
        return round_half_up(Fraction(sum(scored.values(), Decimal(0))) / len(scored))

    def _raw_level(
        self, scored: dict[str, Decimal], comments: dict[str, str], overall: Decimal | None
    ) -> int:
        assert overall is not None
        best_key = max(scored[k] for k in self.key_subjects if k in scored)
        lowest = min(scored.values())
        all_pass = all(v == PASS for v in comments.values())
        for index, (avg_min, key_min, each_min) in enumerate(self._THRESHOLDS):
            if overall >= avg_min and best_key >= key_min and lowest >= each_min and all_pass:
                return index
        if overall >= self._WEAK[0] and lowest >= self._WEAK[1]:
            return 3
        return 4

    def year_conduct(self, term1: object, term2: object) -> str:
        """Year conduct = semester 2 conduct (TT58 bases it mainly on HKII; the GVCN may propose otherwise)."""
        self.normalize_conduct(term1)
        return self.normalize_conduct(term2)

    def title(
        self,
        averages: SubjectResults | None = None,
        *,
        learning: object = None,
        conduct: object,
    ) -> str | None:
        """Học sinh Giỏi (conduct Tốt, learning Giỏi) or Học sinh Tiên tiến (both Khá or better)."""
        conduct_label = self.normalize_conduct(conduct)
        learning_label = self._learning_from(averages, learning)
        if conduct_label == "Tốt" and learning_label == "Giỏi":
            return "Học sinh Giỏi"
        if conduct_label in ("Tốt", "Khá") and learning_label in ("Giỏi", "Khá"):
            return "Học sinh Tiên tiến"
        return None

    def _promotion(self, learning: int, conduct: int) -> Promotion:
        # learning: 0 Giỏi .. 4 Kém; conduct: 0 Tốt .. 3 Yếu (§1.9).
        if learning == 4 or (learning == 3 and conduct == 3):
            return Promotion.REPEAT
        if learning == 3:
            return Promotion.REASSESS
        if conduct == 3:
            return Promotion.SUMMER_TRAINING
        return Promotion.PROMOTED

    def _promotion_label(self, decision: Promotion, grade: int | None) -> str:
        if decision is Promotion.PROMOTED and grade == 9:
            return self.vocabulary.grade9_done  # D-LBL-2: the học bạ's wording, in every book
        return {
            Promotion.PROMOTED: "Lên lớp",
            Promotion.REASSESS: "Kiểm tra lại trong hè",
            Promotion.SUMMER_TRAINING: "Rèn luyện hạnh kiểm trong kì nghỉ hè",
            Promotion.REPEAT: "Ở lại lớp",
        }[decision]


class TT26Rules(TT58Rules):
    """TT58 as amended by Thông tư 26/2020/TT-BGDĐT (2020-21 on, 2006-programme classes)."""

    name = TT26
    circular_vi = "Thông tư 58/2011/TT-BGDĐT (sửa đổi, bổ sung bởi Thông tư 26/2020/TT-BGDĐT)"
    key_subjects = ("toan", "ngu_van", "ngoai_ngu")
    single_periodic = True

    def _regular_count(self, lessons_per_year: int) -> int:
        return Ruleset._regular_count(self, lessons_per_year)


# ---------------------------------------------------------------------- TT22

_TT22_YEAR_TRAINING = {
    # (HKII, HKI) -> year, Điều 8 khoản 2 (see docs/REGULATIONS-DECISIONS.md).
    ("Tốt", "Tốt"): "Tốt",
    ("Tốt", "Khá"): "Tốt",
    ("Tốt", "Đạt"): "Khá",
    ("Tốt", "Chưa đạt"): "Khá",
    ("Khá", "Tốt"): "Khá",
    ("Khá", "Khá"): "Khá",
    ("Khá", "Đạt"): "Khá",
    ("Khá", "Chưa đạt"): "Đạt",
    ("Đạt", "Tốt"): "Khá",
    ("Đạt", "Khá"): "Đạt",
    ("Đạt", "Đạt"): "Đạt",
    ("Đạt", "Chưa đạt"): "Đạt",
    ("Chưa đạt", "Tốt"): "Chưa đạt",
    ("Chưa đạt", "Khá"): "Chưa đạt",
    ("Chưa đạt", "Đạt"): "Chưa đạt",
    ("Chưa đạt", "Chưa đạt"): "Chưa đạt",
}


class TT22Rules(Ruleset):
    """Thông tư 22/2021/TT-BGDĐT."""

    name = TT22
    circular_vi = "Thông tư 22/2021/TT-BGDĐT"
    vocabulary = _VOCABULARY_TT22
    learning_levels = ("Tốt", "Khá", "Đạt", "Chưa đạt")
    conduct_levels = ("Tốt", "Khá", "Đạt", "Chưa đạt")
    key_subjects = ()
    single_periodic = True
    conduct_after_training = "Đạt"
    titles = ("Học sinh Xuất sắc", "Học sinh Giỏi")
    _conduct_kind_vi = "Mức kết quả rèn luyện"

    MIN_SCORED_SUBJECTS = 6  # every level counts "at least 6 subjects"
    _EIGHT = Decimal("8.0")
    _NINE = Decimal("9.0")
    _SIX_FIVE = Decimal("6.5")
    _FIVE = Decimal("5.0")
    _THREE_FIVE = Decimal("3.5")

    def _comment_term_pass(self, grades: list[str]) -> bool:
        # §2.3: every required assessment taken and every one Đạt.
        return all(g == PASS for g in grades)

    def _check_complete(self, scored: dict[str, Decimal], comments: dict[str, str]) -> None:
        if len(scored) < self.MIN_SCORED_SUBJECTS:
            raise ValidationError(
                f"Không xếp loại kết quả học tập được: cần điểm trung bình của ít nhất "
                f"{self.MIN_SCORED_SUBJECTS} môn đánh giá bằng điểm số (có {len(scored)}).",
                f"cannot classify under TT22: at least {self.MIN_SCORED_SUBJECTS} scored subjects "
                f"are required (got {len(scored)})",
            )

    def _raw_level(
        self, scored: dict[str, Decimal], comments: dict[str, str], overall: Decimal | None
    ) -> int:
        values = list(scored.values())
        lowest = min(values)
        failed_comments = sum(1 for v in comments.values() if v == FAIL)
        need = self.MIN_SCORED_SUBJECTS
        if (
            failed_comments == 0
            and lowest >= self._SIX_FIVE
            and sum(v >= self._EIGHT for v in values) >= need
        ):
            return 0
        if failed_comments == 0 and lowest >= self._FIVE and sum(v >= self._SIX_FIVE for v in values) >= need:
            return 1
        if (
            failed_comments <= 1
            and lowest >= self._THREE_FIVE
            and sum(v >= self._FIVE for v in values) >= need
        ):
            return 2
        return 3

    def year_conduct(self, term1: object, term2: object) -> str:
        """Year training result from the semesters (Điều 8 khoản 2 table)."""
        first = self.normalize_conduct(term1)
        second = self.normalize_conduct(term2)
        return _TT22_YEAR_TRAINING[(second, first)]

    def title(
        self,
        averages: SubjectResults | None = None,
        *,
        learning: object = None,
        conduct: object,
    ) -> str | None:
        """Học sinh Xuất sắc (Tốt/Tốt and >= 6 scored subjects >= 9.0) or Học sinh Giỏi (Tốt/Tốt)."""
        conduct_label = self.normalize_conduct(conduct)
        learning_label = self._learning_from(averages, learning)
        if conduct_label != "Tốt" or learning_label != "Tốt":
            return None
        if averages is None:
            raise ValidationError(
                "Cần điểm trung bình các môn để xét danh hiệu Học sinh Xuất sắc.",
                "subject averages are required to decide the Xuất sắc title",
            )
        scored, _ = self._split(averages)
        if sum(v >= self._NINE for v in scored.values()) >= self.MIN_SCORED_SUBJECTS:
            return "Học sinh Xuất sắc"
        return "Học sinh Giỏi"

    def _promotion(self, learning: int, conduct: int) -> Promotion:
        # learning and training: 0 Tốt, 1 Khá, 2 Đạt, 3 Chưa đạt (§2.6).
        if conduct == 3:
            return Promotion.SUMMER_TRAINING
        if learning == 3:
            return Promotion.REASSESS
        return Promotion.PROMOTED

    def _promotion_label(self, decision: Promotion, grade: int | None) -> str:
        if decision is Promotion.PROMOTED and grade == 9:
            return self.vocabulary.grade9_done
        return {
            Promotion.PROMOTED: "Lên lớp",
            Promotion.REASSESS: "Kiểm tra, đánh giá lại trong kì nghỉ hè",
            Promotion.SUMMER_TRAINING: "Rèn luyện trong kì nghỉ hè",
            Promotion.REPEAT: "Ở lại lớp",
        }[decision]
