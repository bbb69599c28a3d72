"""Sổ đăng bộ on data that breaks layouts: 48 and 60 students with the longest plausible names,
places, addresses and occupations, guardian-only students, transfers in and out during a year.

Every volume must print (no overflow error), every line on exactly one page, every name and
place whole in the PDF text, no glyph below 7 pt or outside its page, the page count printed on
the closing page equal to the PDF's, and each list page filled before the next one starts."""

from __future__ import annotations

import re

import pypdfium2 as pdfium
import pytest

from layouts.register import build_register, render_register
from layouts.render import extract_page_texts
from tests.layouts.adversarial_tr import adversarial_register
from tests.layouts.pdf_glyphs import MIN_PT, page_glyphs

MM = 72 / 25.4


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module", params=[(48, "a3", False), (60, "a3", True), (48, "a4", False), (45, "a4", True)],
                ids=lambda p: f"{p[0]}-{p[1]}-{'duplex' if p[2] else 'simplex'}")
def volume(request: pytest.FixtureRequest):
    n, paper, duplex = request.param
    inp = adversarial_register(n, seed=n)
    doc = build_register(inp, paper=paper, duplex=duplex)
    return inp, doc, render_register(doc)


def test_every_line_once_in_order_and_whole(volume) -> None:
    inp, doc, pdf = volume
    texts = [_squash(t) for t in extract_page_texts(pdf)]
    assert len(texts) == len(doc.pages) == doc.book.total_pages
    lists = [(p, t) for p, t in zip(doc.pages, texts, strict=True) if p.kind == "register-list"]
    assert [r["number"] for p, _t in lists for r in p.data["rows"]] == [line.number for line in inp.lines]
    for page, text in lists:
        for row in page.data["rows"]:
            line = next(x for x in inp.lines if x.number == row["number"])
            for value in (line.full_name, line.place_of_birth, line.address, line.number, line.left_reason,
                          line.entry_from):
                assert _squash(value) in text, value
            for person in (line.father, line.mother, line.guardian):
                assert _squash(person) in text
    assert f"có {doc.book.total_pages} trang" in texts[-1]


def test_no_glyph_below_7pt_or_off_the_page(volume) -> None:
    _inp, _doc, pdf = volume
    for page in page_glyphs(pdf):
        assert page.smallest >= MIN_PT and not page.small, page
        assert not page.outside, page


def test_list_pages_are_filled(volume) -> None:
    """A list page ends only where the next line would not fit: its last line comes down to less
    than the height of the next line above the bottom of the content area."""
    _inp, doc, pdf = volume
    bottom_of_content = (8 + 33 + 0.5) * MM  # the QR band (common.typ margins)
    pdoc = pdfium.PdfDocument(pdf)
    lows = []
    for index, page in enumerate(doc.pages):
        if page.kind != "register-list":
            continue
        tp = pdoc[index].get_textpage()
        ys = [tp.get_charbox(i)[1] for i in range(tp.count_chars()) if tp.get_charbox(i)[1] > bottom_of_content]
        lows.append(min(ys))
    # each full page reaches within the tallest adversarial line (45 mm on A3, 60 on A4) of the band
    for low in lows[:-1]:
        assert low - bottom_of_content < (45 if doc.book.paper == "a3" else 60) * MM


def test_text_stays_inside_its_column(volume) -> None:
    """No value runs over a column rule (an unbreakable date or number wider than its column)."""
    _inp, doc, pdf = volume
    widths = [float(w) for w in doc.pages[[p.kind for p in doc.pages].index("register-list")].data["head"]["widths"]]
    margins = {"a3": (25, 14), "a4": (20, 12)}[doc.book.paper]  # inner, outer (common.typ)
    band = (8 + 33 + 0.5) * MM
    pdoc = pdfium.PdfDocument(pdf)
    for index, page in enumerate(doc.pages):
        if page.kind != "register-list":
            continue
        left = (margins[1] if page.side == "verso" else margins[0]) * MM
        edges = [left]
        for w in widths:
            edges.append(edges[-1] + w * MM)
        tp = pdoc[index].get_textpage()
        found = tp.search(page.data["rows"][0]["number"]).get_next()
        assert found is not None
        body_top = tp.get_charbox(found[0])[3] + 1
        for i in range(tp.count_chars()):
            x0, y0, x1, y1 = tp.get_charbox(i)
            if y1 > body_top or y0 < band or tp.get_text_range(i, 1).isspace():
                continue
            centre = (x0 + x1) / 2
            if not edges[0] - 4 * MM < centre < edges[-1] + 4 * MM:
                continue  # the giáp lai marker, 5 mm or more outside the content
            col = min(max(next((k for k in range(len(widths)) if centre < edges[k + 1]), len(widths) - 1), 0),
                      len(widths) - 1)
            assert edges[col] - 0.3 <= x0 and x1 <= edges[col + 1] + 0.3, (page.no, col, tp.get_text_range(i, 12))


def test_two_sided_list_starts_on_a_recto(volume) -> None:
    _inp, doc, _pdf = volume
    first = next(p for p in doc.pages if p.kind == "register-list")
    assert first.side == "recto" and first.no == (3 if doc.book.duplex else 2)
    assert [p.side for p in doc.pages] == [
        ("verso" if doc.book.duplex and p.no % 2 == 0 else "recto") for p in doc.pages]


def test_a_line_with_every_field_at_its_maximum_prints_whole() -> None:
    import dataclasses

    def fill(text: str, n: int) -> str:
        return (text * (n // len(text) + 1))[:n].strip()

    inp = adversarial_register(12, seed=1)
    big = dataclasses.replace(
        inp.lines[3], full_name=fill("Công Tằng Tôn Nữ Phương Thảo ", 182), number=fill("12345/THCS", 32),
        place_of_birth=fill("Bệnh viện Đa khoa khu vực Chiềng Khoong, ", 200),
        address=fill("Số nhà 123, ngõ 45/67, đường Nguyễn Văn Cừ, ", 300),
        father=fill("Lò Văn Thành ", 120) + " (" + fill("Làm ruộng ", 120) + ")",
        mother=fill("Quàng Thị Ơn ", 120) + " (" + fill("Buôn bán ", 120) + ")",
        guardian=fill("Lường Văn Ước ", 120) + " (" + fill("Lao động tự do ", 120) + ")",
        entry_from=fill("Trường PTDTBT THCS Chiềng Khoong ", 200), left_reason=fill("Chuyển trường theo gia đình ", 200))
    inp = dataclasses.replace(inp, lines=(*inp.lines[:3], big, *inp.lines[4:]))
    doc = build_register(inp)
    pdf = render_register(doc)
    text = " ".join(_squash(t) for t in extract_page_texts(pdf))
    for value in (big.full_name, big.place_of_birth, big.address, big.guardian, big.entry_from, big.left_reason):
        assert value in text
    assert min(g.smallest for g in page_glyphs(pdf)) >= MIN_PT
