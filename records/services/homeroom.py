"""What the homeroom teacher works on, read with rights: the roll, a month of attendance, the conduct and
comments of a period, the class results and the check before the books are locked.

Every function checks that the actor keeps the class (the homeroom teacher's own class: the right to
record its attendance, ``Action.ATTENDANCE_WRITE``) and returns frozen dataclasses formatted for the
pages; the writes go through ``students``, ``photos``, ``attendance``, ``conduct`` and ``results``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from records.errors import BookLockedError, NotFoundError, PermissionDeniedError, ValidationError
from records.models import (
    Attendance,
    Book,
    Class,
    Conduct,
    Enrolment,
    EnrolmentStatus,
    Grade,
    GradeSubject,
    HomeroomComment,
    Mark,
    Period,
    School,
    SchoolYear,
    SheetVersion,
    Student,
    StudentResult,
    Subject,
    SubjectResult,
    Term,
)
from records.permissions import Action, Actor, allowed, require
from records.rules import Promotion, ruleset
from records.services import inspections, locks, versions
from records.services.context import today as _today
from records.services.reads import STATUS_VI, ClassRow, class_rows, display_date
from records.services.students import PERSONAL_FIELDS

#: The personal fields a homeroom teacher edits on the student page, in the order of the form (sơ yếu lí lịch).
FORM_FIELDS: tuple[str, ...] = (
    "family_name", "middle_name", "given_name", "date_of_birth", "gender", "ethnicity", "nationality",
    "place_of_birth", "hometown", "permanent_address", "current_address", "policy_category", "citizen_id",
    "moet_id", "father_name", "father_occupation", "mother_name", "mother_occupation", "guardian_name",
    "guardian_occupation",
)
assert set(FORM_FIELDS) <= PERSONAL_FIELDS
WEEKDAYS_VI = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")
ABSENCE_MARKS = {True: "P", False: "K"}  # the mark book's legend: P có phép, K không phép


@dataclass(frozen=True)
class HomeroomClass:
    """A class as its homeroom teacher works on it: the year, terms, regulation and its levels."""

    id: int
    row: ClassRow
    school_name: str
    regime: str
    circular_vi: str
    conduct_levels: tuple[str, ...]
    conduct_kind_vi: str  # "Hạnh kiểm" (TT58/TT26) or "Rèn luyện" (TT22)
    learning_kind_vi: str
    year_start: int
    terms: tuple[tuple[int, int, dt.date, dt.date], ...]  # (id, number, starts, ends)
    months: tuple[tuple[int, int], ...]  # (year, month) of the school year, in order


def _load(session: Session, class_id: int) -> tuple[Class, Grade, SchoolYear, list[Term]]:
    klass = session.get(Class, class_id)
    if klass is None:
        raise NotFoundError("Không tìm thấy lớp.", f"class {class_id} not found")
    grade = session.get(Grade, klass.grade_id)
    assert grade is not None
    year = session.get(SchoolYear, grade.school_year_id)
    assert year is not None
    terms = list(session.scalars(select(Term).where(Term.school_year_id == year.id).order_by(Term.number)))
    return klass, grade, year, terms


def _keeps(session: Session, actor: Actor, klass: Class) -> None:
    require(session, actor, Action.RECORDS_READ, klass)
    if not allowed(session, actor, Action.ATTENDANCE_WRITE, klass):
        raise PermissionDeniedError(f"Chỉ giáo viên chủ nhiệm lớp {klass.name} làm việc trên trang này.",
                                    f"{actor.username} is not the homeroom teacher of class {klass.id}")


def homeroom_class(session: Session, actor: Actor, class_id: int) -> HomeroomClass:
    """The class, refused unless the actor is its homeroom teacher."""
    klass, grade, year, terms = _load(session, class_id)
    _keeps(session, actor, klass)
    rules = ruleset(grade.regime)
    months: list[tuple[int, int]] = []
    if terms:
        y, m = terms[0].starts_on.year, terms[0].starts_on.month
        while (y, m) <= (terms[-1].ends_on.year, terms[-1].ends_on.month):
            months.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    tt22 = grade.regime == "tt22"
    school = session.get(School, klass.school_id)
    return HomeroomClass(
        klass.id, class_rows(session, [klass])[0], school.name if school else "", grade.regime, rules.circular_vi,
        rules.conduct_levels, "Kết quả rèn luyện" if tt22 else "Hạnh kiểm",
        "Kết quả học tập" if tt22 else "Học lực", year.start_year,
        tuple((t.id, t.number, t.starts_on, t.ends_on) for t in terms), tuple(months))


# --- the roll ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollEntry:
    """A line of the roll with what the homeroom teacher looks at: arrival, departure, photo."""

    enrolment_id: int
    roll_number: int
    student_id: int
    code: str
    full_name: str
    date_of_birth: str
    gender: str
    active: bool
    status: str  # "" on the roll, "Chuyển đi", "Bỏ học"
    note: str  # "Chuyển đến 12/01/2026 từ …", "Chuyển đi 03/02/2026 đến …", "Lưu ban"
    has_photo: bool


def _enrolments(session: Session, class_id: int) -> list[tuple[Enrolment, Student]]:
    return [(e, s) for e, s in session.execute(
        select(Enrolment, Student).join(Student, Student.id == Enrolment.student_id)
        .where(Enrolment.class_id == class_id).order_by(Enrolment.roll_number))]


def roll(session: Session, actor: Actor, class_id: int) -> list[RollEntry]:
    """The class roll in roll order (STT), transfers shown."""
    klass, *_ = _load(session, class_id)
    _keeps(session, actor, klass)
    photos = set(session.scalars(select(Student.id).join(Enrolment, Enrolment.student_id == Student.id)
                                 .where(Enrolment.class_id == klass.id, Student.photo.is_not(None))))
    out = []
    for e, s in _enrolments(session, klass.id):
        notes = []
        if e.transferred_in:
            notes.append(f"Chuyển đến {display_date(e.enrolled_on)} từ {e.from_school or '…'}")
        if e.status == EnrolmentStatus.TRANSFERRED_OUT:
            notes.append(f"Chuyển đi {display_date(e.left_on)} đến {e.to_school or '…'}")
        elif e.status == EnrolmentStatus.DROPPED_OUT:
            notes.append(f"Bỏ học từ {display_date(e.left_on)}")
        if e.repeating:
            notes.append("Lưu ban")
        out.append(RollEntry(e.id, e.roll_number, s.id, s.code, s.full_name, display_date(s.date_of_birth),
                             s.gender.value, e.status == EnrolmentStatus.ACTIVE, STATUS_VI[e.status],
                             "; ".join(notes), s.id in photos))
    return out


@dataclass(frozen=True)
class StudentForm:
    """A student's personal data as the edit form shows it, and their class in the homeroom's year."""

    id: int
    code: str
    full_name: str
    values: dict[str, str]
    has_photo: bool
    class_id: int | None
    class_name: str
    enrolments: tuple[str, ...]


def student_form(session: Session, actor: Actor, student_id: int) -> StudentForm:
    """The student's personal data for editing (rights: their homeroom teacher, the administrator)."""
    student = session.get(Student, student_id)
    if student is None:
        raise NotFoundError("Không tìm thấy học sinh.", f"student {student_id} not found")
    require(session, actor, Action.STUDENTS_WRITE, student)
    values = {}
    for name in FORM_FIELDS:
        value = getattr(student, name)
        values[name] = (value.strftime("%d/%m/%Y") if isinstance(value, dt.date)
                        else value.value if hasattr(value, "value") else value or "")
    rows = session.execute(select(Enrolment, Class, SchoolYear).join(Class, Class.id == Enrolment.class_id)
                           .join(Grade, Grade.id == Class.grade_id).join(SchoolYear, SchoolYear.id == Grade.school_year_id)
                           .where(Enrolment.student_id == student.id).order_by(SchoolYear.start_year, Enrolment.id)).all()
    history = tuple(f"{y.name}: lớp {c.name}, STT {e.roll_number}" + (f" ({STATUS_VI[e.status]})" if STATUS_VI[e.status] else "")
                    for e, c, y in rows)
    last = rows[-1] if rows else None
    return StudentForm(student.id, student.code, student.full_name, values, bool(student.photo),
                       last[1].id if last else None, last[1].name if last else "", history)


