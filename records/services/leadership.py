"""What the school's leadership reads before deciding (issue 12): lock decisions and where each scope
stands, correction requests and their trail, the monthly inspections recorded, the class results
awaiting approval, and the teacher's form for a correction request.

Every function takes the actor and checks the right first (like ``records.services.reads``); results
are frozen dataclasses already worded for display. The decisions themselves are written by
``locks``, ``corrections``, ``inspections`` and ``results``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.errors import NotFoundError
from records.models import (
    Book,
    Class,
    CorrectionRequest,
    CorrectionStatus,
    Enrolment,
    EnrolmentStatus,
    Grade,
    Inspection,
    LockDecision,
    MarkKind,
    Period,
    Role,
    RoleGrant,
    School,
    SchoolYear,
    Student,
    StudentResult,
    Subject,
    SubjectResult,
    TeachingAssignment,
    Term,
    User,
)
from records.permissions import Action, Actor, allowed, require
from records.rules import Promotion
from records.services import context, corrections, inspections, locks
from records.services.marks import KINDS_OF_REGIME, MAX_SLOTS

VN = context.VN_TZ


def _when(at: dt.datetime | None) -> str:
    return at.astimezone(VN).strftime("%H:%M %d/%m/%Y") if at else ""


def _day(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())


# --- the school's years -----------------------------------------------------------------------


@dataclass(frozen=True)
class YearOption:
    """A school year to choose from."""

    id: int
    name: str
    current: bool


def school_years(session: Session, actor: Actor, school_id: int, *, today: dt.date | None = None
                 ) -> list[YearOption]:
    """The school's years, newest first (``current``: the one today falls in, else the newest)."""
    school = session.get(School, school_id)
    if school is None:
        raise NotFoundError("Không tìm thấy trường.", f"school {school_id} not found")
    require(session, actor, Action.RECORDS_READ, school, today=today)
    years = list(session.scalars(select(SchoolYear).where(SchoolYear.school_id == school.id)
                                 .order_by(SchoolYear.start_year.desc())))
    day = context.today(today)
    current = next((y.id for y in years if y.starts_on <= day <= y.ends_on), years[0].id if years else None)
    return [YearOption(y.id, y.name, y.id == current) for y in years]


def _year(session: Session, actor: Actor, school_year_id: int, action: Action = Action.RECORDS_READ) -> SchoolYear:
    year = session.get(SchoolYear, school_year_id)
    if year is None:
        raise NotFoundError("Không tìm thấy năm học.", f"school year {school_year_id} not found")
    require(session, actor, action, year)
    return year


def _classes(session: Session, year: SchoolYear) -> list[tuple[Class, Grade]]:
    return list(session.execute(select(Class, Grade).join(Grade, Grade.id == Class.grade_id)
                                .where(Grade.school_year_id == year.id).order_by(Grade.level, Class.name)).all())


# --- locks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionRow:
    """A lock / open decision and its execution."""

    id: int
    book: str
    scope: str
    locks: bool
    ref: str
    decided_by: str
    decided_on: str
    note: str
    executed_by: str
    executed_at: str

    @property
    def executed(self) -> bool:
        """True once the administrator has executed it."""
        return bool(self.executed_at)


@dataclass(frozen=True)
class LockStateRow:
    """Whether each book of a class is locked, per term and for the year ("Khóa" / "Mở")."""

    class_name: str
    cells: tuple[tuple[str, bool], ...]  # (label, locked) per (book, period) column


@dataclass(frozen=True)
class LockRegister:
    """A year's lock decisions (oldest first), the state of every class, and what the decision form offers."""

    year: str
    school_year_id: int
    decisions: tuple[DecisionRow, ...]
    columns: tuple[str, ...]
    states: tuple[LockStateRow, ...]
    terms: tuple[tuple[int, str], ...]
    classes: tuple[tuple[int, str], ...]
    may_decide: bool
    may_execute: bool


