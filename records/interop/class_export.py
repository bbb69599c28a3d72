"""A class's marks and results as .xlsx, laid out like the paper mark book, for teachers who check in Excel.

One sheet per subject for the term (title rows, then STT | Mã học sinh | Họ và tên | Ngày sinh | TX1…TXn
| ĐK1…ĐKn (TT58) | GK | CK | ĐTBmhk), and a "Tổng hợp" sheet with each student's subject results,
learning, conduct and title for the term (and the year after term II). The subject sheets are also
what ``records.interop.marks`` imports: export → import gives the same marks.

Every text is written as text (``SafeWorkbook``): a name or address starting with = + - @ never
becomes a formula.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.interop.sheets import SafeWorkbook
from records.models import (
    Class,
    Enrolment,
    EnrolmentStatus,
    Grade,
    GradeSubject,
    Mark,
    MarkKind,
    Period,
    School,
    SchoolYear,
    Student,
    StudentResult,
    Subject,
    SubjectResult,
    Term,
)
from records.permissions import Action, Actor, require

#: Column labels of each kind of mark, as on the paper book and the common platforms' exports.
KIND_LABELS = {MarkKind.REGULAR: "TX", MarkKind.PERIODIC: "ĐK", MarkKind.MIDTERM: "GK", MarkKind.FINAL: "CK"}
_KIND_ORDER = (MarkKind.REGULAR, MarkKind.PERIODIC, MarkKind.MIDTERM, MarkKind.FINAL)
#: Regular columns shown even when fewer marks are recorded (the book's ruled columns).
MIN_REGULAR_COLUMNS = 4
_ROLL_HEADER = ["STT", "Mã học sinh", "Họ và tên", "Ngày sinh"]
_STATUS = {EnrolmentStatus.TRANSFERRED_OUT: "Chuyển đi", EnrolmentStatus.DROPPED_OUT: "Bỏ học"}


def _columns(regime: str, marks: list[Mark]) -> list[tuple[MarkKind, int]]:
    """The mark columns of a subject sheet: every regular/periodic slot used (at least the book's), GK, CK."""
    used: dict[MarkKind, int] = defaultdict(int)
    for mark in marks:
        used[MarkKind(mark.kind)] = max(used[MarkKind(mark.kind)], mark.slot)
    kinds = ((MarkKind.REGULAR, MarkKind.PERIODIC, MarkKind.FINAL) if regime == "tt58"
             else (MarkKind.REGULAR, MarkKind.MIDTERM, MarkKind.FINAL))
    out: list[tuple[MarkKind, int]] = []
    for kind in _KIND_ORDER:
        if kind not in kinds:
            continue
        count = max(used[kind], MIN_REGULAR_COLUMNS if kind is MarkKind.REGULAR else 1)
        out.extend((kind, slot) for slot in range(1, count + 1))
    return out


def column_label(kind: MarkKind, slot: int) -> str:
    """"TX3", "GK", "CK"."""
    label = KIND_LABELS[kind]
    return label if kind in (MarkKind.MIDTERM, MarkKind.FINAL) else f"{label}{slot}"


def export_class(session: Session, actor: Actor, klass: Class, term_number: int) -> bytes:
    """The class's mark sheets for a term and its results summary, as an .xlsx file."""
    require(session, actor, Action.RECORDS_READ, klass)
    grade = session.get(Grade, klass.grade_id)
    assert grade is not None
    year = session.get(SchoolYear, grade.school_year_id)
    school = session.get(School, klass.school_id)
    assert year is not None and school is not None
    term = session.scalars(select(Term).where(Term.school_year_id == year.id, Term.number == term_number)).one()
    roll = list(session.execute(select(Enrolment, Student).join(Student, Student.id == Enrolment.student_id)
                                .where(Enrolment.class_id == klass.id).order_by(Enrolment.roll_number)))
    ids = [e.id for e, _ in roll]
    subjects = list(session.scalars(select(Subject).join(GradeSubject, GradeSubject.subject_id == Subject.id)
                                    .where(GradeSubject.grade_id == grade.id).order_by(GradeSubject.position)))
    marks: dict[int, list[Mark]] = defaultdict(list)
    for mark in session.scalars(select(Mark).where(Mark.enrolment_id.in_(ids), Mark.term_id == term.id)):
        marks[mark.subject_id].append(mark)
    period = Period.TERM1 if term_number == 1 else Period.TERM2
    results: dict[tuple[int, int, Period], SubjectResult] = {
        (r.enrolment_id, r.subject_id, Period(r.period)): r
        for r in session.scalars(select(SubjectResult).where(SubjectResult.enrolment_id.in_(ids)))}
    book = SafeWorkbook()
    heading = f"{school.name} — Lớp {klass.name} — Năm học {year.name}"
    for subject in subjects:
        ws = book.sheet(subject.short_name or subject.name)
        columns = _columns(grade.regime, marks[subject.id])
        width = len(_ROLL_HEADER) + len(columns) + 1
        book.title(ws, 1, "SỔ THEO DÕI VÀ ĐÁNH GIÁ HỌC SINH", width)
        book.title(ws, 2, heading, width)
        book.title(ws, 3, f"Môn: {subject.name} — {term.name}", width)
        book.put_row(ws, 5, [*_ROLL_HEADER, *(column_label(k, s) for k, s in columns), "ĐTBmhk"], bold=True)
        by_cell = {(m.enrolment_id, MarkKind(m.kind), m.slot): m.value for m in marks[subject.id]}
        for r, (enrolment, student) in enumerate(roll, start=6):
            result = results.get((enrolment.id, subject.id, period))
            book.put_row(ws, r, [enrolment.roll_number, student.code, student.full_name, student.date_of_birth,
                                 *(by_cell.get((enrolment.id, k, s)) for k, s in columns),
                                 result.value if result else None])
        ws.column_dimensions["C"].width = 28
        ws.column_dimensions["D"].width = 12
        ws.freeze_panes = "E6"
    _summary(book, session, klass, heading, term, roll, subjects, results)
    return book.to_bytes()


def _summary(book: SafeWorkbook, session: Session, klass: Class, heading: str, term: Term,
             roll: list, subjects: list[Subject], results: dict) -> None:  # type: ignore[type-arg]
    periods = [Period.TERM1] if term.number == 1 else [Period.TERM2, Period.YEAR]
    ids = [e.id for e, _ in roll]
    overall = {(r.enrolment_id, Period(r.period)): r
               for r in session.scalars(select(StudentResult).where(StudentResult.enrolment_id.in_(ids)))}
    for period in periods:
        ws = book.sheet(f"Tổng hợp {period.label_vi}")
        header = [*_ROLL_HEADER, *(s.short_name or s.name for s in subjects), "ĐTB các môn", "Học lực / KQHT",
                  "Hạnh kiểm / KQRL", "Danh hiệu", "Nghỉ có phép", "Nghỉ không phép", "Ghi chú"]
        book.title(ws, 1, f"TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ — {period.label_vi.upper()}", len(header))
        book.title(ws, 2, heading, len(header))
        book.put_row(ws, 4, header, bold=True)
        for r, (enrolment, student) in enumerate(roll, start=5):
            res: StudentResult | None = overall.get((enrolment.id, period))
            subject_values = [results[(enrolment.id, s.id, period)].value
                              if (enrolment.id, s.id, period) in results else None for s in subjects]
            book.put_row(ws, r, [
                enrolment.roll_number, student.code, student.full_name, student.date_of_birth, *subject_values,
                res.overall_average if res else None, res.learning if res else None,
                res.conduct if res else None, res.title if res else None,
                res.days_absent_excused if res else None, res.days_absent_unexcused if res else None,
                _STATUS.get(EnrolmentStatus(enrolment.status)),
            ])
        ws.column_dimensions["C"].width = 28
        ws.freeze_panes = "E5"