def student_photo(session: Session, actor: Actor, student_id: int) -> bytes:
    """The stored photo (JPEG) of a student, for whoever may read their record."""
    student = session.get(Student, student_id)
    if student is None:
        raise NotFoundError("Không tìm thấy học sinh.", f"student {student_id} not found")
    require(session, actor, Action.RECORDS_READ, student)
    if not student.photo:
        raise NotFoundError("Học sinh chưa có ảnh.", f"student {student_id} has no photo")
    return student.photo


# --- attendance ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceRow:
    """A student's month: the mark per day ("", "P", "K") and the days they were on the roll."""

    enrolment_id: int
    roll_number: int
    full_name: str
    note: str
    cells: dict[int, str]
    open_days: frozenset[int]

    @property
    def excused(self) -> int:
        """Days absent with leave (P)."""
        return sum(1 for v in self.cells.values() if v == "P")

    @property
    def unexcused(self) -> int:
        """Days absent without leave (K)."""
        return sum(1 for v in self.cells.values() if v == "K")


@dataclass(frozen=True)
class AttendanceMonth:
    """A class's month of attendance: school days (Monday–Saturday within a term) × students."""

    klass: HomeroomClass
    year: int
    month: int
    days: tuple[int, ...]
    weekdays: tuple[str, ...]
    rows: tuple[AttendanceRow, ...]
    version: int
    locked: str  # "" or why the month cannot be changed
    today: int | None = None  # the day of the month today, if it is this month

    @property
    def label(self) -> str:
        """"Tháng 3/2026"."""
        return f"Tháng {self.month}/{self.year}"


