"""Benchmark of transcript (học bạ) and register rendering on fresh data.

Usage: .venv/bin/python bench/bench_transcripts.py [--students 600] [--workers 2] [--runs 3]

Every run draws new marks and names (a new seed), so Typst's memoisation cannot reuse earlier
pages. Reported: the median wall time of rendering ``--students`` single-year transcripts
(2 pages each, the year-end print) in a process pool, one reused typst Compiler per process and
one compile per student; the CPU of one year's print (measure + render, in this process) with
and without last year's print on record (``TranscriptInput.printed_ends``: only that year is laid
out) next to a quarter of the volume's; the median of one student's bound four-year volume (10
pages); the register of a 150-student course; peak RSS of the parent and of the worker processes.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from layouts.register import build_register, render_register
from layouts.transcript import build_transcript, render_transcript
from tests.layouts.transcript_samples import sample_input, sample_register

NAMES = ("Lò Thị Hương Giang", "Quàng Văn Ước", "Cầm Thị Ỷ", "Giàng A Dũng", "Nguyễn Thị Thu Hường")


def _render_year(args: tuple[int, str]) -> int:
    """Render one student's year-end transcript (2023-2024, grade 8) and write it to ``out``."""
    seed, out = args
    inp = sample_input(seed=seed, years=3, name=random.Random(seed).choice(NAMES) + f" {seed}")
    pdf = render_transcript(build_transcript(inp, year=2023))
    Path(out, f"{seed}.pdf").write_bytes(pdf)
    return len(pdf)


def _worker_peak_rss_mb(_: int) -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_batch(students: int, workers: int, base: int) -> tuple[float, float, int]:
    """Wall and worker-CPU seconds for ``students`` single-year transcripts on ``workers`` processes.

    The CPU time is reported too because the wall time is meaningless on a machine that other
    jobs load (``uptime`` is printed): CPU seconds / cores is what an idle machine needs.
    """
    with tempfile.TemporaryDirectory() as out:
        cpu0 = _children_cpu()
        t0 = time.perf_counter()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            sizes = list(pool.map(_render_year, [(base + i, out) for i in range(students)], chunksize=20))
        elapsed = time.perf_counter() - t0
        cpu = _children_cpu() - cpu0
    return elapsed, cpu, sum(sizes)


def bench_volume(runs: int, base: int) -> list[float]:
    """Seconds for one four-year volume, fresh data each time (after one warm-up compile)."""
    render_transcript(build_transcript(sample_input(seed=base - 1), volume=True))
    times = []
    for k in range(runs):
        inp = sample_input(seed=base + k, name=f"Lò Thị Hương Giang {base + k}")
        t0 = time.perf_counter()
        render_transcript(build_transcript(inp, volume=True, duplex=True))
        times.append(time.perf_counter() - t0)
    return times


def bench_year_cost(students: int, base: int) -> tuple[float, float, float]:
    """CPU seconds per student (``time.process_time``, this process) of: the year-end print of the
    third year laying every year out to number its pages; the same print following last year's
    print on record (``printed_ends``, as ``records.books.transcript.read_transcript`` reads it from the edition); a
    quarter of the four-year volume's print. Each is timed on students of its own (Typst memoises
    layouts across compiles in a process); last year's print is made first, untimed."""
    def student(seed: int, years: int = 3):
        return sample_input(seed=seed, years=years, name=random.Random(seed).choice(NAMES) + f" {seed}")

    unbound = bound = volume = 0.0
    for i in range(students):
        seed = base + 3 * i
        on_record = student(seed + 1)
        last_year = build_transcript(on_record, year=2022)
        on_record = dataclasses.replace(on_record, printed_ends=((2022, last_year.pages[-1].no),))
        inp, whole = student(seed), student(seed + 2, years=4)
        t0 = time.process_time()
        render_transcript(build_transcript(inp, year=2023))
        t1 = time.process_time()
        render_transcript(build_transcript(on_record, year=2023))
        t2 = time.process_time()
        render_transcript(build_transcript(whole, volume=True))
        t3 = time.process_time()
        unbound, bound, volume = unbound + t1 - t0, bound + t2 - t1, volume + t3 - t2
    return unbound / students, bound / students, volume / students / 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    base = random.SystemRandom().randrange(10**6, 10**9)

    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    batch, cpus = [], []
    for r in range(args.runs):
        seconds, cpu, size = bench_batch(args.students, args.workers, base + r * 10_000)
        batch.append(seconds)
        cpus.append(cpu)
        print(f"  run {r + 1}: {args.students} single-year transcripts in {seconds:.2f} s wall, "
              f"{cpu:.2f} s worker CPU ({size / 2**20:.1f} MB of PDF)")
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        pool.map(_render_year, [(base + 900_000 + i, tempfile.gettempdir()) for i in range(40)])
        worker_rss = max(pool.map(_worker_peak_rss_mb, range(args.workers * 4)))
    year_cost = bench_year_cost(max(20, args.students // 10), base + 700_000)
    volume = bench_volume(max(5, args.runs * 3), base + 500_000)
    reg = sample_register(150, seed=base % 1000)
    t0 = time.perf_counter()
    pdf = render_register(build_register(reg))
    reg_s = time.perf_counter() - t0
    parent_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"single-year transcripts, {args.students} students, {args.workers} processes: "
          f"median {statistics.median(batch):.2f} s wall (target < 12 s); worker CPU median "
          f"{statistics.median(cpus):.2f} s = {statistics.median(cpus) / args.students * 1000:.1f} ms a student")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"four-year volume (10 pages, duplex 14): median {statistics.median(volume) * 1000:.0f} ms "
          f"(target < 300 ms; runs {', '.join(f'{t * 1000:.0f}' for t in volume)})")
    print(f"CPU of one year-end print (3rd year), per student: {year_cost[0] * 1000:.1f} ms laying every year "
          f"out, {year_cost[1] * 1000:.1f} ms after last year's print on record; a quarter of the volume "
          f"{year_cost[2] * 1000:.1f} ms")
    print(f"register, 150 students: {reg_s:.2f} s, {len(pdf) // 1024} kB")
    print(f"peak RSS: parent {parent_rss:.0f} MB, worker {worker_rss:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
