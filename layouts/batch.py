"""Print many books at once: a process pool publishing signed editions into an output folder.

``run_batch(config, jobs)`` prints every :class:`Job` — a class's mark book, a student's transcript
(the year's print and, for a grade-9 student, the bound volume), a course's register — as a
published edition (``layouts.publish``: a signed QR on every page, PDF/A-3b with the book's JSON
and the signed manifest attached, the edition recorded and traced) acting as the office user, and
writes each PDF under ``config.out_dir``::

    so-diem/2025-2026/9A1.pdf          mark book of a class (part "all"; other parts get a suffix)
    hoc-ba/2025-2026/<code>.pdf         transcript, one school year
    hoc-ba/toan-cap/<code>.pdf          transcript, the bound grade-6-to-9 volume
    so-dang-bo/2022-2026.pdf            register of a course

How (TECH-NOTES §3): one worker process per core (``spawn``: lean, no inherited connections), each
with its own engines and the typst Compiler that ``layouts.render`` keeps per thread, reused for
every book. Jobs travel in tasks (a mark book or a register alone, transcripts by
``transcripts_per_task``) to cut the inter-process traffic. A task has three steps:

1. read (a read-only engine: on SQLite a DEFERRED transaction, so readers do not queue on the write
   lock; on PostgreSQL REPEATABLE READ: one snapshot): load each job's input, build its documents,
   check the print right and the key, and take the digest of the stored values of every enrolment
   the books print (``trail.stored_digests``, one bulk read for the task), of the tables its kind of
   book prints (``trail.PRINTED_TABLES``: a register reads the year's results only, a transcript no
   mark, absence or conduct row; a test deletes every other table's rows and finds the book unchanged);
2. produce, outside any transaction: sign the QR codes, render, manifest, attach; the task's transcript
   books in ONE Typst compile, split into one PDF per book (``publish.produce_many``; layouts/README.md,
   D-BATCH-1), the Typst cache flushed once for them;
2b. the trail: a run of several tasks checks every value of all its books against the audit trail
   ONCE, in the parent (``write_verdict``, in a thread of the parent: one replay, one bulk read,
   while the workers read and render) and leaves a signed verdict — the digests of each enrolment's
   verified values, one per table. A book whose digests are the verdict's (of its tables) printed
   exactly the verified values; any other (a value changed with SQL before the run — the verdict left
   it out — or after the run's check, before the book read it) is checked now
   (``trail.confirm_printed``: the value named), so it is not recorded. Nothing of a produced book
   leaves the worker before this step (no PDF in the output folder, no edition). A task produced
   before the verdict is written does not wait for it in its worker: the worker spools it (its books'
   PDFs, editions and digests, pickled into a file of the run's private temporary folder; the parent
   keeps the file's SHA-256 and refuses a changed file) and takes the next task; once the verdict is
   written the parent hands each spool to a worker (``_finish_spooled``: this step and step 3), before
   any further task. The parent hands the tasks out a few at a time (one per worker and one more) and
   lets at most ``SPOOL_TASKS`` a worker wait in spools (bench/README.md, "The workers produce on while
   the verdict is pending"). Without a verdict (one task, the RQ queue) each task checks its books in
   step 1 (``require_traced_scopes``; why the queue has no verdict yet: ``layouts.printqueue``);
3. one short write transaction recording the task's editions in bulk (``record_publications``:
   one insert of the editions and their pages, one audit append, the archive copies put with
   two file-system syncs in all), committed before the PDFs are moved in place (a file on disk
   always belongs to a committed edition); each PDF is written under a temporary name before
   (a failed write records nothing of it). If the bulk step fails, each edition is recorded alone
   in a SAVEPOINT, so that only the failing one is reported.

A job that fails is reported (``JobOutcome.error_vi`` for the user, ``error_en`` for the log) and the
other jobs go on; a worker that dies fails the jobs of its unfinished tasks only (a spooled task is
unfinished until recorded; an interrupted run leaves its spools unrecorded and deletes them).

``print_book(session, actor, job)`` runs the same steps for one job in the caller's session (the
single-book ``sodientu print`` commands). With ``BatchConfig.journal`` each task journals its editions
before committing them (``layouts.printrun``: resumable runs); a pool worker commits nothing once the
process that started it is gone, and exits. ``BatchConfig.dump_dir`` (benchmarks) keeps every compiled
document (a batch of transcripts as one ``transcripts.<id>.json``). The per-step ``timings`` are CPU seconds (all threads of the worker);
with ``flush`` (Typst's cache) and ``task`` (the rest of the task: set-up, commit...) they add up to the tasks' CPU.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import multiprocessing
import os
import resource
import shutil
import signal
import statistics
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from layouts.documents import BookDocument
from records.errors import NotFoundError, SodientuError, ValidationError

log = logging.getLogger(__name__)

MARKBOOK = "markbook"
TRANSCRIPT = "transcript"
REGISTER = "register"
JOB_KINDS = (MARKBOOK, TRANSCRIPT, REGISTER)

#: ``PrintedFile.kind`` values (the ``kind`` of the manifest entries).
FILE_MARKBOOK = "markbook"
FILE_TRANSCRIPT = "transcript"
FILE_VOLUME = "transcript_volume"
FILE_REGISTER = "register"

#: Folder of each kind of file under the output folder.
FOLDERS = {FILE_MARKBOOK: "so-diem", FILE_TRANSCRIPT: "hoc-ba", FILE_VOLUME: "hoc-ba/toan-cap",
           FILE_REGISTER: "so-dang-bo"}



# --- what to print -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One book to print: ``kind`` (markbook, transcript, register), the ids, and options.

    * ``markbook``: ``ids=(class_id,)``; options ``part`` ("all"), ``paper`` ("a4"), ``duplex``;
    * ``transcript``: ``ids=(student_code,)``; options ``year`` ("2025-2026": that year's print;
      None: none), ``volume`` (True: also the bound volume), ``duplex``;
    * ``register``: ``ids=(course,)`` ("2022-2026"); option ``school_code``.

    ``label`` names the book for messages ("sổ theo dõi lớp 9A1").
    """

    kind: str
    ids: tuple[int | str, ...]
    options: tuple[tuple[str, Any], ...] = ()
    label: str = ""

    def option(self, name: str, default: Any = None) -> Any:
        """The value of an option, or ``default``."""
        return dict(self.options).get(name, default)

    @property
    def title(self) -> str:
        """The label, or a description made from the kind and ids."""
        if self.label:
            return self.label
        what = {MARKBOOK: "sổ theo dõi của lớp", TRANSCRIPT: "học bạ của học sinh",
                REGISTER: "sổ đăng bộ khóa"}.get(self.kind, self.kind)
        return f"{what} {', '.join(map(str, self.ids))}"


def make_job(kind: str, ids: Sequence[int | str] | int | str, label: str = "", **options: Any) -> Job:
    """A :class:`Job` (options as keyword arguments)."""
    if kind not in JOB_KINDS:
        raise ValidationError(f"Không biết in loại sổ «{kind}».", f"unknown job kind {kind!r}")
    ids_tuple = tuple(ids) if isinstance(ids, (list, tuple)) else (ids,)
    return Job(kind, ids_tuple, tuple(sorted(options.items())), label)


@dataclass(frozen=True)
class BatchConfig:
    """Where to read and write, who prints, with which key."""

    db_url: str
    out_dir: str
    key_file: str  # the school's encrypted Ed25519 key (signing.keyfiles)
    passphrase: str
    username: str  # the office user who prints (Action.BOOKS_PRINT)
    issued_on: dt.date | None = None  # the date printed in the codes (default: today)
    workers: int | None = None  # default: one per available core; 0: in this process
    transcripts_per_task: int = 8
    p12_file: str | None = None  # PAdES-sign every PDF with this PKCS#12 (slower; optional)
    # a worker above this after a book (a batch of transcripts) flushes Typst's cache and returns the memory;
    # 250 (was 350): the sampled peak of the school year 1,056 -> 929 MB, CPU +3 % (bench/README.md, "Memory, again")
    cache_limit_mb: float = 250.0
    cache_growth_mb: float = 0.0  # > 0: ... only if it also grew this much since its last flush (render.trim_cache)
    # after a flush, the freed memory goes back to the system (malloc_trim) only above this resident size: below
    # it the next book reuses it without page faults (bench/README.md, "The cache flush, again")
    release_limit_mb: float = 360.0
    # issue listeners of the parent (layouts.publish.add_issue_listener), installed in every worker
    issue_listeners: tuple[str, ...] = field(default_factory=lambda: _parent_issue_listeners())
    # ``layouts.printrun``: each task writes a journal line per edition before its commit (resume)
    journal: bool = False
    # benchmarks: write every compiled document (template + JSON text) into this folder (the floor)
    dump_dir: str | None = None


