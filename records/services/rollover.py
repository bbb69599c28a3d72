"""The year roll-over: next year's classes from this year's promotion lists, for the administrator to adjust.

``plan_roll_over`` proposes where each student of a year goes: promoted students move up one grade
(6A1 → 7A1), repeaters stay in their grade (6A1 → 6A1 of the next year, ``lưu ban``), students who
completed grade 9 or left during the year leave, and students whose decision is still pending (summer
re-assessment or training) wait. The administrator may move any student to another class
(``moves``: student id → class name, or "" to leave them out). ``apply_roll_over`` creates the
missing classes of the next year and numbers their rolls through ``students.enrol_class``, which
checks every placement against the promotion decision again; everything is traced.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.errors import ConflictError, ValidationError
from records.models import Class, Enrolment, EnrolmentStatus, Grade, SchoolYear, Student
from records.permissions import Action, Actor, require
from records.services import setup, students

PROMOTED, REPEAT, COMPLETED, LEFT, PENDING, MOVED_OUT = (
    "promoted", "repeat", "completed", "left", "pending", "left_out")
DECISION_VI = {PROMOTED: "Lên lớp", REPEAT: "Ở lại lớp", COMPLETED: "Hoàn thành chương trình THCS",
               LEFT: "Đã chuyển đi / bỏ học", PENDING: "Chưa có quyết định (kiểm tra lại / rèn luyện hè)",
               MOVED_OUT: "Không xếp lớp (quản trị quyết định)"}


@dataclass(frozen=True)
class Placement:
    """Where one student of this year goes next year (``target`` None: nowhere)."""

    student_id: int
    code: str
    full_name: str
    from_class: str
    level: int
    decision: str
    target: str | None

    @property
    def decision_vi(self) -> str:
        """The decision in Vietnamese."""
        return DECISION_VI[self.decision]


@dataclass(frozen=True)
class RollOverPlan:
    """The proposal for the next year: one placement per student of this year, in class and roll order."""

    from_year_id: int
    to_year_id: int
    from_year: str
    to_year: str
    placements: tuple[Placement, ...]

    def classes(self) -> dict[str, list[Placement]]:
        """Next year's classes and who goes to each."""
        out: dict[str, list[Placement]] = defaultdict(list)
        for p in self.placements:
            if p.target:
                out[p.target].append(p)
        return dict(sorted(out.items()))


@dataclass(frozen=True)
class RollOverReport:
    """What ``apply_roll_over`` did."""

    classes_created: tuple[str, ...]
    classes_filled: tuple[tuple[str, int], ...]


def next_class_name(name: str, level: int, new_level: int) -> str:
    """6A1 → 7A1: the grade number at the start of the name replaced (else prefixed)."""
    if re.match(rf"^{level}(?!\d)", name):
        return f"{new_level}{name[len(str(level)):]}"
    return f"{new_level}{name}"


def _years(session: Session, from_year: SchoolYear, to_year: SchoolYear) -> None:
    if to_year.school_id != from_year.school_id or to_year.start_year != from_year.start_year + 1:
        raise ValidationError(f"Năm học {to_year.name} không phải năm học kế tiếp {from_year.name} của trường.",
                              "roll-over needs the next year of the same school")


def plan_roll_over(session: Session, actor: Actor, from_year: SchoolYear, to_year: SchoolYear,
                   moves: Mapping[int, str] | None = None) -> RollOverPlan:
    """Propose next year's classes from this year's decisions, with the administrator's moves applied."""
    require(session, actor, Action.SCHOOL_SETUP, to_year)
    _years(session, from_year, to_year)
    moves = dict(moves or {})
    rows = session.execute(
        select(Enrolment, Class, Grade.level, Student).join(Class, Class.id == Enrolment.class_id)
        .join(Grade, Grade.id == Class.grade_id).join(Student, Student.id == Enrolment.student_id)
        .where(Grade.school_year_id == from_year.id).order_by(Grade.level, Class.name, Enrolment.roll_number)).all()
    placements = []
    for enrolment, klass, level, student in rows:
        if enrolment.status != EnrolmentStatus.ACTIVE:
            decision, target = LEFT, None
        else:
            try:
                new_level = students.next_level(session, enrolment)
            except ConflictError:
                decision, target = PENDING, None
            else:
                if new_level is None:
                    decision, target = COMPLETED, None
                elif new_level == level:
                    decision, target = REPEAT, klass.name
                else:
                    decision, target = PROMOTED, next_class_name(klass.name, level, new_level)
        if student.id in moves and decision in (PROMOTED, REPEAT):
            moved = " ".join(moves.pop(student.id).split())
            decision, target = (decision, moved) if moved else (MOVED_OUT, None)
        placements.append(Placement(student.id, student.code, student.full_name, klass.name, level, decision, target))
    if moves:
        raise ValidationError("Chỉ xếp lại được học sinh lên lớp hoặc ở lại lớp của năm học này.",
                              f"moves for students without a placement: {sorted(moves)}")
    return RollOverPlan(from_year.id, to_year.id, from_year.name, to_year.name, tuple(placements))


def apply_roll_over(session: Session, actor: Actor, plan: RollOverPlan) -> RollOverReport:
    """Create next year's missing classes and enrol each class's students (decisions checked again)."""
    to_year = session.get(SchoolYear, plan.to_year_id)
    assert to_year is not None
    require(session, actor, Action.SCHOOL_SETUP, to_year)
    grades = {g.level: g for g in session.scalars(select(Grade).where(Grade.school_year_id == to_year.id))}
    existing = {c.name: c for c in session.scalars(select(Class).join(Grade, Grade.id == Class.grade_id)
                                                   .where(Grade.school_year_id == to_year.id))}
    created, filled = [], []
    for name, members in plan.classes().items():
        klass = existing.get(name)
        if klass is None:
            level = _level_of(name, members)
            klass = setup.create_class(session, actor, grades[level], name)
            created.append(name)
        people = list(session.scalars(select(Student).where(Student.id.in_([p.student_id for p in members]))))
        students.enrol_class(session, actor, klass, people, on=to_year.starts_on)
        filled.append((name, len(people)))
    return RollOverReport(tuple(created), tuple(filled))


def _level_of(name: str, members: list[Placement]) -> int:
    found = re.match(r"^([6-9])(?!\d)", name)
    if found:
        return int(found.group(1))
    levels = {p.level + (1 if p.decision == PROMOTED else 0) for p in members}
    if len(levels) != 1:
        raise ValidationError(f"Không xác định được khối của lớp {name}: hãy đặt tên lớp bắt đầu bằng số khối.",
                              f"cannot tell the grade of class {name!r}")
    return levels.pop()
