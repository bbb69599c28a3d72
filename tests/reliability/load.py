"""Concurrent entry through the services: N writers saving marks, attendance and comments at once.

Each writer is a thread with its own sessions, working like a teacher at a screen: read a sheet and
its version, change a few cells, save presenting the version. Several writers share each sheet (the
same teacher in two browser tabs, or two homeroom writers of one class), so conflicts happen.
``check`` then proves: every accepted save is in the database (replaying accepted saves in version
order gives exactly the stored sheet) and in the audit trail (replaying the trail gives the same, and
it holds exactly as many entries as the saves reported changes), versions of accepted saves of a
sheet never repeat (no lost update), and the chain verifies. Used by the tests (short) and by
``bench/bench_load.py`` (40 writers, minutes).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from records import audit
from records.db import run_in_transaction, session_scope
from records.errors import SodientuError, StaleSheetError
from records.models import (
    Attendance,
    Base,
    HomeroomComment,
    Mark,
    MarkKind,
    Period,
    Role,
    SubjectComment,
    TeachingAssignment,
)
from records.permissions import Actor
from records.services import attendance, conduct, marks, versions
from records.services.attendance import Absence
from records.services.marks import MarkInput
from tests import factories as f

TODAY = dt.date(2025, 10, 15)  # in term 1 of the 2025–2026 year the school is built with
DAYS = [TODAY - dt.timedelta(days=n) for n in range(40) if (TODAY - dt.timedelta(days=n)).weekday() < 5]
KINDS = ("marks", "attendance", "homeroom_comments", "subject_comments")
Cell = Any
Value = Any


@dataclass(frozen=True)
class ClassInfo:
    """One class of the load school."""

    class_id: int
    homeroom_id: int
    assignment_id: int  # Toán, term 1
    comment_assignment_id: int  # Ngữ văn, term 1 (subject comments)
    subject_id: int
    comment_subject_id: int
    term_id: int
    enrolment_ids: tuple[int, ...]


@dataclass(frozen=True)
class LoadSchool:
    """The school the writers work in."""

    school_id: int
    classes: tuple[ClassInfo, ...]


def build_school(engine: Engine, *, classes: int = 4, students: int = 12) -> LoadSchool:
    """A fresh schema and a TT22 school with ``classes`` grade-9 classes, committed."""
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with session_scope(engine) as session:
        school = f.make_school(session)
        year = f.make_year(session, school, 2025)
        term1 = year.terms[0]
        infos = []
        for c in range(classes):
            homeroom = f.make_user(session, school, [Role.SUBJECT_TEACHER, Role.HOMEROOM_TEACHER])
            teacher = f.make_user(session, school, [Role.SUBJECT_TEACHER])
            klass = f.make_class(session, year, 9, f"9A{c + 1}", homeroom=homeroom)
            subjects = {gs.subject.code: gs.subject for gs in klass.grade.subjects}
            ta = f.assign(session, teacher, klass, subjects["toan"], term1)
            tc = f.assign(session, homeroom, klass, subjects["ngu_van"], term1)
            enrolments = [f.enrol(session, f.make_student(session, school), klass).id for _ in range(students)]
            infos.append(ClassInfo(klass.id, homeroom.id, ta.id, tc.id, ta.subject_id, tc.subject_id, term1.id,
                                   tuple(enrolments)))
        return LoadSchool(school.id, tuple(infos))


# --- the four kinds of sheet ------------------------------------------------------------------


@dataclass(frozen=True)
class SheetKind:
    """How to read, change, save and trace one kind of sheet of a class."""

    entity: str
    sheet: Callable[[ClassInfo, Any], str]  # (class, month or None) -> sheet name
    read: Callable[[Session, ClassInfo, Any], dict[Cell, Value]]
    save: Callable[[Session, int, ClassInfo, dict[Cell, Value], int], Any]  # -> SaveResult
    cell_of: Callable[[dict[str, Any]], Cell]  # traced state -> cell
    value_of: Callable[[dict[str, Any]], Value]  # traced state -> value
    propose: Callable[[random.Random, ClassInfo, Any, str], dict[Cell, Value]]
    belongs: Callable[[ClassInfo, Any, dict[str, Any]], bool]  # traced state is of this sheet?


def _read_marks(session: Session, c: ClassInfo, _month: Any) -> dict[Cell, Value]:
    return {(m.enrolment_id, m.slot): Decimal(m.score) for m in session.scalars(select(Mark).where(
        Mark.enrolment_id.in_(c.enrolment_ids), Mark.subject_id == c.subject_id, Mark.term_id == c.term_id))}


def _save_marks(session: Session, user_id: int, c: ClassInfo, cells: dict[Cell, Value], version: int) -> Any:
    inputs = [MarkInput(e, MarkKind.REGULAR, slot, v) for (e, slot), v in cells.items()]
    return marks.save_marks(session, Actor.load(session, _teacher_of(session, c.assignment_id)), c.assignment_id,
                            inputs, today=TODAY, expected_version=version)


def _teacher_of(session: Session, assignment_id: int) -> int:
    ta = session.get(TeachingAssignment, assignment_id)
    assert ta is not None
    return ta.teacher_id


def _propose_marks(rng: random.Random, c: ClassInfo, _month: Any, _tag: str) -> dict[Cell, Value]:
    cells = {}
    for _ in range(rng.randint(1, 6)):
        cell = (rng.choice(c.enrolment_ids), rng.randint(1, 4))
        cells[cell] = None if rng.random() < 0.15 else Decimal(rng.randint(0, 100)) / 10
    return cells


def _read_attendance(session: Session, c: ClassInfo, month: Any) -> dict[Cell, Value]:
    return {(a.enrolment_id, a.day.isoformat()): (a.excused, a.reason) for a in session.scalars(
        select(Attendance).where(Attendance.enrolment_id.in_(c.enrolment_ids)))
        if month is None or a.day.strftime("%Y-%m") == month}


def _save_attendance(session: Session, user_id: int, c: ClassInfo, cells: dict[Cell, Value], version: int) -> Any:
    items = [Absence(e, dt.date.fromisoformat(day), present=True) if v is None else
             Absence(e, dt.date.fromisoformat(day), excused=v[0], reason=v[1]) for (e, day), v in cells.items()]
    return attendance.save_absences(session, Actor.load(session, c.homeroom_id), _class(session, c), items,
                                    today=TODAY, expected_version=version)


def _class(session: Session, c: ClassInfo) -> Any:
    from records.models import Class

    return session.get(Class, c.class_id)


def _propose_attendance(rng: random.Random, c: ClassInfo, month: Any, tag: str) -> dict[Cell, Value]:
    days = [d for d in DAYS if d.strftime("%Y-%m") == month]
    cells = {}
    for _ in range(rng.randint(1, 5)):
        cell = (rng.choice(c.enrolment_ids), rng.choice(days).isoformat())
        cells[cell] = None if rng.random() < 0.2 else (rng.random() < 0.5, rng.choice([None, "Ốm", f"Việc {tag}"]))
    return cells


def _read_homeroom(session: Session, c: ClassInfo, _month: Any) -> dict[Cell, Value]:
    return {h.enrolment_id: h.text for h in session.scalars(select(HomeroomComment).where(
        HomeroomComment.enrolment_id.in_(c.enrolment_ids), HomeroomComment.period == Period.TERM1))}


def _save_homeroom(session: Session, user_id: int, c: ClassInfo, cells: dict[Cell, Value], version: int) -> Any:
    return conduct.save_homeroom_comments(session, Actor.load(session, c.homeroom_id), _class(session, c),
                                          Period.TERM1, cells, today=TODAY, expected_version=version)


def _propose_texts(rng: random.Random, c: ClassInfo, _month: Any, tag: str) -> dict[Cell, Value]:
    return {rng.choice(c.enrolment_ids): (None if rng.random() < 0.1 else f"Nhận xét {tag} — chăm chỉ, tiến bộ.")
            for _ in range(rng.randint(1, 4))}


def _read_subject_comments(session: Session, c: ClassInfo, _month: Any) -> dict[Cell, Value]:
    return {s.enrolment_id: s.text for s in session.scalars(select(SubjectComment).where(
        SubjectComment.enrolment_id.in_(c.enrolment_ids), SubjectComment.subject_id == c.comment_subject_id,
        SubjectComment.period == Period.TERM1))}


def _save_subject_comments(session: Session, user_id: int, c: ClassInfo, cells: dict[Cell, Value],
                           version: int) -> Any:
    return marks.save_comments(session, Actor.load(session, c.homeroom_id), c.comment_assignment_id,
                               Period.TERM1, cells, today=TODAY, expected_version=version)


def _in_class(c: ClassInfo, state: dict[str, Any]) -> bool:
    return state["enrolment_id"] in c.enrolment_ids


SHEETS: dict[str, SheetKind] = {
    "marks": SheetKind(
        "mark", lambda c, _m: f"mark:{c.class_id}:{c.subject_id}:{c.term_id}", _read_marks, _save_marks,
        lambda s: (s["enrolment_id"], s["slot"]), lambda s: Decimal(s["value"]), _propose_marks,
        lambda c, _m, s: _in_class(c, s) and s["subject_id"] == c.subject_id),
    "attendance": SheetKind(
        "attendance", lambda c, m: f"attendance:{c.class_id}:{m}", _read_attendance, _save_attendance,
        lambda s: (s["enrolment_id"], s["day"]), lambda s: (s["excused"], s["reason"]), _propose_attendance,
        lambda c, m, s: _in_class(c, s) and s["day"][:7] == m),
    "homeroom_comments": SheetKind(
        "homeroom_comment", lambda c, _m: versions.homeroom_comment_sheet(c.class_id, Period.TERM1),
        _read_homeroom, _save_homeroom, lambda s: s["enrolment_id"], lambda s: s["text"], _propose_texts,
        lambda c, _m, s: _in_class(c, s)),
    "subject_comments": SheetKind(
        "subject_comment", lambda c, _m: f"subject_comment:{c.class_id}:{c.comment_subject_id}:{Period.TERM1.value}",
        _read_subject_comments, _save_subject_comments, lambda s: s["enrolment_id"], lambda s: s["text"],
        _propose_texts, lambda c, _m, s: _in_class(c, s) and s["subject_id"] == c.comment_subject_id),
}


# --- the writers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """A save the service accepted: the sheet's version it produced and the cells it wrote."""

    kind: str
    class_index: int
    month: Any
    version_read: int
    version: int
    cells: dict[Cell, Value]
    changes: int  # created + updated + deleted, as the service reported


