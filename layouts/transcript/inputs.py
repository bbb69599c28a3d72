"""What the transcript is built from: the input dataclasses read by
``records.books.transcript.read_transcript(s)`` (re-exported here). The builder's options are its
keyword arguments (``year``, ``volume``, ``duplex``, ``copy``, ``copy_ref``)."""

from __future__ import annotations

from records.books.transcript import (
    CorrectionLookup,
    CorrectionNote,
    Identity,
    Place,
    SubjectLine,
    TranscriptInput,
    YearRecord,
)

__all__ = [
    "CorrectionLookup",
    "CorrectionNote",
    "Identity",
    "Place",
    "SubjectLine",
    "TranscriptInput",
    "YearRecord",
]
