"""End-of-year decision: promoted, summer re-assessment, summer training, or repeat."""

from __future__ import annotations

from enum import StrEnum


class Promotion(StrEnum):
    """The end-of-year decision for one student (before or after the summer)."""

    PROMOTED = "promoted"
    REASSESS = "reassess"
    SUMMER_TRAINING = "summer_training"
    REPEAT = "repeat"

    @property
    def label_vi(self) -> str:
        """Generic Vietnamese label; use ``Ruleset.promotion_label`` for the regime/grade wording."""
        return _LABELS_VI[self]

    @property
    def final(self) -> bool:
        """True when no summer step remains (promoted or repeat)."""
        return self in (Promotion.PROMOTED, Promotion.REPEAT)


_LABELS_VI = {
    Promotion.PROMOTED: "Lên lớp",
    Promotion.REASSESS: "Kiểm tra lại",
    Promotion.SUMMER_TRAINING: "Rèn luyện trong kì nghỉ hè",
    Promotion.REPEAT: "Ở lại lớp",
}
