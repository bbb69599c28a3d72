"""Size and check speed of a school's archive (e.g. after ``sodientu demo``).

Usage: .venv/bin/python bench/bench_archive.py --db sqlite:///path/sodientu.sqlite [--store LOCATION]

Prints the items kept per kind and book (count, bytes, mean size), the total, the distinct objects
(identical bytes are stored once), the bytes per student and per printed page, and the time
``archive check`` takes to re-hash everything (MB/s). Reads only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive import check, open_store, use_store
from records.db import make_engine
from records.models import ArchiveItem, Edition, Student


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL")
    parser.add_argument("--store", default=None, help="archive location (default: as sodientu finds it)")
    args = parser.parse_args()
    engine = make_engine(args.db)
    with Session(engine) as session:
        if args.store:
            use_store(session, open_store(args.store))
        groups: dict[str, list[int]] = defaultdict(list)
        for item in session.scalars(select(ArchiveItem).where(ArchiveItem.deleted_at.is_(None))):
            book = json.loads(item.extra).get("book", "") if item.extra else ""
            groups[f"{item.kind.value}/{book}" if book else item.kind.value].append(item.size)
        students = session.scalar(select(func.count()).select_from(Student)) or 1
        pages = session.scalar(select(func.sum(Edition.page_count))) or 1
        t0 = time.perf_counter()
        report = check(session)
        elapsed = time.perf_counter() - t0
    engine.dispose()
    total = sum(sum(v) for v in groups.values())
    print(f"archive {report.location}")
    for name, sizes in sorted(groups.items()):
        print(f"  {name:36s} {len(sizes):6d} items {sum(sizes) / 2**20:9.1f} MB  mean {sum(sizes) / len(sizes) / 1024:7.1f} kB")
    print(f"  total {sum(len(v) for v in groups.values())} items, {total / 2**20:.1f} MB "
          f"({report.objects} distinct objects); {total / students / 1024:.1f} kB per student, "
          f"{total / pages / 1024:.1f} kB per printed page ({pages} pages)")
    print(f"check: {report.bytes / 2**20:.1f} MB re-hashed in {elapsed:.2f} s "
          f"({report.bytes / 2**20 / max(elapsed, 1e-9):.0f} MB/s); problems {len(report.problems)}, "
          f"unreferenced {len(report.unreferenced)}")


if __name__ == "__main__":
    main()
