"""Students: personal data, the class roll, transfers, dropping out, promotion to the next year.

Roll numbers (STT) follow BOOKS.md §7: at the start of the year the class is numbered 1…n in
Vietnamese name order (``records.names.name_sort_key``); a student who arrives later is appended
with the next number; a student who leaves keeps the row (status, date, destination). Numbers are
never reused or renumbered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from records import audit
from records.audit import AuditRecord
from records.errors import ConflictError, NotFoundError, ValidationError
from records.models import (
    Class,
    Enrolment,
    EnrolmentStatus,
    Gender,
    Grade,
    Period,
    School,
    SchoolYear,
    Student,
    StudentResult,
)
from records.names import name_sort_key
from records.permissions import Action, Actor, Scope, require
from records.rules import Promotion
from records.services.context import today as _today
from records.services.limits import FIELD_LABELS_VI, check_length
from records.services.sheets import refuse_unprintable

__all__ = [
    "LEFT_COMPLETED",
    "LEFT_DROPPED_OUT",
    "LEFT_TRANSFERRED",
    "PERSONAL_FIELDS",
    "add_student",
    "add_students",
    "complete_programme",
    "drop_out",
    "enrol_class",
    "next_level",
    "student_by_code",
    "transfer_in",
    "transfer_out",
    "update_student",
]

LEFT_TRANSFERRED = "Chuyển trường"
LEFT_DROPPED_OUT = "Bỏ học"
LEFT_COMPLETED = "Hoàn thành chương trình THCS"

#: Fields of a student's personal data (sơ yếu lí lịch) that ``add_student``/``update_student`` accept.
PERSONAL_FIELDS: frozenset[str] = frozenset({
    "code", "moet_id", "citizen_id", "register_number", "course", "family_name", "middle_name", "given_name",
    "date_of_birth", "gender", "ethnicity", "nationality", "place_of_birth", "hometown", "permanent_address",
    "current_address", "policy_category", "father_name", "father_occupation", "mother_name",
    "mother_occupation", "guardian_name", "guardian_occupation", "photo", "photo_mime", "entry_date",
    "entry_grade", "entry_from_school",
})
_REQUIRED = ("code", "family_name", "given_name", "date_of_birth", "gender")
_NOT_BLANK = ("ethnicity", "nationality")
_TEXT_LIMITS = {c.name: c.type.length for c in Student.__table__.columns  # type: ignore[attr-defined]
                if getattr(c.type, "length", None)}


def _clean(values: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    unknown = set(values) - PERSONAL_FIELDS
    if unknown:
        raise ValidationError(f"Trường thông tin không hợp lệ: {', '.join(sorted(unknown))}.",
                              f"unknown student fields {sorted(unknown)}")
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str):
            value = " ".join(value.split()) or None
            refuse_unprintable(value or "", f"Thông tin «{key}»")
            limit = _TEXT_LIMITS.get(key)
            if limit is not None:
                check_length(key, value, limit)
        out[key] = value
    if "middle_name" in out and out["middle_name"] is None:
        out["middle_name"] = ""
    if "gender" in out and out["gender"] is not None:
        try:
            out["gender"] = Gender(out["gender"])
        except ValueError:
            raise ValidationError(f"Giới tính không hợp lệ: {out['gender']!r} (Nam hoặc Nữ).",
                                  f"invalid gender {out['gender']!r}") from None
    if "date_of_birth" in out and out["date_of_birth"] is not None:
        born = out["date_of_birth"]
        if not isinstance(born, dt.date) or not dt.date(1990, 1, 1) <= born <= dt.date.today():
            raise ValidationError(f"Ngày sinh không hợp lệ: {born!r}.", f"invalid date of birth {born!r}")
    missing = [k for k in _REQUIRED if (k in out or not partial) and not out.get(k)]
    missing += [k for k in _NOT_BLANK if k in out and not out[k]]  # columns with a default, never emptied
    if missing:
        raise ValidationError(
            f"Thiếu thông tin bắt buộc của học sinh: {', '.join(FIELD_LABELS_VI.get(k, k) for k in missing)}.",
            f"missing student fields {missing}")
    return out


def _state(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def add_student(session: Session, actor: Actor, school: School, **personal: Any) -> Student:
    """Create a student's record (sơ yếu lí lịch) in the school that keeps it."""
    return add_students(session, actor, school, [personal])[0]


