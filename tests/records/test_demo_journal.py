"""What the demo build sets for itself and must restore: the SQLite journal mode (``rollback_journal``: the
demo's one transaction committed without the WAL, WAL again after) and the paused garbage collector."""

from __future__ import annotations

import gc
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from records.db import make_engine, session_scope
from records.demo import build
from records.demo.build import DemoConfig, build_demo, rollback_journal
from records.models import Base


def _mode(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])


def _rows(path: Path) -> list[tuple[int]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT n FROM t ORDER BY n").fetchall()


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
    engine.dispose()
    return path


def test_the_block_runs_in_rollback_journal_mode_and_the_file_is_wal_again_after(db_file: Path) -> None:
    engine = make_engine(f"sqlite:///{db_file}")
    assert _mode(db_file) == "wal"
    with rollback_journal(engine), session_scope(engine) as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "delete"
        session.execute(text("INSERT INTO t VALUES (1), (2)"))
    assert _mode(db_file) == "wal"
    assert _rows(db_file) == [(1,), (2,)]
    engine.dispose()


def test_a_failed_block_rolls_back_and_leaves_the_file_wal(db_file: Path) -> None:
    engine = make_engine(f"sqlite:///{db_file}")
    with pytest.raises(RuntimeError), rollback_journal(engine), session_scope(engine) as session:
        session.execute(text("INSERT INTO t VALUES (3)"))
        raise RuntimeError("the build failed")
    assert _mode(db_file) == "wal"
    assert _rows(db_file) == []
    engine.dispose()


def test_a_reader_keeps_the_file_in_wal_and_the_block_still_runs(db_file: Path) -> None:
    engine = make_engine(f"sqlite:///{db_file}")
    reader = sqlite3.connect(db_file, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()  # a read transaction holds the file
    try:
        with rollback_journal(engine), session_scope(engine) as session:
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            session.execute(text("INSERT INTO t VALUES (4)"))
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert _mode(db_file) == "wal"
    assert _rows(db_file) == [(4,)]
    engine.dispose()


def test_other_databases_are_left_alone() -> None:
    engine = make_engine("sqlite://")
    with rollback_journal(engine), engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "memory"
    engine.dispose()


def test_the_garbage_collector_runs_again_after_a_failed_build(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    seen: list[bool] = []

    def failing_year(self: object, start: int) -> None:
        seen.append(gc.isenabled())
        raise RuntimeError("the build failed")

    monkeypatch.setattr(build._Builder, "run_year", failing_year)
    assert gc.isenabled()
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        build_demo(session, DemoConfig(students=8, classes_per_grade=1))
    assert seen == [False]  # paused during the build
    assert gc.isenabled()
    engine.dispose()


def test_an_interrupted_block_is_reported_as_interrupted_when_wal_cannot_be_set_back(
        db_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Ctrl-C inside a statement left its connection holding the lock: setting WAL back failed with
    # "database is locked", and that error replaced the interrupt ("Lỗi ngoài dự kiến" for "Đã hủy.").
    engine = make_engine(f"sqlite:///{db_file}")
    change = build._journal_mode

    def locked_on_the_way_back(engine_: object, old: str, new: str) -> bool:
        if new == "wal":
            raise sqlite3.OperationalError("database is locked")
        return change(engine_, old, new)  # type: ignore[arg-type]

    monkeypatch.setattr(build, "_journal_mode", locked_on_the_way_back)
    with pytest.raises(KeyboardInterrupt), rollback_journal(engine), session_scope(engine) as session:
        session.execute(text("INSERT INTO t VALUES (5)"))
        raise KeyboardInterrupt
    with rollback_journal(engine), session_scope(engine) as session:  # a clean block: no error either
        session.execute(text("INSERT INTO t VALUES (6)"))
    engine.dispose()
    assert _mode(db_file) == "delete"  # left so by the failed restore ...
    again = make_engine(f"sqlite:///{db_file}")
    with again.connect():
        pass
    again.dispose()
    assert _mode(db_file) == "wal"  # ... and WAL again at the next connection
    assert _rows(db_file) == [(6,)]
