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
                started = time.perf_counter()
                export = statistics(session, actor, school, year, term)
                xlsx = export.to_xlsx()
                middle = time.perf_counter()
                data = export.to_json()
                done = time.perf_counter()
                print(f"statistics {export.period.label_vi}: {len(export.rows)} rows, .xlsx {middle - started:.2f} s "
                      f"({len(xlsx) / 1024:.0f} KiB), JSON {done - middle:.2f} s "
                      f"({len(data) / 1024:.0f} KiB)")
            classes = sorted(classes_by_name(session, year).values(), key=lambda c: c.name)
            started = time.perf_counter()
            size = sum(len(export_class(session, actor, klass, 2)) for klass in classes)
            print(f"class mark sheets, term II: {len(classes)} classes in {time.perf_counter() - started:.2f} s "
                  f"({size / 1024:.0f} KiB in all)")
        system = Actor.system("bench")
        buffer = io.BytesIO()
        started = time.perf_counter()
        made = backup(engine, system, buffer)
        print(f"backup: {time.perf_counter() - started:.2f} s, {made.size / 1e6:.1f} MB, "
              f"{sum(made.tables.values())} rows")
        target = make_engine(args.restore_db or f"sqlite:///{Path(tmp) / 'restored.sqlite'}")
        started = time.perf_counter()
        restored = restore(io.BytesIO(buffer.getvalue()), target, system)
        print(f"restore into {target.dialect.name}: {time.perf_counter() - started:.2f} s (audit trail "
              f"{'valid' if restored.audit.ok else 'BROKEN'}: {restored.audit.entries} entries)")
        target.dispose()
        engine.dispose()


if __name__ == "__main__":
    main()
