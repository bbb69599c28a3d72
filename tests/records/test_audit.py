"""The trace: hash chain, checkpoints, tampering with raw SQL detected and named, concurrent writers."""

from __future__ import annotations

import itertools
import os
import threading
import time
from decimal import Decimal

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, delete, select, text

from records import audit
from records.audit import AuditRecord
from records.db import make_engine, session_scope
from records.errors import IntegrityError
from records.models import AuditChainHead, AuditCheckpoint, AuditEntry, Base, School
from records.permissions import Actor
from tests import factories as f
from tests.conftest import TEST_DB_ENV

SYSTEM = Actor.system("tests")


def _fill(session, school_id, n=6):
    for i in range(n):
        audit.append(session, SYSTEM, "update", "mark", 100 + i, {"value": "7.0"}, {"value": Decimal("8.5")},
                     school_id=school_id, reason=f"lần {i}")
    return list(session.scalars(select(AuditEntry).where(AuditEntry.chain == school_id).order_by(AuditEntry.seq)))


def _signer():
    key = Ed25519PrivateKey.generate()
    public = key.public_key()

    def sign(payload: bytes) -> tuple[str, bytes]:
        return "test-key", key.sign(payload)

    def check(payload: bytes, key_id: str, signature: bytes) -> bool:
        try:
            public.verify(signature, payload)
        except InvalidSignature:
            return False
        return key_id == "test-key"

    return sign, check


def test_entries_are_chained_and_verify(session):
    school = f.make_school(session)
    rows = _fill(session, school.id)
    assert [r.seq for r in rows] == list(range(1, 7))
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert rows[0].actor_name == "system" and rows[0].actor_id is None
    assert audit.state(rows[0].after) == {"value": "8.5"}
    report = audit.verify(session, school.id)
    assert report.ok and report.entries == 6 and report.first_bad is None


def test_chains_are_per_school(session):
    a, b = f.make_school(session), f.make_school(session)
    _fill(session, a.id, 3)
    _fill(session, b.id, 2)
    audit.append(session, SYSTEM, "create", "school", "x", None, {"code": "x"}, school_id=None)
    assert audit.verify(session, a.id).entries == 3
    assert audit.verify(session, b.id).entries == 2
    assert audit.verify(session).ok


def test_append_many_continues_the_chain(session):
    school = f.make_school(session)
    _fill(session, school.id, 2)
    audit.append_many(session, SYSTEM, [
        AuditRecord("create", "mark", i, None, {"value": str(i)}, school.id, request_id=None) for i in range(50)
    ])
    _fill(session, school.id, 1)
    report = audit.verify(session, school.id)
    assert report.ok, report.problems
    assert report.entries == 53


def _bad(session, school_id):
    report = audit.verify(session, school_id)
    assert not report.ok
    return report.first_bad


def test_edited_entry_is_named(session):
    school = f.make_school(session)
    rows = _fill(session, school.id)
    session.execute(text("UPDATE audit_entry SET after = :a WHERE id = :id"), {"a": '{"value":"10"}', "id": rows[2].id})
    bad = _bad(session, school.id)
    assert bad.entry_id == rows[2].id and "edited" in bad.reason
    assert f"#{rows[2].id}" in bad.reason_vi


def test_edited_actor_or_time_is_named(session):
    school = f.make_school(session)
    rows = _fill(session, school.id)
    session.execute(text("UPDATE audit_entry SET actor_name = 'someone' WHERE id = :id"), {"id": rows[4].id})
    assert _bad(session, school.id).entry_id == rows[4].id


def test_deleted_entry_is_named(session):
    school = f.make_school(session)
    rows = _fill(session, school.id)
    session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": rows[3].id})
    bad = _bad(session, school.id)
    assert bad.entry_id == rows[4].id and "missing" in bad.reason


def test_deleted_last_entries_are_detected(session):
    school = f.make_school(session)
    rows = _fill(session, school.id)
    session.execute(text("DELETE FROM audit_entry WHERE id IN (:a, :b)"), {"a": rows[4].id, "b": rows[5].id})
    bad = _bad(session, school.id)
    assert bad.entry_id is None and bad.seq == 5 and "deleted" in bad.reason


def test_swapped_entries_are_named(session):
    school = f.make_school(session)
    rows = _fill(session, school.id)
    a, b = rows[1], rows[2]
    session.execute(text("UPDATE audit_entry SET seq = -1 WHERE id = :id"), {"id": a.id})
    session.execute(text("UPDATE audit_entry SET seq = :s WHERE id = :id"), {"s": a.seq, "id": b.id})
    session.execute(text("UPDATE audit_entry SET seq = :s WHERE id = :id"), {"s": b.seq, "id": a.id})
    bad = _bad(session, school.id)
    assert bad.entry_id == b.id and "link" in bad.reason


