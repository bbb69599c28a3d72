"""Print jobs asked for in the browser: plan the books, check the rights, record the job and its progress.

``request_print`` turns what the office chose (a book, a class / grade / student / course, part, paper,
one- or two-sided, draft or official) into the list of books to print, checks the right on every one
(an official edition: ``Action.BOOKS_PRINT`` through ``editions.authorize_print``; a draft, which has no
value and records nothing: ``Action.RECORDS_READ``), records a ``PrintJob`` and traces the request.
A runner (``web.print_runner``) then prints the books and reports through ``start_job``,
``record_progress``, ``beat`` and ``finish_job``; the trail gets the request and the outcome (each
edition printed is traced by ``editions.create_edition`` itself).

The book kinds and options are those of ``layouts.batch.make_job`` (spelled here as strings: this layer
does not import the layouts).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records import audit
from records.errors import NotFoundError, PermissionDeniedError, ValidationError
from records.models import (
    Class,
    Enrolment,
    EnrolmentStatus,
    Grade,
    PrintJob,
    PrintJobStatus,
    School,
    SchoolYear,
    Student,
    utcnow,
)
from records.permissions import Action, Actor, allowed, require
from records.services import editions as edition_service
from records.services.lookups import school_by_id

ENTITY = "print_job"
MARKBOOK, TRANSCRIPT, REGISTER = "markbook", "transcript", "register"
BOOK_LABELS = {MARKBOOK: "Sổ theo dõi và đánh giá học sinh", TRANSCRIPT: "Học bạ", REGISTER: "Sổ đăng bộ"}
PARTS = {"all": "cả sổ", "term1": "học kì I", "year": "cuối năm (phần còn lại)"}
PAPERS = ("a4", "a3")
#: A job still "running" whose heartbeat is older than this belongs to a process that ended.
STALE_AFTER = dt.timedelta(seconds=90)


@dataclass(frozen=True)
class BookSpec:
    """One book to print (the arguments of ``layouts.batch.make_job``)."""

    kind: str
    ids: tuple[int | str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (the job's ``spec``)."""
        return {"kind": self.kind, "ids": list(self.ids), "options": self.options, "label": self.label}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BookSpec:
        """Back from the job's ``spec``."""
        return cls(data["kind"], tuple(data["ids"]), dict(data.get("options") or {}), data.get("label", ""))


@dataclass(frozen=True)
class PrintRequest:
    """What the office chose on the print page.

    ``scope``: ``class`` (``class_id``), ``grade`` (``level``), ``school`` (every class of the year),
    ``student`` (``student_code``) — and for the register ``course`` ("2022-2026"). Transcripts print
    the year's spread (``volume`` False) or the bound grade-6-to-9 volume (``volume`` True).
    """

    school_id: int
    year_id: int
    book: str
    scope: str
    official: bool
    class_id: int | None = None
    level: int | None = None
    student_code: str | None = None
    course: str | None = None
    part: str = "all"
    paper: str = "a4"
    duplex: bool = False
    volume: bool = False


