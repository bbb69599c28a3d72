"""The subject teacher's mark-entry grid: its columns, rows and progress, and saving it cell by cell.

A grid is one teaching assignment (class × subject × term). Its columns come from the regime of the
class's grade and the subject (``records.rules``: the number of regular marks its lessons require, the
single mid-term of TT26/TT22 or TT58's periodic tests, the end-of-term mark) plus one spare column for
an extra regular (or TT58 periodic) mark; a column already holding marks is always shown.

Rows are the class's roll in roll order. A student who left (transferred out, dropped out) on or before
today is read-only from then on: their marks stay visible, no mark of theirs changes through the grid
(a correction goes through ``records.services.corrections``).

Saving validates every cell first (``marks.parse_value``, the regime's rules) and reports each bad cell
with a Vietnamese message, then writes through ``marks.save_marks`` (rights, cut-off, locks, the sheet's
version, the trace). The averages shown are computed here, on the server, from the stored marks with the
regime's rules: they are the authority; the page's script only previews them.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.errors import (
    BookLockedError,
    CutoffPassedError,
    NotFoundError,
    ValidationError,
)
from records.models import (
    Assessment,
    Class,
    Enrolment,
    EnrolmentStatus,
    Grade,
    GradeSubject,
    Mark,
    MarkKind,
    Period,
    SchoolYear,
    Student,
    Subject,
    SubjectComment,
    TeachingAssignment,
    Term,
)
from records.permissions import Action, Actor, allowed, require
from records.rules import ruleset
from records.services import context, locks, marks, versions
from records.services.limits import SUBJECT_COMMENT_MAX, check_length
from records.services.marks import MAX_SLOTS, MarkInput, SaveResult
from records.services.results import KIND_LABELS
from records.services.sheets import clean_text

#: Longest text a mark cell may hold before it is even parsed ("10,0", "Chưa đạt yêu cầu").
CELL_MAX_CHARS = 20

_WEIGHTS = {MarkKind.REGULAR: 1, MarkKind.PERIODIC: 2, MarkKind.MIDTERM: 2, MarkKind.FINAL: 3}
_REGIME_VI = {"tt58": "Thông tư 58/2011", "tt26": "Thông tư 58/2011 sửa đổi bởi Thông tư 26/2020",
              "tt22": "Thông tư 22/2021"}


@dataclass(frozen=True)
class Column:
    """A column of the grid: one kind and slot of mark."""

    key: str  # "tx1", "gk1", "dk2", "ck1": the form field suffix
    kind: MarkKind
    slot: int
    label: str  # "ĐĐGtx 1"
    weight: int
    required: bool  # an empty cell of an editable row is a missing mark


@dataclass(frozen=True)
class Row:
    """A student's line: values by column key (as typed: "8,5", "Đ"), the computed result, the comment."""

    enrolment_id: int
    roll_number: int
    full_name: str
    editable: bool
    note: str  # "Chuyển đi từ 12/01/2026"
    values: Mapping[str, str]
    result: str  # the term average or Đ/CĐ, "" while incomplete
    missing: int  # required marks still missing (0 for a read-only row)
    comment: str = ""


@dataclass(frozen=True)
class AssignmentHead:
    """What a teaching assignment is about, as a heading says it."""

    assignment_id: int
    class_id: int
    class_name: str
    subject_name: str
    term_name: str
    year: str


@dataclass(frozen=True)
class Grid(AssignmentHead):
    """One teaching assignment's marks as the grid shows them."""

    period: Period
    regime: str
    regime_vi: str
    comment_graded: bool
    required_regular: int
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    version: int
    comment_version: int
    writable: bool  # the actor may save marks now
    comments_writable: bool
    refusal: str  # why not (Vietnamese), "" when writable
    #: marks cannot be saved here (a lock, the cut-off, the term over) but the actor may ask for a correction
    #: of this assignment (``Action.CORRECTION_REQUEST``): the grid links each cell to the request form
    correctable: bool = False

    @property
    def missing(self) -> int:
        """Required marks still missing on the editable rows."""
        return sum(r.missing for r in self.rows)


@dataclass(frozen=True)
class Progress(AssignmentHead):
    """An assignment of the actor with its entry progress."""

    current: bool
    students: int
    missing: int | None  # required marks still missing (counted for the current term only)
    comment_graded: bool


