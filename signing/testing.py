"""Test and benchmark helpers: render QR codes onto paper images and simulate office scans (Pillow only)."""

from __future__ import annotations

import io
import random
from statistics import NormalDist

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from signing.qr import QUIET_ZONE, qr_matrix

MM_PER_INCH = 25.4
A4_MM = (210.0, 297.0)


def mm_to_px(mm: float, dpi: int) -> int:
    """Millimetres to pixels at ``dpi``."""
    return round(mm * dpi / MM_PER_INCH)


def render_qr(text: str, module_mm: float = 0.5, dpi: int = 600, border: int = QUIET_ZONE) -> Image.Image:
    """Rasterise the QR of ``text`` as it would print (grey-scale, quiet zone included)."""
    matrix = qr_matrix(text, border=border)
    n = len(matrix)
    size = mm_to_px(n * module_mm, dpi)
    img = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(img)
    edges = [round(i * size / n) for i in range(n + 1)]
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle((edges[x], edges[y], edges[x + 1] - 1, edges[y + 1] - 1), fill=0)
    img.info["dpi"] = (dpi, dpi)
    return img


def make_page(qr_texts: list[str], module_mm: float = 0.5, dpi: int = 600, caption: str = "",
              seed: int = 0) -> Image.Image:
    """An A4 page image at ``dpi`` with text-like clutter and the QR codes in the bottom margin."""
    w, h = mm_to_px(A4_MM[0], dpi), mm_to_px(A4_MM[1], dpi)
    page = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(page)
    rng = random.Random(seed)
    # Table grid and "text" blocks, so the decoder has to find the code among other marks.
    left, top, right, bottom = mm_to_px(15, dpi), mm_to_px(20, dpi), w - mm_to_px(15, dpi), h - mm_to_px(45, dpi)
    for y in range(top, bottom, mm_to_px(7, dpi)):
        draw.line((left, y, right, y), fill=0, width=max(1, dpi // 150))
        x = left + mm_to_px(2, dpi)
        while x < right - mm_to_px(20, dpi):
            word = mm_to_px(rng.uniform(3, 15), dpi)
            draw.rectangle((x, y + mm_to_px(2, dpi), x + word, y + mm_to_px(4.5, dpi)), fill=rng.choice((40, 70, 0)))
            x += word + mm_to_px(2, dpi)
    for col in range(left, right, mm_to_px(30, dpi)):
        draw.line((col, top, col, bottom), fill=0, width=max(1, dpi // 150))
    x = w - mm_to_px(15, dpi)
    for text in qr_texts:
        qr = render_qr(text, module_mm, dpi)
        x -= qr.width
        page.paste(qr, (x, h - mm_to_px(12, dpi) - qr.height))
        x -= mm_to_px(5, dpi)
    if caption:
        draw.text((left, h - mm_to_px(20, dpi)), caption, fill=0)
    page.info["dpi"] = (dpi, dpi)
    return page


def _noise(size: tuple[int, int], sigma: float, rng: random.Random) -> Image.Image:
    """Gaussian noise centred on 128 (uniform random bytes through the normal quantile table), seeded."""
    dist = NormalDist(128, sigma)
    table = [max(0, min(255, round(dist.inv_cdf((u + 0.5) / 256)))) for u in range(256)]
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).point(table)


def simulate_scan(image: Image.Image, dpi: int = 200, angle: float = 3.0, blur: float = 0.08,
                  jpeg_quality: int = 60, noise: float = 10.0, contrast: float = 0.8,
                  source_dpi: int | None = None, seed: int = 0) -> Image.Image:
    """Degrade a paper image like an office scan: rotate, blur (mm), downsample, contrast, noise, JPEG."""
    src_dpi = source_dpi or round(image.info.get("dpi", (600, 600))[0])
    img = image.convert("L")
    if angle:
        img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(radius=blur * src_dpi / MM_PER_INCH))
    if dpi != src_dpi:
        img = img.resize((max(1, round(img.width * dpi / src_dpi)), max(1, round(img.height * dpi / src_dpi))),
                         Image.Resampling.BOX)
    if contrast != 1.0:
        lo = round(255 * (1 - contrast) / 2)
        img = img.point(lambda v: lo + round(v * contrast))
    if noise:
        img = ImageChops.add(img, _noise(img.size, noise, random.Random(seed)), scale=1.0, offset=-128)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=jpeg_quality, dpi=(dpi, dpi))
    out = Image.open(io.BytesIO(buf.getvalue()))
    out.load()
    return out