def _locked(latest: dict[tuple[int | None, int | None], LockDecision], class_id: int, term_id: int | None) -> bool:
    """``locks.lock_state`` over decisions already read: any covering scope whose latest decision locks."""
    scopes = [(c, t) for c in (None, class_id) for t in ((None, term_id) if term_id is not None else (None,))]
    return any(latest[s].locks for s in scopes if s in latest)


def lock_register(session: Session, actor: Actor, school_year_id: int) -> LockRegister:
    """The register of a year's lock decisions and the state of each class's books."""
    year = _year(session, actor, school_year_id)
    decisions = locks.decisions(session, year)
    names = _names(session, {d.decided_by_id for d in decisions} | {d.executed_by_id for d in decisions})
    rows = tuple(DecisionRow(d.id, Book(d.book).label_vi, locks.scope_text(session, d), d.locks, d.decision_ref,
                             names.get(d.decided_by_id, ""), _day(d.decided_on), d.note or "",
                             names.get(d.executed_by_id or 0, ""), _when(d.executed_at)) for d in decisions)
    executed = sorted((d for d in decisions if d.executed_at is not None), key=lambda d: (d.executed_at, d.id))
    latest: dict[Book, dict[tuple[int | None, int | None], LockDecision]] = defaultdict(dict)
    for d in executed:
        latest[Book(d.book)][(d.class_id, d.term_id)] = d
    terms = list(session.scalars(select(Term).where(Term.school_year_id == year.id).order_by(Term.number)))
    periods: list[tuple[str, int | None]] = [(t.name, t.id) for t in terms] + [("Cả năm", None)]
    columns = tuple(f"{book.label_vi} — {label}" for book in Book for label, _ in periods)
    classes = _classes(session, year)
    states = tuple(LockStateRow(c.name, tuple(
        ("Khóa" if _locked(latest[book], c.id, term_id) else "Mở", _locked(latest[book], c.id, term_id))
        for book in Book for _, term_id in periods)) for c, _ in classes)
    probe = LockDecision(school_id=year.school_id, school_year_id=year.id, book=Book.MARK_BOOK, locks=True)
    return LockRegister(year.name, year.id, rows, columns, states, tuple((t.id, t.name) for t in terms),
                        tuple((c.id, c.name) for c, _ in classes),
                        allowed(session, actor, Action.LOCK_DECIDE, probe),
                        allowed(session, actor, Action.LOCK_EXECUTE, probe))


# --- corrections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorrectionRow:
    """A correction request as the leadership and the requester see it."""

    id: int
    status: str
    status_vi: str
    student: str
    class_name: str
    subject: str
    term: str
    column: str
    old_value: str
    new_value: str
    reason: str
    requested_by: str
    requested_at: str
    decided_by: str
    decided_at: str
    decision_note: str
    applied_by: str
    applied_at: str
    witness_leader: str
    witness_board: str


def _correction_rows(session: Session, requests: list[CorrectionRequest]) -> list[CorrectionRow]:
    if not requests:
        return []
    enrolment_ids = {r.enrolment_id for r in requests}
    who = {e.id: (s.full_name, c.name, g.regime) for e, s, c, g in session.execute(
        select(Enrolment, Student, Class, Grade).join(Student, Student.id == Enrolment.student_id)
        .join(Class, Class.id == Enrolment.class_id).join(Grade, Grade.id == Class.grade_id)
        .where(Enrolment.id.in_(enrolment_ids))).all()}
    subjects = dict(session.execute(select(Subject.id, Subject.name).where(
        Subject.id.in_({r.subject_id for r in requests}))).all())
    terms = {t.id: t.name for t in session.scalars(select(Term).where(Term.id.in_({r.term_id for r in requests})))}
    names = _names(session, {i for r in requests for i in (r.requested_by_id, r.decided_by_id, r.applied_by_id,
                                                           r.witness_leader_id, r.witness_board_id)})
    rows = []
    for r in requests:
        student, class_name, regime = who[r.enrolment_id]
        status = CorrectionStatus(r.status)
        rows.append(CorrectionRow(
            r.id, status.value, status.label_vi, student, class_name, subjects.get(r.subject_id, ""),
            terms.get(r.term_id, ""), corrections.column_label(MarkKind(r.kind), r.slot, regime),
            (r.old_value or "(trống)").replace(".", ","), (r.new_value or "(xóa)").replace(".", ","), r.reason,
            names.get(r.requested_by_id, ""), _when(r.requested_at), names.get(r.decided_by_id or 0, ""),
            _when(r.decided_at), r.decision_note or "", names.get(r.applied_by_id or 0, ""), _when(r.applied_at),
            names.get(r.witness_leader_id or 0, ""), names.get(r.witness_board_id or 0, "")))
    return rows


