"""The class mark book (Sổ gọi tên và ghi điểm / Sổ theo dõi và đánh giá học sinh), one package:

- ``inputs``: what it is built from (``records.books.markbook`` dataclasses) and ``PrintOptions``;
- ``vocabulary``: its printed words (the regulation's from ``records.rules``);
- ``pages``: the data of each page kind (cover, roll, attendance, marks, summaries, results, minutes);
- ``plan``: sections, measured pagination (``layouts.paginate``), ``build_markbook``/``render_markbook``.

Every name importable from ``layouts.markbook`` before the split still is.
"""

# ruff: noqa: F401 - this module re-exports the book's names (the same as before the split)
from __future__ import annotations

from layouts.documents import (
    REGIMES,
    BookDocument,
    BookMeta,
    Page,
    Part,
)
from layouts.errors import (
    RenderError,
)
from layouts.formatting import (
    dated_line,
    format_average,
    format_date,
    format_mark,
    format_percent,
    guardian_line,
    person,
)
from layouts.markbook.inputs import (
    Absence,
    Inspection,
    InspectionLine,
    MarkBookInput,
    Period,
    PrintOptions,
    StudentInput,
    SubjectInput,
    SubjectMarks,
    SummaryRow,
    YearOutcome,
)
from layouts.markbook.pages import (
    TERM1_MONTHS,
    TERM2_MONTHS,
    attendance_data,
    certification_data,
    class_info_data,
    cover_data,
    inspection_data,
    marks_data,
    minutes_page_data,
    minutes_page_month,
    results_data,
    results_entries,
    results_page,
    roll_data,
    student_note,
    summary_data,
)
from layouts.markbook.plan import (
    YEAR_RESERVE_ROWS,
    PageMaker,
    build_markbook,
    iter_pages,
    plan_from_pdf,
    plan_of,
    render_markbook,
)
from layouts.markbook.vocabulary import (
    _VOCAB,
    CORRECTION_LEGEND,
    CORRECTION_MARK,
    MINUTES_ARCHIVE_NOTE,
    MINUTES_SHORT_COLUMNS,
    WEEKDAYS,
    book_title,
)
from records.rules import (
    Promotion,
    ruleset,
)

__all__ = [
    "Absence",
    "Inspection",
    "InspectionLine",
    "MarkBookInput",
    "PrintOptions",
    "StudentInput",
    "SubjectInput",
    "SubjectMarks",
    "SummaryRow",
    "YearOutcome",
    "book_title",
    "build_markbook",
    "format_average",
    "format_date",
    "format_mark",
    "minutes_page_data",
    "minutes_page_month",
    "plan_from_pdf",
    "plan_of",
    "render_markbook",
]
