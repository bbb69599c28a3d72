"""The trace (lưu vết): an append-only, hash-chained audit log, sealed by signed checkpoints.

Each school has its own chain (entries without a school go to the installation chain 0). An entry's
``hash`` is sha256 over the canonical JSON (sorted keys, no spaces, UTF-8) of::

    {"v": 1, "chain", "seq", "at", "school_id", "actor_id", "actor", "action", "entity",
     "entity_id", "before", "after", "reason", "request_id", "prev"}

where ``before``/``after`` are the canonical JSON texts stored in the row and ``prev`` is the hash of
the previous entry of the chain (64 zeros for the first). ``audit_chain_head`` keeps the last
(seq, hash) of each chain; writers lock it (PostgreSQL: ``pg_advisory_xact_lock`` on the chain, held
to commit; SQLite: ``BEGIN IMMEDIATE`` already serialises writers), so two sessions never fork a
chain. A checkpoint signs (chain, seq, hash, at) with the school key through a ``signer`` callable
given by the signing layer (records imports nothing of ours above it).

``verify`` walks every chain and names the first bad entry: edited (hash mismatch), deleted (a gap in
``seq`` or a tail shorter than the head), reordered or swapped (``prev`` mismatch), or contradicting a
checkpoint.

Seals that a database edit cannot roll back unseen (docs/GOVERNANCE.md §seals): every chain is sealed
automatically at each executed lock, each recorded edition, and at the first write of each new day
(the previous day's head). After the transaction commits, each seal is appended to the **seal log**
outside the database (``seal_log_path``: ``SODIENTU_SEAL_LOG``, else ``archive/audit-seals.jsonl`` beside a
SQLite database file, else ``$SODIENTU_ARCHIVE/audit-seals.jsonl`` for a local archive folder), one JSON line per seal, never
rewritten; an archive in an object store keeps them as objects of their own (``add_seal_publisher``: ``archive.seals``). ``verify(..., published=…)`` takes the last published seal of each chain (from that log, from
the file ``sodientu audit seal`` writes for the principal, or a sequence number) and fails when the chain
is shorter than the seal, its entry at the seal differs, or the seal is missing from the database.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from json.encoder import c_make_encoder, encode_basestring, encode_basestring_ascii  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, event, func, insert, select, text, update
from sqlalchemy.orm import Session

from records.db import autoflush, insert_rows
from records.errors import IntegrityError
from records.models import (
    INSTALLATION_CHAIN,
    AuditChainHead,
    AuditCheckpoint,
    AuditEntry,
    School,
    utcnow,
)
from records.permissions import Action, Actor, Scope, require

log = logging.getLogger(__name__)

GENESIS = "0" * 64
SEAL_LOG_ENV = "SODIENTU_SEAL_LOG"
ARCHIVE_ENV = "SODIENTU_ARCHIVE"
SEAL_LOG_NAME = "audit-seals.jsonl"
SEAL_TYPE = "sodientu-audit-seal"
FORMAT_VERSION = 1
_PG_LOCK_NAMESPACE = 0x50D1  # first key of pg_advisory_xact_lock(int, int); the chain is the second

Signer = Callable[[bytes], tuple[str, bytes]]  # payload -> (key_id, signature)
Verifier = Callable[[bytes, str, bytes], bool]  # payload, key_id, signature -> valid?


class AuditRecord(NamedTuple):
    """One entry to append (the bulk path, ``append_many``); a named tuple: a sheet makes hundreds."""

    action: str
    entity: str
    entity_id: int | str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    school_id: int | None
    reason: str | None = None
    request_id: int | None = None


@dataclass(frozen=True)
class AuditProblem:
    """A place where the log does not verify."""

    chain: int
    entry_id: int | None  # the first bad entry (None: an entry is missing at the end of the chain)
    seq: int | None
    reason: str  # English, for logs
    reason_vi: str  # Vietnamese, for the user


@dataclass(frozen=True)
class AuditReport:
    """Result of ``verify``: ``ok``, how much was checked, and the problems, first bad one first."""

    entries: int
    chains: int
    checkpoints: int
    signatures_checked: int
    problems: tuple[AuditProblem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when every chain verifies."""
        return not self.problems

    @property
    def first_bad(self) -> AuditProblem | None:
        """The first problem found (lowest chain, lowest seq)."""
        return self.problems[0] if self.problems else None


