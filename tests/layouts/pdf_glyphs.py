"""What a printed page really carries, read back from the PDF with pypdfium2: the size of every
glyph and whether its box lies on the page. Used by the legibility tests (nothing below 7 pt,
nothing outside the page)."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

#: The smallest text size allowed on a printed page (issue 9), in points.
MIN_PT = 7.0


@dataclass(frozen=True)
class PageGlyphs:
    """Per page: the smallest glyph size (pt), the characters drawn below ``MIN_PT`` and those
    whose box is not inside the page."""

    index: int
    smallest: float
    small: str
    outside: str


def page_glyphs(pdf: bytes) -> list[PageGlyphs]:
    """Glyph sizes and positions of every page (spaces ignored)."""
    out = []
    doc = pdfium.PdfDocument(pdf)
    try:
        for index in range(len(doc)):
            page = doc[index]
            width, height = page.get_size()
            textpage = page.get_textpage()
            smallest, small, outside = 1e9, [], []
            left, right, bottom, top = (ctypes.c_double() for _ in range(4))
            for i in range(textpage.count_chars()):
                ch = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i))
                if ch.isspace() or ch in "\x00\ufffe\uffff":
                    continue
                size = pdfium_c.FPDFText_GetFontSize(textpage.raw, i)
                smallest = min(smallest, size)
                if size < MIN_PT - 0.01:
                    small.append(ch)
                pdfium_c.FPDFText_GetCharBox(textpage.raw, i, left, right, bottom, top)
                if left.value < -0.5 or bottom.value < -0.5 or right.value > width + 0.5 or top.value > height + 0.5:
                    outside.append(ch)
            out.append(PageGlyphs(index, round(smallest, 2), "".join(small), "".join(outside)))
    finally:
        doc.close()
    return out


@dataclass(frozen=True)
class DottedRule:
    """A stroked dotted rule of a page (a leader, common.typ ``leader``): its length, the dots' diameter and
    pitch and their grey (0 black, 1 white), in points."""

    length: float
    diameter: float
    pitch: float
    grey: float


def dotted_rules(pdf: bytes, page: int) -> list[DottedRule]:
    """Every straight rule of ``page`` stroked with round caps and a dash pattern ``[0 pitch]`` (dots),
    read from the page's content stream (Typst writes each rule as one ``m``/``l``/``S`` path)."""
    import io

    import pikepdf

    out = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        state = {"w": 1.0, "J": 0.0, "grey": 0.0, "d": ()}
        saved: list[dict] = []
        path: list[tuple[float, float]] = []
        for operands, op in pikepdf.parse_content_stream(doc.pages[page]):
            name = str(op)
            if name == "q":
                saved.append(dict(state))
            elif name == "Q":
                state = saved.pop()
            elif name == "w":
                state["w"] = float(operands[0])
            elif name == "J":
                state["J"] = float(operands[0])
            elif name in ("SCN", "SC", "G"):
                state["grey"] = float(operands[0])
            elif name == "d":
                state["d"] = tuple(float(x) for x in operands[0])
            elif name in ("m", "l"):
                path.append((float(operands[0]), float(operands[1])))
            elif name == "S":
                dash = state["d"]
                if len(path) == 2 and state["J"] == 1 and len(dash) == 2 and dash[0] == 0 and dash[1] > 0:
                    (x0, y0), (x1, y1) = path
                    out.append(DottedRule(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, state["w"], dash[1], state["grey"]))
                path = []
            elif name in ("n", "f", "f*", "B", "b", "s", "re"):
                path = []
    return out
