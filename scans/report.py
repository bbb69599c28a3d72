"""The ingest report in Vietnamese, as the office reads it (one block per edition, then what to do)."""

from __future__ import annotations

from collections.abc import Iterable

from records.models import ScanPageStatus
from scans.ingest import EditionReport, IngestReport


def pages_text(numbers: Iterable[int]) -> str:
    """"1, 3–5, 9" (runs collapsed), or "không có"."""
    ns = sorted(set(numbers))
    if not ns:
        return "không có"
    parts, start, prev = [], ns[0], ns[0]
    for n in [*ns[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)


def edition_lines(e: EditionReport) -> list[str]:
    """The block of one edition."""
    lines = [f"Bản in {e.code} — {e.title} ({len(e.pages)} trang)",
             f"  Đã nhận lần này: {pages_text(e.came_back)}",
             f"  Còn thiếu: {pages_text(e.missing)}"]
    if e.duplicated:
        lines.append(f"  Quét trùng: {pages_text(e.duplicated)}")
    lines.append(f"  Thiếu dấu giáp lai: {pages_text(e.no_stamp)}")
    if e.stamp_unknown:
        lines.append(f"  Chưa xác định được dấu giáp lai (bản quét đen trắng hoặc chưa căn được trang): "
                     f"{pages_text(e.stamp_unknown)}")
    lines.append(f"  Thiếu chữ ký ở ô ký: {pages_text(e.no_signature)}")
    for f in e.foreign:
        lines.append(f"  Trang lạ lẫn vào: {f}")
    return lines


def report_lines(report: IngestReport) -> list[str]:
    """The whole report."""
    lines: list[str] = []
    for r in report.refused:
        lines.append(f"TỪ CHỐI: {r.message_vi}")
    n = len(report.pages)
    if n:
        rate = n / report.seconds if report.seconds else 0.0
        lines.append(f"Đã đọc {n} trang trong {report.seconds:.1f} giây ({rate:.1f} trang/giây).")
    for e in report.editions:
        lines.extend(edition_lines(e))
    strays = [p for p in report.pages if p.status is ScanPageStatus.FOREIGN and p.edition_id is None]
    for p in strays:
        lines.append(f"Trang {p.index + 1} của tệp {p.file}: {p.note}")
    if report.unreadable:
        lines.append("Trang chưa đọc được mã (đã lưu, cần nhận diện bằng tay với "
                     "'sodientu scans assign SỐ_TRANG_QUÉT MÃ_BẢN_IN SỐ_TRANG'):")
        for p in report.unreadable:
            lines.append(f"  #{p.scan_page_id}: tệp {p.file}, trang {p.index + 1}")
    return lines
