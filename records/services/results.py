"""Results: subject results and the overall result of each student for HK I, HK II and the year,
computed from the recorded marks with ``records.rules``; the summer re-assessment / training; the
results a student brings from another school.

Completeness (REGULATIONS.md §1.3, §2.2): no average is computed from too few marks. A subject needs
the regime's number of regular marks for its lessons per year (``Ruleset.required_regular_count``),
the mid-term (TT26/TT22; at least one periodic test under the original TT58) and the end-of-term
mark; otherwise its result is empty and ``incomplete_reason`` tells the teacher what is missing, and
the student's learning result is not classified.

A recomputation keeps what was decided after the summer (re-assessment scores, training) and decides
the final promotion again from it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from records import audit
from records.audit import AuditRecord
from records.db import insert_rows
from records.errors import ConflictError, NotFoundError, ValidationError
from records.models import (
    Assessment,
    Attendance,
    Class,
    Conduct,
    Enrolment,
    EnrolmentStatus,
    Grade,
    GradeSubject,
    Mark,
    MarkKind,
    Period,
    SchoolYear,
    StudentResult,
    Subject,
    SubjectResult,
    Term,
    utcnow,
)
from records.permissions import Action, Actor, require
from records.rules import Promotion, Ruleset, ruleset
from records.rules.values import parse_comment, parse_mark
from records.services import locks
from records.services.context import now as service_now

__all__ = [
    "StudentOutcome",
    "SubjectOutcome",
    "approve_class",
    "compute_class",
    "import_results",
    "recompute",
    "record_summer",
]

Value = Decimal | str


@dataclass(frozen=True)
class SubjectOutcome:
    """A subject's result for a period: average or Đ/CĐ, or why it could not be computed."""

    subject_code: str
    value: Value | None
    incomplete_reason: str | None = None


@dataclass(frozen=True)
class StudentOutcome:
    """A student's overall result for a period, as stored in ``student_result``."""

    enrolment_id: int
    period: Period
    regime: str
    subjects: Mapping[str, SubjectOutcome] = field(compare=False)
    overall_average: Decimal | None
    learning: str | None
    learning_adjusted: bool
    conduct: str | None
    title: str | None
    days_absent_excused: int
    days_absent_unexcused: int
    promotion: str | None = None
    final_promotion: str | None = None

    @property
    def complete(self) -> bool:
        """True when every subject has a result."""
        return all(s.value is not None for s in self.subjects.values())

    @property
    def days_absent(self) -> int:
        """All sessions missed in the period."""
        return self.days_absent_excused + self.days_absent_unexcused


# --- the class being computed -------------------------------------------------------------------


@dataclass(frozen=True)
class _SubjectInfo:
    id: int
    code: str
    name: str
    comment: bool
    lessons: int


@dataclass
class _ClassContext:
    klass: Class
    grade: Grade
    year: SchoolYear
    terms: dict[int, Term]  # by number
    rs: Ruleset
    subjects: list[_SubjectInfo]

    @property
    def regime(self) -> str:
        return self.grade.regime


def _context(session: Session, klass: Class) -> _ClassContext:
    grade = session.get(Grade, klass.grade_id)
    assert grade is not None
    year = session.get(SchoolYear, grade.school_year_id)
    assert year is not None
    terms = {t.number: t for t in session.scalars(select(Term).where(Term.school_year_id == year.id))}
    if set(terms) != {1, 2}:
        raise ConflictError(f"Năm học {year.name} chưa khai báo đủ hai học kì.", f"year {year.id} lacks terms")
    rows = session.execute(
        select(GradeSubject.position, GradeSubject.lessons_per_year, Subject)
        .join(Subject, Subject.id == GradeSubject.subject_id)
        .where(GradeSubject.grade_id == grade.id).order_by(GradeSubject.position, Subject.id)
    )
    subjects = [_SubjectInfo(s.id, s.code, s.name, s.assessment == Assessment.COMMENT, lessons or s.lessons_per_year)
                for _, lessons, s in rows]
    if not subjects:
        raise ConflictError(f"Khối {grade.level} năm học {year.name} chưa có môn học.", "grade without subjects")
    return _ClassContext(klass, grade, year, terms, ruleset(grade.regime), subjects)


