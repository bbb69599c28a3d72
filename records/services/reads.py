"""Reading the records, with rights: every function takes the actor and checks the right first.

The web pages read only through here, so a page cannot show more than the rights table allows: a
subject teacher sees the classes they teach, a homeroom teacher their class, an inspector the schools
of their scope. Results are frozen dataclasses already formatted for display (templates never reach
into the database).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records import audit
from records.errors import NotFoundError
from records.models import (
    AuditEntry,
    Class,
    Edition,
    Enrolment,
    EnrolmentStatus,
    Grade,
    GradeSubject,
    Mark,
    MarkKind,
    School,
    SchoolYear,
    Student,
    Subject,
    TeachingAssignment,
    Term,
    User,
)
from records.permissions import Action, Actor, allowed, require
from records.services import context
from records.services.lookups import school_by_id

STATUS_VI = {EnrolmentStatus.ACTIVE: "", EnrolmentStatus.TRANSFERRED_OUT: "Chuyển đi",
             EnrolmentStatus.DROPPED_OUT: "Bỏ học"}
KIND_VI = {MarkKind.REGULAR: "TX", MarkKind.PERIODIC: "ĐK", MarkKind.MIDTERM: "GK", MarkKind.FINAL: "CK"}


@dataclass(frozen=True)
class SchoolRow:
    """A school the actor may read."""

    id: int
    code: str
    name: str
    district: str
    province: str


@dataclass(frozen=True)
class ClassRow:
    """A class with its year, homeroom teacher and number of students on the roll."""

    id: int
    name: str
    level: int
    year: str
    regime: str
    homeroom_teacher: str
    students: int


@dataclass(frozen=True)
class AssignmentRow:
    """A teaching assignment of the actor: subject, class, term."""

    id: int
    class_id: int
    class_name: str
    subject_id: int
    subject_name: str
    term_id: int
    term_name: str
    year: str
    current: bool


@dataclass(frozen=True)
class RollLine:
    """One line of a class roll."""

    roll_number: int
    student_id: int
    code: str
    full_name: str
    date_of_birth: str
    gender: str
    status: str
    repeating: bool


@dataclass(frozen=True)
class ClassRoll:
    """A class and its roll, with the subjects it studies and its terms (for links to mark sheets)."""

    klass: ClassRow
    school_name: str
    lines: tuple[RollLine, ...]
    subjects: tuple[tuple[int, str], ...]
    terms: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class MarkSheet:
    """The marks of one subject in one term for a class: columns (kind, slot) and a row per student."""

    klass: ClassRow
    subject: str
    term: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, str, tuple[str, ...]], ...]  # roll number, name, one value per column


@dataclass(frozen=True)
class StudentRecord:
    """A student's personal record and their enrolments (year, class, roll number, status)."""

    id: int
    code: str
    full_name: str
    date_of_birth: str
    gender: str
    place_of_birth: str
    current_address: str
    enrolments: tuple[tuple[str, str, int, str], ...]


@dataclass(frozen=True)
class TrailLine:
    """One entry of the audit trail as shown to a reader."""

    seq: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    change: str


@dataclass(frozen=True)
class EditionRow:
    """A printed edition: title, date, pages, status."""

    id: str
    title: str
    issued_on: str
    pages: int
    status: str
    printed_by: str


def display_date(day: dt.date | None) -> str:
    """A date as the books write it, dd/mm/yyyy ("" for none)."""
    return day.strftime("%d/%m/%Y") if day else ""


def _class(session: Session, class_id: int) -> Class:
    klass = session.get(Class, class_id)
    if klass is None:
        raise NotFoundError("Không tìm thấy lớp.", f"class {class_id} not found")
    return klass


def class_rows(session: Session, classes: list[Class]) -> list[ClassRow]:
    """Display rows of classes (callers check the right to read them)."""
    if not classes:
        return []
    ids = [c.id for c in classes]
    counts = dict(session.execute(select(Enrolment.class_id, func.count(Enrolment.id)).where(
        Enrolment.class_id.in_(ids), Enrolment.status == EnrolmentStatus.ACTIVE).group_by(Enrolment.class_id)).all())
    grades = {g.id: g for g in session.scalars(select(Grade).where(Grade.id.in_({c.grade_id for c in classes})))}
    years = {y.id: y for y in session.scalars(select(SchoolYear).where(
        SchoolYear.id.in_({g.school_year_id for g in grades.values()})))}
    teacher_ids = {c.homeroom_teacher_id for c in classes if c.homeroom_teacher_id}
    names = {u.id: u.full_name for u in session.scalars(select(User).where(User.id.in_(teacher_ids)))}
    rows = []
    for c in classes:
        grade = grades[c.grade_id]
        rows.append(ClassRow(c.id, c.name, grade.level, years[grade.school_year_id].name, grade.regime.upper(),
                             names.get(c.homeroom_teacher_id or 0, ""), int(counts.get(c.id, 0))))
    return rows


