"""What the administrator's set-up screens show, read with rights (``SCHOOL_SETUP``, ``ACCOUNTS_MANAGE``).

Plain frozen dataclasses: a school and its years, a year with its grades, classes and staff, a class
with its teaching assignments, the subjects of a grade, the accounts of a school.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.errors import NotFoundError
from records.models import (
    Class,
    Grade,
    GradeSubject,
    Role,
    RoleGrant,
    School,
    SchoolYear,
    Subject,
    TeachingAssignment,
    Term,
    User,
)
from records.permissions import Action, Actor, require
from records.services.reads import ClassRow, class_rows, display_date


@dataclass(frozen=True)
class YearRow:
    """A school year and its dates (display and ISO for date inputs)."""

    id: int
    name: str
    start_year: int
    starts_on: dt.date
    term1_ends_on: dt.date
    ends_on: dt.date
    mark_cutoff: dt.date

    def shown(self, field: str) -> str:
        """A date as dd/mm/yyyy."""
        return display_date(getattr(self, field))


@dataclass(frozen=True)
class SchoolSetup:
    """A school, its managing office and its years."""

    id: int
    code: str
    name: str
    district: str
    province: str
    managing_office: str
    years: tuple[YearRow, ...]


@dataclass(frozen=True)
class GradeRow:
    """A grade of a year: its regulation and its subjects in book order."""

    id: int
    level: int
    regime: str
    subjects: tuple[str, ...]


@dataclass(frozen=True)
class StaffRow:
    """An account of the school with its live roles."""

    id: int
    username: str
    full_name: str
    department: str
    roles: tuple[Role, ...]
    active: bool
    must_change_password: bool


@dataclass(frozen=True)
class YearSetup:
    """A year as the administrator sets it up."""

    school_id: int
    school_name: str
    year: YearRow
    grades: tuple[GradeRow, ...]
    classes: tuple[ClassRow, ...]
    terms: tuple[tuple[int, str], ...]
    staff: tuple[StaffRow, ...]
    previous_year: YearRow | None


@dataclass(frozen=True)
class AssignmentLine:
    """A teaching assignment of a class."""

    id: int
    subject: str
    term: str
    teacher: str


@dataclass(frozen=True)
class ClassSetup:
    """A class with its homeroom teacher and teaching assignments."""

    klass: ClassRow
    year_id: int
    homeroom_teacher_id: int | None
    assignments: tuple[AssignmentLine, ...]
    subjects: tuple[tuple[int, str], ...]
    terms: tuple[tuple[int, str], ...]
    staff: tuple[StaffRow, ...]


@dataclass(frozen=True)
class CurriculumLine:
    """A subject of the school and whether (and with how many lessons) the grade studies it."""

    code: str
    name: str
    studied: bool
    lessons: int
    default_lessons: int


def _year_row(session: Session, year: SchoolYear) -> YearRow:
    term1 = session.scalars(select(Term).where(Term.school_year_id == year.id, Term.number == 1)).one()
    return YearRow(year.id, year.name, year.start_year, year.starts_on, term1.ends_on, year.ends_on, year.mark_cutoff)


def _get(session: Session, model: type, ident: int, what: str):  # type: ignore[no-untyped-def]
    row = session.get(model, ident)
    if row is None:
        raise NotFoundError(f"Không tìm thấy {what}.", f"{model.__name__} {ident} not found")
    return row


def school_setup(session: Session, actor: Actor, school_id: int) -> SchoolSetup:
    """A school and its years."""
    school: School = _get(session, School, school_id, "trường")
    require(session, actor, Action.SCHOOL_SETUP, school)
    years = session.scalars(select(SchoolYear).where(SchoolYear.school_id == school.id)
                            .order_by(SchoolYear.start_year.desc()))
    return SchoolSetup(school.id, school.code, school.name, school.district, school.province,
                       school.managing_office or "", tuple(_year_row(session, y) for y in years))


def staff_of(session: Session, school_id: int) -> tuple[StaffRow, ...]:
    """The accounts of a school with their live roles (callers check the right)."""
    users = list(session.scalars(select(User).where(User.school_id == school_id).order_by(User.username)))
    roles: dict[int, list[Role]] = {}
    for grant in session.scalars(select(RoleGrant).where(RoleGrant.user_id.in_([u.id for u in users]),
                                                         RoleGrant.revoked_at.is_(None)).order_by(RoleGrant.id)):
        roles.setdefault(grant.user_id, []).append(Role(grant.role))
    return tuple(StaffRow(u.id, u.username, u.full_name, u.department or "", tuple(roles.get(u.id, ())), u.active,
                          u.must_change_password) for u in users)


def year_setup(session: Session, actor: Actor, year_id: int) -> YearSetup:
    """A year: dates, grades with regulation and subjects, classes, the staff to choose from."""
    year: SchoolYear = _get(session, SchoolYear, year_id, "năm học")
    require(session, actor, Action.SCHOOL_SETUP, year)
    school: School = _get(session, School, year.school_id, "trường")
    grades = []
    for grade in session.scalars(select(Grade).where(Grade.school_year_id == year.id).order_by(Grade.level)):
        names = session.scalars(select(Subject.short_name).join(GradeSubject, GradeSubject.subject_id == Subject.id)
                                .where(GradeSubject.grade_id == grade.id).order_by(GradeSubject.position))
        grades.append(GradeRow(grade.id, grade.level, grade.regime, tuple(n or "" for n in names)))
    classes = list(session.scalars(select(Class).join(Grade, Grade.id == Class.grade_id)
                                   .where(Grade.school_year_id == year.id).order_by(Grade.level, Class.name)))
    terms = tuple((t.id, t.name) for t in session.scalars(select(Term).where(Term.school_year_id == year.id)
                                                          .order_by(Term.number)))
    previous = session.scalars(select(SchoolYear).where(SchoolYear.school_id == school.id,
                                                        SchoolYear.start_year == year.start_year - 1)).one_or_none()
    return YearSetup(school.id, school.name, _year_row(session, year), tuple(grades),
                     tuple(class_rows(session, classes)), terms,
                     tuple(s for s in staff_of(session, school.id) if s.active),
                     _year_row(session, previous) if previous else None)


def class_setup(session: Session, actor: Actor, class_id: int) -> ClassSetup:
    """A class: homeroom teacher, teaching assignments, and what can be assigned."""
    klass: Class = _get(session, Class, class_id, "lớp")
    require(session, actor, Action.SCHOOL_SETUP, klass)
    grade: Grade = _get(session, Grade, klass.grade_id, "khối")
    rows = session.execute(select(TeachingAssignment, Subject.name, Term.number, User.full_name)
                           .join(Subject, Subject.id == TeachingAssignment.subject_id)
                           .join(Term, Term.id == TeachingAssignment.term_id)
                           .join(User, User.id == TeachingAssignment.teacher_id)
                           .where(TeachingAssignment.class_id == klass.id)
                           .order_by(Term.number, Subject.name, User.full_name)).all()
    assignments = tuple(AssignmentLine(a.id, s, "Học kì I" if n == 1 else "Học kì II", t) for a, s, n, t in rows)
    subjects = tuple((sid, name) for sid, name in session.execute(select(Subject.id, Subject.name).join(GradeSubject, GradeSubject.subject_id == Subject.id)
                                     .where(GradeSubject.grade_id == grade.id).order_by(GradeSubject.position)))
    terms = tuple((t.id, t.name) for t in session.scalars(select(Term).where(Term.school_year_id == grade.school_year_id)
                                                          .order_by(Term.number)))
    return ClassSetup(class_rows(session, [klass])[0], grade.school_year_id, klass.homeroom_teacher_id, assignments,
                      subjects, terms, tuple(s for s in staff_of(session, klass.school_id) if s.active))


def curriculum_of(session: Session, actor: Actor, year_id: int, level: int) -> tuple[GradeRow, list[CurriculumLine]]:
    """Every subject of the school, marked when the grade studies it (in book order first)."""
    year: SchoolYear = _get(session, SchoolYear, year_id, "năm học")
    grade = session.scalars(select(Grade).where(Grade.school_year_id == year.id, Grade.level == level)).one_or_none()
    if grade is None:
        raise NotFoundError(f"Năm học {year.name} không có khối {level}.", f"no grade {level}")
    require(session, actor, Action.SCHOOL_SETUP, grade)
    studied = {gs.subject_id: gs for gs in session.scalars(select(GradeSubject).where(GradeSubject.grade_id == grade.id))}
    subjects = list(session.scalars(select(Subject).where(Subject.school_id == year.school_id).order_by(Subject.id)))
    subjects.sort(key=lambda s: (s.id not in studied, studied[s.id].position if s.id in studied else 0))
    lines = [CurriculumLine(s.code, s.name, s.id in studied,
                            (studied[s.id].lessons_per_year if s.id in studied else None) or s.lessons_per_year,
                            s.lessons_per_year) for s in subjects]
    return GradeRow(grade.id, grade.level, grade.regime, ()), lines


def accounts_of(session: Session, actor: Actor, school_id: int) -> tuple[StaffRow, ...]:
    """Every account of a school, disabled ones included."""
    school: School = _get(session, School, school_id, "trường")
    require(session, actor, Action.ACCOUNTS_MANAGE, school)
    return staff_of(session, school.id)


def account(session: Session, actor: Actor, user_id: int) -> StaffRow:
    """One account."""
    user: User = _get(session, User, user_id, "tài khoản")
    require(session, actor, Action.ACCOUNTS_MANAGE, user)
    return next(s for s in staff_of(session, user.school_id) if s.id == user.id) if user.school_id else StaffRow(
        user.id, user.username, user.full_name, user.department or "", (), user.active, user.must_change_password)
