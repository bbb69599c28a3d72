"""QR codes: SVG for the printed page (segno) and decoding from images / PDFs (zxing-cpp).

The SVG goes into Typst as ``image(bytes(svg), format: "svg", width: size_mm * 1mm)``; it carries
its own size in millimetres and a viewBox, so the width argument is only a safeguard.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
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
    """segno's symbol for a payload text (level M at least, never a Micro QR): version and mode checks.

    The printed symbol is :func:`qr_symbol` (zxing-cpp's encoder, ~4x faster than this); both use
    the smallest version of level M (tests/signing/test_qr.py compares them).
    """
    try:
        return segno.make(text, error=ERROR_LEVEL, micro=False)
    except segno.DataOverflowError as exc:
        raise PayloadError("Nội dung quá dài cho một mã QR.", f"QR data overflow: {exc}") from None


@dataclass(frozen=True)
class QrSymbol:
    """A QR symbol's modules (one ``bytes`` per row, 1 = dark, no quiet zone), version and level."""

    rows: tuple[bytes, ...]
    version: int
    error: str


_DARK_BYTES = bytes(1 if v < 128 else 0 for v in range(256))  # zxing's image: 0 dark, 255 light


def qr_symbol(text: str) -> QrSymbol:
    """The QR symbol of ``text`` at level M by zxing-cpp's encoder (public ``create_barcode``, C++).

    Measured (bench/bench_qr.py): 0.3 ms a code, against 1.1 ms for the earlier mask search on
    segno's private modules and 4.7 ms for ``segno.make``. The mask may differ from segno's; any
    reader decodes it (the scan tests are the guard).
    """
    try:
        barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=ERROR_LEVEL.upper())
    except (ValueError, RuntimeError) as exc:
        raise PayloadError("Nội dung quá dài cho một mã QR.", f"QR encoding failed: {exc}") from None
    image = barcode.to_image(scale=1, add_quiet_zones=False)
    flat = bytes(memoryview(image)).translate(_DARK_BYTES)  # type: ignore[arg-type]  # zxingcpp.Image is a buffer
    n = image.shape[1]
    rows = tuple(flat[i:i + n] for i in range(0, len(flat), n))
    if len(rows) != n or (n - 17) % 4:
        raise PayloadError("Không tạo được mã QR.", f"unexpected QR symbol {image.shape}")
    return QrSymbol(rows, (n - 17) // 4, str(barcode.ec_level or ERROR_LEVEL.upper()))


def qr_svg(text: str, module_mm: float = DEFAULT_MODULE_MM, border: int = QUIET_ZONE) -> QrSvg:
    """Return the QR SVG (size in mm, viewBox, no XML declaration) and its size in mm."""
    if module_mm < MIN_MODULE_MM:
        raise PayloadError(f"Ô mã QR phải rộng ít nhất {MIN_MODULE_MM} mm.",
                           f"module size {module_mm} mm below {MIN_MODULE_MM} mm")
    if border < QUIET_ZONE:
        raise PayloadError("Lề trắng quanh mã QR phải rộng ít nhất 4 ô.", f"border {border} < {QUIET_ZONE}")
    symbol = qr_symbol(text)
    modules = len(symbol.rows) + 2 * border
    return QrSvg(rows_svg(symbol.rows, module_mm, border), round(modules * module_mm, 3), modules, symbol.version,
                 symbol.error, module_mm)


_DARK_RUN = re.compile(rb"\x01+")


class _Segments(dict[tuple[int, int, int], str]):
    """"m<dx> <dy>h<length>" of each relative move (dx, dy, length), made on first use."""

    def __missing__(self, key: tuple[int, int, int]) -> str:
        text = self[key] = f"m{key[0]} {key[1]}h{key[2]}"
        return text


_SEGMENTS = _Segments()


def svg_text(q: segno.QRCode, module_mm: float, border: int = QUIET_ZONE) -> str:
    """The SVG of ``q.save(kind="svg", scale=module_mm, unit="mm", border=border, xmldecl=False,
    svgclass=None, lineclass=None, dark="#000")``, character for character (:func:`rows_svg`)."""
    if q.is_micro or len(q.matrix) != len(q.matrix[0]):
        buf = io.BytesIO()
        q.save(buf, kind="svg", scale=module_mm, unit="mm", border=border, xmldecl=False,
               svgclass=None, lineclass=None, dark="#000")
        return buf.getvalue().decode("utf-8")
    return rows_svg(tuple(bytes(row) for row in q.matrix), module_mm, border)


def rows_svg(rows: Iterable[bytes], module_mm: float, border: int = QUIET_ZONE) -> str:
    """The SVG of a square symbol (rows of 0/1 bytes), written as segno writes it.

    segno draws each row's runs of dark modules as ``h`` segments of one path, moving relatively
    from the end of the previous run. The runs are found for the whole symbol at once with numpy
    and each move's text is looked up by (dx, dy, length) (0.1 ms a code against 0.5 ms for a
    Python loop over the runs of each row, :func:`_rows_path_loop`, which tests compare it with).
    """
    rows = tuple(rows)
    size = (len(rows) + 2 * border) * module_mm
    scale = f' transform="scale({module_mm})"' if module_mm != 1 else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}mm" height="{size}mm" viewBox="0 0 {size} {size}">'
            f'<path{scale} stroke="#000" d="{_rows_path(rows, border)}"/></svg>\n')