def parse_month(text: str | None, klass: HomeroomClass, today: dt.date) -> tuple[int, int]:
    """"2026-03" → (2026, 3), checked against the school year; default: this month (or the nearest)."""
    if text:
        try:
            y, m = (int(p) for p in text.split("-", 1))
        except ValueError:
            raise ValidationError(f"Tháng “{text}” không hợp lệ.", f"bad month {text!r}") from None
        if (y, m) not in klass.months:
            raise ValidationError(f"Tháng {m}/{y} không thuộc năm học của lớp {klass.row.name}.",
                                  f"month {text} outside the school year")
        return y, m
    if not klass.months:
        raise ValidationError("Năm học chưa khai báo học kì.", "no terms")
    wanted = (today.year, today.month)
    return wanted if wanted in klass.months else (klass.months[0] if wanted < klass.months[0] else klass.months[-1])


def school_days(klass: HomeroomClass, year: int, month: int) -> list[dt.date]:
    """Monday–Saturday days of the month inside a term of the year."""
    n = calendar.monthrange(year, month)[1]
    days = [dt.date(year, month, d) for d in range(1, n + 1)]
    return [d for d in days if d.weekday() < 6 and any(s <= d <= e for _, _, s, e in klass.terms)]


def _locked_text(session: Session, entry: str, class_id: int, term_ids: Iterable[int]) -> str:
    for term_id in term_ids:
        try:
            locks.ensure_open(session, entry, class_id, term_id)
        except BookLockedError as exc:  # the message says who locked it and how to correct
            return exc.message_vi
    return ""


