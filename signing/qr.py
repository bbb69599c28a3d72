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
from functools import lru_cache
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
    """Make the QR symbol for a payload text (level M at least, never a Micro QR).

    The symbol is exactly ``segno.make(text, error="m", micro=False)`` — same version, error
    level, mask and modules — made faster (~1 ms instead of ~5–7 ms a code, see
    :func:`_make_fast`); ``tests/signing/test_qr.py`` checks that both agree.
    """
    try:
        fast = _make_fast(text)
    except segno.DataOverflowError as exc:
        raise PayloadError("Nội dung quá dài cho một mã QR.", f"QR data overflow: {exc}") from None
    return fast if fast is not None else segno.make(text, error=ERROR_LEVEL, micro=False)


def _make_fast(text: str) -> segno.QRCode | None:
    """segno's ``encode`` for our case, with the mask chosen by :func:`_best_mask` (None: not handled).

    The steps up to the codeword placement are segno's own functions (``encoder._encode``); the
    placement uses a cached order of the version's free modules, and the eight masks are scored on
    whole-symbol byte strings instead of segno's per-module Python loops.
    """
    from segno import consts, encoder

    segments = encoder.prepare_data(text, None, None)
    error = consts.ERROR_LEVEL_M
    version = encoder.find_version(segments, error, eci=False, micro=False)
    error = encoder.boost_error_level(version, error, segments, False)
    buff = encoder.Buffer()
    ver_range = encoder.version_range(version)
    for segment in segments:
        encoder.write_segment(buff, segment, None, ver_range, False)
    capacity = consts.SYMBOL_CAPACITY[version][error]
    encoder.write_terminator(buff, capacity, None, len(buff))
    encoder.write_padding_bits(buff, version, len(buff))
    encoder.write_pad_codewords(buff, version, capacity, len(buff))
    codewords = encoder.make_final_message(version, error, buff)
    t = _mask_tables(encoder.calc_matrix_size(version))
    if len(codewords) != len(t.free):  # remainder bits (versions 2-6, 14-20, …): segno leaves them unset
        return None
    flat = bytearray(t.template)
    for position, bit in zip(t.free, codewords, strict=True):
        flat[position] = bit
    unmasked = int.from_bytes(flat, "big")
    columns = int.from_bytes(_join(zip(*(flat[i:i + t.n] for i in range(0, t.length, t.n + 1)), strict=True)), "big")
    best = _best_mask(unmasked, columns, t)
    masked = (unmasked ^ t.mask_rows[best]).to_bytes(t.length, "big")
    matrix = tuple(bytearray(masked[i:i + t.n]) for i in range(0, t.length, t.n + 1))
    encoder.add_format_info(matrix, version, error, best)
    encoder.add_version_info(matrix, version)
    return segno.QRCode(encoder.Code(matrix, version, error, best, segments))


# --------------------------------------------------------------------------- mask choice
#
# segno (encoder.find_and_apply_best_mask / mask_scores) applies each of the 8 data masks to the
# unmasked symbol, whose format and version areas are still light (0) and whose function patterns
# are drawn, scores it (N1 runs, N2 2x2 blocks, N3 finder-like patterns, N4 dark share; ISO/IEC
# 18004 7.8.3) and keeps the first mask with the lowest score. Here the same scores are computed on
# the symbol encoded once with mask 0: per version, the function patterns, the encoding region and
# the 8 mask patterns are cached as big integers holding one byte per module (rows, and columns,
# joined with a separator byte), so a mask is one XOR, and the scores are regex / bytes.count
# passes in C. The result is checked against segno in the tests for every version we print.

_SEP = 0x10  # row separator byte: never equal to a module (0/1); N2 sums stay below 256


@dataclass(frozen=True)
class _MaskTables:
    n: int
    length: int         # n rows of n modules, each followed by the separator
    template: bytes     # function patterns (0/1), reserved format/version areas 0, free modules 0, separators
    free: tuple[int, ...]  # offsets of the free (encoding-region) modules in segno's placement order
    mask_rows: tuple[int, ...]  # mask k (1 on the encoding region where the mask flips), rows layout
    mask_cols: tuple[int, ...]  # the same, columns layout
    full: int           # all bits of the layout set


