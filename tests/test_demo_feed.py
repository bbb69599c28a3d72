"""The demo's trail replayed while its data is built (``records.services.trail.Feed``, ``layouts.batch.TrailFeed``).

A small demo (16 students, one class per grade) is built with every appended audit entry told to a feed
(``records.audit.APPEND_OBSERVER``), on SQLite and — when ``SODIENTU_TEST_DATABASE_URL`` names a PostgreSQL
server — on a database of its own there. Checked: the verdict written from the feed's replay is the verdict
of the full replay, byte for byte, with a value forged after the build named the same way; the feed's replay
is used (the chain is not read again from its first entry); a feed that missed an entry is refused and the
verdict replays the chain as always; the feed's own process (``TrailFeed``) writes that same verdict.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

import web.cli  # noqa: F401 - first: the CLI registers its commands (web.commands.demo imports web.cli)
from layouts import batch
from records import audit
from records.db import make_engine, session_scope
from records.demo.build import DemoConfig, build_demo, prepare_database
from records.models import Mark, Role
from records.services import trail, trail_cache
from tests.conftest import scratch_database
from web.commands.demo import _user_with_role, create_demo_key

pytestmark = pytest.mark.slow

TODAY = dt.date(2026, 6, 15)
FEED_DB = f"sodientu_demo_feed_test_{os.getpid()}"


@dataclass
class Fed:
    """A demo built with its trail fed: the database, what the feed saw, the print run's config and jobs."""

    url: str
    feed: trail.Feed
    seen: list[tuple[int, str, list[tuple[object, ...]]]]
    config: batch.BatchConfig
    jobs: list[batch.Job]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fed]:
    folder = tmp_path_factory.mktemp("demo-feed")
    with scratch_database(request.param, folder, FEED_DB) as url:
        engine = make_engine(url)
        prepare_database(engine)
        feed, seen = trail.Feed(), []

        def observer(chain: int, at_text: str, rows: list[tuple[object, ...]]) -> None:
            seen.append((chain, at_text, list(rows)))
            feed.add(chain, at_text, rows)

        with session_scope(engine) as session:
            session.info[audit.APPEND_OBSERVER] = observer
            summary = build_demo(session, DemoConfig(students=16, seed=5, classes_per_grade=1, today=TODAY))
        key = create_demo_key(engine, summary.school_code, folder / "keys", TODAY)
        with session_scope(engine) as session:
            office = _user_with_role(session, summary.school_id, Role.OFFICE)
            jobs = batch.year_end_jobs(session, summary.school_code, TODAY.year - 1)
        engine.dispose()
        config = batch.BatchConfig(url, str(folder / "out"), str(key.private_file), key.passphrase, office,
                                   issued_on=TODAY)
        yield Fed(url, feed, seen, config, jobs)


@pytest.fixture(autouse=True)
def no_snapshot(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every verdict from the replay it is given (no snapshot of an earlier one); nothing kept between tests."""
    monkeypatch.setenv(trail_cache.CACHE_ENV, "off")
    trail.forget()
    yield
    trail.forget()


def _verdict(fed: Fed, path: Path, feed: trail.Feed | None) -> bytes:
    """The run's verdict file, written from the feed's replay (``feed``) or from a full replay (None)."""
    trail.forget()
    if feed is not None:
        engine = make_engine(fed.url, read_only=True)
        with Session(engine) as session:
            feed.adopt(session)
        engine.dispose()
    batch.write_verdict(fed.config, fed.jobs, str(path))
    return path.read_bytes()


def _scanned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The position each chain scan of the trail starts after (0: the whole chain is read)."""
    starts: list[int] = []
    real = trail._scan

    def scan(session: Session, chain: int, replay: trail._Replay, *args: object, **kwargs: object) -> bool:
        starts.append(replay.last_seq)
        return real(session, chain, replay, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(trail, "_scan", scan)
    return starts


def test_the_verdict_from_the_fed_trail_is_the_full_replays(fed: Fed, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert fed.feed.broken is None and fed.feed.replays
    full = _verdict(fed, tmp_path / "full.json", None)
    starts = _scanned(monkeypatch)
    from_feed = _verdict(fed, tmp_path / "feed.json", fed.feed)
    assert from_feed == full  # the same digests, the same signature
    assert starts and all(start > 0 for start in starts)  # started from the feed, not from the first entry
    assert b'"failed":[]' in full


def test_a_value_forged_after_the_build_fails_its_enrolment_in_both(fed: Fed, tmp_path: Path) -> None:
    engine = make_engine(fed.url)
    with session_scope(engine) as session:
        mark_id, enrolment = session.execute(select(Mark.id, Mark.enrolment_id).where(Mark.score.is_not(None))
                                             .order_by(Mark.id.desc())).first()  # of the current year: printed
        score = session.scalar(text("SELECT score FROM mark WHERE id = :id"), {"id": mark_id})  # tenths
        session.execute(text("UPDATE mark SET score = :s WHERE id = :id"), {"s": 13 if score != 13 else 14, "id": mark_id})
    try:
        full = _verdict(fed, tmp_path / "full.json", None)
        assert _verdict(fed, tmp_path / "feed.json", fed.feed) == full
        assert f'"failed":[{enrolment}]'.encode() in full
    finally:
        with session_scope(engine) as session:
            session.execute(text("UPDATE mark SET score = :s WHERE id = :id"), {"s": score, "id": mark_id})
        engine.dispose()


def test_a_feed_that_missed_an_entry_is_not_used(fed: Fed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gap = trail.Feed()
    for n, (chain, at_text, rows) in enumerate(fed.seen):
        gap.add(chain, at_text, rows[1:] if n == len(fed.seen) // 2 and len(rows) > 1 else rows)
    assert gap.broken is not None and not gap.replays
    engine = make_engine(fed.url, read_only=True)
    with Session(engine) as session:
        assert gap.adopt(session) == []
    engine.dispose()
    full = _verdict(fed, tmp_path / "full.json", None)
    starts = _scanned(monkeypatch)
    assert _verdict(fed, tmp_path / "gap.json", gap) == full
    assert 0 in starts  # the chain replayed from its first entry


def test_a_fed_entry_that_is_not_the_committed_one_is_not_used(fed: Fed, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A feed whose last entry is not the database's (told, then rolled back and replaced): the chain is replayed
    from the database."""
    other = trail.Feed()
    for chain, at_text, rows in fed.seen:
        other.add(chain, at_text, rows)
    chain = max(other.heads, key=lambda c: other.heads[c][0])
    seq, _hash = other.heads[chain]
    other.heads[chain] = (seq, "0" * 64)
    full = _verdict(fed, tmp_path / "full.json", None)
    starts = _scanned(monkeypatch)
    assert _verdict(fed, tmp_path / "other.json", other) == full
    assert 0 in starts


def test_the_feeds_process_writes_the_same_verdict(fed: Fed, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    full = _verdict(fed, tmp_path / "full.json", None)
    caplog.set_level("WARNING", logger=batch.log.name)
    with batch.TrailFeed() as feed:
        for chain, at_text, rows in fed.seen:
            feed.observer(chain, at_text, rows)
        cpu, _at = feed.write_verdict(fed.config, fed.jobs, str(tmp_path / "process.json"), 0.0).result(timeout=120)
    assert cpu > 0 and (tmp_path / "process.json").read_bytes() == full
    assert not [r for r in caplog.records if "trail feed" in r.getMessage()]  # used, and its process answered
