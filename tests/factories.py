"""Small factories for tests: ``make_x(session, **overrides)`` returns a flushed object."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from records.models import (
    Assessment,
    Class,
    Enrolment,
    Gender,
    Grade,
    GradeSubject,
    Role,
    RoleGrant,
    School,
    SchoolYear,
    Student,
    Subject,
    TeachingAssignment,
    Term,
    User,
)
from records.rules import regime_for

_seq = itertools.count(1)

# The standard THCS subjects of each programme: (code, name, assessment, lessons per year).
TT22_SUBJECTS = [
    ("ngu_van", "Ngữ văn", Assessment.SCORE, 140),
    ("toan", "Toán", Assessment.SCORE, 140),
    ("ngoai_ngu", "Ngoại ngữ 1 (Tiếng Anh)", Assessment.SCORE, 105),
    ("gdcd", "Giáo dục công dân", Assessment.SCORE, 35),
    ("ls_dl", "Lịch sử và Địa lí", Assessment.SCORE, 105),
    ("khtn", "Khoa học tự nhiên", Assessment.SCORE, 140),
    ("cong_nghe", "Công nghệ", Assessment.SCORE, 35),
    ("tin_hoc", "Tin học", Assessment.SCORE, 35),
    ("gdtc", "Giáo dục thể chất", Assessment.COMMENT, 70),
    ("nghe_thuat", "Nghệ thuật", Assessment.COMMENT, 70),
    ("hdtn", "Hoạt động trải nghiệm, hướng nghiệp", Assessment.COMMENT, 105),
    ("gddp", "Nội dung giáo dục của địa phương", Assessment.COMMENT, 35),
]
TT58_SUBJECTS = [
    ("toan", "Toán", Assessment.SCORE, 140),
    ("vat_li", "Vật lí", Assessment.SCORE, 70),
    ("hoa_hoc", "Hóa học", Assessment.SCORE, 70),
    ("sinh_hoc", "Sinh học", Assessment.SCORE, 70),
    ("ngu_van", "Ngữ văn", Assessment.SCORE, 175),
    ("lich_su", "Lịch sử", Assessment.SCORE, 70),
    ("dia_li", "Địa lí", Assessment.SCORE, 52),
    ("ngoai_ngu", "Tiếng Anh", Assessment.SCORE, 105),
    ("gdcd", "Giáo dục công dân", Assessment.SCORE, 35),
    ("cong_nghe", "Công nghệ", Assessment.SCORE, 52),
    ("tin_hoc", "Tin học", Assessment.SCORE, 70),
    ("the_duc", "Thể dục", Assessment.COMMENT, 70),
    ("am_nhac", "Âm nhạc", Assessment.COMMENT, 35),
    ("my_thuat", "Mỹ thuật", Assessment.COMMENT, 35),
]


def make_school(session: Session, **kw: object) -> School:
    """A school of Vân Hồ district, Sơn La."""
    n = next(_seq)
    values: dict[str, object] = {
        "code": f"SL{n:04d}", "name": f"Trường THCS Thử Nghiệm {n}", "district": "Vân Hồ", "province": "Sơn La"
    }
    values.update(kw)
    school = School(**values)
    session.add(school)
    session.flush()
    return school


def make_year(session: Session, school: School, start_year: int = 2025) -> SchoolYear:
    """A school year with both terms and the four grades, each with its regulation."""
    year = SchoolYear(
        school_id=school.id,
        start_year=start_year,
        starts_on=dt.date(start_year, 9, 5),
        ends_on=dt.date(start_year + 1, 5, 31),
        mark_cutoff=dt.date(start_year + 1, 5, 31),
    )
    session.add(year)
    session.flush()
    session.add_all(
        [
            Term(school_year_id=year.id, number=1, starts_on=year.starts_on, ends_on=dt.date(start_year + 1, 1, 15)),
            Term(school_year_id=year.id, number=2, starts_on=dt.date(start_year + 1, 1, 16), ends_on=year.ends_on),
        ]
    )
    for level in (6, 7, 8, 9):
        session.add(Grade(school_year_id=year.id, level=level, regime=regime_for(start_year, level)))
    session.flush()
    session.refresh(year)
    return year


def make_subjects(session: Session, school: School, regime: str = "tt22") -> list[Subject]:
    """The standard subjects of a programme for a school (created once, then reused)."""
    table = TT22_SUBJECTS if regime == "tt22" else TT58_SUBJECTS
    out = []
    for code, name, assessment, lessons in table:
        subject = session.query(Subject).filter_by(school_id=school.id, code=code).one_or_none()
        if subject is None:
            subject = Subject(school_id=school.id, code=code, name=name, assessment=assessment,
                              lessons_per_year=lessons)
            session.add(subject)
        out.append(subject)
    session.flush()
    return out


#: The password of every user ``make_user`` creates (the suite sets ``SODIENTU_PASSWORD`` to it).
TEST_PASSWORD = "mat-khau-thu-nghiem"
#: Its argon2id hash with the cheapest parameters (verifying follows the parameters stored in the hash).
TEST_PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(TEST_PASSWORD)


def make_user(session: Session, school: School | None, roles: Iterable[Role] = (), **kw: object) -> User:
    """A user holding the given roles in the school, with the password ``TEST_PASSWORD``."""
    n = next(_seq)
    values: dict[str, object] = {"username": f"user{n}", "full_name": f"Giáo Viên Số {n}",
                                 "school_id": school.id if school else None,
                                 "password_hash": TEST_PASSWORD_HASH}
    values.update(kw)
    user = User(**values)
    session.add(user)
    session.flush()
    for role in roles:
        session.add(RoleGrant(user_id=user.id, role=role, school_id=school.id if school else None,
                              district=None if school else "Vân Hồ"))
    session.flush()
    return user


def make_class(session: Session, year: SchoolYear, level: int = 9, name: str | None = None,
               homeroom: User | None = None) -> Class:
    """A class of the grade, with the grade's curriculum set up if missing."""
    grade = next(g for g in year.grades if g.level == level)
    school = year.school
    if not grade.subjects:
        for pos, subject in enumerate(make_subjects(session, school, "tt22" if grade.regime == "tt22" else "tt58")):
            session.add(GradeSubject(grade_id=grade.id, subject_id=subject.id, position=pos))
        session.flush()
        session.refresh(grade)
    klass = Class(school_id=school.id, grade_id=grade.id, name=name or f"{level}A{next(_seq)}",
                  homeroom_teacher_id=homeroom.id if homeroom else None)
    session.add(klass)
    session.flush()
    return klass


