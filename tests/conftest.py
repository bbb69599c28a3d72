"""Shared fixtures: a database per test run (SQLite, or PostgreSQL when configured) and a
session per test inside a transaction that is rolled back at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from records.db import make_engine
from records.models import Base

TEST_DB_ENV = "SODIENTU_TEST_DATABASE_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="regenerate the reviewed reference images of layout tests (do it knowingly)",
    )


def test_database_url(tmp_path_factory: pytest.TempPathFactory | None = None) -> str:
    """The URL of the database the suite runs against."""
    url = os.environ.get(TEST_DB_ENV)
    if url:
        return url
    assert tmp_path_factory is not None
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


test_database_url.__test__ = False  # type: ignore[attr-defined]


def reset_schema(engine: Engine) -> None:
    """Drop every table of ours (and Alembic's) and create the current schema."""
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)


@pytest.fixture(scope="session", autouse=True)
def archive_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One scratch archive store for the run (``SODIENTU_ARCHIVE``): editions published by tests are kept there."""
    folder = tmp_path_factory.mktemp("archive")
    previous = os.environ.get("SODIENTU_ARCHIVE")
    os.environ["SODIENTU_ARCHIVE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("SODIENTU_ARCHIVE", None)
    else:
        os.environ["SODIENTU_ARCHIVE"] = previous
@pytest.fixture(autouse=True)
def _cli_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that act for a user read its password from ``SODIENTU_PASSWORD`` (the factories' one)."""
    from tests.factories import TEST_PASSWORD

    monkeypatch.setenv("SODIENTU_PASSWORD", TEST_PASSWORD)


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The test database engine, with a fresh schema."""
    eng = make_engine(test_database_url(tmp_path_factory))
    reset_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    connection = engine.connect()
    transaction = connection.begin()
    sess = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield sess
    finally:
        sess.close()
        if transaction.is_active:
            transaction.rollback()
        connection.close()


def postgres_server_url() -> str | None:
    """The PostgreSQL server the suite runs against, if it runs against one."""
    from sqlalchemy.engine import make_url

    url = os.environ.get(TEST_DB_ENV)
    return url if url and make_url(url).get_backend_name() == "postgresql" else None


@contextmanager
def scratch_database(kind: str, folder: Path, name: str) -> Iterator[str]:
    """An empty database of its own, for tests that commit (the demo): a SQLite file in ``folder``, or a
    PostgreSQL database ``name`` created on the test server and dropped afterwards (skipped without one)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    if kind == "sqlite":
        yield f"sqlite:///{folder / 'demo.sqlite'}"
        return
    server = postgres_server_url()
    if server is None:
        pytest.skip(f"{TEST_DB_ENV} does not name a PostgreSQL server")
    admin = create_engine(make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    # Its own seal log, as a SQLite file has its own beside it: seals published by other databases of the
    # run (the shared archive's log) are not this database's.
    previous = os.environ.get("SODIENTU_SEAL_LOG")
    os.environ["SODIENTU_SEAL_LOG"] = str(folder / f"{name}-seals.jsonl")
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        if previous is None:
            os.environ.pop("SODIENTU_SEAL_LOG", None)
        else:
            os.environ["SODIENTU_SEAL_LOG"] = previous
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
