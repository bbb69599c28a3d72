"""What the mark book is built from: the input dataclasses read by ``records.books.markbook.read_markbook``
(re-exported here) and the office's print options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from layouts.documents import Part
from records.books.markbook import (
    Absence,
    Inspection,
    InspectionLine,
    MarkBookInput,
    Period,
    StudentInput,
    SubjectInput,
    SubjectMarks,
    SummaryRow,
    YearOutcome,
)


@dataclass(frozen=True)
class PrintOptions:
    """How the office prints the book."""

    paper: Literal["a4", "a3"] = "a4"
    duplex: bool = False
    part: Part = "all"
    #: Section page counts of an earlier print of the same book (``plan_of(term1_document)``): the
    #: year print then binds with the term-I print even if rows grew taller since.
    plan: Mapping[str, int] | None = None


#: The options of a call that gives none: A4, one-sided, the whole book.
DEFAULT_OPTIONS = PrintOptions()

__all__ = [
    "DEFAULT_OPTIONS",
    "Absence",
    "Inspection",
    "InspectionLine",
    "MarkBookInput",
    "Period",
    "PrintOptions",
    "StudentInput",
    "SubjectInput",
    "SubjectMarks",
    "SummaryRow",
    "YearOutcome",
]
