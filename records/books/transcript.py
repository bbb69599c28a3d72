"""The transcript's input: :class:`TranscriptInput` (plain typed values) and its read services.

``read_transcript(session, actor, student_code)`` reads one student's records (every enrolment, at
this school or another one of the database) into a :class:`TranscriptInput`, a plain frozen
dataclass of typed values (``Decimal`` marks, ``date`` dates); ``read_transcripts`` reads many
students in a handful of queries (the batch). Both check the actor's read right on each student
(``Action.RECORDS_READ``). The correction note of each year comes from the audit trace
(:data:`CorrectionLookup`, default :func:`traced_corrections`), never from typed text; the last
page of each year's latest print (``printed_ends``) comes from its edition, so that the next year
numbers its pages after it. ``layouts.transcript`` builds the book from the input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from records.db import core_rows
from records.errors import NotFoundError
from records.models import (
    Class,
    CorrectionRequest,
    Edition,
    EditionKind,
    EditionPage,
    EditionStatus,
    Enrolment,
    EnrolmentStatus,
    Grade,
    GradeSubject,
    HomeroomComment,
    Period,
    SchoolYear,
    Student,
    StudentResult,
    SubjectComment,
    SubjectResult,
    TeachingAssignment,
)
from records.permissions import Action, Actor, allowed, require
from records.rules import Promotion
from records.services.context import VN_TZ

LEVELS = (6, 7, 8, 9)


# --- the input: plain typed data -------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A school as printed: name, district (huyện) and province (tỉnh)."""

    school: str
    district: str
    province: str


@dataclass(frozen=True)
class CorrectionNote:
    """Traced corrections of one student's year: number of corrected places and their subjects."""

    count: int = 0
    subjects: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubjectLine:
    """One subject of a year: term and year results (Decimal average or "Đ"/"CĐ"), comment, teacher."""

    name: str
    term1: Decimal | str | None = None
    term2: Decimal | str | None = None
    year: Decimal | str | None = None
    reassessed: Decimal | str | None = None
    comment: str = ""
    teacher: str = ""


@dataclass(frozen=True)
class YearRecord:
    """One school year of the student: class, school, regime, subject and overall results."""

    start_year: int
    grade: int
    class_name: str
    regime: str  # "tt58" | "tt26" | "tt22"
    place: Place
    subjects: tuple[SubjectLine, ...] = ()
    overall: tuple[Decimal | None, Decimal | None, Decimal | None] = (None, None, None)  # TT58/26 ĐTB
    conduct: tuple[str | None, str | None, str | None] = (None, None, None)  # HK I, HK II, CN
    learning: tuple[str | None, str | None, str | None] = (None, None, None)
    days_absent: int | None = None
    learning_after_summer: str | None = None
    conduct_after_summer: str | None = None
    promotion: str | None = None  # records.rules.Promotion value, before the summer
    final_promotion: str | None = None  # after the summer
    title: str | None = None
    homeroom_comment: str = ""
    homeroom_teacher: str = ""
    principal: str = ""
    approved_on: dt.date | None = None
    corrections: CorrectionNote = field(default_factory=CorrectionNote)
    repeating: bool = False

    @property
    def name(self) -> str:
        """"2023-2024"."""
        return f"{self.start_year}-{self.start_year + 1}"


@dataclass(frozen=True)
class Identity:
    """Page 1 (sơ yếu lý lịch) of the transcript."""

    full_name: str
    gender: str
    date_of_birth: dt.date
    place_of_birth: str = ""
    ethnicity: str = ""
    policy_category: str = ""
    current_address: str = ""
    father_name: str = ""
    father_occupation: str = ""
    mother_name: str = ""
    mother_occupation: str = ""
    guardian_name: str = ""
    guardian_occupation: str = ""


@dataclass(frozen=True)
class TranscriptInput:
    """Everything a transcript prints, for one student (independent of the database)."""

    student_code: str
    register_number: str
    identity: Identity
    holder: Place  # the school keeping the transcript (cover, identity page)
    principal: str = ""
    created_on: dt.date | None = None  # when the transcript was opened (identity page date)
    photo: bytes | None = None
    years: tuple[YearRecord, ...] = ()
    #: Grades still to come after the recorded years (for the planned page numbering).
    remaining_grades: tuple[int, ...] = ()
    #: The last page number of the latest print of each recorded year ((start year, page), …), read
    #: from its edition: the next year's print numbers its pages after it without laying the years
    #: before it out again (:func:`build_transcript`).
    printed_ends: tuple[tuple[int, int], ...] = ()


