"""Where a printed page expects ink that the office adds by hand, and whether a scan carries it.

Zones are read from the *issued* PDF page itself, so they follow the layouts wherever the Typst
templates put things (layouts/templates/common.typ):

* the overlap-stamp (giáp lai) zone: the outer-edge strip around the marker labelled
  "Giáp lai · trang n" (vertically centred, 70 mm long), where the school seal is pressed across
  the edges of the stacked sheets;
* signature zones: the blank space under each signature block's note "(Ký …)" down to the
  signer's printed name (or dotted line), as wide as a signature.

A scan is aligned to the issued page through the QR code (its four corners on both give an
affine map, which absorbs the scanner's scale, offset and any residual skew). A signature zone is
signed when the scan has clearly more dark ink there than the issued page; the stamp is present
when the zone has enough red or purple (seal ink) pixels. A grey-scale scan cannot show seal ink:
its stamp check is *unknown*, never *absent*.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from scans.normalise import Corners, find_qr

MM = 72 / 25.4  # PDF points per millimetre
STAMP_STRIP_MM = 24.0  # width of the outer-edge strip the seal covers
STAMP_HALF_HEIGHT_MM = 50.0
SIGN_HALF_WIDTH_MM = 26.0
SIGN_MAX_DEPTH_MM = 32.0
SIGN_GAP_MM = 1.2
DARK = 150  # grey level under which a pixel is ink
SIGNED_EXTRA_INK = 0.006  # share of the zone's pixels darker in the scan than on the issued page
STAMP_INK = 0.004  # share of the zone's pixels in seal colours


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in issued-page pixels (y down)


@dataclass(frozen=True)
class PageGeometry:
    """Zones of one issued page, in pixels of its rendering at ``dpi``, and the ink they hold there."""

    dpi: float
    qr: Corners | None
    stamp: Box | None
    signatures: tuple[Box, ...]
    issued_ink: tuple[float, ...]  # dark share of each signature zone on the issued page


def _to_px(l: float, b: float, r: float, t: float, height_pt: float, scale: float) -> Box:
    return (l * scale, (height_pt - t) * scale, r * scale, (height_pt - b) * scale)


GEOMETRY_DPI = 100.0  # the issued page's code still decodes at 2 px a module; zones need no more


def page_geometry(pdf_bytes: bytes, position: int, dpi: float = GEOMETRY_DPI) -> PageGeometry:
    """Zones of page ``position`` (1-based) of an issued PDF."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        page = pdf[position - 1]
        w_pt, h_pt = page.get_size()
        scale = dpi / 72
        gray = page.render(scale=scale, grayscale=True).to_pil().convert("L")
        text = page.get_textpage()
        rects = [text.get_rect(i) for i in range(text.count_rects())]
        markers = [_run_of(text, rects, hit) for hit in _find(text, "Giáp lai")]
        notes = [_run_of(text, rects, hit) for hit in _find(text, "(Ký")]
        text.close()
        page.close()
    finally:
        pdf.close()
    stamp: Box | None = None
    for l, _b, r, _t in markers[:1]:
        right = (l + r) / 2 > w_pt / 2
        x0, x1 = (w_pt - STAMP_STRIP_MM * MM, w_pt) if right else (0.0, STAMP_STRIP_MM * MM)
        mid = h_pt / 2
        stamp = _to_px(x0, mid - STAMP_HALF_HEIGHT_MM * MM, x1, mid + STAMP_HALF_HEIGHT_MM * MM, h_pt, scale)
    signatures: list[Box] = []
    for l, b, r, _t in notes:
        cx = (l + r) / 2
        zl, zr = cx - SIGN_HALF_WIDTH_MM * MM, cx + SIGN_HALF_WIDTH_MM * MM
        top = b - SIGN_GAP_MM * MM
        below = [rt for (rl, _rb, rr, rt) in rects if rt < b - 0.5 and rr > zl and rl < zr]
        floor = max(below, default=top - 16 * MM)
        bottom = max(floor + SIGN_GAP_MM * MM, b - SIGN_MAX_DEPTH_MM * MM)
        if top - bottom > 4 * MM:
            signatures.append(_to_px(zl, bottom, zr, top, h_pt, scale))
    codes = find_qr(gray)
    qr = codes[0].corners if codes else None
    ink = tuple(_dark_share(gray.crop(tuple(round(v) for v in box))) for box in signatures)  # type: ignore[arg-type]
    return PageGeometry(dpi, qr, stamp, tuple(signatures), ink)