def add_students(session: Session, actor: Actor, school: School,
                 rows: Sequence[Mapping[str, Any]]) -> list[Student]:
    """Create many students at once (an intake): one permission check, bulk insert, bulk trace."""
    if not rows:
        return []
    require(session, actor, Action.STUDENTS_WRITE,
            Scope(school_id=school.id, district=school.district, description_vi=f"học sinh của {school.name}"))
    cleaned = [_clean(row, partial=False) for row in rows]
    codes = [row["code"] for row in cleaned]
    if len(set(codes)) != len(codes):
        raise ConflictError("Mã học sinh bị trùng trong danh sách.", "duplicate student codes")
    taken = set(session.scalars(select(Student.code).where(Student.code.in_(codes))))
    if taken:
        raise ConflictError(f"Mã học sinh đã tồn tại: {', '.join(sorted(taken))}.", f"codes exist {sorted(taken)}")
    for row in cleaned:
        row["school_id"] = school.id
        row.setdefault("middle_name", "")
        row.setdefault("ethnicity", "Kinh")
        row.setdefault("nationality", "Việt Nam")
    ids = list(session.scalars(insert(Student).returning(Student.id, sort_by_parameter_order=True), cleaned))
    audit.append_many(session, actor, [
        AuditRecord("create", "student", sid, None, _state(row), school.id) for sid, row in zip(ids, cleaned)
    ])
    students = {s.id: s for s in session.scalars(select(Student).where(Student.id.in_(ids)))}
    return [students[i] for i in ids]


def update_student(session: Session, actor: Actor, student: Student, **changes: Any) -> Student:
    """Change a student's personal data; the trace keeps the old and new values."""
    require(session, actor, Action.STUDENTS_WRITE, student)
    cleaned = _clean(changes, partial=True)
    if "code" in cleaned and cleaned["code"] != student.code and session.scalar(
            select(Student.id).where(Student.code == cleaned["code"])) is not None:
        raise ConflictError(f"Mã học sinh {cleaned['code']} đã tồn tại.", "student code exists")
    before = {k: getattr(student, k) for k in cleaned if getattr(student, k) != cleaned[k]}
    if not before:
        return student
    for key in before:
        setattr(student, key, cleaned[key])
    session.flush()
    audit.append(session, actor, "update", "student", student.id, before, {k: cleaned[k] for k in before},
                 school_id=student.school_id)
    return student


# --- the roll -----------------------------------------------------------------------------------


def _class_year(session: Session, klass: Class) -> tuple[Grade, SchoolYear]:
    grade = session.get(Grade, klass.grade_id)
    assert grade is not None
    year = session.get(SchoolYear, grade.school_year_id)
    assert year is not None
    return grade, year


def _last_enrolment(session: Session, student_ids: Iterable[int]) -> dict[int, tuple[Enrolment, int, int]]:
    """Each student's latest enrolment with its grade level and school year start."""
    rows = session.execute(
        select(Enrolment, Grade.level, SchoolYear.start_year)
        .join(Class, Class.id == Enrolment.class_id).join(Grade, Grade.id == Class.grade_id)
        .join(SchoolYear, SchoolYear.id == Grade.school_year_id)
        .where(Enrolment.student_id.in_(list(student_ids)))
        .order_by(SchoolYear.start_year, Enrolment.enrolled_on, Enrolment.id)
    )
    out: dict[int, tuple[Enrolment, int, int]] = {}
    for enrolment, level, start in rows:
        out[enrolment.student_id] = (enrolment, level, start)
    return out


