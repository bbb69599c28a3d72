"""QR codes: SVG for the printed page (segno) and decoding from images / PDFs (zxing-cpp).

The SVG goes into Typst as ``image(bytes(svg), format: "svg", width: size_mm * 1mm)``; it carries
its own size in millimetres and a viewBox, so the width argument is only a safeguard.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import segno
import zxingcpp
from PIL import Image, ImageSequence, UnidentifiedImageError

from signing.errors import PayloadError, QrReadError

MIN_MODULE_MM = 0.5
DEFAULT_MODULE_MM = 0.5
QUIET_ZONE = 4
ERROR_LEVEL = "m"
SCAN_DPI = 200
MAX_PIXELS = 80_000_000
_QR_FORMATS = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)  # refuse decompression bombs (A4 at 600 dpi is 35 Mpx)

ImageSource = Image.Image | bytes | str | os.PathLike[str]


@dataclass(frozen=True)
class QrSvg:
    """A QR code ready for Typst: SVG text and its printed size."""

    svg: str
    size_mm: float      # width = height, quiet zone included
    modules: int        # symbol width in modules, quiet zone included
    version: int
    error: str          # error-correction level actually used ("M" or better)
    module_mm: float


def make_qr(text: str) -> segno.QRCode:
    """Make the QR symbol for a payload text (level M at least, never a Micro QR)."""
    try:
        return segno.make(text, error=ERROR_LEVEL, micro=False)
    except segno.DataOverflowError as exc:
        raise PayloadError("Nội dung quá dài cho một mã QR.", f"QR data overflow: {exc}") from None


def qr_svg(text: str, module_mm: float = DEFAULT_MODULE_MM, border: int = QUIET_ZONE) -> QrSvg:
    """Return the QR SVG (size in mm, viewBox, no XML declaration) and its size in mm."""
    if module_mm < MIN_MODULE_MM:
        raise PayloadError(f"Ô mã QR phải rộng ít nhất {MIN_MODULE_MM} mm.",
                           f"module size {module_mm} mm below {MIN_MODULE_MM} mm")
    if border < QUIET_ZONE:
        raise PayloadError("Lề trắng quanh mã QR phải rộng ít nhất 4 ô.", f"border {border} < {QUIET_ZONE}")
    q = make_qr(text)
    buf = io.BytesIO()
    q.save(buf, kind="svg", scale=module_mm, unit="mm", border=border, xmldecl=False,
           svgclass=None, lineclass=None, dark="#000")
    modules = q.symbol_size(scale=1, border=border)[0]
    return QrSvg(buf.getvalue().decode("utf-8"), round(modules * module_mm, 3), int(modules), int(q.version),
                 q.error, module_mm)


def qr_matrix(text: str, border: int = QUIET_ZONE) -> list[list[bool]]:
    """Module matrix (True = dark) including the quiet zone; for raster rendering in tests."""
    return [[bool(v) for v in row] for row in make_qr(text).matrix_iter(scale=1, border=border)]


# --------------------------------------------------------------------------- decoding

@dataclass(frozen=True)
class FoundCode:
    """One QR code found on a page."""

    page_index: int                          # 0-based page / frame index
    text: str
    position: tuple[tuple[int, int], ...]    # corners in page pixels (tl, tr, br, bl)


@dataclass(frozen=True)
class PageScan:
    """All QR codes found on one page (empty ``codes`` = no code found)."""

    page_index: int
    codes: tuple[FoundCode, ...]


def _pages(source: ImageSource, dpi: int) -> Iterator[Image.Image]:
    if isinstance(source, Image.Image):
        yield from _frames(source)
        return
    if isinstance(source, (str, os.PathLike)):
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise QrReadError(f"Không đọc được tệp: {source}.", f"cannot read {source}: {exc}") from None
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        raise QrReadError("Không nhận dạng được dữ liệu ảnh.", f"unsupported source {type(source).__name__}")
    if data[:1024].lstrip().startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        yield from _pdf_pages(data, dpi)
        return
    try:
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        img = Image.open(io.BytesIO(data))
        yield from _frames(img)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        raise QrReadError("Tệp không phải ảnh hoặc PDF đọc được.", f"cannot open image: {exc}") from None


def _frames(img: Image.Image) -> Iterator[Image.Image]:
    for frame in ImageSequence.Iterator(img):
        yield frame.convert("L")


def _pdf_pages(data: bytes, dpi: int) -> Iterator[Image.Image]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise QrReadError("Tệp PDF bị hỏng hoặc có mật khẩu.", f"cannot open PDF: {exc}") from None
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            try:
                yield page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            except pdfium.PdfiumError as exc:
                raise QrReadError(f"Không hiển thị được trang {i + 1} của PDF.", f"render page {i}: {exc}") from None
            finally:
                page.close()
    finally:
        pdf.close()


def _decode(img: Image.Image, page_index: int) -> tuple[FoundCode, ...]:
    results = zxingcpp.read_barcodes(img, formats=_QR_FORMATS)
    if not any(r.valid for r in results):
        # Second chance for soft or low-contrast scans: global-histogram binarisation.
        results = zxingcpp.read_barcodes(img, formats=_QR_FORMATS, binarizer=zxingcpp.Binarizer.GlobalHistogram)
    found: dict[str, FoundCode] = {}
    for r in results:
        if r.valid and r.text and r.text not in found:
            p = r.position
            corners = tuple((int(c.x), int(c.y)) for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
            found[r.text] = FoundCode(page_index, r.text, corners)
    return tuple(found.values())


def scan_pages(source: ImageSource, dpi: int = SCAN_DPI) -> list[PageScan]:
    """Decode every QR code on every page/frame of an image, TIFF, or PDF (rendered at ``dpi``)."""
    return [PageScan(i, _decode(img, i)) for i, img in enumerate(_pages(source, dpi))]


def read_qr_codes(source: ImageSource, dpi: int = SCAN_DPI) -> list[FoundCode]:
    """All QR codes of all pages, in page order, each with its page index."""
    return [c for page in scan_pages(source, dpi) for c in page.codes]
