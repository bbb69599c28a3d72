"""Hostile or broken files are refused whole, with a Vietnamese message, and nothing is kept."""

from __future__ import annotations

import io
import struct
import zlib

import pikepdf
import pytest
from PIL import Image
from sqlalchemy import func, select

from records.models import ScanBatch, ScanPage
from scans.errors import ScanFileError
from scans.ingest import ingest
from scans.source import open_scan
from tests.scans import scanbook
from tests.scans.conftest import kept


def _png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG that claims 10 gigapixels (its IDAT is a few bytes of a highly compressed row)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width + 1) * 4, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _huge_page_pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(14400, 14400))  # 5 m × 5 m
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (1654, 2339), "white").save(buf, "JPEG", dpi=(200, 200))
    return buf.getvalue()


HOSTILE = {
    "bom.png": (_png_bomb(), "quá lớn"),
    "html.pdf": (b"<html><body>not a scan</body></html>", "không phải PDF, TIFF, JPEG hay PNG"),
    "trong.tif": (b"", "tệp rỗng"),
    "khong-lo.pdf": (_huge_page_pdf(), "khổ bất thường"),
    "cat-cut.jpg": (_jpeg()[:4000], "bị cắt cụt"),
    "hong.pdf": (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer <<>>\n%%EOF", "PDF bị hỏng"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_refused_with_a_clear_message(tmp_path, name: str) -> None:
    data, words = HOSTILE[name]
    path = tmp_path / name
    path.write_bytes(data)
    try:
        scan = open_scan(path)
        # some damage only shows when the page is decoded: that is checked by the ingest test below
        from scans.source import page_image
        page_image(scan, 0)
    except ScanFileError as exc:
        assert words in exc.message_vi and name in exc.message_vi
        assert "Kho lưu trữ không thay đổi" in exc.message_vi
    else:
        pytest.fail(f"{name} was accepted")


def test_hostile_files_leave_the_archive_unchanged(session, books, archive_store, tmp_path) -> None:
    paths = []
    for name, (data, _words) in HOSTILE.items():
        paths.append(tmp_path / name)
        paths[-1].write_bytes(data)
    # a book whose last page is truncated: the whole file is refused, not its first pages kept
    pages = scanbook.signed_and_stamped(books.b.pdf)
    good = scanbook.as_tiff(pages)
    paths.append(tmp_path / "cut.tif")
    paths[-1].write_bytes(good[: len(good) - 2000])
    report = ingest(session, books.world.office, paths, workers=1)
    assert sorted(r.file for r in report.refused) == sorted([*HOSTILE, "cut.tif"])
    assert report.pages == [] and report.editions == []
    assert kept(session) == []
    assert sorted(archive_store) == sorted(i.sha256 for i in kept(session, issued=True))  # only the issued PDFs
    assert session.scalar(select(func.count()).select_from(ScanBatch)) == 0
    assert session.scalar(select(func.count()).select_from(ScanPage)) == 0
