"""Monthly inspection of entry progress (CV §2.2.3 a: "Ban giám hiệu định kì kiểm tra tiến độ, tỉ lệ đánh
giá điểm kiểm tra vào cuối mỗi tháng …, có biên bản kiểm tra") and the minutes printed in the mark book.

Expected marks by a date, per teaching assignment and student on the roll (decisions in GOVERNANCE.md):
regular marks — the regime's required number (``Ruleset.required_regular_count``) prorated over the
days of the term elapsed, rounded down; the mid-term mark (TT26/TT22) or the first periodic test (TT58)
— due from the term's midpoint; the end-of-term mark — due from the term's last day. A mark counts as
entered by a date when its assessment date (or, without one, its entry date) is on or before it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from records import audit
from records.errors import NotFoundError, ValidationError
from records.models import (
    Assessment,
    Class,
    Enrolment,
    Grade,
    GradeSubject,
    Inspection,
    Mark,
    MarkKind,
    SchoolYear,
    Student,
    Subject,
    TeachingAssignment,
    Term,
    User,
)
from records.permissions import Action, Actor, Scope, require
from records.rules import ruleset
from records.services.context import today as _today


@dataclass(frozen=True)
class ProgressRow:
    """Entry progress of one teaching assignment (teacher × class × subject × term) by a date."""

    teacher_id: int
    teacher: str
    class_id: int
    class_name: str
    subject_id: int
    subject: str
    term: int
    students: int
    expected: int
    entered: int
    late_students: tuple[str, ...]

    @property
    def missing(self) -> int:
        """Marks expected by the date and not entered."""
        return self.expected - self.entered

    @property
    def late(self) -> bool:
        """True when some expected mark is missing."""
        return self.missing > 0

    @property
    def percent(self) -> int:
        """Entered / expected, in whole percent (100 when nothing was expected yet)."""
        return 100 if not self.expected else self.entered * 100 // self.expected


@dataclass(frozen=True)
class EntryProgress:
    """Entry progress of a school year (or a class) as of the end of a month (or today, if earlier)."""

    school_year_id: int
    year: int
    month: int
    as_of: dt.date
    rows: tuple[ProgressRow, ...]

    @property
    def expected(self) -> int:
        """All marks expected by the date."""
        return sum(r.expected for r in self.rows)

    @property
    def entered(self) -> int:
        """All expected marks entered."""
        return sum(r.entered for r in self.rows)

    @property
    def late(self) -> tuple[ProgressRow, ...]:
        """The assignments behind."""
        return tuple(r for r in self.rows if r.late)

    def by_teacher(self) -> dict[str, tuple[int, int]]:
        """(expected, entered) per teacher."""
        out: dict[str, tuple[int, int]] = {}
        for r in self.rows:
            e, n = out.get(r.teacher, (0, 0))
            out[r.teacher] = (e + r.expected, n + r.entered)
        return out


def expected_per_student(regime: str, lessons: int, comment: bool, term: Term, as_of: dt.date) -> dict[MarkKind, int]:
    """How many marks of each kind a student should have in the term by ``as_of``."""
    if as_of < term.starts_on:
        return {}
    rules = ruleset(regime)
    regular = rules.required_regular_count(lessons, comment=comment)
    length = (term.ends_on - term.starts_on).days + 1
    elapsed = min((as_of - term.starts_on).days + 1, length)
    out = {MarkKind.REGULAR: regular * elapsed // length}
    if comment:
        return out  # comment subjects: regular assessments only, plus the end-of-term one below
    middle = term.starts_on + dt.timedelta(days=length // 2)
    if as_of >= middle:
        out[MarkKind.PERIODIC if regime == "tt58" else MarkKind.MIDTERM] = 1
    if as_of >= term.ends_on:
        out[MarkKind.FINAL] = 1
    return out


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def entry_progress(session: Session, actor: Actor, school_year: SchoolYear, year: int, month: int, *,
                   klass: Class | None = None, today: dt.date | None = None) -> EntryProgress:
    """Marks expected and entered per teacher, class and subject, by the end of the month (or today)."""
    require(session, actor, Action.RECORDS_READ, klass or school_year, today=today)
    if not 1 <= month <= 12:
        raise ValidationError("Tháng không hợp lệ.", f"invalid month {month}")
    as_of = min(_month_end(year, month), _today(today))
    terms = [t for t in session.scalars(select(Term).where(Term.school_year_id == school_year.id))
             if t.starts_on <= as_of]
    if not terms:
        return EntryProgress(school_year.id, year, month, as_of, ())
    # plain columns and counts computed by the database: a school-wide month is read in a few queries
    query = (select(TeachingAssignment.term_id, Class.id.label("class_id"), Class.name.label("class_name"),
                    Grade.id.label("grade_id"), Grade.regime, Subject.id.label("subject_id"),
                    Subject.name.label("subject"), Subject.assessment, Subject.lessons_per_year,
                    User.id.label("teacher_id"), User.full_name.label("teacher"))
             .join(Class, Class.id == TeachingAssignment.class_id).join(Grade, Grade.id == Class.grade_id)
             .join(Subject, Subject.id == TeachingAssignment.subject_id)
             .join(User, User.id == TeachingAssignment.teacher_id)
             .where(TeachingAssignment.term_id.in_([t.id for t in terms]))
             .order_by(User.full_name, Class.name, Subject.name, TeachingAssignment.term_id))
    if klass is not None:
        query = query.where(Class.id == klass.id)
    assignments = session.execute(query).all()
    lessons = {(grade_id, subject_id): n for grade_id, subject_id, n in session.execute(
        select(GradeSubject.grade_id, GradeSubject.subject_id, GradeSubject.lessons_per_year)
        .where(GradeSubject.grade_id.in_({row.grade_id for row in assignments})))}
    term_by_id = {t.id: t for t in terms}
    class_ids = {row.class_id for row in assignments}
    roll: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for enrolment_id, class_id, *names in session.execute(
            select(Enrolment.id, Enrolment.class_id, Student.family_name, Student.middle_name, Student.given_name)
            .join(Student, Student.id == Enrolment.student_id)
            .where(Enrolment.class_id.in_(class_ids), Enrolment.enrolled_on <= as_of,
                   or_(Enrolment.left_on.is_(None), Enrolment.left_on > as_of))
            .order_by(Enrolment.roll_number)):
        roll[class_id].append((enrolment_id, " ".join(p for p in names if p)))
    end_of_day = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
    counts: dict[tuple[int, int, int], dict[str, int]] = defaultdict(dict)
    enrolment_ids = [e for members in roll.values() for e, _ in members]
    m = Mark.__table__.c  # type: ignore[attr-defined]
    for i in range(0, len(enrolment_ids), 500):
        for enrolment_id, subject_id, term_id, kind, n in session.execute(  # Core columns: plain rows, no ORM loading
                select(m.enrolment_id, m.subject_id, m.term_id, m.kind, func.count())
                .where(m.enrolment_id.in_(enrolment_ids[i:i + 500]), m.term_id.in_(list(term_by_id)),
                       or_(m.assessed_on <= as_of, and_(m.assessed_on.is_(None), m.entered_at <= end_of_day)))
                .group_by(m.enrolment_id, m.subject_id, m.term_id, m.kind)):
            counts[(enrolment_id, subject_id, term_id)][kind] = int(n)  # a str enum: MarkKind keys match
    rows: list[ProgressRow] = []
    for row in assignments:
        term = term_by_id[row.term_id]
        need = expected_per_student(row.regime, lessons.get((row.grade_id, row.subject_id)) or row.lessons_per_year,
                                    row.assessment is Assessment.COMMENT, term, as_of)
        want, wanted = sum(need.values()), tuple(need.items())
        expected = entered = 0
        late: list[str] = []
        for enrolment_id, name in roll[row.class_id]:
            have = counts.get((enrolment_id, row.subject_id, term.id))
            got = sum(min(have.get(kind, 0), n) for kind, n in wanted) if have else 0
            expected, entered = expected + want, entered + got
            if got < want:
                late.append(name)
        rows.append(ProgressRow(row.teacher_id, row.teacher, row.class_id, row.class_name, row.subject_id, row.subject,
                                term.number, len(roll[row.class_id]), expected, entered, tuple(late)))
    return EntryProgress(school_year.id, year, month, as_of, tuple(rows))


def _progress_json(progress: EntryProgress) -> str:
    return json.dumps({"as_of": progress.as_of.isoformat(), "rows": [
        {**asdict(r), "late_students": list(r.late_students)} for r in progress.rows]}, ensure_ascii=False)


def record_inspection(session: Session, actor: Actor, school_year: SchoolYear, year: int, month: int, *,
                      findings: str, conclusion: str | None = None, klass: Class | None = None,
                      inspected_on: dt.date | None = None, today: dt.date | None = None) -> Inspection:
    """The leadership records a monthly inspection (biên bản kiểm tra) with its findings and the progress seen."""
    scope: object = klass if klass is not None else Scope(
        school_id=school_year.school_id, school_year_id=school_year.id,
        description_vi=f"năm học {school_year.name}")
    require(session, actor, Action.INSPECTION_RECORD, scope, today=today)
    if not findings or not findings.strip():
        raise ValidationError("Biên bản kiểm tra phải ghi nội dung kiểm tra, nhận xét.", "findings required")
    # the minutes print on the month's page of this year's book (June–August on May's): months of the year only
    first, last = (school_year.starts_on.year, school_year.starts_on.month), (school_year.start_year + 1, 8)
    if not first <= (year, month) <= last:
        raise ValidationError(f"Tháng {month}/{year} không thuộc năm học {school_year.name}.",
                              f"inspection month {year}-{month} outside school year {school_year.id}")
    day = _today(today)
    if (year, month) > (day.year, day.month):
        raise ValidationError(f"Tháng {month}/{year} chưa đến: chưa lập được biên bản kiểm tra.",
                              f"inspection month {year}-{month} is in the future ({day})")
    progress = entry_progress(session, actor, school_year, year, month, klass=klass, today=today)
    inspection = Inspection(school_id=school_year.school_id, school_year_id=school_year.id,
                            class_id=klass.id if klass else None, year=year, month=month,
                            inspected_on=_today(inspected_on or today), inspected_by_id=actor.user_id,
                            findings=findings.strip(), conclusion=conclusion, progress=_progress_json(progress))
    session.add(inspection)
    session.flush()
    audit.append(session, actor, "record", "inspection", inspection.id, None,
                 {"class_id": inspection.class_id, "year": year, "month": month, "findings": inspection.findings,
                  "conclusion": conclusion, "expected": progress.expected, "entered": progress.entered},
                 school_id=school_year.school_id)
    return inspection


def inspection_minutes(session: Session, class_id: int, year: SchoolYear | int) -> list[dict[str, object]]:
    """The inspections of a class (and school-wide ones) in a school year, as plain data for the mark book."""
    school_year = session.get(SchoolYear, year) if isinstance(year, int) else year
    klass = session.get(Class, class_id)
    if school_year is None or klass is None:
        raise NotFoundError("Không tìm thấy lớp hoặc năm học.", f"class {class_id} / year {year} not found")
    found: Sequence[Inspection] = session.scalars(
        select(Inspection).where(Inspection.school_year_id == school_year.id,
                                 or_(Inspection.class_id == class_id, Inspection.class_id.is_(None)))
        .order_by(Inspection.year, Inspection.month, Inspection.inspected_on, Inspection.id)).all()
    out: list[dict[str, object]] = []
    for inspection in found:
        snapshot = json.loads(inspection.progress) if inspection.progress else {"rows": []}
        rows = [r for r in snapshot["rows"] if r["class_id"] == class_id]
        inspector = session.get(User, inspection.inspected_by_id)
        out.append({
            "month_vi": f"Tháng {inspection.month}/{inspection.year}",
            "year": inspection.year,
            "month": inspection.month,
            "inspected_on": inspection.inspected_on.strftime("%d/%m/%Y"),
            "inspector": inspector.full_name if inspector else None,
            "scope_vi": f"Lớp {klass.name}" if inspection.class_id else "Toàn trường",
            "findings": inspection.findings,
            "conclusion": inspection.conclusion,
            "as_of": snapshot.get("as_of"),
            "progress": [{"teacher": r["teacher"], "subject": r["subject"], "term": r["term"],
                          "expected": r["expected"], "entered": r["entered"],
                          "missing": r["expected"] - r["entered"], "late_students": r["late_students"]}
                         for r in rows],
        })
    return out
