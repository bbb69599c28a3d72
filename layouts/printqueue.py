"""The print run on a task queue (RQ on Redis): the same tasks, journal, resume and manifest, many machines.

``run_queued(redis_url, config, jobs)`` cuts the jobs into the batch's tasks (``make_tasks``),
enqueues each as an RQ job calling :func:`run_task` (which is ``layouts.batch._run_task``: read,
produce, journal, record, write — the very steps of a local worker process) and waits for their
results; ``print_run(..., execute=queued(redis_url))`` uses it in place of the local process pool,
so the journal and the resume (``layouts.printrun``) are the same. ``sodientu worker`` runs the
workers (``rq.SimpleWorker``: the jobs run in the worker process itself, so fonts, templates and
the Typst Compiler are loaded once per worker, not once per job).

What travels through Redis: the jobs and the configuration **without the key's passphrase** —
each worker reads it from its own environment (``SODIENTU_KEY_PASSPHRASE``) or from the file
given to ``sodientu worker --passphrase-file``. The key file, the database and the output folder
must be reachable under the same paths from every worker (one machine, or shared storage).

The trail check: a queued run does not use the run-wide verdict of a local run (``layouts.batch``,
step 2b) yet; each task checks its own books at once (``require_traced_scopes``: from the signed trail
snapshot, else one replay per worker process, kept and extended with the entries appended since). The
enqueuing process could write the verdict (it holds the key and its passphrase; the output folder is
shared with the workers), but a queue worker outlives an enqueuer that dies: every task would wait for
a verdict never written (``_read_verdict`` waits up to 900 s, each task again), where a local pool's
workers end with their parent. Using it needs a wait that ends with the run (its RQ jobs' status or a
heartbeat of the enqueuer), not written yet.

A run cancels the queued jobs of an earlier run into the same folder and waits for its started
ones (``settle_earlier_runs``) before the journal is read: an interrupted queued run resumes like a
local one, without a second edition of anything.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from layouts.batch import BatchConfig, BatchReport, Job, JobOutcome, TaskStats, make_tasks
from records.errors import SodientuError

log = logging.getLogger(__name__)

QUEUE_NAME = "sodientu-print"
JOB_TIMEOUT = 3600  # seconds an RQ job (one task: a mark book, or 8 transcripts) may take
RESULT_TTL = 24 * 3600
POLL_SECONDS = 0.2

_passphrase: str | None = None  # set by «sodientu worker --passphrase-file»


class QueueUnavailableError(SodientuError):
    """The Redis server of the print queue does not answer."""


def connect(redis_url: str) -> Any:
    """A Redis connection that answers (QueueUnavailableError otherwise)."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        conn = Redis.from_url(redis_url, socket_connect_timeout=3)
        conn.ping()
    except (RedisError, ValueError, OSError) as exc:
        raise QueueUnavailableError(f"Không kết nối được hàng đợi in (Redis) tại {redis_url}.",
                                    f"redis {redis_url} unavailable: {exc}") from None
    return conn


def set_worker_passphrase(passphrase: str | None) -> None:
    """The key's passphrase of this worker process (else SODIENTU_KEY_PASSPHRASE)."""
    global _passphrase
    _passphrase = passphrase


def run_task(config: BatchConfig, jobs: tuple[Job, ...]) -> tuple[list[JobOutcome], TaskStats]:
    """The RQ job: one batch task, in the worker process (the passphrase comes from the worker)."""
    from layouts import batch
    from signing.keyfiles import PASSPHRASE_ENV

    if not config.passphrase:
        config = replace(config, passphrase=_passphrase or os.environ.get(PASSPHRASE_ENV, ""))
    return batch._run_task(config, jobs)


def _folder(out_dir: str) -> str:
    return str(Path(out_dir).resolve())


def settle_earlier_runs(redis_url: str, out_dir: str, *, queue_name: str = QUEUE_NAME,
                        wait_seconds: float = JOB_TIMEOUT) -> int:
    """Cancel the queued jobs of earlier runs into ``out_dir`` and wait for their started ones; count."""
    from rq import Queue
    from rq.job import Job as RqJob
    from rq.registry import StartedJobRegistry

    conn = connect(redis_url)
    queue = Queue(queue_name, connection=conn)
    folder = _folder(out_dir)
    cancelled = 0
    for rq_job in queue.get_jobs():
        if rq_job.meta.get("out_dir") == folder:
            rq_job.cancel()
            cancelled += 1
    started = [j for j in RqJob.fetch_many(StartedJobRegistry(queue=queue).get_job_ids(), connection=conn)
               if j is not None and j.meta.get("out_dir") == folder]
    deadline = time.monotonic() + wait_seconds
    while started and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        started = [j for j in started if j.get_status(refresh=True) == "started"]
    return cancelled + len(started)


