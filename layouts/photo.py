"""The student's photo for the transcript's identity page (ảnh 3×4).

The scanned photo stored in the records (``Student.photo``) is turned upright from its EXIF
orientation, cropped to 3:4 around its centre, scaled to the 3×4 cm box at 300 dpi and
re-encoded as JPEG. Typst 0.15 has no base64 decoder and typst-py passes only strings, so the
JPEG travels in the document JSON wrapped in a tiny SVG with a ``data:`` URI; the template
shows it with ``image(bytes(svg), format: "svg")`` (the JPEG is embedded in the PDF as is).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from layouts.errors import RenderError

#: The photo box of the form: 3 cm wide, 4 cm high.
BOX_MM = (30.0, 40.0)
DPI = 300
#: Pixel size of the box at 300 dpi (354 × 472).
BOX_PX = (round(BOX_MM[0] / 25.4 * DPI), round(BOX_MM[1] / 25.4 * DPI))
JPEG_QUALITY = 88
MAX_PIXELS = 60_000_000  # refuse decompression bombs


@dataclass(frozen=True)
class Photo:
    """A photo ready for printing: JPEG bytes of exactly ``BOX_PX`` pixels."""

    jpeg: bytes
    width: int
    height: int

    def svg(self) -> str:
        """The photo wrapped in an SVG (data URI) that Typst can read from a JSON string."""
        data = base64.b64encode(self.jpeg).decode("ascii")
        w, h = self.width, self.height
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
            f'<image width="{w}" height="{h}" preserveAspectRatio="none" '
            f'xlink:href="data:image/jpeg;base64,{data}"/></svg>'
        )


def crop_to_ratio(image: Image.Image, ratio: float = BOX_PX[0] / BOX_PX[1]) -> Image.Image:
    """The largest centred crop of ``image`` with width/height == ``ratio``."""
    w, h = image.size
    if w / h > ratio:  # too wide: trim left and right
        new_w = max(1, round(h * ratio))
        left = (w - new_w) // 2
        return image.crop((left, 0, left + new_w, h))
    new_h = max(1, round(w / ratio))
    top = (h - new_h) // 2
    return image.crop((0, top, w, top + new_h))


def prepare_photo(data: bytes | None) -> Photo | None:
    """Upright, 3:4-cropped, 354×472 px JPEG of a stored photo; None when there is no photo."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as src:
            if src.width * src.height > MAX_PIXELS:
                raise RenderError("Ảnh học sinh quá lớn.", f"photo of {src.width}x{src.height} px refused")
            upright = ImageOps.exif_transpose(src)
            if upright.mode not in ("RGB", "L"):
                background = Image.new("RGB", upright.size, "white")
                rgba = upright.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                upright = background
            boxed = crop_to_ratio(upright).resize(BOX_PX, Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError) as exc:
        raise RenderError(
            "Ảnh của học sinh không đọc được; hãy quét và tải lại ảnh.", f"unreadable student photo: {exc}"
        ) from None
    out = io.BytesIO()
    boxed.save(out, "JPEG", quality=JPEG_QUALITY, dpi=(DPI, DPI), optimize=True)
    return Photo(out.getvalue(), BOX_PX[0], BOX_PX[1])


def photo_svg(data: bytes | None) -> str | None:
    """SVG text of the prepared photo for the document JSON, or None for the placeholder box."""
    photo = prepare_photo(data)
    return photo.svg() if photo else None
