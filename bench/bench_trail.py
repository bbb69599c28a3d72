"""Cost of the print-time trail check (``records.services.trail``) per printed page.

Usage: .venv/bin/python bench/bench_trail.py [--students 600] [--seed 2026] [--db URL]

Builds the demo school (every mark, comment, absence and result written by the services, so the
school's audit chain holds several years of history), then, for every class of the current year,
times ``check_traced`` on the class's enrolments — the first call replays the whole chain (cold,
what a single ``sodientu print`` pays), the next ones reuse the replay and read only the rows (warm,
what a batch pays per book) — and divides by the mark book's page count. Transcripts: the same per
student (one spread per year).

Then the same with the signed snapshot of ``records.services.trail_cache`` (what ``layouts.publish``
uses): the cold check that writes it, and, in "a new process" (the in-process replays dropped), the
first book checked from the snapshot and the next books.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from layouts.markbook import PrintOptions, build_markbook
from records.books.markbook import read_markbook
from records.db import make_engine, session_scope
from records.demo.build import DemoConfig, build_demo, prepare_database
from records.models import AuditEntry, Class, Enrolment, Grade, SchoolYear
from records.permissions import Actor
from records.services import trail, trail_cache
from signing.keys import TrailCacheSigner, generate_private_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", default=None, help="database URL (RESET before the run); default: temp SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        engine = make_engine(url)
        prepare_database(engine, reset=True)
        started = time.perf_counter()
        with session_scope(engine) as session:
            build_demo(session, DemoConfig(students=args.students, seed=args.seed))
        print(f"demo built in {time.perf_counter() - started:.1f} s")
        with session_scope(engine) as session:
            entries = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
            year = session.scalars(select(SchoolYear).order_by(SchoolYear.start_year.desc())).first()
            classes = list(session.scalars(select(Class).join(Grade).where(Grade.school_year_id == year.id)
                                           .order_by(Class.name)))
            rows = []
            for i, klass in enumerate(classes):
                ids = list(session.scalars(select(Enrolment.id).where(Enrolment.class_id == klass.id)))
                pages = len(build_markbook(read_markbook(session, Actor.system("bench"), klass.id), PrintOptions()).pages)
                t0 = time.perf_counter()
                report = trail.check_traced(session, ids)
                elapsed = time.perf_counter() - t0
                assert report.ok, report.mismatches[:3]
                rows.append((klass.name, len(ids), pages, report.values, elapsed, i == 0))
            cold = rows[0]
            warm = rows[1:]
            print(f"audit chain: {entries} entries; current year {year.name}: {len(classes)} classes")
            print(f"cold (first book, replays the chain: {cold[3]} values checked, {cold[2]} pages): "
                  f"{cold[4] * 1000:.0f} ms = {cold[4] / cold[2] * 1000:.1f} ms/page")
            per_page = [r[4] / r[2] * 1000 for r in warm]
            per_book = [r[4] * 1000 for r in warm]
            if warm:
                print(f"warm (other books, {len(warm)} classes, {statistics.mean(r[1] for r in warm):.0f} students, "
                      f"{statistics.mean(r[2] for r in warm):.0f} pages, {statistics.mean(r[3] for r in warm):.0f} "
                      f"values each): median {statistics.median(per_book):.0f} ms/book = "
                      f"{statistics.median(per_page):.2f} ms/page (max {max(per_page):.2f})")
            _with_snapshot(session, classes, rows, Path(tmp) / "trail-cache.sqlite")
            students = list(session.scalars(select(Enrolment.student_id).join(Class).join(Grade)
                                            .where(Grade.school_year_id == year.id)))[:100]
            times = []
            for sid in students:
                ids = trail.enrolments_of(session, student_id=sid)
                t0 = time.perf_counter()
                trail.check_traced(session, ids)
                times.append(time.perf_counter() - t0)
            print(f"transcripts (warm, {len(times)} students, all their years): median "
                  f"{statistics.median(times) * 1000:.1f} ms/student")
        engine.dispose()


def _with_snapshot(session, classes, rows, cache: Path) -> None:  # type: ignore[no-untyped-def]
    import os

    os.environ[trail_cache.CACHE_ENV] = str(cache)
    signer = TrailCacheSigner(generate_private_key())
    ids_of = {k.id: list(session.scalars(select(Enrolment.id).where(Enrolment.class_id == k.id))) for k in classes}
    trail.forget()
    t0 = time.perf_counter()
    assert trail.check_traced(session, ids_of[classes[0].id], signer=signer).ok
    written = time.perf_counter() - t0
    print(f"with the snapshot: cold check that writes it {written * 1000:.0f} ms "
          f"({cache.stat().st_size / 1e6:.1f} MB file)")
    trail.forget()  # a new process
    times = []
    for klass in classes:
        t0 = time.perf_counter()
        report = trail.check_traced(session, ids_of[klass.id], signer=signer)
        times.append(time.perf_counter() - t0)
        assert report.ok, report.mismatches[:3]
    pages = {r[0]: r[2] for r in rows}
    first = classes[0].name
    print(f"  new process, first book from the snapshot: {times[0] * 1000:.0f} ms = "
          f"{times[0] / pages[first] * 1000:.2f} ms/page (was {rows[0][4] * 1000:.0f} ms replaying the chain)")
    if len(times) > 1:
        per_page = [t / pages[k.name] * 1000 for t, k in zip(times[1:], classes[1:], strict=True)]
        print(f"  next books from the snapshot: median {statistics.median(times[1:]) * 1000:.0f} ms/book = "
              f"{statistics.median(per_page):.2f} ms/page (max {max(per_page):.2f})")
    os.environ.pop(trail_cache.CACHE_ENV)
    trail.forget()


if __name__ == "__main__":
    main()