def run_queued(redis_url: str, config: BatchConfig, jobs: Sequence[Job], *,
               progress: Callable[[JobOutcome], None] | None = None, queue_name: str = QUEUE_NAME,
               poll: float = POLL_SECONDS) -> BatchReport:
    """Enqueue the jobs' tasks and wait for them (``run_batch``'s contract: never raises for a job)."""
    from rq import Queue
    from rq.job import Job as RqJob

    from layouts.batch import _failed

    started = time.perf_counter()
    conn = connect(redis_url)
    queue = Queue(queue_name, connection=conn)
    run_id = uuid.uuid4().hex
    lean = replace(config, passphrase="", workers=None)
    tasks = make_tasks(jobs, config.transcripts_per_task)
    meta = {"out_dir": _folder(config.out_dir), "run": run_id}
    specs = [Queue.prepare_data(run_task, args=(lean, task), job_id=f"sodientu-{run_id}-{i}", meta=meta,
                                timeout=JOB_TIMEOUT, result_ttl=RESULT_TTL, failure_ttl=RESULT_TTL,
                                description=f"in {len(task)} sổ ({task[0].title}…)")
             for i, task in enumerate(tasks)]
    by_id = {spec.job_id: task for spec, task in zip(specs, tasks, strict=True)}
    queue.enqueue_many(specs)
    outcomes: list[JobOutcome] = []
    stats: list[TaskStats] = []
    pending = set(by_id)

    def deliver(results: list[JobOutcome]) -> None:
        for outcome in results:
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)

    try:
        while pending:
            for rq_job in RqJob.fetch_many(sorted(pending), connection=conn):
                if rq_job is None:
                    continue
                status = rq_job.get_status(refresh=False)
                value = rq_job.return_value() if status == "finished" else None
                if value is not None:
                    results, stat = value
                    stats.append(stat)
                elif status in ("finished", "failed", "stopped", "canceled"):
                    reason = RuntimeError(f"queue job {rq_job.id} {status}: {(rq_job.exc_info or '')[-300:]}")
                    results = [_failed(job, reason, "queued task failed") for job in by_id[rq_job.id]]
                else:
                    continue
                pending.discard(rq_job.id)
                deliver(results)
            if pending:
                time.sleep(poll)
    except KeyboardInterrupt:
        for job_id in pending:  # the started ones finish (and are journaled); the rest is not printed
            rq_job = RqJob.fetch(job_id, connection=conn)
            if rq_job.get_status(refresh=False) == "queued":
                rq_job.cancel()
        raise
    order = {job: i for i, job in enumerate(jobs)}
    outcomes.sort(key=lambda o: order.get(o.job, len(order)))
    per_pid: dict[int, TaskStats] = {}
    for s in stats:
        if s.pid not in per_pid or s.cpu > per_pid[s.pid].cpu:
            per_pid[s.pid] = s
    return BatchReport(tuple(outcomes), time.perf_counter() - started, len(per_pid),
                       sum(s.cpu for s in per_pid.values()), max((s.peak_rss_mb for s in stats), default=0.0),
                       sum(s.trims for s in per_pid.values()))


def queued(redis_url: str, *, queue_name: str = QUEUE_NAME) -> Callable[..., BatchReport]:
    """An ``execute`` for ``layouts.printrun.print_run`` that runs the tasks on the queue."""

    def execute(config: BatchConfig, jobs: Sequence[Job], *, pool: Any = None,
                progress: Callable[[JobOutcome], None] | None = None) -> BatchReport:
        return run_queued(redis_url, config, jobs, progress=progress, queue_name=queue_name)

    return execute


def work(redis_url: str, *, queue_name: str = QUEUE_NAME, burst: bool = False, name: str | None = None) -> bool:
    """Run a worker on the print queue until stopped (or, with ``burst``, until the queue is empty)."""
    from rq import Queue, SimpleWorker

    import layouts.markbook
    import layouts.publish
    import layouts.register
    import layouts.transcript  # noqa: F401 - loaded once, before the first job

    conn = connect(redis_url)
    worker = SimpleWorker([Queue(queue_name, connection=conn)], connection=conn, name=name)
    return bool(worker.work(burst=burst, with_scheduler=False, logging_level="WARNING"))


__all__ = [
    "JOB_TIMEOUT",
    "QUEUE_NAME",
    "QueueUnavailableError",
    "connect",
    "queued",
    "run_queued",
    "run_task",
    "set_worker_passphrase",
    "settle_earlier_runs",
    "work",
]