def test_forged_row_is_named(session):
    school = f.make_school(session)
    rows = _fill(session, school.id, 3)
    last = rows[-1]
    session.execute(text(
        "INSERT INTO audit_entry (chain, seq, school_id, at, actor_id, actor_name, action, entity, entity_id, "
        "before, after, reason, request_id, prev_hash, hash) SELECT chain, 4, school_id, at, actor_id, actor_name, "
        "action, entity, entity_id, before, after, reason, request_id, hash, :h FROM audit_entry WHERE id = :id"),
        {"h": "f" * 64, "id": last.id})
    bad = _bad(session, school.id)
    assert bad.seq == 4 and bad.entry_id is not None and bad.entry_id != last.id


def test_rehashed_forgery_is_caught_by_a_signed_checkpoint(session):
    school = f.make_school(session)
    sign, check = _signer()
    rows = _fill(session, school.id)
    checkpoint = audit.seal(session, SYSTEM, sign, school_id=school.id)
    assert checkpoint is not None and checkpoint.seq == 6
    assert audit.seal(session, SYSTEM, sign, school_id=school.id) is None  # nothing new
    assert audit.verify(session, school.id, verifier=check).signatures_checked == 1
    # Rewrite entry 3 and recompute every later hash and the head: the chain alone looks fine …
    session.execute(text("UPDATE audit_entry SET after = :a WHERE id = :id"), {"a": '{"value":"10"}', "id": rows[2].id})
    prev = rows[1].hash
    for row in session.execute(select(AuditEntry.__table__).where(AuditEntry.chain == school.id,
                                                                  AuditEntry.seq >= 3).order_by(AuditEntry.seq)):
        data = dict(row._mapping)
        data["prev_hash"] = prev
        prev = audit.entry_hash(data)
        session.execute(text("UPDATE audit_entry SET prev_hash = :p, hash = :h WHERE id = :id"),
                        {"p": data["prev_hash"], "h": prev, "id": data["id"]})
    session.execute(text("UPDATE audit_chain_head SET hash = :h WHERE chain = :c"), {"h": prev, "c": school.id})
    session.expire_all()
    # … but the signed checkpoint at seq 6 disagrees.
    report = audit.verify(session, school.id, verifier=check)
    assert not report.ok and report.first_bad.seq == 6 and "checkpoint" in report.first_bad.reason


def test_forged_checkpoint_signature_is_detected(session):
    school = f.make_school(session)
    sign, check = _signer()
    _fill(session, school.id)
    checkpoint = audit.seal(session, SYSTEM, sign, school_id=school.id)
    session.execute(text("UPDATE audit_checkpoint SET at = :at WHERE id = :id"),
                    {"at": "2020-01-01 00:00:00.000000", "id": checkpoint.id})
    session.expire_all()
    report = audit.verify(session, school.id, verifier=check)
    assert not report.ok and "signature" in report.first_bad.reason
    assert audit.verify(session, school.id).ok  # without a verifier only hashes are checked


def test_require_valid_raises_naming_the_entry(session):
    school = f.make_school(session)
    rows = _fill(session, school.id)
    audit.require_valid(session, school.id)
    session.execute(text("UPDATE audit_entry SET reason = 'x' WHERE id = :id"), {"id": rows[0].id})
    with pytest.raises(IntegrityError) as broken:
        audit.require_valid(session, school.id)
    assert f"#{rows[0].id}" in broken.value.message_vi


def test_values_are_canonical():
    assert audit.canonical_json({"b": Decimal("7.50"), "a": "Đ"}) == '{"a":"Đ","b":"7.50"}'


# --- concurrent writers -----------------------------------------------------------------------------

THREADS = 6
ROUNDS = 15


def _hammer(engine: Engine) -> None:
    with session_scope(engine) as s:
        school = f.make_school(s)
        school_id = school.id
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(ROUNDS):
                with session_scope(engine) as s:
                    if i % 3 == 0:
                        audit.append_many(s, SYSTEM, [AuditRecord("create", "mark", f"{n}-{i}-{k}", None,
                                                                  {"k": k}, school_id) for k in range(3)])
                    else:
                        audit.append(s, SYSTEM, "update", "mark", f"{n}-{i}", None, {"n": n}, school_id=school_id)
                    time.sleep(0.001)  # hold the transaction open a moment: the next writer must wait
        except BaseException as error:  # noqa: BLE001 — reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        with session_scope(engine) as s:
            report = audit.verify(s, school_id)
            assert report.ok, report.problems
            per_thread = sum(3 if i % 3 == 0 else 1 for i in range(ROUNDS))
            assert report.entries == THREADS * per_thread
            seqs = list(s.scalars(select(AuditEntry.seq).where(AuditEntry.chain == school_id)
                                  .order_by(AuditEntry.seq)))
            assert seqs == list(range(1, len(seqs) + 1))
    finally:
        with session_scope(engine) as s:
            s.execute(delete(AuditEntry).where(AuditEntry.chain == school_id))
            s.execute(delete(AuditChainHead).where(AuditChainHead.chain == school_id))
            s.execute(delete(AuditCheckpoint).where(AuditCheckpoint.chain == school_id))
            s.execute(delete(School).where(School.id == school_id))