def correction_requests(session: Session, actor: Actor, school_id: int,
                        status: CorrectionStatus | None = None) -> list[CorrectionRow]:
    """The school's correction requests (optionally in one status), newest first: leaders, administrator."""
    school = session.get(School, school_id)
    if school is None:
        raise NotFoundError("Không tìm thấy trường.", f"school {school_id} not found")
    require(session, actor, Action.RECORDS_READ, school)
    return list(reversed(_correction_rows(session, corrections.requests(session, school.id, status))))


def my_correction_requests(session: Session, actor: Actor) -> list[CorrectionRow]:
    """The requests the actor filed, newest first."""
    if actor.user_id is None:
        return []
    return _correction_rows(session, list(session.scalars(
        select(CorrectionRequest).where(CorrectionRequest.requested_by_id == actor.user_id)
        .order_by(CorrectionRequest.id.desc()))))


@dataclass(frozen=True)
class TraceLine:
    """One trail entry of a correction request."""

    seq: int
    at: str
    actor: str
    action: str
    entity: str
    hash: str


@dataclass(frozen=True)
class CorrectionDetail:
    """A request, its trail, and what the actor may do with it now."""

    row: CorrectionRow
    school_id: int
    trace: tuple[TraceLine, ...]
    may_decide: bool
    may_apply: bool


ACTIONS_VI = {"request": "Lập đơn", "approve": "Phê duyệt", "reject": "Không duyệt", "correct": "Sửa điểm",
              "apply": "Thực hiện sửa chữa", "update": "Cập nhật", "create": "Tạo", "delete": "Xóa"}


def correction_detail(session: Session, actor: Actor, request_id: int) -> CorrectionDetail:
    """One request with its trail (the requester, the class's readers, the leadership)."""
    request = session.get(CorrectionRequest, request_id)
    if request is None:
        raise NotFoundError(f"Không có đơn đề nghị sửa chữa số {request_id}.", f"correction request {request_id}")
    if request.requested_by_id != actor.user_id:
        require(session, actor, Action.RECORDS_READ, request)
    document = corrections.correction_document(request, session)
    trace = tuple(TraceLine(t["seq"], t["at"] or "", t["actor"], ACTIONS_VI.get(t["action"], t["action"]),
                            t["entity"], t["hash"]) for t in document["trace"])
    status = CorrectionStatus(request.status)
    return CorrectionDetail(
        _correction_rows(session, [request])[0], request.school_id, trace,
        status is CorrectionStatus.PENDING and allowed(session, actor, Action.CORRECTION_APPROVE, request),
        status is CorrectionStatus.APPROVED and allowed(session, actor, Action.CORRECTION_APPLY, request))


@dataclass(frozen=True)
class Person:
    """Someone who may witness a correction."""

    id: int
    name: str


def witnesses(session: Session, actor: Actor, school_id: int) -> tuple[list[Person], list[Person]]:
    """Who may witness a correction applied by the actor: (leadership, management board), the actor left out."""
    school = session.get(School, school_id)
    if school is None:
        raise NotFoundError("Không tìm thấy trường.", f"school {school_id} not found")
    require(session, actor, Action.CORRECTION_APPLY, school)
    rows = session.execute(select(User.id, User.full_name, RoleGrant.role).join(RoleGrant, RoleGrant.user_id == User.id)
                           .where(RoleGrant.school_id == school.id, RoleGrant.revoked_at.is_(None),
                                  User.active.is_(True), User.id != actor.user_id,
                                  RoleGrant.role.in_([Role.PRINCIPAL, Role.VICE_PRINCIPAL, Role.ADMINISTRATOR]))
                           .order_by(User.full_name)).all()
    leaders = {i: n for i, n, role in rows if role in (Role.PRINCIPAL, Role.VICE_PRINCIPAL)}
    board = {i: n for i, n, role in rows if role is Role.ADMINISTRATOR}
    return [Person(i, n) for i, n in leaders.items()], [Person(i, n) for i, n in board.items()]


