"""Typst's layout iterations per compile, and instructions per compile, of dumped book documents.

    .venv/bin/python bench/count_iterations.py /tmp/docs [--extra DIR] [--kinds measure-markbook ...]
                                               [--sample 0] [--templates DIR] [--instructions]

Typst lays a document out again while the introspection results (positions, counters, queries,
states) its layout read are not yet stable, up to 5 times; typst-py exposes no count. This script
counts them with a debugger (``tests/layouts/typst_iterations.py``): a child Python run under ``gdb``
compiles (final documents) or queries (measuring documents, ``measure-<template>.*.json``) each document
as the pipeline does, with counting breakpoints on ``typst::compile::<PagedDocument>`` (one per compile
or query) and ``typst_layout::pages::layout_document`` (one per layout iteration). A document with ``context here().position()`` lays out twice, a plain one once
(``--selftest``).

``--instructions``: instead, each document's compile is run in a process of its own under
``valgrind --tool=callgrind`` with collection toggled on inside ``typst::compile`` only (fonts loading,
Python and the process start are not counted): instructions of that compile, repeatable to ±0.1 %
whatever the machine's load, with the calls of ``layout_document`` (the iterations) from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.layouts.typst_iterations import COMPILE, LAYOUT, layout_iterations, symbols

SELFTEST = {
    "plain": "#set page(width: 5cm, height: auto)\nHello",
    "measure": "#set page(width: 5cm, height: auto)\n#context measure([Hello]).height",
    "here": "#set page(width: 5cm, height: auto)\nHello #context here().position().y",
    "counter": "#set page(width: 5cm, height: auto)\n= A\n#context counter(heading).get()",
    "measured-and-placed": "#let b = layout(_ => [a])\n#b\n#context measure(b).height",
}
SELFTEST_EXPECTED = {"plain": 1, "measure": 1, "here": 2, "counter": 2, "measured-and-placed": 2}


def item(path: Path, templates: Path) -> dict[str, str]:
    """A dumped document as compiled (final) or queried (``measure-<template>``) by the pipeline."""
    template = path.name.split(".")[0]
    out = {"template": str(templates / f"{template.removeprefix('measure-')}.typ"), "doc": path.read_text("utf-8")}
    if template.startswith("measure-"):
        out["query"] = "<measure>"
    return out


def child(list_file: Path, templates: Path) -> None:
    """One document compiled (callgrind's run): as the pipeline compiles or queries it."""
    import bench_floor

    p = Path(list_file.read_text("utf-8").strip())
    bench_floor.run_with(templates, p.name.split(".")[0], p.read_text("utf-8"))


def instructions(item: str, templates: Path) -> tuple[int, int]:
    """(instructions inside typst::compile, layout_document calls) of one document, alone in a process."""
    syms = symbols()
    with tempfile.TemporaryDirectory() as tmp:
        lst, out = Path(tmp, "list"), Path(tmp, "callgrind.out")
        lst.write_text(item, "utf-8")
        env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'bench'}")
        subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}", "--collect-atstart=no",
                        f"--toggle-collect={syms[COMPILE]}", sys.executable, __file__, "--child", str(lst),
                        "--templates", str(templates)], env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        text = out.read_text()
    found = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
    if found is None:
        raise SystemExit(f"no instruction count in callgrind's output for {item}")
    total = int(found.group(1))
    # the layout entry's calls: "cfn=(id) name" then "calls=N ..." lines
    ids = dict(re.findall(r"^c?fn=\((\d+)\) (\S+)", text, re.MULTILINE))
    lid = next((i for i, n in ids.items() if n == syms[LAYOUT]), None)
    calls = 0
    if lid is not None:
        for m in re.finditer(rf"^cfn=\({lid}\)(?: \S+)?\ncalls=(\d+)", text, re.MULTILINE):
            calls += int(m.group(1))
    return total, calls


def sample(folders: list[Path], kinds: list[str] | None, per_kind: int) -> dict[str, list[Path]]:
    by_kind: dict[str, list[Path]] = defaultdict(list)
    for folder in folders:
        for p in sorted(folder.glob("*.json")):
            kind = p.name.split(".")[0]
            if kind == "transcript" and not p.name.startswith("measure-"):
                kind = "transcript (year)" if len(json.loads(p.read_text("utf-8"))["pages"]) <= 4 else "transcript volume"
            if not kinds or any(kind.startswith(k) for k in kinds):
                by_kind[kind].append(p)
    if per_kind:
        return {k: v[:: max(1, len(v) // per_kind)][:per_kind] for k, v in sorted(by_kind.items())}
    return dict(sorted(by_kind.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dumps", type=Path, nargs="*", help="folders of dumped documents (<template>.*.json)")
    parser.add_argument("--extra", type=Path, action="append", default=[])
    parser.add_argument("--kinds", nargs="*", default=None, help="only these kinds (prefixes)")
    parser.add_argument("--sample", type=int, default=0, help="documents per kind (0: all)")
    parser.add_argument("--templates", type=Path, default=ROOT / "layouts" / "templates")
    parser.add_argument("--instructions", action="store_true", help="callgrind instructions per document instead")
    parser.add_argument("--selftest", action="store_true")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.templates)
        return
    if args.selftest:
        got = dict(zip(SELFTEST, layout_iterations([{"source": v} for v in SELFTEST.values()]), strict=True))
        print("self test:", got)
        if got != SELFTEST_EXPECTED:
            raise SystemExit(f"self test failed: expected {SELFTEST_EXPECTED}")
        return
    docs = sample([*args.dumps, *args.extra], args.kinds, args.sample)
    for kind, paths in docs.items():
        if args.instructions:
            for p in paths:
                total, calls = instructions(str(p), args.templates)
                print(f"{kind:<22} {p.name:<60} {total / 1e6:10.1f} M instructions, {calls} iteration(s)")
            continue
        runs = layout_iterations([item(p, args.templates) for p in paths])
        hist = Counter(runs)
        print(f"{kind:<22} {len(paths):4d} documents: iterations " +
              ", ".join(f"{n}: {hist[n]}" for n in sorted(hist)), flush=True)


if __name__ == "__main__":
    main()