# --- what came out -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintedFile:
    """One PDF written: where, what it is, its digest and pages, its edition, its times (s)."""

    path: str  # relative to the output folder, "/" separators
    kind: str
    sha256: str
    pages: int
    edition_id: str
    school_year: str | None = None
    class_name: str | None = None
    student_code: str | None = None
    timings: tuple[tuple[str, float], ...] = ()  # CPU seconds per step (load, measure, sign_qr, render, …)

    def manifest_entry(self) -> Any:
        """The ``records.demo.manifest.ManifestEntry`` of the file."""
        from records.demo.manifest import ManifestEntry

        return ManifestEntry(self.path, self.kind, self.sha256, self.school_year, self.class_name,
                             self.student_code, self.pages)

    @property
    def seconds(self) -> float:
        """Time spent on this file (load share, sign, render, manifest, attach, record, write)."""
        return sum(t for _name, t in self.timings)


@dataclass(frozen=True)
class JobOutcome:
    """What a job printed, and its error (Vietnamese for the user, English for the log) if any."""

    job: Job
    files: tuple[PrintedFile, ...] = ()
    error_vi: str | None = None
    error_en: str | None = None
    detail: str | None = None  # the traceback of an unexpected error (for the log)

    @property
    def ok(self) -> bool:
        """True when the job printed everything it had to."""
        return self.error_vi is None


@dataclass(frozen=True)
class TaskStats:
    """A worker's figures for one task: CPU seconds, peak memory so far (MB), process id."""

    cpu: float
    peak_rss_mb: float
    pid: int
    trims: int = 0
    verdict_wait: float = 0.0  # wall seconds this process has waited for the run's trail verdict


@dataclass(frozen=True)
class BatchReport:
    """Every job's outcome, with the wall time, the workers' CPU time and peak memory."""

    outcomes: tuple[JobOutcome, ...]
    wall: float
    workers: int
    worker_cpu: float
    worker_peak_rss_mb: float
    cache_trims: int = 0
    warmup_cpu: float = 0.0  # of worker_cpu: starting the workers (imports, Compiler, tables), before the jobs
    check_cpu: float = 0.0  # the run's trail check in the parent (``write_verdict``; not in worker_cpu)
    verdict_at: float = 0.0  # wall seconds from the run's start until its verdict was written
    verdict_wait: float = 0.0  # wall seconds the workers waited for it, summed

    @property
    def files(self) -> tuple[PrintedFile, ...]:
        """Every file written."""
        return tuple(f for o in self.outcomes for f in o.files)

    @property
    def failures(self) -> tuple[JobOutcome, ...]:
        """The jobs that failed (wholly or partly)."""
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def ok(self) -> bool:
        """True when every job printed."""
        return not self.failures

    @property
    def pages(self) -> int:
        """Pages written."""
        return sum(f.pages for f in self.files)

    def medians(self) -> dict[str, tuple[int, float, float]]:
        """Per file kind: (files, median pages, median seconds per file)."""
        out: dict[str, tuple[int, float, float]] = {}
        for kind in sorted({f.kind for f in self.files}):
            files = [f for f in self.files if f.kind == kind]
            out[kind] = (len(files), statistics.median(f.pages for f in files),
                         statistics.median(f.seconds for f in files))
        return out


def year_end_jobs(session: Session, school_code: str, start_year: int, *, volumes: bool = True,
                  registers: bool = True) -> list[Job]:
    """The books a school prints at the end of a year: every class's mark book (part "all"), the
    transcript of the year of every student on the roll of grades 6–8, the bound volume (all years,
    this one included) of every grade-9 student, and the register of every course of the school."""
    from records.books.year_books import year_books

    books = year_books(session, school_code, start_year)
    name = books.year_name
    jobs: list[Job] = []
    for class_id, class_name in books.classes:
        jobs.append(make_job(MARKBOOK, class_id, f"sổ theo dõi và đánh giá lớp {class_name} năm học {name}",
                             part="all"))
    seen: set[str] = set()
    for code, level, class_name in books.roll:
        if code in seen:
            continue
        seen.add(code)
        volume = volumes and level == 9
        label = f"học bạ của học sinh {code} (lớp {class_name})"
        # At the end of grade 9 the school binds the whole volume (CV 1540 §2.2.3 b), which holds this
        # year's pages: no separate print of the year for those students.
        jobs.append(make_job(TRANSCRIPT, code, label, year=None if volume else name, volume=volume))
    if registers:
        for course in books.courses:
            jobs.append(make_job(REGISTER, course, f"sổ đăng bộ khóa {course}", school_code=books.school_code))
    return jobs


# --- running -----------------------------------------------------------------------------------


#: How much lower the workers' CPU priority is than the process that started them (``os.nice``): the parent's
#: run-level trail check (``write_verdict``), which every task waits for before recording, runs while the
#: workers read and render their first books. At equal priority the three processes share the two cores
#: and the verdict comes late (bench/README.md, "The workers wait for the verdict"; the tasks produced
#: meanwhile wait in spools); a lower priority also keeps a school's web server responsive while a run prints.
WORKER_NICE = 5


def default_workers() -> int:
    """One worker per core available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def make_tasks(jobs: Iterable[Job], transcripts_per_task: int = 8) -> list[tuple[Job, ...]]:
    """Group jobs into tasks: mark books and registers alone, transcripts by n, big ones early."""
    single: list[tuple[Job, ...]] = []
    transcripts: list[Job] = []
    for job in jobs:
        if job.kind not in JOB_KINDS:
            raise ValidationError(f"Không biết in loại sổ «{job.kind}».", f"unknown job kind {job.kind!r}")
        if job.kind == TRANSCRIPT:
            transcripts.append(job)
        else:
            single.append((job,))
    size = max(1, transcripts_per_task)
    # volumes (more pages) first, so that the last tasks are short ones
    transcripts.sort(key=lambda j: not j.option("volume", False))
    groups = [tuple(transcripts[i:i + size]) for i in range(0, len(transcripts), size)]
    # big books between groups of transcripts (up to 3 groups after each): the transcripts' compiles
    # evict a big book from Typst's cache, and the big books still come early (the last tasks are short)
    ratio = min(3, max(1, -(-len(groups) // max(1, len(single)))))
    tasks: list[tuple[Job, ...]] = []
    rest = iter(groups)
    for book in single:
        tasks.append(book)
        tasks += [group for _, group in zip(range(ratio), rest, strict=False)]
    tasks += list(rest)
    return tasks


class BatchPool:
    """The worker processes, started (and warmed up) ahead of the jobs: ``with BatchPool(2) as pool``.

    Starting the pool early lets the workers import the layouts and create their Compiler while
    the caller is still busy (the demo builds its data meanwhile).
    """

    def __init__(self, workers: int | None = None, nice: int = WORKER_NICE) -> None:
        self.workers = default_workers() if workers is None else workers
        self.executor: ProcessPoolExecutor | None = None
        self._warm: list[Future[TaskStats]] = []
        if self.workers > 0:
            self.executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_init_worker, initargs=(nice,))
            # one warm-up task per worker: the executor starts a process for each while none is idle
            self._warm = [self.executor.submit(_warm_up, 0.3) for _ in range(self.workers)]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (after the submitted tasks)."""
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


