"""The student's photo: EXIF orientation, 3:4 centred crop, 3×4 cm at 300 dpi, placeholder."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from layouts.errors import RenderError
from layouts.photo import BOX_PX, crop_to_ratio, photo_svg, prepare_photo
from layouts.render import extract_page_texts, render_page_images
from layouts.transcript import build_transcript, render_transcript
from tests.layouts.transcript_samples import sample_input


def _jpeg_with_orientation(width: int, height: int, orientation: int) -> bytes:
    """A landscape-stored image: blue left half, red right half, with an EXIF orientation.

    Orientation 6 (as a phone held upright writes it) means "rotate 90° clockwise to display":
    displayed, the stored left edge becomes the top, so the upright photo is blue on top and red
    at the bottom. Ignoring the tag would give a sideways photo, blue left and red right.
    """
    img = Image.new("RGB", (width, height), "blue")
    img.paste((255, 0, 0), (width // 2, 0, width, height))  # right half red when stored
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def test_exif_orientation_is_applied() -> None:
    photo = prepare_photo(_jpeg_with_orientation(800, 600, 6))
    assert photo is not None
    img = Image.open(io.BytesIO(photo.jpeg)).convert("RGB")
    assert img.size == BOX_PX == (354, 472)
    top = img.getpixel((img.width // 2, 20))
    bottom = img.getpixel((img.width // 2, img.height - 20))
    assert top[2] > 200 and top[0] < 60, top  # blue on top once turned upright
    assert bottom[0] > 200 and bottom[2] < 60, bottom


def test_crop_is_centred_three_by_four() -> None:
    wide = Image.new("RGB", (1000, 400))
    crop = crop_to_ratio(wide)
    assert crop.size == (300, 400)
    tall = crop_to_ratio(Image.new("RGB", (300, 1000)))
    assert tall.size == (300, 400)


def test_png_with_alpha_and_dpi() -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (600, 800), (0, 128, 0, 0)).save(buf, "PNG")
    photo = prepare_photo(buf.getvalue())
    assert photo is not None
    img = Image.open(io.BytesIO(photo.jpeg))
    assert img.format == "JPEG" and img.mode == "RGB" and round(img.info["dpi"][0]) == 300
    assert img.getpixel((10, 10)) == (255, 255, 255) or sum(img.getpixel((10, 10))) > 740  # transparent → white


def test_no_photo_gives_placeholder_and_bad_photo_is_refused() -> None:
    assert prepare_photo(None) is None and photo_svg(b"") is None
    with pytest.raises(RenderError):
        prepare_photo(b"not an image")


def test_photo_and_placeholder_on_the_identity_page() -> None:
    upright = render_transcript(build_transcript(
        sample_input(photo=_jpeg_with_orientation(800, 600, 6)), volume=True))
    page = render_page_images(upright, dpi=72, pages=[1], grayscale=False)[0].convert("RGB")
    # The photo box is at the top left of the content area (inner margin 20 mm, top 10 mm).
    x, y_top, y_bottom = round((20 + 15) / 25.4 * 72), round((10 + 5) / 25.4 * 72), round((10 + 35) / 25.4 * 72)
    assert page.getpixel((x, y_top))[2] > 200 and page.getpixel((x, y_top))[0] < 80
    assert page.getpixel((x, y_bottom))[0] > 200 and page.getpixel((x, y_bottom))[2] < 80
    assert "Ảnh 3×4" not in extract_page_texts(upright)[1]
    none = render_transcript(build_transcript(sample_input(photo=None), volume=True))
    assert "Ảnh 3×4" in extract_page_texts(none)[1]
