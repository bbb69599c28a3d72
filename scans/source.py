"""Pages of an office scanner's file, read defensively: PDF (image pages), TIFF, JPEG, PNG.

Every limit is checked *before* pixels are decoded, so a decompression bomb, an absurd page size
or a file that is not what it claims is refused with a Vietnamese message (``ScanFileError``)
and nothing else happens. Pages come out one at a time (a 300-page scan never sits in memory).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageSequence, UnidentifiedImageError

from scans.errors import ScanFileError

#: What Pillow raises on damaged files (its plugins are not consistent about it).
_BROKEN = (OSError, ValueError, EOFError, SyntaxError, TypeError, KeyError, IndexError, struct.error, zlib.error)

SCAN_DPI = 200  # PDFs are rendered at this resolution; images keep theirs
MAX_FILE_BYTES = 1 << 30  # 1 GiB: a 500-page colour scan at 300 dpi fits easily
MAX_PAGES = 2000
MAX_PAGE_PIXELS = 60_000_000  # A3 at 400 dpi is 31 Mpx; a bigger "page" is an attack or a mistake
MAX_PAGE_MM = 600.0  # longest side; A2 is 594 mm
MIN_PAGE_MM = 50.0

_KINDS = {
    b"%PDF-": "pdf",
    b"II*\x00": "tiff",
    b"MM\x00*": "tiff",
    b"\xff\xd8\xff": "jpeg",
    b"\x89PNG\r\n\x1a\n": "png",
}
_PIL_FORMATS = {"tiff": "TIFF", "jpeg": "JPEG", "png": "PNG"}


@dataclass(frozen=True)
class ScanFile:
    """A file accepted for reading: its bytes, kind and number of pages."""

    name: str
    data: bytes
    kind: str  # "pdf" | "tiff" | "jpeg" | "png"
    pages: int


def _refuse(name: str, why_vi: str, why_en: str) -> ScanFileError:
    return ScanFileError(f"Tệp «{name}» bị từ chối: {why_vi} Kho lưu trữ không thay đổi.", f"{name}: {why_en}")


def file_kind(name: str, data: bytes) -> str:
    """The kind of file from its first bytes (never from its name)."""
    head = data[:1024]
    for magic, kind in _KINDS.items():
        if head.startswith(magic) or (kind == "pdf" and magic in head):
            return kind
    raise _refuse(name, "không phải PDF, TIFF, JPEG hay PNG.", "unsupported file type")


def open_scan(path: str | Path, *, name: str | None = None) -> ScanFile:
    """Read a file and check its type and page count (no page is decoded yet)."""
    p = Path(path)
    label = name or p.name
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _refuse(label, f"tệp quá lớn ({size // (1 << 20)} MB).", f"file too large ({size} bytes)")
        data = p.read_bytes()
    except OSError as exc:
        raise ScanFileError(f"Không đọc được tệp «{label}».", f"cannot read {p}: {exc}") from None
    return scan_from_bytes(label, data)


def scan_from_bytes(name: str, data: bytes) -> ScanFile:
    """Check bytes received some other way (upload) like :func:`open_scan`."""
    if not data:
        raise _refuse(name, "tệp rỗng.", "empty file")
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(name, "tệp quá lớn.", f"file too large ({len(data)} bytes)")
    kind = file_kind(name, data)
    pages = _pdf_page_count(name, data) if kind == "pdf" else _image_frames(name, data, kind)
    if pages == 0:
        raise _refuse(name, "tệp không có trang nào.", "no pages")
    if pages > MAX_PAGES:
        raise _refuse(name, f"quá nhiều trang ({pages}, tối đa {MAX_PAGES}).", f"{pages} pages")
    return ScanFile(name, data, kind, pages)


def _pdf_page_count(name: str, data: bytes) -> int:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise _refuse(name, "tệp PDF bị hỏng, bị cắt cụt hoặc có mật khẩu.", f"cannot open PDF: {exc}") from None
    try:
        n = len(pdf)
        for i in range(min(n, MAX_PAGES + 1)):
            w, h = pdf.get_page_size(i)
            _check_page_mm(name, i, w * 25.4 / 72, h * 25.4 / 72)
        return n
    finally:
        pdf.close()


def _check_page_mm(name: str, index: int, w_mm: float, h_mm: float) -> None:
    if max(w_mm, h_mm) > MAX_PAGE_MM or min(w_mm, h_mm) < MIN_PAGE_MM:
        raise _refuse(name, f"trang {index + 1} có khổ bất thường ({w_mm:.0f} × {h_mm:.0f} mm).",
                      f"page {index} is {w_mm:.0f}x{h_mm:.0f} mm")


def _open_image(name: str, data: bytes, kind: str) -> Image.Image:
    try:
        # Our own limit is checked per frame below; PIL's global guard stays as a second line.
        return Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[kind]])
    except Image.DecompressionBombError as exc:
        raise _refuse(name, "ảnh quá lớn, có thể là tệp độc hại (decompression bomb).", str(exc)) from None
    except (UnidentifiedImageError, *_BROKEN) as exc:
        raise _refuse(name, "ảnh bị hỏng hoặc không đúng định dạng.", f"cannot open image: {exc}") from None


def _check_frame(name: str, index: int, img: Image.Image) -> None:
    w, h = img.size
    if w <= 0 or h <= 0 or w * h > MAX_PAGE_PIXELS:
        raise _refuse(name, f"trang {index + 1} quá lớn ({w} × {h} điểm ảnh), có thể là tệp độc hại.",
                      f"frame {index} is {w}x{h} px (decompression bomb?)")
    dpi = image_dpi(img)
    _check_page_mm(name, index, w * 25.4 / dpi, h * 25.4 / dpi)


def _image_frames(name: str, data: bytes, kind: str) -> int:
    img = _open_image(name, data, kind)
    n = 0
    try:
        for n, frame in enumerate(ImageSequence.Iterator(img), start=1):
            _check_frame(name, n - 1, frame)
            if n > MAX_PAGES:
                break
    except _BROKEN as exc:
        raise _refuse(name, "tệp ảnh bị hỏng hoặc bị cắt cụt.", f"broken frames: {exc}") from None
    return n


def image_dpi(img: Image.Image) -> float:
    """Resolution the scanner wrote into the file (200 when absent or absurd)."""
    dpi = img.info.get("dpi")
    try:
        x = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        x = 0.0
    return x if 50 <= x <= 1200 else float(SCAN_DPI)


@dataclass
class SourcePage:
    """One page as it came: the scanner's own JPEG when the page is exactly one (kept byte for byte
    when nothing needs turning), else the decoded image."""

    index: int
    dpi: float
    jpeg: bytes | None = None
    image: Image.Image | None = None

    def picture(self, *, gray: bool = False, reduce: int = 1) -> Image.Image:
        """The page decoded (RGB or L; ``gray``: luminance only; ``reduce``: JPEG DCT scaling 1/2/4/8)."""
        if self.image is not None:
            img = self.image
            if gray and img.mode != "L":
                img = img.convert("L")
            return img.reduce(reduce) if reduce > 1 else img
        assert self.jpeg is not None
        img = Image.open(io.BytesIO(self.jpeg), formats=["JPEG"])
        w, h = img.size
        img.draft("L" if gray else img.mode, (w // reduce, h // reduce))
        img.load()
        if img.mode not in ("RGB", "L"):
            img = img.convert("L" if gray else "RGB")
        return img


def page_image(scan: ScanFile, index: int) -> SourcePage:
    """Page ``index`` of the file (the JPEG bytes not yet decoded); a broken page raises ``ScanFileError``."""
    try:
        if scan.kind == "pdf":
            return _pdf_page(scan, index)
        if scan.kind == "jpeg":
            img = _open_image(scan.name, scan.data, scan.kind)
            _check_frame(scan.name, index, img)
            page = SourcePage(index, image_dpi(img), jpeg=scan.data)
            page.picture(gray=True, reduce=8)  # a truncated JPEG fails here, before anything is kept
            return page
        img = _open_image(scan.name, scan.data, scan.kind)
        img.seek(index)
        _check_frame(scan.name, index, img)
        dpi = image_dpi(img)
        img.load()
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB" if img.mode in ("RGBA", "P", "CMYK", "YCbCr", "LAB", "HSV", "PA") else "L")
        return SourcePage(index, dpi, image=img)
    except ScanFileError:
        raise
    except (*_BROKEN, Image.DecompressionBombError) as exc:
        raise _refuse(scan.name, f"không đọc được trang {index + 1} (tệp hỏng hoặc bị cắt cụt).",
                      f"page {index}: {exc}") from None


_OPEN_PDF: dict[int, object] = {}  # the scan file's open document, per process (pages are read in order)


def _pdf_document(scan: ScanFile):  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium

    doc = _OPEN_PDF.get(id(scan))
    if doc is None:
        for old in _OPEN_PDF.values():
            old.close()  # type: ignore[attr-defined]
        _OPEN_PDF.clear()
        doc = _OPEN_PDF[id(scan)] = pdfium.PdfDocument(scan.data)
    return doc


def _pdf_page(scan: ScanFile, index: int) -> SourcePage:
    import pypdfium2 as pdfium

    pdf = _pdf_document(scan)
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        raise _refuse(scan.name, f"không mở được trang {index + 1}.", f"page {index}: {exc}") from None
    try:
        w, h = page.get_size()
        jpeg = _single_jpeg(page, w, h)
        if jpeg is not None:
            img = _open_image(scan.name, jpeg, "jpeg")
            _check_frame(scan.name, index, img)
            source = SourcePage(index, img.size[0] / (w / 72), jpeg=jpeg)
            source.picture(gray=True, reduce=8)  # damaged image data fails here
            return source
        scale = SCAN_DPI / 72
        if w * scale * h * scale > MAX_PAGE_PIXELS:
            raise _refuse(scan.name, f"trang {index + 1} quá lớn.", f"page {index} too large")
        return SourcePage(index, float(SCAN_DPI), image=page.render(scale=scale).to_pil().convert("RGB"))
    except pdfium.PdfiumError as exc:
        raise _refuse(scan.name, f"không hiển thị được trang {index + 1}.", f"render page {index}: {exc}") from None
    finally:
        page.close()


def _single_jpeg(page, w: float, h: float) -> bytes | None:  # type: ignore[no-untyped-def]
    """The page's JPEG when the page is exactly one upright JPEG image covering it (a scanner's PDF)."""
    import pypdfium2 as pdfium

    if page.get_rotation() != 0:
        return None
    objs = list(page.get_objects())
    if len(objs) != 1 or objs[0].type != pdfium.raw.FPDF_PAGEOBJ_IMAGE:
        return None
    img = objs[0]
    m = img.get_matrix()
    if m.b or m.c or abs(m.a - w) > 1 or abs(m.d - h) > 1 or abs(m.e) > 1 or abs(m.f) > 1:
        return None
    if img.get_filters() != ["DCTDecode"]:
        return None
    buf = io.BytesIO()
    img.extract(buf, fb_format=None)
    data = buf.getvalue()
    return data if data.startswith(b"\xff\xd8") else None


def iter_pages(scan: ScanFile) -> Iterator[SourcePage]:
    """Every page of the file in order."""
    for i in range(scan.pages):
        yield page_image(scan, i)


def close_documents() -> None:
    """Close the PDF kept open by :func:`page_image` in this process."""
    for doc in _OPEN_PDF.values():
        doc.close()  # type: ignore[attr-defined]
    _OPEN_PDF.clear()