@dataclass
class Outcome:
    """What the writers did."""

    accepted: list[Accepted] = field(default_factory=list)
    conflicts: int = 0  # StaleSheetError reported to the writer
    other_refusals: list[str] = field(default_factory=list)  # other domain errors (mapped database errors)
    crashes: list[str] = field(default_factory=list)  # anything that is not a domain error
    latencies: list[float] = field(default_factory=list)  # seconds per save (accepted or refused)
    seconds: float = 0.0


def _writer(engine: Engine, school: LoadSchool, index: int, kind: str, class_index: int, deadline: float,
            max_saves: int | None, outcome: Outcome, lock: threading.Lock, seed: int, think: float) -> None:
    rng = random.Random(seed * 1000 + index)
    spec = SHEETS[kind]
    c = school.classes[class_index]
    done = 0
    while time.monotonic() < deadline and (max_saves is None or done < max_saves):
        done += 1
        month = rng.choice(sorted({d.strftime("%Y-%m") for d in DAYS})) if kind == "attendance" else None
        try:
            with session_scope(engine) as session:
                version = versions.version_of(session, spec.sheet(c, month))
            cells = spec.propose(rng, c, month, f"w{index}-{done}")
            time.sleep(rng.uniform(0, think))  # the teacher types: others may save the sheet meanwhile
            started = time.perf_counter()
            try:
                result = run_in_transaction(engine, lambda s, cells=cells, version=version: spec.save(s, 0, c, cells, version))
            except StaleSheetError:
                with lock:
                    outcome.conflicts += 1
                    outcome.latencies.append(time.perf_counter() - started)
                continue
            with lock:
                outcome.latencies.append(time.perf_counter() - started)
                outcome.accepted.append(Accepted(kind, class_index, month, version, result.version, cells,
                                                 result.created + result.updated + result.deleted))
        except SodientuError as error:
            with lock:
                outcome.other_refusals.append(f"{kind}: {error.message_en}")
        except Exception as error:  # noqa: BLE001 — the test reports every crash, whatever it is
            with lock:
                outcome.crashes.append(f"{kind}: {type(error).__name__}: {error}")


