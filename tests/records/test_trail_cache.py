"""The trail check's signed snapshot (issue 10): a later process checks from it, and is fooled by nothing.

"A new process" is ``trail.forget()`` (the in-process replays dropped); ``no_full_replay`` makes the
whole-chain replay fail, so a test shows the snapshot path was the one taken.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select, text

from records import audit
from records.errors import IntegrityError
from records.models import AuditEntry, Mark, MarkKind, Role
from records.services import marks, trail, trail_cache
from records.services.marks import MarkInput
from signing.keys import TrailCacheSigner, generate_private_key
from tests.records.factories_gov import IN_TERM1
from tests.records.test_trail import _ids, world  # noqa: F401  (the fixture)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "trail-cache.sqlite"
    monkeypatch.setenv(trail_cache.CACHE_ENV, str(path))
    trail.forget()
    yield path
    trail.forget()


@pytest.fixture
def signer() -> TrailCacheSigner:
    return TrailCacheSigner(generate_private_key())


@pytest.fixture
def no_full_replay(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Call it once the snapshot is written: from then on, replaying the whole chain fails the test."""
    def refuse(*_args: object) -> None:
        raise AssertionError("the whole chain was replayed")

    return lambda: monkeypatch.setattr(trail, "_replay", refuse)


def _snapshot_taken(session, world, signer, cache: Path) -> None:  # noqa: F811
    assert trail.check_traced(session, _ids(world), signer=signer).ok
    assert cache.exists()
    trail.forget()  # the next print is another process


def _sql_edit_first_mark(session, world) -> None:  # noqa: F811
    session.execute(text("UPDATE mark SET score = 95 WHERE enrolment_id = :e AND kind = 'tx' AND slot = 1"),
                    {"e": world.enrolments[0].id})


def test_the_next_process_checks_from_the_snapshot(session, world, signer, cache, monkeypatch) -> None:  # noqa: F811
    first = trail.check_traced(session, _ids(world), signer=signer)
    trail.forget()
    monkeypatch.setattr(trail, "_replay", lambda *_a: pytest.fail("the whole chain was replayed"))
    again = trail.check_traced(session, _ids(world), signer=signer)
    assert again.ok and again.values == first.values and again.entries == first.entries


def test_a_mark_changed_with_sql_after_the_snapshot_is_caught(session, world, signer, cache,  # noqa: F811
                                                             no_full_replay) -> None:
    _snapshot_taken(session, world, signer, cache)
    no_full_replay()
    _sql_edit_first_mark(session, world)
    with pytest.raises(IntegrityError) as caught:
        trail.require_traced(session, _ids(world), signer=signer)
    message = caught.value.message_vi
    assert world.enrolments[0].student.full_name in message and "Toán" in message and "ĐĐGtx1" in message
    assert "9.5" in message


def test_entries_after_the_snapshot_are_replayed_and_their_values_checked(session, world, signer, cache,  # noqa: F811
                                                                          no_full_replay) -> None:
    _snapshot_taken(session, world, signer, cache)
    no_full_replay()
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    marks.save_marks(session, teacher, world.assignment1, [
        MarkInput(world.enrolments[0].id, MarkKind.REGULAR, 3, "5"),
        MarkInput(world.enrolments[1].id, MarkKind.REGULAR, 3, "8"),
        MarkInput(world.enrolments[2].id, MarkKind.REGULAR, 1, None)], today=IN_TERM1)  # a delete after it
    assert trail.check_traced(session, _ids(world), signer=signer).ok
    session.execute(text("UPDATE mark SET score = 100 WHERE enrolment_id = :e AND kind = 'tx' AND slot = 3"),
                    {"e": world.enrolments[1].id})
    session.execute(text("INSERT INTO mark (enrolment_id, subject_id, term_id, kind, slot, score, entered_at) "
                         "VALUES (:e, :s, :t, 'tx', 1, 90, CURRENT_TIMESTAMP)"),
                    {"e": world.enrolments[2].id, "s": world.subject.id, "t": world.term1.id})
    report = trail.check_traced(session, _ids(world), signer=signer)
    assert {(m.column.split(" (")[0], m.stored, m.traced) for m in report.mismatches} == {
        ("cột ĐĐGtx3", "10.0", "8.0"), ("cột ĐĐGtx1", "9.0", "(không có)")}


