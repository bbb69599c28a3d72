"""One scanned page: find its QR code, turn the page upright, deskew it, encode it for the archive.

zxing-cpp gives the four corners of the code in symbol order (top-left, top-right, bottom-right,
bottom-left). The angle of the top edge says how the page lies: about 180° means upside down,
±90° sideways, a few degrees a skewed sheet. Quarter turns are exact (``transpose``); the
remaining skew is rotated out when it exceeds ``DESKEW_MIN_DEG`` (cheap: one bilinear rotation).
A page without a readable code is kept as it came.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import zxingcpp
from PIL import Image

DESKEW_MIN_DEG = 0.3
DESKEW_MAX_DEG = 10.0  # beyond this a page is re-scanned, not rotated blindly
JPEG_QUALITY = 85
_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
_TURNS = {1: Image.Transpose.ROTATE_90, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_270}

Corners = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class FoundQr:
    """A QR code on an image: its text and corners (tl, tr, br, bl of the symbol) in pixels."""

    text: str
    corners: Corners

    @property
    def angle(self) -> float:
        """Angle of the symbol's top edge in degrees (0 = upright, 180 = upside down), y pointing down."""
        (x0, y0), (x1, y1) = self.corners[0], self.corners[1]
        return math.degrees(math.atan2(y1 - y0, x1 - x0))


@dataclass(frozen=True)
class NormalisedPage:
    """A page after normalisation: upright image (JPEG), the code on it, what was done."""

    index: int
    jpeg: bytes
    size: tuple[int, int]
    dpi: float
    colour: bool  # the scan has colour (stamp ink can be told from black ink)
    mode: str  # "RGB" or "L": colour space of the JPEG
    qr: FoundQr | None  # corners in the normalised image
    rotation: float  # degrees the page was turned (counter-clockwise) to make it upright


def find_qr(gray: Image.Image) -> list[FoundQr]:
    """Every QR code on a grey image (a second, global binarisation for faint scans)."""
    results = zxingcpp.read_barcodes(gray, formats=_QR)
    if not any(r.valid for r in results):
        results = zxingcpp.read_barcodes(gray, formats=_QR, binarizer=zxingcpp.Binarizer.GlobalHistogram)
    out: list[FoundQr] = []
    for r in results:
        if r.valid and r.text:
            p = r.position
            out.append(FoundQr(r.text, tuple((float(c.x), float(c.y)) for c in  # type: ignore[arg-type]
                                             (p.top_left, p.top_right, p.bottom_right, p.bottom_left))))
    return out


def is_colour(img: Image.Image) -> bool:
    """True when the scan holds colour (a grey scan stored as RGB has equal channels)."""
    if img.mode != "RGB":
        return False
    small = img.reduce(8)
    r, g, b = small.split()
    from PIL import ImageChops

    spread = ImageChops.add(ImageChops.difference(r, g), ImageChops.difference(g, b))
    return (spread.getextrema()[1] or 0) > 40


def normalise(index: int, img: Image.Image, dpi: float) -> NormalisedPage:
    """Upright, deskewed page with its code (or the page as it came when no code is readable)."""
    gray = img.convert("L") if img.mode != "L" else img
    codes = find_qr(gray)
    colour = is_colour(img)
    if not codes:
        return NormalisedPage(index, _jpeg(img), img.size, dpi, colour, img.mode, None, 0.0)
    qr = codes[0]
    angle = qr.angle
    turns = round(angle / 90) % 4
    residual = angle - 90 * round(angle / 90)
    rotation = 0.0
    if turns:
        img = img.transpose(_TURNS[turns])
        rotation += 90 * turns
    if DESKEW_MIN_DEG <= abs(residual) <= DESKEW_MAX_DEG:
        img = img.rotate(residual, resample=Image.Resampling.BILINEAR,
                         fillcolor=(255, 255, 255) if img.mode == "RGB" else 255)
        rotation += residual
    if rotation:
        gray = img.convert("L") if img.mode != "L" else img
        again = [c for c in find_qr(gray) if c.text == qr.text]
        qr = again[0] if again else qr  # the rotation cannot lose a code that was read; keep the first if so
    return NormalisedPage(index, _jpeg(img), img.size, dpi, colour, img.mode, qr, round(rotation, 2))


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=JPEG_QUALITY, optimize=False)
    return buf.getvalue()
