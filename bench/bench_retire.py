"""Retire a print worker instead of flushing Typst's cache? A new ``forkserver`` worker against a flush.

The school year's print flushes Typst's cache after nearly every task (``render.trim_cache``: ten empty
compiles, comemo walks and frees every cached entry; ~0.1 s each). The alternative measured here: workers
forked by ``multiprocessing``'s forkserver, whose server has imported everything a worker needs (typst,
pikepdf, pypdfium2, SQLAlchemy, the project's modules, the fonts' code points read by fontTools, the QR
tables; then ``gc.freeze()``), and a worker that RETIRES (exits: the kernel frees its memory at once) after a
task instead of flushing; its successor is a fork.

Each mode runs the same sample of the school year's tasks (a quarter mark books and registers, the rest
transcript batches, spread over ``make_tasks``'s order), one worker at a time, on its own copy of the
database (with its own seal log and archive) against one trail verdict written beforehand; the modes of
a pair run AT THE SAME TIME (same machine load), each in its own process:

* ``flush``: one forkserver worker for every task, the batch's flush policy (``BatchConfig`` defaults);
* ``spawn``: the same with a ``spawn`` worker (the batch's pool today);
* ``retire``: a new forkserver worker for every task, no flush;
* ``retire<MB>``: a worker retires after a task that leaves it above MB (resident), no flush.

Printed per task: the new worker's CPU before the task (start: fork to first call; warm: ``_warm_up``;
setup: engines, key, office user), the task's CPU, the worker's peak and current resident size; per mode the
CPU of the whole process tree (this process, its children, and the forkserver with the workers it reaped:
fork and exit included) and the sum counted inside the workers.

Usage: .venv/bin/python bench/bench_retire.py --db sqlite:////tmp/demo600-pristine.sqlite [--tasks 24]
                                              [--pair flush retire]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import multiprocessing
import os
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

if "PYTHONPATH" not in os.environ:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TODAY = dt.date(2026, 6, 15)


def _preload() -> None:
    """What the forkserver holds before it forks a worker: no Typst compile (its threads), no database engine."""
    import pikepdf  # noqa: F401
    import pypdfium2  # noqa: F401
    import sqlalchemy  # noqa: F401
    import typst  # noqa: F401
    from sqlalchemy.orm import configure_mappers

    import layouts.batch
    import layouts.markbook
    import layouts.publish
    import layouts.register
    import layouts.transcript  # noqa: F401
    import records.books.markbook  # noqa: F401
    from layouts import render
    from signing.qr import qr_svg

    configure_mappers()
    render.covered_codepoints()
    render._template_chars(str(render.TEMPLATES_DIR))
    for n in (110, 160, 190, 230):
        qr_svg("A" * n)
    # without it the child's first full collection walks (and copies) every object of the server: 0.3 CPU s, 11,000
    # page faults per new worker, against 0.01 s and 1,300
    gc.collect()
    gc.freeze()


if __name__ == "bench_retire":  # imported by the forkserver: ``set_forkserver_preload(["bench_retire"])``
    _preload()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_cpu(pid: int) -> float:
    """utime + stime + cutime + cstime of a process (its reaped children included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def setup(source: Path, work: Path) -> None:
    """A copy of the demo database with the school key, the year's jobs and one trail verdict."""
    from sqlalchemy import select

    from layouts.batch import BatchConfig, write_verdict, year_end_jobs
    from records.db import make_engine, session_scope
    from records.models import Role, School
    from web.commands.demo import _user_with_role, create_demo_key

    (work / "base").mkdir(parents=True)
    shutil.copyfile(source, work / "base" / "demo.sqlite")
    url = f"sqlite:///{work / 'base' / 'demo.sqlite'}"
    engine = make_engine(url)
    with session_scope(engine) as session:
        school = session.scalars(select(School).where(School.external.is_(False))).one()
        code = school.code
        office = _user_with_role(session, school.id, Role.OFFICE)
    key = create_demo_key(engine, code, work / "keys", TODAY)
    with session_scope(engine) as session:
        jobs = year_end_jobs(session, code, TODAY.year - 1)
    engine.dispose()
    config = BatchConfig(url, str(work / "out"), str(key.private_file), key.passphrase, office, issued_on=TODAY)
    (work / "verdict").mkdir()
    write_verdict(config, jobs, str(work / "verdict" / "verdict.json"))
    (work / "setup.pkl").write_bytes(pickle.dumps((config, jobs)))


def _first(config: Any, task: Any, verdict: str) -> tuple[Any, ...]:
    """A new worker's warm-up, set-up and first task: its CPU at each point."""
    from layouts import batch

    t0 = _cpu()
    batch._warm_up(0.0)
    t1 = _cpu()
    batch._worker(config)
    t2 = _cpu()
    results, stat = batch._run_task(config, task, verdict)
    return t0, t1 - t0, t2 - t1, _cpu() - t2, stat, [o.error_en for o in results if not o.ok]


def _next(config: Any, task: Any, verdict: str) -> tuple[Any, ...]:
    from layouts import batch

    t0 = _cpu()
    results, stat = batch._run_task(config, task, verdict)
    return _cpu() - t0, stat, [o.error_en for o in results if not o.ok]


def _rss() -> float:
    from layouts.render import process_rss_mb

    return process_rss_mb() or 0.0


def run_mode(work: Path, mode: str, n: int) -> None:
    from layouts import batch

    config, jobs = pickle.loads((work / "setup.pkl").read_bytes())
    run = work / f"run-{mode}"
    shutil.copytree(work / "base", run)  # the database with its own seal log and archive
    retire_mb = None if mode in ("flush", "spawn") else (0.0 if mode == "retire" else float(mode.removeprefix("retire")))
    config = replace(config, db_url=f"sqlite:///{run / 'demo.sqlite'}", out_dir=str(run / "out"),
                     cache_limit_mb=float("inf") if retire_mb is not None else config.cache_limit_mb)
    verdict = str(work / "verdict" / "verdict.json")
    tasks = batch.make_tasks(jobs, 8)
    single = [i for i, t in enumerate(tasks) if t[0].kind != batch.TRANSCRIPT]
    groups = [i for i, t in enumerate(tasks) if t[0].kind == batch.TRANSCRIPT]
    k = n // 4
    picked = sorted(single[::max(1, len(single) // k)][:k] + groups[::max(1, len(groups) // (n - k))][:n - k])
    tasks = [tasks[i] for i in picked]
    server: int | None = None
    ctx: Any = multiprocessing.get_context("spawn" if mode == "spawn" else "forkserver")
    if mode != "spawn":
        # Python 3.11's forkserver neither imports "__main__" (the main path is not passed to it) nor takes the
        # parent's sys.path, and ignores a preload module it cannot import: it finds this one through PYTHONPATH
        root = os.environ.get("PYTHONPATH") or str(Path(__file__).resolve().parents[1])
        os.environ["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parent), root])
        ctx.set_forkserver_preload(["bench_retire"])
        from multiprocessing import forkserver

        forkserver.ensure_running()
        server = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]  # private: the server's pid
        time.sleep(3.0)  # the server imports (its CPU is not counted below: once per run, while the data is built)
        print(f"{mode}: forkserver ready, {_tree_cpu(server):.2f} CPU s, "
              f"{int(Path(f'/proc/{server}/statm').read_text().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20:.0f} MB")
    base = (_cpu(), _children_cpu(), _tree_cpu(server) if server else 0.0)
    started = time.perf_counter()
    executor: ProcessPoolExecutor | None = None
    counted, workers, failures = 0.0, 0, 0
    for i, task in enumerate(tasks):
        if executor is None:
            executor = ProcessPoolExecutor(1, mp_context=ctx, initializer=batch._init_worker, initargs=(0,))
            start, warm, set_up, cpu, stat, errors = executor.submit(_first, config, task, verdict).result()
            counted += start + warm + set_up + cpu
            workers += 1
            line = f"{i:3d} new worker: start {start:.3f} warm {warm:.3f} setup {set_up:.3f}; task {cpu:.3f}"
        else:
            cpu, stat, errors = executor.submit(_next, config, task, verdict).result()
            counted += cpu
            line = f"{i:3d}{'':43}task {cpu:.3f}"
        now = executor.submit(_rss).result()
        failures += len(errors)
        print(f"{line}  {task[0].kind} x{len(task)}  peak {stat.peak_rss_mb:.0f} MB, now {now:.0f} MB, "
              f"flushes {stat.trims}{'  FAILED ' + errors[0] if errors else ''}")
        if retire_mb is not None and now > retire_mb:
            executor.shutdown(wait=True)
            executor = None
    if executor is not None:
        executor.shutdown(wait=True)
    wall = time.perf_counter() - started
    time.sleep(1.0)  # the forkserver reaps the last worker
    total = (_cpu() - base[0]) + (_children_cpu() - base[1]) + ((_tree_cpu(server) - base[2]) if server else 0.0)
    print(f"MODE {mode}: {len(tasks)} tasks, {workers} workers, {failures} failed jobs; wall {wall:.2f} s; "
          f"CPU of the process tree {total:.2f} s, counted in the workers {counted:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="an SQLite demo database URL (copied, not changed)")
    parser.add_argument("--tasks", type=int, default=24)
    parser.add_argument("--pair", nargs="+", default=["flush", "retire"],
                        help="modes run at the same time: flush, spawn, retire, retire<MB>")
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        run_mode(args.work, args.mode, args.tasks)
        return
    from sqlalchemy.engine import make_url

    source = Path(make_url(args.db).database or "")
    os.environ.pop("SODIENTU_SEAL_LOG", None)  # every copy of the database has its own seal log, beside it
    print(f"load average {os.getloadavg()[0]:.2f}; cores {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        setup(source, Path(tmp))
        procs = [subprocess.Popen([sys.executable, __file__, "--db", args.db, "--tasks", str(args.tasks), "--mode", m,
                                   "--work", tmp], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                 for m in args.pair]
        for proc in procs:
            out, _ = proc.communicate()
            print(out, end="")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
