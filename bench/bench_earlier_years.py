"""Measuring CPU of the year transcripts whose earlier years are only counted (issues 9 and 15).

    .venv/bin/python bench/bench_earlier_years.py sqlite:////tmp/demo600.sqlite [--duplex] [--rounds 2]

Builds the year transcript (``build_transcript(inp, year=last)``, as the batch does) of every student
with two or three recorded years (grades 7–8 of the demo: no earlier print recorded, so every earlier
section is laid out to number the printed year), once with the earlier sections measured as their
shapes (``layouts.transcript.shape``) and once as themselves (the code before), each in a fresh
process, A/B interleaved: CPU seconds in the measuring queries (``layouts.render.query_seconds``),
flows and units measured, and a check that both give the same documents. Reads the database only.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def run(url: str, duplex: bool, shaped: bool) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from layouts import paginate
    from layouts.render import query_seconds
    from layouts.transcript import plan
    from records.books.transcript import read_transcripts
    from records.db import make_engine
    from records.models import Student
    from records.permissions import Actor

    if not shaped:
        plan.shaped = lambda kind, data: data  # type: ignore[assignment]
    counts = {"flows": 0, "units": 0}
    inner = paginate._measure_compile

    def counting(template, book, flows):  # type: ignore[no-untyped-def]
        out = inner(template, book, flows)
        counts["flows"] += len(out)
        counts["units"] += sum(len(m.rows) for m in out)
        return out

    paginate._measure_compile = counting  # type: ignore[assignment]
    engine = make_engine(url)
    with Session(engine) as s:
        codes = list(s.scalars(select(Student.code).order_by(Student.code)))
        inputs = read_transcripts(s, Actor.system("bench"), codes)
    chosen = [inp for inp in inputs.values() if 2 <= len(inp.years) <= 3]
    digest = hashlib.sha256()
    for inp in chosen:
        doc = plan.build_transcript(inp, year=inp.years[-1].start_year, duplex=duplex)
        digest.update(doc.to_json().encode())
    print(f"{'shaped' if shaped else 'as is '}: {len(chosen)} year transcripts, query CPU {query_seconds():.2f} s, "
          f"{counts['flows']} flows / {counts['units']} units measured, documents {digest.hexdigest()[:16]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--duplex", action="store_true")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--one", choices=("shaped", "as-is"))
    args = ap.parse_args()
    if args.one:
        run(args.url, args.duplex, args.one == "shaped")
        return
    for _ in range(args.rounds):
        for mode in ("as-is", "shaped"):
            cmd = [sys.executable, __file__, args.url, "--one", mode] + (["--duplex"] if args.duplex else [])
            subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