class GridInvalid(ValidationError):
    """Some cells of a posted grid are not acceptable: ``cells`` maps (enrolment id, column key) to why."""

    def __init__(self, cells: Mapping[tuple[int, str], str]) -> None:
        super().__init__(f"Có {len(cells)} ô chưa hợp lệ; chưa lưu gì. Hãy sửa các ô được đánh dấu rồi lưu lại.",
                         f"{len(cells)} invalid cells in a posted mark grid")
        self.cells = dict(cells)


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    ta: TeachingAssignment
    klass: Class
    grade: Grade
    subject: Subject
    term: Term
    year: SchoolYear
    lessons: int

    @property
    def comment(self) -> bool:
        return self.subject.assessment is Assessment.COMMENT

    @property
    def period(self) -> Period:
        return Period.TERM1 if self.term.number == 1 else Period.TERM2

    def required_regular(self) -> int:
        return ruleset(self.grade.regime).required_regular_count(self.lessons, comment=self.comment)


def _context(session: Session, assignment_id: int) -> _Context:
    ta = session.get(TeachingAssignment, assignment_id)
    if ta is None:
        raise NotFoundError("Không tìm thấy phân công giảng dạy.", f"teaching assignment {assignment_id} not found")
    klass = session.get(Class, ta.class_id)
    subject = session.get(Subject, ta.subject_id)
    term = session.get(Term, ta.term_id)
    assert klass is not None and subject is not None and term is not None
    grade = session.get(Grade, klass.grade_id)
    year = session.get(SchoolYear, term.school_year_id)
    assert grade is not None and year is not None
    lessons = session.scalar(select(GradeSubject.lessons_per_year).where(
        GradeSubject.grade_id == grade.id, GradeSubject.subject_id == subject.id))
    return _Context(ta, klass, grade, subject, term, year, lessons or subject.lessons_per_year)


def columns_for(regime: str, required_regular: int, used: Mapping[MarkKind, int]) -> tuple[Column, ...]:
    """The grid's columns for a regime: the required regular marks and one spare (or as many as are used),
    TT58's periodic tests (at least one, one spare) or the single mid-term, and the end-of-term mark."""
    labels = KIND_LABELS[regime]
    kinds = [k for k in (MarkKind.REGULAR, MarkKind.PERIODIC, MarkKind.MIDTERM, MarkKind.FINAL) if k in labels]
    columns = []
    for kind in kinds:
        if kind is MarkKind.REGULAR:
            count, required = max(required_regular + 1, used.get(kind, 0)), required_regular
        elif kind is MarkKind.PERIODIC:
            count, required = max(2, used.get(kind, 0) + 1), 1
        else:
            count, required = 1, 1
        for slot in range(1, min(count, MAX_SLOTS[kind]) + 1):
            columns.append(Column(f"{kind.value}{slot}", kind, slot,
                                  f"{labels[kind]} {slot}" if count > 1 else labels[kind],
                                  _WEIGHTS[kind], slot <= required))
    return tuple(columns)


def _display(value: Decimal | str | None) -> str:
    if value is None:
        return ""
    return str(value).replace(".", ",") if isinstance(value, Decimal) else value


def term_result(regime: str, comment: bool, required_regular: int,
                values: Mapping[MarkKind, list[Decimal | str]]) -> Decimal | str | None:
    """The term result of one student's marks by the regime's rules, None while a required mark is missing."""
    rs = ruleset(regime)
    regular = values.get(MarkKind.REGULAR, [])
    periodic = values.get(MarkKind.PERIODIC, []) + values.get(MarkKind.MIDTERM, [])
    finals = values.get(MarkKind.FINAL, [])
    if len(regular) < required_regular or not periodic or len(finals) != 1:
        return None
    if regime != "tt58" and len(periodic) != 1:
        return None
    every = [*regular, *periodic, *finals]
    if any(isinstance(v, str) != comment for v in every):
        return None
    if comment:
        return rs.comment_term_result([*regular, *periodic], len(regular) + len(periodic) + 1, final=finals[0])
    return rs.term_average(regular=regular, periodic=periodic, final=finals[0])


def _missing(columns: tuple[Column, ...], required_regular: int, present: Mapping[MarkKind, int]) -> int:
    needed = {MarkKind.REGULAR: required_regular}
    needed.update({c.kind: 1 for c in columns if c.kind is not MarkKind.REGULAR})
    return sum(max(0, n - present.get(kind, 0)) for kind, n in needed.items())


def _has_left(enrolment: Enrolment, today: dt.date) -> bool:
    return enrolment.status is not EnrolmentStatus.ACTIVE and enrolment.left_on is not None \
        and enrolment.left_on <= today


