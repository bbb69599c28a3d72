"""The print-time trail check's snapshot, kept between processes: a book checks from it, not from entry 1.

``records.services.trail`` replays a school's whole audit chain to learn the last traced value of every
mark, comment, absence and result; a single ``sodientu print`` (a new process) paid that replay for
its first book (6.6 s on the demo school). After a full replay, the replayed state is written here,
one signed row per enrolment, and the next process checks a book from it: it loads the rows of the
book's enrolments and replays only the entries appended since.

What the snapshot may be trusted for, and how each thing is checked when it is read:

* **who wrote it** — every row and the header are signed (Ed25519, domain-separated) by the key
  printing the book, the school's signing key: whoever can edit the file or the database but does not
  hold that key cannot make the snapshot agree with a forged mark. A row or header whose signature
  fails, whose fields disagree with where it is stored, or that is missing while the header lists its
  enrolment makes the snapshot unusable: the check falls back to the full replay (logged), which is
  always sound. Rows of another key are not used.
* **which chain it continues** — the header names the chain position it was taken at (sequence number
  and entry hash) and the last checkpoint at or before it. The snapshot is used only when the entry at
  that position still has that hash and that checkpoint is still in the database with the same hash:
  a chain truncated, rewritten and re-hashed, or whose checkpoints were deleted falls back to the full
  replay (and ``audit verify`` with the published seals reports it).
* **what was verified** — only a replay in which every entry's hash verified is written.

The stored rows of the book are always read from the database at print time and compared with the
snapshot plus the later entries, so a value changed with SQL after the snapshot was taken is named
exactly as before. What the snapshot does not repeat at each print is the hash check of entries older
than it (they were checked when it was taken; ``audit verify`` checks all of them).

The file is SQLite: ``SODIENTU_TRAIL_CACHE`` (a path, or ``off``), else beside a SQLite database file,
else under the user's cache folder. It holds no secret and may be deleted at any time (the next print
replays the chain and writes it again).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.models import AuditCheckpoint, AuditEntry

log = logging.getLogger(__name__)

CACHE_ENV = "SODIENTU_TRAIL_CACHE"
CACHE_NAME = "sodientu-trail-cache.sqlite"
FORMAT = 1
_CHUNK = 500


class SnapshotSigner(Protocol):
    """Signs and checks snapshot rows with one key (``signing.keys.TrailCacheSigner``)."""

    key_id: str

    def sign(self, data: bytes) -> bytes:
        """The signature of ``data``."""

    def verify(self, data: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's over ``data``."""


def cache_path(session: Session) -> Path | None:
    """Where the snapshot file is (None: no snapshot kept)."""
    configured = os.environ.get(CACHE_ENV, "")
    if configured.lower() == "off":
        return None
    if configured:
        return Path(configured)
    url = session.get_bind().engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        return Path(url.database).resolve().parent / CACHE_NAME
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sodientu"
    return base / f"trail-{hashlib.sha256(db_name(session).encode()).hexdigest()[:16]}.sqlite"


