"""A school set up through ``records.services.setup`` (as the demo does), for the service tests."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.models import Class, Grade, Role, School, SchoolYear, Student, Subject, Term, User
from records.permissions import Actor
from records.services import setup, students

_seq = itertools.count(1)


@dataclass
class SetUpSchool:
    """A school with its staff; ``year(start)`` opens a school year, ``klass`` makes a class."""

    session: Session
    school: School
    admin: User
    principal: User
    vice: User
    teacher: User
    homeroom: User
    subjects: dict[str, Subject] = field(default_factory=dict)

    def actor(self, user: User | None = None) -> Actor:
        """The actor of a user (default: the administrator)."""
        return Actor.load(self.session, (user or self.admin).id)

    def year(self, start: int = 2025) -> SchoolYear:
        """A school year (terms, grades, curriculum), created by the administrator."""
        found = self.session.scalars(select(SchoolYear).where(SchoolYear.school_id == self.school.id,
                                                              SchoolYear.start_year == start)).one_or_none()
        return found or setup.create_school_year(self.session, self.actor(), self.school, start)

    def grade(self, year: SchoolYear, level: int) -> Grade:
        """The grade of a year."""
        return self.session.scalars(select(Grade).where(Grade.school_year_id == year.id, Grade.level == level)).one()

    def term(self, year: SchoolYear, number: int) -> Term:
        """A term of a year."""
        return self.session.scalars(select(Term).where(Term.school_year_id == year.id, Term.number == number)).one()

    def klass(self, year: SchoolYear, level: int = 9, name: str | None = None, homeroom: User | None = None) -> Class:
        """A class with the homeroom teacher."""
        return setup.create_class(self.session, self.actor(), self.grade(year, level), name or f"{level}A{next(_seq)}",
                                  homeroom_teacher=homeroom or self.homeroom)

    def students(self, *names: str, born: dt.date = dt.date(2011, 5, 1)) -> list[Student]:
        """Students added by the administrator, from full names."""
        rows = []
        for full in names:
            family, *middle, given = full.split()
            rows.append({"code": f"T{next(_seq):06d}", "family_name": family, "middle_name": " ".join(middle),
                         "given_name": given, "date_of_birth": born, "gender": "Nữ" if "Thị" in middle else "Nam",
                         "ethnicity": "Thái"})
        return students.add_students(self.session, self.actor(), self.school, rows)


def set_up_school(session: Session, *, district: str = "Mộc Châu") -> SetUpSchool:
    """A school created by the installation, with an administrator, leaders and two teachers."""
    system = Actor.system("kiểm thử")
    n = next(_seq)
    school = setup.create_school(session, system, code=f"TS{n:04d}", name=f"Trường THCS Kiểm Thử {n}",
                                 district=district, province="Sơn La")

    def user(name: str, role: Role, dept: str | None = None) -> User:
        return setup.create_user(session, system, username=f"{name}{n}", full_name=f"{name.title()} Số {n}",
                                 school=school, roles=[role], department=dept)

    admin = user("quantri", Role.ADMINISTRATOR)
    principal = user("hieutruong", Role.PRINCIPAL)
    vice = user("phohieutruong", Role.VICE_PRINCIPAL)
    teacher = user("giaovien", Role.SUBJECT_TEACHER, "Tổ Khoa học tự nhiên")
    homeroom = user("chunhiem", Role.SUBJECT_TEACHER, "Tổ Khoa học xã hội")
    built = SetUpSchool(session, school, admin, principal, vice, teacher, homeroom)
    built.subjects = setup.ensure_subjects(session, built.actor(), school)
    return built