def attendance_month(session: Session, actor: Actor, class_id: int, year: int, month: int, *,
                     today: dt.date | None = None) -> AttendanceMonth:
    """A month of attendance of the class, with the sheet's version to present when saving."""
    klass = homeroom_class(session, actor, class_id)
    if (year, month) not in klass.months:
        raise ValidationError(f"Tháng {month}/{year} không thuộc năm học của lớp.", f"month {year}-{month}")
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    days = school_days(klass, year, month)
    enrolments = _enrolments(session, class_id)
    recorded: dict[int, dict[int, str]] = defaultdict(dict)
    for a in session.scalars(select(Attendance).where(
            Attendance.enrolment_id.in_([e.id for e, _ in enrolments]), Attendance.day >= first, Attendance.day <= last)):
        recorded[a.enrolment_id][a.day.day] = ABSENCE_MARKS[a.excused]
    shown = sorted({d.day for d in days} | {d for cells in recorded.values() for d in cells})
    rows = []
    for e, s in enrolments:
        end = e.left_on or last
        open_days = frozenset(d for d in shown if e.enrolled_on <= dt.date(year, month, d) <= end
                              and any(st <= dt.date(year, month, d) <= en for _, _, st, en in klass.terms))
        if not open_days and not recorded.get(e.id):
            continue  # not on the roll this month
        note = "" if e.status == EnrolmentStatus.ACTIVE else f"{STATUS_VI[e.status]} {display_date(e.left_on)}"
        rows.append(AttendanceRow(e.id, e.roll_number, s.full_name, note, recorded.get(e.id, {}), open_days))
    term_ids = [t for t, _, s, e in klass.terms if s <= last and e >= first]
    now = _today(today)
    return AttendanceMonth(klass, year, month, tuple(shown),
                           tuple(WEEKDAYS_VI[dt.date(year, month, d).weekday()] for d in shown), tuple(rows),
                           versions.version_of(session, versions.attendance_sheet(class_id, first)),
                           _locked_text(session, "attendance", class_id, term_ids),
                           now.day if (now.year, now.month) == (year, month) else None)


# --- conduct and homeroom comments ---------------------------------------------------------------


def parse_period(text: str | None, default: Period = Period.TERM1) -> Period:
    """"hk1" / "hk2" / "cn" → the period (default HK I)."""
    if not text:
        return default
    try:
        return Period(text)
    except ValueError:
        raise ValidationError(f"Kì đánh giá “{text}” không hợp lệ (hk1, hk2 hoặc cn).", f"bad period {text!r}") from None


@dataclass(frozen=True)
class ConductRow:
    """A student's level and homeroom comment for the period (and, for the year, the terms' levels)."""

    enrolment_id: int
    roll_number: int
    full_name: str
    active: bool
    level: str
    comment: str
    term_levels: tuple[str, str] = ("", "")
    suggested: str = ""


@dataclass(frozen=True)
class ConductSheet:
    """Conduct / training levels and homeroom comments of a class for a period, with both sheets' versions."""

    klass: HomeroomClass
    period: Period
    rows: tuple[ConductRow, ...]
    conduct_version: int
    comment_version: int
    locked: str


def conduct_sheet(session: Session, actor: Actor, class_id: int, period: Period) -> ConductSheet:
    """The conduct levels and homeroom comments of the period (for the year: the terms' levels and the
    year level the regulation derives from them, as a suggestion)."""
    klass = homeroom_class(session, actor, class_id)
    enrolments = _enrolments(session, class_id)
    ids = [e.id for e, _ in enrolments]
    levels: dict[tuple[int, Period], str] = {(c.enrolment_id, Period(c.period)): c.level for c in session.scalars(
        select(Conduct).where(Conduct.enrolment_id.in_(ids)))}
    comments = {c.enrolment_id: c.text for c in session.scalars(select(HomeroomComment).where(
        HomeroomComment.enrolment_id.in_(ids), HomeroomComment.period == period))}
    rules = ruleset(klass.regime)
    rows = []
    for e, s in enrolments:
        terms = (levels.get((e.id, Period.TERM1), ""), levels.get((e.id, Period.TERM2), ""))
        suggested = ""
        if period is Period.YEAR and all(terms):
            try:
                suggested = rules.year_conduct(*terms)
            except ValidationError:
                suggested = ""
        rows.append(ConductRow(e.id, e.roll_number, s.full_name, e.status == EnrolmentStatus.ACTIVE,
                               levels.get((e.id, period), ""), comments.get(e.id, ""), terms, suggested))
    number = {Period.TERM1: 1, Period.TERM2: 2, Period.YEAR: 2}[period]
    term_ids = [t for t, n, _, _ in klass.terms if n == number]
    locked = _locked_text(session, "conduct", class_id, term_ids) or _locked_text(
        session, "homeroom_comment", class_id, term_ids)
    return ConductSheet(klass, period, tuple(rows),
                        versions.version_of(session, versions.conduct_sheet(class_id, period)),
                        versions.version_of(session, versions.homeroom_comment_sheet(class_id, period)), locked)


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultRow:
    """A student's stored result for the period."""

    enrolment_id: int
    roll_number: int
    full_name: str
    active: bool
    subjects: tuple[str, ...]
    overall: str
    learning: str
    conduct: str
    title: str
    excused: int
    unexcused: int
    decision: str
    missing: tuple[str, ...]  # "Toán: thiếu 1 điểm ĐĐGtx" — why a subject has no result
    retake: tuple[str, ...] = ()  # the subjects to re-assess in the summer, by name


