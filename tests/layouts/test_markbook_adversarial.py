"""Adversarial classes print, legibly: 45 and 50 students, transfers, guardians, the longest names.

Each book must print (no overflow error), number its pages as printed, show every student's name
whole in the PDF text of every page that lists the class, and print no glyph below 7 pt or outside
its page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache

import pytest

from layouts.documents import BookDocument
from layouts.markbook import MarkBookInput, PrintOptions, build_markbook
from layouts.render import render_document
from tests.layouts.adversarial import adversarial_markbook_input

MIN_PT = 7.0
ROW_KINDS = ("roll", "attendance", "marks", "summary")


@cache
def _input(n: int) -> MarkBookInput:
    return adversarial_markbook_input(n)


@cache
def _book(n: int, paper: str, duplex: bool, part: str) -> tuple[BookDocument, bytes]:
    doc = build_markbook(_input(n), PrintOptions(paper=paper, duplex=duplex, part=part))  # type: ignore[arg-type]
    return doc, render_document("markbook", doc)


def glyph_report(pdf: bytes) -> list[tuple[float, int]]:
    """Per page: (smallest font size in pt, number of glyphs whose box leaves the page)."""
    import pypdfium2 as pdfium
    from pypdfium2 import raw

    out = []
    doc = pdfium.PdfDocument(pdf)
    try:
        for page in doc:
            w, h = page.get_width(), page.get_height()
            tp = page.get_textpage()
            smallest, outside = 1e9, 0
            for k in range(tp.count_chars()):
                if chr(raw.FPDFText_GetUnicode(tp.raw, k)).isspace():
                    continue
                size = raw.FPDFText_GetFontSize(tp.raw, k)
                if size > 0:
                    smallest = min(smallest, size)
                x0, y0, x1, y1 = tp.get_charbox(k)
                if x0 < -0.5 or y0 < -0.5 or x1 > w + 0.5 or y1 > h + 0.5:
                    outside += 1
            out.append((smallest, outside))
            tp.close()
            page.close()
    finally:
        doc.close()
    return out


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).replace("- ", "-")


CASES = [
    (45, "a4", False, "all"), (45, "a4", True, "all"), (45, "a3", False, "all"), (45, "a3", True, "all"),
    (45, "a4", True, "term1"), (45, "a3", False, "term1"), (50, "a4", False, "all"), (50, "a3", True, "all"),
]
IDS = [f"{n}-{paper}-{'duplex' if d else 'simplex'}-{part}" for n, paper, d, part in CASES]


@pytest.mark.parametrize(("n", "paper", "duplex", "part"), CASES, ids=IDS)
def test_adversarial_class_prints_whole_and_legible(
    n: int, paper: str, duplex: bool, part: str, page_texts: Callable[[bytes], list[str]]
) -> None:
    doc, pdf = _book(n, paper, duplex, part)
    texts = page_texts(pdf)
    assert len(texts) == len(doc.pages)
    total = doc.book.total_pages
    cert = [p for p in doc.pages if p.kind == "certification"]
    for p in cert:
        assert f"Sổ này có {total} trang" in p.data["text"]
    # every name whole on every page that lists the class
    for page, text in zip(doc.pages, texts, strict=True):
        if page.kind not in ROW_KINDS:
            continue
        flat = _flat(text)
        for row in page.data["rows"]:
            assert _flat(row["name"]) in flat, f"page {page.no} ({page.kind}): {row['name']} not whole"
    # every student is on the pages of each kind (nothing dropped by pagination)
    names = {s.full_name for s in _input(n).students}
    for kind in ("roll", "marks") if part != "year" else ("marks",):
        first = [p for p in doc.pages if p.kind == kind]
        subject = first[0].data.get("subject")
        listed = {r["name"] for p in first if p.data.get("subject") == subject for r in p.data["rows"]}
        assert listed == names, kind
    # legible and on the page
    for page, (smallest, outside) in zip(doc.pages, glyph_report(pdf), strict=True):
        assert smallest >= MIN_PT - 0.01, f"page {page.no} ({page.kind}): glyph of {smallest:.2f} pt"
        assert outside == 0, f"page {page.no} ({page.kind}): {outside} glyphs outside the page"
