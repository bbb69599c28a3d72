"""The student's photo (ảnh 3×4): checked, cropped to 3:4 and stored by the homeroom teacher.

What a browser sends is distrusted: only JPEG and PNG are taken, recognised by their content (not the
name or the declared type); a file over ``MAX_BYTES``, an image over ``MAX_PIXELS`` (checked from the
header, before any decoding: decompression bombs), smaller than ``MIN_SIZE``, that does not decode
completely, or that carries anything after the image's end or active content (a polyglot: JPEG+ZIP,
PNG+HTML, a script in a comment) is refused with a Vietnamese message. What is stored is never the
upload itself: the image is decoded, turned upright (EXIF), cropped to 3:4 (the box the teacher chose,
or the largest centred one), scaled to ``STORED_PX`` and encoded again as a plain JPEG, so no metadata
or hidden payload survives. The transcript builder (``layouts.photo``) prints ``Student.photo``.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from records import audit
from records.errors import NotFoundError, ValidationError
from records.models import Student
from records.permissions import Action, Actor, require

__all__ = ["MAX_BYTES", "MAX_PIXELS", "MIN_SIZE", "STORED_PX", "CropBox", "clean_photo", "remove_photo",
           "set_photo"]

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel camera; a bomb declares far more
MIN_SIZE = (120, 160)  # below this a 3×4 cm print at 300 dpi is a blur
MAX_SIDE = 12_000
#: 3 × 4 cm at 300 dpi (the transcript's photo box).
STORED_PX = (354, 472)
JPEG_QUALITY = 90
_JPEG, _PNG = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"
#: Active content that has no business in a photo (polyglots aimed at browsers, servers or readers).
_ACTIVE = (b"<script", b"<html", b"<?php", b"<svg", b"<iframe", b"javascript:", b"<!doctype", b"%pdf-",
           b"<?xml")


@dataclass(frozen=True)
class CropBox:
    """A crop chosen in the browser, in pixels of the upright image: left, top, width (height = 4/3 width)."""

    left: int
    top: int
    width: int


def _refuse(message_vi: str, detail: str) -> ValidationError:
    return ValidationError(message_vi, f"student photo refused: {detail}")


def _png_end(data: bytes) -> int:
    """Offset just after the IEND chunk (walking the chunks), or raise."""
    pos = len(_PNG)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        pos += 12 + length
        if kind == b"IEND":
            return pos
    raise _refuse("Tệp ảnh PNG bị hỏng hoặc không trọn vẹn.", "PNG without IEND")


def _check_container(data: bytes) -> str:
    """The format by content ("JPEG"/"PNG"); refuses other types and anything after the image's end."""
    if data.startswith(_JPEG):
        kind = "JPEG"
        end = len(data.rstrip(b"\x00"))  # some cameras pad with zero bytes
        if not data[:end].endswith(b"\xff\xd9"):
            raise _refuse("Tệp ảnh JPEG bị cắt dở hoặc có dữ liệu lạ sau phần ảnh (có thể là tệp giả dạng ảnh); "
                          "hãy chụp hoặc quét lại ảnh.", "truncated, or data after the JPEG end marker")
    elif data.startswith(_PNG):
        kind = "PNG"
        if _png_end(data) != len(data):
            raise _refuse("Tệp ảnh PNG có dữ liệu lạ sau phần ảnh (có thể là tệp giả dạng ảnh); "
                          "hãy lưu lại ảnh rồi tải lên.", "data after PNG IEND")
    else:
        raise _refuse("Chỉ nhận ảnh JPEG (.jpg) hoặc PNG (.png); tệp này không phải ảnh JPEG hay PNG.",
                      f"not JPEG/PNG (starts {data[:8]!r})")
    lowered = data.lower()
    found = next((m for m in _ACTIVE if m in lowered), None)
    if found is not None:
        raise _refuse("Tệp ảnh chứa mã lệnh hoặc tài liệu khác ẩn bên trong; hệ thống không nhận tệp này.",
                      f"active content {found!r} inside the image")
    return kind


