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


def trace_stored(session: Session, enrolment_ids: Iterable[int]) -> int:
    """Trace values a test inserted directly (as the services would have): the print checks the trail.

    Returns the number of entries written. Only for test data; real data is written by the services.
    """
    from decimal import Decimal

    from sqlalchemy import select

    from records import audit
    from records.audit import AuditRecord
    from records.models import (
        Attendance,
        Class,
        Conduct,
        Enrolment,
        HomeroomComment,
        Mark,
        StudentResult,
        Subject,
        SubjectComment,
        SubjectResult,
    )
    from records.permissions import Actor
    from records.services.marks import MarkKey, mark_state
    from records.services.trail import RESULT_FIELDS

    session.flush()
    ids = list(enrolment_ids)
    school = {e: s for e, s in session.execute(select(Enrolment.id, Class.school_id).join(
        Class, Class.id == Enrolment.class_id).where(Enrolment.id.in_(ids)))}
    codes = {i: c for i, c in session.execute(select(Subject.id, Subject.code))}
    records: list[AuditRecord] = []
    for m in session.scalars(select(Mark).where(Mark.enrolment_id.in_(ids))):
        key = MarkKey(m.enrolment_id, m.subject_id, m.term_id, m.kind, m.slot)
        records.append(AuditRecord("create", "mark", m.id, None, mark_state(key, m.value, m.assessed_on),
                                   school[m.enrolment_id]))
    for c in session.scalars(select(SubjectComment).where(SubjectComment.enrolment_id.in_(ids))):
        records.append(AuditRecord("create", "subject_comment", c.id, None, {
            "enrolment_id": c.enrolment_id, "subject_id": c.subject_id, "period": c.period.value, "text": c.text},
            school[c.enrolment_id]))
    for a in session.scalars(select(Attendance).where(Attendance.enrolment_id.in_(ids))):
        records.append(AuditRecord("create", "attendance", a.id, None, {
            "enrolment_id": a.enrolment_id, "day": a.day, "excused": a.excused, "reason": a.reason},
            school[a.enrolment_id]))
    for model, entity, field in ((Conduct, "conduct", "level"), (HomeroomComment, "homeroom_comment", "text")):
        for row in session.scalars(select(model).where(model.enrolment_id.in_(ids))):  # type: ignore[attr-defined]
            records.append(AuditRecord("create", entity, row.id, None, {
                "enrolment_id": row.enrolment_id, "period": row.period.value, field: getattr(row, field)},
                school[row.enrolment_id]))
    subjects: dict[tuple[int, str], dict[str, object]] = {}
    retakes: dict[tuple[int, str], dict[str, object]] = {}
    for s in session.scalars(select(SubjectResult).where(SubjectResult.enrolment_id.in_(ids))):
        value = s.average if s.average is not None else s.grade
        subjects.setdefault((s.enrolment_id, s.period.value), {})[codes[s.subject_id]] = value
        retake = s.reassessed_score if s.reassessed_score is not None else s.reassessed_grade
        if retake is not None:
            retakes.setdefault((s.enrolment_id, s.period.value), {})[codes[s.subject_id]] = retake
    results = {(r.enrolment_id, r.period.value): r
               for r in session.scalars(select(StudentResult).where(StudentResult.enrolment_id.in_(ids)))}
    for key in set(results) | set(subjects):
        r = results.get(key)
        state: dict[str, object] = {f: getattr(r, f) for f in RESULT_FIELDS} if r is not None else {}
        state["subjects"] = subjects.get(key, {})
        state["retakes"] = retakes.get(key, {})
        records.append(AuditRecord("compute", "student_result", f"{key[0]}:{key[1]}", None,
                                   {k: (str(v) if isinstance(v, Decimal) else v) for k, v in state.items()},
                                   school[key[0]]))
    audit.append_many(session, Actor.system("tests"), records)
    return len(records)
