"""The print run on the RQ queue (``layouts.printqueue``) with a real Redis and a real ``sodientu worker``.

Redis: ``SODIENTU_TEST_REDIS_URL`` (``.ci/run`` sets it), else redis://127.0.0.1:6379/15 when that
answers; skipped with a reason otherwise. Each test uses a queue of its own name (the server is
shared). Checked: the books printed by the worker are the local path's (manifest, digests, current
editions); a second run skips them all without enqueuing anything; a book whose file went missing is
printed again and only that one gets a new edition; the passphrase never travels through Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from layouts.batch import MARKBOOK, REGISTER, TRANSCRIPT, BatchConfig
from layouts.printqueue import QueueUnavailableError, connect, queued, settle_earlier_runs
from layouts.printrun import print_run, school_year_jobs
from records.db import make_engine
from records.models import Edition, EditionStatus
from tests.layouts.print_school_fixtures import TODAY, YEAR, School, school_fixture  # noqa: F401 - a fixture
from web.commands.demo import DEMO_PASSPHRASE

pytestmark = pytest.mark.slow

REDIS_ENV = "SODIENTU_TEST_REDIS_URL"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def redis_url() -> str:
    url = os.environ.get(REDIS_ENV) or DEFAULT_REDIS
    try:
        connect(url)
    except QueueUnavailableError as exc:
        pytest.skip(f"no Redis answers at {url} ({REDIS_ENV}): {exc.message_en}")
    return url


@pytest.fixture
def worker(redis_url: str, tmp_path: Path) -> Iterator[str]:
    """A ``sodientu worker`` on a queue of its own; its name is yielded, the process stopped after."""
    name = f"sodientu-test-{uuid.uuid4().hex[:10]}"
    exe = Path(sys.executable).with_name("sodientu")
    env = {**os.environ, "SODIENTU_KEY_PASSPHRASE": DEMO_PASSPHRASE}
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(exe), "worker", "--redis", redis_url, "--queue-name", name], cwd=ROOT, env=env,
                            stdout=log, stderr=log)
    try:
        yield name
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        from rq import Queue

        Queue(name, connection=connect(redis_url)).delete(delete_jobs=True)


def _jobs(school: School) -> list:
    engine = make_engine(school.url)
    with Session(engine) as session:
        _code, _start, jobs = school_year_jobs(session, None, YEAR)
    engine.dispose()
    books = [j for j in jobs if j.kind == MARKBOOK][:1]
    return [*books, *[j for j in jobs if j.kind == TRANSCRIPT][:10], *[j for j in jobs if j.kind == REGISTER][:1]]


def _edition_count(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        n = session.scalar(select(func.count()).select_from(Edition))
    engine.dispose()
    return int(n or 0)


def test_the_queue_prints_resumes_and_reprints_only_what_is_missing(school: School, redis_url: str, worker: str,
                                                                     tmp_path: Path) -> None:
    jobs = _jobs(school)
    out = tmp_path / "out"
    key_file = next(school.keys.glob("*.key.pem"))
    config = BatchConfig(school.url, str(out), str(key_file), DEMO_PASSPHRASE, school.office, issued_on=TODAY)
    before = _edition_count(school.url)
    sent: list = []
    execute = queued(redis_url, queue_name=worker)

    def spy(cfg: BatchConfig, todo: list, **kw: object) -> object:
        sent.append((cfg, list(todo)))
        return execute(cfg, todo, **kw)

    started = time.monotonic()
    first = print_run(config, jobs, execute=spy)
    assert first.ok, [o.error_en for o in first.failures]
    assert sent[0][0].passphrase == DEMO_PASSPHRASE  # the caller's config; the queue gets none (below)
    files = first.files
    assert len(files) == len({f.path for f in files}) >= len(jobs)
    assert first.batch is not None and first.batch.workers == 1 and time.monotonic() - started < 600
    engine = make_engine(school.url)
    with Session(engine) as session:
        status = dict(session.execute(select(Edition.pdf_sha256, Edition.status)).all())
    engine.dispose()
    for f in files:
        import hashlib

        assert hashlib.sha256((out / f.path).read_bytes()).hexdigest() == f.sha256
        assert status[f.sha256] is EditionStatus.CURRENT
    assert _edition_count(school.url) - before == len(files)

    sent.clear()
    again = print_run(config, jobs, execute=spy)
    assert again.ok and again.skipped_jobs == len(jobs) and not sent  # nothing enqueued
    gone = next(f for f in files if f.kind == "transcript")
    (out / gone.path).unlink()
    third = print_run(config, jobs, execute=spy)
    assert third.ok and third.skipped_jobs == len(jobs) - 1 and len(sent[0][1]) == 1
    assert (out / gone.path).is_file() and _edition_count(school.url) - before == len(files) + 1
    assert settle_earlier_runs(redis_url, str(out), queue_name=worker) == 0


def test_no_passphrase_travels_through_redis(school: School, redis_url: str, tmp_path: Path) -> None:
    from rq import Queue

    from layouts.printqueue import run_queued

    name = f"sodientu-test-{uuid.uuid4().hex[:10]}"
    key_file = next(school.keys.glob("*.key.pem"))
    config = BatchConfig(school.url, str(tmp_path), str(key_file), DEMO_PASSPHRASE, school.office, issued_on=TODAY)
    conn = connect(redis_url)
    queue = Queue(name, connection=conn)
    try:
        with pytest.raises(KeyboardInterrupt):
            def interrupt(_seconds: float) -> None:
                raise KeyboardInterrupt

            import layouts.printqueue as pq

            real_sleep = pq.time.sleep
            pq.time.sleep = interrupt  # type: ignore[assignment]
            try:
                run_queued(redis_url, config, _jobs(school)[:2], queue_name=name)
            finally:
                pq.time.sleep = real_sleep  # type: ignore[assignment]
        from rq.job import Job as RqJob

        mine = [j for j in (RqJob.fetch(k.decode().removeprefix("rq:job:"), connection=conn)
                            for k in conn.scan_iter("rq:job:sodientu-*"))
                if j.meta.get("out_dir") == str(tmp_path.resolve())]
        assert mine and all(j.args[0].passphrase == "" for j in mine)
        for j in mine:
            assert DEMO_PASSPHRASE.encode() not in zlib.decompress(conn.hget(j.key, "data"))
            j.delete()
        assert queue.count == 0  # the interrupted run cancelled what no worker had started
    finally:
        queue.delete(delete_jobs=True)