def _rows_path(rows: tuple[bytes, ...], border: int) -> str:
    """The path data of the dark runs (see :func:`rows_svg`)."""
    width = len(rows[0]) if rows else 0
    if not rows or any(len(row) != width for row in rows) or not isinstance(border, int):
        return _rows_path_loop(rows, border)
    dark = np.zeros((len(rows), width + 2), dtype=np.int8)
    dark[:, 1:-1] = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), width) == 1
    change = np.diff(dark, axis=1)  # +1 where a run starts (its column), -1 where it ends (its end, exclusive)
    run_rows, starts = np.nonzero(change == 1)  # row-major: the runs in drawing order
    ends = np.nonzero(change == -1)[1]
    if not len(starts):
        return ""
    # each move is relative to the end of the previous run: dx = start - previous end, dy = rows down
    dx = (starts[1:] - ends[:-1]).tolist()
    dy = (run_rows[1:] - run_rows[:-1]).tolist()
    length = (ends - starts).tolist()
    first = f"M{border + int(starts[0])} {border + .5 + int(run_rows[0])}h{length[0]}"
    return first + "".join(map(_SEGMENTS.__getitem__, zip(dx, dy, length[1:])))


def _rows_path_loop(rows: tuple[bytes, ...], border: int) -> str:
    """:func:`_rows_path` as a Python loop over the runs of each row (any row lengths)."""
    parts: list[str] = []
    px: float = 0
    py: float = 0
    y = border + .5
    for row in rows:
        dy = y - py
        for m in _DARK_RUN.finditer(row):
            start, end = m.span()
            text_dy = int(dy) if int(dy) == dy else dy
            parts.append(f"{'m' if parts else 'M'}{border + start - px} {text_dy}h{end - start}")
            px, py, dy = border + end, y, 0
        y += 1
    return "".join(parts)


def qr_matrix(text: str, border: int = QUIET_ZONE) -> list[list[bool]]:
    """Module matrix (True = dark) of the printed symbol, quiet zone included; for raster rendering in tests."""
    rows = qr_symbol(text).rows
    n = len(rows) + 2 * border
    blank = [False] * n
    return ([list(blank) for _ in range(border)]
            + [[False] * border + [bool(v) for v in row] + [False] * border for row in rows]
            + [list(blank) for _ in range(border)])


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
    for i, frame in enumerate(ImageSequence.Iterator(img)):
        if frame.size[0] * frame.size[1] > MAX_PIXELS:  # every frame of a TIFF has its own size
            raise QrReadError(f"Trang {i + 1} của ảnh quá lớn.", f"frame {i} of {frame.size}")
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
                width, height = page.get_size()
                if width * height * (dpi / 72) ** 2 > MAX_PIXELS:
                    raise QrReadError(f"Trang {i + 1} của PDF quá lớn.", f"page {i} is {width}x{height} pt")
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


def scan_images(source: ImageSource, dpi: int = SCAN_DPI) -> Iterator[tuple[Image.Image, PageScan]]:
    """Each page/frame as a greyscale image with the QR codes found on it (one page in memory at a time)."""
    for i, img in enumerate(_pages(source, dpi)):
        yield img, PageScan(i, _decode(img, i))


def scan_pages(source: ImageSource, dpi: int = SCAN_DPI) -> list[PageScan]:
    """Decode every QR code on every page/frame of an image, TIFF, or PDF (rendered at ``dpi``)."""
    return [PageScan(i, _decode(img, i)) for i, img in enumerate(_pages(source, dpi))]


def read_qr_codes(source: ImageSource, dpi: int = SCAN_DPI) -> list[FoundCode]:
    """All QR codes of all pages, in page order, each with its page index."""
    return [c for page in scan_pages(source, dpi) for c in page.codes]
