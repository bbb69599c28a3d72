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

from scans.source import SourcePage

DESKEW_MIN_DEG = 0.5  # 0.5° moves the far edge of an A4 page by 2.6 mm: below that, leave it
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


#: Where a page's code lies: the bottom corners (upright), the top corners (upside down); the
#: sides for pages lying sideways. Fractions of the width and height.
_CORNERS = ((0.55, 0.70, 1.0, 1.0), (0.0, 0.70, 0.45, 1.0), (0.0, 0.0, 0.45, 0.30), (0.55, 0.0, 1.0, 0.30))


def _decode(gray: Image.Image, dx: float = 0.0, dy: float = 0.0, *, second_chance: bool = True) -> list[FoundQr]:
    results = zxingcpp.read_barcodes(gray, formats=_QR)
    if second_chance and not any(r.valid for r in results):
        results = zxingcpp.read_barcodes(gray, formats=_QR, binarizer=zxingcpp.Binarizer.GlobalHistogram)
    out: list[FoundQr] = []
    for r in results:
        if r.valid and r.text:
            p = r.position
            out.append(FoundQr(r.text, tuple((float(c.x) + dx, float(c.y) + dy) for c in  # type: ignore[arg-type]
                                             (p.top_left, p.top_right, p.bottom_right, p.bottom_left))))
    return out


def find_qr(gray: Image.Image) -> list[FoundQr]:
    """QR codes on a grey page: the corners first (a third of the pixels), then the whole page."""
    w, h = gray.size
    for fx0, fy0, fx1, fy1 in _CORNERS:
        box = (round(w * fx0), round(h * fy0), round(w * fx1), round(h * fy1))
        found = _decode(gray.crop(box), box[0], box[1], second_chance=False)
        if found:
            return found
    return _decode(gray)


def is_colour(img: Image.Image) -> bool:
    """True when the scan holds colour (a grey scan stored as RGB has equal channels)."""
    if img.mode != "RGB":
        return False
    from PIL import ImageChops

    r, g, b = img.split()
    spread = ImageChops.add(ImageChops.difference(r, g), ImageChops.difference(g, b))
    low_high = spread.getextrema()
    return isinstance(low_high, tuple) and isinstance(low_high[1], (int, float)) and low_high[1] > 40


def skew_angle(corners: Corners) -> float:
    """Angle of the symbol in degrees (0 = upright, 180 = upside down, y down), from its four edges.

    One corner off by a pixel tilts one edge of a 30 mm code by 0.3°; the mean of the four edges
    (top, bottom, and the two sides turned by 90°) keeps the noise well under the deskew threshold.
    """
    tl, tr, br, bl = corners
    vectors = [(tr[0] - tl[0], tr[1] - tl[1]), (br[0] - bl[0], br[1] - bl[1]),
               (bl[1] - tl[1], tl[0] - bl[0]), (br[1] - tr[1], tr[0] - br[0])]
    x = sum(v[0] for v in vectors)
    y = sum(v[1] for v in vectors)
    return math.degrees(math.atan2(y, x))


def normalise(page: SourcePage) -> NormalisedPage:
    """Upright, deskewed page with its code (or the page as it came when no code is readable).

    A scanner's JPEG that needs no turning is kept byte for byte (the archive holds what was
    scanned); a turned or skewed page is re-encoded once.
    """
    codes = find_qr(page.picture(gray=True))
    colour = is_colour(page.picture(reduce=8))
    qr = codes[0] if codes else None
    angle = skew_angle(qr.corners) if qr else 0.0
    turns = round(angle / 90) % 4
    residual = angle - 90 * round(angle / 90)
    deskew = DESKEW_MIN_DEG <= abs(residual) <= DESKEW_MAX_DEG
    if not turns and not deskew:
        if page.jpeg is not None:
            head = Image.open(io.BytesIO(page.jpeg))
            return NormalisedPage(page.index, page.jpeg, head.size, page.dpi, colour,
                                  "L" if head.mode == "L" else "RGB", qr, 0.0)
        img: Image.Image = page.picture()
        return NormalisedPage(page.index, _jpeg(img), img.size, page.dpi, colour, img.mode, qr, 0.0)
    assert qr is not None
    img = page.picture()
    rotation = 0.0
    if turns:
        img = img.transpose(_TURNS[turns])
        rotation += 90 * turns
    if deskew:
        img = img.rotate(residual, resample=Image.Resampling.BILINEAR,
                         fillcolor=(255, 255, 255) if img.mode == "RGB" else 255)
        rotation += residual
    again = [c for c in find_qr(img.convert("L") if img.mode != "L" else img) if c.text == qr.text]
    if not again:  # turning lost the code (never seen): keep the page as it came, still matched
        img = page.picture()
        return NormalisedPage(page.index, page.jpeg or _jpeg(img), img.size, page.dpi, colour, img.mode, qr, 0.0)
    return NormalisedPage(page.index, _jpeg(img), img.size, page.dpi, colour, img.mode, again[0],
                          round(rotation, 2))


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=JPEG_QUALITY, optimize=False)
    return buf.getvalue()
