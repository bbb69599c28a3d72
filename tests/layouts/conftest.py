"""Layout test infrastructure: rendered books (cached per session), golden-page comparison and
per-row text extraction.

Golden pages: ``golden(name, pdf, page_index)`` renders one page with pypdfium2 at
``GOLDEN_DPI`` (grayscale) and compares it with ``tests/layouts/goldens/<name>.png``. A page
matches when at most ``MAX_DIFF_SHARE`` of its pixels differ by more than ``PIXEL_TOLERANCE``
grey levels. On a mismatch the actual image and a difference image are written to
``tests/layouts/_failures/`` and the test fails. ``pytest --update-goldens`` (registered in
``tests/conftest.py``) rewrites the references instead: review the new PNGs before committing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from layouts.documents import BookDocument
from layouts.markbook import MarkBookInput, PrintOptions, build_markbook
from layouts.render import render_document, render_page_images
from tests.layouts.factories import make_markbook_input

HERE = Path(__file__).resolve().parent
GOLDEN_DIR = HERE / "goldens"
FAILURE_DIR = HERE / "_failures"
GOLDEN_DPI = 50
PIXEL_TOLERANCE = 48  # grey levels (0-255) a pixel may differ before it counts as different
MAX_DIFF_SHARE = 0.0005  # share of pixels allowed to differ (anti-aliasing across pdfium builds)


@pytest.fixture(scope="session")
def markbook_input() -> MarkBookInput:
    """The synthetic class: 45 students (+1 transferred in), 15 subjects, TT22."""
    return make_markbook_input(1)


class RenderedBook:
    """A built document and its PDF."""

    def __init__(self, doc: BookDocument, pdf: bytes) -> None:
        self.doc = doc
        self.pdf = pdf

    def index(self, kind: str, nth: int = 0, **match: str) -> int:
        """0-based PDF page index of the nth page of a kind whose data matches ``match``."""
        found = [
            i for i, p in enumerate(self.doc.pages)
            if p.kind == kind and all(p.data.get(k) == v for k, v in match.items())
        ]
        return found[nth]


@pytest.fixture(scope="session")
def rendered_books(markbook_input: MarkBookInput) -> Callable[..., RenderedBook]:
    """Render (once per session) the book for given print options."""
    cache: dict[tuple[str, bool, str, str], RenderedBook] = {}

    def get(paper: str = "a4", duplex: bool = False, part: str = "all", regime: str = "tt22") -> RenderedBook:
        key = (paper, duplex, part, regime)
        if key not in cache:
            inp = markbook_input if regime == "tt22" else make_markbook_input(1, regime=regime)
            doc = build_markbook(inp, PrintOptions(paper=paper, duplex=duplex, part=part))  # type: ignore[arg-type]
            cache[key] = RenderedBook(doc, render_document("markbook", doc))
        return cache[key]

    return get


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, bytes, int], None]:
    """Compare one rendered page with its reviewed reference image (or update it)."""
    from PIL import Image, ImageChops

    update = bool(request.config.getoption("--update-goldens", default=False))

    def check(name: str, pdf: bytes, page_index: int) -> None:
        actual = render_page_images(pdf, dpi=GOLDEN_DPI, pages=[page_index], grayscale=True)[0].convert("L")
        ref_path = GOLDEN_DIR / f"{name}.png"
        if update:
            GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
            actual.save(ref_path, optimize=True)
            return
        if not ref_path.exists():
            pytest.fail(f"no golden image {ref_path.name}; run pytest --update-goldens and review it")
        expected = Image.open(ref_path).convert("L")
        problem = ""
        if expected.size != actual.size:
            problem = f"size {actual.size} != reference {expected.size}"
        else:
            diff = ImageChops.difference(expected, actual)
            hist = diff.histogram()
            differing = sum(hist[PIXEL_TOLERANCE + 1 :])
            share = differing / (actual.size[0] * actual.size[1])
            if share > MAX_DIFF_SHARE:
                problem = f"{share:.3%} of pixels differ (allowed {MAX_DIFF_SHARE:.3%})"
        if problem:
            FAILURE_DIR.mkdir(parents=True, exist_ok=True)
            actual.save(FAILURE_DIR / f"{name}.actual.png")
            if expected.size == actual.size:
                ImageChops.invert(ImageChops.difference(expected, actual)).save(FAILURE_DIR / f"{name}.diff.png")
            pytest.fail(f"golden page {name}: {problem}; see tests/layouts/_failures/")

    return check


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


@pytest.fixture(scope="session")
def row_text() -> Callable[..., str]:
    """Text of the table row of a student on a PDF page: the characters whose box centre lies in
    the band around the name (and its note), between the page's side margins (the giáp lai
    marker lives in the outer margin). Tall accents of the next row reach into the band, their
    centres do not. Whitespace and characters outside the band separate tokens."""
    import pypdfium2 as pdfium

    pages: dict[tuple[int, int], tuple[str, list[tuple[float, float, float, float]], float, Any]] = {}
    docs: dict[int, Any] = {}

    def load(pdf: bytes, index: int) -> tuple[str, list[tuple[float, float, float, float]], float, Any]:
        key = (id(pdf), index)
        if key not in pages:
            doc = docs.setdefault(id(pdf), pdfium.PdfDocument(pdf))
            page = doc[index]
            tp = page.get_textpage()
            text = tp.get_text_range()
            boxes = [tp.get_charbox(k) for k in range(tp.count_chars())]
            pages[key] = (text, boxes, page.get_width(), tp)
        return pages[key]

    def get(pdf: bytes, page_index: int, name: str, note: str = "", margins_mm: tuple[float, float] = (0, 0)) -> str:
        text, boxes, width, tp = load(pdf, page_index)
        found: list[tuple[float, float, float, float]] = []
        for needle in [name] + ([note] if note else []):
            hit = tp.search(_nfc(needle), match_case=True).get_next()
            if hit is None:
                return ""
            i, n = hit
            found += [boxes[k] for k in range(i, i + n) if not text[k].isspace()]
        top = max(b[3] for b in found)
        bottom = min(b[1] for b in found)
        mid = (top + bottom) / 2
        half = (top - bottom) / 2 + 1.0
        left = margins_mm[0] * 72 / 25.4
        right = width - margins_mm[1] * 72 / 25.4
        tokens: list[str] = []
        cur: list[str] = []
        for ch, (x0, y0, x1, y1) in zip(text, boxes):
            if not ch.isspace() and left <= (x0 + x1) / 2 <= right and abs((y0 + y1) / 2 - mid) <= half:
                cur.append(ch)
            elif cur:
                tokens.append("".join(cur))
                cur = []
        if cur:
            tokens.append("".join(cur))
        return _nfc(" ".join(tokens))

    return get


@pytest.fixture(scope="session")
def page_texts() -> Callable[[bytes], list[str]]:
    """All page texts of a PDF (cached by content: an id could be reused by a later, different PDF)."""
    import hashlib

    from layouts.render import extract_page_texts

    cache: dict[bytes, list[str]] = {}

    def get(pdf: bytes) -> list[str]:
        key = hashlib.sha256(pdf).digest()
        if key not in cache:
            cache[key] = extract_page_texts(pdf)
        return cache[key]

    return get


@pytest.fixture(autouse=True, scope="session")
def _clean_failures() -> Iterator[None]:
    """Start each session without stale failure images."""
    if FAILURE_DIR.exists():
        for f in FAILURE_DIR.glob("*.png"):
            f.unlink()
    yield