# --- what the actor holds ---------------------------------------------------------------------


def schools_of(session: Session, actor: Actor) -> list[SchoolRow]:
    """The schools the actor may read records of (their own; an inspector's whole district)."""
    ids = {g.school_id for g in actor.grants if g.school_id is not None}
    districts = {g.district for g in actor.grants if g.district is not None}
    query = select(School).where(School.external.is_(False))
    schools = [s for s in session.scalars(query.order_by(School.name))
               if s.id in ids or s.district in districts]
    return [SchoolRow(s.id, s.code, s.name, s.district, s.province) for s in schools
            if allowed(session, actor, Action.RECORDS_READ, s)]


def assignments_of(session: Session, actor: Actor, *, today: dt.date | None = None) -> list[AssignmentRow]:
    """The actor's own teaching assignments, newest year first (a teacher reads their own plan)."""
    if actor.user_id is None:
        return []
    today = context.today(today)
    rows = session.execute(
        select(TeachingAssignment, Class, Subject, Term, SchoolYear)
        .join(Class, Class.id == TeachingAssignment.class_id).join(Subject, Subject.id == TeachingAssignment.subject_id)
        .join(Term, Term.id == TeachingAssignment.term_id).join(SchoolYear, SchoolYear.id == Term.school_year_id)
        .where(TeachingAssignment.teacher_id == actor.user_id)
        .order_by(SchoolYear.start_year.desc(), Term.number, Class.name, Subject.name)).all()
    return [AssignmentRow(a.id, c.id, c.name, s.id, s.name, t.id, t.name, y.name, t.starts_on <= today <= t.ends_on)
            for a, c, s, t, y in rows]


def homerooms_of(session: Session, actor: Actor) -> list[ClassRow]:
    """The classes the actor is homeroom teacher of, newest first."""
    if actor.user_id is None:
        return []
    classes = list(session.scalars(select(Class).join(Grade, Grade.id == Class.grade_id)
                                   .join(SchoolYear, SchoolYear.id == Grade.school_year_id)
                                   .where(Class.homeroom_teacher_id == actor.user_id)
                                   .order_by(SchoolYear.start_year.desc(), Class.name)))
    return class_rows(session, classes)


# --- a school, a class, a student -------------------------------------------------------------


def school_classes(session: Session, actor: Actor, school_id: int, *, start_year: int | None = None
                   ) -> tuple[str, list[ClassRow]]:
    """The classes of a school's year (default: its latest), for leaders, the office and inspectors."""
    school = school_by_id(session, school_id)
    require(session, actor, Action.RECORDS_READ, school)
    query = select(SchoolYear).where(SchoolYear.school_id == school.id)
    if start_year is not None:
        query = query.where(SchoolYear.start_year == start_year)
    year = session.scalars(query.order_by(SchoolYear.start_year.desc()).limit(1)).first()
    if year is None:
        return "", []
    classes = list(session.scalars(select(Class).join(Grade, Grade.id == Class.grade_id)
                                   .where(Grade.school_year_id == year.id).order_by(Grade.level, Class.name)))
    return year.name, class_rows(session, classes)


def class_roll(session: Session, actor: Actor, class_id: int) -> ClassRoll:
    """A class's roll (homeroom teacher, teachers of the class, leaders, office, inspectors)."""
    klass = _class(session, class_id)
    require(session, actor, Action.RECORDS_READ, klass)
    rows = session.execute(select(Enrolment, Student).join(Student, Student.id == Enrolment.student_id)
                           .where(Enrolment.class_id == klass.id).order_by(Enrolment.roll_number)).all()
    lines = tuple(RollLine(e.roll_number, s.id, s.code, s.full_name, display_date(s.date_of_birth), s.gender.value,
                           STATUS_VI[e.status], e.repeating) for e, s in rows)
    subjects = tuple((sid, name) for sid, name in session.execute(select(Subject.id, Subject.name).join(GradeSubject, GradeSubject.subject_id == Subject.id)
                                     .where(GradeSubject.grade_id == klass.grade_id).order_by(GradeSubject.position)))
    grade = session.get(Grade, klass.grade_id)
    assert grade is not None
    terms = tuple((t.id, t.name) for t in session.scalars(select(Term).where(
        Term.school_year_id == grade.school_year_id).order_by(Term.number)))
    school = school_by_id(session, klass.school_id)
    return ClassRoll(class_rows(session, [klass])[0], school.name, lines, subjects, terms)


