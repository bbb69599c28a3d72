"""Tests for signing.qr and signing.testing: SVG output, decoding images/PDFs, simulated scans."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import segno
from PIL import Image

from signing.errors import PayloadError, QrReadError
from signing.keys import generate_private_key, key_id
from signing.payload import (
    DocType,
    PayloadFields,
    TranscriptFacts,
    VerdictStatus,
    encode_payload,
    page_digest,
    verify_payload,
)
from signing.qr import make_qr, qr_matrix, qr_svg, qr_symbol, read_qr_codes, scan_pages, svg_text
from signing.testing import make_page, mm_to_px, render_qr, simulate_scan

SK = generate_private_key()
TRUST = {key_id(SK): SK.public_key()}
EDITION = uuid.uuid4()


def _mark(page: int, pages: int = 41) -> str:
    fields = PayloadFields(DocType.MARK_BOOK, EDITION, page, pages, dt.date(2025, 5, 30),
                           page_digest({"trang": page, "diem": ["8", "7.5"]}))
    return encode_payload(fields, SK)


def _transcript() -> str:
    facts = TranscriptFacts("Nguyễn Thị Minh Khai", dt.date(2011, 3, 5), "THCS Chiềng Khoa", 2024, "Tốt", "Tốt")
    fields = PayloadFields(DocType.TRANSCRIPT, EDITION, 2, 4, dt.date(2025, 6, 2), page_digest({"x": 1}), facts)
    return encode_payload(fields, SK)


def test_svg_for_typst() -> None:
    q = qr_svg(_mark(3))
    assert q.version <= 8 and q.error in ("M", "Q", "H")
    assert q.module_mm == 0.5 and q.modules == 4 * q.version + 17 + 8
    assert q.size_mm == pytest.approx(q.modules * 0.5)
    assert not q.svg.startswith("<?xml")
    root = ET.fromstring(q.svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == root.get("height") == f"{q.size_mm:g}mm"
    assert root.get("viewBox") == f"0 0 {q.size_mm:g} {q.size_mm:g}"
    assert qr_svg(_mark(3), module_mm=0.6).size_mm == pytest.approx(q.modules * 0.6)


def _payloads() -> list[str]:
    """Codes as printed (mark book, transcript, URL form, copies) and random texts of every length."""
    rng = random.Random(20260615)
    facts = TranscriptFacts("Nguyễn Thị Minh Khai", dt.date(2011, 3, 5), "THCS Chiềng Khoa", 2024, "Tốt", "Tốt")
    texts = []
    for i in range(120):
        fields = PayloadFields(DocType.TRANSCRIPT if i % 2 else DocType.MARK_BOOK, uuid.UUID(int=rng.getrandbits(128)),
                               1 + i % 60, 68, dt.date(2026, 6, 15), rng.randbytes(16),
                               facts if i % 2 else None, copy=i % 5 == 0)
        texts.append(encode_payload(fields, SK, url_base="https://truong.example/V/" if i % 3 == 0 else None))
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    for _ in range(160):
        n = rng.choice((rng.randint(1, 60), rng.randint(60, 400), rng.randint(400, 1200)))
        pool = alphabet if rng.random() < 0.6 else alphabet + "abcxyzàễươ\n"
        texts.append("".join(rng.choice(pool) for _ in range(n)))
    return texts


def test_printed_symbol_has_segno_version_level_m_and_reads_back() -> None:
    """zxing-cpp's symbol (printed) is level M, never larger than segno's, and decodes to the text."""
    import zxingcpp
    from PIL import Image

    versions = set()
    for i, text in enumerate(_payloads()):
        symbol, ref = qr_symbol(text), segno.make(text, error="m", micro=False)
        assert symbol.version <= ref.version and symbol.error == "M", text
        versions.add(symbol.version)
        if i % 7 == 0:
            n = len(symbol.rows) + 8
            img = Image.new("L", (n, n), 255)
            img.putdata([0 if dark else 255 for row in qr_matrix(text) for dark in row])
            img = img.resize((n * 4, n * 4), Image.NEAREST)
            assert [r.text for r in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)] == [text]
    assert {7, 8, 9, 10} <= versions and len(versions) > 20


def test_svg_is_segno_svg_exactly() -> None:
    for text in _payloads()[::3]:
        q = make_qr(text)
        for module_mm in (0.5, 0.44, 0.6, 1):
            buf = io.BytesIO()
            q.save(buf, kind="svg", scale=module_mm, unit="mm", border=4, xmldecl=False, svgclass=None,
                   lineclass=None, dark="#000")
            assert svg_text(q, module_mm, 4) == buf.getvalue().decode("utf-8")


def test_svg_path_of_the_runs_found_at_once_is_the_loops() -> None:
    """The runs of the whole symbol found at once (numpy) draw the path the row-by-row loop draws: random
    symbols, blank and full ones, a lone module, blank rows, several borders and module sizes."""
    from signing.qr import _rows_path_loop, rows_svg

    rnd = random.Random(15)
    shapes = [((b"\x00",),), ((b"\x01",),), ((b"\x00" * 21,) * 21,), ((b"\x01" * 21,) * 21,),
              ((b"\x00" * 5, b"\x00\x01\x00\x00\x01", b"\x00" * 5, b"\x00" * 5, b"\x01\x00\x00\x00\x00"),)]
    for size in (2, 3, 21, 57):
        for dark in (0.1, 0.5, 0.9):
            shapes.append((tuple(bytes(rnd.random() < dark for _ in range(size)) for _ in range(size)),))
    for (rows,) in shapes:
        for module_mm, border in ((0.5, 4), (1, 4), (0.44, 5), (0.6, 0)):
            svg = rows_svg(rows, module_mm, border)
            assert f' d="{_rows_path_loop(rows, border)}"/>' in svg
    assert ' d="M5 5.5h1m2 0h1m-5 3h1"/>' in rows_svg(shapes[4][0], 0.5, 4)


def test_svg_refuses_small_modules_and_border() -> None:
    with pytest.raises(PayloadError):
        qr_svg(_mark(1), module_mm=0.3)
    with pytest.raises(PayloadError):
        qr_svg(_mark(1), border=2)
    with pytest.raises(PayloadError):
        qr_svg("A" * 5000)


def test_transcript_qr_size() -> None:
    q = qr_svg(_transcript())
    assert q.version <= 10 and q.size_mm <= 33


def test_decode_clean_page_image() -> None:
    texts = [_mark(1), _transcript()]
    page = make_page(texts, dpi=300)
    codes = read_qr_codes(page)
    assert sorted(c.text for c in codes) == sorted(texts)
    assert all(c.page_index == 0 and len(c.position) == 4 for c in codes)


def test_decode_png_jpeg_bytes_and_path(tmp_path: Path) -> None:
    text = _mark(7)
    img = render_qr(text, dpi=200)
    for fmt in ("PNG", "JPEG"):
        buf = io.BytesIO()
        img.save(buf, fmt)
        assert [c.text for c in read_qr_codes(buf.getvalue())] == [text]
        path = tmp_path / f"qr.{fmt.lower()}"
        path.write_bytes(buf.getvalue())
        assert [c.text for c in read_qr_codes(path)] == [text]
        assert [c.text for c in read_qr_codes(str(path))] == [text]


def test_decode_multiframe_tiff_with_blank_page(tmp_path: Path) -> None:
    pages = [make_page([_mark(1)], dpi=200), Image.new("L", (400, 500), 255), make_page([_mark(3)], dpi=200)]
    path = tmp_path / "scan.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:], compression="tiff_deflate")
    scans = scan_pages(path)
    assert [s.page_index for s in scans] == [0, 1, 2]
    assert [len(s.codes) for s in scans] == [1, 0, 1]
    assert [c.text for c in read_qr_codes(path)] == [_mark(1), _mark(3)]


def test_decode_multipage_pdf(tmp_path: Path) -> None:
    pages = [make_page([_mark(n)], dpi=300).convert("RGB") for n in (1, 2)]
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=300)
    codes = read_qr_codes(buf.getvalue())
    assert [(c.page_index, c.text) for c in codes] == [(0, _mark(1)), (1, _mark(2))]
    assert all(verify_payload(c.text, TRUST).ok for c in codes)


@pytest.mark.parametrize("data", [b"", b"garbage" * 10, b"%PDF-1.7\n garbage", b"\x89PNG\r\n\x1a\n broken"])
def test_unreadable_input(data: bytes) -> None:
    with pytest.raises(QrReadError) as info:
        read_qr_codes(data)
    assert info.value.message_vi


def test_missing_file() -> None:
    with pytest.raises(QrReadError):
        read_qr_codes("/nonexistent/scan.png")


def test_render_qr_size() -> None:
    img = render_qr(_mark(1), module_mm=0.5, dpi=600)
    assert img.width == mm_to_px(qr_svg(_mark(1)).size_mm, 600)


@pytest.mark.parametrize("which", ["mark_book", "transcript"])
def test_simulated_office_scan_decodes_and_verifies(which: str) -> None:
    """A4 page at 600 dpi, QR at 0.5 mm/module; scanned at 200 dpi, rotated 3°, blurred, JPEG q60."""
    text = _mark(3) if which == "mark_book" else _transcript()
    page = make_page([text], module_mm=0.5, dpi=600, seed=2)
    for seed, angle in enumerate((3.0, -3.0)):
        scan = simulate_scan(page, dpi=200, angle=angle, blur=0.08, jpeg_quality=60, noise=10, seed=seed)
        assert scan.format == "JPEG" and abs(scan.width - mm_to_px(210, 200)) < 150
        codes = read_qr_codes(scan)
        assert [c.text for c in codes] == [text]
        verdict = verify_payload(codes[0].text, TRUST)
        assert verdict.status is VerdictStatus.GENUINE


def test_simulated_scan_of_altered_page_reports_altered() -> None:
    """Re-using a page's QR on a page with other data: the QR itself stays genuine, the digest differs."""
    text = _mark(3)
    scan = simulate_scan(make_page([text], dpi=600, seed=3), dpi=200, seed=3)
    fields = verify_payload(read_qr_codes(scan)[0].text, TRUST).fields
    assert fields is not None
    assert fields.digest == page_digest({"trang": 3, "diem": ["8", "7.5"]})
    assert fields.digest != page_digest({"trang": 3, "diem": ["9", "7.5"]})
    assert re.fullmatch(r"\w{4}-\w{4} · 3/41", fields.human_code)