def run_batch(config: BatchConfig, jobs: Sequence[Job], *, pool: BatchPool | None = None,
              progress: Callable[[JobOutcome], None] | None = None) -> BatchReport:
    """Print every job (see the module docstring); never raises for a failing job."""
    started = time.perf_counter()
    tasks = make_tasks(jobs, config.transcripts_per_task)
    own_pool = None
    if pool is None:
        workers = default_workers() if config.workers is None else config.workers
        own_pool = pool = BatchPool(min(workers, len(tasks)) if tasks else 0)
    outcomes: list[JobOutcome] = []
    stats: list[TaskStats] = []
    warm_cpu = 0.0
    check_cpu = 0.0
    verdict_at = 0.0
    # one trail check for the whole run (the parent), while the workers read their first books
    verdict_dir = tempfile.mkdtemp(prefix="sodientu-trail-") if len(tasks) > 1 else None
    verdict_file = str(Path(verdict_dir) / "verdict.json") if verdict_dir else None

    def done(results: list[JobOutcome]) -> None:
        for outcome in results:
            if not outcome.ok:
                log.error("printing %s %s failed: %s", outcome.job.kind, outcome.job.ids, outcome.error_en)
                if outcome.detail:
                    log.debug("%s", outcome.detail)
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)

    try:
        if pool.executor is None:
            if verdict_file is not None:
                check_cpu = write_verdict(config, jobs, verdict_file)
            for task in tasks:
                results, stat = _run_task(config, task, verdict_file)
                stats.append(stat)
                done(results)
        else:
            check_cpu, verdict_at = _run_pool(config, jobs, tasks, pool, verdict_file, started, stats, done)
            for warm in pool._warm:
                if warm.done() and warm.exception() is None:
                    stats.append(warm.result())
                    warm_cpu += warm.result().cpu
    finally:
        if own_pool is not None:
            own_pool.close()
        if verdict_dir is not None:
            shutil.rmtree(verdict_dir, ignore_errors=True)
    order = {job: i for i, job in enumerate(jobs)}
    outcomes.sort(key=lambda o: order.get(o.job, len(order)))
    per_pid: dict[int, TaskStats] = {}
    for s in stats:  # the figures are cumulative per process: the last one of each process counts
        if s.pid not in per_pid or s.cpu > per_pid[s.pid].cpu:
            per_pid[s.pid] = s
    return BatchReport(tuple(outcomes), time.perf_counter() - started, pool.workers,
                       sum(s.cpu for s in per_pid.values()), max((s.peak_rss_mb for s in stats), default=0.0),
                       sum(s.trims for s in per_pid.values()), warm_cpu, check_cpu, verdict_at,
                       sum(s.verdict_wait for s in per_pid.values()))


def _run_pool(config: BatchConfig, jobs: Sequence[Job], tasks: list[tuple[Job, ...]], pool: BatchPool,
              verdict_file: str | None, started: float, stats: list[TaskStats],
              done: Callable[[list[JobOutcome]], None]) -> tuple[float, float]:
    """Run the tasks in the pool's workers while this process writes the run's verdict (a thread); the verdict's
    CPU seconds and when it was written (wall s after ``started``).

    A task produced before the verdict is written is spooled by its worker (``_start_task``), which takes the
    next task; the spools are handed out (``_finish_spooled``) once the verdict is written, before any further
    task. The tasks are handed out a few at a time (one per worker and one more), so that a spool waits behind
    one task at most; while the verdict is pending, at most ``SPOOL_TASKS`` a worker are spooled."""
    assert pool.executor is not None
    executor = pool.executor
    spool_dir = tempfile.mkdtemp(prefix="sodientu-spool-") if verdict_file is not None else None
    verdict = _verdict_in_background(config, jobs, verdict_file, started) if verdict_file is not None else None
    todo = list(reversed(tasks))
    held: list[_Spool] = []
    running: dict[Future[Any], tuple[Job, ...]] = {}
    in_flight = pool.workers + 1

    def submit(call: Callable[..., Any], task: tuple[Job, ...], *args: Any) -> None:
        try:
            running[executor.submit(call, config, *args)] = task
        except (BrokenProcessPool, RuntimeError) as exc:  # the pool is broken (a worker died) or shut down
            stats.append(TaskStats(0.0, 0.0, 0))
            done([_failed(job, exc, "worker process died") for job in task])

    try:
        while todo or held or running:
            written = verdict is None or verdict.done()
            if written:  # the spooled tasks first: they were produced first
                for spool in held:
                    submit(_finish_spooled, spool.jobs, spool, verdict_file)
                held.clear()
            # while the verdict is pending, every task under way may spool: at most SPOOL_TASKS a worker
            while todo and len(running) < in_flight and (
                    written or len(held) + len(running) < SPOOL_TASKS * pool.workers):
                task = todo.pop()
                submit(_start_task, task, task, verdict_file, spool_dir)
            waiting: set[Future[Any]] = set(running)
            if not written:
                waiting.add(verdict)  # type: ignore[arg-type]
            if not waiting:
                continue
            finished, _ = wait(waiting, return_when=FIRST_COMPLETED)
            for future in finished:
                if future is verdict:
                    continue
                task = running.pop(future)
                spooled: _Spool | None = None
                try:
                    results, stat, *rest = future.result()
                    spooled = rest[0] if rest else None
                except (BrokenProcessPool, OSError, RuntimeError) as exc:  # a worker died (memory?)
                    results = [_failed(job, exc, "worker process died") for job in task]
                    stat = TaskStats(0.0, 0.0, 0)
                stats.append(stat)
                if spooled is not None:
                    held.append(spooled)
                done(results)
        return verdict.result() if verdict is not None else (0.0, 0.0)
    finally:
        if spool_dir is not None:
            shutil.rmtree(spool_dir, ignore_errors=True)


def _verdict_in_background(config: BatchConfig, jobs: Sequence[Job], verdict_file: str,
                           started: float) -> Future[tuple[float, float]]:
    """``write_verdict`` in a thread of this process; its future gives (CPU seconds, wall s after ``started``).
    When the verdict cannot be written, its folder is removed: the tasks stop waiting and check alone."""
    future: Future[tuple[float, float]] = Future()

    def write() -> None:
        try:
            cpu = write_verdict(config, jobs, verdict_file)
            future.set_result((cpu, time.perf_counter() - started))
        except Exception as exc:  # noqa: BLE001 - no verdict: the tasks stop waiting (folder gone) and check alone
            log.warning("cannot write the trail verdict %s: %r", verdict_file, exc)
            shutil.rmtree(os.path.dirname(verdict_file), ignore_errors=True)
            future.set_result((0.0, 0.0))

    # a daemon: a run interrupted (Ctrl-C) does not wait for it; its folder is then gone and it writes nothing
    threading.Thread(target=write, name="trail-verdict", daemon=True).start()
    return future


@dataclass(frozen=True)
class PrintedBook:
    """One document of a job printed by :func:`print_book`: its file name under an output folder,
    the document, the PDF and, unless a draft, the recorded edition (``layouts.publish.Published``)."""

    path: str
    kind: str
    document: BookDocument
    pdf: bytes
    published: Any = None


def print_book(session: Session, actor: Any, job: Job, *, private_key: Any = None, issued_on: dt.date | None = None,
               pdf_signer: Any = None, draft: bool = False) -> list[PrintedBook]:
    """Print one job's books in this process, through the batch's own steps (load, check, produce, record).

    The single-book ``sodientu print`` commands use it, the batch runs the same steps per task. A
    draft (``draft=True``) is rendered without codes and recorded nowhere; otherwise every document
    becomes a published edition recorded in ``session`` (the caller writes the file, then commits).
    """
    from layouts.publish import record_publication
    from records.services.context import today

    issued = issued_on or today()
    docs = _load(session, actor, job, issued)
    if draft:
        from layouts.render import render_document

        return [PrintedBook(d.path, d.file_kind, d.document, render_document(d.template, d.document.as_draft()))
                for d in docs]
    if private_key is None:
        raise ValidationError("In bản chính thức cần khóa ký của trường.", "print_book without a private key")
    _check(session, actor, private_key, docs)
    out = []
    for doc in docs:
        _produce(private_key, pdf_signer, doc, issued, float("inf"))
        published = record_publication(session, actor, doc.produced, scope=doc.scope)
        out.append(PrintedBook(doc.path, doc.file_kind, doc.document, published.pdf, published))
    return out


# --- in the worker -------------------------------------------------------------------------------


@dataclass
class _Worker:
    """Per-process state, made on the first task of a configuration."""

    key: tuple[str, str, str, str | None]
    read_engine: Engine
    write_engine: Engine
    private_key: Any
    actor: Any
    pdf_signer: Any = None


_STATE: _Worker | None = None
_TRIMS = 0  # Typst cache flushes in this process
_PARENT: int | None = None  # the process that started this pool worker (None: not a pool worker)


def _init_worker(nice: int = 0) -> None:
    """Import what printing needs (while the pool is idle); remember the parent (a killed run issues nothing)."""
    global _PARENT
    _PARENT = os.getppid()
    if nice > 0:
        try:
            os.nice(nice)
        except OSError as exc:  # not allowed here: the run goes on at the parent's priority
            log.warning("cannot lower the print workers' priority: %r", exc)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the run: the tasks under way finish and commit
    # A killed parent leaves the pool's queues open (each worker holds a write end): exit instead of
    # waiting forever. Safe at any point: an uncommitted task rolls back, a committed one is journaled.
    threading.Thread(target=_exit_with_parent, args=(_PARENT,), name="parent-watch", daemon=True).start()
    import layouts.markbook
    import layouts.publish
    import layouts.register
    import layouts.transcript  # noqa: F401
    import records.books.markbook  # noqa: F401


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def _warm_up(pause: float) -> TaskStats:
    """Create the Compiler, the glyph and QR tables; the pause lets every worker take one warm-up."""
    from layouts import render
    from signing.qr import qr_svg

    render._compiler()
    render.covered_codepoints()
    render._template_chars(str(render.TEMPLATES_DIR))
    for n in (110, 160, 190, 230):  # the QR versions of mark-book and transcript codes
        qr_svg("A" * n)
    time.sleep(pause)
    return _stats()