def test_an_entry_edited_to_match_is_still_refused(session, world, signer, cache) -> None:  # noqa: F811
    _snapshot_taken(session, world, signer, cache)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "mark").order_by(AuditEntry.seq)).first()
    session.execute(text("UPDATE mark SET score = 95 WHERE id = :id"), {"id": int(entry.entity_id)})
    session.execute(text("UPDATE audit_entry SET after = replace(after, '\"6.0\"', '\"9.5\"') WHERE id = :id"),
                    {"id": entry.id})
    with pytest.raises(IntegrityError):  # the snapshot still says 6: the stored 9.5 is named
        trail.require_traced(session, _ids(world), signer=signer)


def _tamper(cache: Path, sql: str, *args: object) -> None:
    with sqlite3.connect(cache) as connection:
        connection.execute(sql, args)
    connection.close()


@pytest.mark.parametrize("tampering", ["value edited", "row deleted", "row of another enrolment",
                                       "signed by another key"])
def test_a_tampered_snapshot_is_not_used_and_the_forgery_is_still_caught(session, world, signer, cache,  # noqa: F811
                                                                         tampering) -> None:
    _snapshot_taken(session, world, signer, cache)
    _sql_edit_first_mark(session, world)
    first, second = world.enrolments[0].id, world.enrolments[1].id
    if tampering == "value edited":  # the snapshot made to agree with the forged mark (signature kept)
        _tamper(cache, "UPDATE state SET payload = replace(CAST(payload AS TEXT), '\"6.0\"', '\"9.5\"') "
                       "WHERE enrolment = ?", first)
    elif tampering == "row deleted":
        _tamper(cache, "DELETE FROM state WHERE enrolment = ?", first)
    elif tampering == "row of another enrolment":
        _tamper(cache, "UPDATE state SET payload = (SELECT payload FROM state WHERE enrolment = ?), "
                       "signature = (SELECT signature FROM state WHERE enrolment = ?) WHERE enrolment = ?",
                second, second, first)
    else:  # a forger's own key, stored under the school key's id
        forger = TrailCacheSigner(generate_private_key())
        forger.key_id = signer.key_id
        session.execute(text("UPDATE mark SET score = 60 WHERE enrolment_id = :e AND kind = 'tx' AND slot = 1"),
                        {"e": first})
        trail.forget()
        assert trail.check_traced(session, _ids(world), signer=forger).mismatches == ()  # the forger's view
        trail.forget()
        _sql_edit_first_mark(session, world)
    assert trail_cache.load(session, signer, audit.chain_of(world.school.id), _ids(world)) is None
    with pytest.raises(IntegrityError, match="ĐĐGtx1"):
        trail.require_traced(session, _ids(world), signer=signer)


def test_a_snapshot_of_a_rewritten_truncated_or_unsealed_chain_is_not_used(session, world, signer, cache) -> None:  # noqa: F811
    chain = audit.chain_of(world.school.id)
    assert audit.seal_automatically(session, world.school.id, "test") is not None
    _snapshot_taken(session, world, signer, cache)
    assert trail_cache.load(session, signer, chain, _ids(world)) is not None
    last = session.scalars(select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq.desc())).first()
    # a deleted checkpoint
    nested = session.begin_nested()
    session.execute(text("DELETE FROM audit_checkpoint WHERE chain = :c"), {"c": chain})
    assert trail_cache.load(session, signer, chain, _ids(world)) is None
    nested.rollback()
    assert trail_cache.load(session, signer, chain, _ids(world)) is not None
    # the chain rewritten and re-hashed (the entry the snapshot continues has another hash)
    session.execute(text("UPDATE audit_entry SET hash = :h WHERE id = :id"), {"h": "0" * 64, "id": last.id})
    assert trail_cache.load(session, signer, chain, _ids(world)) is None
    # the chain truncated
    session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": last.id})
    assert trail_cache.load(session, signer, chain, _ids(world)) is None


def test_no_snapshot_without_a_signing_key(session, world, cache) -> None:  # noqa: F811
    assert trail.check_traced(session, _ids(world)).ok
    assert not cache.exists()


def test_the_snapshot_keeps_every_kind_of_value(session, world, signer, cache) -> None:  # noqa: F811
    first = trail.check_traced(session, _ids(world), signer=signer)
    kept = dict(trail._CACHE[(trail_cache.db_name(session), audit.chain_of(world.school.id))].values)
    trail.forget()
    loaded = trail_cache.load(session, signer, audit.chain_of(world.school.id), _ids(world))
    assert loaded is not None and first.ok
    assert {e: v for e, v in kept.items() if e in set(_ids(world))} == loaded.values
    assert {k[0] for v in loaded.values.values() for k in v} >= {"mark", "conduct", "student_result"}
    assert session.scalars(select(Mark)).first() is not None
