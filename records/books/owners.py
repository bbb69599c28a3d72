"""The ids an edition of a book is recorded under: school, class, student, school year.

``layouts.publish.Scope`` is made from these; the lookups read ids only (no right is needed to know
which school a class belongs to: the book's read service and ``editions.authorize_print`` check the
rights on the book itself).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.errors import NotFoundError
from records.models import Class, Grade, SchoolYear, Student


@dataclass(frozen=True)
class Owner:
    """Where a book belongs: its school and, as the book has them, class, student and school year."""

    school_id: int
    class_id: int | None = None
    student_id: int | None = None
    school_year_id: int | None = None
    class_name: str = ""
    start_year: int | None = None  # of the school year


def class_owner(session: Session, class_id: int) -> Owner:
    """The class's school, school year and name (NotFoundError for an unknown class)."""
    row = session.execute(select(Class.name, Class.school_id, SchoolYear.id, SchoolYear.start_year)
                          .join(Grade, Grade.id == Class.grade_id)
                          .join(SchoolYear, SchoolYear.id == Grade.school_year_id)
                          .where(Class.id == class_id)).one_or_none()
    if row is None:
        raise NotFoundError("Không tìm thấy lớp cần in sổ.", f"class {class_id} not found")
    name, school_id, year_id, start = row
    return Owner(school_id, class_id=class_id, school_year_id=year_id, class_name=name, start_year=start)


def student_owners(session: Session, student_codes: Iterable[str]) -> dict[str, Owner]:
    """Per student code, the student's id and school (codes without a student are left out)."""
    codes = list(dict.fromkeys(student_codes))
    out: dict[str, Owner] = {}
    for i in range(0, len(codes), 500):
        for code, student_id, school_id in session.execute(
                select(Student.code, Student.id, Student.school_id).where(Student.code.in_(codes[i:i + 500]))):
            out[code] = Owner(school_id, student_id=student_id)
    return out


def student_owner(session: Session, student_code: str, start_year: int | None = None) -> Owner:
    """The student's id and school, with the school's year ``start_year`` when given (NotFoundError
    for an unknown code; a year the school does not have gives ``school_year_id`` None)."""
    owner = student_owners(session, [student_code]).get(student_code)
    if owner is None:
        raise NotFoundError(f"Không tìm thấy học sinh có mã «{student_code}».",
                            f"no student with code {student_code!r}")
    if start_year is None:
        return owner
    return Owner(owner.school_id, student_id=owner.student_id,
                 school_year_id=school_year_id(session, owner.school_id, start_year), start_year=start_year)


def school_year_id(session: Session, school_id: int, start_year: int) -> int | None:
    """The id of the school's year that starts in ``start_year`` (None when the school has no such year)."""
    return session.scalar(select(SchoolYear.id).where(SchoolYear.school_id == school_id,
                                                      SchoolYear.start_year == start_year))


__all__ = ["Owner", "class_owner", "school_year_id", "student_owner", "student_owners"]