@dataclass(frozen=True)
class ClassResults:
    """The class's results for a period as last computed, and the lists the year decides."""

    klass: HomeroomClass
    period: Period
    subjects: tuple[str, ...]
    rows: tuple[ResultRow, ...]
    computed_at: str
    approved: bool
    stale: bool  # marks or conduct changed after the last computation
    locked: str  # "" or why the results cannot be computed again
    counts: tuple[tuple[str, int], ...] = ()
    lists: tuple[tuple[str, tuple[ResultRow, ...]], ...] = field(default=())


def _value(v: object) -> str:
    return "" if v is None else str(v).replace(".", ",")


def _subjects(session: Session, grade_id: int) -> list[Subject]:
    return list(session.scalars(select(Subject).join(GradeSubject, GradeSubject.subject_id == Subject.id)
                                .where(GradeSubject.grade_id == grade_id).order_by(GradeSubject.position, Subject.id)))


def class_results(session: Session, actor: Actor, class_id: int, period: Period) -> ClassResults:
    """The stored results of the class for the period (``results.compute_class`` computes them)."""
    klass = homeroom_class(session, actor, class_id)
    _, grade, _, _ = _load(session, class_id)
    rules = ruleset(klass.regime)
    subjects = _subjects(session, grade.id)
    enrolments = _enrolments(session, class_id)
    ids = [e.id for e, _ in enrolments]
    results = {r.enrolment_id: r for r in session.scalars(select(StudentResult).where(
        StudentResult.enrolment_id.in_(ids), StudentResult.period == period))}
    by_subject: dict[int, dict[int, SubjectResult]] = defaultdict(dict)
    for sr in session.scalars(select(SubjectResult).where(SubjectResult.enrolment_id.in_(ids),
                                                          SubjectResult.period == period)):
        by_subject[sr.enrolment_id][sr.subject_id] = sr
    rows = []
    for e, s in enrolments:
        r = results.get(e.id)
        subj = by_subject.get(e.id, {})
        values = tuple(_value(subj[x.id].value) if x.id in subj else "" for x in subjects)
        missing = tuple(f"{x.name}: {subj[x.id].incomplete_reason}" for x in subjects
                        if x.id in subj and subj[x.id].incomplete_reason)
        decision, retake = "", tuple[str, ...]()
        if r is not None and r.promotion:
            final = r.final_promotion or r.promotion
            decision = rules.promotion_label(final, grade=grade.level)
            if r.promotion == Promotion.REASSESS:
                averages = {x.code: subj[x.id].value for x in subjects if x.id in subj and subj[x.id].value is not None}
                codes = set(rules.retake_eligible(averages)) if len(averages) == len(subjects) else set()
                retake = tuple(x.name for x in subjects if x.code in codes)
        if r is None:
            rows.append(ResultRow(e.id, e.roll_number, s.full_name, e.status == EnrolmentStatus.ACTIVE, values,
                                  "", "", "", "", 0, 0, "", missing))
            continue
        rows.append(ResultRow(e.id, e.roll_number, s.full_name, e.status == EnrolmentStatus.ACTIVE, values,
                              _value(r.overall_average), r.learning or "", r.conduct or "", r.title or "",
                              r.days_absent_excused, r.days_absent_unexcused, decision, missing, retake))
    computed = [r.computed_at for r in results.values() if r.computed_at]
    newest = max(computed) if computed else None
    stale = False
    if newest is not None:
        # a mark entered, or a sheet the results read (marks, conduct, attendance) saved after the computation
        last_mark = session.scalar(select(func.max(Mark.entered_at)).where(Mark.enrolment_id.in_(ids)))
        last_sheet = session.scalar(select(func.max(SheetVersion.updated_at)).where(
            _sheets_of_period(klass, period)))
        stale = any(t is not None and _aware(t) > _aware(newest) for t in (last_mark, last_sheet))
    counts: list[tuple[str, int]] = []
    lists: list[tuple[str, tuple[ResultRow, ...]]] = []
    if period is Period.YEAR:
        for decision in Promotion:
            label = rules.promotion_label(decision, grade=grade.level)
            members = tuple(row for row in rows if row.decision == label)
            lists.append((label, members))
    for title in rules.titles:
        counts.append((title, sum(1 for row in rows if row.title == title)))
    number = 1 if period is Period.TERM1 else 2
    locked = _locked_text(session, "result", class_id, [t for t, n, _, _ in klass.terms if n == number])
    return ClassResults(klass, period, tuple(x.name for x in subjects), tuple(rows),
                        newest.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%H:%M %d/%m/%Y") if newest else "",
                        bool(results) and all(r.approved_by_id for r in results.values()), stale, locked,
                        tuple(counts), tuple(lists))