# --- canonical form ---------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (bytes, bytearray)):
        return hashlib.sha256(value).hexdigest()  # never trace raw bytes (photos): their digest
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot trace a {type(value).__name__}")


_STATE_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable)
_ENVELOPE_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
# The hashed fields, in this order (the canonical JSON array of an entry, ``prev`` last).
HASHED_FIELDS = ("chain", "seq", "at", "school_id", "actor_id", "actor_name", "action", "entity", "entity_id",
                 "before", "after", "reason", "request_id", "prev_hash")


def _one_shot(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """``encoder.encode`` with the C encoder made once, not at each call (the trail encodes ~2 texts a row).

    The same text as ``encoder.encode`` for the acyclic values traced here (no circular-reference check).
    """
    if c_make_encoder is None or encoder.indent is not None:  # pragma: no cover - CPython has the C encoder
        return encoder.encode
    make = c_make_encoder(None, encoder.default, encode_basestring_ascii if encoder.ensure_ascii else encode_basestring,
                          None, encoder.key_separator, encoder.item_separator, encoder.sort_keys, encoder.skipkeys,
                          encoder.allow_nan)
    join = "".join

    def encode(value: Any) -> str:
        return join(make(value, 0))

    return encode


_encode_state = _one_shot(_STATE_ENCODER)
_encode_envelope = _one_shot(_ENVELOPE_ENCODER)


def canonical_json(value: Any) -> str:
    """The canonical JSON text of a value (sorted keys, compact, UTF-8 kept, Decimals as strings)."""
    return _STATE_ENCODER.encode(value)


def _state_text(state: dict[str, Any] | None) -> str | None:
    return None if state is None else _STATE_ENCODER.encode(state)


def _at_text(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def entry_hash(row: dict[str, Any] | AuditEntry, at_text: str | None = None) -> str:
    """sha256 hex over ``[v, chain, seq, at, …, prev_hash]`` as canonical JSON (see HASHED_FIELDS)."""
    get = row.__getitem__ if isinstance(row, dict) else row.__getattribute__
    values: list[Any] = [FORMAT_VERSION]
    for name in HASHED_FIELDS:
        values.append(at_text or _at_text(get("at")) if name == "at" else get(name))
    return hashlib.sha256(_ENVELOPE_ENCODER.encode(values).encode()).hexdigest()


# --- the chain head ---------------------------------------------------------------------------


def chain_of(school_id: int | None) -> int:
    """The chain an entry of this school goes to."""
    return INSTALLATION_CHAIN if school_id is None else school_id


def lock_chain(session: Session, chain: int) -> None:
    """Take the chain's write lock, held to commit (PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` holds it).

    Writers that take other locks (sheet versions) take this one first: one order, no deadlock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:ns, :chain)"),
                        {"ns": _PG_LOCK_NAMESPACE, "chain": chain})


def _lock_head(session: Session, chain: int, *, daily_seal: bool = False) -> tuple[int, str]:
    """Take the chain's write lock (held to commit) and return its (last seq, last hash).

    ``daily_seal``: a writer about to append; when the head was last moved on an earlier (UTC) day,
    that day's end is sealed first (at least one seal a day for every day with writes).
    """
    lock_chain(session, chain)
    # Core on the connection (the head is written only by Core statements): no ORM statement machinery
    autoflush(session)
    row = session.connection().execute(_HEAD_SELECT, {"head_chain": chain}).first()
    if row is None:
        return 0, GENESIS
    seq, last_hash = int(row.seq), str(row.hash)
    if daily_seal and row.updated_at is not None and _utc_day(row.updated_at) < _utc_day(utcnow()):
        _seal_head(session, chain, seq, last_hash, signer=None, sealed_by="system", reason="daily")
    return seq, last_hash


def _utc_day(value: dt.datetime) -> dt.date:
    return (value if value.tzinfo is None else value.astimezone(dt.UTC)).date()


def _store_head(session: Session, chain: int, seq: int, last_hash: str, existed: bool) -> None:
    # Core on the connection, not an ORM-enabled statement: no session synchronisation (~1 ms a call);
    # statements built once (their compiled form and cache key are reused).
    values = {"head_chain": chain, "head_seq": seq, "head_hash": last_hash, "head_at": utcnow()}
    session.connection().execute(_HEAD_UPDATE if existed else _HEAD_INSERT, values)


_CHECKPOINTS = cast(Table, AuditCheckpoint.__table__)
_SEALED = select(func.max(_CHECKPOINTS.c.seq)).where(_CHECKPOINTS.c.chain == bindparam("sealed_chain"))
_HEAD = cast(Table, AuditChainHead.__table__)
_HEAD_SELECT = select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.updated_at).where(_HEAD.c.chain == bindparam("head_chain"))
_HEAD_UPDATE = (update(_HEAD).where(_HEAD.c.chain == bindparam("head_chain"))
                .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"), updated_at=bindparam("head_at")))
_HEAD_INSERT = insert(_HEAD).values(chain=bindparam("head_chain"), seq=bindparam("head_seq"),
                                    hash=bindparam("head_hash"), updated_at=bindparam("head_at"))


# --- appending --------------------------------------------------------------------------------


def _stamped(actor: Actor, after: dict[str, Any] | None) -> dict[str, Any] | None:
    """The state after a change, naming the authenticated session that made it (``auth_session``)."""
    if actor.session_id is None or after is None:
        return after
    return {**after, "auth_session": actor.session_id}


def _row(chain: int, seq: int, at: dt.datetime, actor: Actor, record: AuditRecord, prev: str) -> dict[str, Any]:
    return {"chain": chain, "seq": seq, "school_id": record.school_id, "at": at, "actor_id": actor.user_id,
            "actor_name": actor.username, "action": record.action, "entity": record.entity,
            "entity_id": str(record.entity_id), "before": _state_text(record.before),
            "after": _state_text(_stamped(actor, record.after)), "reason": record.reason, "request_id": record.request_id,
            "prev_hash": prev}


def append(session: Session, actor: Actor, action: str, entity: str, entity_id: int | str,
           before: dict[str, Any] | None, after: dict[str, Any] | None, *, school_id: int | None,
           reason: str | None = None, request_id: int | None = None) -> AuditEntry:
    """Append one entry to the school's chain, in the caller's transaction."""
    chain = chain_of(school_id)
    seq, prev = _lock_head(session, chain, daily_seal=True)
    record = AuditRecord(action, entity, entity_id, before, after, school_id, reason, request_id)
    row = _row(chain, seq + 1, utcnow(), actor, record, prev)
    row["hash"] = entry_hash(row)
    entry = AuditEntry(**row)
    session.add(entry)
    session.flush()
    _store_head(session, chain, seq + 1, row["hash"], existed=seq > 0)
    return entry


def append_many(session: Session, actor: Actor, entries: list[AuditRecord]) -> None:
    """Append many entries at once (a saved mark column, an import): one lock, one bulk insert per chain."""
    append_groups(session, [(actor, entries)])


def append_groups(session: Session, groups: Sequence[tuple[Actor, list[AuditRecord]]]) -> None:
    """Append the entries of several writers at once (the sheets of a class saved together), in the order given.

    The chain gets the same entries, in the same order, as ``append_many`` called for each group in turn
    (one time stamp for all): one lock, one head read and update, one bulk insert per chain.
    """
    by_chain: dict[int, list[tuple[Actor, list[AuditRecord]]]] = {}
    for actor, records in groups:
        for record in records:
            chain_groups = by_chain.setdefault(chain_of(record.school_id), [])
            if not chain_groups or chain_groups[-1][0] is not actor:
                chain_groups.append((actor, []))
            chain_groups[-1][1].append(record)
    if not by_chain:
        return
    now = utcnow()
    at_text = _at_text(now)
    connection = session.connection()
    encode_state = _encode_state
    encode_envelope = _encode_envelope
    sha256 = hashlib.sha256
    for chain in sorted(by_chain):  # a fixed order: two bulk writers never wait on each other in a cycle
        seq, prev = _lock_head(session, chain, daily_seal=True)
        existed = seq > 0
        rows = []
        for actor, records in by_chain[chain]:
            session_id = actor.session_id
            user_id, username = actor.user_id, actor.username
            for action, entity, entity_id, before_state, after_state, school_id, reason, request_id in records:
                seq += 1
                before = None if before_state is None else encode_state(before_state)
                if after_state is None:
                    after = None
                else:
                    after = encode_state(after_state if session_id is None
                                         else {**after_state, "auth_session": session_id})
                entity_id = str(entity_id)
                digest = sha256(encode_envelope([FORMAT_VERSION, chain, seq, at_text, school_id, user_id, username,
                                                 action, entity, entity_id, before, after, reason, request_id, prev]
                                                ).encode()).hexdigest()
                rows.append((chain, seq, now, school_id, user_id, username, action, entity, entity_id, before, after,
                             reason, request_id, prev, digest))
                prev = digest
        insert_rows(connection, AuditEntry.__table__, _INSERT_COLUMNS, rows)  # type: ignore[arg-type]
        _store_head(session, chain, seq, prev, existed)


_INSERT_COLUMNS = (*HASHED_FIELDS, "hash")


# --- reading ----------------------------------------------------------------------------------


def entries(session: Session, *, school_id: int | None = None, entity: str | None = None,
            entity_id: int | str | None = None, request_id: int | None = None) -> list[AuditEntry]:
    """Entries of a school (or all), optionally of one entity or correction request, in chain order."""
    query = select(AuditEntry).order_by(AuditEntry.chain, AuditEntry.seq)
    if school_id is not None:
        query = query.where(AuditEntry.chain == chain_of(school_id))
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    if request_id is not None:
        query = query.where(AuditEntry.request_id == request_id)
    return list(session.scalars(query))


def state(text_: str | None) -> dict[str, Any] | None:
    """The before/after state of an entry as a dict."""
    return None if text_ is None else json.loads(text_)


# --- checkpoints ------------------------------------------------------------------------------


def checkpoint_payload(chain: int, seq: int, hash_: str, at: dt.datetime | str) -> bytes:
    """The bytes a checkpoint signature covers (``at`` a time, or its text as published)."""
    return canonical_json({"v": FORMAT_VERSION, "type": "sodientu-audit-checkpoint", "chain": chain,
                           "seq": seq, "hash": hash_, "at": at if isinstance(at, str) else _at_text(at)}).encode()


def seal(session: Session, actor: Actor, signer: Signer | None, *, school_id: int | None) -> AuditCheckpoint | None:
    """Seal the school's chain at its head with a signed checkpoint (administrator; None: nothing new)."""
    target = session.get(School, school_id) if school_id is not None else Scope(description_vi="nhật kí hệ thống")
    require(session, actor, Action.AUDIT_SEAL, target)
    chain = chain_of(school_id)
    seq, last_hash = _lock_head(session, chain)
    return _seal_head(session, chain, seq, last_hash, signer=signer, sealed_by=actor.username, reason="manual")


def seal_automatically(session: Session, school_id: int | None, reason: str) -> AuditCheckpoint | None:
    """An unsigned seal at the chain's head, taken by the system (a lock executed, an edition recorded)."""
    chain = chain_of(school_id)
    seq, last_hash = _lock_head(session, chain)
    return _seal_head(session, chain, seq, last_hash, signer=None, sealed_by="system", reason=reason)


def _seal_head(session: Session, chain: int, seq: int, last_hash: str, *, signer: Signer | None, sealed_by: str,
               reason: str) -> AuditCheckpoint | None:
    if seq == 0:
        return None
    autoflush(session)
    sealed = session.connection().execute(_SEALED, {"sealed_chain": chain}).scalar()
    if sealed is not None and sealed >= seq:
        if signer is None:
            return None
        # the head carries an automatic (unsigned) seal: the administrator's key signs that very seal
        last = session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.chain == chain,
                                                             AuditCheckpoint.seq == seq)).first()
        if last is None or last.signature:
            return None
        last.key_id, signature = signer(checkpoint_payload(chain, seq, last.hash, last.at))
        last.signature, last.sealed_by = base64.b64encode(signature).decode(), sealed_by
        session.flush()
        _publish_after_commit(session, PublishedSeal.of(last, reason))
        return last
    at = utcnow()
    key_id, signature = signer(checkpoint_payload(chain, seq, last_hash, at)) if signer else ("", b"")
    checkpoint = AuditCheckpoint(chain=chain, seq=seq, hash=last_hash, at=at, key_id=key_id,
                                 signature=base64.b64encode(signature).decode(), sealed_by=sealed_by)
    session.add(checkpoint)
    session.flush()
    _publish_after_commit(session, PublishedSeal(chain, seq, last_hash, _at_text(at), key_id,
                                                 checkpoint.signature, reason))
    return checkpoint


