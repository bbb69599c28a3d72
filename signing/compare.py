"""Compare a photographed or scanned page with the genuine page as issued (no OCR).

A QR code proves that the school signed *a* page; it says nothing about the paper around it. A
blank sheet with a genuine code, a genuine code cut out and pasted on another page, or a code
of the cover pasted on a marks page all carry a valid signature. What a machine can check cheaply
is whether the ink of the photographed page is laid out like the ink of the page the code names:

1. the genuine page is rendered from the issued PDF (``render_page``) and its QR found;
2. the four corners of the QR in both images give a similarity transform (scale, rotation,
   shift); the photo is warped onto the genuine page;
3. both are binarised and cut into cells of about 7 mm; the share of ink of each cell (the QR's
   own area left out) forms two vectors, compared by correlation and by total ink.

A page whose layout differs (blank, another kind of page, another book) scores far below a true
photo, even a blurred, rotated JPEG. A changed mark or a pasted name inside the same template
does not: the verdict on a photo is therefore never "genuine" from the code alone; the verifier
shows the genuine page so that a person compares every mark (docs/SIGNING.md §10).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageOps

Corners = Sequence[tuple[int, int]]  # tl, tr, br, bl

CELL_MM = 7.0
MIN_CORRELATION = 0.55  # below: the page is not the genuine page (measured: genuine photos ≥ 0.8)
MIN_INK_RATIO = 0.35  # ink of the photo / ink of the genuine page, outside the QR
MAX_INK_RATIO = 2.5


@dataclass(frozen=True)
class Comparison:
    """How the photographed page's ink compares with the genuine page's."""

    correlation: float
    ink_ratio: float

    @property
    def matches(self) -> bool:
        """True when the layout of the ink fits the genuine page (a person still compares the marks)."""
        return self.correlation >= MIN_CORRELATION and MIN_INK_RATIO <= self.ink_ratio <= MAX_INK_RATIO


def render_page(pdf: bytes, index: int, dpi: int) -> Image.Image:
    """Page ``index`` (0-based) of a PDF as a greyscale image at ``dpi``."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[index]
        try:
            return page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        finally:
            page.close()
    finally:
        doc.close()


def page_png(pdf: bytes, index: int, dpi: int = 110) -> bytes:
    """PNG bytes of one page of a PDF (the genuine page shown beside a verdict)."""
    buf = io.BytesIO()
    render_page(pdf, index, dpi).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _similarity(src: Corners, dst: Corners) -> tuple[complex, complex]:
    """Least-squares z ↦ a·z + b mapping the ``src`` points onto the ``dst`` points (complex numbers)."""
    zs = [complex(x, y) for x, y in src]
    ws = [complex(x, y) for x, y in dst]
    zm, wm = sum(zs) / len(zs), sum(ws) / len(ws)
    num = sum((w - wm) * (z - zm).conjugate() for z, w in zip(zs, ws, strict=True))
    den = sum(abs(z - zm) ** 2 for z in zs) or 1.0
    a = num / den
    return a, wm - a * zm


def _binary(img: Image.Image) -> Image.Image:
    """Ink = 255, paper = 0, thresholded halfway between the paper and the darkest ink."""
    img = ImageOps.autocontrast(img.convert("L"), cutoff=1)
    hist = img.histogram()
    total = sum(hist)
    acc, lo, hi = 0, 0, 255
    for v, n in enumerate(hist):
        acc += n
        if acc >= total * 0.02:
            lo = v
            break
    acc = 0
    for v in range(255, -1, -1):
        acc += hist[v]
        if acc >= total * 0.30:
            hi = v
            break
    cut = (lo + hi) // 2
    return img.point(lambda v: 255 if v < cut else 0)


def _cells(binary: Image.Image, cell_px: float, mask: tuple[int, int, int, int]) -> list[float]:
    binary = binary.copy()
    binary.paste(0, mask)
    cols = max(1, round(binary.width / cell_px))
    rows = max(1, round(binary.height / cell_px))
    small = binary.resize((cols, rows), Image.Resampling.BOX)
    return [v / 255 for v in small.tobytes()]


def _correlation(a: Sequence[float], b: Sequence[float]) -> float:
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
    va = sum((x - ma) ** 2 for x in a)
    vb = sum((y - mb) ** 2 for y in b)
    if va <= 1e-12 or vb <= 1e-12:
        return 0.0
    return cov / (va * vb) ** 0.5


def compare(photo: Image.Image, photo_qr: Corners, genuine: Image.Image, genuine_qr: Corners,
            genuine_dpi: float) -> Comparison:
    """Compare the ink of a photographed page with the genuine page (both with their QR corners)."""
    a, b = _similarity(genuine_qr, photo_qr)  # genuine coordinates → photo coordinates
    # PIL's AFFINE maps each output (genuine) pixel to the input (photo): x' = a.real·x − a.imag·y + b.real
    warped = photo.convert("L").transform(
        genuine.size, Image.Transform.AFFINE,
        (a.real, -a.imag, b.real, a.imag, a.real, b.imag), resample=Image.Resampling.BILINEAR, fillcolor=255)
    xs = [x for x, _ in genuine_qr]
    ys = [y for _, y in genuine_qr]
    pad = 0.15 * (max(xs) - min(xs))
    mask = (int(min(xs) - pad), int(min(ys) - pad), int(max(xs) + pad), int(max(ys) + pad))
    cell_px = CELL_MM / 25.4 * genuine_dpi
    # a little blur on the genuine side: a photo never has the render's sharp edges
    g = _cells(_binary(genuine.filter(ImageFilter.GaussianBlur(1))), cell_px, mask)
    p = _cells(_binary(warped), cell_px, mask)
    ink_g, ink_p = sum(g), sum(p)
    ratio = ink_p / ink_g if ink_g > 1e-9 else (0.0 if ink_p < 1e-9 else 99.0)
    return Comparison(round(_correlation(g, p), 3), round(ratio, 3))


__all__ = ["Comparison", "compare", "page_png", "render_page"]
