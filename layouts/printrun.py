"""A print run: every book of a school year into one folder, resumable after a kill.

``print_run(config, jobs)`` prints the jobs through ``layouts.batch`` (worker processes, fonts and
templates loaded once per worker) into ``config.out_dir`` and returns every file of the run, those
of an earlier, interrupted run of the same jobs included. ``school_year_jobs`` lists a school
year's books (``year_end_jobs``); ``write_run_manifest`` writes the demo's ``manifest.json``.

Resume (docs/PRINTING.md). The journal is the folder ``<out>/.sodientu-print/``: each task of the
batch appends one line per edition to its process's ``journal-<pid>.jsonl`` (job, edition id, file,
temporary file, digest) and fsyncs it **before** it commits the editions; the PDF is moved in
place after the commit. The database stays the judge: a journal line counts only when its edition
is committed and still current (not superseded, outdated or revoked) and the file on disk has the
edition's recorded digest. So, wherever a run was killed:

* before the journal line: nothing was committed, the temporary PDF is deleted, the book is printed;
* between the line and the commit: the edition does not exist, the line is void, the book is printed;
* between the commit and the move: the temporary PDF has the edition's digest and is moved in place
  (no second edition is issued);
* after the move: the file is in place; the book is skipped.

A book whose edition was superseded meanwhile (reprinted elsewhere) or whose file was changed is
printed again. A pool worker also checks, just before committing, that the process that started it
is still alive: a killed run issues nothing more. One run at a time may write into a folder (a lock
file); ``reprint=True`` forgets the journal and prints every book again (new editions supersede).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from layouts.batch import (
    FOLDERS,
    MARKBOOK,
    REGISTER,
    TRANSCRIPT,
    BatchConfig,
    BatchPool,
    BatchReport,
    Job,
    JobOutcome,
    PrintedFile,
    run_batch,
    year_end_jobs,
)
from records.errors import ConflictError, ValidationError

log = logging.getLogger(__name__)

JOURNAL_DIR = ".sodientu-print"
_LOCK_NAME = "lock"
_TMP_NAME = re.compile(r"^\..+\.\d+\.tmp$")  # layouts.batch._write_tmp: ".<name>.<pid>.tmp"
_HASH_CHUNK = 1 << 20

#: Rough pages of each kind of book, to weigh the progress bar (a mark book is worth many transcripts).
_WEIGHTS = {MARKBOOK: 60, REGISTER: 40, "volume": 12, TRANSCRIPT: 3}


def job_key(job: Job) -> str:
    """A stable text naming a job (kind, ids, options): the journal's key."""
    return json.dumps([job.kind, [str(i) for i in job.ids], [[k, v] for k, v in job.options]],
                      ensure_ascii=False, separators=(",", ":"), default=str)


def expected_files(job: Job) -> int:
    """Files a job writes: a transcript its year and/or its volume, other books one."""
    if job.kind == TRANSCRIPT:
        return int(bool(job.option("year"))) + int(bool(job.option("volume", False)))
    return 1


def job_weight(job: Job) -> int:
    """The job's share of the progress bar (about its pages)."""
    if job.kind == TRANSCRIPT and job.option("volume", False):
        return _WEIGHTS["volume"] + (_WEIGHTS[TRANSCRIPT] if job.option("year") else 0)
    return _WEIGHTS.get(job.kind, 1)


# --- the journal (written by the batch's tasks, in the workers) --------------------------------


def journal_editions(out_dir: str | Path, items: Sequence[tuple[Job, PrintedFile, Path | None]]) -> None:
    """Append one line per edition (job, file, temporary file) and fsync; called before the commit."""
    folder = Path(out_dir) / JOURNAL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    root = Path(out_dir)
    lines = []
    for job, printed, tmp in items:
        lines.append(json.dumps({
            "job": job_key(job), "edition": printed.edition_id, "path": printed.path,
            "tmp": tmp.relative_to(root).as_posix() if tmp is not None else None,
            "kind": printed.kind, "sha256": printed.sha256, "pages": printed.pages,
            "school_year": printed.school_year, "class_name": printed.class_name,
            "student_code": printed.student_code,
        }, ensure_ascii=False) + "\n")
    with open(folder / f"journal-{os.getpid()}.jsonl", "a", encoding="utf-8") as fh:
        fh.write("".join(lines))
        fh.flush()
        os.fsync(fh.fileno())


