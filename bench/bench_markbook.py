"""Median time to build and render a 45-student class's full-year mark book on data the process
has not seen before (Typst memoises repeated input), in a warm process; with ``--command``, also
the database read and the whole ``sodientu print mark-book`` command (a new process each run).

    .venv/bin/python bench/bench_markbook.py [--runs 7] [--paper a4|a3] [--duplex] [--command] [--worst]

``--worst``: the worst-case class of issue 9 (``tests.layouts.adversarial``: 45 students + 3 arrivals, the
longest names and places, six transfers out, guardians), whose tables run over two pages. Building
includes the measuring pass of Typst (``layouts.paginate``), about as long as the render.

Targets (issue 3): < 0.8 s per book in a warm process on the 2-core machine (Typst alone needs
about 0.5 s); < 2 s for the whole command. Other sessions may load the machine: CPU time (all
threads of the process, so Typst's own threads count) is reported beside wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from layouts.markbook import MarkBookInput, PrintOptions, build_markbook
from layouts.render import page_count, render_document
from tests.layouts.factories import make_markbook_input


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    """Run the benchmark and print medians."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--paper", default="a4", choices=["a4", "a3"])
    ap.add_argument("--duplex", action="store_true")
    ap.add_argument("--command", action="store_true", help="also time the database read and the whole command")
    ap.add_argument("--worst", action="store_true", help="the worst-case class (long names, transfers, guardians)")
    args = ap.parse_args()
    make = make_markbook_input
    if args.worst:
        from tests.layouts.adversarial import adversarial_markbook_input

        def make(seed: int) -> MarkBookInput:  # type: ignore[misc]
            return adversarial_markbook_input(45, seed=seed)
    opts = PrintOptions(paper=args.paper, duplex=args.duplex)

    # warm the process: imports, font discovery, the Compiler, template parsing
    render_document("markbook", build_markbook(make(10_000), opts))

    inputs_t, build_t, render_t, total_t, cpu_t = [], [], [], [], []
    pages = 0
    for run in range(args.runs):
        t0 = time.perf_counter()
        inp = make(20_000 + run)  # fresh data every run
        t1 = time.perf_counter()
        c0 = _cpu()
        doc = build_markbook(inp, opts)
        t2 = time.perf_counter()
        pdf = render_document("markbook", doc)
        t3 = time.perf_counter()
        cpu_t.append(_cpu() - c0)
        pages = page_count(pdf)
        inputs_t.append(t1 - t0)
        build_t.append(t2 - t1)
        render_t.append(t3 - t2)
        total_t.append(t3 - t1)
    med = statistics.median
    print(f"mark book, {len(inp.students)} rows x {len(inp.subjects)} subjects, {args.paper}"
          f"{' duplex' if args.duplex else ''}, {pages} pages, {len(pdf) / 1024:.0f} KiB, {args.runs} fresh runs")
    print(f"  build document (measuring pass + JSON-ready pages): median {med(build_t) * 1000:.0f} ms")
    print(f"  render (glyph check + Typst + page count):          median {med(render_t) * 1000:.0f} ms")
    print(f"  build + render:                                     median {med(total_t) * 1000:.0f} ms"
          f"  (min {min(total_t) * 1000:.0f}, max {max(total_t) * 1000:.0f})")
    print(f"  CPU time per book (both cores):                     median {med(cpu_t) * 1000:.0f} ms")
    print(f"  (synthetic input generation, not counted: median {med(inputs_t) * 1000:.0f} ms)")
    if args.command:
        bench_command(args.runs, args.paper, args.duplex)


# --- the database read and the command ---------------------------------------------------------


