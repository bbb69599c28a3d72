"""The parent's run-level trail check of a print run (``layouts.batch.write_verdict``): CPU and memory.

Usage: .venv/bin/python bench/bench_verdict.py --db sqlite:////tmp/demo600.sqlite [--runs 2]

Copies the SQLite demo database (the original is not touched), creates a school key, takes the jobs of
the school year as ``bench_print.py`` does and writes the verdict ``--runs`` times, each without a trail
snapshot file (a full replay, then the snapshot written: what every ``bench_print.py`` run pays, its key
being new). Prints the CPU seconds, the process's resident memory before and after, and its peak.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select
from sqlalchemy.engine import make_url

from layouts.batch import BatchConfig, write_verdict, year_end_jobs
from records.db import make_engine, session_scope
from records.models import Role, School
from web.commands.demo import _user_with_role, create_demo_key

TODAY = dt.date(2026, 6, 15)  # as bench_print.py


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a SQLite demo database (sodientu demo --no-print)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--profile", help="write a cProfile of the last run to this file")
    parser.add_argument("--keep", help="copy the verdict body of the last run (no signature line) to this file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-verdict-"))
    try:
        db = work / "demo.sqlite"
        shutil.copyfile(make_url(args.db).database or "", db)
        url = f"sqlite:///{db}"
        engine = make_engine(url)
        with session_scope(engine) as session:
            school = session.scalars(select(School).where(School.external.is_(False))).one()
            code, office = school.code, _user_with_role(session, school.id, Role.OFFICE)
        key = create_demo_key(engine, code, work / "keys", TODAY)
        with session_scope(engine) as session:
            jobs = year_end_jobs(session, code, TODAY.year - 1)
        engine.dispose()
        config = BatchConfig(url, str(work / "out"), str(key.private_file), key.passphrase, office, issued_on=TODAY)
        print(f"{len(jobs)} jobs; load average {os.getloadavg()[0]:.1f}")
        for run in range(args.runs):
            for snapshot in work.glob("sodientu-trail-cache*"):
                snapshot.unlink()
            before = _rss_mb()
            if args.profile and run == args.runs - 1:
                import cProfile

                profiler = cProfile.Profile(time.process_time)
                cpu = profiler.runcall(write_verdict, config, jobs, str(work / f"verdict-{run}.json"))
                profiler.dump_stats(args.profile)
            else:
                cpu = write_verdict(config, jobs, str(work / f"verdict-{run}.json"))
            if args.keep and run == args.runs - 1:
                Path(args.keep).write_bytes((work / f"verdict-{run}.json").read_bytes().split(b"\n", 1)[1])
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"run {run + 1}: CPU {cpu:.2f} s, resident {before:.0f} -> {_rss_mb():.0f} MB, peak {peak:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
