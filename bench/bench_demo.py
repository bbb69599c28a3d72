"""Benchmark of the demo school's data build (``sodientu demo`` without printing).

Usage: .venv/bin/python bench/bench_demo.py [--students 600] [--seed 2026] [--db URL] [--profile N]

Builds the demo into a fresh database (a temporary SQLite file unless ``--db`` is given; a given
database is reset first!) and prints the wall time of each phase, the totals and the counts. With
``--profile N`` the build runs under cProfile and the N most expensive functions are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from records.db import make_engine, session_scope
from records.demo.build import DemoConfig, build_demo, prepare_database, rollback_journal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", default=None, help="database URL (RESET before the run); default: temp SQLite")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N top functions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        engine = make_engine(url)
        started = time.perf_counter()
        prepare_database(engine, reset=True)
        schema = time.perf_counter() - started
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        with rollback_journal(engine), session_scope(engine) as session:  # as ``sodientu demo``
            if profiler:
                profiler.enable()
            summary = build_demo(session, DemoConfig(students=args.students, seed=args.seed))
            if profiler:
                profiler.disable()
            built = time.perf_counter() - started
        committed = time.perf_counter() - started
        engine.dispose()
    print(f"database: {url.split('://')[0]}  students: {args.students}  seed: {args.seed}")
    print(f"schema (reset + create)      {schema:7.2f} s")
    phases = [p for p in summary.timings if not p.endswith(" (cpu)")]
    print(f"  {'phase':<34} {'wall':>7}   {'cpu':>7}")
    for phase in sorted(phases, key=lambda p: -summary.timings[p]):
        print(f"  {phase:<34} {summary.timings[phase]:7.2f} s {summary.timings[phase + ' (cpu)']:7.2f} s")
    print(f"build (in transaction)       {built:7.2f} s")
    print(f"build + commit               {committed:7.2f} s")
    print(f"students {summary.students}, enrolments {summary.enrolments}, marks {summary.marks}, "
          f"audit entries {summary.audit_entries}, corrections {summary.corrections}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