def _stats() -> TaskStats:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return TaskStats(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, os.getpid(), _TRIMS, _WAITED)


def _parent_issue_listeners() -> tuple[str, ...]:
    from layouts.publish import issue_listeners

    return issue_listeners()


def _worker(config: BatchConfig) -> _Worker:
    global _STATE
    from layouts.publish import add_issue_listener

    for target in config.issue_listeners:
        add_issue_listener(target)
    key = (config.db_url, config.key_file, config.username, config.p12_file)
    if _STATE is not None and _STATE.key == key:
        return _STATE
    from records.db import make_engine
    from records.permissions import Actor
    from signing.keys import load_private_key

    if _STATE is not None:
        _STATE.read_engine.dispose()
        _STATE.write_engine.dispose()
    read_engine = make_engine(config.db_url, read_only=True)
    write_engine = make_engine(config.db_url)
    private_key = load_private_key(config.key_file, config.passphrase)
    with Session(read_engine) as session:
        actor = Actor.by_username(session, config.username)
    signer = None
    if config.p12_file:
        from signing.pdfsign import load_p12

        signer = load_p12(Path(config.p12_file).read_bytes(), config.passphrase)
    _STATE = _Worker(key, read_engine, write_engine, private_key, actor, signer)
    return _STATE


@dataclass
class _Doc:
    """One document of a job on its way to a file."""

    job: Job
    file_kind: str
    path: str
    template: str
    document: BookDocument
    scope: Any
    school_year: str | None = None
    class_name: str | None = None
    student_code: str | None = None
    date_of_birth: dt.date | None = None  # transcripts: the facts in the codes
    edition_kind: Any = None  # records.models.EditionKind, set by the check
    produced: Any = None
    published: Any = None
    tmp: Path | None = None  # the PDF written before the commit (``_write_tmp``)
    timings: dict[str, float] = field(default_factory=dict)


def _run_task(config: BatchConfig, jobs: tuple[Job, ...],
              verdict_file: str | None = None) -> tuple[list[JobOutcome], TaskStats]:
    """Read, produce, record and write the jobs of one task; one outcome per job.

    ``verdict_file``: where the run's trail check (``write_verdict``, in the parent) leaves its verdict;
    the task then compares the values its books read with the verified ones (step 2b of the module
    docstring) instead of replaying the trail (waiting for the verdict if it is not written yet).
    """
    profile_dir = os.environ.get("SODIENTU_TASK_PROFILE")  # benchmarks: a cProfile of every task, in this folder
    if profile_dir and not _PROFILING:
        return _profiled(profile_dir, _run_task, config, jobs, verdict_file)
    made = _produce_task(config, jobs, verdict_file)
    if not isinstance(made, _Pending):
        return made, _stats()
    return _finish_task(config, made, verdict_file), _stats()


def _start_task(config: BatchConfig, jobs: tuple[Job, ...], verdict_file: str | None,
                spool_dir: str | None) -> tuple[list[JobOutcome], TaskStats, _Spool | None]:
    """A pool worker's call for a task: ``_run_task``, except that a task produced before the run's verdict is
    written is not held in the worker waiting for it: its produced books are spooled to a file in ``spool_dir``
    (``_spool``) and the worker is free for its next task; the parent hands the spool to ``_finish_spooled`` once
    the verdict is written (step 2b then runs as in ``_run_task``). Returns (outcomes, stats, spool): the outcomes
    of the task when it was finished here, none when it was spooled."""
    profile_dir = os.environ.get("SODIENTU_TASK_PROFILE")
    if profile_dir and not _PROFILING:
        return _profiled(profile_dir, _start_task, config, jobs, verdict_file, spool_dir)
    made = _produce_task(config, jobs, verdict_file)
    if not isinstance(made, _Pending):
        return made, _stats(), None
    if verdict_file is not None and spool_dir is not None and made.ready and not _verdict_ready(verdict_file):
        try:
            return [], _stats(), _spool(made, spool_dir)
        except Exception:  # no spool (disk full?): the task waits for the verdict here, as before
            log.warning("cannot spool a produced task to %s: it waits for the trail verdict", spool_dir,
                        exc_info=True)
    return _finish_task(config, made, verdict_file), _stats(), None


def _finish_spooled(config: BatchConfig, spool: _Spool, verdict_file: str | None) -> tuple[list[JobOutcome],
                                                                                          TaskStats]:
    """Steps 2b and 3 of a spooled task (``_start_task``), in whichever worker the parent hands it to once the
    run's verdict is written: its books are confirmed against the verdict, recorded and written as in
    ``_run_task``; one outcome per job of the task."""
    started = time.process_time()
    try:
        pending = _unspool(spool)
    except Exception as exc:  # noqa: BLE001 - nothing of the task was recorded: its jobs fail
        return [_failed(job, exc, "spooled task unreadable") for job in spool.jobs], _stats()
    pending.cpu += time.process_time() - started
    return _finish_task(config, pending, verdict_file), _stats()


@dataclass
class _Pending:
    """A task read and produced, not yet confirmed against the trail nor recorded (steps 2b and 3 to come)."""

    jobs: tuple[Job, ...]
    errors: dict[Job, tuple[str, str, str | None]]
    ready: list[_Doc]  # the books produced
    printed: dict[Job, dict[int, bytes]]  # per job, the digests of the values its books read (step 2b)
    counted: float  # CPU seconds in the timings of the task's books that are not in ``ready``
    cpu: float  # CPU seconds of the task so far


@dataclass(frozen=True)
class _Spool:
    """A produced task in a file (``_spool``): the parent keeps its digest, so that no other file is taken for it."""

    path: str
    sha256: str
    jobs: tuple[Job, ...]


#: Tasks a run lets its workers spool (``_start_task``) per worker while its verdict is pending; beyond, the
#: parent hands out no more tasks until the verdict is written (the workers' disk use stays bounded).
SPOOL_TASKS = 4


def _spool(pending: _Pending, spool_dir: str) -> _Spool:
    """Write a produced task to a new file of ``spool_dir`` (private to the run: ``tempfile.mkdtemp``) and drop it
    from memory: its PDFs, editions and digests, nothing else (the compiled documents were dumped if asked)."""
    import pickle
    from dataclasses import replace

    t0 = time.process_time()
    for doc in pending.ready:
        doc.produced = replace(doc.produced, rendered=None)
    pending.cpu += time.process_time() - t0
    data = pickle.dumps(pending, protocol=pickle.HIGHEST_PROTOCOL)  # a task's PDFs: 0.1-2 MB
    fd, path = tempfile.mkstemp(prefix="task-", suffix=".spool", dir=spool_dir)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    return _Spool(path, hashlib.sha256(data).hexdigest(), pending.jobs)


def _unspool(spool: _Spool) -> _Pending:
    """The task of a spool file (deleted), refused unless its digest is the one its worker gave the parent."""
    import hmac
    import pickle

    data = Path(spool.path).read_bytes()
    Path(spool.path).unlink(missing_ok=True)
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), spool.sha256):
        raise RuntimeError(f"the spooled task {spool.path} was changed")
    pending = pickle.loads(data)
    if not isinstance(pending, _Pending) or pending.jobs != spool.jobs:
        raise RuntimeError(f"the spooled task {spool.path} is not the task's")
    return pending


def _verdict_ready(path: str) -> bool:
    """Whether the run's verdict can be read without waiting (written, or its folder gone: no verdict)."""
    return path in _VERDICTS or os.path.exists(path) or not os.path.isdir(os.path.dirname(path))


