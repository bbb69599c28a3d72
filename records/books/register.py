"""The enrolment register's input: :class:`RegisterInput` (plain values) and ``read_register``.

``read_register(session, actor, course)`` reads one line per student admitted to the course at the
school (register number, identity, parents, entry, the year-by-year tracking of grades 6 to 9 with
each year's decision, leaving and notes), once the actor's read right on the school is checked
(``Action.RECORDS_READ``). ``layouts.register`` builds and paginates the book from it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from records.books.transcript import Place
from records.errors import NotFoundError, ValidationError
from records.models import (
    Class,
    Enrolment,
    EnrolmentStatus,
    Grade,
    Period,
    School,
    SchoolYear,
    Student,
    StudentResult,
)
from records.names import name_sort_key
from records.permissions import Action, Actor, require
from records.rules import Promotion, ruleset

# --- input ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearTrack:
    """One school year of the student: grade, class, year, decision (or transfer)."""

    grade: int
    class_name: str
    year: str
    outcome: str
    school: str = ""  # set when the year was spent at another school


@dataclass(frozen=True)
class RegisterLine:
    """One student's line of the register."""

    number: str
    full_name: str
    student_code: str
    date_of_birth: dt.date
    gender: str
    ethnicity: str = ""
    place_of_birth: str = ""
    address: str = ""
    father: str = ""  # "Lò Văn Thành (Làm ruộng)"
    mother: str = ""
    guardian: str = ""
    entry_date: dt.date | None = None
    entry_class: str = ""
    entry_from: str = ""
    tracks: tuple[YearTrack, ...] = ()
    left_on: dt.date | None = None
    left_reason: str = ""
    notes: str = ""
    moet_id: str = ""  # Mã định danh, printed under the student code


@dataclass(frozen=True)
class RegisterInput:
    """The register of one course at one school."""

    course: str
    school: Place
    principal: str
    lines: tuple[RegisterLine, ...]
    printed_on: dt.date | None = None


# --- reading ----------------------------------------------------------------------------------

_COURSE = re.compile(r"^\s*(\d{4})\s*-\s*(\d{4})\s*$")


def parse_course(course: str) -> tuple[int, int]:
    """ "2022-2026" → (2022, 2026); a course of THCS spans four school years."""
    m = _COURSE.match(course or "")
    if not m or int(m.group(2)) - int(m.group(1)) != 4:
        raise ValidationError(
            f"Khóa học không hợp lệ: «{course}» (ví dụ 2022-2026).", f"invalid course {course!r}"
        )
    return int(m.group(1)), int(m.group(2))


def _number_key(number: str | None) -> tuple[int, str]:
    m = re.match(r"\s*(\d+)", number or "")
    return (int(m.group(1)) if m else 10**9, number or "")


def _outcome(enrolment: Enrolment, result: StudentResult | None) -> str:
    level = enrolment.class_.grade.level
    words = ruleset(enrolment.class_.grade.regime).vocabulary
    if enrolment.status == EnrolmentStatus.TRANSFERRED_OUT:
        return f"Chuyển đi {_date(enrolment.left_on)}".strip()
    if enrolment.status == EnrolmentStatus.DROPPED_OUT:
        return f"Thôi học {_date(enrolment.left_on)}".strip()
    decision = result and (result.final_promotion or result.promotion)
    if not decision:
        return "Lưu ban, đang học" if enrolment.repeating else "Đang học"
    value = Promotion(decision)
    if value is Promotion.PROMOTED:
        if level == 9:
            return words.grade9_done
        return "Lên lớp"
    if value is Promotion.REPEAT:
        if level == 9:
            return words.grade9_not_done
        return "Ở lại lớp"
    return "Kiểm tra lại" if value is Promotion.REASSESS else "Rèn luyện hè"


