"""Which store the archive of a database uses.

In order: a store put on the session (``use_store(session, store)``: tests, tools), the
``SODIENTU_ARCHIVE`` environment variable (a folder, ``file://…`` or ``s3://bucket/prefix?endpoint_url=…``),
else for a SQLite file database the folder ``archive/`` beside it (the embedded default). Any other
database without configuration is an error (a district names its store).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from archive.errors import ArchiveConfigError
from archive.store import Store, open_store

ARCHIVE_ENV = "SODIENTU_ARCHIVE"
SESSION_KEY = "sodientu.archive_store"
_cache: dict[str, Store] = {}
_lock = threading.Lock()


def use_store(session: Session, store: Store) -> None:
    """Make this session's archive use the given store."""
    session.info[SESSION_KEY] = store


def location_for(engine: Engine) -> str | None:
    """The configured location of the archive of a database (None: not configured)."""
    configured = os.environ.get(ARCHIVE_ENV, "").strip()
    if configured:
        return configured
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not url.database.startswith("file:"):
        return str(Path(url.database).resolve().parent / "archive")
    return None


def store_at(location: str) -> Store:
    """The store at a location (one instance per location and process)."""
    with _lock:
        store = _cache.get(location)
        if store is None:
            store = _cache[location] = open_store(location)
        return store


def store_for(session: Session) -> Store:
    """The store of this session's archive (see the module docstring)."""
    store = session.info.get(SESSION_KEY)
    if store is not None:
        return store  # type: ignore[no-any-return]
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    location = location_for(engine)
    if location is None:
        raise ArchiveConfigError(
            f"Chưa cấu hình kho lưu trữ: đặt biến môi trường {ARCHIVE_ENV} (thư mục hoặc s3://…).",
            f"no archive store configured for {engine.url.render_as_string(hide_password=True)}")
    return store_at(location)