def _produce_task(config: BatchConfig, jobs: tuple[Job, ...],
                  verdict_file: str | None) -> _Pending | list[JobOutcome]:
    """Steps 1 and 2 of a task: read, check, produce; the task's outcomes when the worker cannot start."""
    from layouts.render import query_seconds, set_dump_dir

    task_started = time.process_time()
    if config.dump_dir is not None:
        set_dump_dir(config.dump_dir)
    errors: dict[Job, tuple[str, str, str | None]] = {}
    docs: list[_Doc] = []
    try:
        state = _worker(config) if jobs else None
    except Exception as exc:  # noqa: BLE001 - reported for every job of the task
        return [_failed(job, exc, "worker set-up failed") for job in jobs]
    assert state is not None or not jobs
    if state is None:
        return []
    issued = config.issued_on or dt.date.today()

    # 1. read: inputs, documents, rights and key (short read transaction)
    with Session(state.read_engine) as session:
        _repeatable_read(session)  # the values compared with the verdict are those the books read
        t0 = time.process_time()
        students = _prefetch_students(session, state.actor, jobs)
        measured = query_seconds()
        prefetched = _prefetch_measurements(jobs, students)  # the task's measuring pass, one compile
        prefetch_share = (time.process_time() - t0 - (query_seconds() - measured)) / max(1, len(students))
        loaded: dict[Job, list[_Doc]] = {}
        for job in jobs:
            t0 = time.process_time() - (prefetch_share if job.kind == TRANSCRIPT else 0.0)
            measured = query_seconds()
            try:
                job_docs = _load(session, state.actor, job, issued, students)
            except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
                session.rollback()
                errors[job] = _messages(job, exc)
                continue
            measure = query_seconds() - measured  # Typst's measuring passes (page plans), inside the load
            share = (time.process_time() - t0 - measure) / max(1, len(job_docs))
            measure += prefetched.get(job, 0.0)
            for doc in job_docs:
                doc.timings["load"] = share
                doc.timings["measure"] = measure / len(job_docs)
            loaded[job] = job_docs
        t0 = time.process_time()
        printed: dict[Job, dict[int, bytes]] = {}
        if verdict_file is not None:
            # the digests of the values these books read (this transaction); compared with the run's verdict
            # once it is there, before anything is recorded (``_confirm_traced``): the books are produced meanwhile
            printed = _printed_digests(session, loaded)
            untraced: set[Job] = set()
        else:
            together = _traced_together(session, jobs, loaded, state.private_key)
            untraced = set() if together else set(loaded)
        rights = _print_rights(session, state.actor, loaded)
        for job, job_docs in loaded.items():
            try:
                _check(session, state.actor, state.private_key, job_docs, traced=job not in untraced, rights=rights)
            except Exception as exc:  # noqa: BLE001
                session.rollback()
                errors[job] = _messages(job, exc)
                continue
            docs.extend(job_docs)
        share = (time.process_time() - t0) / max(1, len(docs))
        for doc in docs:
            doc.timings["check"] = share
        session.rollback()  # nothing to keep: end the read transaction

    # 2. produce (no database): the books of a batch template in one compile each group (``_produce_group``)
    ready: list[_Doc] = []
    for group in _produce_groups([doc for doc in docs if doc.job not in errors]):
        if len(group) > 1:
            for doc, failure in _produce_group(state.private_key, state.pdf_signer, group, issued,
                                               config.cache_limit_mb, config.dump_dir, config.cache_growth_mb,
                                               config.release_limit_mb):
                if failure is None:
                    ready.append(doc)
                else:
                    _add_error(errors, doc.job, failure)
            continue
        doc = group[0]
        try:
            _produce(state.private_key, state.pdf_signer, doc, issued, config.cache_limit_mb, config.dump_dir,
                     config.cache_growth_mb, config.release_limit_mb)
            ready.append(doc)
        except Exception as exc:  # noqa: BLE001
            _add_error(errors, doc.job, exc)
    kept = {id(doc) for doc in ready}
    counted = sum(sum(doc.timings.values()) for job_docs in loaded.values() for doc in job_docs
                  if id(doc) not in kept)
    return _Pending(jobs, errors, ready, printed, counted, time.process_time() - task_started)


def _finish_task(config: BatchConfig, pending: _Pending, verdict_file: str | None) -> list[JobOutcome]:
    """Steps 2b and 3 of a produced task: confirm its books against the run's verdict (waiting for it),
    record, write; one outcome per job."""
    task_started = time.process_time()
    jobs, errors, ready, printed = pending.jobs, pending.errors, pending.ready, pending.printed
    try:
        state = _worker(config)
    except Exception as exc:  # noqa: BLE001 - nothing recorded: every job of the task fails
        return [_failed(job, exc, "worker set-up failed") for job in jobs]

    # 2b. the trail: the values each book printed are the run's verified ones (else checked now, named)
    if verdict_file is not None and ready:
        t0 = time.process_time()
        for job, refused in _confirm_traced(state, verdict_file, printed, {doc.job for doc in ready}).items():
            _add_error(errors, job, refused)
        ready = [doc for doc in ready if doc.job not in errors]
        share = (time.process_time() - t0) / max(1, len(ready))
        for doc in ready:
            doc.timings["check"] = doc.timings.get("check", 0.0) + share

    # 3. record (short write transaction: the task's editions in bulk), then write the files
    recorded: list[_Doc] = []
    if ready:
        try:
            with Session(state.write_engine, expire_on_commit=False) as session:
                recorded = _record(session, state.actor, config, ready, errors)
                if config.journal and recorded:  # before the commit: a committed edition is always journaled
                    from layouts.printrun import journal_editions

                    journal_editions(config.out_dir, [(doc.job, _printed(doc), doc.tmp) for doc in recorded])
                if _PARENT is not None and os.getppid() != _PARENT:  # the run was killed: issue nothing more
                    raise RuntimeError("the printing process is gone; editions not committed")
                session.commit()
        except Exception as exc:  # noqa: BLE001 - the commit failed: nothing of this task was recorded
            for doc in recorded:
                _add_error(errors, doc.job, exc)
                if doc.tmp is not None:
                    doc.tmp.unlink(missing_ok=True)
            recorded = []
    files: dict[Job, list[PrintedFile]] = {}
    for doc in recorded:
        try:
            files.setdefault(doc.job, []).append(_write(config, doc))
        except Exception as exc:  # noqa: BLE001
            _add_error(errors, doc.job, exc)
    _task_share(files, pending.cpu + time.process_time() - task_started - pending.counted
                - sum(sum(doc.timings.values()) for doc in pending.ready))
    outcomes = []
    for job in jobs:
        vi, en, tb = errors.get(job, (None, None, None))
        outcomes.append(JobOutcome(job, tuple(files.get(job, ())), vi, en, tb))
    return outcomes


def _task_share(files: dict[Job, list[PrintedFile]], rest: float) -> None:
    """Share the task's CPU seconds that no step counted (worker set-up, commit, ...) out to its files: the step
    ``task``, so that the steps of a run's files add up to its tasks' CPU."""
    from dataclasses import replace

    n = sum(len(job_files) for job_files in files.values())
    for job_files in files.values():
        job_files[:] = [replace(f, timings=(*f.timings, ("task", rest / n))) for f in job_files]


_PROFILING = False  # a task call of this process runs under cProfile (``_profiled``)


def _profiled(folder: str, call: Callable[..., Any], *args: Any) -> Any:
    """A task call (``_run_task``, ``_start_task``) under cProfile, its statistics written to ``folder``
    (``SODIENTU_TASK_PROFILE``: benchmarks)."""
    import cProfile

    global _PROFILING
    profiler = cProfile.Profile(time.process_time)
    _PROFILING = True
    try:
        return profiler.runcall(call, *args)
    finally:
        _PROFILING = False
        Path(folder).mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(Path(folder) / f"task.{os.getpid()}.{time.perf_counter_ns()}.prof"))


def _prefetch_students(session: Session, actor: Any, jobs: Sequence[Job]) -> dict[str, tuple[Any, int | None, int]]:
    """Transcript inputs, student and school ids of the task's students, read together."""
    from records.books.owners import student_owners
    from records.books.transcript import read_transcripts

    codes = [str(job.ids[0]) for job in jobs if job.kind == TRANSCRIPT and job.ids]
    if not codes:
        return {}
    try:
        inputs = read_transcripts(session, actor, codes)
        owners = student_owners(session, codes)
    except Exception:
        log.debug("prefetching transcripts failed", exc_info=True)
        session.rollback()
        return {}
    return {code: (inp, owners[code].student_id, owners[code].school_id)
            for code, inp in inputs.items() if code in owners}