# --- published seals --------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedSeal:
    """A seal as published outside the database (one line of the seal log, or the principal's file)."""

    chain: int
    seq: int
    hash: str
    at: str
    key_id: str = ""
    signature: str = ""  # base64; empty for an automatic (unsigned) seal
    reason: str = ""

    def to_json(self) -> str:
        """One line of the seal log."""
        return canonical_json({"type": SEAL_TYPE, "v": FORMAT_VERSION, "chain": self.chain, "seq": self.seq,
                               "hash": self.hash, "at": self.at, "key_id": self.key_id,
                               "signature": self.signature, "reason": self.reason})

    @classmethod
    def of(cls, checkpoint: AuditCheckpoint, reason: str = "") -> PublishedSeal:
        """The published form of a checkpoint row."""
        return cls(checkpoint.chain, checkpoint.seq, checkpoint.hash, _at_text(checkpoint.at), checkpoint.key_id,
                   checkpoint.signature, reason)


def seal_log_path(session: Session) -> Path | None:
    """Where seals are published: ``SODIENTU_SEAL_LOG``, ``$SODIENTU_ARCHIVE/…``, or beside a SQLite file."""
    if os.environ.get(SEAL_LOG_ENV):
        return Path(os.environ[SEAL_LOG_ENV])
    url = session.get_bind().engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "archive" / SEAL_LOG_NAME  # one log per database file
    archive = os.environ.get(ARCHIVE_ENV, "")
    archive = archive.removeprefix("file://")
    if archive and "://" not in archive:  # a local archive folder (an object store needs SODIENTU_SEAL_LOG)
        return Path(archive) / SEAL_LOG_NAME
    return None