@dataclass(frozen=True)
class JobView:
    """A job as the pages show it: the row, its effective status, files, errors, and an estimate."""

    job: PrintJob
    status: PrintJobStatus
    books: list[BookSpec]
    files: list[dict[str, Any]]
    errors: list[str]
    eta_seconds: float | None

    @property
    def finished(self) -> bool:
        """True when nothing more will happen to the job."""
        return self.status in (PrintJobStatus.DONE, PrintJobStatus.FAILED, PrintJobStatus.INTERRUPTED)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (the job page's JSON endpoint)."""
        return {"id": self.job.id, "status": self.status.value, "status_vi": self.status.label_vi,
                "total": self.job.total, "done": self.job.done, "failed": self.job.failed,
                "eta_seconds": None if self.eta_seconds is None else round(self.eta_seconds),
                "finished": self.finished, "files": len(self.files), "errors": self.errors}


# --- planning ----------------------------------------------------------------------------------


def _year(session: Session, school_id: int, year_id: int) -> SchoolYear:
    year = session.get(SchoolYear, year_id)
    if year is None or year.school_id != school_id:
        raise NotFoundError("Không tìm thấy năm học của trường.", f"school year {year_id} not in school {school_id}")
    return year


def _classes(session: Session, year: SchoolYear, req: PrintRequest) -> list[Class]:
    query = (select(Class).join(Grade, Grade.id == Class.grade_id).where(Grade.school_year_id == year.id)
             .order_by(Grade.level, Class.name))
    if req.scope == "class":
        query = query.where(Class.id == (req.class_id or 0))
    elif req.scope == "grade":
        if req.level not in (6, 7, 8, 9):
            raise ValidationError("Hãy chọn khối lớp (6, 7, 8 hoặc 9).", f"bad level {req.level!r}")
        query = query.where(Grade.level == req.level)
    elif req.scope != "school":
        raise ValidationError("Hãy chọn in theo lớp, theo khối hoặc cả trường.", f"bad scope {req.scope!r}")
    classes = list(session.scalars(query))
    if not classes:
        raise NotFoundError("Không có lớp nào để in trong lựa chọn này.", f"no class for {req}")
    return classes


def _check(session: Session, actor: Actor, official: bool, school_id: int, *, klass: Class | None = None,
           student: Student | None = None, year_id: int | None = None) -> None:
    if official:
        edition_service.authorize_print(session, actor, school_id=school_id,
                                        class_id=klass.id if klass else None,
                                        student_id=student.id if student else None, school_year_id=year_id)
    else:
        require(session, actor, Action.RECORDS_READ, klass or student or session.get(School, school_id))


def plan(session: Session, actor: Actor, req: PrintRequest) -> tuple[str, list[BookSpec]]:
    """The job's title and its books; raises when a choice is invalid or a right is missing."""
    if req.book not in BOOK_LABELS:
        raise ValidationError("Hãy chọn loại sổ cần in.", f"bad book {req.book!r}")
    if req.paper not in PAPERS:
        raise ValidationError("Khổ giấy phải là A4 hoặc A3.", f"bad paper {req.paper!r}")
    if req.part not in PARTS:
        raise ValidationError("Phần in không hợp lệ.", f"bad part {req.part!r}")
    year = _year(session, req.school_id, req.year_id)
    edition = "bản chính thức" if req.official else "bản nháp"
    books: list[BookSpec] = []
    if req.book == MARKBOOK:
        classes = _classes(session, year, req)
        for klass in classes:
            _check(session, actor, req.official, req.school_id, klass=klass, year_id=year.id)
            books.append(BookSpec(MARKBOOK, (klass.id,), {"part": req.part, "paper": req.paper, "duplex": req.duplex},
                                  f"sổ theo dõi và đánh giá lớp {klass.name} năm học {year.name}"))
        what = _scope_words(req, classes)
        title = f"{BOOK_LABELS[MARKBOOK]} — {what} — {year.name} — {PARTS[req.part]}, {req.paper.upper()}"
    elif req.book == TRANSCRIPT:
        options = {"year": None if req.volume else year.name, "volume": req.volume, "duplex": req.duplex}
        if req.scope == "student":
            code = (req.student_code or "").strip()
            student = session.scalars(select(Student).where(Student.school_id == req.school_id,
                                                            Student.code == code)).one_or_none()
            if student is None:
                raise NotFoundError(f"Không có học sinh mã «{code}» trong trường.", f"no student {code!r}")
            _check(session, actor, req.official, req.school_id, student=student,
                   year_id=None if req.volume else year.id)
            books.append(BookSpec(TRANSCRIPT, (student.code,), options, f"học bạ của học sinh {student.code}"))
            what = f"học sinh {student.full_name} ({student.code})"
        else:
            classes = _classes(session, year, req)
            for klass in classes:
                _check(session, actor, req.official, req.school_id, klass=klass, year_id=year.id)
            rows = session.execute(
                select(Student.code, Class.name).join(Enrolment, Enrolment.student_id == Student.id)
                .join(Class, Class.id == Enrolment.class_id)
                .where(Enrolment.class_id.in_([c.id for c in classes]), Enrolment.status == EnrolmentStatus.ACTIVE)
                .join(Grade, Grade.id == Class.grade_id).order_by(Grade.level, Class.name, Enrolment.roll_number))
            seen: set[str] = set()
            for code, class_name in rows:
                if code not in seen:
                    seen.add(code)
                    books.append(BookSpec(TRANSCRIPT, (code,), options, f"học bạ của học sinh {code} (lớp {class_name})"))
            if not books:
                raise NotFoundError("Các lớp đã chọn chưa có học sinh nào.", "no student to print")
            what = _scope_words(req, classes)
        kind = "cả quyển" if req.volume else f"năm học {year.name}"
        title = f"{BOOK_LABELS[TRANSCRIPT]} ({kind}) — {what}"
    else:
        course = (req.course or "").strip()
        known = session.scalar(select(Student.id).where(Student.school_id == req.school_id,
                                                        Student.course == course).limit(1))
        if not course or known is None:
            raise NotFoundError(f"Trường không có khóa học «{course}».", f"no course {course!r}")
        _check(session, actor, req.official, req.school_id)
        school = session.get(School, req.school_id)
        books.append(BookSpec(REGISTER, (course,), {"school_code": school.code if school else None,
                                                    "paper": req.paper, "duplex": req.duplex},
                              f"sổ đăng bộ khóa {course}"))
        title = f"{BOOK_LABELS[REGISTER]} — khóa {course}, {req.paper.upper()}"
    if req.duplex:
        title += ", hai mặt"
    return f"{title} — {edition}", books


def _scope_words(req: PrintRequest, classes: list[Class]) -> str:
    if req.scope == "class":
        return f"lớp {classes[0].name}"
    if req.scope == "grade":
        return f"khối {req.level} ({len(classes)} lớp)"
    return f"cả trường ({len(classes)} lớp)"


# --- recording ---------------------------------------------------------------------------------


def request_print(session: Session, actor: Actor, req: PrintRequest, *, out_root: str) -> PrintJob:
    """Plan the books, check the rights, record the job (queued) and trace the request; the caller commits.

    The job's files go to ``<out_root>/<job id>``.
    """
    title, books = plan(session, actor, req)
    job = PrintJob(school_id=req.school_id, title=title[:300], official=req.official,
                   spec=json.dumps([b.to_dict() for b in books], ensure_ascii=False), status=PrintJobStatus.QUEUED,
                   total=len(books), done=0, failed=0, files="[]", errors="[]",
                   requested_by_id=actor.user_id, requested_by_name=actor.username, created_at=utcnow())
    session.add(job)
    session.flush()
    job.out_dir = f"{out_root.rstrip('/')}/{job.id}"
    audit.append(session, actor, "request", ENTITY, job.id, None,
                 {"title": job.title, "official": job.official, "books": job.total}, school_id=job.school_id)
    session.flush()
    return job


def _job(session: Session, job_id: int) -> PrintJob:
    job = session.get(PrintJob, job_id)
    if job is None:
        raise NotFoundError("Không có lệnh in này.", f"print job {job_id} not found")
    return job


def start_job(session: Session, job_id: int, runner: str) -> PrintJob:
    """The runner takes the job (the caller commits)."""
    job = _job(session, job_id)
    now = utcnow()
    job.status, job.started_at, job.heartbeat_at, job.runner = PrintJobStatus.RUNNING, now, now, runner[:120]
    session.flush()
    return job


def beat(session: Session, job_id: int) -> None:
    """The runner is alive (the caller commits)."""
    _job(session, job_id).heartbeat_at = utcnow()
    session.flush()


def record_progress(session: Session, job_id: int, *, files: list[dict[str, Any]], error: str | None) -> PrintJob:
    """One book finished: its files, or its Vietnamese error (the caller commits)."""
    job = _job(session, job_id)
    job.done += 1
    if error:
        job.failed += 1
        job.errors = json.dumps([*json.loads(job.errors or "[]"), error], ensure_ascii=False)
    if files:
        job.files = json.dumps([*json.loads(job.files or "[]"), *files], ensure_ascii=False)
    job.heartbeat_at = utcnow()
    session.flush()
    return job


def finish_job(session: Session, actor: Actor, job_id: int, *, error: str | None = None) -> PrintJob:
    """The run ended (``error``: the whole run failed, e.g. no signing key); traced (the caller commits)."""
    job = _job(session, job_id)
    if error:
        job.errors = json.dumps([*json.loads(job.errors or "[]"), error], ensure_ascii=False)
    failed = bool(error) or job.failed > 0 or job.done < job.total
    job.status = PrintJobStatus.FAILED if failed else PrintJobStatus.DONE
    job.finished_at = job.heartbeat_at = utcnow()
    audit.append(session, actor, "finish", ENTITY, job.id, {"status": "running"},
                 {"status": job.status.value, "done": job.done, "failed": job.failed,
                  "files": len(json.loads(job.files or "[]"))}, school_id=job.school_id)
    session.flush()
    return job


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintChoices:
    """What the print page offers: the school's years, the chosen year's classes, the courses."""

    years: list[tuple[int, str]]  # (id, "2025-2026"), newest first
    year_id: int | None
    classes: list[tuple[int, str, int]]  # (id, name, level)
    courses: list[str]


def print_choices(session: Session, actor: Actor, school_id: int, year_id: int | None = None) -> PrintChoices:
    """The choices of the print page (those who may read the school's records)."""
    require(session, actor, Action.RECORDS_READ, school_by_id(session, school_id))
    years = [(y.id, y.name) for y in session.scalars(select(SchoolYear).where(SchoolYear.school_id == school_id)
                                                      .order_by(SchoolYear.start_year.desc()))]
    chosen = year_id if year_id in {y for y, _ in years} else (years[0][0] if years else None)
    classes = [(c.id, c.name, level) for c, level in session.execute(
        select(Class, Grade.level).join(Grade, Grade.id == Class.grade_id)
        .where(Grade.school_year_id == chosen).order_by(Grade.level, Class.name))] if chosen else []
    courses = list(session.scalars(select(Student.course).where(Student.school_id == school_id,
                                                                Student.course.is_not(None))
                                   .distinct().order_by(Student.course.desc())))
    return PrintChoices(years, chosen, classes, [c for c in courses if c])


def _may_see(session: Session, actor: Actor, job: PrintJob) -> None:
    if job.requested_by_id is not None and job.requested_by_id == actor.user_id:
        return
    school = session.get(School, job.school_id)
    if not allowed(session, actor, Action.BOOKS_PRINT, school):
        raise PermissionDeniedError("Bạn không xem được lệnh in này.", f"{actor.username} may not see job {job.id}")


def effective_status(job: PrintJob, now: dt.datetime | None = None) -> PrintJobStatus:
    """The status, with a running or queued job whose runner stopped beating shown as interrupted."""
    now = now or utcnow()
    if job.status in (PrintJobStatus.RUNNING, PrintJobStatus.QUEUED):
        last = job.heartbeat_at or job.created_at
        if last is not None and now - last > STALE_AFTER:
            return PrintJobStatus.INTERRUPTED
    return job.status


def view(session: Session, actor: Actor, job_id: int) -> JobView:
    """A job for its page (the requester, or anyone who may print for the school)."""
    job = _job(session, job_id)
    _may_see(session, actor, job)
    return _view(job)


def _view(job: PrintJob) -> JobView:
    status = effective_status(job)
    eta = None
    if status is PrintJobStatus.RUNNING and job.started_at is not None and job.done:
        elapsed = (utcnow() - job.started_at).total_seconds()
        eta = elapsed / job.done * (job.total - job.done)
    return JobView(job, status, [BookSpec.from_dict(b) for b in json.loads(job.spec or "[]")],
                   json.loads(job.files or "[]"), json.loads(job.errors or "[]"), eta)


def jobs_of(session: Session, actor: Actor, school_id: int, *, limit: int = 30) -> list[JobView]:
    """The latest print jobs of a school (those who may print there)."""
    require(session, actor, Action.BOOKS_PRINT, school_by_id(session, school_id))
    rows = session.scalars(select(PrintJob).where(PrintJob.school_id == school_id)
                           .order_by(PrintJob.id.desc()).limit(limit))
    return [_view(job) for job in rows]


__all__ = [
    "BOOK_LABELS",
    "MARKBOOK",
    "PARTS",
    "REGISTER",
    "STALE_AFTER",
    "TRANSCRIPT",
    "BookSpec",
    "JobView",
    "PrintChoices",
    "PrintRequest",
    "beat",
    "effective_status",
    "finish_job",
    "jobs_of",
    "plan",
    "print_choices",
    "record_progress",
    "request_print",
    "start_job",
    "view",
]
