"""Benchmark of printing the demo school's books (``layouts.batch``, as ``sodientu demo`` does).

Each run also measures the FLOOR: the bare Typst compile of the very documents the pipeline compiled
(QR codes included; dumped by the batch with ``BatchConfig.dump_dir``), by as many fresh worker
processes, each with one reused ``typst.Compiler`` and nothing else (no glyph check, no signing, no
manifest, no attachment, no database). The ratio pipeline / floor (CPU seconds and wall seconds,
measured in the same run) is what issue 15 asks to bring within 1.3.

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
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Self

if "PYTHONPATH" not in os.environ:  # else the tree it names: A/B against another version with this script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select
from sqlalchemy.engine import make_url

from layouts.batch import BatchConfig, BatchPool, BatchReport, run_batch, year_end_jobs
from layouts.publish import PDF_STANDARD
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


@dataclass(frozen=True)
class Floor:
    """The bare compile of the pipeline's documents: wall and CPU seconds, per-template CPU seconds."""

    wall: float
    cpu: float
    per_template: dict[str, tuple[int, float]]  # template -> (documents, CPU seconds summed)

    @property
    def render_cpu(self) -> float:
        """CPU seconds of the final compiles only (the floor proper: the documents the pipeline compiled)."""
        return sum(c for t, (_n, c) in self.per_template.items() if not t.startswith(("measure-", "book:")))

    @property
    def book_cpu(self) -> float:
        """``--book-floor``: CPU seconds of the books of the batches compiled one by one (not in the floor)."""
        return sum(c for t, (_n, c) in self.per_template.items() if t.startswith("book:"))

    @property
    def measure_cpu(self) -> float:
        """CPU seconds of the measuring passes (page plans) of the same books."""
        return sum(c for t, (_n, c) in self.per_template.items() if t.startswith("measure-"))


def _floor_init() -> None:
    from layouts import render

    render._compiler()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _floor_task(paths: list[str]) -> tuple[float, list[tuple[str, float]]]:
    """Compile each dumped document as the pipeline does, bare (a measuring document: its query);
    (CPU seconds, per-document seconds)."""
    import typst

    from layouts import render

    c0 = _cpu()
    out = []
    comp = render._compiler()
    for path in paths:
        template = "book:" if path.startswith("book:") else Path(path).name.split(".")[0]
        text = "" if path.startswith("book:") else Path(path).read_text(encoding="utf-8")
        t0 = _cpu()
        if template == "book:":  # a book of a batch, alone: path "book:<batch file>:<index>"
            _tag, batch_file, index = path.split(":")
            book = json.loads(Path(batch_file).read_text(encoding="utf-8"))["docs"][int(index)]
            text = json.dumps(book, ensure_ascii=False, separators=(",", ":"))
            template = "book:" + Path(batch_file).name.split(".")[0]
            t0 = _cpu()
            comp.compile(input=str(render.template_path("transcript")), format="pdf", sys_inputs={"doc": text},
                         pdf_standards=[PDF_STANDARD], timestamp=render.FIXED_TIMESTAMP, pdf_tags=False,
                         root=str(render.TEMPLATES_DIR))
        elif template.startswith("measure-"):
            source = render.template_path(template.removeprefix("measure-"))
            typst.Compiler(input=str(source), root=str(render.TEMPLATES_DIR), font_paths=render._fonts(),
                           ignore_system_fonts=True, sys_inputs={"doc": text}).query("<measure>", field="value")
        else:
            comp.compile(input=str(render.template_path(template)), format="pdf", sys_inputs={"doc": text},
                         pdf_standards=[PDF_STANDARD], timestamp=render.FIXED_TIMESTAMP, pdf_tags=False,
                         root=str(render.TEMPLATES_DIR))
        out.append((template, _cpu() - t0))
    return _cpu() - c0, out


def floor(dump: Path, workers: int, book_floor: bool = False) -> Floor:
    """Compile every dumped document again, bare, in ``workers`` fresh processes (warmed up first).

    A batch of transcripts (``transcripts.*.json``: what the pipeline compiles, D-BATCH-1) is compiled as one
    document; ``book_floor``: each of its books is also compiled alone (``book:transcripts``), reported apart.
    """
    docs = sorted(dump.glob("*.json"), key=lambda p: -p.stat().st_size)  # big ones first, as the batch
    tasks: list[list[str]] = []
    small: list[str] = []
    for p in docs:
        if p.name.startswith(("transcript.", "measure-transcript.")):
            small.append(str(p))
            if len(small) == 8:
                tasks.append(small)
                small = []
        else:
            tasks.append([str(p)])
    if small:
        tasks.append(small)
    wall, results = _compile_all(tasks, workers)
    if book_floor:  # apart, in fresh workers after the floor: neither run warms the other's cache
        books = [f"book:{p}:{i}" for p in docs if p.name.startswith("transcripts.")
                 for i in range(len(json.loads(p.read_text(encoding="utf-8"))["docs"]))]
        _wall, more = _compile_all([books[i:i + 8] for i in range(0, len(books), 8)], workers)
        results += [(0.0, items) for _c, items in more]
    per: dict[str, tuple[int, float]] = {}
    for _cpu_s, items in results:
        for template, seconds in items:
            n, total = per.get(template, (0, 0.0))
            per[template] = (n + 1, total + seconds)
    return Floor(wall, sum(c for c, _ in results), per)