def run_writers(engine: Engine, school: LoadSchool, *, writers: int, seconds: float,
                max_saves: int | None = None, seed: int = 16, think: float = 0.05) -> Outcome:
    """Start ``writers`` threads (kinds and classes spread round-robin, several per sheet) for ``seconds``.

    Each writer waits up to ``think`` seconds between reading a sheet and saving it (not counted in the
    latencies).
    """
    outcome = Outcome()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=_writer, args=(engine, school, i, KINDS[i % len(KINDS)],
                                                      (i // len(KINDS)) % len(school.classes), deadline,
                                                      max_saves, outcome, lock, seed, think))
               for i in range(writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcome.seconds = time.perf_counter() - started
    return outcome


# --- the proof ----------------------------------------------------------------------------------


@dataclass
class Check:
    """What ``check`` found; ``ok`` when nothing is lost, doubled or unverifiable."""

    problems: list[str] = field(default_factory=list)
    audit_entries: int = 0

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def check(engine: Engine, school: LoadSchool, outcome: Outcome) -> Check:
    """Compare the accepted saves, the stored sheets and the audit trail (see the module docstring)."""
    found = Check()
    problems = found.problems
    problems.extend(f"crash: {c}" for c in outcome.crashes)
    by_sheet: dict[tuple[str, int, Any], list[Accepted]] = {}
    for a in outcome.accepted:
        by_sheet.setdefault((a.kind, a.class_index, a.month), []).append(a)
    with session_scope(engine) as session:
        trail = audit.entries(session, school_id=school.school_id)
        found.audit_entries = len(trail)
        report = audit.verify(session, school.school_id)
        if not report.ok:
            problems.append(f"audit chain does not verify: {report.first_bad}")
        for kind, spec in SHEETS.items():
            expected_changes = sum(a.changes for a in outcome.accepted if a.kind == kind)
            traced = [e for e in trail if e.entity == spec.entity]
            if len(traced) != expected_changes:
                problems.append(f"{kind}: {len(traced)} audit entries for {expected_changes} reported changes")
            months = sorted({d.strftime("%Y-%m") for d in DAYS}) if kind == "attendance" else [None]
            for ci, c in enumerate(school.classes):
                for month in months:
                    saves = sorted(by_sheet.get((kind, ci, month), []), key=lambda a: a.version)
                    seen = [a.version for a in saves]
                    if len(set(seen)) != len(seen):
                        problems.append(f"{kind} class {ci} {month}: two accepted saves share a version (lost update)")
                    if any(a.version != a.version_read + 1 for a in saves):
                        problems.append(f"{kind} class {ci} {month}: an accepted save skipped a version")
                    replay: dict[Cell, Value] = {}
                    for a in saves:
                        for cell, value in a.cells.items():
                            if value is None or value == "":
                                replay.pop(cell, None)
                            else:
                                replay[cell] = value
                    stored = spec.read(session, c, month)
                    if stored != replay:
                        problems.append(f"{kind} class {ci} {month}: stored sheet differs from the accepted saves "
                                        f"({_diff(stored, replay)})")
                    from_trail: dict[Cell, Value] = {}
                    for e in traced:
                        state = audit.state(e.after) or audit.state(e.before)
                        assert state is not None
                        if not spec.belongs(c, month, state):
                            continue
                        if e.after is None:
                            from_trail.pop(spec.cell_of(state), None)
                        else:
                            from_trail[spec.cell_of(state)] = spec.value_of(state)
                    if from_trail != stored:
                        problems.append(f"{kind} class {ci} {month}: the audit trail differs from the stored sheet "
                                        f"({_diff(from_trail, stored)})")
                    version = versions.version_of(session, spec.sheet(c, month))
                    if saves and version != saves[-1].version:
                        problems.append(f"{kind} class {ci} {month}: stored version {version}, last accepted "
                                        f"{saves[-1].version}")
    return found


def _diff(a: dict[Cell, Value], b: dict[Cell, Value]) -> str:
    keys = sorted({*a, *b} - {k for k in a if k in b and a[k] == b[k]}, key=str)[:3]
    return "; ".join(f"{k}: {a.get(k)!r} vs {b.get(k)!r}" for k in keys)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1, nearest rank) of the values; 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