def _decode(data: bytes, kind: str) -> Image.Image:
    """Decode the image completely, refusing bombs before decoding; returns it upright, in RGB."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as src:
                w, h = src.size
                if w * h > MAX_PIXELS or max(w, h) > MAX_SIDE:
                    raise _refuse(f"Ảnh quá lớn ({w}×{h} điểm ảnh); ảnh chân dung chỉ cần dưới "
                                  f"{MAX_PIXELS // 1_000_000} triệu điểm ảnh.", f"{w}x{h} px (bomb?)")
                if (src.format in ("JPEG", "MPO")) != (kind == "JPEG"):
                    raise _refuse("Nội dung tệp không khớp kiểu ảnh.", f"{src.format} inside a {kind} header")
                src.load()
                upright = ImageOps.exif_transpose(src)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("Ảnh quá lớn khi giải nén (có thể là tệp độc hại); hệ thống không nhận tệp này.",
                      "decompression bomb") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error) as exc:
        raise _refuse("Tệp ảnh bị hỏng hoặc không đọc được; hãy chụp hoặc quét lại ảnh.",
                      f"undecodable: {exc}") from None
    if upright.width < MIN_SIZE[0] or upright.height < MIN_SIZE[1]:
        raise _refuse(f"Ảnh quá nhỏ ({upright.width}×{upright.height} điểm ảnh); cần ít nhất "
                      f"{MIN_SIZE[0]}×{MIN_SIZE[1]} để in rõ ảnh 3×4.", f"{upright.size} too small")
    if upright.mode not in ("RGB", "L"):
        background = Image.new("RGB", upright.size, "white")
        rgba = upright.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return upright.convert("RGB")


def _crop(image: Image.Image, box: CropBox | None) -> Image.Image:
    w, h = image.size
    ratio = STORED_PX[0] / STORED_PX[1]
    if box is None:  # the largest centred 3:4 crop
        if w / h > ratio:
            cw, ch = round(h * ratio), h
        else:
            cw, ch = w, round(w / ratio)
        left, top = (w - cw) // 2, (h - ch) // 2
        return image.crop((left, top, left + cw, top + ch))
    cw, ch = box.width, round(box.width / ratio)
    if cw < MIN_SIZE[0] or cw > w or ch > h:
        raise _refuse(f"Khung cắt ảnh không hợp lệ (rộng {cw} điểm ảnh; ảnh {w}×{h}, khung cần rộng ít nhất "
                      f"{MIN_SIZE[0]}).", f"crop width {cw} for {w}x{h}")
    if box.left < -2 or box.top < -2 or box.left + cw > w + 2 or box.top + ch > h + 2:
        raise _refuse("Khung cắt nằm ngoài ảnh; hãy chọn lại khung.", f"crop {box} outside {w}x{h}")
    left, top = min(max(box.left, 0), w - cw), min(max(box.top, 0), h - ch)  # browser rounding
    return image.crop((left, top, left + cw, top + ch))


def clean_photo(data: bytes, box: CropBox | None = None) -> bytes:
    """The stored form of an upload: checked, upright, cropped to 3:4, ``STORED_PX``, plain JPEG."""
    if not data:
        raise _refuse("Chưa chọn tệp ảnh.", "empty upload")
    if len(data) > MAX_BYTES:
        raise _refuse(f"Tệp ảnh nặng {len(data) / 1048576:.1f} MB, quá mức {MAX_BYTES // 1048576} MB.",
                      f"{len(data)} bytes")
    image = _decode(data, _check_container(data))
    out = io.BytesIO()
    _crop(image, box).resize(STORED_PX, Image.Resampling.LANCZOS).save(
        out, "JPEG", quality=JPEG_QUALITY, dpi=(300, 300), optimize=True)
    return out.getvalue()


def _digest(photo: bytes | None) -> dict[str, object] | None:
    return None if not photo else {"photo_sha256": hashlib.sha256(photo).hexdigest(), "bytes": len(photo)}


def set_photo(session: Session, actor: Actor, student: Student, data: bytes, box: CropBox | None = None) -> bytes:
    """Store a student's photo from an upload (rights: the student's homeroom teacher, the administrator)."""
    require(session, actor, Action.STUDENTS_WRITE, student)
    photo = clean_photo(data, box)
    before = _digest(student.photo)
    student.photo, student.photo_mime = photo, "image/jpeg"
    session.flush()
    audit.append(session, actor, "update", "student_photo", student.id, before, _digest(photo),
                 school_id=student.school_id)
    return photo


def remove_photo(session: Session, actor: Actor, student: Student) -> None:
    """Take a student's photo away (the transcript prints the empty 3×4 box again)."""
    require(session, actor, Action.STUDENTS_WRITE, student)
    if not student.photo:
        raise NotFoundError("Học sinh chưa có ảnh.", f"student {student.id} has no photo")
    before = _digest(student.photo)
    student.photo, student.photo_mime = None, None
    session.flush()
    audit.append(session, actor, "delete", "student_photo", student.id, before, None, school_id=student.school_id)