# --- the teacher's request form ---------------------------------------------------------------


@dataclass(frozen=True)
class CorrectionForm:
    """What a teacher picks from to file a request for one of their assignments."""

    assignment_id: int
    class_id: int
    class_name: str
    subject_id: int
    subject: str
    term_id: int
    term: str
    year: str
    students: tuple[tuple[int, int, str], ...]  # enrolment id, roll number, name
    columns: tuple[tuple[str, str], ...]  # "kind:slot", label
    lock_vi: str  # why marks can only change by a request now ("" when the book is open)


def correction_form(session: Session, actor: Actor, assignment_id: int, *, today: dt.date | None = None
                    ) -> CorrectionForm:
    """The choices of a correction request for one of the actor's teaching assignments."""
    assignment = session.get(TeachingAssignment, assignment_id)
    if assignment is None:
        raise NotFoundError("Không tìm thấy phân công giảng dạy.", f"assignment {assignment_id} not found")
    require(session, actor, Action.CORRECTION_REQUEST, assignment, today=today)
    klass, subject, term = (session.get(Class, assignment.class_id), session.get(Subject, assignment.subject_id),
                            session.get(Term, assignment.term_id))
    assert klass is not None and subject is not None and term is not None
    grade = session.get(Grade, klass.grade_id)
    year = session.get(SchoolYear, term.school_year_id)
    assert grade is not None and year is not None
    students = tuple((e.id, e.roll_number, s.full_name) for e, s in session.execute(
        select(Enrolment, Student).join(Student, Student.id == Enrolment.student_id)
        .where(Enrolment.class_id == klass.id).order_by(Enrolment.roll_number)).all())
    columns = tuple((f"{kind.value}:{slot}", corrections.column_label(kind, slot, grade.regime))
                    for kind in MarkKind if kind in KINDS_OF_REGIME.get(grade.regime, frozenset())
                    for slot in range(1, MAX_SLOTS[kind] + 1))
    state = locks.lock_state(session, Book.MARK_BOOK, klass.id, term.id)
    if state.locked and state.decision is not None:
        lock_vi = f"Sổ đã khóa theo {state.decision.decision_ref}: điểm chỉ được sửa qua đơn đề nghị."
    elif context.today(today) > year.mark_cutoff:
        lock_vi = f"Đã qua ngày khóa điểm {year.mark_cutoff:%d/%m/%Y}: điểm chỉ được sửa qua đơn đề nghị."
    else:
        lock_vi = ""
    return CorrectionForm(assignment.id, klass.id, klass.name, subject.id, subject.name, term.id, term.name,
                          year.name, students, columns, lock_vi)


# --- inspections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InspectionRow:
    """A recorded monthly inspection."""

    id: int
    month: str
    scope: str
    inspected_on: str
    inspector: str
    findings: str
    conclusion: str


def inspections_of(session: Session, actor: Actor, school_year_id: int) -> list[InspectionRow]:
    """The inspections recorded in a school year, newest first."""
    year = _year(session, actor, school_year_id)
    rows = session.execute(select(Inspection, Class.name).outerjoin(Class, Class.id == Inspection.class_id)
                           .where(Inspection.school_year_id == year.id)
                           .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())).all()
    names = _names(session, {i.inspected_by_id for i, _ in rows})
    return [InspectionRow(i.id, f"Tháng {i.month}/{i.year}", f"Lớp {c}" if c else "Toàn trường", _day(i.inspected_on),
                          names.get(i.inspected_by_id, ""), i.findings, i.conclusion or "") for i, c in rows]


