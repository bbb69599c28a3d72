"""Backup and restore: SQLite → SQLite and SQLite → PostgreSQL give the same data and a valid audit trail."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from records import audit
from records.db import make_engine, session_scope
from records.demo.build import DemoConfig, build_demo, prepare_database
from records.errors import ConflictError, IntegrityError, PermissionDeniedError, ValidationError
from records.interop.backup import backup, restore
from records.models import AuditEntry, Base, Role, RoleGrant
from records.permissions import Actor
from tests.conftest import scratch_database

pytestmark = pytest.mark.slow
SYSTEM = Actor.system("kiểm thử sao lưu")
SCANNED = b"%PDF-1.7 scanned"
SCANNED_SHA = hashlib.sha256(SCANNED).hexdigest()


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, through the column types, in primary-key order."""
    out = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            out[table.name] = [tuple(row) for row in connection.execute(
                select(table).order_by(*table.primary_key.columns))]
    return out


class _Archive:
    """A stand-in archive plug-in (the archive package provides the real one)."""

    name = "test"

    def __init__(self) -> None:
        self.restored: list[dict[str, Any]] = []
        self.stored: dict[str, bytes] = {}

    def index(self) -> list[dict[str, Any]]:
        return [{"sha256": SCANNED_SHA, "kind": "scan", "pages": 2}]

    def files(self) -> list[tuple[str, bytes]]:
        return [(SCANNED_SHA, SCANNED)]  # the archive is content-addressed: a file is named by its SHA-256

    def restore_index(self, entries: list[dict[str, Any]]) -> None:
        self.restored = entries

    def restore_file(self, name: str, data: bytes) -> None:
        self.stored[name] = data


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, bytes, dict]]:
    """A small demo school in SQLite, its backup, and its content at backup time."""
    folder = tmp_path_factory.mktemp("backup")
    engine = make_engine(f"sqlite:///{folder / 'source.sqlite'}")
    prepare_database(engine)
    with session_scope(engine) as session:
        build_demo(session, DemoConfig(students=48, seed=11, classes_per_grade=1))
    before = _snapshot(engine)
    buffer = io.BytesIO()
    summary = backup(engine, SYSTEM, buffer, public_files=[("trust.json", b'{"keys": []}')], archive=_Archive(),
                     with_files=True)
    assert summary.tables["mark"] == len(before["mark"]) > 0 and summary.archive_files == 1
    yield engine, buffer.getvalue(), before
    engine.dispose()


def _check_restored(url: str, data: bytes, before: dict, key_dir: Path) -> None:
    engine = make_engine(url)
    try:
        sink = _Archive()
        summary = restore(io.BytesIO(data), engine, SYSTEM, key_dir=key_dir, archive=sink)
        assert summary.audit.ok, summary.audit.first_bad
        assert (key_dir / "trust.json").read_bytes() == b'{"keys": []}'
        assert sink.restored == [{"kind": "scan", "pages": 2, "sha256": SCANNED_SHA}] and len(sink.stored) == 1
        after = _snapshot(engine)
        for name, rows in before.items():
            if name == "audit_chain_head":
                continue  # the installation chain moves on: the backup and the restore are traced
            if name == "audit_checkpoint":  # the restore's own entry may be sealed (daily seal) after them
                assert after[name][:len(rows)] == rows
                continue
            if name == "audit_entry":
                assert after[name][:len(rows)] == rows
                action = [c.name for c in AuditEntry.__table__.columns].index("action")
                assert [e[action] for e in after[name][len(rows):]] == ["restore"]
                continue
            assert after[name] == rows, name
        with Session(engine) as session:
            assert audit.verify(session).ok
            last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
            assert last.action == "restore" and last.actor_name == "system"
            # new rows get new ids after the restored ones (PostgreSQL sequences moved on)
            audit.append(session, SYSTEM, "test", "database", "x", None, {"ok": True}, school_id=None)
            session.commit()
        with pytest.raises(ConflictError):
            restore(io.BytesIO(data), engine, SYSTEM)
    finally:
        engine.dispose()


def test_sqlite_to_sqlite(source, tmp_path: Path) -> None:
    _, data, before = source
    _check_restored(f"sqlite:///{tmp_path / 'copy.sqlite'}", data, before, tmp_path / "keys")


def test_sqlite_to_postgresql_and_back(source, tmp_path: Path) -> None:
    _, data, before = source
    with scratch_database("postgresql", tmp_path, "sodientu_restore_test") as url:
        _check_restored(url, data, before, tmp_path / "keys")
        engine = make_engine(url)
        buffer = io.BytesIO()
        backup(engine, SYSTEM, buffer)
        engine.dispose()
    back = make_engine(f"sqlite:///{tmp_path / 'back.sqlite'}")
    summary = restore(io.BytesIO(buffer.getvalue()), back, SYSTEM)
    assert summary.audit.ok
    after = _snapshot(back)
    back.dispose()
    for name, rows in before.items():
        if name in ("audit_entry", "audit_checkpoint"):
            assert after[name][:len(rows)] == rows
        elif name != "audit_chain_head":
            assert after[name] == rows, name


def test_a_tampered_backup_is_refused(source, tmp_path: Path) -> None:
    _, data, _ = source
    original = zipfile.ZipFile(io.BytesIO(data))
    forged = io.BytesIO()
    with zipfile.ZipFile(forged, "w") as out:
        for item in original.infolist():
            content = original.read(item.filename)
            if item.filename == "tables/mark.jsonl":
                content = content.replace(b'{"$d":"5.0"}', b'{"$d":"9.0"}', 1)
            out.writestr(item.filename, content)
    url = f"sqlite:///{tmp_path / 'forged.sqlite'}"
    engine = make_engine(url)
    with pytest.raises(IntegrityError, match="mark.jsonl"):
        restore(io.BytesIO(forged.getvalue()), engine, SYSTEM)
    with pytest.raises(ValidationError):
        restore(io.BytesIO(b"not a zip"), engine, SYSTEM)
    engine.dispose()


def test_only_the_installation_backs_up_and_never_a_private_key(source, tmp_path: Path) -> None:
    engine, _, _ = source
    with Session(engine) as session:
        admin_id = session.scalars(select(RoleGrant.user_id).where(RoleGrant.role == Role.ADMINISTRATOR)).first()
        admin = Actor.load(session, admin_id)
    with pytest.raises(PermissionDeniedError):
        backup(engine, admin, io.BytesIO())
    with pytest.raises(ValidationError, match="private key"):
        backup(engine, SYSTEM, io.BytesIO(), public_files=[("k.key.pem", b"-----BEGIN PRIVATE KEY-----")])
