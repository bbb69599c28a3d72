"""Median time to build and render a 45-student class's full-year mark book on data the process
has not seen before (Typst memoises repeated input), in a warm process.

    .venv/bin/python bench/bench_markbook.py [--runs 7] [--paper a4|a3] [--duplex]

Target (issue 3): < 0.8 s per book on the 2-core machine; Typst alone needs about 0.5 s.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from layouts.markbook import PrintOptions, build_markbook
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
    args = ap.parse_args()
    opts = PrintOptions(paper=args.paper, duplex=args.duplex)

    # warm the process: imports, font discovery, the Compiler, template parsing
    render_document("markbook", build_markbook(make_markbook_input(10_000), opts))

    inputs_t, build_t, render_t, total_t, cpu_t = [], [], [], [], []
    pages = 0
    for run in range(args.runs):
        t0 = time.perf_counter()
        inp = make_markbook_input(20_000 + run)  # fresh data every run
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
    print(f"  build document (MarkBookInput -> JSON-ready pages): median {med(build_t) * 1000:.0f} ms")
    print(f"  render (glyph check + Typst + page count):          median {med(render_t) * 1000:.0f} ms")
    print(f"  build + render:                                     median {med(total_t) * 1000:.0f} ms"
          f"  (min {min(total_t) * 1000:.0f}, max {max(total_t) * 1000:.0f})")
    print(f"  CPU time per book (both cores):                     median {med(cpu_t) * 1000:.0f} ms")
    print(f"  (synthetic input generation, not counted: median {med(inputs_t) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