def seed_class(url: str, seed: int, n_students: int = 45) -> None:
    """A school with a 9th-grade class of ``n_students`` (+1 transferred in), 15 subjects, a full
    year of marks, results, absences and monthly inspections, and a second class of the same size."""
    from sqlalchemy.orm import Session

    from records.db import make_engine
    from records.models import (
        Assessment,
        Attendance,
        Base,
        EnrolmentStatus,
        GradeSubject,
        Mark,
        MarkKind,
        Period,
        Role,
        StudentResult,
        Subject,
        SubjectResult,
    )
    from records.permissions import Actor
    from records.rules import ruleset
    from records.services.inspections import record_inspection
    from tests.factories import assign, enrol, make_class, make_school, make_student, make_user, make_year
    from tests.layouts.factories import FAMILY, GIVEN_F, GIVEN_M, MIDDLE_F, MIDDLE_M

    rng = random.Random(seed)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        school = make_school(session, name="Trường THCS Tô Hiệu", code=f"TH{seed}")
        principal = make_user(session, school, [Role.PRINCIPAL], full_name="Nguyễn Văn Hiệu")
        make_user(session, school, [Role.OFFICE], username=f"vanphong{seed}", full_name="Cán Bộ Văn Phòng")
        year = make_year(session, school, 2025)
        terms = sorted(year.terms, key=lambda t: t.number)
        teachers = [make_user(session, school, [Role.SUBJECT_TEACHER]) for _ in range(10)]
        classes = [make_class(session, year, 9, name, homeroom=teachers[i]) for i, name in enumerate(("9A1", "9A2"))]
        grade = classes[0].grade
        for pos, (code, name) in enumerate((("thai", "Tiếng dân tộc thiểu số (Tiếng Thái)"),
                                            ("nn2", "Ngoại ngữ 2 (Tiếng Trung)"), ("mt", "Nghệ thuật (Mĩ thuật)")), 20):
            subj = Subject(school_id=school.id, code=code, name=name, lessons_per_year=70,
                           assessment=Assessment.COMMENT if code == "mt" else Assessment.SCORE)
            session.add(subj)
            session.flush()
            session.add(GradeSubject(grade_id=grade.id, subject_id=subj.id, position=pos))
        session.flush()
        session.refresh(grade)
        rs = ruleset(grade.regime)
        for klass in classes:
            for k, gs in enumerate(grade.subjects):
                for t in terms:
                    assign(session, teachers[k % len(teachers)], klass, gs.subject, t)
            for i in range(1, n_students + 2):
                female = i % 2 == 0
                st = make_student(session, school, family_name=rng.choice(FAMILY),
                                  middle_name=rng.choice(MIDDLE_F if female else MIDDLE_M),
                                  given_name=rng.choice(GIVEN_F if female else GIVEN_M))
                extra: dict[str, object] = {}
                if i == 17:
                    extra = {"status": EnrolmentStatus.TRANSFERRED_OUT, "left_on": dt.date(2026, 1, 12)}
                if i == n_students + 1:
                    extra = {"transferred_in": True, "enrolled_on": dt.date(2026, 1, 19)}
                e = enrol(session, st, klass, roll_number=i, **extra)
                rows: list[object] = []
                for gs in grade.subjects:
                    comment = gs.subject.assessment is Assessment.COMMENT
                    n_tx = rs.required_regular_count(gs.lessons, comment=comment)
                    for t in terms:
                        for kind, slots in ((MarkKind.REGULAR, n_tx), (MarkKind.MIDTERM, 1), (MarkKind.FINAL, 1)):
                            for slot in range(1, slots + 1):
                                v = Decimal(rng.randint(8, 20)) / 2
                                rows.append(Mark(enrolment_id=e.id, subject_id=gs.subject_id, term_id=t.id, kind=kind,
                                                 slot=slot, score=None if comment else v,
                                                 grade=("Đ" if rng.random() < 0.95 else "CĐ") if comment else None))
                    for period in Period:
                        rows.append(SubjectResult(enrolment_id=e.id, subject_id=gs.subject_id, period=period,
                                                  average=None if comment else Decimal(rng.randint(40, 100)) / 10,
                                                  grade="Đ" if comment else None))
                for period in Period:
                    rows.append(StudentResult(enrolment_id=e.id, period=period, regime=grade.regime, learning="Khá",
                                              conduct="Tốt", promotion="promoted" if period is Period.YEAR else None))
                day = year.starts_on
                while day <= year.ends_on:
                    if day.weekday() < 6 and rng.random() < 0.012:
                        rows.append(Attendance(enrolment_id=e.id, day=day, excused=rng.random() < 0.7))
                    day += dt.timedelta(days=1)
                session.add_all(rows)
            session.flush()
        actor = Actor.load(session, principal.id)
        for month, yr in ((9, 2025), (10, 2025), (11, 2025), (12, 2025), (1, 2026), (2, 2026), (3, 2026)):
            on = dt.date(yr, month, 27)
            record_inspection(session, actor, year, yr, month, klass=classes[0], findings="Cập nhật điểm kịp thời.",
                              inspected_on=on, today=on)
        session.commit()
    engine.dispose()


