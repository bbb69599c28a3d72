"""Concurrent entry under load: N writers saving marks, attendance and comments through the services.

Usage: .venv/bin/python bench/bench_load.py [--writers 40] [--seconds 300] [--db sqlite|postgresql|both]
       [--pg URL] [--http]

Writers are threads (teachers of different classes, and several per sheet so that conflicts happen),
each reading a sheet, thinking up to 50 ms, and saving with the version it read. Prints per database:
accepted saves, conflicts reported, other refusals, crashes, saves/s and p99 latency of a save, and
the result of the proof (every accepted save stored and traced, no lost update, audit chain verifies).
``--http``: the same writers go through HTTP on loopback instead — ``sodientu serve`` (waitress) in a
child process, each writer a browser-like session of a subject teacher saving the mark-entry grid
(``tests/reliability/http_load.py``); prints saves/s, conflicts and p50/p99 of a POST, and the proof (no
lost update, the last accepted grid is what is stored, the audit chain verifies).
PostgreSQL: a scratch database ``sodientu_bench_load`` is created on the server (``--pg`` or
$SODIENTU_TEST_DATABASE_URL or the machine's default) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from records.db import make_engine
from tests.reliability import load

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def run_http(url: str, label: str, args: argparse.Namespace) -> bool:
    """The load through HTTP on loopback against ``sodientu serve``; True when the proof holds."""
    from tests.factories import TEST_PASSWORD
    from tests.reliability import http_load

    engine = make_engine(url)
    try:
        school = load.build_school(engine, classes=args.classes, students=args.students)
        log = Path(tempfile.gettempdir()) / f"sodientu-bench-load-{label}.log"
        log.unlink(missing_ok=True)
        server = http_load.Server(url, threads=args.threads, log=log)
        try:
            outcome = http_load.run_writers(server.base, engine, school, writers=args.writers,
                                            seconds=args.seconds, password=TEST_PASSWORD)
            found = http_load.check(server.base, engine, school, outcome, TEST_PASSWORD)
        finally:
            server.stop()
    finally:
        engine.dispose()
    saves = len(outcome.accepted) + outcome.conflicts
    print(f"{label + '/http':15} writers={args.writers} seconds={outcome.seconds:.1f} "
          f"accepted={len(outcome.accepted)} conflicts={outcome.conflicts} busy={outcome.busy} "
          f"other_refusals={len(outcome.other_refusals)} crashes={len(outcome.crashes)} "
          f"sheets={found.sheets_saved}")
    print(f"{'':15} accepted saves/s={len(outcome.accepted) / outcome.seconds:.1f} "
          f"all saves/s={saves / outcome.seconds:.1f} p50={load.percentile(outcome.latencies, 0.5) * 1000:.0f} ms "
          f"p99={load.percentile(outcome.latencies, 0.99) * 1000:.0f} ms proof={'OK' if found.ok else 'FAILED'}")
    for problem in found.problems[:10] + outcome.other_refusals[:5]:
        print(f"{'':15} ! {problem}")
    errors = [line for line in log.read_text().splitlines() if " ERROR " in line] if log.exists() else []
    print(f"{'':15} server log {log}: {len(errors)} error line(s)")
    for line in errors[:5]:
        print(f"{'':15} ! {line[:300]}")
    return found.ok


def run(url: str, label: str, args: argparse.Namespace) -> bool:
    """Run the load on one database and print its figures; True when the proof holds."""
    if args.http:
        return run_http(url, label, args)
    engine = make_engine(url, pool_size=args.writers + 5) if label == "postgresql" else make_engine(url)
    try:
        school = load.build_school(engine, classes=args.classes, students=args.students)
        outcome = load.run_writers(engine, school, writers=args.writers, seconds=args.seconds)
        found = load.check(engine, school, outcome)
    finally:
        engine.dispose()
    saves = len(outcome.accepted) + outcome.conflicts
    print(f"{label:10} writers={args.writers} seconds={outcome.seconds:.1f} accepted={len(outcome.accepted)} "
          f"conflicts={outcome.conflicts} other_refusals={len(outcome.other_refusals)} "
          f"crashes={len(outcome.crashes)} audit_entries={found.audit_entries}")
    print(f"{'':10} accepted saves/s={len(outcome.accepted) / outcome.seconds:.1f} "
          f"all saves/s={saves / outcome.seconds:.1f} p50={load.percentile(outcome.latencies, 0.5) * 1000:.0f} ms "
          f"p99={load.percentile(outcome.latencies, 0.99) * 1000:.0f} ms proof={'OK' if found.ok else 'FAILED'}")
    for problem in found.problems[:10] + outcome.other_refusals[:5]:
        print(f"{'':10} ! {problem}")
    return found.ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--classes", type=int, default=5)  # 2 writers per sheet
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg", default=os.environ.get("SODIENTU_TEST_DATABASE_URL") or DEFAULT_PG)
    parser.add_argument("--http", action="store_true", help="through HTTP on loopback (sodientu serve)")
    parser.add_argument("--threads", type=int, default=16, help="server threads with --http")
    args = parser.parse_args()
    ok = True
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            ok &= run(f"sqlite:///{Path(tmp) / 'load.sqlite'}", "sqlite", args)
    if args.db in ("postgresql", "both"):
        server = make_url(args.pg).set(drivername="postgresql+psycopg")
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text("DROP DATABASE IF EXISTS sodientu_bench_load WITH (FORCE)"))
                conn.execute(text("CREATE DATABASE sodientu_bench_load"))
        except Exception as error:  # noqa: BLE001 — no server: say so and go on
            print(f"postgresql skipped: {error.__class__.__name__}: {error}")
        else:
            try:
                ok &= run(server.set(database="sodientu_bench_load").render_as_string(hide_password=False),
                          "postgresql", args)
            finally:
                with admin.connect() as conn:
                    conn.execute(text("DROP DATABASE IF EXISTS sodientu_bench_load WITH (FORCE)"))
        admin.dispose()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