def next_level(session: Session, enrolment: Enrolment) -> int | None:
    """The grade a student goes to after this year: level + 1, the same level (repeat), None (completed).

    Raises ``ConflictError`` while the year's decision is still pending (summer re-assessment or training).
    """
    klass = session.get(Class, enrolment.class_id)
    assert klass is not None
    grade, _ = _class_year(session, klass)
    return _level_after(enrolment.id, grade.level, _year_decisions(session, [enrolment.id]).get(enrolment.id))


def _year_decisions(session: Session, enrolment_ids: Sequence[int]) -> dict[int, str | None]:
    """The year decision (final, else the year's promotion) of each enrolment that has a year result."""
    r = StudentResult.__table__.c  # type: ignore[attr-defined]  # Core columns: plain rows, no ORM loading
    rows = session.execute(select(r.enrolment_id, r.final_promotion, r.promotion)
                           .where(r.enrolment_id.in_(enrolment_ids), r.period == Period.YEAR).order_by(r.id.desc()))
    return {enrolment_id: final or promotion for enrolment_id, final, promotion in rows}  # the lowest id wins, as before


def _level_after(enrolment_id: int, level: int, decision: str | None) -> int | None:
    """``next_level`` from the grade level of the enrolment and its year decision."""
    if decision == Promotion.REPEAT:
        return level
    if decision == Promotion.PROMOTED:
        return None if level == 9 else level + 1
    raise ConflictError("Chưa có quyết định lên lớp / ở lại lớp của năm học trước.",
                        f"no final promotion decision for enrolment {enrolment_id}")


def _check_placement(session: Session, klass: Class, grade: Grade, year: SchoolYear,
                     students: Sequence[Student]) -> dict[int, bool]:
    """Each student's ``repeating`` flag; refuses a student already on a roll this year or misplaced."""
    last = _last_enrolment(session, [s.id for s in students])
    # last year's decisions of the whole roll in one query (not one per student)
    decisions = _year_decisions(session, [e.id for e, _level, start in last.values() if start == year.start_year - 1])
    repeating: dict[int, bool] = {}
    for student in students:
        previous = last.get(student.id)
        repeating[student.id] = False
        if previous is None:
            continue
        enrolment, level, start = previous
        if start == year.start_year and enrolment.status == EnrolmentStatus.ACTIVE:
            raise ConflictError(f"Học sinh {student.full_name} đã có tên trong một lớp của năm học {year.name}.",
                                f"student {student.id} already enrolled in {year.start_year}")
        if start != year.start_year - 1 or enrolment.status != EnrolmentStatus.ACTIVE:
            continue  # came back after a gap, or left last year: no decision to follow
        prev_class = session.get(Class, enrolment.class_id)
        if prev_class is None or prev_class.school_id != klass.school_id:
            continue  # last year at another school: its decision is on the transcript it sent
        expected = _level_after(enrolment.id, level, decisions.get(enrolment.id))
        if expected is None:
            raise ConflictError(f"Học sinh {student.full_name} đã hoàn thành chương trình THCS.",
                                f"student {student.id} completed the programme")
        if expected != grade.level:
            raise ValidationError(
                f"Học sinh {student.full_name} phải học khối {expected} (kết quả năm học trước), "
                f"không phải khối {grade.level}.",
                f"student {student.id} belongs to grade {expected}, not {grade.level}")
        repeating[student.id] = expected == level
    return repeating