def bench_command(runs: int, paper: str, duplex: bool) -> None:
    """Median database read (warm process) and whole-command time (new process each run)."""
    from sqlalchemy.orm import Session

    from records.books.markbook import find_class, read_markbook
    from records.db import make_engine
    from records.permissions import Actor

    med = statistics.median
    with tempfile.TemporaryDirectory() as tmp:
        urls = []
        t0 = time.perf_counter()
        for run in range(runs + 1):
            (Path(tmp) / f"s{run}").mkdir()
            url = f"sqlite:///{Path(tmp) / f's{run}' / 'school.sqlite'}"  # keys/ goes beside each database
            seed_class(url, 30_000 + run)
            urls.append(url)
        print(f"  (seeded {runs + 1} databases in {time.perf_counter() - t0:.1f} s)")
        load_t, load_cpu, marks = [], [], 0
        for url in urls:
            engine = make_engine(url)
            with Session(engine) as session:
                klass = find_class(session, "9A1", "2025-2026")
                t1, c1 = time.perf_counter(), _cpu()
                inp = read_markbook(session, Actor.system("bench"), klass.id)
                load_t.append(time.perf_counter() - t1)
                load_cpu.append(_cpu() - c1)
                marks = sum(len(v) for m in inp.marks for _, v in m.marks)
            engine.dispose()
        print(f"  read_markbook ({len(inp.students)} rows, {len(inp.subjects)} subjects, {marks} marks): "
              f"median {med(load_t[1:]) * 1000:.0f} ms wall, {med(load_cpu[1:]) * 1000:.0f} ms CPU")
        exe = str(Path(sys.executable).parent / "sodientu")
        wall_t, cpu_t = [], []
        for run, url in enumerate(urls[1:]):
            out = Path(tmp) / f"book{run}.pdf"
            cmd = [exe, "print", "mark-book", "--class", "9A1", "--year", "2025-2026", "--paper", paper,
                   "--draft", "-o", str(out), "--db", url] + (["--duplex"] if duplex else [])
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t1 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
            wall_t.append(time.perf_counter() - t1)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_t.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        print(f"  sodientu print mark-book --draft (new process, {paper}): median {med(wall_t):.2f} s wall "
              f"(min {min(wall_t):.2f}, max {max(wall_t):.2f}), {med(cpu_t):.2f} s CPU")
        # published editions: QR signed on every page, PDF/A-3b with the JSON attached, PAdES signature
        pw = Path(tmp) / "pw"
        pw.write_text("mat-khau-bench-123\n")
        wall_t, cpu_t = [], []
        for run, url in enumerate(urls[1:]):
            subprocess.run([exe, "keys", "init", "--db", url, "--passphrase-file", str(pw)], check=True,
                           capture_output=True)
            out = Path(tmp) / f"edition{run}.pdf"
            cmd = [exe, "print", "mark-book", "--class", "9A1", "--year", "2025-2026", "--paper", paper,
                   "--as", f"vanphong{30_000 + run + 1}", "--passphrase-file", str(pw), "-o", str(out), "--db", url]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t1 = time.perf_counter()
            subprocess.run(cmd + (["--duplex"] if duplex else []), check=True, capture_output=True)
            wall_t.append(time.perf_counter() - t1)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_t.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        print(f"  sodientu print mark-book, published edition (new process, {paper}): median {med(wall_t):.2f} s wall "
              f"(min {min(wall_t):.2f}, max {max(wall_t):.2f}), {med(cpu_t):.2f} s CPU")


if __name__ == "__main__":
    main()
