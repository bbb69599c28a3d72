"""Benchmark of ``sodientu demo`` end to end (fresh database, data built, every book printed), A/B.

Usage: .venv/bin/python bench/bench_demo_e2e.py [--tree A=/path/to/tree] [--tree B=/other/tree] [--pairs 2]
                                                [--students 600] [--work /tmp/demo-e2e] [--keep]

Each run is ``sodientu demo --db sqlite:///<run>/demo.sqlite --out <run>/out --quiet`` in a fresh process of the
tree's code (``PYTHONPATH=<tree>``, this interpreter), in a folder of its own (a new database file, its own key
folder and ``SODIENTU_SEAL_LOG``). The trees run interleaved (A B, B A, A B, ...). Printed per run: the command's
own phases (data, key, print, seal, total; wall seconds), the CPU seconds of the process and its workers (user +
sys of the children), the print report's figures (the workers' CPU, the parent's trail check, when the verdict was
written and how long the workers waited for it) and the load average at the start and the end; then the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: Run inside the child: the demo command, with the print report's figures written to a side file.
CHILD = r"""
import json, os, sys
from web.cli import main
import web.commands.demo as demo
report_file = os.environ["DEMO_E2E_REPORT"]
original = demo.print_books
def print_books(*args, **kwargs):
    report = original(*args, **kwargs)
    steps = {}
    for f in report.files:
        for name, value in f.timings:
            steps[name] = steps.get(name, 0.0) + value
    with open(report_file, "w") as fh:
        json.dump({"wall": report.wall, "worker_cpu": report.worker_cpu, "check_cpu": report.check_cpu,
                   "verdict_at": getattr(report, "verdict_at", 0.0), "verdict_wait": getattr(report, "verdict_wait", 0.0),
                   "files": len(report.files), "pages": report.pages, "steps": steps}, fh)
    return report
demo.print_books = print_books
sys.argv = ["sodientu", *sys.argv[1:]]
main()
"""

PHASES = {"dựng dữ liệu": "data", "tạo khóa": "key", "in sổ": "print", "niêm phong": "seal"}


def load() -> float:
    return os.getloadavg()[0]


def one_run(label: str, tree: Path, work: Path, students: int, n: int) -> dict[str, object]:
    folder = work / f"{label}-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(tree), "SODIENTU_SEAL_LOG": str(folder / "seal.jsonl"),
           "DEMO_E2E_REPORT": str(folder / "report.json")}
    cmd = [sys.executable, "-c", CHILD, "demo", "--db", f"sqlite:///{folder / 'demo.sqlite'}", "--out",
           str(folder / "out"), "--students", str(students), "--quiet"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0, started = load(), time.perf_counter()
    done = subprocess.run(cmd, check=False, env=env, cwd=folder, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
        raise SystemExit(f"{label} run {n} failed")
    match = re.search(r"Thời gian: (.*); tổng ([\d.]+) giây", done.stdout)
    phases: dict[str, float] = {}
    if match:
        for part in match.group(1).split(", "):
            name, value = part.rsplit(" ", 1)
            phases[PHASES.get(name, name)] = float(value)
        phases["total"] = float(match.group(2))
    report = json.loads((folder / "report.json").read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"label": label, "n": n, "wall": wall, "cpu": cpu, "load0": load0, "load1": load(), "phases": phases,
            "report": report, "folder": str(folder)}


def show(r: dict[str, object]) -> None:
    p, rep = r["phases"], r["report"]
    assert isinstance(p, dict) and isinstance(rep, dict)
    steps = rep["steps"]
    print(f"{r['label']} #{r['n']}: total {p.get('total', 0):6.1f} s (data {p.get('data', 0):5.1f}, key "
          f"{p.get('key', 0):4.1f}, print {p.get('print', 0):5.1f}, seal {p.get('seal', 0):4.1f}); CPU {r['cpu']:6.1f} s "
          f"| batch wall {rep['wall']:5.1f}, workers CPU {rep['worker_cpu']:6.1f}, parent check {rep['check_cpu']:4.1f}, "
          f"verdict at {rep['verdict_at']:4.1f} s, waited {rep['verdict_wait']:4.1f} s | load {r['load0']:.1f} -> "
          f"{r['load1']:.1f}", flush=True)
    print("    steps (CPU s): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(steps.items())), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", default=[], help="LABEL=PATH (default: this tree as 'this')")
    parser.add_argument("--pairs", type=int, default=2, help="rounds over the trees (each round alternates order)")
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--work", type=Path, default=Path("/tmp/demo-e2e"))
    parser.add_argument("--keep", action="store_true", help="keep each run's folder (database, books)")
    args = parser.parse_args()
    trees = [tuple(t.split("=", 1)) for t in args.tree] or [("this", str(Path(__file__).resolve().parents[1]))]
    results: list[dict[str, object]] = []
    for n in range(args.pairs):
        order = trees if n % 2 == 0 else trees[::-1]
        for label, tree in order:
            r = one_run(label, Path(tree), args.work, args.students, n)
            show(r)
            results.append(r)
            if not args.keep:
                shutil.rmtree(str(r["folder"]), ignore_errors=True)
    print("\nmedians:")
    for label, _tree in trees:
        mine = [r for r in results if r["label"] == label]

        def med(get, runs=mine):  # type: ignore[no-untyped-def]
            return statistics.median(get(r) for r in runs)

        print(f"  {label}: total {med(lambda r: r['phases']['total']):.1f} s, data {med(lambda r: r['phases']['data']):.1f}, "
              f"print {med(lambda r: r['phases']['print']):.1f}, CPU {med(lambda r: r['cpu']):.1f} s, "
              f"workers CPU {med(lambda r: r['report']['worker_cpu']):.1f}, parent check "
              f"{med(lambda r: r['report']['check_cpu']):.1f}, verdict at {med(lambda r: r['report']['verdict_at']):.1f} s, "
              f"waited {med(lambda r: r['report']['verdict_wait']):.1f} s ({len(mine)} runs)")


if __name__ == "__main__":
    main()
