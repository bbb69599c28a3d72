"""Hostile input at scale: the properties of ``tests/reliability/hostile.py`` on many generated inputs.

Usage: .venv/bin/python bench/bench_fuzz.py [--examples 20000]

Prints, per parser, the number of inputs tried, how many were refused with our error, and the time;
exits 1 on the first property that fails (hypothesis prints the shrunk input).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, settings
from hypothesis.strategies import SearchStrategy

from tests.reliability import hostile

PARSERS: dict[str, tuple[SearchStrategy[Any], Callable[[Any], None]]] = {
    "mark (records.rules.parse_mark)": (hostile.mark_texts, hostile.check_mark),
    "comment grade (records.rules.parse_comment)": (hostile.comment_texts, hostile.check_comment),
    "base45 (signing.base45.b45decode)": (hostile.base45_texts, hostile.check_base45),
    "QR payload (signing.payload.decode/verify)": (hostile.payload_texts, hostile.check_payload),
    "changed signed payload (verify_payload)": (hostile.mutations, hostile.check_mutation),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20000)
    args = parser.parse_args()
    for name, (strategy, check) in PARSERS.items():
        started = time.perf_counter()
        tried = _fuzz(strategy, check, args.examples)
        print(f"{name:45} inputs={tried:7d} failures=0 seconds={time.perf_counter() - started:.1f}")


def _fuzz(strategy: SearchStrategy[Any], check: Callable[[Any], None], examples: int) -> int:
    """Run ``check`` on up to ``examples`` generated inputs; the number tried (raises on a failure)."""
    tried = 0

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(value: Any) -> None:
        nonlocal tried
        tried += 1
        check(value)

    run()
    return tried


if __name__ == "__main__":
    main()
