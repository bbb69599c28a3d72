"""Run the print jobs asked for in the browser: a thin runner over ``layouts.batch`` and the draft printers.

A job (``records.services.print_jobs``) is printed in the request when it holds one book, else by a
background thread of the web process. An official job goes through ``layouts.batch.run_batch`` (its
public API only: ``BatchConfig``, ``make_job``, ``run_batch``; the edition of each book is recorded,
traced and archived there); a draft job renders each book with the layouts' draft functions (no codes,
no edition). Progress is written to the job row after every book; a heartbeat thread refreshes it while a
long book renders, so a job whose process died is shown as interrupted (``print_jobs.effective_status``).

Files go to ``<data dir>/print-jobs/<job id>/`` (``data_dir``): official books where ``layouts.batch``
puts them (``so-diem/2025-2026/6A1.pdf`` …), drafts under ``ban-nhap/``.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from records.errors import SodientuError, ValidationError
from records.models import KeyKind
from records.permissions import Actor
from records.services import context, print_jobs
from records.services import editions as edition_service
from records.services.print_jobs import BookSpec

log = logging.getLogger(__name__)

#: This process: a job "running" under another runner whose heartbeat stopped was left by a dead process.
RUNNER_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
HEARTBEAT_SECONDS = 15.0
DATA_DIR_ENV = "SODIENTU_DATA_DIR"
KEY_DIR_ENV = "SODIENTU_KEY_DIR"


def data_dir(config: dict[str, Any], db_url: str) -> Path:
    """The application's data folder: ``SODIENTU_DATA_DIR`` (config or environment), else
    ``sodientu-data/`` beside a SQLite database file, else in the working folder."""
    configured = config.get("SODIENTU_DATA_DIR") or os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured)
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not url.database.startswith("file:"):
        return Path(url.database).resolve().parent / "sodientu-data"
    return Path.cwd() / "sodientu-data"


@dataclass(frozen=True)
class Signing:
    """The school's key file, its passphrase and the optional PDF certificate (official jobs)."""

    key_file: str
    passphrase: str
    p12_file: str | None


def signing_for(session: Session, school_id: int, key_dir: Path, passphrase: str | None) -> Signing:
    """The school's active signing key, checked to open with the passphrase (raises a Vietnamese error)."""
    from signing.keyfiles import P12_NAME, private_key_path
    from signing.keys import load_private_key

    keys = edition_service.active_keys(session, school_id=school_id, kind=KeyKind.ED25519)
    if not keys:
        raise ValidationError("Trường chưa có khóa ký mã QR («sodientu keys init»): chỉ in được bản nháp.",
                              f"no active signing key for school {school_id}")
    key_file = private_key_path(key_dir, keys[-1].key_id)
    if not key_file.is_file():
        raise ValidationError("Máy chủ không thấy tệp khóa ký của trường: hãy báo quản trị hệ thống.",
                              f"missing key file {key_file}")
    if not passphrase:
        raise ValidationError("Cần nhập mật khẩu khóa ký để in bản chính thức.", "passphrase missing")
    load_private_key(key_file, passphrase)  # a wrong passphrase is refused now, not in the run
    p12 = key_dir / P12_NAME
    return Signing(str(key_file), passphrase, str(p12) if p12.is_file() else None)


@dataclass(frozen=True)
class RunContext:
    """What a run needs besides the job: the database, who asked, signing, the day, the workers."""

    sessions: Callable[[], Session]
    db_url: str
    actor_id: int
    signing: Signing | None
    today: Any  # dt.date the app acts on
    workers: int | None  # official background runs: worker processes (None: one per core; 0: this process)


def run(job_id: int, ctx: RunContext, *, in_request: bool = False) -> None:
    """Print a job to its end (never raises: a failure is written to the job)."""
    token = context.fix_today(ctx.today)
    stop = threading.Event()
    beater = threading.Thread(target=_beat, args=(job_id, ctx, stop), daemon=True, name=f"print-job-{job_id}-beat")
    try:
        with ctx.sessions() as session:
            job = print_jobs.start_job(session, job_id, RUNNER_ID)
            books = [BookSpec.from_dict(b) for b in json.loads(job.spec)]
            out_dir, official = job.out_dir, job.official
            session.commit()
        beater.start()
        error = None
        try:
            if official:
                _run_official(job_id, books, out_dir, ctx, in_request)
            else:
                _run_drafts(job_id, books, out_dir, ctx)
        except Exception as exc:
            log.exception("print job %s failed", job_id)
            error = exc.message_vi if isinstance(exc, SodientuError) else (
                f"Lỗi ngoài dự kiến ({type(exc).__name__}); vui lòng báo quản trị hệ thống.")
        stop.set()
        with ctx.sessions() as session:
            print_jobs.finish_job(session, Actor.load(session, ctx.actor_id), job_id, error=error)
            session.commit()
    except Exception:
        log.exception("print job %s could not be recorded", job_id)
    finally:
        stop.set()
        context.unfix_today(token)


#: One background job prints at a time in a process (each uses every core); the others wait, queued.
_BACKGROUND = threading.Semaphore(1)