def enrol_class(session: Session, actor: Actor, klass: Class, students: Sequence[Student], *,
                on: dt.date | None = None) -> list[Enrolment]:
    """Put the students on the class roll at the start of the year, numbered in Vietnamese name order.

    The year's decision of each returning student is followed: promoted students go up one grade,
    students who must repeat stay in their grade (``repeating``). Students arriving once the roll is
    numbered are added with ``transfer_in``.
    """
    require(session, actor, Action.ENROLMENT_WRITE, klass)
    grade, year = _class_year(session, klass)
    on = on or year.starts_on
    if session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.class_id == klass.id)):
        raise ConflictError(
            f"Lớp {klass.name} đã được đánh số thứ tự; học sinh đến sau được ghi vào cuối danh sách "
            "(tiếp nhận học sinh chuyển đến).",
            f"class {klass.id} already has a numbered roll")
    if len({s.id for s in students}) != len(students):
        raise ConflictError("Danh sách có học sinh bị trùng.", "duplicate students")
    foreign = [s for s in students if s.school_id != klass.school_id]
    if foreign:
        raise ValidationError(f"Học sinh {foreign[0].full_name} không thuộc hồ sơ của trường.",
                              f"student {foreign[0].id} belongs to school {foreign[0].school_id}")
    repeating = _check_placement(session, klass, grade, year, students)
    ordered = sorted(students, key=lambda s: name_sort_key(s.family_name, s.middle_name, s.given_name,
                                                           s.date_of_birth))
    rows = [{"student_id": s.id, "class_id": klass.id, "roll_number": n, "enrolled_on": on,
             "repeating": repeating[s.id], "status": EnrolmentStatus.ACTIVE, "transferred_in": False}
            for n, s in enumerate(ordered, start=1)]
    ids = list(session.scalars(insert(Enrolment).returning(Enrolment.id, sort_by_parameter_order=True), rows))
    audit.append_many(session, actor, [
        AuditRecord("create", "enrolment", eid, None,
                    {"student_id": r["student_id"], "class": klass.name, "school_year": year.name,
                     "roll_number": r["roll_number"], "enrolled_on": on, "repeating": r["repeating"]},
                    klass.school_id)
        for eid, r in zip(ids, rows)
    ])
    _mark_entry(session, [s for s in ordered], on, grade.level, None)
    enrolments = {e.id: e for e in session.scalars(select(Enrolment).where(Enrolment.id.in_(ids)))}
    session.expire(klass, ["enrolments"])
    return [enrolments[i] for i in ids]


def _mark_entry(session: Session, students: Sequence[Student], on: dt.date, level: int,
                from_school: str | None) -> None:
    """Record the date (and school) a student entered the school, the first time only."""
    for student in students:
        if student.entry_date is None:
            student.entry_date = on
            student.entry_grade = level
            if from_school and not student.entry_from_school:
                student.entry_from_school = from_school
    session.flush()


def transfer_in(session: Session, actor: Actor, klass: Class, student: Student, *, on: dt.date,
                from_school: str) -> Enrolment:
    """Receive a student from another school: appended to the roll with the next number."""
    require(session, actor, Action.ENROLMENT_WRITE, klass)
    grade, year = _class_year(session, klass)
    from_school = " ".join(from_school.split())
    if not from_school:
        raise ValidationError("Cần ghi trường học sinh chuyển đến từ.", "from_school required")
    if not year.starts_on <= on <= year.ends_on:
        raise ValidationError(f"Ngày tiếp nhận {on:%d/%m/%Y} không thuộc năm học {year.name}.",
                              f"date {on} outside school year {year.start_year}")
    _check_placement(session, klass, grade, year, [student])
    previous_school = student.school_id
    if previous_school != klass.school_id:
        # The record (sơ yếu lí lịch, học bạ) follows the student: the receiving school now keeps it.
        student.school_id = klass.school_id
        student.entry_date = student.entry_grade = student.entry_from_school = None
        student.left_on = student.left_reason = student.left_to_school = None
    roll = (session.scalar(select(func.max(Enrolment.roll_number)).where(Enrolment.class_id == klass.id)) or 0) + 1
    enrolment = Enrolment(student_id=student.id, class_id=klass.id, roll_number=roll, enrolled_on=on,
                          transferred_in=True, from_school=from_school, status=EnrolmentStatus.ACTIVE)
    session.add(enrolment)
    session.flush()
    audit.append(session, actor, "transfer_in", "enrolment", enrolment.id, None,
                 {"student_id": student.id, "class": klass.name, "school_year": year.name, "roll_number": roll,
                  "enrolled_on": on, "from_school": from_school, "record_from_school_id": previous_school},
                 school_id=klass.school_id)
    _mark_entry(session, [student], on, grade.level, from_school)
    session.expire(klass, ["enrolments"])
    return enrolment


