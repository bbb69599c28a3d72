"""Caps on what a verifier decodes, checked from the file's structure BEFORE anything is rendered.

A verification page is public: a 611-byte PDF with a 14,400 pt page, 200 blank pages, a 40-frame
TIFF or a 159-megapixel PNG must be refused in milliseconds, not decoded. ``check_upload`` reads only
what is cheap to read (the PDF page tree and MediaBoxes with pikepdf, an image header and frame
count with Pillow) and raises ``UploadRefused`` with a Vietnamese message; it never decodes pixels.

``WEB`` are the public page's caps; ``CLI`` the command line's (an office verifying a whole bound
book). Both keep the rendered size of a page bounded: side ≤ ``max_page_pt`` at the scan resolution.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from signing.errors import UploadRefused


@dataclass(frozen=True)
class Limits:
    """Caps per uploaded file."""

    max_bytes: int
    max_pages: int  # PDF pages or image frames
    max_page_pt: float  # longest side of a PDF page, in points (A2 = 1684 pt)
    max_pixels: int  # of one image frame


WEB = Limits(max_bytes=15 * 1024 * 1024, max_pages=30, max_page_pt=1700, max_pixels=40_000_000)
CLI = Limits(max_bytes=500 * 1024 * 1024, max_pages=2000, max_page_pt=1700, max_pixels=80_000_000)


@dataclass(frozen=True)
class FileShape:
    """What the structure says: PDF or image, and how many pages / frames."""

    is_pdf: bool
    pages: int


def is_pdf(data: bytes) -> bool:
    """A PDF header in the first kilobyte (as PDF readers accept it)."""
    return b"%PDF-" in data[:1024]


def check_upload(data: bytes, limits: Limits) -> FileShape:
    """Refuse a file whose structure exceeds the caps; never decodes pixels. Raises ``UploadRefused``."""
    if len(data) > limits.max_bytes:
        raise UploadRefused(f"Tệp quá lớn (tối đa {limits.max_bytes // (1024 * 1024)} MB).",
                            f"file of {len(data)} bytes over {limits.max_bytes}")
    if not data:
        raise UploadRefused("Tệp rỗng.", "empty file")
    if is_pdf(data):
        return FileShape(True, _check_pdf(data, limits))
    return FileShape(False, _check_image(data, limits))


def _check_pdf(data: bytes, limits: Limits) -> int:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            count = len(pdf.pages)
            if count > limits.max_pages:
                raise UploadRefused(f"Tệp PDF có {count} trang, quá số trang được kiểm tra một lần "
                                    f"(tối đa {limits.max_pages}).", f"PDF of {count} pages")
            for i, page in enumerate(pdf.pages):
                box = [float(v) for v in page.mediabox]
                unit = float(page.obj.get("/UserUnit", 1) or 1)
                side = max(abs(box[2] - box[0]), abs(box[3] - box[1])) * unit
                if not side or side > limits.max_page_pt:
                    raise UploadRefused(
                        f"Trang {i + 1} của tệp PDF có khổ không hợp lệ ({side / 72 * 25.4:.0f} mm): "
                        "trang sổ, học bạ chỉ đến khổ A3.", f"PDF page {i + 1} side {side} pt")
            return count
    except UploadRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - any structural problem: a clear refusal, never a traceback
        raise UploadRefused("Tệp PDF bị hỏng hoặc có mật khẩu, không đọc được.", f"bad PDF structure: {exc!r}") \
            from None


def _check_image(data: bytes, limits: Limits) -> int:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:  # reads the header only
            width, height = img.size
            if width * height > limits.max_pixels or not width or not height:
                raise UploadRefused(
                    f"Ảnh quá lớn ({width}×{height} điểm ảnh, tối đa {limits.max_pixels // 1_000_000} triệu): "
                    "hãy chụp hoặc quét ở độ phân giải 200–300 dpi.", f"image {width}x{height}")
            frames = int(getattr(img, "n_frames", 1) or 1)
            if frames > limits.max_pages:
                raise UploadRefused(f"Ảnh có {frames} trang, quá số trang được kiểm tra một lần "
                                    f"(tối đa {limits.max_pages}).", f"image of {frames} frames")
            return frames
    except UploadRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UploadRefused("Tệp không phải ảnh (PNG, JPEG, TIFF) hoặc PDF đọc được.", f"cannot open image: {exc!r}") \
            from None


__all__ = ["CLI", "WEB", "FileShape", "Limits", "UploadRefused", "check_upload", "is_pdf"]
