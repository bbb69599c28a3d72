"""Benchmark of bulk audit tracing (``records.audit.append_many``), the path the demo's marks take.

Usage: .venv/bin/python bench/bench_audit.py [--entries 400000] [--runs 3]

Prints the median, minimum and maximum wall time of appending N entries to a fresh SQLite chain and
of verifying that chain. The demo writes about 340k entries; the target is well under 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from records import audit
from records.audit import AuditRecord
from records.db import make_engine, session_scope
from records.models import Base, School
from records.permissions import Actor

SYSTEM = Actor.system("bench")


def one_run(entries: int, folder: Path, run: int) -> tuple[float, float]:
    engine = make_engine(f"sqlite:///{folder / f'bulk{run}.sqlite'}")
    Base.metadata.create_all(engine)
    try:
        with session_scope(engine) as s:
            school = School(code=f"B{run}", name="Trường THCS Đo Thử", district="Huyện Mẫu", province="Tỉnh Mẫu")
            s.add(school)
            s.flush()
            records = [AuditRecord("create", "mark", i, None,
                                   {"enrolment_id": i // 40, "subject_id": i % 12, "term_id": 1, "kind": "tx",
                                    "slot": i % 4 + 1, "value": "7.5", "assessed_on": None}, school.id)
                       for i in range(entries)]
            started = time.perf_counter()
            audit.append_many(s, SYSTEM, records)
            append_s = time.perf_counter() - started
        started = time.perf_counter()
        with session_scope(engine) as s:
            assert audit.verify(s).entries == entries
        return append_s, time.perf_counter() - started
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=400_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = [one_run(args.entries, Path(tmp), run) for run in range(args.runs)]
    for label, values in (("append_many", [a for a, _ in figures]), ("verify", [v for _, v in figures])):
        print(f"{label:12s} {args.entries} entries: median {statistics.median(values):.2f} s "
              f"(min {min(values):.2f}, max {max(values):.2f}, {args.runs} runs)")


if __name__ == "__main__":
    main()
