"""Typed book documents: what a printed book shows, page by page, ready for Typst.

A *book document* is plain JSON (see ``layouts/README.md`` for the contract)::

    {"schema_version": 1, "book": {...BookMeta...}, "pages": [{...Page...}, ...]}

Builders (e.g. :mod:`layouts.markbook`) paginate and format everything; templates only lay
out. Every value in ``data`` is a string, a list or an object of such, so that the JSON of a
page can be digested and compared by a verifier.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

SCHEMA_VERSION = 1

Paper = Literal["a4", "a3"]
Orientation = Literal["portrait", "landscape"]
Side = Literal["recto", "verso"]
Part = Literal["term1", "year", "all"]
Regime = Literal["tt58", "tt26", "tt22"]

PAPERS: tuple[str, ...] = ("a4", "a3")
PARTS: tuple[str, ...] = ("term1", "year", "all")
REGIMES: tuple[str, ...] = ("tt58", "tt26", "tt22")

#: Width (= height, mm) of the QR slot every page reserves in its bottom band (``qr-slot`` in
#: templates/common.typ): a code up to version 10 (57 modules + 2 × 4 quiet-zone modules at 0.5 mm
#: = 32.5 mm) is drawn at its own size, never scaled down. ``layouts.publish`` refuses a larger one.
QR_SLOT_MM = 33.0


@dataclass(frozen=True)
class BookMeta:
    """Who the book belongs to and how it is printed."""

    kind: str  # "markbook", "transcript", "register", ...
    title: str  # printed title, e.g. "SỔ GỌI TÊN VÀ GHI ĐIỂM"
    school: str  # full name as printed, e.g. "Trường THCS Tô Hiệu"
    district: str
    province: str
    class_name: str  # "9A1"
    year: str  # "2025-2026"
    regime: Regime
    paper: Paper = "a4"
    orientation: Orientation = "portrait"
    duplex: bool = False
    part: Part = "all"
    total_pages: int = 0  # pages of the FULL book, whatever part is printed
    ministry: str = "BỘ GIÁO DỤC VÀ ĐÀO TẠO"
    draft: bool = False  # printed without codes or edition: "BẢN NHÁP — không có giá trị" in every QR slot
    #: Pages per section of the full book, in book order ((name, pages), …), when the builder plans
    #: by measurement: a later print run reuses it to number its pages the same way.
    plan: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the book metadata (all strings except ``duplex``, ``total_pages``, ``draft``)."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "title": self.title,
            "ministry": self.ministry,
            "school": self.school,
            "district": self.district,
            "province": self.province,
            "class": self.class_name,
            "year": self.year,
            "regime": self.regime,
            "paper": self.paper,
            "orientation": self.orientation,
            "duplex": self.duplex,
            "part": self.part,
            "total_pages": self.total_pages,
        }
        if self.draft:
            out["draft"] = True
        if self.plan:
            out["plan"] = [[name, pages] for name, pages in self.plan]
        return out


@dataclass(frozen=True)
class Page:
    """One physical page: its number in the full book, its kind and exactly what it shows."""

    no: int
    kind: str
    side: Side = "recto"
    data: Mapping[str, Any] = field(default_factory=dict)
    qr: str | None = None  # SVG text of the page's QR code, or None for an empty slot
    code: str | None = None  # short human-readable code printed under the QR slot
    qr_mm: float | None = None  # printed width of the QR SVG (quiet zone included), set with ``qr``
    part: Part = "all"  # which print run the page belongs to (term1 or year)
    orientation: Orientation | None = None  # overrides the book's orientation for this page

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the page."""
        out: dict[str, Any] = {
            "no": self.no,
            "kind": self.kind,
            "side": self.side,
            "part": self.part,
            "qr": self.qr,
            "code": self.code,
            "data": self.data,
        }
        if self.qr_mm is not None:
            out["qr_mm"] = self.qr_mm
        if self.orientation is not None:
            out["orientation"] = self.orientation
        return out


@dataclass(frozen=True)
class BookDocument:
    """A whole book or a part of it: metadata plus an explicit list of physical pages."""

    book: BookMeta
    pages: tuple[Page, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the document, with ``schema_version``."""
        return {
            "schema_version": SCHEMA_VERSION,
            "book": self.book.to_dict(),
            "pages": [p.to_dict() for p in self.pages],
        }

    def to_json(self) -> str:
        """Compact, deterministic JSON (UTF-8 text, no ASCII escaping)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    def select(self, part: Part) -> BookDocument:
        """The pages of one print run, keeping their full-book numbers."""
        if part == "all":
            return replace(self, book=replace(self.book, part="all"))
        return BookDocument(
            book=replace(self.book, part=part), pages=tuple(p for p in self.pages if p.part == part)
        )

    def with_codes(
        self, codes: Mapping[int, tuple[str | None, str | None] | tuple[str | None, str | None, float | None]]
    ) -> BookDocument:
        """A copy whose pages carry the given (qr_svg, code[, qr_mm]) by page number.

        Without ``qr_mm`` the SVG is drawn at the size it declares itself (``signing.qr.qr_svg``
        writes it in millimetres), which is the same thing.
        """
        def coded(p: Page) -> Page:
            c = codes[p.no]
            return replace(p, qr=c[0], code=c[1], qr_mm=c[2] if len(c) > 2 else None)  # type: ignore[misc]

        return replace(self, pages=tuple(coded(p) if p.no in codes else p for p in self.pages))

    def as_draft(self) -> BookDocument:
        """The document marked as a draft: every QR slot reads "BẢN NHÁP — không có giá trị"."""
        return replace(self, book=replace(self.book, draft=True))


def page_sides(count: int, duplex: bool) -> Iterable[Side]:
    """Sides of pages 1..count: recto/verso alternate when two-sided, all recto otherwise."""
    for no in range(1, count + 1):
        yield "verso" if duplex and no % 2 == 0 else "recto"
