"""Finding what a user names (a school by code, a year by its first year, a class by name, a user by login),
with Vietnamese errors when it is not there. Used by the commands and the screens alike."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.errors import NotFoundError
from records.models import Class, Grade, School, SchoolYear, Subject, Term, User


def school_by_id(session: Session, school_id: int) -> School:
    """A school by its id."""
    school = session.get(School, school_id)
    if school is None:
        raise NotFoundError("Không tìm thấy trường.", f"school {school_id} not found")
    return school


def school_by_code(session: Session, code: str) -> School:
    """A school by its code."""
    school = session.scalars(select(School).where(School.code == code.strip())).one_or_none()
    if school is None:
        raise NotFoundError(f"Không có trường mã {code}.", f"no school {code!r}")
    return school


def year_of(session: Session, school: School, start_year: int) -> SchoolYear:
    """A school's year by its first calendar year (2025 → 2025-2026)."""
    year = session.scalars(select(SchoolYear).where(SchoolYear.school_id == school.id,
                                                    SchoolYear.start_year == start_year)).one_or_none()
    if year is None:
        raise NotFoundError(f"Trường chưa có năm học {start_year}-{start_year + 1}.", f"no year {start_year}")
    return year


def grade_of(session: Session, year: SchoolYear, level: int) -> Grade:
    """A grade (6-9) of a year."""
    grade = session.scalars(select(Grade).where(Grade.school_year_id == year.id, Grade.level == level)).one_or_none()
    if grade is None:
        raise NotFoundError(f"Năm học {year.name} không có khối {level}.", f"no grade {level}")
    return grade


def term_of(session: Session, year: SchoolYear, number: int) -> Term:
    """Term 1 or 2 of a year."""
    term = session.scalars(select(Term).where(Term.school_year_id == year.id, Term.number == number)).one_or_none()
    if term is None:
        raise NotFoundError(f"Năm học {year.name} không có học kì {number}.", f"no term {number}")
    return term


def class_of(session: Session, year: SchoolYear, name: str) -> Class:
    """A class of a year by its name."""
    klass = session.scalars(select(Class).join(Grade, Grade.id == Class.grade_id)
                            .where(Grade.school_year_id == year.id, Class.name == name.strip())).one_or_none()
    if klass is None:
        raise NotFoundError(f"Năm học {year.name} không có lớp {name}.", f"no class {name!r}")
    return klass


def subject_by_code(session: Session, school: School, code: str) -> Subject:
    """A school's subject by its code (toan, ngu_van, …)."""
    subject = session.scalars(select(Subject).where(Subject.school_id == school.id,
                                                    Subject.code == code.strip())).one_or_none()
    if subject is None:
        raise NotFoundError(f"Trường chưa có môn mã {code}.", f"no subject {code!r}")
    return subject


def user_by_username(session: Session, username: str) -> User:
    """A user by their login name."""
    user = session.scalars(select(User).where(User.username == username.strip().lower())).one_or_none()
    if user is None:
        raise NotFoundError(f"Không có người dùng “{username}”.", f"no user {username!r}")
    return user
