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


# --- the term-I plan binds the year print ------------------------------------------------------------

def _at_term1(inp: MarkBookInput) -> MarkBookInput:
    """The class as it stood at the term-I print: later transfers not yet recorded, arrivals not yet there."""
    from dataclasses import replace
    from datetime import date

    cut = date(inp.year_start, 12, 31)
    students = tuple(
        replace(s, status="active", status_date=None) if s.status in ("transferred_out", "dropped_out")
        and s.status_date and s.status_date > cut else s
        for s in inp.students if not (s.status == "transferred_in" and s.status_date and s.status_date > cut))
    return replace(inp, students=students)


@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_year_print_binds_with_the_term1_print(paper: str) -> None:
    """Rows grew between the two prints (a term-II transfer's note, an arrival: within the room each year table
    keeps, YEAR_RESERVE_ROWS): with the term-I plan the year print keeps the term-I numbers and page count."""
    from dataclasses import replace
    from datetime import date

    from layouts.markbook import plan_of

    then = _at_term1(_input(45))
    leaver = next(s for s in then.students if s.status == "active" and s.no > 20)
    arrival = replace(then.students[-1], no=len(then.students) + 1, full_name="Lò Thị Thu Hà", status="transferred_in",
                      status_date=date(2026, 2, 20))
    later = replace(then, students=tuple(
        replace(s, status="transferred_out", status_date=date(2026, 2, 10)) if s is leaver else s
        for s in then.students) + (arrival,))
    t1 = build_markbook(then, PrintOptions(paper=paper, duplex=True, part="term1"))  # type: ignore[arg-type]
    plan = plan_of(t1.to_dict())
    assert plan and sum(plan.values()) <= t1.book.total_pages
    yr = build_markbook(later, PrintOptions(paper=paper, duplex=True, part="year", plan=plan))  # type: ignore[arg-type]
    assert yr.book.total_pages == t1.book.total_pages
    nos1, nos2 = {p.no for p in t1.pages}, {p.no for p in yr.pages}
    assert not nos1 & nos2 and nos1 | nos2 == set(range(1, t1.book.total_pages + 1))
    closing = next(p for p in yr.pages if p.kind == "certification")
    assert f"Sổ này có {t1.book.total_pages} trang" in closing.data["text"]
    names = {r["name"] for p in yr.pages if p.kind == "marks" and p.data["subject"] == "Toán" for r in p.data["rows"]}
    assert arrival.full_name in names and leaver.full_name in names


def test_plan_read_from_a_printed_pdf() -> None:
    import io
    import json

    import pikepdf

    from layouts.errors import RenderError
    from layouts.markbook import plan_from_pdf, plan_of
    from signing.manifest import DOCUMENT_NAME

    doc, _ = _book(45, "a4", True, "term1")
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.attachments[DOCUMENT_NAME] = pikepdf.AttachedFileSpec(pdf, doc.to_json().encode(), filename=DOCUMENT_NAME)
        out = io.BytesIO()
        pdf.save(out)
    assert plan_from_pdf(out.getvalue(), "9A1", "2025-2026") == plan_of(json.loads(doc.to_json()))
    with pytest.raises(RenderError, match="not 9A2"):
        plan_from_pdf(out.getvalue(), "9A2", "2025-2026")
    with pytest.raises(RenderError, match="no mark-book document"):
        plan_from_pdf(b"%PDF-1.4 not a pdf", "9A1", "2025-2026")


def test_long_year_lists_continue_on_the_next_page() -> None:
    """Half the class re-assessed in four subjects, long names: the year results continue on a second page
    (statistics on the first, signatures on the last), no line dropped."""
    from dataclasses import replace
    from decimal import Decimal

    from layouts.markbook import YearOutcome

    inp = _input(50)
    codes = [s.code for s in inp.subjects[:4]]
    outcomes = tuple(
        YearOutcome(s.no, "Kiểm tra lại", reassess=tuple((c, Decimal("5.5")) for c in codes), final="Lên lớp")
        if s.no % 2 == 0 else YearOutcome(s.no, "Lên lớp") for s in inp.students)
    doc = build_markbook(replace(inp, outcomes=outcomes), PrintOptions(part="year"))
    pages = [p for p in doc.pages if p.kind == "results"]
    assert len(pages) >= 2
    assert pages[0].data["tables"] and not pages[-1].data["tables"]
    assert pages[-1].data["signatures"] and not pages[0].data["signatures"]
    items = [it for p in pages for lst in p.data["lists"] if lst["title"].startswith("Học sinh phải kiểm tra lại")
             for it in lst["items"]]
    assert len(items) == sum(o.decision == "Kiểm tra lại" for o in outcomes)
    pdf = render_document("markbook", doc)  # raises on an overflow
    assert all(s >= MIN_PT - 0.01 and o == 0 for s, o in glyph_report(pdf))