def vn_date(at: dt.datetime | None) -> dt.date | None:
    """The calendar day of a recorded time in Vietnam (UTC+7); naive times are UTC (as stored)."""
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(VN_TZ).date()


# --- reading ----------------------------------------------------------------------------------

#: Gives the traced corrections of one enrolment (a student's year in a class).
CorrectionLookup = Callable[[Session, Enrolment], CorrectionNote]


def traced_corrections(session: Session, enrolment: Enrolment) -> CorrectionNote:
    """Corrections of the year from the governance trace (``records.services.corrections``).

    The service counts the marks changed with the trace action ``correct`` through applied
    correction requests of the enrolment. The note is never typed by hand.
    """
    from records.services.corrections import correction_note

    note = correction_note(session, enrolment.id)
    return CorrectionNote(count=int(note.count), subjects=tuple(note.subjects))


def _text(value: str | None) -> str:
    return (value or "").strip()


def _by_period(rows: Iterable[Any]) -> dict[Period, Any]:
    return {row.period: row for row in rows}


def _year_enrolments(student: Student) -> list[Enrolment]:
    """One enrolment per school year: the one that carries the year's results.

    A student who changed school during a year has two enrolments that year; the transcript
    shows the school where the year ended (the active one, else the latest).
    """
    by_year: dict[int, list[Enrolment]] = {}
    for e in student.enrolments:
        by_year.setdefault(e.class_.grade.school_year.start_year, []).append(e)
    chosen = []
    for start in sorted(by_year):
        candidates = sorted(by_year[start], key=lambda e: (e.status == EnrolmentStatus.ACTIVE, e.enrolled_on, e.id))
        chosen.append(candidates[-1])
    return chosen


_STUDENT_OPTIONS = (
    selectinload(Student.enrolments)
    .selectinload(Enrolment.class_)
    .selectinload(Class.grade)
    .selectinload(Grade.subjects)
    .selectinload(GradeSubject.subject),
    selectinload(Student.enrolments)
    .selectinload(Enrolment.class_)
    .selectinload(Class.grade)
    .selectinload(Grade.school_year)
    .selectinload(SchoolYear.terms),
    selectinload(Student.school),
)


def read_transcript(
    session: Session, actor: Actor, student_code: str, *, corrections: CorrectionLookup | None = None
) -> TranscriptInput:
    """Read one student's transcript from the records (the actor's read right on the student checked)."""
    student = session.scalars(
        select(Student).where(Student.code == student_code).options(*_STUDENT_OPTIONS)
    ).one_or_none()
    if student is None:
        raise NotFoundError(
            f"Không tìm thấy học sinh có mã «{student_code}».", f"no student with code {student_code!r}"
        )
    require(session, actor, Action.RECORDS_READ, student)
    return _transcript_input(session, student, corrections or traced_corrections)


def read_transcripts(
    session: Session, actor: Actor, student_codes: Iterable[str], *, corrections: CorrectionLookup | None = None
) -> dict[str, TranscriptInput]:
    """``read_transcript`` of many students at once (a handful of queries for all of them).

    The result is the same as reading each student alone; codes without a student are left out
    (``read_transcript`` of such a code raises the NotFoundError). The read right is checked once per
    school where the actor holds it over the whole school (the office), else student by student.
    """
    codes = list(dict.fromkeys(student_codes))
    students: list[Student] = []
    for chunk in _chunks(codes):
        students += session.scalars(select(Student).where(Student.code.in_(chunk)).options(*_STUDENT_OPTIONS))
    _require_read(session, actor, students)
    chosen = {s.id: _year_enrolments(s) for s in students}
    enrolment_ids = [e.id for es in chosen.values() for e in es]
    class_ids = sorted({e.class_id for es in chosen.values() for e in es})
    pre = _Prefetched(
        results=_by_enrolment(session, SubjectResult, enrolment_ids, _SubjectResultRow),
        comments=_by_enrolment(session, SubjectComment, enrolment_ids, _CommentRow),
        overall=_by_enrolment(session, StudentResult, enrolment_ids, _StudentResultRow),
        homeroom=_by_enrolment(session, HomeroomComment, enrolment_ids, _HomeroomRow),
        teachers={},
        notes=None,
        printed=_printed_ends(session, [s.id for s in students]),
    )
    for chunk in _chunks(class_ids):
        for ta in session.scalars(
            select(TeachingAssignment)
            .where(TeachingAssignment.class_id.in_(chunk))
            .options(selectinload(TeachingAssignment.teacher))
            .order_by(TeachingAssignment.id)
        ):
            pre.teachers.setdefault(ta.class_id, []).append(ta)
    lookup = corrections or traced_corrections
    if corrections is None:  # the trace is read only for the (rare) enrolments with correction requests
        requested: set[int] = set()
        for chunk in _chunks(enrolment_ids):
            requested.update(session.scalars(
                select(CorrectionRequest.enrolment_id).where(CorrectionRequest.enrolment_id.in_(chunk))))
        pre.notes = {e.id: traced_corrections(session, e) if e.id in requested else CorrectionNote(0, ())
                     for es in chosen.values() for e in es}
    by_code = {s.code: _transcript_input(session, s, lookup, chosen[s.id], pre) for s in students}
    return {code: by_code[code] for code in codes if code in by_code}