def _period_span(ctx: _ClassContext, period: Period) -> tuple[dt.date, dt.date]:
    if period is Period.TERM1:
        return ctx.terms[1].starts_on, ctx.terms[1].ends_on
    if period is Period.TERM2:
        return ctx.terms[2].starts_on, ctx.terms[2].ends_on
    return ctx.terms[1].starts_on, ctx.terms[2].ends_on


def _takes_part(enrolment: Enrolment, ctx: _ClassContext, period: Period) -> bool:
    """Whether the student was on the roll for the period (present at its end, arrived before its end)."""
    _, end = _period_span(ctx, period)
    if enrolment.enrolled_on > end:
        return False
    return enrolment.status == EnrolmentStatus.ACTIVE or (enrolment.left_on is not None and enrolment.left_on > end)


# --- one term of one subject --------------------------------------------------------------------

_KIND_LABELS = {
    "tt58": {MarkKind.REGULAR: "KTtx", MarkKind.PERIODIC: "KTđk", MarkKind.FINAL: "KThk"},
    "tt26": {MarkKind.REGULAR: "ĐĐGtx", MarkKind.MIDTERM: "ĐĐGgk", MarkKind.FINAL: "ĐĐGck"},
    "tt22": {MarkKind.REGULAR: "ĐĐGtx", MarkKind.MIDTERM: "ĐĐGgk", MarkKind.FINAL: "ĐĐGck"},
}
KIND_LABELS = _KIND_LABELS  # the book's names of the kinds of marks, per regime (the mark grid's column heads)


def _term_result(ctx: _ClassContext, subject: _SubjectInfo, term_name: str,
                 marks: Mapping[MarkKind, list[Value]]) -> SubjectOutcome:
    """A subject's term result from its marks, or the list of what is missing."""
    rs, labels = ctx.rs, _KIND_LABELS[ctx.regime]
    regular = marks.get(MarkKind.REGULAR, [])
    finals = marks.get(MarkKind.FINAL, [])
    if ctx.regime == "tt58":
        periodic = marks.get(MarkKind.PERIODIC, []) + marks.get(MarkKind.MIDTERM, [])
        periodic_label = labels[MarkKind.PERIODIC]
    else:
        periodic = marks.get(MarkKind.MIDTERM, []) + marks.get(MarkKind.PERIODIC, [])
        periodic_label = labels[MarkKind.MIDTERM]
    required = rs.required_regular_count(subject.lessons, comment=subject.comment)
    missing: list[str] = []
    if len(regular) < required:
        missing.append(f"thiếu {required - len(regular)} điểm {labels[MarkKind.REGULAR]} "
                       f"(có {len(regular)}/{required})")
    if not periodic:
        missing.append(f"thiếu điểm {periodic_label}")
    elif ctx.regime != "tt58" and len(periodic) > 1:
        missing.append(f"có {len(periodic)} điểm {periodic_label}, chỉ được một")
    if not finals:
        missing.append(f"thiếu điểm {labels[MarkKind.FINAL]}")
    elif len(finals) > 1:
        missing.append(f"có {len(finals)} điểm {labels[MarkKind.FINAL]}, chỉ được một")
    wrong = [v for v in [*regular, *periodic, *finals] if isinstance(v, str) != subject.comment]
    if wrong:
        missing.append("có điểm số ở môn đánh giá bằng nhận xét" if subject.comment
                       else "có kết quả Đ/CĐ ở môn đánh giá bằng điểm số")
    if missing:
        return SubjectOutcome(subject.code, None, f"{subject.name}, {term_name}: " + "; ".join(missing) + ".")
    if subject.comment:
        value: Value = rs.comment_term_result([*regular, *periodic], len(regular) + len(periodic) + 1,
                                              final=finals[0])
    else:
        value = rs.term_average(regular=regular, periodic=periodic, final=finals[0])
    return SubjectOutcome(subject.code, value)


def _year_result(ctx: _ClassContext, subject: _SubjectInfo, first: Value | None, second: Value | None) -> SubjectOutcome:
    if first is None or second is None:
        which = " và ".join(n for n, v in (("học kì I", first), ("học kì II", second)) if v is None)
        return SubjectOutcome(subject.code, None, f"{subject.name}, cả năm: chưa có kết quả {which}.")
    if subject.comment:
        return SubjectOutcome(subject.code, ctx.rs.comment_year_result(first, second))
    return SubjectOutcome(subject.code, ctx.rs.year_average(first, second))


