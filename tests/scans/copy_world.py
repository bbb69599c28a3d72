"""A former student whose transcript is lost: the world of the copy tests (service and commands)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from records.models import Enrolment, KeyKind, Period, Role, StudentResult, SubjectResult
from records.permissions import Actor
from records.services import editions as es
from signing.keys import generate_private_key, key_id, public_key_pem
from tests.factories import (
    assign,
    enrol,
    make_class,
    make_school,
    make_student,
    make_subjects,
    make_user,
    make_year,
    trace_stored,
)


def make_lost_student(session, key=None) -> dict:
    """A former student whose Toán teacher of grade 6 has left the school; the group's head is there."""
    school = make_school(session, name="Trường THCS Tô Hiệu", principal_name="Hà Văn Thắng")
    y6, y7 = make_year(session, school, 2022), make_year(session, school, 2023)
    homeroom = make_user(session, school, [Role.HOMEROOM_TEACHER], full_name="Lò Thị Mai", department="Ngữ văn")
    gone = make_user(session, school, [Role.SUBJECT_TEACHER], full_name="Phạm Văn Cũ", department="Toán - Tin",
                     active=False)
    stays = make_user(session, school, [Role.SUBJECT_TEACHER], full_name="Vì Văn Còn", department="Toán - Tin")
    head = make_user(session, school, [Role.HEAD_OF_DEPARTMENT, Role.SUBJECT_TEACHER], full_name="Đinh Thị Tổ",
                     department="Toán - Tin")
    office = make_user(session, school, [Role.OFFICE], username="vanphong", full_name="Cầm Thị Văn Phòng")
    c6 = make_class(session, y6, 6, "6A1", homeroom=homeroom)
    c7 = make_class(session, y7, 7, "7A1", homeroom=homeroom)
    toan = next(s for s in make_subjects(session, school) if s.name == "Toán")
    for term in y6.terms:
        assign(session, gone, c6, toan, term)
    for term in y7.terms:
        assign(session, stays, c7, toan, term)
    student = make_student(session, school, family_name="Quàng", middle_name="Thị", given_name="Ước",
                           register_number="12/THCS")
    enrolments = []
    for klass in (c6, c7):
        e = enrol(session, student, klass)
        enrolments.append(e.id)
        session.add(StudentResult(enrolment_id=e.id, period=Period.YEAR, regime="tt22", learning="Khá",
                                  conduct="Tốt", promotion="promoted",
                                  approved_at=dt.datetime(klass.grade.school_year.start_year + 1, 5, 26, 3,
                                                          tzinfo=dt.UTC)))
        session.add(SubjectResult(enrolment_id=e.id, subject_id=toan.id, period=Period.YEAR, average=Decimal("7.5")))
    session.flush()
    trace_stored(session, enrolments)  # as the services would have: printing checks every value against the trail
    key = key or generate_private_key()
    es.register_key(session, Actor.system("test"), key_id=key_id(key), kind=KeyKind.ED25519,
                    public_pem=public_key_pem(key), school_id=school.id)
    session.flush()
    trace_stored(session, session.scalars(select(Enrolment.id).where(Enrolment.student_id == student.id)))  # as if saved
    return {"school": school, "student": student, "office": Actor.load(session, office.id), "key": key,
            "teacher": Actor.load(session, stays.id), "head": head}
