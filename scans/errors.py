"""Errors of the scans layer (subclasses of ``records.errors.SodientuError``)."""

from __future__ import annotations

from records.errors import SodientuError


class ScanError(SodientuError):
    """Base of every error raised on purpose by ``scans``."""


class ScanFileError(ScanError):
    """A file given for ingest is refused (wrong type, broken, truncated, too large, hostile)."""