def _compile_all(tasks: list[list[str]], workers: int) -> tuple[float, list[tuple[float, list[tuple[str, float]]]]]:
    """Run ``_floor_task`` over the tasks in ``workers`` fresh processes (warmed up first): wall s, results."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max(1, workers), mp_context=ctx, initializer=_floor_init) as pool:
        list(pool.map(time.sleep, [0.3] * max(1, workers)))  # every worker started and warm
        started = time.perf_counter()
        results = list(pool.map(_floor_task, tasks))
        return time.perf_counter() - started, results


class TreeRss:
    """Samples the resident memory of this process and its children (summed) every 0.1 s: the run's peak."""

    def __init__(self) -> None:
        import threading

        self.peak_mb = 0.0
        self.peak_parts: dict[int, float] = {}  # the processes' resident MB at the peak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _tree(pid: int) -> list[int]:
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            out.append(p)
            for task in Path(f"/proc/{p}/task").glob("*"):
                try:
                    todo += [int(c) for c in (task / "children").read_text().split()]
                except OSError:
                    pass
        return out

    def _loop(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE") / 2**20
        while not self._stop.wait(0.1):
            parts: dict[int, float] = {}
            for pid in set(self._tree(os.getpid())):
                try:
                    parts[pid] = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
                except (OSError, ValueError, IndexError):
                    pass
            if sum(parts.values()) > self.peak_mb:
                self.peak_mb, self.peak_parts = sum(parts.values()), parts


PEAKS: list[float] = []


def one_run(source: Path, work: Path, workers: int | None, per_task: int, cache_mb: float,
            keep_dump: Path | None = None, cache_growth: float = 0.0,
            book_floor: bool = False, no_floor: bool = False, release_mb: float | None = None) -> tuple[BatchReport, Floor]:
    """Print everything once on a fresh copy of the database, then compile the same documents bare."""
    work = Path(tempfile.mkdtemp(dir=work))  # a fresh folder: no WAL file of an earlier run beside the copy
    db = work / "demo.sqlite"
    shutil.copyfile(source, db)
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(work / "keys", ignore_errors=True)
    dump = work / "documents"
    shutil.rmtree(dump, ignore_errors=True)
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
                         transcripts_per_task=per_task, cache_limit_mb=cache_mb, dump_dir=str(dump),
                         cache_growth_mb=cache_growth, **({"release_limit_mb": release_mb} if release_mb is not None else {}))
    try:
        with TreeRss() as rss:
            report = run_batch(config, jobs, pool=pool)
        PEAKS.append(rss.peak_mb)
        print("sampled peak by process (MB):", {pid: round(mb) for pid, mb in sorted(rss.peak_parts.items())})
    finally:
        pool.close()
    if keep_dump is not None:  # the documents of the last run, for bench_floor.py
        shutil.rmtree(keep_dump, ignore_errors=True)
        shutil.copytree(dump, keep_dump)
    if no_floor:
        return report, Floor(0.0, 0.0, {})
    return report, floor(dump, report.workers, book_floor)


def _fmt(values: list[float], digits: int = 2) -> str:
    return f"median {statistics.median(values):6.{digits}f}  ({', '.join(f'{v:.{digits}f}' for v in values)})"


def _pipeline_cpu(r: BatchReport) -> float:
    """The pipeline's CPU seconds: the workers' (warm-up excluded) and the parent's run-level trail check."""
    return r.worker_cpu - r.warmup_cpu + r.check_cpu


