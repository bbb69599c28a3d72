"""Benchmark of printing the demo school's books (``layouts.batch``, as ``sodientu demo`` does).

Usage: .venv/bin/python bench/bench_print.py [--students 600] [--db sqlite:///demo.sqlite] [--runs 3]
                                              [--workers 2] [--per-task 8]

Builds the demo data once into a temporary SQLite file (or copies the SQLite demo database given
with ``--db``: the original is not touched), then, for each run on a fresh copy: creates the school
key, starts the worker pool (and lets it warm up, as the demo does while it builds the data), prints
every book of the current year (mark books, year transcripts, grade-9 volumes, registers) and
reports wall and CPU seconds, pages per second, the per-book medians, where the time went (summed
over the books) and the workers' peak memory. The CPU figure matters on a machine shared with other
jobs (``uptime`` is printed): CPU seconds / cores is what an idle machine needs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select
from sqlalchemy.engine import make_url

from layouts.batch import BatchConfig, BatchPool, BatchReport, run_batch, year_end_jobs
from records.db import make_engine, session_scope
from records.demo.build import DemoConfig, build_demo, prepare_database
from records.models import Role, School
from web.commands.demo import _user_with_role, create_demo_key

TODAY = dt.date(2026, 6, 15)
KIND_NAMES = {"markbook": "mark book", "transcript": "transcript (year)", "transcript_volume": "transcript volume",
              "register": "register"}


def build(path: Path, students: int, seed: int) -> float:
    """Build the demo data into a new SQLite file; seconds."""
    engine = make_engine(f"sqlite:///{path}")
    started = time.perf_counter()
    prepare_database(engine, reset=True)
    with session_scope(engine) as session:
        build_demo(session, DemoConfig(students=students, seed=seed, today=TODAY))
    engine.dispose()
    return time.perf_counter() - started


def one_run(source: Path, work: Path, workers: int | None, per_task: int, cache_mb: float) -> BatchReport:
    """Print everything once on a fresh copy of the database."""
    db = work / "demo.sqlite"
    shutil.copyfile(source, db)
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(work / "keys", ignore_errors=True)
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    pool = BatchPool(workers)
    with session_scope(engine) as session:
        school = session.scalars(select(School).where(School.external.is_(False))).one()
        code, school_id = school.code, school.id
        office = _user_with_role(session, school_id, Role.OFFICE)
    key = create_demo_key(engine, code, work / "keys", TODAY)
    with session_scope(engine) as session:
        jobs = year_end_jobs(session, code, TODAY.year - 1)
    engine.dispose()
    time.sleep(3.0)  # the demo builds its data meanwhile: the workers are warm when printing starts
    config = BatchConfig(url, str(out), str(key.private_file), key.passphrase, office, issued_on=TODAY,
                         transcripts_per_task=per_task, cache_limit_mb=cache_mb)
    try:
        return run_batch(config, jobs, pool=pool)
    finally:
        pool.close()


def report(runs: list[BatchReport]) -> None:
    last = runs[-1]
    walls = [r.wall for r in runs]
    cpus = [r.worker_cpu for r in runs]
    print(f"files {len(last.files)}, pages {last.pages}, failures {len(last.failures)}, workers {last.workers}")
    print(f"wall  median {statistics.median(walls):6.2f} s  ({', '.join(f'{w:.2f}' for w in walls)})")
    print(f"CPU   median {statistics.median(cpus):6.2f} s  (workers, warm-up included; "
          f"{', '.join(f'{c:.1f}' for c in cpus)})")
    print(f"pages per second (wall) {last.pages / statistics.median(walls):6.1f}; "
          f"per CPU second {last.pages / statistics.median(cpus):6.1f}")
    print(f"peak RSS of a worker {max(r.worker_peak_rss_mb for r in runs):.0f} MB; Typst cache trims {last.cache_trims}")
    print(f"  {'book':<20} {'files':>5} {'pages':>6} {'median s':>9}   time summed over the books (s)")
    for kind, (n, pages, seconds) in last.medians().items():
        files = [f for f in last.files if f.kind == kind]
        totals: dict[str, float] = {}
        for f in files:
            for name, value in f.timings:
                totals[name] = totals.get(name, 0.0) + value
        parts = ", ".join(f"{name} {value:.2f}" for name, value in totals.items() if value >= 0.005)
        print(f"  {KIND_NAMES.get(kind, kind):<20} {n:5d} {pages:6.0f} {seconds:9.3f}   {parts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", default=None, help="an SQLite demo database to copy (default: build one)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument("--per-task", type=int, default=8, help="transcripts per task")
    parser.add_argument("--cache-mb", type=float, default=BatchConfig.cache_limit_mb,
                        help="flush Typst's cache after a big book above this resident size (MB)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; cores {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.db:
            url = make_url(args.db)
            if url.get_backend_name() != "sqlite" or not url.database:
                sys.exit("--db must name an SQLite demo database file (it is copied, not changed)")
            source = Path(url.database)
        else:
            source = work / "source.sqlite"
            print(f"demo data ({args.students} students) built in {build(source, args.students, args.seed):.1f} s")
        runs = [one_run(source, work, args.workers, args.per_task, args.cache_mb) for _ in range(args.runs)]
    report(runs)


if __name__ == "__main__":
    main()
