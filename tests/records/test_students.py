"""records.services.students: personal data, the roll in name order, transfers, dropping out, promotion."""

from __future__ import annotations

import datetime as dt

import pytest

from records import audit
from records.errors import ConflictError, PermissionDeniedError, ValidationError
from records.models import Enrolment, EnrolmentStatus, Period, StudentResult
from records.services import students
from tests.records.school_setup import set_up_school


def _decide(session, enrolment: Enrolment, decision: str | None) -> None:
    """The year result of an enrolment (written directly: the results service is tested elsewhere)."""
    session.add(StudentResult(enrolment_id=enrolment.id, period=Period.YEAR, regime="tt22", learning="Đạt",
                              conduct="Tốt", promotion=decision, final_promotion=decision))
    session.flush()


def test_roll_is_numbered_in_vietnamese_name_order(session) -> None:
    built = set_up_school(session)
    klass = built.klass(built.year(2025), 9)
    names = ["Đào Văn Dũng", "Lò Thị Ánh", "Nguyễn Văn Bình", "Dương Thị Dung", "Trần Thị Anh", "Lường Văn Ước",
             "Hà Văn Uy"]
    enrolled = students.enrol_class(session, built.actor(), klass, built.students(*names))
    ordered = sorted(enrolled, key=lambda e: e.roll_number)
    assert [e.student.full_name for e in ordered] == [
        "Trần Thị Anh", "Lò Thị Ánh", "Nguyễn Văn Bình", "Dương Thị Dung", "Đào Văn Dũng", "Hà Văn Uy",
        "Lường Văn Ước"]
    assert [e.roll_number for e in ordered] == list(range(1, 8))
    assert all(e.enrolled_on == dt.date(2025, 9, 5) and not e.repeating for e in enrolled)
    assert all(e.student.entry_date == dt.date(2025, 9, 5) and e.student.entry_grade == 9 for e in enrolled)
    assert len(audit.entries(session, school_id=built.school.id, entity="enrolment")) == 7
    with pytest.raises(ConflictError):  # numbered once; later arrivals are appended
        students.enrol_class(session, built.actor(), klass, built.students("Sa Văn Nam"))


def test_same_names_are_ordered_by_date_of_birth(session) -> None:
    built = set_up_school(session)
    klass = built.klass(built.year(2025), 6)
    younger = built.students("Lò Thị Hằng", born=dt.date(2014, 6, 1))
    older = built.students("Lò Thị Hằng", born=dt.date(2014, 2, 1))
    enrolled = students.enrol_class(session, built.actor(), klass, younger + older)
    assert {e.student_id: e.roll_number for e in enrolled} == {older[0].id: 1, younger[0].id: 2}


def test_only_the_administrator_enrols_and_a_student_is_in_one_class_a_year(session) -> None:
    built = set_up_school(session)
    year = built.year(2025)
    a, b = built.klass(year, 9), built.klass(year, 9)
    pupils = built.students("Cầm Văn Khánh")
    with pytest.raises(PermissionDeniedError):
        students.enrol_class(session, built.actor(built.homeroom), a, pupils)
    students.enrol_class(session, built.actor(), a, pupils)
    with pytest.raises(ConflictError):
        students.enrol_class(session, built.actor(), b, pupils)


def test_transfer_in_is_appended_and_transfer_out_keeps_the_row(session) -> None:
    built = set_up_school(session)
    klass = built.klass(built.year(2025), 8)
    first = students.enrol_class(session, built.actor(), klass, built.students("Lò Văn An", "Quàng Thị Yến"))
    newcomer = built.students("Giàng A Chư")[0]
    arrived = students.transfer_in(session, built.actor(), klass, newcomer, on=dt.date(2025, 10, 2),
                                   from_school="Trường THCS Chiềng Khoa")
    assert arrived.roll_number == 3 and arrived.transferred_in and arrived.from_school == "Trường THCS Chiềng Khoa"
    assert newcomer.entry_date == dt.date(2025, 10, 2) and newcomer.entry_from_school == "Trường THCS Chiềng Khoa"
    with pytest.raises(ValidationError):
        students.transfer_in(session, built.actor(), klass, built.students("Vì Văn Lực")[0],
                             on=dt.date(2026, 7, 1), from_school="Trường THCS Tô Múa")
    leaving = first[0]
    students.transfer_out(session, built.actor(), leaving, on=dt.date(2026, 2, 20), to_school="Trường THCS 19/5")
    assert leaving.status == EnrolmentStatus.TRANSFERRED_OUT and leaving.left_on == dt.date(2026, 2, 20)
    assert leaving.to_school == "Trường THCS 19/5" and leaving.student.left_reason == students.LEFT_TRANSFERRED
    assert session.get(Enrolment, leaving.id) is not None  # the row stays on the roll
    with pytest.raises(ConflictError):
        students.transfer_out(session, built.actor(), leaving, on=dt.date(2026, 3, 1), to_school="X")
    students.drop_out(session, built.actor(), first[1], on=dt.date(2026, 3, 2), reason="hoàn cảnh khó khăn")
    assert first[1].status == EnrolmentStatus.DROPPED_OUT
    assert first[1].student.left_reason == "Bỏ học (hoàn cảnh khó khăn)"
    later = built.students("Sùng A Páo")[0]
    assert students.transfer_in(session, built.actor(), klass, later, on=dt.date(2026, 3, 5),
                                from_school="Trường THCS Tân Lập").roll_number == 4  # never reused
    actions = [e.action for e in audit.entries(session, school_id=built.school.id, entity="enrolment")]
    assert actions.count("transfer_in") == 2 and "transfer_out" in actions and "drop_out" in actions


