"""Dump the JSON of every book document a database holds, to compare two versions of the code.

    python bench/dump_book_documents.py sqlite:////tmp/demo.sqlite /tmp/docs-new
    PYTHONPATH=/tmp/old-tree python bench/dump_book_documents.py sqlite:////tmp/demo-copy.sqlite /tmp/docs-old
    diff -r /tmp/docs-old /tmp/docs-new

Every class's mark book (term I and whole year), every student's transcript (volume, and the last
year two-sided; the batch read ``read_transcripts`` checked equal to ``read_transcript`` for every
fifth student), every course's register and every correction request's form. It runs on the code
before the loaders moved to ``records/books`` (``layouts.markbook_source``, ``load_*``) and after, so
a refactor of the loaders can be shown to change no document. Run on a demo school
(``sodientu demo --students 60 --classes-per-grade 1 --seed 7 --no-print``, 2026-12-01): 266
documents, identical. A fresh copy of the database for each run (nothing is written, but SQLite may
checkpoint). ``--adversarial`` adds the tests' hostile inputs (the 45-student class on A4 and A3 …)::

    cd /work/main && PYTHONPATH=/work/main /work/main/.venv/bin/python <this script> URL /tmp/docs-old --adversarial
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from layouts.correction import build_correction
from layouts.markbook import PrintOptions, build_markbook
from layouts.register import build_register
from layouts.transcript import build_transcript
from records.db import make_engine
from records.errors import SodientuError
from records.models import Class, CorrectionRequest, Student
from records.permissions import Actor

try:  # the code before the loaders moved (layouts.markbook_source, load_* without an actor)
    import layouts.markbook_source as old_markbook
except ImportError:
    old_markbook = None  # type: ignore[assignment]

READER = Actor.system("so sánh tài liệu in")
PRINTED_ON = dt.date(2026, 6, 1)


def _markbook(s: Session, class_id: int) -> Any:
    if old_markbook is not None:
        return old_markbook.load_markbook_input(s, class_id)
    from records.books.markbook import read_markbook

    return read_markbook(s, READER, class_id)


def _transcripts(s: Session, codes: list[str]) -> tuple[dict[str, Any], Any]:
    if old_markbook is not None:
        from layouts.transcript import load_transcript_input, load_transcript_inputs  # type: ignore[attr-defined]

        return load_transcript_inputs(s, codes), lambda code: load_transcript_input(s, code)
    from records.books.transcript import read_transcript, read_transcripts

    return read_transcripts(s, READER, codes), lambda code: read_transcript(s, READER, code)


def _register(s: Session, course: str) -> Any:
    if old_markbook is not None:
        from layouts.register import load_register_input  # type: ignore[attr-defined]

        return load_register_input(s, course, printed_on=PRINTED_ON)
    from records.books.register import read_register

    return read_register(s, READER, course, printed_on=PRINTED_ON)


def _correction(s: Session, request: CorrectionRequest) -> dict[str, Any]:
    if old_markbook is not None:
        from layouts.correction import correction_data  # type: ignore[attr-defined]

        return correction_data(s, request)
    from records.books.correction import read_correction

    return read_correction(s, READER, request.id).data


def main(url: str, out: Path) -> None:
    """Write ``<kind>-<id>….json`` for every document into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with Session(make_engine(url)) as s:
        for class_id in s.scalars(select(Class.id).order_by(Class.id)):
            inp = _markbook(s, class_id)
            for part in ("term1", "all"):
                (out / f"mb-{class_id}-{part}.json").write_text(build_markbook(inp, PrintOptions(part=part)).to_json())
        codes = list(s.scalars(select(Student.code).order_by(Student.id)))
        many, one = _transcripts(s, codes)
        for i, code in enumerate(codes):
            inp = many[code]
            assert i % 5 or one(code) == inp, code
            if inp.years:
                (out / f"tr-{code}-volume.json").write_text(build_transcript(inp, volume=True).to_json())
                last = inp.years[-1].start_year
                (out / f"tr-{code}-{last}.json").write_text(build_transcript(inp, year=last, duplex=True).to_json())
        for course in sorted({c for c in s.scalars(select(Student.course)) if c}):
            try:
                (out / f"reg-{course}.json").write_text(build_register(_register(s, course)).to_json())
            except SodientuError as exc:  # e.g. a course spanning several schools
                (out / f"reg-{course}.err").write_text(exc.message_en)
        for request in s.scalars(select(CorrectionRequest).order_by(CorrectionRequest.id)):
            (out / f"corr-{request.id}.json").write_text(build_correction(_correction(s, request)).to_json())
    print(f"{'old' if old_markbook is not None else 'new'} code: {len(list(out.iterdir()))} files in {out}")


def adversarial(out: Path) -> None:
    """Write the documents of the tests' hostile inputs (``tests/layouts/adversarial*.py``; run from the
    tree whose tests to use, with it on ``PYTHONPATH``): the 45-student class's mark book on A4 and A3
    (term I and year, one- and two-sided), transcripts (every year, the volume; one- and two-sided; TT22
    and TT26), registers (A3, A4)."""
    from tests.layouts.adversarial import adversarial_markbook_input
    from tests.layouts.adversarial_tr import adversarial_register, adversarial_transcript

    out.mkdir(parents=True, exist_ok=True)
    inp = adversarial_markbook_input(45, seed=11)
    for paper in ("a4", "a3"):
        for part in ("term1", "all"):
            for duplex in (False, True):
                (out / f"adv-mb45-{paper}-{part}-{int(duplex)}.json").write_text(
                    build_markbook(inp, PrintOptions(paper=paper, part=part, duplex=duplex)).to_json())
    for name, tr in (("tt22", adversarial_transcript(comment_repeat=2)),
                     ("tt26", adversarial_transcript(seed=4, comment_repeat=3, regime="tt26", years=3)),
                     ("short", adversarial_transcript(comment_repeat=0))):
        for duplex in (False, True):
            (out / f"adv-tr-{name}-volume-{int(duplex)}.json").write_text(
                build_transcript(tr, volume=True, duplex=duplex).to_json())
            for y in tr.years:
                (out / f"adv-tr-{name}-{y.start_year}-{int(duplex)}.json").write_text(
                    build_transcript(tr, year=y.start_year, duplex=duplex).to_json())
    reg = adversarial_register()
    for paper in ("a3", "a4"):
        (out / f"adv-reg-{paper}.json").write_text(build_register(reg, paper=paper).to_json())
    print(f"adversarial inputs: {len(list(out.glob('adv-*')))} files in {out}")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url", help="database URL (a copy: SQLite may checkpoint)")
    ap.add_argument("out", type=Path, help="folder for the JSON documents")
    ap.add_argument("--adversarial", action="store_true",
                    help="also the tests' hostile inputs (45-student class A4 and A3, long transcripts, registers);"
                         " put the tree whose tests to use on PYTHONPATH")
    args = ap.parse_args()
    main(args.url, args.out)
    if args.adversarial:
        adversarial(args.out)