def year_classes(session: Session, actor: Actor, school_year_id: int) -> list[tuple[int, str]]:
    """The classes of a year (id, name), by grade."""
    year = _year(session, actor, school_year_id)
    return [(c.id, c.name) for c, _ in _classes(session, year)]


# --- results ----------------------------------------------------------------------------------


PERIODS = (Period.TERM1, Period.TERM2, Period.YEAR)


@dataclass(frozen=True)
class PeriodState:
    """Where a class's results of one period stand."""

    period: str
    label: str
    students: int
    computed: int
    complete: int
    approved: int
    approved_at: str

    @property
    def status_vi(self) -> str:
        """One phrase for the overview."""
        if not self.computed:
            return "Chưa tính"
        if self.approved == self.computed:
            return f"Đã duyệt {self.approved_at}".strip()
        if self.complete < self.computed:
            return f"Chưa đủ điểm ({self.computed - self.complete} HS)"
        return "Chờ phê duyệt"


@dataclass(frozen=True)
class ClassResultsRow:
    """A class and the state of its results per period."""

    class_id: int
    class_name: str
    periods: tuple[PeriodState, ...]


def _period_states(session: Session, classes: list[Class]) -> dict[int, list[PeriodState]]:
    ids = [c.id for c in classes]
    on_roll = dict(session.execute(select(Enrolment.class_id, func.count(Enrolment.id)).where(
        Enrolment.class_id.in_(ids), Enrolment.status == EnrolmentStatus.ACTIVE).group_by(Enrolment.class_id)).all())
    stats: dict[tuple[int, str], tuple[int, int, int, dt.datetime | None]] = {}
    for class_id, period, n, complete, approved, last in session.execute(
            select(Enrolment.class_id, StudentResult.period, func.count(StudentResult.id),
                   func.count(StudentResult.learning), func.count(StudentResult.approved_at),
                   func.max(StudentResult.approved_at))
            .join(Enrolment, Enrolment.id == StudentResult.enrolment_id)
            .where(Enrolment.class_id.in_(ids)).group_by(Enrolment.class_id, StudentResult.period)):
        stats[(class_id, Period(period).value)] = (n, complete, approved, last)
    out: dict[int, list[PeriodState]] = {}
    for c in classes:
        out[c.id] = []
        for p in PERIODS:
            n, complete, approved, last = stats.get((c.id, p.value), (0, 0, 0, None))
            out[c.id].append(PeriodState(p.value, p.label_vi, int(on_roll.get(c.id, 0)), n, complete, approved,
                                         _when(last)))
    return out


def results_overview(session: Session, actor: Actor, school_year_id: int) -> list[ClassResultsRow]:
    """Every class of the year with its results' state per period (computed, complete, approved)."""
    year = _year(session, actor, school_year_id)
    classes = [c for c, _ in _classes(session, year)]
    states = _period_states(session, classes) if classes else {}
    return [ClassResultsRow(c.id, c.name, tuple(states[c.id])) for c in classes]


@dataclass(frozen=True)
class ResultLine:
    """One student's result of the period."""

    roll: int
    name: str
    average: str
    learning: str
    conduct: str
    title: str
    promotion: str
    absent: int
    missing: str  # subjects without a result, and why
    approved: bool


@dataclass(frozen=True)
class ClassResults:
    """A class's results of one period, with the counts the principal looks at before approving."""

    class_id: int
    class_name: str
    school_id: int
    year: str
    regime: str
    period: str
    period_vi: str
    state: PeriodState
    lines: tuple[ResultLine, ...]
    learning: tuple[tuple[str, int], ...]
    conduct: tuple[tuple[str, int], ...]
    titles: tuple[tuple[str, int], ...]
    promotion: tuple[tuple[str, int], ...]
    may_approve: bool
    may_compute: bool


def _counts(values: list[str]) -> tuple[tuple[str, int], ...]:
    return tuple(Counter(v or "(chưa có)" for v in values).most_common())