_PENDING = "sodientu.audit.pending_seals"


def _publish_after_commit(session: Session, sealed: PublishedSeal) -> None:
    """Publish ``sealed`` once the transaction that holds its checkpoint commits (the OUTERMOST one: a
    savepoint released is no commit; a savepoint rolled back takes its seals with it)."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, sealed))
    if not event.contains(session, "after_commit", _publish_pending):
        event.listen(session, "after_commit", _publish_pending)
        event.listen(session, "after_soft_rollback", _forget_rolled_back)


def _forget_rolled_back(session: Session, previous_transaction: Any) -> None:
    """Drop the seals taken inside the transaction (or savepoint) just rolled back."""
    def inside(transaction: Any) -> bool:
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [(t, s) for t, s in pending if not inside(t)]


#: Layers above that publish seals where the database cannot reach them (``add_seal_publisher``).
_seal_publishers: list[Callable[[Session, list[PublishedSeal]], bool]] = []


def add_seal_publisher(publisher: Callable[[Session, list[PublishedSeal]], bool]) -> None:
    """Publish seals also through ``publisher(session, seals)``: True when it kept them (the archive's
    object store), False to leave them to the seal log file. ``SODIENTU_SEAL_LOG``, when set, comes first."""
    if publisher not in _seal_publishers:
        _seal_publishers.append(publisher)


def _publish_pending(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: its seals wait for the real commit
        return
    pending = [sealed for _transaction, sealed in session.info.pop(_PENDING, [])]
    if not pending:
        return
    if not os.environ.get(SEAL_LOG_ENV):
        for publisher in _seal_publishers:
            try:
                if publisher(session, pending):
                    return
            except Exception as exc:  # noqa: BLE001 - the seal is in the database; the next one publishes the head
                log.error("seal publisher %r failed: %r", publisher, exc)
    path = seal_log_path(session)
    if path is None:
        log.warning("no seal log configured (%s): %d seal(s) not published", SEAL_LOG_ENV, len(pending))
        return
    try:
        append_seals(path, pending)
    except OSError as exc:  # the seal is in the database; the next seal publishes the head again
        log.error("cannot append to the seal log %s: %r", path, exc)


def append_seals(path: Path, seals: list[PublishedSeal]) -> None:
    """Append seals to a seal log (created if needed; existing lines are never rewritten)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, "".join(s.to_json() + "\n" for s in seals).encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def seal_from_line(line: str) -> PublishedSeal:
    """One published seal from its JSON line (ValueError, KeyError, TypeError, AttributeError when it is not)."""
    obj = json.loads(line)
    if obj.get("type") != SEAL_TYPE:
        raise ValueError("not a seal")
    return PublishedSeal(int(obj["chain"]), int(obj["seq"]), str(obj["hash"]), str(obj["at"]),
                         str(obj.get("key_id", "")), str(obj.get("signature", "")), str(obj.get("reason", "")))