def _leave(session: Session, actor: Actor, enrolment: Enrolment, status: EnrolmentStatus, on: dt.date,
           to_school: str | None, reason: str, action: str) -> Enrolment:
    require(session, actor, Action.ENROLMENT_WRITE, enrolment)
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise ConflictError("Học sinh đã rời lớp này.", f"enrolment {enrolment.id} is not active")
    if on < enrolment.enrolled_on:
        raise ValidationError("Ngày rời lớp trước ngày vào lớp.", "left before enrolled")
    klass = session.get(Class, enrolment.class_id)
    student = session.get(Student, enrolment.student_id)
    assert klass is not None and student is not None
    before = {"status": enrolment.status, "left_on": None, "to_school": None}
    enrolment.status, enrolment.left_on, enrolment.to_school = status, on, to_school
    student.left_on, student.left_reason, student.left_to_school = on, reason, to_school
    session.flush()
    audit.append(session, actor, action, "enrolment", enrolment.id, before,
                 {"status": status, "left_on": on, "to_school": to_school, "reason": reason},
                 school_id=klass.school_id)
    return enrolment


def transfer_out(session: Session, actor: Actor, enrolment: Enrolment, *, on: dt.date, to_school: str) -> Enrolment:
    """A student moves to another school: the row stays on the roll, marked with the date and destination."""
    to_school = " ".join(to_school.split())
    if not to_school:
        raise ValidationError("Cần ghi trường học sinh chuyển đến.", "to_school required")
    return _leave(session, actor, enrolment, EnrolmentStatus.TRANSFERRED_OUT, on, to_school, LEFT_TRANSFERRED,
                  "transfer_out")


def drop_out(session: Session, actor: Actor, enrolment: Enrolment, *, on: dt.date,
             reason: str | None = None) -> Enrolment:
    """A student stops coming to school (bỏ học): the row stays, marked with the date."""
    text = LEFT_DROPPED_OUT if not reason else f"{LEFT_DROPPED_OUT} ({' '.join(reason.split())})"
    return _leave(session, actor, enrolment, EnrolmentStatus.DROPPED_OUT, on, None, text, "drop_out")


def complete_programme(session: Session, actor: Actor, enrolments: Sequence[Enrolment], *,
                       on: dt.date | None = None) -> list[Enrolment]:
    """Record that grade-9 students promoted at the end of the year completed the THCS programme."""
    done: list[Enrolment] = []
    records: list[AuditRecord] = []
    checked: set[int] = set()
    for enrolment in enrolments:
        if enrolment.class_id not in checked:
            klass = session.get(Class, enrolment.class_id)
            assert klass is not None
            require(session, actor, Action.ENROLMENT_WRITE, klass)
            checked.add(enrolment.class_id)
        if next_level(session, enrolment) is not None:
            raise ValidationError("Học sinh chưa đủ điều kiện hoàn thành chương trình THCS.",
                                  f"enrolment {enrolment.id} did not complete grade 9")
        klass = session.get(Class, enrolment.class_id)
        assert klass is not None
        _, year = _class_year(session, klass)
        student = session.get(Student, enrolment.student_id)
        assert student is not None
        day = on or _today()
        day = max(day, year.ends_on)
        student.left_on, student.left_reason, student.left_to_school = day, LEFT_COMPLETED, None
        records.append(AuditRecord("complete", "student", student.id, None,
                                   {"left_on": day, "reason": LEFT_COMPLETED, "enrolment_id": enrolment.id},
                                   klass.school_id))
        done.append(enrolment)
    session.flush()
    audit.append_many(session, actor, records)
    return done


def student_by_code(session: Session, code: str) -> Student:
    """A student by their code (mã học sinh)."""
    student = session.scalars(select(Student).where(Student.code == code)).one_or_none()
    if student is None:
        raise NotFoundError(f"Không có học sinh mang mã {code}.", f"no student {code!r}")
    return student