def class_results(session: Session, actor: Actor, class_id: int, period: Period | str) -> ClassResults:
    """A class's results of a period, one line per student, and the counts by level (before approval)."""
    klass = session.get(Class, class_id)
    if klass is None:
        raise NotFoundError("Không tìm thấy lớp.", f"class {class_id} not found")
    require(session, actor, Action.RECORDS_READ, klass)
    period = Period(period)
    grade = session.get(Grade, klass.grade_id)
    year = session.get(SchoolYear, grade.school_year_id) if grade else None
    assert grade is not None and year is not None
    rows = session.execute(select(Enrolment, Student, StudentResult).join(Student, Student.id == Enrolment.student_id)
                           .outerjoin(StudentResult, (StudentResult.enrolment_id == Enrolment.id)
                                      & (StudentResult.period == period))
                           .where(Enrolment.class_id == klass.id).order_by(Enrolment.roll_number)).all()
    missing: dict[int, list[str]] = defaultdict(list)
    for enrolment_id, name, reason in session.execute(
            select(SubjectResult.enrolment_id, Subject.name, SubjectResult.incomplete_reason)
            .join(Subject, Subject.id == SubjectResult.subject_id)
            .where(SubjectResult.enrolment_id.in_([e.id for e, _, _ in rows]), SubjectResult.period == period,
                   SubjectResult.average.is_(None), SubjectResult.grade.is_(None))
            .order_by(Subject.name)):
        missing[enrolment_id].append(f"{name}: {reason}" if reason else name)
    lines = []
    for e, s, r in rows:
        if r is None:
            if e.status is not EnrolmentStatus.ACTIVE:
                continue
            lines.append(ResultLine(e.roll_number, s.full_name, "", "", "", "", "", 0, "chưa tính kết quả", False))
            continue
        decision = r.final_promotion or r.promotion
        promotion = Promotion(decision).label_vi if decision else ""
        lines.append(ResultLine(e.roll_number, s.full_name,
                                str(r.overall_average).replace(".", ",") if r.overall_average is not None else "",
                                r.learning or "", r.conduct or "", r.title or "", promotion, r.days_absent,
                                "; ".join(missing.get(e.id, [])), r.approved_at is not None))
    computed = [r for _, _, r in rows if r is not None]
    state = _period_states(session, [klass])[klass.id][PERIODS.index(period)]
    return ClassResults(
        klass.id, klass.name, klass.school_id, year.name, grade.regime.upper(), period.value, period.label_vi, state,
        tuple(lines), _counts([r.learning or "" for r in computed]), _counts([r.conduct or "" for r in computed]),
        _counts([r.title for r in computed if r.title]) if computed else (),
        _counts([Promotion(r.promotion).label_vi for r in computed if r.promotion]) if period is Period.YEAR else (),
        allowed(session, actor, Action.RESULTS_APPROVE, klass), allowed(session, actor, Action.RESULTS_COMPUTE, klass))


# --- the head of department's home ----------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentProgress:
    """The entry progress of a head of department's teachers in the school's current year, as of today."""

    department: str
    year_name: str
    progress: inspections.EntryProgress  # only the assignments of the department's teachers


def department_progress(session: Session, actor: Actor, school_id: int, *, today: dt.date | None = None
                        ) -> DepartmentProgress | None:
    """What the monthly inspection shows, for the actor's own department (``User.department``) only; ``None``
    when the actor has no department or the school no year. Reading needs ``RECORDS_READ`` on the school."""
    years = school_years(session, actor, school_id, today=today)
    me = session.get(User, actor.user_id)
    current = next((y for y in years if y.current), None)
    if me is None or not me.department or current is None:
        return None
    year = session.get(SchoolYear, current.id)
    assert year is not None
    as_of = min(context.today(today), year.ends_on)
    progress = inspections.entry_progress(session, actor, year, as_of.year, as_of.month, today=today)
    members = set(session.scalars(select(User.id).where(User.department == me.department,
                                                        User.school_id == school_id)))
    rows = tuple(r for r in progress.rows if r.teacher_id in members)
    return DepartmentProgress(me.department, year.name, dataclasses.replace(progress, rows=rows))

