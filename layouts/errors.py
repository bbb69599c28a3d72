"""Errors of the layouts layer (rendering books to PDF)."""

from __future__ import annotations

from records.errors import SodientuError


class RenderError(SodientuError):
    """A book could not be rendered faithfully (compile error, missing font or glyph, bad document)."""


class LayoutOverflowError(RenderError):
    """The content of a page did not fit it: Typst produced more pages than the document has."""