# --- the overall result -------------------------------------------------------------------------


def _overall(ctx: _ClassContext, enrolment_id: int, period: Period, subjects: dict[str, SubjectOutcome],
             conduct: str | None, absent: tuple[int, int]) -> StudentOutcome:
    rs = ctx.rs
    values = {code: o.value for code, o in subjects.items() if o.value is not None}
    complete = len(values) == len(subjects)
    overall = learning = title = promotion = final = None
    adjusted = False
    if complete:
        classification = rs.classify(values)
        overall, learning, adjusted = classification.overall_average, classification.level, classification.adjusted
    if conduct is not None:
        conduct = rs.normalize_conduct(conduct)
    if learning is not None and conduct is not None and (ctx.regime != "tt22" or period is Period.YEAR):
        title = rs.title(values, learning=learning, conduct=conduct)
    if period is Period.YEAR and learning is not None and conduct is not None:
        decision = rs.promotion(learning=learning, conduct=conduct, days_absent=sum(absent))
        promotion = decision.value
        final = decision.value if decision.final else None
    return StudentOutcome(enrolment_id, period, ctx.regime, subjects, overall, learning, adjusted, conduct, title,
                          absent[0], absent[1], promotion, final)


# --- loading what the results are computed from -------------------------------------------------


def _load_marks(session: Session, enrolment_ids: Sequence[int], term_id: int
                ) -> dict[tuple[int, int], dict[MarkKind, list[Any]]]:
    out: dict[tuple[int, int], dict[MarkKind, list[Any]]] = defaultdict(lambda: defaultdict(list))
    m = _table(Mark).c  # Core columns: plain rows, no ORM row loading (a class's term is ~10,000 marks)
    rows = session.execute(
        select(m.enrolment_id, m.subject_id, m.kind, m.score, m.grade)
        .where(m.enrolment_id.in_(enrolment_ids), m.term_id == term_id)
        .order_by(m.enrolment_id, m.subject_id, m.kind, m.slot)
    )
    for enrolment_id, subject_id, kind, score, grade in rows:
        out[(enrolment_id, subject_id)][kind].append(score if score is not None else grade)
    return out


class _StoredSubject(NamedTuple):
    id: int
    average: Decimal | None
    grade: str | None
    incomplete_reason: str | None


def _load_subject_results(session: Session, enrolment_ids: Sequence[int], period: Period
                          ) -> dict[tuple[int, int], _StoredSubject]:
    r = _table(SubjectResult).c
    rows = session.execute(select(r.id, r.enrolment_id, r.subject_id, r.average, r.grade, r.incomplete_reason)
                           .where(r.enrolment_id.in_(enrolment_ids), r.period == period))
    return {(e, sub): _StoredSubject(i, avg, grade, reason) for i, e, sub, avg, grade, reason in rows}


