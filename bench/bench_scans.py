"""Scan ingest throughput: a whole signed and stamped mark book scanned at 200 dpi, ingested.

    .venv/bin/python bench/bench_scans.py [--workers 2] [--copies 2]

Publishes the synthetic 46-row mark book (68 pages, tests/layouts/factories.py) in an in-memory
SQLite database, rasterises it at 200 dpi, draws the seal and signatures (tests/scans/scanbook.py),
shuffles the pages, turns one upside down and skews one, and writes a scanner-like PDF (JPEG image
pages). Then times ``scans.ingest.ingest`` end to end: reading, normalising, decoding, matching,
ink checks against the issued pages, bundling, depositing in a local archive folder, recording.
Wall time depends on what else runs on the machine; the CPU time per page (this process and its
workers) gives the rate on idle cores.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.orm import Session

import archive
from layouts.publish import publish
from records.db import make_engine
from records.models import Base
from scans.ingest import ingest
from tests.scans import scanbook
from tests.signing.helpers import full_markbook, make_world


def _cpu() -> float:
    """CPU seconds of this process and its finished workers (the machine is shared: wall time lies)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--copies", type=int, default=2, help="scan the book this many times in one file")
    args = ap.parse_args()
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        world = make_world(session)
        pub = publish(session, world.office, full_markbook(), template="markbook", scope=world.scope(),
                      private_key=world.key)
        store_dir = tempfile.TemporaryDirectory()
        archive.use_store(session, archive.LocalStore(Path(store_dir.name) / "archive"))
        archive.deposit_issued(session, world.office, pub)
        t = time.perf_counter()
        pages = scanbook.signed_and_stamped(pub.pdf) * args.copies
        pages[3] = scanbook.turn(pages[3], 180)
        pages[7] = scanbook.turn(pages[7], 2)
        random.Random(1).shuffle(pages)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "scan.pdf"
            path.write_bytes(scanbook.as_pdf(pages))
            print(f"prepared {len(pages)} pages ({path.stat().st_size / 1e6:.1f} MB PDF, 200 dpi) "
                  f"in {time.perf_counter() - t:.1f} s")
            t = time.perf_counter()
            cpu0 = _cpu()
            report = ingest(session, world.office, [path], workers=args.workers)
            dt = time.perf_counter() - t
            cpu = _cpu() - cpu0
    [rep] = report.editions
    print(f"ingest: {len(report.pages)} pages in {dt:.2f} s = {len(report.pages) / dt:.1f} pages/s "
          f"(workers={args.workers}, cpus={os.cpu_count()}, load average {os.getloadavg()[0]:.1f})")
    print(f"CPU time: {cpu:.2f} s = {1000 * cpu / len(report.pages):.0f} ms a page; on 2 idle cores: "
          f"{2 * len(report.pages) / cpu:.1f} pages/s")
    print(f"missing={rep.missing} duplicated={len(rep.duplicated)} no_stamp={rep.no_stamp} "
          f"no_signature={rep.no_signature} unreadable={len(report.unreadable)}")


if __name__ == "__main__":
    main()