def _sheets_of_period(klass: HomeroomClass, period: Period) -> Any:
    """The sheets a period's results read: its terms' marks, its conduct, its months' attendance."""
    numbers = {Period.TERM1: (1,), Period.TERM2: (2,), Period.YEAR: (1, 2)}[period]
    terms = [(t, s, e) for t, n, s, e in klass.terms if n in numbers]
    conduct = [Period.TERM1, Period.TERM2, Period.YEAR] if period is Period.YEAR else [period]
    months = [dt.date(y, m, 1) for y, m in klass.months
              if any(dt.date(y, m, 1) <= e and dt.date(y, m, calendar.monthrange(y, m)[1]) >= s for _, s, e in terms)]
    exact = [versions.conduct_sheet(klass.id, p) for p in conduct] + [versions.attendance_sheet(klass.id, d)
                                                                      for d in months]
    return or_(SheetVersion.sheet.in_(exact),
               *(SheetVersion.sheet.like(f"mark:{klass.id}:%:{t}") for t, _, _ in terms))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# --- the check before the books are locked -------------------------------------------------------


@dataclass(frozen=True)
class CheckItem:
    """One thing missing: what, who is to do it, and the students concerned."""

    area: str
    what: str
    who: str
    students: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreLockCheck:
    """Everything missing for the class's term (or year) before the books are locked."""

    klass: HomeroomClass
    period: Period
    as_of: str
    items: tuple[CheckItem, ...]
    locked: str

    @property
    def ready(self) -> bool:
        """Nothing is missing."""
        return not self.items


def _names(rows: Iterable[tuple[Enrolment, Student]], ids: set[int]) -> tuple[str, ...]:
    return tuple(f"{e.roll_number}. {s.full_name}" for e, s in rows if e.id in ids)