def _table(model: type) -> Table:
    """The Core table of a model (bulk statements that need no ORM bookkeeping)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _expire(session: Session, model: type, ids: Iterable[int]) -> None:
    """Expire the loaded instances of rows changed with a bulk statement."""
    for row_id in ids:
        obj = session.identity_map.get(session.identity_key(model, row_id))
        if obj is not None:
            session.expire(obj)


def _load_conduct(session: Session, enrolment_ids: Sequence[int]) -> dict[tuple[int, Period], str]:
    c = _table(Conduct).c
    rows = session.execute(select(c.enrolment_id, c.period, c.level).where(c.enrolment_id.in_(enrolment_ids)))
    return {(e, Period(p)): level for e, p, level in rows}


def _load_absences(session: Session, enrolment_ids: Sequence[int], start: dt.date, end: dt.date
                   ) -> dict[int, tuple[int, int]]:
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    a = _table(Attendance).c
    rows = session.execute(select(a.enrolment_id, a.excused).where(
        a.enrolment_id.in_(enrolment_ids), a.day >= start, a.day <= end))
    for enrolment_id, excused in rows:
        counts[enrolment_id][0 if excused else 1] += 1
    return {e: (c[0], c[1]) for e, c in counts.items()}


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


# --- computing and storing ----------------------------------------------------------------------


def _compute(session: Session, ctx: _ClassContext, enrolments: Sequence[Enrolment],
             period: Period) -> list[StudentOutcome]:
    """Compute (not store) the results of the given enrolments for a period."""
    ids = [e.id for e in enrolments if _takes_part(e, ctx, period)]
    if not ids:
        return []
    by_id = {e.id: e for e in enrolments}
    conduct = _load_conduct(session, ids)
    start, end = _period_span(ctx, period)
    absences = _load_absences(session, ids, start, end)
    per_subject: dict[int, dict[str, SubjectOutcome]] = {}
    if period is Period.YEAR:
        first = _load_subject_results(session, ids, Period.TERM1)
        second = _load_subject_results(session, ids, Period.TERM2)
        for eid in ids:
            per_subject[eid] = {
                s.code: _year_result(ctx, s, _stored_value(first.get((eid, s.id))),
                                     _stored_value(second.get((eid, s.id))))
                for s in ctx.subjects
            }
    else:
        term = ctx.terms[1 if period is Period.TERM1 else 2]
        stored = _load_subject_results(session, ids, period)
        marks = _load_marks(session, ids, term.id)
        empty: dict[MarkKind, list[Value]] = {}
        for eid in ids:
            enrolment = by_id[eid]
            results: dict[str, SubjectOutcome] = {}
            for s in ctx.subjects:
                got = marks.get((eid, s.id))
                if got is None and enrolment.enrolled_on > term.starts_on and (eid, s.id) in stored:
                    # arrived during the term with this term's result from the previous school
                    row = stored[(eid, s.id)]
                    results[s.code] = SubjectOutcome(s.code, _stored_value(row), row.incomplete_reason)
                else:
                    results[s.code] = _term_result(ctx, s, term.name, got or empty)
            per_subject[eid] = results
    outcomes = []
    for eid in ids:
        level = conduct.get((eid, period))
        if level is None and period is Period.YEAR:
            t1, t2 = conduct.get((eid, Period.TERM1)), conduct.get((eid, Period.TERM2))
            level = ctx.rs.year_conduct(t1, t2) if t1 and t2 else None
        outcomes.append(_overall(ctx, eid, period, per_subject[eid], level, absences.get(eid, (0, 0))))
    return outcomes


def _stored_value(row: SubjectResult | _StoredSubject | None) -> Value | None:
    if row is None:
        return None
    return row.average if row.average is not None else row.grade


def _outcome_state(o: StudentOutcome) -> dict[str, Any]:
    return {
        "regime": o.regime, "overall_average": o.overall_average, "learning": o.learning,
        "learning_adjusted": o.learning_adjusted, "conduct": o.conduct, "title": o.title,
        "days_absent_excused": o.days_absent_excused, "days_absent_unexcused": o.days_absent_unexcused,
        "promotion": o.promotion, "final_promotion": o.final_promotion,
        "subjects": {c: (s.value if s.value is not None else None) for c, s in o.subjects.items()},
    }


_SUBJECT_RESULT_COLUMNS = ("enrolment_id", "subject_id", "period", "average", "grade", "incomplete_reason",
                           "computed_at")


def _store(session: Session, actor: Actor, ctx: _ClassContext, period: Period,
           outcomes: Sequence[StudentOutcome]) -> list[StudentOutcome]:
    """Upsert the subject and student results; keep summer decisions; one trace per changed student."""
    if not outcomes:
        return []
    ids = [o.enrolment_id for o in outcomes]
    code_to_id = {s.code: s.id for s in ctx.subjects}
    now = utcnow()
    existing_subjects = _load_subject_results(session, ids, period)
    columns = ("regime", "overall_average", "learning", "learning_adjusted", "conduct", "title",
               "days_absent_excused", "days_absent_unexcused", "promotion", "final_promotion")
    existing_students = {row.enrolment_id: row for row in session.execute(
        select(StudentResult.id, StudentResult.enrolment_id, *(getattr(StudentResult, c) for c in columns))
        .where(StudentResult.enrolment_id.in_(ids), StudentResult.period == period))}
    sub_inserts, sub_updates = [], []
    subjects_changed: set[int] = set()  # a changed subject result is traced even when the overall one is not
    for o in outcomes:
        for code, s in o.subjects.items():
            sid = code_to_id[code]
            values: dict[str, Any] = {"average": s.value if isinstance(s.value, Decimal) else None,
                      "grade": s.value if isinstance(s.value, str) else None,
                      "incomplete_reason": s.incomplete_reason, "computed_at": now}
            row = existing_subjects.get((o.enrolment_id, sid))
            if row is None:
                sub_inserts.append({"enrolment_id": o.enrolment_id, "subject_id": sid, "period": period, **values})
                subjects_changed.add(o.enrolment_id)
            elif (row.average, row.grade, row.incomplete_reason) != (values["average"], values["grade"],
                                                                      values["incomplete_reason"]):
                sub_updates.append({"id": row.id, **values})
                if (row.average, row.grade) != (values["average"], values["grade"]):
                    subjects_changed.add(o.enrolment_id)
    if sub_inserts:
        insert_rows(session.connection(), _table(SubjectResult), _SUBJECT_RESULT_COLUMNS,
                    [[row[c] for c in _SUBJECT_RESULT_COLUMNS] for row in sub_inserts])
    if sub_updates:
        session.execute(update(SubjectResult), sub_updates)
        _expire(session, SubjectResult, (u["id"] for u in sub_updates))

    final: list[StudentOutcome] = []
    stu_inserts: list[dict[str, Any]] = []
    stu_updates: list[dict[str, Any]] = []
    records: list[AuditRecord] = []
    for o in outcomes:
        srow = existing_students.get(o.enrolment_id)
        student_values: dict[str, Any] = {"regime": o.regime, "overall_average": o.overall_average, "learning": o.learning,
                  "learning_adjusted": o.learning_adjusted, "conduct": o.conduct, "title": o.title,
                  "days_absent_excused": o.days_absent_excused, "days_absent_unexcused": o.days_absent_unexcused,
                  "promotion": o.promotion, "final_promotion": o.final_promotion, "computed_at": now}
        before = None
        if srow is None:
            stu_inserts.append({"enrolment_id": o.enrolment_id, "period": period, **student_values})
        else:
            before = {k: getattr(srow, k) for k in student_values if k != "computed_at"}
            summer_decided = (srow.final_promotion is not None and srow.promotion is not None
                              and not Promotion(srow.promotion).final)
            if summer_decided and srow.promotion == o.promotion:
                # a summer decision was taken: keep it unless the year decision itself changed
                student_values["final_promotion"] = srow.final_promotion
            changed = any(before[k] != student_values[k] for k in before) or o.enrolment_id in subjects_changed
            if changed:
                stu_updates.append({"id": srow.id, **student_values})
            else:
                before = None
                final.append(o if o.final_promotion == srow.final_promotion else _with_final(o, srow.final_promotion))
                continue
        o = _with_final(o, student_values["final_promotion"])
        final.append(o)
        records.append(AuditRecord("compute", "student_result", f"{o.enrolment_id}:{period.value}", before,
                                   _outcome_state(o), ctx.klass.school_id))
    if stu_inserts:
        names = tuple(stu_inserts[0])  # every row has the same keys
        insert_rows(session.connection(), _table(StudentResult), names, [[row[c] for c in names] for row in stu_inserts])
    if stu_updates:
        session.execute(update(StudentResult), stu_updates)
        _expire(session, StudentResult, (u["id"] for u in stu_updates))
    audit.append_many(session, actor, records)
    return final


def _with_final(o: StudentOutcome, final_promotion: str | None) -> StudentOutcome:
    if o.final_promotion == final_promotion:
        return o
    return StudentOutcome(o.enrolment_id, o.period, o.regime, o.subjects, o.overall_average, o.learning,
                          o.learning_adjusted, o.conduct, o.title, o.days_absent_excused, o.days_absent_unexcused,
                          o.promotion, final_promotion)


def _ensure_open(session: Session, ctx: _ClassContext, period: Period) -> None:
    term = ctx.terms[1 if period is Period.TERM1 else 2]
    locks.ensure_open(session, "result", ctx.klass.id, term.id)


def compute_class(session: Session, actor: Actor, klass: Class, period: Period | str) -> list[StudentOutcome]:
    """Compute and store the results of every student of the class for HK I, HK II or the year."""
    period = Period(period)
    require(session, actor, Action.RESULTS_COMPUTE, klass)
    ctx = _context(session, klass)
    _ensure_open(session, ctx, period)
    enrolments = list(session.scalars(select(Enrolment).where(Enrolment.class_id == klass.id)
                                      .order_by(Enrolment.roll_number)))
    outcomes = _compute(session, ctx, enrolments, period)
    stored = _store(session, actor, ctx, period, outcomes)
    if period is Period.YEAR:
        for o in stored:
            _reapply_summer(session, actor, ctx, o)
    return stored


def recompute(session: Session, actor: Actor, enrolment_id: int,
              periods: Iterable[Period | str] | None = None) -> list[StudentOutcome]:
    """Recompute one student's results (after a correction): the given periods, or those already computed.

    HK I and HK II come before the year, so a changed term mark reaches the year result too. Locks are
    not checked: results follow the marks, and a locked book's marks change only by approved correction.
    """
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise NotFoundError("Không tìm thấy học sinh trong lớp.", f"enrolment {enrolment_id} not found")
    klass = session.get(Class, enrolment.class_id)
    assert klass is not None
    require(session, actor, Action.RESULTS_COMPUTE, klass)
    if periods is None:
        wanted = set(session.scalars(select(StudentResult.period).where(StudentResult.enrolment_id == enrolment_id)))
        wanted = {Period(p) for p in wanted}
    else:
        wanted = {Period(p) for p in periods}
    ctx = _context(session, klass)
    out: list[StudentOutcome] = []
    for period in (Period.TERM1, Period.TERM2, Period.YEAR):
        if period in wanted:
            stored = _store(session, actor, ctx, period, _compute(session, ctx, [enrolment], period))
            if period is Period.YEAR:
                stored = [_reapply_summer(session, actor, ctx, o) for o in stored]
            out.extend(stored)
    return out


def approve_class(session: Session, actor: Actor, klass: Class, period: Period | str) -> int:
    """The principal approves the class's results for a period; returns how many were approved."""
    period = Period(period)
    require(session, actor, Action.RESULTS_APPROVE, klass)
    ids = list(session.scalars(select(Enrolment.id).where(Enrolment.class_id == klass.id)))
    rows = list(session.execute(select(StudentResult.id, StudentResult.learning).where(
        StudentResult.enrolment_id.in_(ids), StudentResult.period == period)))
    if not rows:
        raise ConflictError(f"Lớp {klass.name} chưa có kết quả {period.label_vi} để phê duyệt.",
                            f"no results for class {klass.id} {period.value}")
    incomplete = [r for r in rows if r.learning is None]
    if incomplete:
        raise ConflictError(f"Lớp {klass.name} còn {len(incomplete)} học sinh chưa đủ điểm, chưa phê duyệt được.",
                            f"{len(incomplete)} incomplete results in class {klass.id}")
    now = service_now()  # the service clock: a back-dated approval (on_date) carries its day
    table = _table(StudentResult)
    session.execute(update(table).where(table.c.id.in_([r.id for r in rows]))
                    .values(approved_by_id=actor.user_id, approved_at=now))
    _expire(session, StudentResult, (r.id for r in rows))
    audit.append(session, actor, "approve", "student_results", f"{klass.id}:{period.value}", None,
                 {"class": klass.name, "period": period.value, "students": len(rows)}, school_id=klass.school_id)
    return len(rows)