def read_published_seals(path: Path) -> dict[int, PublishedSeal]:
    """The last seal of each chain in a seal log or a principal's seal file; raises ``IntegrityError``."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise IntegrityError(f"Không đọc được tệp niêm phong {path}.", f"cannot read seal file {path}: {exc!r}") \
            from None
    last: dict[int, PublishedSeal] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            found = seal_from_line(line)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IntegrityError(f"Tệp niêm phong {path} bị hỏng ở dòng {number}.",
                                 f"bad seal line {number} of {path}: {exc!r}") from None
        if found.chain not in last or found.seq >= last[found.chain].seq:
            last[found.chain] = found
    return last


def _check_published(session: Session, chain: int, sealed: PublishedSeal | int, last_seq: int,
                     verifier: Verifier | None) -> AuditProblem | None:
    """The chain against its last published seal (or a published sequence number)."""
    seq = sealed if isinstance(sealed, int) else sealed.seq
    where = f"điểm niêm phong đã công bố (đến mục {seq})"
    if last_seq < seq:
        return AuditProblem(chain, None, seq, f"chain has {last_seq} entries, shorter than the published seal at {seq}",
                            f"chuỗi chỉ còn {last_seq} mục, ngắn hơn {where} — nhật kí đã bị cắt bớt")
    checkpoint = session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.chain == chain,
                                                               AuditCheckpoint.seq == seq)).first()
    if checkpoint is None:
        return AuditProblem(chain, None, seq, f"published seal at {seq} is missing from the database",
                            f"{where} không còn trong cơ sở dữ liệu — các điểm niêm phong đã bị xóa")
    if isinstance(sealed, int):
        return None
    entry_hash_ = session.scalar(select(AuditEntry.hash).where(AuditEntry.chain == chain, AuditEntry.seq == seq))
    if entry_hash_ != sealed.hash or checkpoint.hash != sealed.hash:
        return AuditProblem(chain, None, seq, f"entry {seq} differs from the published seal (chain rewritten)",
                            f"mục số {seq} khác với {where} — nhật kí đã bị viết lại")
    if verifier is not None and sealed.signature:
        payload = checkpoint_payload(chain, seq, sealed.hash, sealed.at)
        try:
            good = verifier(payload, sealed.key_id, base64.b64decode(sealed.signature))
        except (ValueError, IntegrityError):
            good = False
        if not good:
            return AuditProblem(chain, None, seq, "published seal signature is not valid",
                                f"chữ kí của {where} không hợp lệ")
    return None


# --- verification -----------------------------------------------------------------------------

_VERIFY_COLUMNS = (AuditEntry.id, *(getattr(AuditEntry, name) for name in HASHED_FIELDS), AuditEntry.hash)
_NAMES = ("id", *HASHED_FIELDS, "hash")


def _rows(session: Session, chain: int) -> Iterator[dict[str, Any]]:
    """The chain's entries in seq order, each with its recomputed hash under ``"computed"``."""
    result = session.execute(select(*_VERIFY_COLUMNS).where(AuditEntry.chain == chain)
                             .order_by(AuditEntry.seq, AuditEntry.id).execution_options(yield_per=5000))
    encode, sha256 = _ENVELOPE_ENCODER.encode, hashlib.sha256
    last_at: dt.datetime | None = None
    at_text = ""
    for row in result:
        values = list(row)
        if values[3] != last_at:  # entries of one bulk save share their time: format it once
            last_at, at_text = values[3], _at_text(values[3])
        hashed = [FORMAT_VERSION, *values[1:-1]]
        hashed[3] = at_text
        data = dict(zip(_NAMES, values, strict=True))
        data["computed"] = sha256(encode(hashed).encode()).hexdigest()
        yield data