def _refusal(session: Session, actor: Actor, ctx: _Context, action: Action, entry_kind: str,
             today: dt.date) -> str:
    """Why the actor may not save this sheet today ("" when they may)."""
    if not allowed(session, actor, action, ctx.ta, today=today):
        if ctx.ta.teacher_id != actor.user_id:
            return "Bạn chỉ xem được bảng này: chỉ giáo viên được phân công dạy môn này mới nhập được."
        when = "chưa bắt đầu" if today < ctx.term.starts_on else "đã kết thúc"
        return (f"{ctx.term.name} năm học {ctx.year.name} {when} ({ctx.term.starts_on:%d/%m/%Y} – "
                f"{ctx.term.ends_on:%d/%m/%Y}): điểm và nhận xét chỉ được nhập trong học kì đang diễn ra; "
                "sửa sau đó phải qua đơn đề nghị sửa chữa.")
    try:
        if entry_kind == "mark":
            locks.ensure_before_cutoff(session, ctx.year.id, today)
        locks.ensure_open(session, entry_kind, ctx.klass.id, ctx.term.id)
    except (BookLockedError, CutoffPassedError) as error:
        return error.message_vi
    return ""


def read_grid(session: Session, actor: Actor, assignment_id: int, *, today: dt.date | None = None) -> Grid:
    """The grid of a teaching assignment (readers of the class may look; the assigned teacher may write)."""
    ctx = _context(session, assignment_id)
    require(session, actor, Action.RECORDS_READ, ctx.klass)
    today = context.today(today)
    rows = session.execute(select(Enrolment, Student).join(Student, Student.id == Enrolment.student_id)
                           .where(Enrolment.class_id == ctx.klass.id, Enrolment.enrolled_on <= ctx.term.ends_on)
                           .order_by(Enrolment.roll_number)).all()
    stored: dict[int, dict[tuple[MarkKind, int], Decimal | str]] = defaultdict(dict)
    for m in session.scalars(select(Mark).where(Mark.enrolment_id.in_([e.id for e, _ in rows]),
                                                Mark.subject_id == ctx.subject.id, Mark.term_id == ctx.term.id)):
        value = m.score if m.score is not None else m.grade
        if value is not None:
            stored[m.enrolment_id][(MarkKind(m.kind), m.slot)] = value
    used: dict[MarkKind, int] = defaultdict(int)
    for cells in stored.values():
        for kind, slot in cells:
            used[kind] = max(used[kind], slot)
    comments = dict(session.execute(select(SubjectComment.enrolment_id, SubjectComment.text).where(
        SubjectComment.enrolment_id.in_([e.id for e, _ in rows]), SubjectComment.subject_id == ctx.subject.id,
        SubjectComment.period == ctx.period)).all())
    regime, required = ctx.grade.regime, ctx.required_regular()
    columns = columns_for(regime, required, used)
    lines = []
    for enrolment, student in rows:
        cells = stored.get(enrolment.id, {})
        by_kind: dict[MarkKind, list[Decimal | str]] = defaultdict(list)
        for (kind, _slot), value in sorted(cells.items(), key=lambda kv: (kv[0][0].value, kv[0][1])):
            by_kind[kind].append(value)
        left = _has_left(enrolment, today)
        note = (f"{'Chuyển đi' if enrolment.status is EnrolmentStatus.TRANSFERRED_OUT else 'Nghỉ học'} "
                f"từ {enrolment.left_on:%d/%m/%Y}") if left and enrolment.left_on else ""
        result = term_result(regime, ctx.comment, required, by_kind)
        lines.append(Row(enrolment.id, enrolment.roll_number, student.full_name, not left, note,
                         {c.key: _display(cells.get((c.kind, c.slot))) for c in columns}, _display(result),
                         0 if left else _missing(columns, required, {k: len(v) for k, v in by_kind.items()}),
                         comments.get(enrolment.id, "")))
    mark_refusal = _refusal(session, actor, ctx, Action.MARKS_WRITE, "mark", today)
    comment_refusal = _refusal(session, actor, ctx, Action.COMMENTS_WRITE, "subject_comment", today)
    return Grid(ctx.ta.id, ctx.klass.id, ctx.klass.name, ctx.subject.name, ctx.term.name, ctx.year.name, ctx.period,
                regime, _REGIME_VI.get(regime, regime.upper()), ctx.comment, required, columns, tuple(lines),
                versions.version_of(session, versions.mark_sheet(ctx.ta)),
                versions.version_of(session, versions.subject_comment_sheet(ctx.ta, ctx.period)),
                not mark_refusal, not comment_refusal, mark_refusal,
                bool(mark_refusal) and allowed(session, actor, Action.CORRECTION_REQUEST, ctx.ta, today=today))