# --- after the summer ---------------------------------------------------------------------------


def _year_state(session: Session, ctx: _ClassContext, enrolment_id: int
                ) -> tuple[StudentResult, dict[str, SubjectResult]]:
    result = session.scalars(select(StudentResult).where(StudentResult.enrolment_id == enrolment_id,
                                                         StudentResult.period == Period.YEAR)).one_or_none()
    if result is None or result.promotion is None:
        raise ConflictError("Học sinh chưa có kết quả cả năm.", f"no year result for enrolment {enrolment_id}")
    id_to_code = {s.id: s.code for s in ctx.subjects}
    rows = session.scalars(select(SubjectResult).where(SubjectResult.enrolment_id == enrolment_id,
                                                       SubjectResult.period == Period.YEAR))
    return result, {id_to_code[r.subject_id]: r for r in rows if r.subject_id in id_to_code}


def _summer_outcome(ctx: _ClassContext, result: StudentResult, subjects: Mapping[str, SubjectResult],
                    retakes: Mapping[str, Value], training_passed: bool | None):  # type: ignore[no-untyped-def]
    averages = {c: (r.average if r.average is not None else r.grade) for c, r in subjects.items()}
    return ctx.rs.after_summer(averages, conduct=result.conduct, days_absent=result.days_absent,
                               retakes=retakes, training_passed=training_passed)