def read_register(
    session: Session, actor: Actor, course: str, *, school_code: str | None = None,
    printed_on: dt.date | None = None,
) -> RegisterInput:
    """Read the register of a course from the records (students whose ``course`` is the course), once
    the actor's read right on the school is checked."""
    parse_course(course)
    school = register_school(session, course, school_code)
    require(session, actor, Action.RECORDS_READ, school)
    students = session.scalars(
        select(Student)
        .where(Student.course == course.strip())
        .where(
            or_(
                Student.school_id == school.id,
                Student.enrolments.any(Enrolment.class_.has(Class.school_id == school.id)),
            )
        )
        .options(
            selectinload(Student.enrolments)
            .selectinload(Enrolment.class_)
            .selectinload(Class.grade)
            .selectinload(Grade.school_year)
            .selectinload(SchoolYear.school),
            selectinload(Student.enrolments).selectinload(Enrolment.class_).selectinload(Class.school),
        )
    ).all()
    enrolment_ids = [e.id for s in students for e in s.enrolments]
    results: dict[int, StudentResult] = {}
    for chunk in range(0, len(enrolment_ids), 500):
        ids = enrolment_ids[chunk : chunk + 500]
        for r in session.scalars(
            select(StudentResult).where(StudentResult.enrolment_id.in_(ids), StudentResult.period == Period.YEAR)
        ):
            results[r.enrolment_id] = r
    lines = []
    for s in sorted(
        students,
        key=lambda s: (
            _number_key(s.register_number),
            name_sort_key(s.family_name, s.middle_name, s.given_name, s.date_of_birth),
        ),
    ):
        lines.append(_line(s, school, results))
    return RegisterInput(
        course=course.strip(),
        school=Place(school.name, school.district, school.province),
        principal=(school.principal_name or "").strip(),
        lines=tuple(lines),
        printed_on=printed_on,
    )


def register_school(session: Session, course: str, school_code: str | None) -> School:
    """The school whose register of the course is printed (by code, else found from the course)."""
    if school_code:
        school = session.scalars(select(School).where(School.code == school_code)).one_or_none()
        if school is None:
            raise NotFoundError(f"Không tìm thấy trường có mã «{school_code}».", f"no school {school_code!r}")
        return school
    schools = session.scalars(
        select(School).where(School.id.in_(select(Student.school_id).where(Student.course == course.strip())))
        .where(School.external.is_(False))
    ).all()
    if not schools:
        raise NotFoundError(f"Không có học sinh nào thuộc khóa học {course}.", f"no student in course {course}")
    if len(schools) > 1:
        raise ValidationError(
            f"Khóa học {course} có học sinh của nhiều trường; hãy chọn trường (--school).",
            f"course {course} spans {len(schools)} schools; pass a school code",
        )
    return schools[0]


def _line(student: Student, school: School, results: dict[int, StudentResult]) -> RegisterLine:
    enrolments = sorted(student.enrolments, key=lambda e: (e.class_.grade.school_year.start_year, e.enrolled_on))
    here = [e for e in enrolments if e.class_.school_id == school.id]
    first_here = here[0] if here else None
    tracks = tuple(
        YearTrack(
            grade=e.class_.grade.level,
            class_name=e.class_.name,
            year=e.class_.grade.school_year.name,
            outcome=_outcome(e, results.get(e.id)),
            school="" if e.class_.school_id == school.id else e.class_.school.name,
        )
        for e in enrolments
    )
    entry_from = (student.entry_from_school or "").strip()
    if not entry_from and first_here is not None and first_here.transferred_in:
        entry_from = (first_here.from_school or "").strip()
    left_on = student.left_on
    reason = (student.left_reason or "").strip()
    to_school = (student.left_to_school or "").strip()
    last = enrolments[-1] if enrolments else None
    if left_on is None and last is not None and last.class_.school_id == school.id and last.status != (
        EnrolmentStatus.ACTIVE
    ):
        left_on = last.left_on
        reason = reason or ("Chuyển trường" if last.status == EnrolmentStatus.TRANSFERRED_OUT else "Thôi học")
        to_school = to_school or (last.to_school or "").strip()
    if to_school and to_school not in reason:
        reason = f"{reason}: chuyển đến {to_school}" if reason else f"Chuyển đến {to_school}"
    notes = []
    if any(e.repeating for e in here):
        notes.append("Lưu ban")
    return RegisterLine(
        number=(student.register_number or "").strip(),
        full_name=student.full_name,
        student_code=student.code,
        date_of_birth=student.date_of_birth,
        gender=student.gender.value,
        ethnicity=(student.ethnicity or "").strip(),
        place_of_birth=(student.place_of_birth or "").strip(),
        address=(student.current_address or student.permanent_address or "").strip(),
        father=_person(student.father_name, student.father_occupation),
        mother=_person(student.mother_name, student.mother_occupation),
        guardian=_person(student.guardian_name, student.guardian_occupation),
        entry_date=student.entry_date or (first_here.enrolled_on if first_here else None),
        entry_class=first_here.class_.name if first_here else "",
        entry_from=entry_from,
        tracks=tracks,
        left_on=left_on,
        left_reason=reason,
        notes="; ".join(notes),
        moet_id=(student.moet_id or "").strip(),
    )


def _date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _person(name: str | None, occupation: str | None) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    occupation = (occupation or "").strip()
    return f"{name} ({occupation})" if occupation else name


__all__ = ["RegisterInput", "RegisterLine", "YearTrack", "parse_course", "read_register", "register_school"]