#: How many entries ``verify`` checks between two calls of its ``progress`` callback.
PROGRESS_EVERY = 2000


def _verify_chain(session: Session, chain: int, head: tuple[int, str] | None,
                  checkpoints: dict[int, AuditCheckpoint],
                  progress: Callable[[int], None] | None = None) -> tuple[int, AuditProblem | None]:
    expected_seq, prev = 1, GENESIS
    count = 0

    def problem(row: dict[str, Any] | None, en: str, vi: str) -> tuple[int, AuditProblem]:
        entry_id = row["id"] if row else None
        seq = row["seq"] if row else expected_seq
        where = f"mục #{entry_id} (số thứ tự {seq})" if row else f"mục số thứ tự {seq}"
        return count, AuditProblem(chain, entry_id, seq, f"entry {entry_id} seq {seq}: {en}", f"{where}: {vi}")

    for row in _rows(session, chain):
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
        if row["seq"] != expected_seq:
            if row["seq"] > expected_seq:
                return problem(row, f"entries {expected_seq}..{row['seq'] - 1} are missing",
                               f"thiếu các mục trước nó (từ số {expected_seq}) — đã bị xóa")
            return problem(row, "duplicate or reordered sequence number", "số thứ tự bị trùng hoặc bị đảo")
        if row["chain"] != chain_of(row["school_id"]):
            return problem(row, "school does not match the chain", "trường không khớp với chuỗi")
        if row["prev_hash"] != prev:
            return problem(row, "previous-hash link broken (entries reordered, swapped or replaced)",
                           "liên kết với mục trước bị đứt (các mục bị đảo, tráo hoặc thay thế)")
        if row["computed"] != row["hash"]:
            return problem(row, "content does not match its hash (edited)",
                           "nội dung không khớp với mã băm — đã bị sửa")
        checkpoint = checkpoints.get(row["seq"])
        if checkpoint is not None and checkpoint.hash != row["hash"]:
            return problem(row, f"contradicts signed checkpoint {checkpoint.id}",
                           f"không khớp với điểm niêm phong số {checkpoint.id}")
        prev = row["hash"]
        expected_seq += 1
    last_seq = expected_seq - 1
    if head is not None and (head[0] != last_seq or head[1] != prev):
        if head[0] > last_seq:
            return problem(None, f"chain head says {head[0]} entries, found {last_seq}: the last ones were deleted",
                           f"chuỗi phải có {head[0]} mục nhưng chỉ còn {last_seq} — các mục cuối đã bị xóa")
        return problem(None, "chain head does not match the last entry", "đầu chuỗi không khớp với mục cuối")
    beyond = [c for s, c in checkpoints.items() if s > last_seq]
    if beyond:
        return problem(None, f"checkpoint {beyond[0].id} sealed seq {beyond[0].seq}, beyond the last entry",
                       f"điểm niêm phong số {beyond[0].id} đã niêm phong đến mục {beyond[0].seq} — các mục cuối đã bị xóa")
    return count, None


