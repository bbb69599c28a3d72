"""Which books a school has for a school year: its classes, the students on its rolls, its courses.

The listing ``layouts.batch.year_end_jobs`` turns into print jobs (a mark book per class, a transcript
per student, a register per course). It reads names and ids only: each book's read service and
``editions.authorize_print`` check the rights on the book itself when it is printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.errors import NotFoundError, ValidationError
from records.models import Class, Enrolment, EnrolmentStatus, Grade, School, SchoolYear, Student


@dataclass(frozen=True)
class YearBooks:
    """A school's books of one school year."""

    school_code: str
    year_name: str  # "2025-2026"
    classes: tuple[tuple[int, str], ...]  # (class id, name), by grade then name
    roll: tuple[tuple[str, int, str], ...]  # (student code, grade level, class name) of active enrolments, roll order
    courses: tuple[str, ...]  # the courses (khóa học) of the school's students


def year_books(session: Session, school_code: str, start_year: int) -> YearBooks:
    """The classes, roll and courses of the school's year ``start_year`` (NotFoundError when unknown)."""
    school = session.scalars(select(School).where(School.code == school_code)).one_or_none()
    if school is None:
        raise NotFoundError(f"Không có trường mã «{school_code}».", f"no school {school_code!r}")
    year = session.scalars(select(SchoolYear).where(SchoolYear.school_id == school.id,
                                                    SchoolYear.start_year == start_year)).one_or_none()
    if year is None:
        raise NotFoundError(f"Trường {school.code} không có năm học {start_year}-{start_year + 1}.",
                            f"no year {start_year} in school {school.code}")
    classes = session.execute(select(Class.id, Class.name).join(Grade, Grade.id == Class.grade_id)
                              .where(Grade.school_year_id == year.id).order_by(Grade.level, Class.name)).all()
    roll = session.execute(
        select(Student.code, Grade.level, Class.name).join(Enrolment, Enrolment.student_id == Student.id)
        .join(Class, Class.id == Enrolment.class_id).join(Grade, Grade.id == Class.grade_id)
        .where(Grade.school_year_id == year.id, Enrolment.status == EnrolmentStatus.ACTIVE)
        .order_by(Grade.level, Class.name, Enrolment.roll_number)).all()
    courses = session.scalars(select(Student.course).where(Student.school_id == school.id,
                                                           Student.course.is_not(None))
                              .distinct().order_by(Student.course)).all()
    return YearBooks(school.code, year.name, tuple((i, n) for i, n in classes),
                     tuple((c, lv, n) for c, lv, n in roll), tuple(c for c in courses if c))


def only_school_code(session: Session) -> str:
    """The code of the database's one school (ValidationError when it holds several: name one)."""
    codes = session.scalars(select(School.code).where(School.external.is_(False))).all()
    if len(codes) != 1:
        raise ValidationError("Cơ sở dữ liệu có nhiều trường: hãy ghi --school MÃ_TRƯỜNG.",
                              f"{len(codes)} schools, --school needed")
    return codes[0]


__all__ = ["YearBooks", "only_school_code", "year_books"]