def record_summer(session: Session, actor: Actor, enrolment_id: int, *,
                  retakes: Mapping[str, object] | None = None,
                  training_passed: bool | None = None) -> StudentOutcome:
    """Record the summer re-assessment (``retakes``: subject code → score or Đ/CĐ, which replaces the
    subject's year result) and/or summer training, and take the final decision again."""
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise NotFoundError("Không tìm thấy học sinh trong lớp.", f"enrolment {enrolment_id} not found")
    klass = session.get(Class, enrolment.class_id)
    assert klass is not None
    require(session, actor, Action.RESULTS_COMPUTE, klass)
    ctx = _context(session, klass)
    _ensure_open(session, ctx, Period.YEAR)
    result, subjects = _year_state(session, ctx, enrolment_id)
    if result.promotion is None or Promotion(result.promotion).final:
        raise ConflictError("Học sinh không thuộc diện kiểm tra lại hay rèn luyện trong hè.",
                            f"enrolment {enrolment_id} decision is final ({result.promotion})")
    parsed: dict[str, Value] = {}
    for code, value in (retakes or {}).items():
        if code not in subjects:
            raise ValidationError(f"Môn {code} không có trong kết quả cả năm của học sinh.", f"unknown subject {code}")
        parsed[code] = parse_comment(value) if subjects[code].grade is not None else parse_mark(value)
    # earlier summer entries of other subjects still count
    for code, row in subjects.items():
        previous = row.reassessed_score if row.reassessed_score is not None else row.reassessed_grade
        if previous is not None and code not in parsed:
            parsed[code] = previous
    if training_passed is None and result.conduct_after_summer is not None:
        training_passed = result.conduct_after_summer != result.conduct
    outcome = _summer_outcome(ctx, result, subjects, parsed, training_passed)
    before = {"learning_after_summer": result.learning_after_summer,
              "conduct_after_summer": result.conduct_after_summer, "final_promotion": result.final_promotion,
              "retakes": {c: (r.reassessed_score if r.reassessed_score is not None else r.reassessed_grade)
                          for c, r in subjects.items()
                          if r.reassessed_score is not None or r.reassessed_grade is not None}}
    for code, value in parsed.items():
        row = subjects[code]
        row.reassessed_score = value if isinstance(value, Decimal) else None
        row.reassessed_grade = value if isinstance(value, str) else None
    result.learning_after_summer = outcome.learning if parsed else None
    result.conduct_after_summer = outcome.conduct if training_passed is not None else None
    result.final_promotion = outcome.promotion.value
    session.flush()
    audit.append(session, actor, "summer", "student_result", f"{enrolment_id}:cn", before,
                 {"learning_after_summer": result.learning_after_summer,
                  "conduct_after_summer": result.conduct_after_summer,
                  "final_promotion": result.final_promotion, "retakes": parsed}, school_id=klass.school_id)
    return _outcome_of(result, ctx, subjects)