def make_student(session: Session, school: School, **kw: object) -> Student:
    """A student with plausible personal data."""
    n = next(_seq)
    values: dict[str, object] = {
        "code": f"HS{n:06d}", "family_name": "Nguyễn", "middle_name": "Thị", "given_name": "Hằng",
        "date_of_birth": dt.date(2011, 3, 14), "gender": Gender.FEMALE, "ethnicity": "Thái",
        "place_of_birth": "Xã Chiềng Khoa, huyện Vân Hồ, tỉnh Sơn La",
        "permanent_address": "Bản Suối Lìn, xã Chiềng Khoa, huyện Vân Hồ, tỉnh Sơn La",
        "school_id": school.id,
    }
    values.update(kw)
    student = Student(**values)
    session.add(student)
    session.flush()
    return student


def enrol(session: Session, student: Student, klass: Class, roll_number: int | None = None,
          **kw: object) -> Enrolment:
    """Put a student on a class's roll."""
    if roll_number is None:
        roll_number = len(klass.enrolments) + 1
    values: dict[str, object] = {"student_id": student.id, "class_id": klass.id, "roll_number": roll_number,
                                     "enrolled_on": klass.grade.school_year.starts_on}
    values.update(kw)
    enrolment = Enrolment(**values)
    session.add(enrolment)
    session.flush()
    session.refresh(klass)
    return enrolment


def assign(session: Session, teacher: User, klass: Class, subject: Subject, term: Term) -> TeachingAssignment:
    """Give a teacher a subject in a class for a term."""
    ta = TeachingAssignment(teacher_id=teacher.id, class_id=klass.id, subject_id=subject.id, term_id=term.id)
    session.add(ta)
    session.flush()
    return ta