def _find(text, needle: str) -> list[int]:  # type: ignore[no-untyped-def]
    """Character indexes where ``needle`` starts on the page."""
    searcher = text.search(needle, match_case=True)
    hits = []
    while (hit := searcher.get_next()) is not None:
        hits.append(hit[0])
    searcher.close()
    return hits


def _run_of(text, rects: list[Box], char: int) -> Box:  # type: ignore[no-untyped-def]
    """The text run (pdfium rectangle, PDF points) holding a character."""
    l, b, r, t = text.get_charbox(char)
    for rl, rb, rr, rt in rects:
        if rl - 0.5 <= l and r <= rr + 0.5 and rb - 0.5 <= b and t <= rt + 0.5:
            return (rl, rb, rr, rt)
    return (l, b, r, t)


def _dark_share(gray: Image.Image) -> float:
    a = np.asarray(gray)
    return float((a < DARK).mean()) if a.size else 0.0


def _affine(src: Corners, dst: Corners) -> np.ndarray:
    """Least-squares affine map (2×3) taking the issued page's QR corners to the scan's."""
    a = np.array([[x, y, 1.0] for x, y in src])
    b = np.array(dst, dtype=float)
    m, *_ = np.linalg.lstsq(a, b, rcond=None)
    return m.T  # rows: x' = m00 x + m01 y + m02 ; y' = …


def _zone(img: Image.Image, m: np.ndarray, box: Box) -> Image.Image:
    """The scan's pixels of an issued-page box (resampled into the issued frame)."""
    x0, y0, x1, y1 = box
    w, h = max(1, round(x1 - x0)), max(1, round(y1 - y0))
    a, b, c = m[0]
    d, e, f = m[1]
    data = (a, b, a * x0 + b * y0 + c, d, e, d * x0 + e * y0 + f)
    fill = (255, 255, 255) if img.mode == "RGB" else 255
    return img.transform((w, h), Image.Transform.AFFINE, data, resample=Image.Resampling.NEAREST, fillcolor=fill)


def _seal_share(zone: Image.Image) -> float:
    hsv = np.asarray(zone.convert("HSV"))
    h, s, v = hsv[..., 0].astype(int), hsv[..., 1], hsv[..., 2]
    # PIL hue 0–255: red wraps around 0, purple/magenta ~ 190–240 (270°–340°)
    hue = (h <= 14) | (h >= 185)
    return float((hue & (s >= 80) & (v >= 50)).mean()) if hsv.size else 0.0


@dataclass(frozen=True)
class InkFound:
    """What a scan carries in the page's zones (None = the page has no such zone or cannot tell)."""

    stamp: bool | None
    signatures: tuple[bool, ...]
    aligned: bool


def measure(jpeg: bytes, qr: Corners | None, colour: bool, geometry: PageGeometry) -> InkFound:
    """Look for seal and signature ink in a normalised scan, aligned through the QR code.

    The JPEG is decoded at half size (DCT scaling, cheap): 100 dpi is plenty to see ink.
    """
    if qr is None or geometry.qr is None:
        return InkFound(None, (), False)
    img = Image.open(io.BytesIO(jpeg))
    full = img.size[0]
    img.draft(img.mode, (img.size[0] // 2, img.size[1] // 2))
    img.load()
    k = img.size[0] / full
    m = _affine(geometry.qr, tuple((x * k, y * k) for x, y in qr))  # type: ignore[arg-type]
    stamp: bool | None = None
    if geometry.stamp is not None and colour:
        stamp = _seal_share(_zone(img.convert("RGB") if img.mode != "RGB" else img, m, geometry.stamp)) >= STAMP_INK
    gray = img.convert("L") if img.mode != "L" else img
    signed = tuple(
        _dark_share(_zone(gray, m, box)) - issued >= SIGNED_EXTRA_INK
        for box, issued in zip(geometry.signatures, geometry.issued_ink, strict=True)
    )
    return InkFound(stamp, signed, True)
