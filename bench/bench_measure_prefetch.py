"""Measuring CPU of a print run's transcript tasks: one measuring compile per book, or one per task.

    .venv/bin/python bench/bench_measure_prefetch.py sqlite:////tmp/demo600.sqlite [--rounds 2] [--per-task 8]

Takes the transcript jobs of the demo school's year-end print (``layouts.batch.year_end_jobs``: the
year transcripts of grades 6–8, the volumes of grade 9) grouped into tasks as the batch does
(``make_tasks``), and builds every task's documents in one process, as one worker would: once with
each build measuring its own flows (one measuring compile a book), once with the task's flows
measured first in one compile (``layouts.transcript.prefetch_measurements``, as ``_run_task`` does),
each mode in a fresh process, A/B interleaved. Prints the CPU seconds of the measuring queries
(``layouts.render.query_seconds``), the measuring compiles and flows, and a digest of all the
documents (the same in both modes). Reads the database only.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TODAY_YEAR = 2025  # the demo's current school year (2025-2026)


def run(url: str, per_task: int, prefetch: bool) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from layouts import paginate
    from layouts.batch import TRANSCRIPT, make_tasks, year_end_jobs
    from layouts.render import query_seconds
    from layouts.transcript import build_transcript, prefetch_measurements, transcript_flows
    from records.books.transcript import read_transcripts
    from records.db import make_engine
    from records.models import School
    from records.permissions import Actor

    counts = {"compiles": 0, "flows": 0}
    inner = paginate._measure_compile

    def counting(template, book, flows):  # type: ignore[no-untyped-def]
        counts["compiles"] += 1
        counts["flows"] += len(flows)
        return inner(template, book, flows)

    paginate._measure_compile = counting  # type: ignore[assignment]
    with Session(make_engine(url)) as s:
        code = s.scalars(select(School.code).where(School.external.is_(False))).one()
        jobs = [j for j in year_end_jobs(s, code, TODAY_YEAR) if j.kind == TRANSCRIPT]
        inputs = read_transcripts(s, Actor.system("bench"), [str(j.ids[0]) for j in jobs])
    tasks = make_tasks(jobs, per_task)
    digest = hashlib.sha256()
    started = time.process_time()
    for task in tasks:
        builds = []
        for job in task:
            inp = inputs[str(job.ids[0])]
            if job.option("year"):
                builds.append((inp, {"year": job.option("year")}))
            if job.option("volume"):
                builds.append((inp, {"volume": True}))
        if prefetch:
            prefetch_measurements([f for inp, opts in builds for f in transcript_flows(inp, **opts)])
        for inp, opts in builds:
            digest.update(build_transcript(inp, **opts).to_json().encode())
    cpu = time.process_time() - started
    print(f"{'one compile a task' if prefetch else 'one compile a book'}: {len(tasks)} tasks, "
          f"{sum(len(t) for t in tasks)} students; measuring query CPU {query_seconds():.2f} s (all CPU {cpu:.2f} s), "
          f"{counts['compiles']} compiles / {counts['flows']} flows, documents {digest.hexdigest()[:16]}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--per-task", type=int, default=8)
    ap.add_argument("--one", choices=("book", "task"))
    args = ap.parse_args()
    if args.one:
        run(args.url, args.per_task, args.one == "task")
        return
    for _ in range(args.rounds):
        for mode in ("book", "task"):
            subprocess.run([sys.executable, __file__, args.url, "--per-task", str(args.per_task), "--one", mode],
                           check=True)


if __name__ == "__main__":
    main()
