"""A scanned book made from real published pages: rasterised at 200 dpi, stamped, signed, shuffled.

Used by the scans tests and by ``bench/bench_scans.py``. The seal and the signatures are drawn
where a clerk would put them, found from the printed page (the "Giáp lai" marker at the outer
edge; the notes "(Ký …)" of the signature blocks), independently of ``scans.zones``.
"""

from __future__ import annotations

import io
import random
import uuid
from dataclasses import dataclass, field

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

DPI = 200
PX_PER_MM = DPI / 25.4
SEAL_RED = (205, 32, 45)
SEAL_PURPLE = (128, 40, 150)


def rasterise(pdf: bytes, dpi: int = DPI) -> list[Image.Image]:
    """Every page of a PDF as an RGB image."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(doc))]
    finally:
        doc.close()


def _notes_and_marker(pdf: bytes, index: int) -> tuple[list[tuple[float, float, float]], bool]:
    """Signature notes (x-centre, y-bottom in px, from top) and whether the marker is on the right."""
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[index]
        w, h = page.get_size()
        text = page.get_textpage()
        notes, right = [], True
        for k in range(text.count_rects()):
            l, b, r, t = text.get_rect(k)
            s = text.get_text_bounded(l, b, r, t)
            if s.startswith("(Ký"):
                notes.append(((l + r) / 2 * DPI / 72, (h - b) * DPI / 72, 0.0))
            if "Giáp lai" in s:
                right = (l + r) / 2 > w / 2
        return notes, right
    finally:
        doc.close()


def stamp(img: Image.Image, right: bool, colour: tuple[int, int, int] = SEAL_RED) -> None:
    """Half of a round seal pressed across the outer edge, at mid-height (a giáp lai stamp)."""
    d = ImageDraw.Draw(img)
    w, h = img.size
    r = 17 * PX_PER_MM
    cx = w + 4 * PX_PER_MM if right else -4 * PX_PER_MM
    cy = h / 2
    for k in range(3):
        rr = r - k * 3 * PX_PER_MM
        d.ellipse((cx - rr, cy - rr, cx + rr, cy + rr), outline=colour, width=5)
    d.text((cx - (12 if right else -2) * PX_PER_MM, cy), "TRƯỜNG", fill=colour)


def sign(img: Image.Image, x: float, y: float, rng: random.Random) -> None:
    """A handwritten-looking scribble under a signature note."""
    d = ImageDraw.Draw(img)
    pts = []
    x0 = x - 14 * PX_PER_MM
    for k in range(14):
        pts.append((x0 + k * 2 * PX_PER_MM, y + (5 + rng.uniform(-3, 3)) * PX_PER_MM))
    d.line(pts, fill=(20, 30, 120), width=4)
    d.line([(x0, y + 9 * PX_PER_MM), (x0 + 26 * PX_PER_MM, y + 4 * PX_PER_MM)], fill=(20, 30, 120), width=3)


def blot_code(img: Image.Image) -> None:
    """Cover the page's code with a smudge (an unreadable page): every dark module area in the bottom band."""
    d = ImageDraw.Draw(img)
    w, h = img.size
    rng = random.Random(5)
    for _ in range(4000):
        x = rng.uniform(w * 0.55, w)
        y = rng.uniform(h * 0.80, h)
        d.rectangle((x, y, x + 9, y + 9), fill=(0, 0, 0) if rng.random() < 0.5 else (255, 255, 255))


@dataclass
class ScannedBook:
    """The images of a scanned book and what was done to which page (1-based page numbers)."""

    images: list[Image.Image]
    order: list[str] = field(default_factory=list)  # what each image is: "A:25", "B:3", …


def signed_and_stamped(pdf: bytes, *, unstamped: set[int] = frozenset(), unsigned: set[int] = frozenset(),
                       seed: int = 1) -> list[Image.Image]:
    """The pages of an issued PDF as they come back from the office: seal on the edge, signatures."""
    rng = random.Random(seed)
    out = []
    for i, img in enumerate(rasterise(pdf)):
        notes, right = _notes_and_marker(pdf, i)
        if i not in unstamped:
            stamp(img, right, SEAL_RED if i % 2 else SEAL_PURPLE)
        if i not in unsigned:
            for x, y, _ in notes:
                sign(img, x, y, rng)
        out.append(img)
    return out


def turn(img: Image.Image, degrees: float) -> Image.Image:
    """The sheet lying turned on the scanner glass (counter-clockwise)."""
    if degrees == 180:
        return img.transpose(Image.Transpose.ROTATE_180)
    return img.rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))


def as_pdf(images: list[Image.Image]) -> bytes:
    """A scanner's multi-page PDF (JPEG image pages at 200 dpi)."""
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=DPI, quality=85)
    return buf.getvalue()


def as_tiff(images: list[Image.Image]) -> bytes:
    """A scanner's multi-page TIFF."""
    buf = io.BytesIO()
    images[0].save(buf, "TIFF", save_all=True, append_images=images[1:], dpi=(DPI, DPI), compression="tiff_deflate")
    return buf.getvalue()


def short(edition_id: uuid.UUID) -> str:
    """Printed short code of an edition."""
    from signing.payload import edition_short_id

    return edition_short_id(edition_id)