def _require_read(session: Session, actor: Actor, students: Sequence[Student]) -> None:
    """``require(RECORDS_READ)`` of every student; a right over a whole school covers its students."""
    whole: dict[int | None, bool] = {}
    for student in students:
        if student.school_id not in whole:
            whole[student.school_id] = student.school is not None and allowed(
                session, actor, Action.RECORDS_READ, student.school)
        if not whole[student.school_id]:
            require(session, actor, Action.RECORDS_READ, student)


@dataclass
class _Prefetched:
    """Rows of many enrolments read at once (``read_transcripts``), in id order."""

    results: dict[int, list[_SubjectResultRow]]
    comments: dict[int, list[_CommentRow]]
    overall: dict[int, list[_StudentResultRow]]
    homeroom: dict[int, list[_HomeroomRow]]
    teachers: dict[int, list[TeachingAssignment]]  # by class id
    notes: dict[int, CorrectionNote] | None  # by enrolment id (None: ask the lookup)
    printed: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)  # by student id


def _chunks(ids: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


class _SubjectResultRow(NamedTuple):
    """What a year reads of a ``SubjectResult`` (its ``value``: the average, or the comment grade)."""

    subject_id: int
    period: Period
    value: Decimal | str | None
    reassessed_score: Decimal | None
    reassessed_grade: str | None

    @classmethod
    def columns(cls, t: Any) -> tuple[Any, ...]:
        return t.subject_id, t.period, t.average, t.grade, t.reassessed_score, t.reassessed_grade

    @classmethod
    def of(cls, row: Any) -> _SubjectResultRow:
        subject_id, period, average, grade, score, grade_after = row
        return cls(subject_id, period, average if average is not None else grade, score, grade_after)


class _CommentRow(NamedTuple):
    """What a year reads of a ``SubjectComment``."""

    subject_id: int
    period: Period
    text: str

    @classmethod
    def columns(cls, t: Any) -> tuple[Any, ...]:
        return t.subject_id, t.period, t.text

    @classmethod
    def of(cls, row: Any) -> _CommentRow:
        return cls(*row)


class _HomeroomRow(NamedTuple):
    """What a year reads of a ``HomeroomComment``."""

    period: Period
    text: str

    @classmethod
    def columns(cls, t: Any) -> tuple[Any, ...]:
        return t.period, t.text

    @classmethod
    def of(cls, row: Any) -> _HomeroomRow:
        return cls(*row)


class _StudentResultRow(NamedTuple):
    """What a year reads of a ``StudentResult`` (``days_absent``: excused and unexcused, as its property)."""

    period: Period
    overall_average: Decimal | None
    conduct: str | None
    learning: str | None
    days_absent: int
    learning_after_summer: str | None
    conduct_after_summer: str | None
    promotion: str | None
    final_promotion: str | None
    title: str | None
    approved_at: dt.datetime | None

    @classmethod
    def columns(cls, t: Any) -> tuple[Any, ...]:
        return (t.period, t.overall_average, t.conduct, t.learning, t.days_absent_excused, t.days_absent_unexcused,
                t.learning_after_summer, t.conduct_after_summer, t.promotion, t.final_promotion, t.title,
                t.approved_at)

    @classmethod
    def of(cls, row: Any) -> _StudentResultRow:
        period, average, conduct, learning, excused, unexcused, *rest = row
        return cls(period, average, conduct, learning, excused + unexcused, *rest)


def _by_enrolment(session: Session, model: Any, enrolment_ids: Sequence[int], shape: Any) -> dict[int, list[Any]]:
    """The rows of ``model`` of these enrolments in id order, as ``shape`` tuples (the columns a year reads: Core
    rows on the session's connection, fetched at once: no ORM objects; the same values, as the same column
    types convert them)."""
    t = model.__table__.c
    make = shape.of
    out: dict[int, list[Any]] = {}
    for chunk in _chunks(enrolment_ids):
        for enrolment_id, *row in core_rows(session, select(t.enrolment_id, *shape.columns(t))
                                            .where(t.enrolment_id.in_(chunk)).order_by(t.id)):
            out.setdefault(enrolment_id, []).append(make(row))
    return out


def _transcript_input(
    session: Session,
    student: Student,
    lookup: CorrectionLookup,
    enrolments: list[Enrolment] | None = None,
    pre: _Prefetched | None = None,
) -> TranscriptInput:
    enrolments = _year_enrolments(student) if enrolments is None else enrolments
    years = tuple(_load_year(session, e, lookup, pre) for e in enrolments)
    first = student.enrolments[0] if student.enrolments else None
    holder = student.school
    identity = Identity(
        full_name=student.full_name,
        gender=student.gender.value,
        date_of_birth=student.date_of_birth,
        place_of_birth=_text(student.place_of_birth),
        ethnicity=_text(student.ethnicity),
        policy_category=_text(student.policy_category),
        current_address=_text(student.current_address or student.permanent_address),
        father_name=_text(student.father_name),
        father_occupation=_text(student.father_occupation),
        mother_name=_text(student.mother_name),
        mother_occupation=_text(student.mother_occupation),
        guardian_name=_text(student.guardian_name),
        guardian_occupation=_text(student.guardian_occupation),
    )
    return TranscriptInput(
        student_code=student.code,
        register_number=_text(student.register_number),
        identity=identity,
        holder=Place(holder.name, holder.district, holder.province),
        principal=_text(holder.principal_name),
        created_on=student.entry_date or (min(e.enrolled_on for e in student.enrolments) if first else None),
        photo=student.photo,
        years=years,
        remaining_grades=_remaining(years),
        printed_ends=pre.printed.get(student.id, ()) if pre is not None
        else _printed_ends(session, [student.id]).get(student.id, ()),
    )


def _printed_ends(session: Session, student_ids: Sequence[int]) -> dict[int, tuple[tuple[int, int], ...]]:
    """Per student, the last page number of the latest (not revoked, not copy) print of each year."""
    latest: dict[tuple[int, int], tuple[Any, int]] = {}
    for chunk in _chunks(list(student_ids)):
        rows = session.execute(
            select(Edition.student_id, SchoolYear.start_year, Edition.created_at, func.max(EditionPage.number))
            .join(EditionPage, EditionPage.edition_id == Edition.id)
            .join(SchoolYear, SchoolYear.id == Edition.school_year_id)
            .where(Edition.kind == EditionKind.TRANSCRIPT, Edition.student_id.in_(chunk), Edition.copy.is_(False),
                   Edition.status != EditionStatus.REVOKED)
            .group_by(Edition.id, Edition.student_id, SchoolYear.start_year, Edition.created_at))
        for student_id, start, created, last in rows:
            if student_id is None:  # filtered out above; for the type checker
                continue
            key = (student_id, start)
            if key not in latest or created > latest[key][0]:
                latest[key] = (created, int(last))
    out: dict[int, list[tuple[int, int]]] = {}
    for (student_id, start), (_created, last) in sorted(latest.items()):
        out.setdefault(student_id, []).append((start, last))
    return {k: tuple(v) for k, v in out.items()}


def _remaining(years: Sequence[YearRecord]) -> tuple[int, ...]:
    if not years:
        return LEVELS
    last = years[-1]
    decision = last.final_promotion or last.promotion
    if decision == Promotion.REPEAT.value:
        return tuple(range(last.grade, 10))
    return tuple(range(last.grade + 1, 10))


def _load_year(
    session: Session, enrolment: Enrolment, lookup: CorrectionLookup, pre: _Prefetched | None = None
) -> YearRecord:
    klass = enrolment.class_
    grade = klass.grade
    school = klass.school
    school_year = grade.school_year
    results: dict[tuple[int, Period], SubjectResult | _SubjectResultRow] = {
        (r.subject_id, r.period): r
        for r in (
            pre.results.get(enrolment.id, [])
            if pre is not None
            else session.scalars(select(SubjectResult).where(SubjectResult.enrolment_id == enrolment.id))
        )
    }
    comments: dict[tuple[int, Period], SubjectComment | _CommentRow] = {
        (c.subject_id, c.period): c
        for c in (
            pre.comments.get(enrolment.id, [])
            if pre is not None
            else session.scalars(select(SubjectComment).where(SubjectComment.enrolment_id == enrolment.id))
        )
    }
    term_numbers = {t.id: t.number for t in school_year.terms}
    teachers: dict[int, list[tuple[int, str]]] = {}
    for ta in (
        pre.teachers.get(klass.id, [])
        if pre is not None
        else session.scalars(
            select(TeachingAssignment)
            .where(TeachingAssignment.class_id == klass.id)
            .options(selectinload(TeachingAssignment.teacher))
            .order_by(TeachingAssignment.id)
        )
    ):
        teachers.setdefault(ta.subject_id, []).append((term_numbers.get(ta.term_id, 0), ta.teacher.full_name))
    lines = []
    for gs in grade.subjects:
        sid = gs.subject_id
        t1, t2, cn = (results.get((sid, p)) for p in (Period.TERM1, Period.TERM2, Period.YEAR))
        comment = next(
            (c.text for p in (Period.YEAR, Period.TERM2, Period.TERM1) if (c := comments.get((sid, p)))), ""
        )
        names = teachers.get(sid, [])
        # The teacher of the second term signs the year; list each name once.
        ordered = [n for _t, n in sorted(names, key=lambda x: -x[0])]
        lines.append(
            SubjectLine(
                name=gs.subject.name,
                term1=t1.value if t1 else None,
                term2=t2.value if t2 else None,
                year=cn.value if cn else None,
                reassessed=(cn.reassessed_score if cn.reassessed_score is not None else cn.reassessed_grade)
                if cn
                else None,
                comment=_text(comment),
                teacher=", ".join(dict.fromkeys(ordered)),
            )
        )
    overall = _by_period(
        pre.overall.get(enrolment.id, [])
        if pre is not None
        else session.scalars(select(StudentResult).where(StudentResult.enrolment_id == enrolment.id))
    )
    homeroom = _by_period(
        pre.homeroom.get(enrolment.id, [])
        if pre is not None
        else session.scalars(select(HomeroomComment).where(HomeroomComment.enrolment_id == enrolment.id))
    )
    year_result: StudentResult | None = overall.get(Period.YEAR)
    comment_row = homeroom.get(Period.YEAR) or homeroom.get(Period.TERM2) or homeroom.get(Period.TERM1)
    periods = (Period.TERM1, Period.TERM2, Period.YEAR)
    return YearRecord(
        start_year=school_year.start_year,
        grade=grade.level,
        class_name=klass.name,
        regime=grade.regime,
        place=Place(school.name, school.district, school.province),
        subjects=tuple(lines),
        overall=tuple(overall[p].overall_average if p in overall else None for p in periods),  # type: ignore[arg-type]
        conduct=tuple(overall[p].conduct if p in overall else None for p in periods),  # type: ignore[arg-type]
        learning=tuple(overall[p].learning if p in overall else None for p in periods),  # type: ignore[arg-type]
        days_absent=year_result.days_absent if year_result else None,
        learning_after_summer=year_result.learning_after_summer if year_result else None,
        conduct_after_summer=year_result.conduct_after_summer if year_result else None,
        promotion=year_result.promotion if year_result else None,
        final_promotion=year_result.final_promotion if year_result else None,
        title=year_result.title if year_result else None,
        homeroom_comment=_text(comment_row.text if comment_row else ""),
        homeroom_teacher=klass.homeroom_teacher.full_name if klass.homeroom_teacher else "",
        principal=_text(school.principal_name),
        approved_on=vn_date(year_result.approved_at) if year_result else None,
        corrections=pre.notes[enrolment.id] if pre is not None and pre.notes is not None else lookup(session, enrolment),
        repeating=enrolment.repeating,
    )


__all__ = [
    "LEVELS",
    "CorrectionLookup",
    "CorrectionNote",
    "Identity",
    "Place",
    "SubjectLine",
    "TranscriptInput",
    "YearRecord",
    "read_transcript",
    "read_transcripts",
    "traced_corrections",
    "vn_date",
]
