"""Học bạ THCS (the student transcript), one package: ``inputs`` (``records.books.transcript``
dataclasses), ``vocabulary`` (its printed words, per regulation from ``records.rules``), ``pages`` (cover,
identity page, a year's subject table and results page), ``plan`` (measured page plan, ``build_transcript``,
``render_transcript``, ``print_transcript``, ``publish_transcript``; ``transcript_flows`` and
``prefetch_measurements``: several builds' measurements in one compile). Every name importable from
``layouts.transcript`` before the split still is.
"""

# ruff: noqa: F401 - this module re-exports the book's names (the same as before the split)
from __future__ import annotations

from layouts.documents import (
    BookDocument,
    BookMeta,
    Page,
    Side,
)
from layouts.errors import (
    RenderError,
)
from layouts.formatting import (
    format_average as fmt_result,  # the transcript's name for it before the split
)
from layouts.formatting import (
    format_date as fmt_date,
)
from layouts.paginate import (
    SLACK_PT,
    Flow,
    measure,
    pack,
)
from layouts.photo import (
    photo_svg,
)
from layouts.transcript.inputs import (
    CorrectionLookup,
    CorrectionNote,
    Identity,
    Place,
    SubjectLine,
    TranscriptInput,
    YearRecord,
)
from layouts.transcript.pages import (
    IDENTITY_UNITS,
    RESULT_UNITS,
    SIGN_MAX_MM,
    SIGN_MM,
    long_date,
    register_label,
    school_short,
    school_upper,
)
from layouts.transcript.plan import (
    PLANNED_YEAR_PAGES,
    PT_PER_MM,
    TEMPLATE,
    build_transcript,
    prefetch_measurements,
    print_transcript,
    publish_transcript,
    render_transcript,
    transcript_flows,
    with_corrections,
)
from layouts.transcript.vocabulary import (
    COPY_MARK,
    TT22_FORM_NOTE,
    correction_text,
    decision_text,
)
from records.errors import (
    NotFoundError,
    ValidationError,
)
from records.rules import (
    Promotion,
    ruleset,
)

__all__ = [
    "CorrectionLookup",
    "CorrectionNote",
    "Identity",
    "Place",
    "SubjectLine",
    "TranscriptInput",
    "YearRecord",
    "build_transcript",
    "prefetch_measurements",
    "print_transcript",
    "publish_transcript",
    "render_transcript",
    "transcript_flows",
]
