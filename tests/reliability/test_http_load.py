"""Concurrent mark entry through HTTP on loopback (short; ``bench/bench_load.py --http`` runs it at size)."""

from __future__ import annotations

import os

import pytest

from records.db import make_engine
from tests.conftest import TEST_DB_ENV
from tests.factories import TEST_PASSWORD
from tests.reliability import http_load, load

if os.environ.get(TEST_DB_ENV, "").startswith("postgresql"):
    pytest.skip("runs on its own SQLite files: once, in the SQLite run of the suite", allow_module_level=True)


def test_writers_through_http_lose_no_update(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'http.sqlite'}"
    engine = make_engine(url)
    try:
        school = load.build_school(engine, classes=2, students=6)
        server = http_load.Server(url, threads=6)
        try:
            outcome = http_load.run_writers(server.base, engine, school, writers=5, seconds=6,
                                            password=TEST_PASSWORD)
            found = http_load.check(server.base, engine, school, outcome, TEST_PASSWORD)
        finally:
            server.stop()
    finally:
        engine.dispose()
    assert outcome.crashes == [] and outcome.other_refusals == []
    assert found.ok, found.problems
    assert len(outcome.accepted) >= 2 and found.sheets_saved == 2
    assert outcome.conflicts > 0  # three writers share one sheet: conflicts are reported, not lost
