"""Errors of the layouts layer (rendering books to PDF)."""

from __future__ import annotations

from records.errors import SodientuError


class RenderError(SodientuError):
    """A book could not be rendered faithfully (compile error, missing font or glyph, bad document)."""