def db_name(session: Session) -> str:
    """The database a snapshot belongs to (its URL without password)."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE IF NOT EXISTS header (db TEXT, chain INTEGER, key_id TEXT, payload BLOB, "
                       "signature BLOB, PRIMARY KEY (db, chain, key_id))")
    connection.execute("CREATE TABLE IF NOT EXISTS state (db TEXT, chain INTEGER, key_id TEXT, enrolment INTEGER, "
                       "payload BLOB, signature BLOB, PRIMARY KEY (db, chain, key_id, enrolment))")
    return connection


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(value: Any) -> bytes:
    """The signed bytes are the stored bytes: no canonical order is needed, only one encoding."""
    return _ENCODER.encode(value).encode()


def _encode_values(values: dict[tuple[Any, ...], Any]) -> list[list[Any]]:
    # tuples as they are: the encoder writes a tuple as a list (the same text as converting each one)
    return [[key, "t" if isinstance(value, tuple) else "v", value] for key, value in values.items()]


def _decode_values(pairs: list[list[Any]]) -> dict[tuple[Any, ...], Any]:
    return {tuple(key): tuple(value) if tag == "t" else value for key, tag, value in pairs}


def _checkpoint_before(session: Session, chain: int, seq: int) -> tuple[int, str] | None:
    row = session.execute(select(AuditCheckpoint.seq, AuditCheckpoint.hash)
                          .where(AuditCheckpoint.chain == chain, AuditCheckpoint.seq <= seq)
                          .order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
    return None if row is None else (int(row[0]), str(row[1]))


def save(session: Session, signer: SnapshotSigner, chain: int, seq: int, hash_: str, entries: int,
         values: dict[int, dict[tuple[Any, ...], Any]]) -> bool:
    """Write the snapshot of a fully replayed, hash-verified chain; False when no file is kept or on error."""
    path = cache_path(session)
    if path is None or not seq:
        return False
    db = db_name(session)
    checkpoint = _checkpoint_before(session, chain, seq)
    header = _dumps({"format": FORMAT, "db": db, "chain": chain, "key_id": signer.key_id, "seq": seq,
                     "hash": hash_, "entries": entries, "checkpoint": checkpoint, "enrolments": sorted(values)})
    rows = []
    for enrolment, state in values.items():
        payload = _dumps({"db": db, "chain": chain, "key_id": signer.key_id, "seq": seq, "hash": hash_,
                          "enrolment": enrolment, "values": _encode_values(state)})
        rows.append((db, chain, signer.key_id, enrolment, payload, signer.sign(payload)))
    try:
        with _connect(path) as connection:
            connection.execute("DELETE FROM state WHERE db = ? AND chain = ? AND key_id = ?", (db, chain, signer.key_id))
            connection.executemany("INSERT INTO state VALUES (?, ?, ?, ?, ?, ?)", rows)
            connection.execute("INSERT OR REPLACE INTO header VALUES (?, ?, ?, ?, ?)",
                               (db, chain, signer.key_id, header, signer.sign(header)))
        connection.close()
    except (OSError, sqlite3.Error) as exc:  # a cache: the print goes on without it
        log.warning("cannot write the trail snapshot %s: %r", path, exc)
        return False
    return True


class Snapshot:
    """A usable snapshot: the chain position it was taken at and the states of the enrolments asked for."""

    def __init__(self, seq: int, hash_: str, entries: int, values: dict[int, dict[tuple[Any, ...], Any]]) -> None:
        self.seq, self.hash, self.entries, self.values = seq, hash_, entries, values


def load(session: Session, signer: SnapshotSigner, chain: int, enrolments: Sequence[int]) -> Snapshot | None:
    """The snapshot's states of these enrolments, or None when there is none or it cannot be trusted."""
    path = cache_path(session)
    if path is None or not path.exists():
        return None
    db = db_name(session)
    try:
        connection = _connect(path)
        try:
            found = connection.execute("SELECT payload, signature FROM header WHERE db = ? AND chain = ? AND key_id = ?",
                                       (db, chain, signer.key_id)).fetchone()
            if found is None:
                return None
            header = _trusted(signer, *found)
            rows: dict[int, tuple[bytes, bytes]] = {}
            for chunk in _chunks(enrolments):
                marks = ",".join("?" * len(chunk))
                for enrolment, payload, signature in connection.execute(
                        f"SELECT enrolment, payload, signature FROM state WHERE db = ? AND chain = ? AND key_id = ? "
                        f"AND enrolment IN ({marks})", (db, chain, signer.key_id, *chunk)):
                    rows[int(enrolment)] = (payload, signature)
        finally:
            connection.close()
    except (OSError, sqlite3.Error, _Untrusted) as exc:
        log.warning("trail snapshot %s not used: %s", path, exc)
        return None
    try:
        return _usable(session, signer, db, chain, header, rows, enrolments)
    except (_Untrusted, KeyError, TypeError, ValueError) as exc:
        log.warning("trail snapshot %s not used for chain %s: %s", path, chain, exc)
        return None


class _Untrusted(Exception):
    """The snapshot cannot be used (the reason is logged; the full replay is done instead)."""


def _trusted(signer: SnapshotSigner, payload: bytes, signature: bytes) -> dict[str, Any]:
    if not signer.verify(bytes(payload), bytes(signature)):
        raise _Untrusted("a signature does not verify")
    try:
        obj = json.loads(bytes(payload))
    except ValueError:
        raise _Untrusted("unreadable payload") from None
    if not isinstance(obj, dict):
        raise _Untrusted("unreadable payload")
    return obj


def _usable(session: Session, signer: SnapshotSigner, db: str, chain: int, header: dict[str, Any],
            rows: dict[int, tuple[bytes, bytes]], enrolments: Sequence[int]) -> Snapshot:
    expected = {"format": FORMAT, "db": db, "chain": chain, "key_id": signer.key_id}
    if any(header.get(k) != v for k, v in expected.items()):
        raise _Untrusted("header of another database, chain or key")
    seq, hash_ = int(header["seq"]), str(header["hash"])
    if session.scalar(select(AuditEntry.hash).where(AuditEntry.chain == chain, AuditEntry.seq == seq)) != hash_:
        raise _Untrusted(f"entry {seq} is no longer the one the snapshot continues (chain truncated or rewritten)")
    checkpoint = header.get("checkpoint")
    if checkpoint is not None and _checkpoint_at(session, chain, int(checkpoint[0])) != str(checkpoint[1]):
        raise _Untrusted(f"checkpoint at {checkpoint[0]} is gone or changed")
    listed = set(header["enrolments"])
    values: dict[int, dict[tuple[Any, ...], Any]] = {}
    for enrolment in enrolments:
        if enrolment not in listed:
            if enrolment in rows:
                raise _Untrusted(f"row of enrolment {enrolment} not listed in the header")
            continue  # no traced value before the snapshot
        if enrolment not in rows:
            raise _Untrusted(f"row of enrolment {enrolment} is missing")
        obj = _trusted(signer, *rows[enrolment])
        if (obj.get("db"), obj.get("chain"), obj.get("key_id"), obj.get("seq"), obj.get("hash"),
                obj.get("enrolment")) != (db, chain, signer.key_id, seq, hash_, enrolment):
            raise _Untrusted(f"row of enrolment {enrolment} belongs elsewhere")
        values[enrolment] = _decode_values(obj["values"])
    return Snapshot(seq, hash_, int(header["entries"]), values)


def _checkpoint_at(session: Session, chain: int, seq: int) -> str | None:
    found = session.scalars(select(AuditCheckpoint.hash).where(AuditCheckpoint.chain == chain,
                                                               AuditCheckpoint.seq == seq)).first()
    return None if found is None else str(found)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i:i + _CHUNK]