def _reapply_summer(session: Session, actor: Actor, ctx: _ClassContext, o: StudentOutcome) -> StudentOutcome:
    """After a recomputation of the year, take the summer decision again from what was recorded."""
    if o.promotion is None or Promotion(o.promotion).final:
        return o
    result, subjects = _year_state(session, ctx, o.enrolment_id)
    retakes: dict[str, Value] = {}
    for c, r in subjects.items():
        if r.reassessed_score is not None:
            retakes[c] = r.reassessed_score
        elif r.reassessed_grade is not None:
            retakes[c] = r.reassessed_grade
    training = None if result.conduct_after_summer is None else result.conduct_after_summer != result.conduct
    if not retakes and training is None:
        return o
    eligible = set(ctx.rs.retake_eligible({c: (r.average if r.average is not None else r.grade)
                                            for c, r in subjects.items()}))
    retakes = {c: v for c, v in retakes.items() if c in eligible}
    try:
        outcome = _summer_outcome(ctx, result, subjects, retakes, training)
    except ValidationError:
        return o  # the corrected year result no longer fits the summer entries: leave the decision open
    if result.final_promotion != outcome.promotion.value:
        before = {"final_promotion": result.final_promotion, "learning_after_summer": result.learning_after_summer}
        result.final_promotion = outcome.promotion.value
        result.learning_after_summer = outcome.learning if retakes else None
        session.flush()
        audit.append(session, actor, "summer", "student_result", f"{o.enrolment_id}:cn", before,
                     {"final_promotion": result.final_promotion,
                      "learning_after_summer": result.learning_after_summer}, school_id=ctx.klass.school_id)
    return _with_final(o, result.final_promotion)