def _prefetch_measurements(jobs: Sequence[Job], students: dict[str, tuple[Any, int | None, int]]) -> dict[Job, float]:
    """Measure the flows of every transcript the task builds in one measuring compile, before the builds
    (which then find them remembered: ``layouts.transcript.prefetch_measurements``); the CPU seconds of
    that compile shared out to the jobs by the flows each had measured. Never needed: a flow missed
    here (the prefetch failed, a job's options are wrong) is measured by its build, as without it."""
    from layouts.render import query_seconds
    from layouts.transcript import prefetch_measurements, transcript_flows

    owners: list[Job] = []
    flows = []
    for job in jobs:
        prefetched = students.get(str(job.ids[0])) if job.kind == TRANSCRIPT and job.ids else None
        if prefetched is None:
            continue
        inp, year = prefetched[0], job.option("year")
        duplex, copy = bool(job.option("duplex", False)), bool(job.option("copy", False))
        try:  # the flows of the builds of _transcript_docs
            found = [*(transcript_flows(inp, year=year, duplex=duplex, copy=copy) if year else []),
                     *(transcript_flows(inp, volume=True, duplex=duplex, copy=copy) if job.option("volume") else [])]
        except Exception:  # its build reports it
            log.debug("no flows to prefetch for %s", job.title, exc_info=True)
            continue
        owners += [job] * len(found)
        flows += found
    if not flows:
        return {}
    started = query_seconds()
    try:
        measured = prefetch_measurements(flows)
    except Exception:  # each build measures its own flows (and reports what fails)
        log.debug("prefetching the task's measurements failed", exc_info=True)
        return {}
    cpu = query_seconds() - started
    shares: dict[Job, float] = {}
    for job, new in zip(owners, measured, strict=True):
        shares[job] = shares.get(job, 0.0) + (cpu / max(1, sum(measured)) if new else 0.0)
    return shares


def _load(session: Session, actor: Any, job: Job, issued: dt.date,
          students: dict[str, tuple[Any, int | None, int]] | None = None) -> list[_Doc]:
    """The documents of a job, built from what the records' read services give the actor."""
    if job.kind == MARKBOOK:
        return [_markbook_doc(session, actor, job)]
    if job.kind == TRANSCRIPT:
        return _transcript_docs(session, actor, job, (students or {}).get(str(job.ids[0])))
    if job.kind == REGISTER:
        return [_register_doc(session, actor, job, issued)]
    raise ValidationError(f"Không biết in loại sổ «{job.kind}».", f"unknown job kind {job.kind!r}")


def _markbook_doc(session: Session, actor: Any, job: Job) -> _Doc:
    from layouts.markbook import PrintOptions, build_markbook
    from layouts.publish import Scope
    from records.books.markbook import read_markbook
    from records.books.owners import class_owner

    class_id = int(job.ids[0])
    owner = class_owner(session, class_id)
    name, start = owner.class_name, owner.start_year
    plan = job.option("plan")
    opts = PrintOptions(paper=job.option("paper", "a4"), duplex=bool(job.option("duplex", False)),
                        part=job.option("part", "all"), plan=dict(plan) if plan else None)
    document = build_markbook(read_markbook(session, actor, class_id), opts)
    year = f"{start}-{start + 1}"  # type: ignore[operator]
    suffix = "" if opts.part == "all" else f"-{opts.part}"
    return _Doc(job, FILE_MARKBOOK, f"{FOLDERS[FILE_MARKBOOK]}/{year}/{_safe(name)}{suffix}.pdf", "markbook",
                document, Scope(owner.school_id, class_id=class_id, school_year_id=owner.school_year_id), year, name)


def _transcript_docs(session: Session, actor: Any, job: Job,
                     prefetched: tuple[Any, int | None, int] | None = None) -> list[_Doc]:
    from layouts.publish import Scope
    from layouts.transcript import build_transcript
    from records.books.owners import school_year_id, student_owner
    from records.books.transcript import read_transcript

    code = str(job.ids[0])
    year = job.option("year")
    volume = bool(job.option("volume", False))
    duplex = bool(job.option("duplex", False))
    copy = bool(job.option("copy", False))
    if prefetched is not None:
        inp, student_id, school_id = prefetched
    else:
        inp = read_transcript(session, actor, code)
        owner = student_owner(session, code)
        student_id, school_id = owner.student_id, owner.school_id
    if not inp.years:
        raise NotFoundError(f"Học sinh {inp.identity.full_name} chưa có năm học nào để in học bạ.",
                            f"student {code} has no enrolment")
    docs = []
    if year:
        document = build_transcript(inp, year=year, duplex=duplex, copy=copy)
        start = int(str(year).split("-")[0])
        year_id = school_year_id(session, school_id, start)
        name = f"{start}-{start + 1}"
        docs.append(_Doc(job, FILE_TRANSCRIPT, f"{FOLDERS[FILE_TRANSCRIPT]}/{name}/{_safe(code)}.pdf", "transcript",
                         document, Scope(school_id, student_id=student_id, school_year_id=year_id), name,
                         document.book.class_name, code, inp.identity.date_of_birth))
    if volume:
        document = build_transcript(inp, volume=True, duplex=duplex, copy=copy)
        docs.append(_Doc(job, FILE_VOLUME, f"{FOLDERS[FILE_VOLUME]}/{_safe(code)}.pdf", "transcript", document,
                         Scope(school_id, student_id=student_id), document.book.year, document.book.class_name,
                         code, inp.identity.date_of_birth))
    if not docs:
        raise ValidationError("Chưa chọn in gì: một năm học hoặc cả quyển.", f"transcript job {code} prints nothing")
    return docs


def _register_doc(session: Session, actor: Any, job: Job, issued: dt.date) -> _Doc:
    from layouts.publish import Scope
    from layouts.register import build_register
    from records.books.register import read_register, register_school

    course = str(job.ids[0])
    school = register_school(session, course, job.option("school_code"))
    inp = read_register(session, actor, course, school_code=school.code, printed_on=issued)
    # the course tells the registers of a school apart (a new print supersedes that course's only)
    return _Doc(job, FILE_REGISTER, f"{FOLDERS[FILE_REGISTER]}/{_safe(inp.course)}.pdf", "register",
                build_register(inp, paper=job.option("paper", "a3"), duplex=bool(job.option("duplex", False))),
                Scope(school.id, part=inp.course), inp.course)


def _print_rights(session: Session, actor: Any, loaded: dict[Job, list[_Doc]]) -> Any:
    """The print rights of the task's books in its read transaction (``editions.PrintRights``: its students
    read at once, a student's two books — year and volume — and the key decided once)."""
    from records.services.editions import PrintRights

    students = [doc.scope.student_id for docs in loaded.values() for doc in docs
                if doc.scope.class_id is None and doc.scope.student_id is not None]
    return PrintRights(session, actor, students)


def _check(session: Session, actor: Any, private_key: Any, docs: list[_Doc], *, traced: bool = False,
           rights: Any = None) -> None:
    from layouts.publish import check_publication

    for doc in docs:
        doc.edition_kind = check_publication(session, actor, doc.document, scope=doc.scope, private_key=private_key,
                                             traced=traced, rights=rights)


