"""Benchmark of the exports on the demo school: statistics (.xlsx, JSON), every class's mark sheets,
backup and restore.

Usage: .venv/bin/python bench/bench_export.py [--students 600] [--db URL] [--restore-db URL]

Builds the demo (data only) into a fresh database (a temporary SQLite file unless ``--db`` is given; a
given database is RESET first!), then prints the wall time and size of each export for the demo's
current year, the backup, and its restore into an empty SQLite file (or ``--restore-db``, which must be
empty) with the restored audit trail's verification.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from records.db import make_engine, session_scope
from records.demo.build import DemoConfig, build_demo, prepare_database
from records.interop.backup import backup, restore
from records.interop.class_export import export_class
from records.interop.common import classes_by_name, resolve_school, resolve_year
from records.interop.statistics import statistics
from records.models import Role, RoleGrant
from records.permissions import Actor


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> str:
    """Wall and CPU seconds since ``start`` (the machine is shared: CPU is the steadier figure)."""
    return f"{time.perf_counter() - start[0]:.2f} s ({time.process_time() - start[1]:.2f} s CPU)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--db", default=None, help="database URL (RESET before the run); default: temp SQLite")
    parser.add_argument("--restore-db", default=None, help="an EMPTY database to restore into; default: temp SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.db or f"sqlite:///{Path(tmp) / 'demo.sqlite'}")
        prepare_database(engine, reset=True)
        started = time.perf_counter()
        with session_scope(engine) as session:
            summary = build_demo(session, DemoConfig(students=args.students))
        print(f"demo built in {time.perf_counter() - started:.1f} s: {summary.students} students, "
              f"{summary.marks} marks, {summary.audit_entries} audit entries ({engine.dialect.name})")
        with session_scope(engine) as session:
            principal = session.scalars(select(RoleGrant.user_id).where(RoleGrant.role == Role.PRINCIPAL)).first()
            actor = Actor.load(session, principal)
            school = resolve_school(session, summary.school_id)
            year = resolve_year(session, school, int(summary.school_years[-1][:4]))
            for term in (1, 2, None):
                started = _clock()
                export = statistics(session, actor, school, year, term)
                read = _since(started)
                started = _clock()
                xlsx = export.to_xlsx()
                written = _since(started)
                started = _clock()
                data = export.to_json()
                print(f"statistics {export.period.label_vi}: {len(export.rows)} rows read in {read}; .xlsx {written} "
                      f"({len(xlsx) / 1024:.0f} KiB); JSON {_since(started)} ({len(data) / 1024:.0f} KiB)")
            classes = sorted(classes_by_name(session, year).values(), key=lambda c: c.name)
            started = _clock()
            size = sum(len(export_class(session, actor, klass, 2)) for klass in classes)
            print(f"class mark sheets, term II: {len(classes)} classes in {_since(started)} "
                  f"({size / 1024:.0f} KiB in all)")
        system = Actor.system("bench")
        buffer = io.BytesIO()
        started = _clock()
        made = backup(engine, system, buffer)
        print(f"backup: {_since(started)}, {made.size / 1e6:.1f} MB, "
              f"{sum(made.tables.values())} rows")
        target = make_engine(args.restore_db or f"sqlite:///{Path(tmp) / 'restored.sqlite'}")
        started = _clock()
        restored = restore(io.BytesIO(buffer.getvalue()), target, system)
        print(f"restore into {target.dialect.name}: {_since(started)} (audit trail "
              f"{'valid' if restored.audit.ok else 'BROKEN'}: {restored.audit.entries} entries)")
        target.dispose()
        engine.dispose()


if __name__ == "__main__":
    main()