def test_transfer_in_takes_over_the_record_from_another_school(session) -> None:
    ours, theirs = set_up_school(session), set_up_school(session)
    old_class = theirs.klass(theirs.year(2024), 7)
    pupil = theirs.students("Mùa A Sính")[0]
    old = students.enrol_class(session, theirs.actor(), old_class, [pupil])[0]
    _decide(session, old, "promoted")
    new_class = ours.klass(ours.year(2025), 8)
    moved = students.transfer_in(session, ours.actor(), new_class, pupil, on=dt.date(2025, 9, 10),
                                 from_school=theirs.school.name)
    assert pupil.school_id == ours.school.id and moved.from_school == theirs.school.name
    assert pupil.entry_date == dt.date(2025, 9, 10) and pupil.entry_grade == 8


def test_next_year_follows_the_decision(session) -> None:
    built = set_up_school(session)
    y1, y2 = built.year(2024), built.year(2025)
    grade7 = built.klass(y1, 7)
    up, stays, pending = built.students("Lò Văn Hùng", "Vì Thị Mai", "Tòng Văn Tú")
    e_up, e_stays, e_pending = sorted(students.enrol_class(session, built.actor(), grade7, [up, stays, pending]),
                                      key=lambda e: [up.id, stays.id, pending.id].index(e.student_id))
    _decide(session, e_up, "promoted")
    _decide(session, e_stays, "repeat")
    _decide(session, e_pending, None)
    assert students.next_level(session, e_up) == 8 and students.next_level(session, e_stays) == 7
    with pytest.raises(ConflictError):
        students.next_level(session, e_pending)
    grade8, again7 = built.klass(y2, 8), built.klass(y2, 7)
    with pytest.raises(ValidationError):
        students.enrol_class(session, built.actor(), grade8, [stays])
    assert not students.enrol_class(session, built.actor(), grade8, [up])[0].repeating
    assert students.enrol_class(session, built.actor(), again7, [stays])[0].repeating


def test_grade_9_promoted_complete_the_programme(session) -> None:
    built = set_up_school(session)
    klass = built.klass(built.year(2025), 9)
    done, failed = students.enrol_class(session, built.actor(), klass, built.students("Hà Văn Đức", "Lù Thị Lan"))
    _decide(session, done, "promoted")
    _decide(session, failed, "repeat")
    students.complete_programme(session, built.actor(), [done], on=dt.date(2026, 6, 10))
    assert done.student.left_reason == students.LEFT_COMPLETED and done.student.left_on == dt.date(2026, 6, 10)
    with pytest.raises(ValidationError):
        students.complete_programme(session, built.actor(), [failed])


def test_personal_data_is_checked_and_changes_are_traced(session) -> None:
    built = set_up_school(session)
    pupil = built.students("Bạc Thị Hoa")[0]
    students.update_student(session, built.actor(), pupil, permanent_address="  Bản Áng,  xã Đông Sang ",
                            father_name="Bạc Văn Tâm")
    assert pupil.permanent_address == "Bản Áng, xã Đông Sang"
    entry = audit.entries(session, school_id=built.school.id, entity="student", entity_id=pupil.id)[-1]
    assert audit.state(entry.after) == {"permanent_address": "Bản Áng, xã Đông Sang", "father_name": "Bạc Văn Tâm"}
    assert audit.state(entry.before) == {"permanent_address": None, "father_name": None}
    with pytest.raises(ValidationError):
        students.update_student(session, built.actor(), pupil, gender="Khác")
    with pytest.raises(ValidationError):
        students.update_student(session, built.actor(), pupil, given_name="  ")
    with pytest.raises(ValidationError):
        students.update_student(session, built.actor(), pupil, shoe_size=38)
    with pytest.raises(ValidationError):
        students.add_student(session, built.actor(), built.school, code="Z1", family_name="A", given_name="B",
                             date_of_birth=dt.date(2011, 1, 1), gender="Nam", permanent_address="x" * 301)
    with pytest.raises(ConflictError):
        students.add_student(session, built.actor(), built.school, code=pupil.code, family_name="A", given_name="B",
                             date_of_birth=dt.date(2011, 1, 1), gender="Nam")
    with pytest.raises(PermissionDeniedError):
        students.update_student(session, built.actor(built.teacher), pupil, hometown="Mộc Châu")
    klass = built.klass(built.year(2025), 6)
    students.enrol_class(session, built.actor(), klass, [pupil])
    students.update_student(session, built.actor(built.homeroom), pupil, hometown="Mộc Châu")  # own class
    assert pupil.hometown == "Mộc Châu"