def pre_lock_check(session: Session, actor: Actor, class_id: int, period: Period) -> PreLockCheck:
    """What is still missing for the period: marks per subject and teacher, conduct, the year's homeroom
    comment (the one the transcript prints), months of attendance never recorded, results not computed,
    not classifiable or outdated. Subject teachers' comments are optional ("nếu có") and not listed."""
    klass = homeroom_class(session, actor, class_id)
    k, _, year, terms = _load(session, class_id)
    numbers = {Period.TERM1: (1,), Period.TERM2: (2,), Period.YEAR: (1, 2)}[period]
    chosen = [t for t in terms if t.number in numbers]
    if not chosen:
        raise ValidationError("Năm học chưa khai báo học kì.", "no terms")
    end = chosen[-1].ends_on
    items: list[CheckItem] = []
    # marks: what each teacher of the class still owes, counted as on the last day of the term(s); one
    # reading as of the last day covers every earlier term in full
    names = {t.number: t.name for t in chosen}
    progress = inspections.entry_progress(session, actor, year, end.year, end.month, klass=k, today=end)
    for row in progress.rows:
        if row.term in names and row.late:
            items.append(CheckItem("Điểm", f"{row.subject} — {names[row.term]}: thiếu {row.missing}/{row.expected} "
                                   "đầu điểm", row.teacher, row.late_students))
    enrolments = [(e, s) for e, s in _enrolments(session, class_id)
                  if e.enrolled_on <= end and (e.left_on is None or e.left_on > chosen[0].starts_on)]
    active = {e.id for e, _ in enrolments if e.status == EnrolmentStatus.ACTIVE}
    homeroom = klass.row.homeroom_teacher or "Giáo viên chủ nhiệm"
    # conduct and homeroom comments
    rated = set(session.scalars(select(Conduct.enrolment_id).where(Conduct.enrolment_id.in_(active),
                                                                   Conduct.period == period)))
    if active - rated:
        items.append(CheckItem(klass.conduct_kind_vi, f"{period.label_vi}: {len(active - rated)} học sinh chưa xếp loại",
                               homeroom, _names(enrolments, active - rated)))
    commented = set(session.scalars(select(HomeroomComment.enrolment_id).where(
        HomeroomComment.enrolment_id.in_(active), HomeroomComment.period == period, HomeroomComment.text != "")))
    if period is Period.YEAR and active - commented:  # the transcript prints the year's comment
        items.append(CheckItem("Nhận xét của GVCN", f"{period.label_vi}: {len(active - commented)} học sinh chưa có "
                               "nhận xét", homeroom, _names(enrolments, active - commented)))
    # attendance: every month of the period must have been recorded once (even with nobody absent)
    start = chosen[0].starts_on
    months = [(y, m) for y, m in klass.months if dt.date(y, m, 1) <= end
              and dt.date(y, m, calendar.monthrange(y, m)[1]) >= start]
    unrecorded = [f"{m}/{y}" for y, m in months
                  if not versions.version_of(session, versions.attendance_sheet(class_id, dt.date(y, m, 1)))]
    if unrecorded:
        items.append(CheckItem("Điểm danh", "Chưa ghi điểm danh tháng " + ", ".join(unrecorded), homeroom))
    # results
    results = class_results(session, actor, class_id, period)
    uncomputed = {row.enrolment_id for row in results.rows if row.enrolment_id in active and not row.learning}
    if not results.computed_at:
        items.append(CheckItem("Kết quả", f"Chưa tính kết quả {period.label_vi}", homeroom))
    else:
        if uncomputed:
            items.append(CheckItem("Kết quả", f"{len(uncomputed)} học sinh chưa được xếp loại (thiếu điểm)",
                                   homeroom, _names(enrolments, uncomputed)))
        if results.stale:
            items.append(CheckItem("Kết quả", f"Điểm đã thay đổi sau lần tính kết quả lúc {results.computed_at}: "
                                   "cần tính lại", homeroom))
    book_term = chosen[-1].id if period is not Period.YEAR else None
    locked = ""
    for book in (Book.MARK_BOOK, Book.TRANSCRIPTS):
        state = locks.lock_state(session, book, class_id, book_term)
        if state.locked:
            locked = f"{book.label_vi} đã khóa."
    return PreLockCheck(klass, period, display_date(end), tuple(items), locked)

