"""Instructions of the bare Typst compile of dumped documents with one template folder, under callgrind.

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \\
        .venv/bin/python bench/instr_floor.py TEMPLATES DOC.json [DOC.json ...] [--warm-only] [--qr-png]

Compiles a warm-up document (the first document's first book, its cover page only, without a QR: fonts
loaded, templates parsed), then (unless ``--warm-only``) each document once, as ``layouts.render``
compiles it (``bench_floor.compile_with``). Run it with and without ``--warm-only`` and subtract: the
instruction count of callgrind is repeatable to ~0.1 % whatever the load (bench/README.md, branch
`tplmark`), where CPU seconds on the shared 2 cores swing by ±10–20 %. ``--qr-png``: the documents' QR
SVGs replaced by PNGs of the same modules (``bench_floor.qr_as_png``: the QR-as-raster experiment of
branch `leaders`, not kept).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_floor import compile_with, qr_as_png


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("templates", type=Path)
    parser.add_argument("docs", type=Path, nargs="+")
    parser.add_argument("--warm-only", action="store_true")
    parser.add_argument("--qr-png", action="store_true")
    args = parser.parse_args()
    first = json.loads(args.docs[0].read_text("utf-8"))
    book = first["docs"][0] if "docs" in first else first
    warm = {"book": book["book"], "pages": [dict(book["pages"][0], qr=None)]}
    compile_with(args.templates, "transcript", json.dumps(warm, ensure_ascii=False))
    if args.warm_only:
        return
    for p in args.docs:
        text = p.read_text("utf-8")
        compile_with(args.templates, p.name.split(".")[0], qr_as_png(text) if args.qr_png else text)


if __name__ == "__main__":
    main()