def verify(session: Session, school_id: int | None = None, *, verifier: Verifier | None = None,
           published: Mapping[int, PublishedSeal | int] | None = None,
           progress: Callable[[int], None] | None = None) -> AuditReport:
    """Check every chain (or the school's): hashes, links, sequence, head, checkpoints and their signatures.

    ``published``: the last published seal (or sequence number) of chains; a chain shorter than its
    seal, differing at it, or whose seal is missing from the database fails. ``progress(n)`` is told
    of every ``PROGRESS_EVERY`` entries checked (a progress bar; ``count_entries`` gives the total).
    """
    if school_id is not None:
        chains = [chain_of(school_id)]
    else:
        found = set(session.scalars(select(AuditEntry.chain).distinct()))
        found |= set(session.scalars(select(AuditChainHead.chain)))
        found |= set(session.scalars(select(AuditCheckpoint.chain).distinct()))
        found |= set(published or ())
        chains = sorted(found)
    problems: list[AuditProblem] = []
    total = checkpoints_seen = signatures = 0
    for chain in chains:
        head_row = session.execute(select(AuditChainHead.seq, AuditChainHead.hash)
                                   .where(AuditChainHead.chain == chain)).first()
        head = (int(head_row.seq), str(head_row.hash)) if head_row else None
        cps = {c.seq: c for c in session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.chain == chain))}
        checkpoints_seen += len(cps)
        for checkpoint in sorted(cps.values(), key=lambda c: c.seq):
            if verifier is None or not checkpoint.signature:  # automatic seals are unsigned
                continue
            signatures += 1
            payload = checkpoint_payload(chain, checkpoint.seq, checkpoint.hash, checkpoint.at)
            try:
                good = verifier(payload, checkpoint.key_id, base64.b64decode(checkpoint.signature))
            except (ValueError, IntegrityError):
                good = False
            if not good:
                problems.append(AuditProblem(
                    chain, None, checkpoint.seq, f"checkpoint {checkpoint.id} signature is not valid",
                    f"chữ kí của điểm niêm phong số {checkpoint.id} không hợp lệ"))
                break
        count, problem = _verify_chain(session, chain, head, cps, progress)
        if progress is not None:
            progress(count % PROGRESS_EVERY)
        total += count
        if problem is None and published and chain in published:
            last_seq = session.scalar(select(func.max(AuditEntry.seq)).where(AuditEntry.chain == chain)) or 0
            problem = _check_published(session, chain, published[chain], int(last_seq), verifier)
        if problem is not None:
            problems.append(problem)
        elif head is None and count:
            problems.append(AuditProblem(chain, None, None, "chain head is missing",
                                         "thiếu bản ghi đầu chuỗi"))
    problems.sort(key=lambda p: (p.chain, p.seq if p.seq is not None else 0))
    return AuditReport(total, len(chains), checkpoints_seen, signatures, tuple(problems))


def count_entries(session: Session, school_id: int | None = None) -> int:
    """The number of entries ``verify`` reads (the length of its progress bar)."""
    query = select(func.count(AuditEntry.id))
    if school_id is not None:
        query = query.where(AuditEntry.chain == chain_of(school_id))
    return int(session.scalar(query) or 0)


def require_valid(session: Session, school_id: int | None = None, *, verifier: Verifier | None = None,
                  published: Mapping[int, PublishedSeal | int] | None = None) -> AuditReport:
    """``verify``, raising ``IntegrityError`` naming the first bad entry when the log does not verify."""
    report = verify(session, school_id, verifier=verifier, published=published)
    bad = report.first_bad
    if bad is not None:
        raise IntegrityError(f"Nhật kí lưu vết không toàn vẹn: {bad.reason_vi}.", f"audit log broken: {bad.reason}")
    return report