def _join(rows: Iterable[Iterable[int]]) -> bytes:
    sep = bytes((_SEP,))
    return b"".join(bytes(r) + sep for r in rows)


@lru_cache(maxsize=64)
def _mask_tables(width: int) -> _MaskTables:
    from segno import encoder

    n = width
    template = encoder.make_matrix(n, n)
    encoder.add_finder_patterns(template, n, n)
    encoder.add_alignment_patterns(template, n, n)
    # cells still 0x2 are the encoding region (the dark module's cell is reserved: 0 while scoring)
    enc = [bytearray(1 if v == 0x2 else 0 for v in row) for row in template]
    # the placement order of segno.encoder.add_codewords: mark each free cell with its rank
    order: list[tuple[int, int]] = []
    taken: set[tuple[int, int]] = set()
    for right in range(n - 1, 0, -2):
        if right <= 6:
            right -= 1
        for vertical in range(n):
            for z in range(2):
                j = right - z
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = (n - 1 - vertical) if upwards else vertical
                if enc[i][j] and (i, j) not in taken:
                    taken.add((i, j))
                    order.append((i, j))
    functions = encoder.get_data_mask_functions(False)
    masks = [[bytearray(1 if enc[i][j] and fn(i, j) else 0 for j in range(n)) for i in range(n)] for fn in functions]

    def as_int(rows: Iterable[Iterable[int]]) -> int:  # separators 0: a pure module layer
        return int.from_bytes(b"".join(bytes(r) + b"\0" for r in rows), "big")

    length = n * (n + 1)
    return _MaskTables(
        n=n, length=length, template=_join(bytearray(0 if v == 0x2 else v for v in row) for row in template),
        free=tuple(i * (n + 1) + j for i, j in order),
        mask_rows=tuple(as_int(m) for m in masks), mask_cols=tuple(as_int(zip(*m, strict=True)) for m in masks),
        full=(1 << (8 * length)) - 1,
    )


#: An N3 pattern (1:1:3:1:1) that counts: light modules before it up to 4 or to the row start, or
#: after it up to 4 or to the row end (segno's rule; the joined strings start with a separator).
#: segno scans each row with ``find`` and resumes after a counted pattern at i + 7, else at i + 4;
#: a regex consuming the counted patterns only skips the same way (the pattern overlaps itself only
#: at shifts 4 and 6, so resuming at i + 1 or i + 4 after one that does not count finds the same).
_N3_COUNTED = re.compile(
    rb"\x01\x00\x01\x01\x01\x00\x01"
    rb"(?:(?<=\x00\x00\x00\x00\x01\x00\x01\x01\x01\x00\x01)|(?<=\x10\x01\x00\x01\x01\x01\x00\x01)"
    rb"|(?<=\x10\x00\x01\x00\x01\x01\x01\x00\x01)|(?<=\x10\x00\x00\x01\x00\x01\x01\x01\x00\x01)"
    rb"|(?<=\x10\x00\x00\x00\x01\x00\x01\x01\x01\x00\x01)"
    rb"|(?=\x00\x00\x00\x00|\x10|\x00\x10|\x00\x00\x10|\x00\x00\x00\x10))")
#: Uniform windows of 5 modules (sum 0 or 5) → 1 (light) / 2 (dark); anything else 0.
_UNIFORM = bytes(1 if v == 0 else 2 if v == 5 else 0 for v in range(256))


def _n3(seq: bytes) -> int:
    """segno's N3 score of rows joined by _SEP (and starting with one)."""
    return 40 * len(_N3_COUNTED.findall(seq))


def _n1(value: int, t: _MaskTables) -> int:
    """segno's N1 score (each run of L >= 5 same-colour modules scores L - 2) of a joined layout."""
    full = t.full
    windows = (value + ((value << 8) & full) + ((value << 16) & full) + ((value << 24) & full)
               + ((value << 32) & full)).to_bytes(t.length, "big")
    uniform = b"\0" + windows.translate(_UNIFORM)
    # a run of L modules has L - 4 uniform windows and starts one run of uniform windows
    return (t.length - uniform.count(0) + 1) + 2 * (uniform.count(b"\0\x01") + uniform.count(b"\0\x02"))