def _repeatable_read(session: Session) -> None:
    """One snapshot for the whole read transaction (PostgreSQL; SQLite's read transaction already is one)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def run_enrolments(session: Session, jobs: Sequence[Job]) -> set[int]:
    """The enrolments whose values the jobs' books print (their scopes' enrolments), read in bulk."""
    from records.books.register import register_school
    from records.services import trail

    classes = [int(j.ids[0]) for j in jobs if j.kind == MARKBOOK and j.ids]
    codes = [str(j.ids[0]) for j in jobs if j.kind == TRANSCRIPT and j.ids]
    ids = trail.enrolments_of_books(session, class_ids=classes, student_codes=codes)
    for job in jobs:
        if job.kind == REGISTER and job.ids:
            try:
                school = register_school(session, str(job.ids[0]), job.option("school_code"))
            except SodientuError:
                continue  # the job fails with its own message
            ids.update(trail.enrolments_of(session, school_id=school.id, course=str(job.ids[0]).strip()))
    return ids


def write_verdict(config: BatchConfig, jobs: Sequence[Job], path: str) -> float:
    """Check the values of every book of the run against the trail once (one replay, one bulk read) and
    leave the signed verdict at ``path`` for the tasks; returns the CPU seconds it took (of its thread: a run
    writes it in a thread of its own, ``_verdict_in_background``).

    On any failure the file says so and every task checks its books itself, as without a verdict. The tasks
    wait for the file: what only later processes need (the trail snapshot, ``trail_cache``) is written after it,
    in the same read transaction, and the replay is dropped after it too.
    """
    from layouts.render import release_free_memory
    from records.db import make_engine
    from records.services import trail
    from signing.keys import TrailCacheSigner, load_private_key

    t0 = time.thread_time()
    signer = None
    engine = None
    written = False
    try:
        signer = TrailCacheSigner(load_private_key(config.key_file, config.passphrase))
        engine = make_engine(config.db_url, read_only=True)
        with Session(engine) as session:
            _repeatable_read(session)
            later: list[Any] = []
            verdict = trail.verify_enrolments(session, run_enrolments(session, jobs), signer=signer, later=later)
            _write_verdict_file(path, {"verdict": 1, "digests": {str(k): v.hex() for k, v in verdict.digests.items()},
                                       "failed": sorted(verdict.failed)}, signer)
            written = True
            del verdict
            try:  # a cache for later processes (a single «sodientu print»): never fails the run
                trail.save_snapshots(session, signer, later)
            except Exception as exc:  # noqa: BLE001
                log.warning("cannot write the trail snapshot (%r)", exc)
            finally:
                later.clear()  # the replay: freed with the process's copy below
    except Exception as exc:  # noqa: BLE001 - the tasks then check alone (and report the error per book)
        if written:  # the verdict is out: what failed after it was for later processes only
            log.warning("after the run's trail verdict: %r", exc)
        else:
            log.warning("the run's trail check failed (%r): each task checks its books", exc)
            _write_verdict_file(path, {"verdict": 1, "error": repr(exc)}, signer)
    finally:
        if engine is not None:
            engine.dispose()
        trail.forget()  # the replay (~90 MB on the 600-student school) is not needed for the rest of the run
        release_free_memory()
    return time.thread_time() - t0


def _write_verdict_file(path: str, payload: dict[str, Any], signer: Any) -> None:
    """The signed verdict, put in place at once (the tasks wait for the file to appear)."""
    import json

    body = json.dumps(payload, separators=(",", ":")).encode()
    signature = signer.sign(body) if signer is not None else b""
    tmp = Path(path).with_suffix(".tmp")
    tmp.write_bytes(signature.hex().encode() + b"\n" + body)
    tmp.replace(path)


_VERDICTS: dict[str, Any] = {}  # verdict file -> trail.Verdict (None: unusable), per process
_WAITED = 0.0  # wall seconds this process has waited for verdicts (``TaskStats.verdict_wait``)


def _read_verdict(path: str, private_key: Any, wait: float = 900.0) -> Any:
    """The run's verdict (waiting for the parent to write it), or None when it cannot be used."""
    import json

    from records.services import trail
    from signing.keys import TrailCacheSigner

    if path in _VERDICTS:
        return _VERDICTS[path]
    global _WAITED
    if _VERDICTS:  # an earlier run's verdict: one run at a time per worker, and this run's waits only counted
        _VERDICTS.clear()
        _WAITED = 0.0
    started = time.monotonic()
    deadline = started + wait
    try:
        while not _verdict_ready(path) and time.monotonic() <= deadline:
            time.sleep(0.02)
    finally:
        _WAITED += time.monotonic() - started
    if not os.path.exists(path):  # the run is gone (its folder removed), or the wait ran out
        log.warning("no trail verdict at %s after %.0f s: each task checks its books", path, wait)
        return None
    verdict = None
    try:
        head, _, body = Path(path).read_bytes().partition(b"\n")
        if TrailCacheSigner(private_key).verify(body, bytes.fromhex(head.decode())):
            payload = json.loads(body)
            if payload.get("verdict") == 1 and "error" not in payload:
                verdict = trail.Verdict({int(k): bytes.fromhex(v) for k, v in payload["digests"].items()},
                                        frozenset(payload["failed"]))
        else:
            log.warning("the trail verdict %s does not verify: each task checks its books", path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("unreadable trail verdict %s (%r): each task checks its books", path, exc)
    _VERDICTS[path] = verdict
    return verdict


def _printed_digests(session: Session, docs: dict[Job, list[_Doc]]) -> dict[Job, dict[int, bytes]]:
    """Per job, the digest of the stored values its books print (``trail.PRINTED_TABLES`` of its kind: a
    register reads the year's results only, a transcript no mark) of each enrolment of its scope, read in the
    transaction the books were read in (one bulk read per kind of book in the task)."""
    from records.services import trail

    scopes = [doc.scope for job_docs in docs.values() for doc in job_docs]
    of_scope = dict(zip(map(id, scopes), _scopes_enrolments(session, scopes), strict=True))
    by_job = {job: {e for doc in job_docs for e in of_scope[id(doc.scope)]} for job, job_docs in docs.items()}
    out: dict[Job, dict[int, bytes]] = {}
    for kind in {job.kind for job in by_job}:
        jobs = [job for job in by_job if job.kind == kind]
        digests = trail.stored_digests(session, set().union(*(by_job[job] for job in jobs)),
                                       trail.PRINTED_TABLES.get(kind, trail.TABLES))
        out.update({job: {e: digests[e] for e in by_job[job]} for job in jobs})
    return out


def _scopes_enrolments(session: Session, scopes: Sequence[Any]) -> list[set[int]]:
    """Per scope, its enrolments (``publish.scope_enrolments``): those of the classes, and of the students, of the
    task read in one query each (was one query per book); a course's (a register) as ``scope_enrolments``."""
    from layouts.publish import scope_enrolments
    from records.services import trail

    found = trail.enrolments_by_owner(
        session, class_ids=sorted({s.class_id for s in scopes if s.class_id is not None}),
        student_ids=sorted({s.student_id for s in scopes if s.class_id is None and s.student_id is not None}))
    out = []
    for scope in scopes:
        if scope.class_id is not None:
            out.append(found.get(("class", scope.class_id), set()))
        elif scope.student_id is not None:
            out.append(found.get(("student", scope.student_id), set()))
        else:
            out.append(set(scope_enrolments(session, scope)))
    return out


def _confirm_traced(state: _Worker, verdict_file: str, printed: dict[Job, dict[int, bytes]],
                    jobs: set[Job]) -> dict[Job, Exception]:
    """The jobs whose printed values are not the trail's. A job whose digests are those of the run's verdict
    passes; any other (a value changed after the run's check, a failed or missing verdict) is checked now
    (``trail.confirm_printed``: the mismatch named, or the values changed while printing)."""
    from records.services import trail
    from signing.keys import TrailCacheSigner

    verdict = _read_verdict(verdict_file, state.private_key)
    tables = {job: trail.PRINTED_TABLES.get(job.kind, trail.TABLES) for job in jobs}
    doubtful = [job for job in jobs if verdict is None
                or any(verdict.of(e, tables[job]) != d for e, d in printed.get(job, {}).items())]
    if not doubtful:
        return {}
    errors: dict[Job, Exception] = {}
    signer = TrailCacheSigner(state.private_key)
    with Session(state.read_engine) as session:
        _repeatable_read(session)
        for job in doubtful:
            try:
                trail.confirm_printed(session, printed.get(job, {}), tables=tables[job], signer=signer)
            except Exception as exc:  # noqa: BLE001 - reported for that job only
                session.rollback()
                _repeatable_read(session)
                errors[job] = exc
        session.rollback()
    return errors


def _traced_together(session: Session, jobs: Sequence[Job], docs: dict[Job, list[_Doc]], private_key: Any) -> bool:
    """Check the values of all the task's books against the trail at once (True: all match)."""
    from layouts.publish import require_traced_scopes
    from records.errors import IntegrityError

    scopes = [doc.scope for job in jobs for doc in docs.get(job, ())]
    if len(scopes) < 2:
        return False
    try:
        require_traced_scopes(session, scopes, private_key)
    except IntegrityError:
        session.rollback()
        return False  # some book differs from the trail: each is checked alone, to fail that one only
    return True


def _produce(private_key: Any, pdf_signer: Any, doc: _Doc, issued: dt.date, cache_limit_mb: float,
             dump_dir: str | None = None, cache_growth_mb: float = 0.0, release_limit_mb: float = 0.0) -> None:
    from layouts.publish import produce, transcript_facts

    document = doc.document
    facts = transcript_facts(document, doc.date_of_birth) if doc.date_of_birth is not None else None
    doc.produced = produce(document, template=doc.template, kind=doc.edition_kind,
                           private_key=private_key, issued_on=issued, facts=facts,
                           pdf_signer=pdf_signer, copy=bool(doc.job.option("copy", False)))
    _take_timings(doc)
    if dump_dir is not None and doc.produced.rendered is not None:
        t0 = time.process_time()
        _dump(dump_dir, doc)
        doc.timings["dump"] = time.process_time() - t0
    # after every book, not only big ones: the layouts of the last 10 small books (a volume: 10 pages)
    # kept 300-400 MB more per worker (bench/README.md, "Memory")
    doc.timings["flush"] = _trim(cache_limit_mb, cache_growth_mb, release_limit_mb)


def _trim(cache_limit_mb: float, cache_growth_mb: float, release_limit_mb: float = 0.0) -> float:
    """Flush Typst's cache when this worker holds too much (``render.trim_cache``), counting the flushes;
    the CPU seconds it took (the step ``flush``)."""
    from layouts.render import trim_cache

    t0 = time.process_time()
    if trim_cache(cache_limit_mb, cache_growth_mb, release_limit_mb):
        global _TRIMS
        _TRIMS += 1
    return time.process_time() - t0


def _take_timings(doc: _Doc) -> None:
    """The produce steps' CPU seconds of a produced book, into its timings."""
    t = doc.produced.timings
    doc.timings.update(sign_qr=t.sign_qr, render=t.render, text_and_manifest=t.text_and_manifest, attach=t.attach,
                       pdf_signature=t.pdf_signature)


def _record(session: Session, actor: Any, config: BatchConfig, ready: list[_Doc],
            errors: dict[Job, tuple[str, str, str | None]]) -> list[_Doc]:
    """Record the task's editions in one bulk step (``record_publications``), each PDF written under its
    temporary name first (a failed write records nothing of it); if the bulk step fails, each edition
    is recorded alone in a savepoint, so that only the failing one is reported."""
    from layouts.publish import Published, record_publication, record_publications

    t0 = time.process_time()
    written: list[_Doc] = []
    for doc in ready:
        try:
            doc.tmp = _write_tmp(config, doc)
            written.append(doc)
        except Exception as exc:  # noqa: BLE001
            _add_error(errors, doc.job, exc)
    recorded: list[_Doc] = []
    try:
        with session.begin_nested():
            results = record_publications(session, actor, [(doc.produced, doc.scope) for doc in written])
    except Exception:
        log.debug("bulk recording failed; recording one by one", exc_info=True)
        results = []
        for doc in written:
            try:
                with session.begin_nested():
                    results.append(record_publication(session, actor, doc.produced, scope=doc.scope))
            except Exception as exc:  # noqa: BLE001
                results.append(exc)
    for doc, result in zip(written, results, strict=True):
        if isinstance(result, Published):
            doc.published = result
            recorded.append(doc)
        else:
            _add_error(errors, doc.job, result)
            if doc.tmp is not None:
                doc.tmp.unlink(missing_ok=True)
    share = (time.process_time() - t0) / max(1, len(ready))
    for doc in ready:
        doc.timings["record"] = share
    return recorded


def _write_tmp(config: BatchConfig, doc: _Doc) -> Path:
    """Write the PDF beside its target under a temporary name (before the edition commits)."""
    target = Path(config.out_dir) / doc.path
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(doc.produced.pdf)
    return tmp


def _write(config: BatchConfig, doc: _Doc) -> PrintedFile:
    """Put the PDF written before the commit in place (atomically) and describe it."""
    t0 = time.process_time()
    target = Path(config.out_dir) / doc.path
    tmp = doc.tmp if doc.tmp is not None else _write_tmp(config, doc)
    tmp.replace(target)
    doc.timings["write"] = time.process_time() - t0
    return _printed(doc)


#: Pages of one batch compile at most (a task of 8 grade-9 students: 8 years and 8 volumes, ~100 pages, took
#: ~85 MB more per worker at its peak than groups of this size, for little more saved: bench/README.md).
BATCH_PAGES = 40


def _produce_groups(docs: list[_Doc], max_pages: int = BATCH_PAGES) -> list[list[_Doc]]:
    """The task's documents in produce groups: the books of a template with a batch entry
    (``render.BATCH_TEMPLATES``: transcripts) together, in order, up to ``max_pages`` pages a group;
    every other book alone."""
    from layouts.render import BATCH_TEMPLATES

    groups: dict[str, list[_Doc]] = {}
    out: list[list[_Doc]] = []
    for doc in docs:
        if doc.template in BATCH_TEMPLATES:
            group = groups.get(doc.template)
            if group is None or (group and sum(len(d.document.pages) for d in group) + len(doc.document.pages)
                                 > max_pages):
                group = groups[doc.template] = []
                out.append(group)
            group.append(doc)
        else:
            out.append([doc])
    return out


def _produce_group(private_key: Any, pdf_signer: Any, group: list[_Doc], issued: dt.date, cache_limit_mb: float,
                   dump_dir: str | None = None, cache_growth_mb: float = 0.0,
                   release_limit_mb: float = 0.0) -> list[tuple[_Doc, Exception | None]]:
    """Produce books of one template in ONE compile (``publish.produce_many``; layouts/README.md, D-BATCH-1),
    then flush the Typst cache once for the group; per book, the error that stopped it (or None)."""
    from layouts.publish import ProduceRequest, produce_many, transcript_facts

    requests = [ProduceRequest(doc.document, doc.edition_kind, copy=bool(doc.job.option("copy", False)),
                               facts=transcript_facts(doc.document, doc.date_of_birth)
                               if doc.date_of_birth is not None else None) for doc in group]
    dump = None
    if dump_dir is not None:
        def dump(text: str) -> None:
            _dump_batch(dump_dir, group[0].template, text)
    results = produce_many(requests, template=group[0].template, private_key=private_key, issued_on=issued,
                           pdf_signer=pdf_signer, dump=dump)
    out: list[tuple[_Doc, Exception | None]] = []
    for doc, produced in zip(group, results, strict=True):
        if isinstance(produced, Exception):
            out.append((doc, produced))
            continue
        doc.produced = produced
        _take_timings(doc)
        out.append((doc, None))
    flush = _trim(cache_limit_mb, cache_growth_mb, release_limit_mb) / max(1, len(group))
    for doc in group:
        doc.timings["flush"] = flush
    return out


def _dump_batch(dump_dir: str, template: str, text: str) -> None:
    """Write a batch's compiled input as ``<batch entry>.<id>.json`` (bench_print.py compiles it again; with
    ``--book-floor`` also each of its books alone)."""
    import uuid

    from layouts.render import BATCH_TEMPLATES

    folder = Path(dump_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{BATCH_TEMPLATES[template]}.{uuid.uuid4()}.json").write_text(text, encoding="utf-8")


def _printed(doc: _Doc) -> PrintedFile:
    """The description of a recorded document's file (its digest is the edition's)."""
    digest = doc.published.edition.pdf_sha256 or hashlib.sha256(doc.published.pdf).hexdigest()
    return PrintedFile(doc.path, doc.file_kind, digest, len(doc.document.pages), str(doc.produced.edition_id),
                       doc.school_year, doc.class_name, doc.student_code, tuple(doc.timings.items()))


def _dump(dump_dir: str, doc: _Doc) -> None:
    """Write the document as compiled (benchmarks compile these again, bare: the Typst floor)."""
    from layouts.render import document_json

    folder = Path(dump_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{doc.template}.{doc.produced.edition_id}.json"
    (folder / name).write_text(document_json(doc.produced.rendered.to_dict()), encoding="utf-8")


def _safe(name: str) -> str:
    """A file-name part: no separators or control characters."""
    cleaned = "".join("-" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in str(name)).strip(". ")
    return cleaned or "_"


def _messages(job: Job, exc: BaseException) -> tuple[str, str, str | None]:
    """(Vietnamese for the user, English for the log, traceback of an unexpected error)."""
    if isinstance(exc, SodientuError):
        return f"Không in được {job.title}: {exc.message_vi}", f"{job.kind} {job.ids}: {exc.message_en}", None
    return ((f"Không in được {job.title}: lỗi ngoài dự kiến ({type(exc).__name__}). "
            "Vui lòng báo cho quản trị hệ thống."),
            f"{job.kind} {job.ids}: unexpected {exc!r}", "".join(traceback.format_exception(exc)))


def _add_error(errors: dict[Job, tuple[str, str, str | None]], job: Job, exc: BaseException) -> None:
    vi, en, tb = _messages(job, exc)
    if job in errors:
        old_vi, old_en, old_tb = errors[job]
        vi, en, tb = f"{old_vi}; {vi}", f"{old_en}; {en}", old_tb or tb
    errors[job] = (vi, en, tb)


def _failed(job: Job, exc: BaseException, context: str) -> JobOutcome:
    vi, en, tb = _messages(job, exc)
    return JobOutcome(job, (), vi, f"{context}: {en}", tb)


def iter_failures(report: BatchReport) -> Iterator[str]:
    """The Vietnamese message of every failed job."""
    for outcome in report.failures:
        yield outcome.error_vi or ""


__all__ = [
    "FILE_MARKBOOK",
    "FILE_REGISTER",
    "FILE_TRANSCRIPT",
    "FILE_VOLUME",
    "FOLDERS",
    "JOB_KINDS",
    "MARKBOOK",
    "REGISTER",
    "TRANSCRIPT",
    "BatchConfig",
    "BatchPool",
    "BatchReport",
    "Job",
    "JobOutcome",
    "PrintedBook",
    "PrintedFile",
    "TaskStats",
    "default_workers",
    "iter_failures",
    "make_job",
    "make_tasks",
    "print_book",
    "run_batch",
    "year_end_jobs",
]
