"""SIGKILL in the middle of a mark save, a correction, a lock, a signed print, a key rotation, a deposit,
a scan ingest.

A sample of kill points per operation (the first step, the three last — around the commit and the
files written after it — and a few at random); ``bench/bench_crashes.py`` tries hundreds. Each kill
must leave the database exactly as before or exactly as after, the audit chain verifying, and the files
consistent with the database (see ``tests.reliability.crashes``).
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import TEST_DB_ENV
from tests.reliability.crashes import OPERATIONS, Harness, sample

if os.environ.get(TEST_DB_ENV, "").startswith("postgresql"):
    pytest.skip("runs on its own SQLite files: once, in the SQLite run of the suite", allow_module_level=True)

KILL_POINTS = 6
SLOW = {"scan_ingest": 4, "print_mark_book": 5, "print_run_task": 5}  # seconds a kill: fewer points in CI (all in bench/)
REAL = [name for name in OPERATIONS if name != "two_commits"]


@pytest.mark.parametrize("name", REAL)
def test_a_killed_operation_leaves_all_or_nothing(name, tmp_path) -> None:
    harness = Harness(name, tmp_path)
    harness.setup()
    assert harness.steps > 5 and harness.commits  # the operation did work, and committed it
    trials = [harness.trial(k) for k in sample(harness.steps, SLOW.get(name, KILL_POINTS), seed=sum(map(ord, name)))]
    assert [(t.kill_at, t.problems) for t in trials if t.state == "neither" or t.problems] == []
    states = {t.state for t in trials}
    assert states == {"before", "after"}  # the first step kills before anything; the last after the commit


def test_the_harness_finds_an_operation_split_over_two_commits(tmp_path) -> None:
    harness = Harness("two_commits", tmp_path)
    harness.setup()
    assert len(harness.commits) == 2
    trial = harness.trial(harness.commits[0])  # killed right after the first commit
    assert trial.state == "neither" and "database neither as before nor as after" in trial.problems[0]