def progress_of(session: Session, actor: Actor, *, today: dt.date | None = None) -> list[Progress]:
    """The actor's own assignments (newest year first); those of the current term with how many required
    marks are still missing."""
    if actor.user_id is None:
        return []
    today = context.today(today)
    found = session.execute(
        select(TeachingAssignment, Class, Subject, Term, SchoolYear, Grade)
        .join(Class, Class.id == TeachingAssignment.class_id).join(Subject, Subject.id == TeachingAssignment.subject_id)
        .join(Term, Term.id == TeachingAssignment.term_id).join(SchoolYear, SchoolYear.id == Term.school_year_id)
        .join(Grade, Grade.id == Class.grade_id)
        .where(TeachingAssignment.teacher_id == actor.user_id)
        .order_by(SchoolYear.start_year.desc(), Term.number.desc(), Class.name, Subject.name)).all()
    if not found:
        return []
    current = [row for row in found if row[3].starts_on <= today <= row[3].ends_on]
    class_ids = {c.id for _, c, *_ in current}
    enrolments = session.scalars(select(Enrolment).where(Enrolment.class_id.in_(class_ids))).all() if current else []
    lessons = {(g, s): n for g, s, n in session.execute(select(
        GradeSubject.grade_id, GradeSubject.subject_id, GradeSubject.lessons_per_year).where(
        GradeSubject.grade_id.in_({g.id for *_, g in current})))} if current else {}
    counts: dict[tuple[int, int, int], dict[MarkKind, int]] = defaultdict(dict)
    if current:
        keys = {(ta.subject_id, ta.term_id) for ta, *_ in current}
        rows = session.execute(select(Mark.enrolment_id, Mark.subject_id, Mark.term_id, Mark.kind, func.count())
                               .join(Enrolment, Enrolment.id == Mark.enrolment_id)
                               .where(Enrolment.class_id.in_(class_ids), Mark.subject_id.in_({s for s, _ in keys}),
                                      Mark.term_id.in_({t for _, t in keys}))
                               .group_by(Mark.enrolment_id, Mark.subject_id, Mark.term_id, Mark.kind))
        for enrolment_id, subject_id, term_id, kind, n in rows:
            counts[(enrolment_id, subject_id, term_id)][MarkKind(kind)] = int(n)
    result = []
    for ta, klass, subject, term, year, grade in found:
        comment = subject.assessment is Assessment.COMMENT
        if not term.starts_on <= today <= term.ends_on:  # other terms: listed, not counted (the page stays fast)
            result.append(Progress(ta.id, klass.id, klass.name, subject.name, term.name, year.name, False, 0, None,
                                   comment))
            continue
        required = ruleset(grade.regime).required_regular_count(
            lessons.get((grade.id, subject.id)) or subject.lessons_per_year, comment=comment)
        columns = columns_for(grade.regime, required, {})
        on_roll = [e for e in enrolments if e.class_id == klass.id and e.enrolled_on <= term.ends_on
                   and not _has_left(e, today)]
        missing = sum(_missing(columns, required, counts.get((e.id, subject.id, term.id), {})) for e in on_roll)
        result.append(Progress(ta.id, klass.id, klass.name, subject.name, term.name, year.name, True,
                               len(on_roll), missing, comment))
    return result


# --- saving -------------------------------------------------------------------------------------


def _cell_message(comment: bool) -> str:
    if comment:
        return "Môn đánh giá bằng nhận xét: chỉ nhập Đ (Đạt) hoặc CĐ (Chưa đạt)."
    return "Điểm phải là số từ 0 đến 10, tối đa một chữ số thập phân (ví dụ 8,5 hoặc 8.5)."


def check_cell(subject: Subject, raw: str) -> Decimal | str | None:
    """One typed cell as the service stores it (None: empty), or ValidationError with a short message."""
    comment = subject.assessment is Assessment.COMMENT
    text = raw.strip()
    if len(text) > CELL_MAX_CHARS:
        raise ValidationError(_cell_message(comment), f"mark cell of {len(text)} characters")
    try:
        return marks.parse_value(subject, text)
    except ValidationError:
        raise ValidationError(_cell_message(comment), f"invalid mark cell {text[:CELL_MAX_CHARS]!r}") from None