def class_marks(session: Session, actor: Actor, class_id: int, subject_id: int, term_id: int) -> MarkSheet:
    """The marks of a subject and term for a class, one row per student on the roll."""
    klass = _class(session, class_id)
    require(session, actor, Action.RECORDS_READ, klass)
    subject, term = session.get(Subject, subject_id), session.get(Term, term_id)
    grade = session.get(Grade, klass.grade_id)
    if subject is None or term is None or grade is None or term.school_year_id != grade.school_year_id:
        raise NotFoundError("Không tìm thấy môn học hoặc học kì của lớp.", "subject or term not of the class")
    enrolments = list(session.execute(select(Enrolment.id, Enrolment.roll_number, Student)
                                      .join(Student, Student.id == Enrolment.student_id)
                                      .where(Enrolment.class_id == klass.id).order_by(Enrolment.roll_number)).all())
    marks = session.scalars(select(Mark).where(Mark.enrolment_id.in_([e.id for e in enrolments]),
                                               Mark.subject_id == subject.id, Mark.term_id == term.id))
    values: dict[int, dict[tuple[MarkKind, int], str]] = defaultdict(dict)
    for m in marks:
        values[m.enrolment_id][(m.kind, m.slot)] = (str(m.score).replace(".", ",") if m.score is not None
                                                   else m.grade or "")
    order = list(MarkKind)
    keys = sorted({k for v in values.values() for k in v}, key=lambda k: (order.index(k[0]), k[1]))
    columns = tuple(f"{KIND_VI[kind]}{slot}" for kind, slot in keys)
    rows = tuple((roll, student.full_name, tuple(values[eid].get(k, "") for k in keys))
                 for eid, roll, student in enrolments)
    return MarkSheet(class_rows(session, [klass])[0], subject.name, term.name, columns, rows)


def student_record(session: Session, actor: Actor, student_id: int) -> StudentRecord:
    """A student's personal record and enrolments (sơ yếu lí lịch)."""
    student = session.get(Student, student_id)
    if student is None:
        raise NotFoundError("Không tìm thấy học sinh.", f"student {student_id} not found")
    require(session, actor, Action.RECORDS_READ, student)
    rows = session.execute(select(Enrolment, Class, SchoolYear).join(Class, Class.id == Enrolment.class_id)
                           .join(Grade, Grade.id == Class.grade_id).join(SchoolYear, SchoolYear.id == Grade.school_year_id)
                           .where(Enrolment.student_id == student.id).order_by(SchoolYear.start_year)).all()
    return StudentRecord(student.id, student.code, student.full_name, display_date(student.date_of_birth), student.gender.value,
                         student.place_of_birth or "", student.current_address or "",
                         tuple((y.name, c.name, e.roll_number, STATUS_VI[e.status]) for e, c, y in rows))


# --- the trail and the editions ---------------------------------------------------------------


def audit_trail(session: Session, actor: Actor, school_id: int, *, limit: int = 200) -> list[TrailLine]:
    """The latest entries of a school's audit trail, newest first (leaders, administrator, inspectors)."""
    school = school_by_id(session, school_id)
    require(session, actor, Action.AUDIT_READ, school)
    rows = session.scalars(select(AuditEntry).where(AuditEntry.chain == audit.chain_of(school.id))
                           .order_by(AuditEntry.seq.desc()).limit(limit))
    lines = []
    for e in rows:
        before, after = audit.state(e.before), audit.state(e.after)
        change = ", ".join(f"{k}: {before.get(k) if before else ''} → {v}" for k, v in (after or {}).items()
                           if not before or before.get(k) != v) if after else "(xóa)"
        lines.append(TrailLine(e.seq, e.at.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%d/%m/%Y %H:%M"),
                               e.actor_name, e.action, e.entity, e.entity_id, change[:300]))
    return lines


def editions_of(session: Session, actor: Actor, school_id: int) -> list[EditionRow]:
    """The printed editions of a school, newest first (leaders, administrator, office, inspectors)."""
    school = school_by_id(session, school_id)
    require(session, actor, Action.EDITIONS_READ, school)
    rows = session.scalars(select(Edition).where(Edition.school_id == school.id)
                           .order_by(Edition.created_at.desc()).limit(500))
    return [EditionRow(str(e.id), e.title, display_date(e.issued_on), e.page_count, str(e.status.value), e.created_by_name)
            for e in rows]
