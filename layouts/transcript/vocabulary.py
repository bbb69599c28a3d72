"""The transcript's printed words: the labels of a year section and the decision line come from the
regulation of that year (``records.rules`` ``Ruleset.vocabulary``, D-LBL-3); the form's own words
(BOOKS.md §2.2: periods, the absence line, the copy mark) are spelled here, and only here."""

from __future__ import annotations

from layouts.transcript.inputs import (
    CorrectionNote,
    YearRecord,
)
from records.rules import Promotion, ruleset

TT22_FORM_NOTE = (
    "(Mẫu ban hành kèm theo Thông tư số 22/2021/TT-BGDĐT ngày 20 tháng 7 năm 2021 "
    "của Bộ trưởng Bộ Giáo dục và Đào tạo)"
)
COPY_MARK = "BẢN SAO"
#: The book's title (its documents' ``book.title``).
BOOK_TITLE = "HỌC BẠ TRUNG HỌC CƠ SỞ"


def _labels(regime: str) -> dict[str, str]:
    """Column and row labels of a year section: the regulation's words (``Ruleset.vocabulary``,
    D-LBL-3) and the form's own (BOOKS.md §2.2)."""
    rules = ruleset(regime)
    v = rules.vocabulary
    return {
        "subject": v.subject,
        "term1": "Học kì I",
        "term2": "Học kì II",
        "year": "Cả năm",
        "reassessed": v.reassessed,
        "comment": v.subject_sign,
        "conduct": v.conduct,
        "learning": v.learning,
        "absent": "Tổng số buổi nghỉ học cả năm",
        "summer": v.summer,
        "decision": "Được lên lớp hoặc không được lên lớp",
        "decision9": v.grade9_question,
        "title": v.award,
        "circular": rules.circular_vi,
    }


def decision_text(year: YearRecord) -> str:
    """The promotion decision as the form words it for the year's regime and grade."""
    decision = year.final_promotion or year.promotion
    if not decision:
        return ""
    value = Promotion(decision)
    rules = ruleset(year.regime)
    if value in (Promotion.PROMOTED, Promotion.REPEAT):
        return rules.vocabulary.decision(value, year.grade)
    return rules.promotion_label(value, grade=year.grade)


def correction_text(note: CorrectionNote) -> str:
    """The note under the subject table, filled from the trace."""
    subjects = ", ".join(note.subjects) if note.count and note.subjects else "không"
    return f"Trong bảng này có sửa chữa ở: {note.count} chỗ, thuộc các môn học: {subjects}."
