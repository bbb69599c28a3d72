"""Concurrent entry: writers of the same and of different sheets, on SQLite (WAL) and PostgreSQL.

The short version of ``bench/bench_load.py``: a few writers, a few saves each, no timing asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from records.db import make_engine, run_in_transaction, session_scope
from records.errors import StaleSheetError
from records.services import versions
from tests.conftest import scratch_database
from tests.reliability import load


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_writers_lose_nothing_and_every_conflict_is_reported(kind: str, tmp_path: Path) -> None:
    with scratch_database(kind, tmp_path, "sodientu_load_test") as url:
        engine = make_engine(url, pool_size=10) if kind == "postgresql" else make_engine(url)
        try:
            if kind == "sqlite":
                with engine.connect() as conn:
                    assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            school = load.build_school(engine, classes=2, students=6)
            outcome = load.run_writers(engine, school, writers=12, seconds=60, max_saves=6)
            found = load.check(engine, school, outcome)
        finally:
            engine.dispose()
    assert outcome.crashes == []
    assert found.ok, found.problems
    assert outcome.accepted and outcome.conflicts > 0  # three writers share each sheet
    assert len(outcome.accepted) + outcome.conflicts + len(outcome.other_refusals) == 12 * 6


def test_a_stale_save_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 's.sqlite'}")
    school = load.build_school(engine, classes=1, students=3)
    c = school.classes[0]
    spec = load.SHEETS["marks"]
    e = c.enrolment_ids[0]
    first = run_in_transaction(engine, lambda s: spec.save(s, 0, c, {(e, 1): load.Decimal("7")}, 0))
    assert first.version == 1
    with pytest.raises(StaleSheetError) as refused:
        run_in_transaction(engine, lambda s: spec.save(s, 0, c, {(e, 1): load.Decimal("3")}, 0))
    assert "người khác" in refused.value.message_vi
    with session_scope(engine) as session:
        assert spec.read(session, c, None) == {(e, 1): 7}
        assert versions.version_of(session, spec.sheet(c, None)) == 1
    engine.dispose()


def test_the_check_notices_a_write_lost_behind_the_services(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'l.sqlite'}")
    school = load.build_school(engine, classes=1, students=4)
    outcome = load.run_writers(engine, school, writers=4, seconds=30, max_saves=3, think=0)
    assert load.check(engine, school, outcome).ok
    with session_scope(engine) as session:  # a save "accepted" but gone: the proof must notice
        session.execute(text("DELETE FROM homeroom_comment WHERE id = (SELECT max(id) FROM homeroom_comment)"))
    assert not load.check(engine, school, outcome).ok
    engine.dispose()