def _penalty(rows_int: int, cols_int: int, t: _MaskTables) -> int:
    """segno's ``evaluate_mask`` of one masked symbol (sum of N1, N2, N3, N4)."""
    n, length, full = t.n, t.length, t.full
    rows = rows_int.to_bytes(length, "big")
    cols = cols_int.to_bytes(length, "big")
    n1 = _n1(rows_int, t) + _n1(cols_int, t)
    blocks = (rows_int + 2 * ((rows_int << 8) & full) + 4 * ((rows_int << (8 * (n + 1))) & full)
              + 8 * ((rows_int << (8 * (n + 2))) & full)).to_bytes(length, "big")
    end = (n - 1) * (n + 1)
    n2 = 3 * (blocks.count(0, 0, end) + blocks.count(15, 0, end))
    sep = bytes((_SEP,))
    n3 = _n3(sep + rows) + _n3(sep + cols)
    dark = rows.count(1)
    n4 = 10 * int(abs(float(dark) / (n ** 2) * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


def _best_mask(rows: int, cols: int, t: _MaskTables) -> int:
    """The first mask with the lowest penalty for the unmasked symbol (rows and columns layouts)."""
    best, best_score = 0, None
    for k in range(8):
        score = _penalty(rows ^ t.mask_rows[k], cols ^ t.mask_cols[k], t)
        if best_score is None or score < best_score:
            best, best_score = k, score
    return best


def qr_svg(text: str, module_mm: float = DEFAULT_MODULE_MM, border: int = QUIET_ZONE) -> QrSvg:
    """Return the QR SVG (size in mm, viewBox, no XML declaration) and its size in mm."""
    if module_mm < MIN_MODULE_MM:
        raise PayloadError(f"Ô mã QR phải rộng ít nhất {MIN_MODULE_MM} mm.",
                           f"module size {module_mm} mm below {MIN_MODULE_MM} mm")
    if border < QUIET_ZONE:
        raise PayloadError("Lề trắng quanh mã QR phải rộng ít nhất 4 ô.", f"border {border} < {QUIET_ZONE}")
    q = make_qr(text)
    modules = q.symbol_size(scale=1, border=border)[0]
    return QrSvg(svg_text(q, module_mm, border), round(modules * module_mm, 3), int(modules), int(q.version),
                 q.error, module_mm)


_DARK_RUN = re.compile(rb"\x01+")
_SEGMENTS: dict[tuple[float, float, int], str] = {}  # "m<dx> <dy>h<length>" of the relative moves


def svg_text(q: segno.QRCode, module_mm: float, border: int = QUIET_ZONE) -> str:
    """The SVG of ``q.save(kind="svg", scale=module_mm, unit="mm", border=border, xmldecl=False,
    svgclass=None, lineclass=None, dark="#000")``, character for character, written directly.

    segno draws each row's runs of dark modules as ``h`` segments of one path, moving relatively
    from the end of the previous run; the runs are found here with a regex instead of a Python
    loop over every module (tests compare both outputs).
    """
    if q.is_micro or len(q.matrix) != len(q.matrix[0]):
        buf = io.BytesIO()
        q.save(buf, kind="svg", scale=module_mm, unit="mm", border=border, xmldecl=False,
               svgclass=None, lineclass=None, dark="#000")
        return buf.getvalue().decode("utf-8")
    size = (len(q.matrix) + 2 * border) * module_mm
    parts: list[str] = []
    px: float = 0
    py: float = 0
    y = border + .5
    segment = _SEGMENTS
    for row in q.matrix:
        dy = y - py
        for m in _DARK_RUN.finditer(row):
            start, end = m.span()
            if parts:
                key = (border + start - px, dy, end - start)
                text = segment.get(key)
                if text is None:
                    text = segment[key] = f"m{key[0]} {int(dy) if int(dy) == dy else dy}h{key[2]}"
                parts.append(text)
            else:
                parts.append(f"M{border + start - px} {int(dy) if int(dy) == dy else dy}h{end - start}")
            px, py, dy = border + end, y, 0
        y += 1
    scale = f' transform="scale({module_mm})"' if module_mm != 1 else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}mm" height="{size}mm" viewBox="0 0 {size} {size}">'
            f'<path{scale} stroke="#000" d="{"".join(parts)}"/></svg>\n')


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
