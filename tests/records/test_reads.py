"""Reads have rights: a teacher reads the classes they teach, a homeroom teacher their class, an inspector the
schools of their district; everyone else is refused before anything is read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from records.errors import NotFoundError, PermissionDeniedError
from records.models import Mark, MarkKind, Role
from records.permissions import Actor
from records.services import reads, setup, students
from tests.records.school_setup import set_up_school


@pytest.fixture
def world(session):
    built = set_up_school(session, district="Mộc Châu")
    year = built.year(2025)
    mine = built.klass(year, 6, "6A1")
    other = built.klass(year, 6, "6A2")
    toan = built.subjects["toan"]
    term1 = built.term(year, 1)
    setup.assign_teacher(session, built.actor(), mine, toan, term1, built.teacher)
    kids = built.students("Lò Văn An", "Quàng Thị Bình")
    enrolments = students.enrol_class(session, built.actor(), mine, kids)
    session.add(Mark(enrolment_id=enrolments[0].id, subject_id=toan.id, term_id=term1.id, kind=MarkKind.REGULAR,
                     slot=1, score=Decimal("8.5")))
    session.flush()
    system = Actor.system("kiểm thử")
    inspector = setup.create_user(session, system, username="thanhtra.mc", full_name="Thanh Tra Mộc Châu", school=None,
                                  district="Mộc Châu", roles=[Role.INSPECTOR])
    outsider = setup.create_user(session, system, username="thanhtra.ms", full_name="Thanh Tra Mai Sơn", school=None,
                                 district="Mai Sơn", roles=[Role.INSPECTOR])
    office = setup.create_user(session, built.actor(), username="vp.mc", full_name="Văn Phòng", school=built.school,
                               roles=[Role.OFFICE])
    return built, mine, other, toan, term1, kids, {
        "inspector": Actor.load(session, inspector.id), "outsider": Actor.load(session, outsider.id),
        "office": Actor.load(session, office.id)}


def test_a_teacher_reads_the_marks_of_the_class_they_teach_only(session, world):
    built, mine, other, toan, term1, _kids, _ = world
    teacher = built.actor(built.teacher)
    sheet = reads.class_marks(session, teacher, mine.id, toan.id, term1.id)
    assert sheet.columns == ("TX1",) and sheet.rows[0][2] == ("8,5",)
    with pytest.raises(PermissionDeniedError):
        reads.class_marks(session, teacher, other.id, toan.id, term1.id)
    with pytest.raises(PermissionDeniedError):
        reads.class_roll(session, teacher, other.id)
    assert [line.full_name for line in reads.class_roll(session, teacher, mine.id).lines] == [
        "Lò Văn An", "Quàng Thị Bình"]
    assert [a.class_name for a in reads.assignments_of(session, teacher, today=dt.date(2025, 10, 1))] == ["6A1"]


def test_the_homeroom_teacher_reads_their_class_and_its_students(session, world):
    built, _mine, _other, _toan, _term1, kids, _ = world
    homeroom = built.actor(built.homeroom)  # homeroom teacher of both classes (the fixture's default)
    assert {c.name for c in reads.homerooms_of(session, homeroom)} == {"6A1", "6A2"}
    record = reads.student_record(session, homeroom, kids[0].id)
    assert record.enrolments[0][:2] == ("2025-2026", "6A1")
    with pytest.raises(PermissionDeniedError):
        reads.student_record(session, _stranger(session, built), kids[0].id)


def _stranger(session, built):
    user = setup.create_user(session, built.actor(), username=f"gv.khac{built.school.id}", full_name="Giáo Viên Khác",
                             school=built.school, roles=[Role.SUBJECT_TEACHER])
    return Actor.load(session, user.id)


def test_audit_trail_and_editions_are_read_by_their_holders_only(session, world):
    built, *_, people = world
    school_id = built.school.id
    assert reads.audit_trail(session, built.actor(built.principal), school_id)[0].seq > 1
    assert reads.audit_trail(session, people["inspector"], school_id)  # the inspector of the district
    for actor in (people["outsider"], people["office"], built.actor(built.teacher)):
        with pytest.raises(PermissionDeniedError):
            reads.audit_trail(session, actor, school_id)
    assert reads.editions_of(session, people["office"], school_id) == []
    with pytest.raises(PermissionDeniedError):
        reads.editions_of(session, built.actor(built.teacher), school_id)
    with pytest.raises(PermissionDeniedError):
        reads.editions_of(session, people["outsider"], school_id)
    with pytest.raises(NotFoundError):
        reads.audit_trail(session, built.actor(built.principal), 999_999)


def test_an_inspector_sees_the_schools_of_their_district(session, world):
    built, *_, people = world
    assert [s.id for s in reads.schools_of(session, people["inspector"])] == [built.school.id]
    assert reads.schools_of(session, people["outsider"]) == []
    year, classes = reads.school_classes(session, people["inspector"], built.school.id)
    assert year == "2025-2026" and [c.name for c in classes] == ["6A1", "6A2"]
    with pytest.raises(PermissionDeniedError):
        reads.school_classes(session, people["outsider"], built.school.id)
