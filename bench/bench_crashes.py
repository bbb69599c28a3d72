"""Crash consistency at scale: hundreds of SIGKILL points across the operations that write.

Usage: .venv/bin/python bench/bench_crashes.py [--per-op 150] [--seed 7] [--only NAME ...]

For each operation (mark save, correction applied, lock executed, signed mark book printed, key
rotation, archive deposit) prepares a school once, learns the operation's steps (SQL statements,
commits, file steps) from a clean run, then kills a child process at up to ``--per-op`` of them (every
step when there are fewer). Prints per operation: steps, kill points tried, outcomes (as before / as
after) and inconsistencies (database neither before nor after, audit chain broken, files out of step
with the database) — which must be 0. See ``tests/reliability/crashes.py`` for what is checked.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.crashes import CONTROL, OPERATIONS, Harness, sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-op", type=int, default=150, help="kill points per operation (default 150)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", nargs="*", default=None, help="operation names")
    args = parser.parse_args()
    names = args.only or [n for n in OPERATIONS if n != CONTROL.name]
    total_tried = total_bad = 0
    print(f"{'operation':<18} {'steps':>5} {'tried':>5} {'before':>6} {'after':>5} {'inconsistent':>12} {'s/kill':>6}")
    with tempfile.TemporaryDirectory(prefix="bench-crashes-") as work:
        for name in names:
            harness = Harness(name, Path(work) / name)
            harness.setup()
            points = sample(harness.steps, args.per_op, args.seed)
            started = time.perf_counter()
            trials = [harness.trial(k) for k in points]
            per_kill = (time.perf_counter() - started) / len(points)
            bad = [t for t in trials if t.state == "neither" or t.problems]
            before = sum(t.state == "before" for t in trials)
            after = sum(t.state == "after" for t in trials)
            print(f"{name:<18} {harness.steps:>5} {len(points):>5} {before:>6} {after:>5} {len(bad):>12} "
                  f"{per_kill:>6.2f}", flush=True)
            for t in bad[:5]:
                print(f"    kill at step {t.kill_at}: {t.state}; {t.problems}")
            total_tried += len(points)
            total_bad += len(bad)
    print(f"total: {total_tried} kill points, {total_bad} inconsistent states")
    sys.exit(1 if total_bad else 0)


if __name__ == "__main__":
    main()