def test_concurrent_writers_never_fork_the_chain_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'concurrent.sqlite'}")
    Base.metadata.create_all(engine)
    try:
        _hammer(engine)
    finally:
        engine.dispose()


def test_concurrent_writers_never_fork_the_chain_postgresql(engine):
    url = os.environ.get(TEST_DB_ENV, "")
    if not url.startswith("postgresql"):
        pytest.skip(f"PostgreSQL concurrency needs {TEST_DB_ENV}=postgresql+psycopg://… (not set)")
    _hammer(engine)


def test_append_many_chains_a_bulk_of_entries(tmp_path):
    """Bulk tracing (the demo's path) yields one valid chain; its speed is measured in bench/bench_audit.py."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bulk.sqlite'}")
    Base.metadata.create_all(engine)
    try:
        with session_scope(engine) as s:
            school = f.make_school(s)
            records = [AuditRecord("create", "mark", i, None,
                                   {"enrolment_id": i // 40, "subject_id": i % 12, "term_id": 1, "kind": "tx",
                                    "slot": i % 4 + 1, "value": "7.5", "assessed_on": None}, school.id)
                       for i in range(5_000)]
            audit.append_many(s, SYSTEM, records)
        with session_scope(engine) as s:
            assert audit.verify(s).entries == 5_000
    finally:
        engine.dispose()


def test_chains_are_sealed_at_each_lock_each_edition_and_daily(session, monkeypatch, tmp_path):
    import datetime as dt

    from records.services import locks
    from tests.records.factories_gov import make_world

    log = tmp_path / "seals.jsonl"
    monkeypatch.setenv(audit.SEAL_LOG_ENV, str(log))
    world = make_world(session)
    school = world.school.id
    from records.models import Book, Role

    decision = locks.decide(session, world.actor(session, Role.PRINCIPAL), book=Book.MARK_BOOK,
                            school_year=world.year, term=world.term1, klass=None, lock=True, decision_ref="QĐ 1")
    locks.execute(session, world.actor(session, Role.ADMINISTRATOR), decision)
    head = session.get(AuditChainHead, school)
    sealed = session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.chain == school)).all()
    assert [c.seq for c in sealed] == [head.seq] and sealed[0].signature == ""  # automatic: unsigned
    session.commit()  # published only once committed
    published = audit.read_published_seals(log)
    assert published[school].seq == head.seq and published[school].reason == "lock"
    # the first write of a new day seals the previous day's end
    _fill(session, school, 2)
    head = session.get(AuditChainHead, school)
    head.updated_at = head.updated_at - dt.timedelta(days=1)
    session.flush()
    day_end = head.seq
    _fill(session, school, 1)
    assert day_end in {c.seq for c in session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.chain == school))}
    assert audit.verify(session, school, published=audit.read_published_seals(log)).ok


def test_a_seal_is_published_by_the_outer_commit_never_by_a_savepoint(session, monkeypatch, tmp_path):
    """A savepoint released is no commit (a print task records its editions in one): killed before the
    real commit, a published seal would claim entries the database never kept. A savepoint rolled back
    takes its seals with it (the batch then records each edition alone)."""
    log = tmp_path / "seals.jsonl"
    monkeypatch.setenv(audit.SEAL_LOG_ENV, str(log))
    school = f.make_school(session).id
    session.commit()
    with session.begin_nested():
        _fill(session, school, 3)
        kept = audit.seal_automatically(session, school, "edition")
    assert kept is not None and not log.exists()  # released, not committed: nothing published yet
    with pytest.raises(RuntimeError), session.begin_nested():
        _fill(session, school, 2)
        assert audit.seal_automatically(session, school, "edition") is not None
        raise RuntimeError("the bulk step failed")
    session.commit()
    published = audit.read_published_seals(log)
    assert published[school].seq == kept.seq and len(log.read_text().splitlines()) == 1
    assert audit.verify(session, school, published=published).ok