def save_grid(session: Session, actor: Actor, assignment_id: int, cells: Mapping[tuple[int, str], str], *,
              expected_version: int | None, today: dt.date | None = None) -> SaveResult:
    """Save the posted cells of a grid. Every cell is checked first; bad cells raise ``GridInvalid``
    (nothing written). A cell of a student who has left must keep its stored value. Then
    ``marks.save_marks`` checks rights, cut-off, locks and the version, writes and traces."""
    ctx = _context(session, assignment_id)
    require(session, actor, Action.MARKS_WRITE, ctx.ta, today=today)
    today = context.today(today)
    grid = read_grid(session, actor, assignment_id, today=today)
    columns = {c.key: c for c in grid.columns}
    for kind in (MarkKind.REGULAR, MarkKind.PERIODIC):  # a spare column may be posted beyond those shown
        for slot in range(1, MAX_SLOTS[kind] + 1):
            columns.setdefault(f"{kind.value}{slot}", Column(f"{kind.value}{slot}", kind, slot, "", 1, False))
    rows = {r.enrolment_id: r for r in grid.rows}
    bad: dict[tuple[int, str], str] = {}
    inputs: list[MarkInput] = []
    for (enrolment_id, key), raw in cells.items():
        row, column = rows.get(enrolment_id), columns.get(key)
        if row is None or column is None or column.kind.value not in {c.kind.value for c in grid.columns}:
            bad[(enrolment_id, key)] = "Ô này không thuộc bảng điểm của lớp."
            continue
        try:
            value = check_cell(ctx.subject, raw)
        except ValidationError as error:
            bad[(enrolment_id, key)] = error.message_vi
            continue
        if not row.editable:
            if value != (check_cell(ctx.subject, row.values.get(key, "")) if row.values.get(key) else None):
                bad[(enrolment_id, key)] = f"Học sinh đã rời lớp ({row.note}): không sửa điểm ở đây được."
            continue
        inputs.append(MarkInput(enrolment_id, column.kind, column.slot, value))
    if bad:
        raise GridInvalid(bad)
    return marks.save_marks(session, actor, ctx.ta, inputs, today=today, expected_version=expected_version)


def _same_text(text: str) -> str:
    """A comment as it would be stored, for comparing (NFC, whitespace runs made one)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def save_comment_sheet(session: Session, actor: Actor, assignment_id: int, texts: Mapping[int, str], *,
                       expected_version: int | None, today: dt.date | None = None) -> SaveResult:
    """Save the subject comments of the assignment's term (students who left keep theirs unchanged)."""
    ctx = _context(session, assignment_id)
    require(session, actor, Action.COMMENTS_WRITE, ctx.ta, today=today)
    grid = read_grid(session, actor, assignment_id, today=today)
    rows = {r.enrolment_id: r for r in grid.rows}
    wanted: dict[int, str | None] = {}
    bad: dict[tuple[int, str], str] = {}
    for enrolment_id, text in texts.items():
        row = rows.get(enrolment_id)
        if row is None:
            bad[(enrolment_id, "comment")] = "Học sinh không thuộc lớp."
        elif row.editable:
            try:
                check_length("comment", clean_text(text, "Nhận xét môn học"), SUBJECT_COMMENT_MAX,
                             label_vi="Nhận xét môn học")
            except ValidationError as error:
                bad[(enrolment_id, "comment")] = error.message_vi
            wanted[enrolment_id] = text
        elif _same_text(text) != row.comment:
            bad[(enrolment_id, "comment")] = f"Học sinh đã rời lớp ({row.note}): không sửa nhận xét ở đây được."
    if bad:
        raise GridInvalid(bad)
    return marks.save_comments(session, actor, ctx.ta, ctx.period, wanted, today=today,
                               expected_version=expected_version)


def unsaved(session: Session, grid: Grid, cells: Mapping[tuple[int, str], str]) -> dict[tuple[int, str], str]:
    """The posted cells that say something else than the grid now holds (8,5 and 8.5 are the same;
    ``comment`` cells compare their text with whitespace runs made one)."""
    ta = session.get(TeachingAssignment, grid.assignment_id)
    subject = session.get(Subject, ta.subject_id) if ta else None
    rows = {r.enrolment_id: r for r in grid.rows}
    differ: dict[tuple[int, str], str] = {}
    for (enrolment_id, key), typed in cells.items():
        row = rows.get(enrolment_id)
        if key == "comment":
            if row is None or _same_text(typed) != row.comment:
                differ[(enrolment_id, key)] = typed
            continue
        current = row.values.get(key, "") if row else ""
        try:
            same = subject is not None and check_cell(subject, typed) == (check_cell(subject, current)
                                                                          if current else None)
        except ValidationError:
            same = False
        if not same:
            differ[(enrolment_id, key)] = typed
    return differ