def _outcome_of(result: StudentResult, ctx: _ClassContext, subjects: Mapping[str, SubjectResult]) -> StudentOutcome:
    return StudentOutcome(
        result.enrolment_id, Period(result.period), result.regime,
        {c: SubjectOutcome(c, _stored_value(r), r.incomplete_reason) for c, r in subjects.items()},
        result.overall_average, result.learning, result.learning_adjusted, result.conduct, result.title,
        result.days_absent_excused, result.days_absent_unexcused, result.promotion, result.final_promotion)


# --- results brought from another school ---------------------------------------------------------


def import_results(session: Session, actor: Actor, enrolment_id: int, *,
                   subjects: Mapping[Period | str, Mapping[str, object]],
                   conduct: Mapping[Period | str, str],
                   days_absent: Mapping[Period | str, tuple[int, int]] | None = None,
                   retakes: Mapping[str, object] | None = None,
                   training_passed: bool | None = None) -> list[StudentOutcome]:
    """Record the results of a year spent at a school whose records we receive (its transcript).

    ``subjects`` gives each period's subject results (average or Đ/CĐ) by subject code; the overall
    results, titles and the promotion decision are derived with the rules, as for our own students.
    """
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise NotFoundError("Không tìm thấy học sinh trong lớp.", f"enrolment {enrolment_id} not found")
    klass = session.get(Class, enrolment.class_id)
    assert klass is not None
    require(session, actor, Action.RESULTS_COMPUTE, klass)
    ctx = _context(session, klass)
    for period in (Period.TERM1, Period.YEAR):
        _ensure_open(session, ctx, period)
    by_code = {s.code: s for s in ctx.subjects}
    absences = {Period(p): v for p, v in (days_absent or {}).items()}
    # the received conduct replaces what was recorded, traced like any conduct (the print checks the trail)
    def conduct_state(row: Conduct) -> dict[str, Any]:
        return {"enrolment_id": row.enrolment_id, "period": Period(row.period).value, "level": row.level}

    replaced = [AuditRecord("delete", "conduct", row.id, conduct_state(row), None, klass.school_id)
                for row in session.scalars(select(Conduct).where(Conduct.enrolment_id == enrolment_id))]
    session.execute(delete(Conduct).where(Conduct.enrolment_id == enrolment_id))
    session.execute(insert(Conduct), [{"enrolment_id": enrolment_id, "period": Period(p),
                                       "level": ctx.rs.normalize_conduct(level)} for p, level in conduct.items()])
    audit.append_many(session, actor, replaced + [
        AuditRecord("import", "conduct", row.id, None, conduct_state(row), klass.school_id)
        for row in session.scalars(select(Conduct).where(Conduct.enrolment_id == enrolment_id)
                                   .execution_options(populate_existing=True))])
    out = []
    for period in (Period.TERM1, Period.TERM2, Period.YEAR):
        given = subjects.get(period) or subjects.get(period.value)
        if not given:
            continue
        unknown = set(given) - set(by_code)
        if unknown:
            raise ValidationError(f"Môn học không có trong chương trình: {', '.join(sorted(unknown))}.",
                                  f"unknown subjects {sorted(unknown)}")
        results = {}
        for code, s in by_code.items():
            value = given.get(code)
            if value is None:
                results[code] = SubjectOutcome(code, None, f"{s.name}: trường cũ không gửi kết quả.")
            else:
                results[code] = SubjectOutcome(code, parse_comment(value) if s.comment else parse_mark(value))
        level = conduct.get(period) or conduct.get(period.value)  # type: ignore[call-overload]
        outcome = _overall(ctx, enrolment_id, period, results, level, absences.get(period, (0, 0)))
        out.extend(_store(session, actor, ctx, period, [outcome]))
    if retakes or training_passed is not None:
        out[-1] = record_summer(session, actor, enrolment_id, retakes=retakes, training_passed=training_passed)
    return out
