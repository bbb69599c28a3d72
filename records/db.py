"""Engines, sessions and the schema (created and upgraded with Alembic)."""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.orm import Session, sessionmaker

from records.errors import ConflictError, DatabaseError, SodientuError

log = logging.getLogger(__name__)

DEFAULT_SQLITE_FILE = "sodientu.sqlite"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def default_url() -> str:
    """The database URL: ``SODIENTU_DB`` or a SQLite file in the working folder."""
    return os.environ.get("SODIENTU_DB") or f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}"


def make_engine(url: str | None = None, *, read_only: bool = False, **kwargs: object) -> Engine:
    """Create an engine for any SQLAlchemy URL; SQLite gets foreign keys and WAL.

    ``read_only=True`` (readers running beside writers, e.g. ``layouts.batch``): on SQLite the
    transactions begin DEFERRED (a shared lock while reading, instead of the write lock that
    ``BEGIN IMMEDIATE`` takes for every transaction) and ``PRAGMA query_only`` refuses writes.
    """
    url = url or default_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise SodientuError(
            f"Địa chỉ cơ sở dữ liệu không hợp lệ: {url!r}.", f"invalid database URL {url!r}: {exc}"
        ) from exc
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        engine = create_engine(parsed, **kwargs)  # type: ignore[arg-type]
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise SodientuError(
            f"Không hỗ trợ loại cơ sở dữ liệu trong địa chỉ {parsed.render_as_string(hide_password=True)!r}: "
            "chỉ dùng được SQLite (sqlite:///tệp.sqlite) hoặc PostgreSQL (postgresql://…).",
            f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: {exc!r}"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        if read_only:
            event.listen(engine, "connect", _sqlite_query_only)
            event.listen(engine, "begin", _sqlite_begin_deferred)
        else:
            event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: object, _record: object) -> None:
    # Let SQLAlchemy, not pysqlite, decide where transactions begin, so that SAVEPOINTs work
    # (SQLAlchemy's documented recipe for pysqlite).
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Write-ahead log: readers (printing, verification) never wait for a writer, nor block one.
    # Kept by the file; an in-memory database answers "memory" and stays as it is.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(connection: object) -> None:
    # IMMEDIATE takes the write lock at once: two writers queue instead of failing mid-transaction.
    connection.exec_driver_sql("BEGIN IMMEDIATE")  # type: ignore[attr-defined]


def _sqlite_query_only(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _sqlite_begin_deferred(connection: object) -> None:
    connection.exec_driver_sql("BEGIN")  # type: ignore[attr-defined]


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to the engine (objects stay usable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


T = TypeVar("T")
# PostgreSQL SQLSTATEs worth a retry: serialization failure, deadlock detected, lock not available.
_RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def is_retryable(error: BaseException) -> bool:
    """True for a database error that a new attempt of the same transaction may not meet again."""
    if not isinstance(error, DBAPIError):
        return False
    orig = error.orig
    if getattr(orig, "sqlstate", None) in _RETRY_SQLSTATES:
        return True
    message = str(orig).lower()
    return isinstance(error, OperationalError) and ("database is locked" in message or "database is busy" in message)


def db_error(error: DBAPIError) -> SodientuError:
    """The domain error (Vietnamese for the user, English for the log) of a database error."""
    orig = error.orig
    detail = f"{type(orig).__name__}: {str(orig).strip().splitlines()[0] if str(orig).strip() else ''}"
    if isinstance(error, SAIntegrityError):
        return ConflictError("Dữ liệu vừa lưu trùng hoặc mâu thuẫn với dữ liệu đã có (có thể người khác vừa "
                             "lưu cùng lúc). Vui lòng tải lại rồi thử lại; chưa có gì được lưu.",
                             f"integrity error, transaction rolled back: {detail}")
    if is_retryable(error):
        return DatabaseError("Cơ sở dữ liệu đang bận vì nhiều người cùng lưu. Vui lòng thử lại sau ít giây; "
                             "chưa có gì được lưu.", f"database busy after retries: {detail}")
    if isinstance(error, OperationalError):
        return DatabaseError("Không kết nối hoặc không đọc được cơ sở dữ liệu. Kiểm tra địa chỉ --db và quyền "
                             "truy cập.", f"database error: {detail}")
    return DatabaseError("Cơ sở dữ liệu báo lỗi; thao tác đã được huỷ, chưa có gì được lưu.",
                         f"database error: {detail}")


def run_in_transaction(engine: Engine, work: Callable[[Session], T], *, attempts: int = 4) -> T:
    """Run ``work(session)`` as one unit of work; retry a deadlock, serialization failure or busy
    database (with a short random back-off), and turn every other database error into a domain error.

    ``work`` must be safe to run again from the start (it reads what it compares inside the session).
    Domain errors (a stale sheet, a refusal) are not retried: they go to the caller as they are.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(engine) as session:
                return work(session)
        except DBAPIError as error:
            if attempt < attempts and is_retryable(error):
                log.info("retrying a transaction after %s (attempt %d)", type(error.orig).__name__, attempt)
                time.sleep(random.uniform(0.01, 0.05) * attempt)
                continue
            raise db_error(error) from error
    raise AssertionError("unreachable")


def alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    """An Alembic configuration pointing at our migrations and the given engine."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def is_initialised(engine: Engine) -> bool:
    """True when the schema exists (the school table is there)."""
    return inspect(engine).has_table("school")


def autoflush(session: Session) -> None:
    """Flush pending ORM changes as an ORM query would (unless in ``no_autoflush``), before a Core read on
    ``session.connection()`` that must see them. Cheap when nothing is pending."""
    if session.autoflush:
        session.flush()


def core_rows(session: Session, query: Any) -> Sequence[Any]:
    """The rows of a Core query of table columns on the session's connection (its transaction, pending changes
    flushed), fetched at once: the same values as the ORM attributes (same column types) without the ORM's
    per-row loading and result wrapping (the print's reads: thousands to ~330,000 rows)."""
    autoflush(session)
    return session.connection().execute(query).fetchall()


def _processed(process: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    """``process`` applied to each value (None stays None), once per distinct object (processors are pure)."""
    done: dict[int, tuple[Any, Any]] = {}  # id -> (the object, kept alive; its converted value)
    out: list[Any] = []
    append = out.append
    for value in values:
        if value is None:
            append(None)
            continue
        hit = done.get(id(value))
        if hit is None:
            hit = done[id(value)] = (value, process(value))
        append(hit[1])
    return out


def insert_rows(connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert many rows of already ordered values with the driver's executemany.

    Each value goes through its column type's bind processor, exactly as Core would convert it, but
    without Core's per-row statement machinery (about 3x faster for sheets of hundreds of marks). The
    processors come from SQLAlchemy's public type API (``dialect_impl(dialect).bind_processor(dialect)``,
    what Core itself calls, uncached here: once per column and call). The values are converted
    column by column, each distinct object once (a sheet's entry time, an enum member, a shared date).
    """
    dialect = connection.dialect
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join([placeholder] * len(columns))})")
    params = [tuple(row) for row in rows]
    if any(processors) and params:
        width = len(columns)
        if any(len(row) != width for row in params):
            raise ValueError(f"rows of {table.name} must have {width} values")
        by_column: list[Sequence[Any]] = list(zip(*params, strict=True))
        for i, process in enumerate(processors):
            if process is not None:
                by_column[i] = _processed(process, by_column[i])
        params = list(zip(*by_column, strict=True))
    if params:
        connection.exec_driver_sql(sql, params)  # type: ignore[arg-type]