def report(measured: list[tuple[BatchReport, Floor]]) -> None:
    runs = [r for r, _f in measured]
    floors = [f for _r, f in measured]
    last = runs[-1]
    walls = [r.wall for r in runs]
    cpus = [_pipeline_cpu(r) for r in runs]
    print(f"files {len(last.files)}, pages {last.pages}, failures {len(last.failures)}, workers {last.workers}")
    print(f"pipeline wall s   {_fmt(walls)}")
    print(f"pipeline CPU s    {_fmt(cpus)}  (workers, warm-up excluded, + the parent's run trail check)")
    print(f"run trail check   {_fmt([r.check_cpu for r in runs])}  (CPU s in the parent: one replay, one bulk read)")
    print(f"verdict written at {_fmt([getattr(r, 'verdict_at', 0.0) for r in runs])}  (wall s after the run's start); workers waited "
          f"for it {_fmt([getattr(r, 'verdict_wait', 0.0) for r in runs])} wall s in all")
    if not any(f.render_cpu for f in floors):  # --no-floor: nothing to compare with
        print("floor             not measured (--no-floor): no ratio to the floor")
    else:
        print(f"Typst wall s      {_fmt([f.wall for f in floors])}  (final compiles + measuring passes, same workers)")
        print(f"floor CPU s       {_fmt([f.render_cpu for f in floors])}  (bare Typst compile of the same documents)")
        print(f"measure CPU s     {_fmt([f.measure_cpu for f in floors])}  (Typst's measuring passes of the same books)")
        print(f"ratio CPU pipeline / floor            {_fmt([_pipeline_cpu(r) / f.render_cpu for r, f in measured])}")
        print(f"ratio CPU pipeline / (floor+measure)  {_fmt([_pipeline_cpu(r) / f.cpu for r, f in measured])}")
        print(f"ratio wall pipeline / Typst wall      {_fmt([r.wall / f.wall for r, f in measured])}")
    for template in sorted(floors[-1].per_template) if any(f.render_cpu for f in floors) else ():
        n, total = floors[-1].per_template[template]
        print(f"  floor {template:<12} {n:4d} documents, {total:7.2f} CPU s, {1000 * total / n:7.1f} ms each"
              + ("  (not in the floor: the batches' books compiled one by one)" if template.startswith("book:") else ""))
    if floors[-1].book_cpu:
        alone = floors[-1].render_cpu - floors[-1].per_template.get("transcripts", (0, 0.0))[1] + floors[-1].book_cpu
        print(f"floor CPU s if every book were compiled alone  {alone:.2f}  (--book-floor)")
    print(f"pages per second (wall) {last.pages / statistics.median(walls):6.1f}; "
          f"per CPU second {last.pages / statistics.median(cpus):6.1f}")
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak = max(r.worker_peak_rss_mb for r in runs)
    print(f"peak RSS of a worker {peak:.0f} MB (bound: {last.workers} x {peak:.0f} + parent {parent:.0f} = "
          f"{last.workers * peak + parent:.0f} MB); sampled peak of the whole run (parent + workers) "
          f"{_fmt(PEAKS, 0)} MB; Typst cache trims {last.cache_trims}")
    print(f"  {'book':<20} {'files':>5} {'pages':>6} {'median s':>9}   CPU s summed over the books, per step")
    for kind, (n, pages, seconds) in last.medians().items():
        files = [f for f in last.files if f.kind == kind]
        totals: dict[str, float] = {}
        for f in files:
            for name, value in f.timings:
                totals[name] = totals.get(name, 0.0) + value
        parts = ", ".join(f"{name} {value:.2f}" for name, value in totals.items() if value >= 0.005)
        print(f"  {KIND_NAMES.get(kind, kind):<20} {n:5d} {pages:6.0f} {seconds:9.3f}   {parts}")
    steps: dict[str, float] = {}
    for f in last.files:
        for name, value in f.timings:
            steps[name] = steps.get(name, 0.0) + value
    print("  all books, CPU s per step: " + ", ".join(f"{name} {value:.2f}" for name, value in steps.items()))
    outside = _pipeline_cpu(last) - sum(steps.values()) - last.check_cpu
    print(f"  sum of steps {sum(steps.values()):.2f} + run trail check {last.check_cpu:.2f}; outside every task "
          f"(process start after warm-up, passing tasks and results, idle threads) {outside:.2f} CPU s")


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
    parser.add_argument("--cache-growth", type=float, default=BatchConfig.cache_growth_mb,
                        help="... and only when the worker grew this much since its last flush (MB)")
    parser.add_argument("--release-mb", type=float, default=None,
                        help="after a flush, give the freed memory back to the system only above this resident size (MB)")
    parser.add_argument("--book-floor", action="store_true",
                        help="also compile each book of the transcript batches alone (the per-book floor)")
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the floor (bare compiles): the pipeline's figures only (its ratios are then void)")
    parser.add_argument("--keep-dump", type=Path, default=None,
                        help="copy the documents the run compiled into this folder (for bench_floor.py)")
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
        runs = [one_run(source, work, args.workers, args.per_task, args.cache_mb, args.keep_dump, args.cache_growth,
                        args.book_floor, args.no_floor, args.release_mb) for _ in range(args.runs)]
    report(runs)


if __name__ == "__main__":
    main()