def _journal_lines(out_dir: Path) -> Iterator[dict[str, Any]]:
    folder = out_dir / JOURNAL_DIR
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("journal-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # a line cut by a kill: its edition was not committed
                continue
            if isinstance(entry, dict) and {"job", "edition", "path", "sha256"} <= entry.keys():
                yield entry


def _sha256(path: Path) -> str | None:
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(_HASH_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None


def _inside(root: Path, relative: str | None) -> Path | None:
    """``root / relative`` if it stays inside ``root`` (a journal is data, not trusted paths)."""
    if not relative:
        return None
    path = (root / relative).resolve()
    return path if path.is_relative_to(root.resolve()) else None


@dataclass(frozen=True)
class Resumed:
    """What an earlier run left: the files of finished jobs, files moved in place, stale files removed."""

    done: dict[str, tuple[PrintedFile, ...]]
    recovered: int = 0
    removed: int = 0


def resume_state(session: Session, out_dir: str | Path, jobs: Sequence[Job]) -> Resumed:
    """Read the journal against the database (see the module docstring); move or delete leftovers."""
    from records.services.editions import current_pdf_digests

    root = Path(out_dir)
    wanted = {job_key(job): job for job in jobs}
    lines = [e for e in _journal_lines(root) if e["job"] in wanted]
    ids = set()
    for entry in lines:
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            ids.add(uuid.UUID(str(entry["edition"])))
    current = {str(k): v for k, v in current_pdf_digests(session, ids).items()}
    files: dict[str, dict[str, PrintedFile]] = {}
    recovered = 0
    for entry in lines:
        digest = current.get(str(entry["edition"]))
        target = _inside(root, entry["path"])
        if digest is None or digest != entry["sha256"] or target is None:
            continue
        if _sha256(target) != digest:
            tmp = _inside(root, entry.get("tmp"))
            if tmp is None or _sha256(tmp) != digest:
                continue  # committed, but the file is gone or changed: printed again
            tmp.replace(target)  # killed between the commit and the move
            recovered += 1
        files.setdefault(entry["job"], {})[entry["path"]] = PrintedFile(
            entry["path"], entry.get("kind", ""), digest, int(entry.get("pages") or 0), str(entry["edition"]),
            entry.get("school_year"), entry.get("class_name"), entry.get("student_code"))
    done = {key: tuple(by_path.values()) for key, by_path in files.items()
            if len(by_path) == expected_files(wanted[key])}
    removed = _remove_stale_tmp(root)
    return Resumed(done, recovered, removed)


def _remove_stale_tmp(root: Path) -> int:
    """Delete the temporary PDFs of tasks that never committed (only ours: ".<name>.<pid>.tmp")."""
    removed = 0
    for folder in {FOLDERS[k].split("/")[0] for k in FOLDERS}:
        base = root / folder
        if not base.is_dir():
            continue
        for path in base.rglob(".*.tmp"):
            if _TMP_NAME.match(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def forget_journal(out_dir: str | Path) -> None:
    """Delete the journal (the next run prints every book again)."""
    folder = Path(out_dir) / JOURNAL_DIR
    for path in folder.glob("journal-*.jsonl"):
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def run_lock(out_dir: str | Path) -> Iterator[None]:
    """Hold the folder's lock: one print run at a time writes into a folder."""
    folder = Path(out_dir) / JOURNAL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / _LOCK_NAME, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConflictError(f"Một lượt in khác đang ghi vào thư mục {out_dir}; hãy đợi nó xong.",
                                f"another print run holds {folder / _LOCK_NAME}") from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# --- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunReport:
    """A print run: the batch of this run, the files an earlier run had finished, whether it stopped."""

    batch: BatchReport | None
    resumed: tuple[PrintedFile, ...]
    jobs: int
    skipped_jobs: int
    recovered: int = 0
    interrupted: bool = False
    outcomes: tuple[JobOutcome, ...] = ()  # of this run (also when interrupted)

    @property
    def files(self) -> tuple[PrintedFile, ...]:
        """Every file of the run (earlier ones first), sorted by path."""
        return tuple(sorted((*self.resumed, *(f for o in self.outcomes for f in o.files)), key=lambda f: f.path))

    @property
    def failures(self) -> tuple[JobOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def ok(self) -> bool:
        return not self.interrupted and not self.failures

    @property
    def pages(self) -> int:
        return sum(f.pages for f in self.files)


def print_run(config: BatchConfig, jobs: Sequence[Job], *, pool: BatchPool | None = None,
              progress: Callable[[JobOutcome], None] | None = None, reprint: bool = False,
              on_resume: Callable[[Resumed], None] | None = None,
              execute: Callable[..., BatchReport] | None = None, journal: bool = True) -> RunReport:
    """Print the jobs into ``config.out_dir``, skipping those an earlier run finished (module docstring).

    ``journal=False``: the tasks write no journal (one fsync each, inside their write transaction): a run that
    will never be resumed (``sodientu demo`` rebuilds its database and prints it anew) does not pay for it.

    ``execute`` runs the remaining jobs (default ``run_batch``: local worker processes;
    ``layouts.printqueue.queued(url)``: the RQ queue) with the same signature as ``run_batch``.

    Ctrl-C (KeyboardInterrupt) stops the run after the tasks under way: the report says
    ``interrupted`` and running the same jobs again continues.
    """
    from records.db import make_engine

    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with run_lock(out):
        if reprint:
            forget_journal(out)
        engine = make_engine(config.db_url, read_only=True)
        try:
            with Session(engine) as session:
                resumed = resume_state(session, out, jobs)
        finally:
            engine.dispose()
        if on_resume is not None:
            on_resume(resumed)
        todo = [job for job in jobs if job_key(job) not in resumed.done]
        earlier = tuple(f for job in jobs for f in resumed.done.get(job_key(job), ()))
        outcomes: list[JobOutcome] = []

        def done(outcome: JobOutcome) -> None:
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)

        batch = None
        interrupted = False
        try:
            run = execute or run_batch
            batch = run(replace(config, journal=journal), todo, pool=pool, progress=done) if todo else None
        except KeyboardInterrupt:
            interrupted = True
        return RunReport(batch, earlier, len(jobs), len(jobs) - len(todo), resumed.recovered, interrupted,
                         tuple(batch.outcomes) if batch is not None else tuple(outcomes))


def school_year_jobs(session: Session, school_code: str | None, year: str) -> tuple[str, int, list[Job]]:
    """(school code, start year, the year's books) of a school; the only school when no code is given."""
    from records.books.year_books import only_school_code

    match = re.fullmatch(r"\s*(\d{4})(?:\s*-\s*(\d{4}))?\s*", year or "")
    if match is None or (match.group(2) and int(match.group(2)) != int(match.group(1)) + 1):
        raise ValidationError(f"Năm học không hợp lệ: «{year}». Ghi ví dụ 2025-2026.", f"bad year {year!r}")
    start = int(match.group(1))
    if not school_code:
        school_code = only_school_code(session)
    return school_code, start, year_end_jobs(session, school_code, start)


def write_run_manifest(out_dir: str | Path, files: Sequence[PrintedFile], *, info: dict[str, Any],
                       extra: Sequence[Any] = ()) -> Path:
    """``manifest.json`` of the run (records.demo.manifest layout): every file, then ``extra`` entries."""
    from records.demo.manifest import write_manifest

    return write_manifest(Path(out_dir), [*(f.manifest_entry() for f in files), *extra], info=info)


__all__ = [
    "JOURNAL_DIR",
    "Resumed",
    "RunReport",
    "expected_files",
    "forget_journal",
    "job_key",
    "job_weight",
    "journal_editions",
    "print_run",
    "resume_state",
    "run_lock",
    "school_year_jobs",
    "write_run_manifest",
]
