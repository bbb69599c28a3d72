"""Benchmark of the signed page QR: payload sizes, QR versions, decode rate and time on simulated scans.

Usage: .venv/bin/python bench/bench_qr.py [--pages 20] [--dpi 200] [--module-mm 0.5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
import uuid

from signing.keys import generate_private_key, key_id
from signing.payload import (
    DocType,
    PayloadFields,
    TranscriptFacts,
    VerdictStatus,
    encode_payload,
    page_digest,
    payload_bytes,
    verify_payload,
)
from signing.qr import qr_svg, scan_pages
from signing.testing import make_page, simulate_scan

TRANSCRIPTS = {
    "transcript (short name)": TranscriptFacts("Lò Thị Mai", dt.date(2011, 3, 5), "THCS Chiềng Khoa", 2024,
                                               "Tốt", "Tốt"),
    "transcript (typical)": TranscriptFacts("Nguyễn Thị Minh Khai", dt.date(2011, 3, 5), "THCS Chiềng Khoa",
                                            2024, "Khá", "Tốt"),
    "transcript (long, full school name)": TranscriptFacts(
        "Tòng Thị Hương Quỳnh Nguyệt", dt.date(2011, 12, 28), "Trường THCS và THPT Chiềng Khoa", 2024,
        "Chưa đạt", "Đạt"),
}


def main() -> None:
    """Print payload sizes / QR versions, then decode rate and time over simulated scans."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--module-mm", type=float, default=0.5)
    ap.add_argument("--url-base", default="https://school.example/V/")
    args = ap.parse_args()

    sk = generate_private_key()
    trust = {key_id(sk): sk.public_key()}
    edition = uuid.uuid4()

    def mark(page: int) -> str:
        return encode_payload(PayloadFields(DocType.MARK_BOOK, edition, page, args.pages, dt.date(2025, 5, 30),
                                            page_digest({"trang": page})), sk)

    samples = {"mark book": mark(1), "mark book, URL form": encode_payload(
        PayloadFields(DocType.MARK_BOOK, edition, 1, 41, dt.date(2025, 5, 30), page_digest({})), sk,
        url_base=args.url_base)}
    for label, facts in TRANSCRIPTS.items():
        samples[label] = encode_payload(PayloadFields(DocType.TRANSCRIPT, edition, 1, 4, dt.date(2025, 6, 2),
                                                      page_digest({}), facts), sk)
    print(f"{'payload':38} {'bytes':>5} {'chars':>5}  QR   modules  size at {args.module_mm} mm")
    for label, text in samples.items():
        q = qr_svg(text, module_mm=args.module_mm)
        print(f"{label:38} {len(payload_bytes(text)):5d} {len(text):5d}  {q.version}-{q.error}  {q.modules:7d}"
              f"  {q.size_mm:.1f} mm")

    rng = random.Random(1)
    label_t = "transcript (typical)"
    for kind in ("mark book", label_t):
        ok, times = 0, []
        for n in range(1, args.pages + 1):
            text = mark(n) if kind == "mark book" else samples[label_t]
            page = make_page([text], module_mm=args.module_mm, dpi=600, seed=n)
            scan = simulate_scan(page, dpi=args.dpi, angle=rng.uniform(-3, 3), blur=0.08, jpeg_quality=60,
                                 noise=10, seed=n)
            t0 = time.perf_counter()
            codes = scan_pages(scan)[0].codes
            times.append((time.perf_counter() - t0) * 1000)
            ok += any(c.text == text and verify_payload(c.text, trust).status is VerdictStatus.GENUINE
                      for c in codes)
        print(f"{kind}: simulated {args.dpi} dpi scans (±3°, blur, noise σ=10, JPEG q60): "
              f"decoded+verified {ok}/{args.pages}, median {statistics.median(times):.1f} ms/page "
              f"(max {max(times):.1f} ms)")


if __name__ == "__main__":
    main()