def start_background(job_id: int, ctx: RunContext) -> threading.Thread:
    """Run the job in a thread of this process (after the jobs before it; queued meanwhile)."""

    def queued_then_run() -> None:
        while not _BACKGROUND.acquire(timeout=HEARTBEAT_SECONDS):
            try:  # still waiting, still alive: a queued job is not shown as interrupted
                with ctx.sessions() as session:
                    print_jobs.beat(session, job_id)
                    session.commit()
            except Exception:
                log.warning("heartbeat of queued print job %s failed", job_id, exc_info=True)
        try:
            run(job_id, ctx)
        finally:
            _BACKGROUND.release()

    thread = threading.Thread(target=queued_then_run, daemon=True, name=f"print-job-{job_id}")
    thread.start()
    return thread


def _beat(job_id: int, ctx: RunContext, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            with ctx.sessions() as session:
                print_jobs.beat(session, job_id)
                session.commit()
        except Exception:
            log.warning("heartbeat of print job %s failed", job_id, exc_info=True)


def _progress(job_id: int, ctx: RunContext, files: list[dict[str, Any]], error: str | None) -> None:
    with ctx.sessions() as session:
        print_jobs.record_progress(session, job_id, files=files, error=error)
        session.commit()


def _run_official(job_id: int, books: list[BookSpec], out_dir: str, ctx: RunContext, in_request: bool) -> None:
    from layouts.batch import BatchConfig, JobOutcome, make_job, run_batch

    if ctx.signing is None:
        raise ValidationError("Cần khóa ký để in bản chính thức.", "official job without signing")
    with ctx.sessions() as session:
        username = Actor.load(session, ctx.actor_id).username
    config = BatchConfig(db_url=ctx.db_url, out_dir=out_dir, key_file=ctx.signing.key_file,
                         passphrase=ctx.signing.passphrase, username=username, issued_on=ctx.today,
                         workers=0 if in_request else ctx.workers, p12_file=ctx.signing.p12_file)
    jobs = [make_job(b.kind, b.ids, b.label, **b.options) for b in books]

    def progress(outcome: JobOutcome) -> None:
        files = [{"path": f.path, "pages": f.pages, "edition_id": f.edition_id, "sha256": f.sha256}
                 for f in outcome.files]
        _progress(job_id, ctx, files, outcome.error_vi)

    run_batch(config, jobs, progress=progress)


def _draft_pdf(session: Session, actor: Actor, book: BookSpec, today: Any) -> tuple[str, bytes]:
    """A book as a draft: its file name under ``ban-nhap/`` and its PDF (read as the job's user)."""
    opts = book.options
    if book.kind == print_jobs.MARKBOOK:
        from layouts.markbook import PrintOptions, build_markbook
        from layouts.render import render_document
        from records.books.markbook import read_markbook

        inp = read_markbook(session, actor, int(book.ids[0]))
        doc = build_markbook(inp, PrintOptions(paper=opts.get("paper", "a4"), duplex=bool(opts.get("duplex")),
                                               part=opts.get("part", "all")))
        suffix = "" if opts.get("part", "all") == "all" else f"-{opts['part']}"
        return f"so-diem/{_safe(doc.book.year)}/{_safe(doc.book.class_name)}{suffix}.pdf", \
            render_document("markbook", doc.as_draft())
    if book.kind == print_jobs.TRANSCRIPT:
        from layouts.transcript import print_transcript

        code = str(book.ids[0])
        year = opts.get("year")
        pdf = print_transcript(session, actor, code, year=year, volume=bool(opts.get("volume")),
                               duplex=bool(opts.get("duplex")))
        folder = f"hoc-ba/{_safe(year)}" if year else "hoc-ba/toan-cap"
        return f"{folder}/{_safe(code)}.pdf", pdf
    from layouts.register import print_register

    course = str(book.ids[0])
    return f"so-dang-bo/{_safe(course)}.pdf", print_register(
        session, actor, course, school_code=opts.get("school_code"), printed_on=today, paper=opts.get("paper", "a3"),
        duplex=bool(opts.get("duplex")))


def _run_drafts(job_id: int, books: list[BookSpec], out_dir: str, ctx: RunContext) -> None:
    from layouts.render import page_count

    for book in books:
        files: list[dict[str, Any]] = []
        error = None
        try:
            with ctx.sessions() as session:
                name, pdf = _draft_pdf(session, Actor.load(session, ctx.actor_id), book, ctx.today)
                session.rollback()
            path = f"ban-nhap/{name}"
            target = Path(out_dir) / path
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_bytes(pdf)
            tmp.replace(target)
            files.append({"path": path, "pages": page_count(pdf), "edition_id": None, "sha256": None})
        except Exception as exc:  # noqa: BLE001 - one book's failure does not stop the others
            log.warning("draft of %s failed: %r", book.label, exc)
            what = book.label or book.kind
            error = f"Không in được {what}: " + (exc.message_vi if isinstance(exc, SodientuError)
                                                  else f"lỗi ngoài dự kiến ({type(exc).__name__}).")
        _progress(job_id, ctx, files, error)


def _safe(name: object) -> str:
    """A file-name part: no separators or control characters."""
    cleaned = "".join("-" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in str(name or "")).strip(". ")
    return cleaned or "_"


__all__ = ["DATA_DIR_ENV", "KEY_DIR_ENV", "RUNNER_ID", "RunContext", "Signing", "data_dir", "run",
           "signing_for", "start_background"]
