"""A small school for governance tests: one user per role, a class, a subject teacher, three students."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from records.models import Class, Enrolment, Role, School, SchoolYear, Subject, TeachingAssignment, Term, User
from records.permissions import Actor
from tests import factories as f

IN_TERM1 = dt.date(2025, 10, 15)
IN_TERM2 = dt.date(2026, 3, 10)


@dataclass
class World:
    """Everything a governance test needs, created by ``make_world``."""

    school: School
    year: SchoolYear
    term1: Term
    term2: Term
    klass: Class
    other_class: Class
    subject: Subject  # Toán (scored)
    comment_subject: Subject  # Giáo dục thể chất (Đ/CĐ)
    users: dict[Role, User]
    other_teacher: User  # teaches Toán in the other class
    assignment1: TeachingAssignment  # the subject teacher, Toán, klass, term 1
    assignment2: TeachingAssignment  # … term 2
    comment_assignment: TeachingAssignment  # the subject teacher, GDTC, klass, term 1
    enrolments: list[Enrolment]
    board_witness: User  # a second administrator: the one applying a correction cannot witness it

    def actor(self, session: Session, role: Role) -> Actor:
        """The actor of the user holding ``role``."""
        return Actor.load(session, self.users[role].id)

    def user_actor(self, session: Session, user: User) -> Actor:
        """The actor of any user."""
        return Actor.load(session, user.id)


def make_world(session: Session, *, district: str = "Vân Hồ") -> World:
    """A TT22 school year 2025-2026 with a grade-9 class, its teachers and three students."""
    school = f.make_school(session, district=district)
    year = f.make_year(session, school, 2025)
    term1, term2 = year.terms
    users: dict[Role, User] = {}
    for role in Role:
        if role is Role.INSPECTOR:
            users[role] = f.make_user(session, None, [role], full_name="Thanh Tra Huyện")
            users[role].grants[0].district = district
        else:
            users[role] = f.make_user(session, school, [role], full_name=f"Người {role.label_vi}",
                                      department="Tổ Toán - Tin")
    other_teacher = f.make_user(session, school, [Role.SUBJECT_TEACHER, Role.HOMEROOM_TEACHER],
                                full_name="Giáo Viên Khác", department="Tổ Văn - Sử")
    klass = f.make_class(session, year, 9, "9A1", homeroom=users[Role.HOMEROOM_TEACHER])
    other = f.make_class(session, year, 9, "9A2", homeroom=other_teacher)
    subjects = {gs.subject.code: gs.subject for gs in klass.grade.subjects}
    teacher = users[Role.SUBJECT_TEACHER]
    a1 = f.assign(session, teacher, klass, subjects["toan"], term1)
    a2 = f.assign(session, teacher, klass, subjects["toan"], term2)
    ac = f.assign(session, teacher, klass, subjects["gdtc"], term1)
    f.assign(session, other_teacher, other, subjects["toan"], term1)
    enrolments = [
        f.enrol(session, f.make_student(session, school, given_name=name), klass)
        for name in ("An", "Bình", "Chi")
    ]
    board_witness = f.make_user(session, school, [Role.ADMINISTRATOR], full_name="Quản Trị Chứng Kiến")
    session.flush()
    return World(school, year, term1, term2, klass, other, subjects["toan"], subjects["gdtc"], users,
                 other_teacher, a1, a2, ac, enrolments, board_witness)
