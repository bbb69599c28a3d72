"""Print time and smallest glyph of the worst-case transcript volume and register (issue 9).

Usage: .venv/bin/python bench/bench_print_worst.py [--runs 3]

Each run uses a new seed (new names, places, comments), so Typst's memoisation cannot reuse an
earlier layout. Reported per case: pages, the median time of building the document (which includes
Typst's measuring pass) and of rendering it, and the smallest glyph per page kind (pt). Cases:
- a typical one-year transcript print (2 pages), for the cost of the measuring pass;
- the worst transcript volume: grades 6-9, longest name, guardian only, 720-character comments
  on every subject, TT26 (14 subjects), two-sided;
- the register of 60 students with every text long, on A3 and on A4, two-sided.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from layouts.documents import BookDocument
from layouts.register import build_register, render_register
from layouts.transcript import build_transcript, render_transcript
from tests.layouts.adversarial_tr import adversarial_register, adversarial_transcript
from tests.layouts.pdf_glyphs import page_glyphs
from tests.layouts.transcript_samples import sample_input


def _case(build: Callable[[int], BookDocument], render: Callable[[BookDocument], bytes], runs: int) -> dict:
    builds, renders, smallest = [], [], {}
    pages = 0
    for run in range(runs):
        t0 = time.perf_counter()
        doc = build(1000 + run)
        t1 = time.perf_counter()
        pdf = render(doc)
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        renders.append(t2 - t1)
        pages = len(doc.pages)
        for page, glyphs in zip(doc.pages, page_glyphs(pdf), strict=True):
            smallest[page.kind] = min(smallest.get(page.kind, 99.0), glyphs.smallest)
    return {"pages": pages, "build": statistics.median(builds), "render": statistics.median(renders),
            "smallest": smallest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cases = {
        "transcript, one year (typical)": (
            lambda seed: build_transcript(sample_input(seed=seed, years=3), year=2023), render_transcript),
        "transcript volume, worst (TT26, 720-char comments, duplex)": (
            lambda seed: build_transcript(adversarial_transcript(seed, comment_repeat=3, regime="tt26"),
                                          volume=True, duplex=True), render_transcript),
        "register, 60 long lines, A3 duplex": (
            lambda seed: build_register(adversarial_register(60, seed=seed), paper="a3", duplex=True),
            render_register),
        "register, 60 long lines, A4 duplex": (
            lambda seed: build_register(adversarial_register(60, seed=seed), paper="a4", duplex=True),
            render_register),
    }
    for name, (build, render) in cases.items():
        r = _case(build, render, args.runs)
        total = r["build"] + r["render"]
        print(f"{name}: {r['pages']} pages, build+measure {r['build']:.2f} s, render {r['render']:.2f} s, "
              f"total {total:.2f} s")
        print("    smallest glyph (pt): " + ", ".join(f"{k} {v:g}" for k, v in sorted(r["smallest"].items())))


if __name__ == "__main__":
    main()
