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


@pytest.fixture(scope="module", params=[48, 60])
def volume(request: pytest.FixtureRequest):
    inp = adversarial_register(request.param, seed=request.param)
    doc = build_register(inp)
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
    # each full page reaches within 45 mm (the tallest adversarial line) of the band
    for low in lows[:-1]:
        assert low - bottom_of_content < 45 * MM


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
