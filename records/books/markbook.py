"""The mark book's input: :class:`MarkBookInput` (plain values) and ``read_markbook(session, actor, class_id)``.

The reader checks the actor's read right on the class (``Action.RECORDS_READ``: the office, the
leadership, the class's homeroom and subject teachers, inspectors; the installation for command-line
drafts) and returns plain frozen dataclasses that ``layouts.markbook`` builds the book from.

The class's book

Everything a class's book shows for its school year, in a fixed handful of queries whatever the
size of the class (class and school; terms; principal; roll; curriculum; teaching assignments;
marks; subject results; absences; student results; inspection minutes), each restricted to the
class's own enrolments, so nothing of another class can appear. Pure reading: no rule is applied
here except the required number of regular marks (``ruleset(regime).required_regular_count``),
which sets the minimum number of mark columns.

Mapping decisions (also in layouts/README.md):

- ``no`` is ``Enrolment.roll_number`` (the STT of every page), rows in roll order. A student who
  transferred out or dropped out keeps the row (struck through, with the date); a transferred-in
  student (``Enrolment.transferred_in``) is marked "Chuyển đến <date enrolled>".
- Mark kinds. TT22/TT26 books: REGULAR → ĐĐGtx, MIDTERM → ĐĐGgk, FINAL → ĐĐGck (a PERIODIC mark,
  not expected under these regimes, is shown with ĐĐGgk). TT58 books: REGULAR slot 1 → the oral
  column "M", REGULAR slots 2, 3, … → the 15-minute columns "15′" (the schema does not record
  whether a regular test was oral or written: by convention the first regular mark of a term is
  the oral one), PERIODIC → "Hệ số 2" (a MIDTERM mark likewise), FINAL → "KT HK". Within a kind
  the slot gives the column; a missing slot leaves its cell empty.
- Averages: ``SubjectResult`` hk1 → term I column, hk2 → term II, cn → the year column.
- Year decisions (``StudentResult.promotion``/``final_promotion``, Promotion values) are printed
  with the book's short labels: "Lên lớp" (grade 9: "Hoàn thành chương trình THCS"), "Kiểm tra
  lại", "Rèn luyện hè", "Ở lại lớp"; re-assessment results from ``SubjectResult.reassessed_*``
  (period cn), summer training from ``StudentResult.conduct_after_summer``.
- Inspection minutes come from ``records.services.inspections.inspection_minutes`` (the class's
  own and the school-wide inspections of the year); each progress row is one line (subject,
  teacher, marks expected, entered, missing as "Nhập chậm"); when both terms' rows would not fit
  the page (more than 18), only the term in progress is printed; the conclusion is printed under
  "Kiến nghị, yêu cầu".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from records.db import core_rows
from records.errors import NotFoundError, ValidationError
from records.models import (
    Assessment,
    Attendance,
    AuditEntry,
    Class,
    CorrectionRequest,
    Enrolment,
    EnrolmentStatus,
    Gender,
    Grade,
    GradeSubject,
    Mark,
    MarkKind,
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
from records.permissions import Action, Actor, require
from records.rules import Promotion, ruleset

Status = Literal["active", "transferred_out", "transferred_in", "dropped_out"]
MarkValue = Decimal | str  # a score, or "Đ" / "CĐ" for comment-assessed subjects (layouts.formatting)
Period = Literal["hk1", "hk2", "cn"]
Regime = Literal["tt58", "tt26", "tt22"]



@dataclass(frozen=True)
class StudentInput:
    """A student of the class, in roll order (``no`` is the STT kept on every page)."""

    no: int
    full_name: str
    birth_date: date
    female: bool
    ethnicity: str
    birth_place: str
    address: str
    father: str = ""
    father_job: str = ""
    mother: str = ""
    mother_job: str = ""
    guardian: str = ""  # printed on the roll when no parent is recorded (as the register does)
    guardian_job: str = ""
    status: Status = "active"
    status_date: date | None = None  # date of transfer out / in, or of dropping out


@dataclass(frozen=True)
class SubjectInput:
    """A subject of the class for the year, with the teachers of each term."""

    code: str
    name: str
    assessment: Literal["score", "comment"]
    # Required number of entries per mark kind and term, in column order. Kinds: "tx", "gk",
    # "ck" (TT22/TT26); "m" (oral), "v15" (15-minute), "v45" (1-period), "hk" (TT58).
    required: tuple[tuple[str, int], ...] = (("tx", 4), ("gk", 1), ("ck", 1))
    teachers_term1: tuple[str, ...] = ()
    teachers_term2: tuple[str, ...] = ()
    short_name: str = ""


@dataclass(frozen=True)
class SubjectMarks:
    """The marks of one student in one subject and term, and the results computed from them."""

    student_no: int
    subject: str  # SubjectInput.code
    term: int  # 1 or 2
    marks: tuple[tuple[str, tuple[MarkValue, ...]], ...] = ()  # kind -> entries in order
    average: MarkValue | None = None  # ĐTBmhk, or the term's Đ/CĐ
    year_average: MarkValue | None = None  # ĐTBmcn or the year's Đ/CĐ (term 2 only)
    corrected: tuple[tuple[str, int], ...] = ()  # (kind, 0-based entry) changed by an approved correction


@dataclass(frozen=True)
class Absence:
    """One day a student was absent: excused (P, có phép) or not (K, không phép)."""

    student_no: int
    day: date
    excused: bool


@dataclass(frozen=True)
class SummaryRow:
    """A student's results for a term or the year, as decided by the rules and the principal."""

    student_no: int
    period: Period
    overall_average: Decimal | None = None  # ĐTBhk / ĐTBcn (TT58, TT26); None under TT22
    learning: str = ""  # học lực / kết quả học tập, e.g. "Giỏi", "Tốt"
    conduct: str = ""  # hạnh kiểm / kết quả rèn luyện
    absent_excused: int = 0
    absent_unexcused: int = 0
    title: str = ""  # danh hiệu, e.g. "Học sinh Giỏi"


@dataclass(frozen=True)
class YearOutcome:
    """End-of-year decision for a student, and what happened in the summer."""

    student_no: int
    decision: str  # "Lên lớp", "Kiểm tra lại", "Rèn luyện hè", "Ở lại lớp", "Hoàn thành chương trình THCS"
    reassess: tuple[tuple[str, MarkValue | None], ...] = ()  # subject code -> re-assessment result
    summer_training: str = ""  # result of summer training, e.g. "Đạt"
    final: str = ""  # decision after the summer, e.g. "Lên lớp"


@dataclass(frozen=True)
class InspectionLine:
    """Entry progress of one subject and teacher at a monthly inspection."""

    subject: str  # SubjectInput.code
    teacher: str
    expected: int
    entered: int
    late: int = 0
    note: str = ""


@dataclass(frozen=True)
class Inspection:
    """A monthly inspection of the electronic book (biên bản kiểm tra hằng tháng)."""

    month: int
    held_on: date
    inspectors: tuple[tuple[str, str], ...]  # (name, role)
    lines: tuple[InspectionLine, ...] = ()
    findings: str = ""
    requests: str = ""


@dataclass(frozen=True)
class MarkBookInput:
    """Everything a class's mark book shows, for one school year."""

    school: str  # "Trường THCS Tô Hiệu"
    district: str  # "Huyện Vân Hồ"
    province: str  # "Tỉnh Sơn La"
    class_name: str
    year_start: int  # 2025 for 2025-2026
    regime: Regime
    homeroom_teacher: str
    principal: str
    students: tuple[StudentInput, ...]
    subjects: tuple[SubjectInput, ...]
    marks: tuple[SubjectMarks, ...] = ()
    absences: tuple[Absence, ...] = ()
    summaries: tuple[SummaryRow, ...] = ()
    outcomes: tuple[YearOutcome, ...] = ()
    inspections: tuple[Inspection, ...] = ()
    place: str = ""  # place name for dated signatures, e.g. "Vân Hồ"
    grade: int = 0  # 6..9; 9 prints "Hoàn thành chương trình THCS" wording where relevant


# --- reading ----------------------------------------------------------------------------------

DISTRICT_WORDS = ("huyện", "quận", "thị xã", "thành phố", "tp.", "tp ")
PROVINCE_WORDS = ("tỉnh", "thành phố", "tp.", "tp ")

MAX_INSPECTION_LINES = 18  # progress rows that fit the minutes page beside the findings and signatures

# Inspector roles as printed under the signature, most senior first.
_INSPECTOR_ROLES = (
    (Role.PRINCIPAL, "Hiệu trưởng"),
    (Role.VICE_PRINCIPAL, "Phó Hiệu trưởng"),
    (Role.HEAD_OF_DEPARTMENT, "Tổ trưởng chuyên môn"),
    (Role.INSPECTOR, "Thanh tra"),
)


def with_admin_word(name: str | None, words: tuple[str, ...], prefix: str) -> str:
    """"Vân Hồ" → "Huyện Vân Hồ"; a name that already says what it is ("Thành phố Sơn La") is kept."""
    text = " ".join((name or "").split())
    if not text:
        return ""
    low = text.lower()
    if any(low.startswith(w) for w in words):
        return text
    return f"{prefix} {text}"


def bare_place(district: str) -> str:
    """The place name of dated signatures: "Huyện Vân Hồ" → "Vân Hồ"."""
    low = district.lower()
    for w in ("huyện ", "quận ", "thị xã ", "thành phố ", "tp. ", "tp "):
        if low.startswith(w):
            return district[len(w):].strip()
    return district


def decision_label(value: str | None, grade: int, regime: str = "tt22") -> str:
    """A Promotion value as the book prints it in the summary and the year-results lists.

    Grade 9 promoted: the regime's wording (``Ruleset.promotion_label``, D-LBL-2), the same the
    transcript prints: "Hoàn thành chương trình THCS" (TT22), "Được xét công nhận tốt nghiệp THCS"
    (TT58, TT26)."""
    if not value:
        return ""
    try:
        decision = Promotion(value)
    except ValueError:
        return value  # already a label
    if decision is Promotion.PROMOTED:
        return ruleset(regime).promotion_label(decision, grade=9) if grade == 9 else "Lên lớp"
    return {
        Promotion.REASSESS: "Kiểm tra lại",
        Promotion.SUMMER_TRAINING: "Rèn luyện hè",
        Promotion.REPEAT: "Ở lại lớp",
    }[decision]


def _layout_kind(regime: str, kind: MarkKind, slot: int) -> tuple[str, int]:
    """The layout's column kind of a stored mark, and its 1-based position within that kind."""
    if regime == "tt58":
        if kind is MarkKind.REGULAR:
            return ("m", 1) if slot == 1 else ("v15", slot - 1)
        if kind in (MarkKind.PERIODIC, MarkKind.MIDTERM):
            return "v45", slot
        return "hk", slot
    if kind is MarkKind.REGULAR:
        return "tx", slot
    if kind in (MarkKind.MIDTERM, MarkKind.PERIODIC):
        return "gk", slot
    return "ck", slot


def _required(regime: str, lessons: int, comment: bool) -> tuple[tuple[str, int], ...]:
    regular = ruleset(regime).required_regular_count(lessons, comment=comment)
    if regime == "tt58":
        return (("m", 1), ("v15", max(regular - 1, 0)), ("v45", 1), ("hk", 1))
    return (("tx", regular), ("gk", 1), ("ck", 1))


def _value(score: Decimal | None, grade: str | None) -> MarkValue | None:
    return score if score is not None else grade


def _mark(score: Decimal | None, grade: str | None) -> MarkValue | None:
    """A mark as entered: the database keeps tenths, so 8 comes back as 8.0 and prints as "8"."""
    if score is not None and score == score.to_integral_value():
        return score.quantize(Decimal(1))
    return _value(score, grade)


def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def _date(text: object) -> dt.date | None:
    if isinstance(text, dt.date):
        return text
    try:
        return dt.datetime.strptime(str(text), "%d/%m/%Y").date()
    except ValueError:
        return None


def parse_school_year(text: str) -> int:
    """"2025-2026" (or "2025 - 2026") → 2025; anything else is a ValidationError."""
    parts = [p.strip() for p in str(text).replace("–", "-").split("-")]
    if len(parts) == 2 and all(p.isdigit() and len(p) == 4 for p in parts) and int(parts[1]) == int(parts[0]) + 1:
        return int(parts[0])
    raise ValidationError(f"Năm học không hợp lệ: «{text}». Ghi theo dạng 2025-2026.", f"bad school year {text!r}")


def find_class(session: Session, class_name: str, year: str, *, school_code: str | None = None) -> Class:
    """The class named ``class_name`` in school year ``year`` ("2025-2026"), in the given school if any.

    Raises NotFoundError (unknown school, year or class, with the classes that exist) or
    ValidationError (bad year, or a class name found in several schools: give the school code).
    """
    start = parse_school_year(year)
    name = " ".join(class_name.split())
    label = f"{start}-{start + 1}"
    school: School | None = None
    if school_code:
        school = session.scalar(select(School).where(School.code == school_code.strip()))
        if school is None:
            raise NotFoundError(f"Không có trường mã «{school_code}».", f"no school {school_code!r}")
    query = (select(Class, School.code).join(Grade, Grade.id == Class.grade_id)
             .join(SchoolYear, SchoolYear.id == Grade.school_year_id).join(School, School.id == Class.school_id)
             .where(SchoolYear.start_year == start))
    if school is not None:
        query = query.where(Class.school_id == school.id)
    found = [(c, code) for c, code in session.execute(query.where(func.upper(Class.name) == name.upper()))]
    exact = [(c, code) for c, code in found if c.name == name]
    found = exact or found
    if len(found) == 1:
        return found[0][0]
    if len(found) > 1:
        codes = ", ".join(sorted(code for _, code in found))
        raise ValidationError(
            f"Có {len(found)} trường có lớp «{name}» trong năm học {label} (mã trường: {codes}): "
            "hãy chỉ rõ trường bằng --school MÃ.",
            f"class {name!r} of {label} is in several schools: {codes}")
    where = f" của {school.name}" if school is not None else ""
    years = select(SchoolYear.id).where(SchoolYear.start_year == start)
    if school is not None:
        years = years.where(SchoolYear.school_id == school.id)
    if session.scalar(years.limit(1)) is None:
        raise NotFoundError(f"Không có năm học {label}{where} trong cơ sở dữ liệu.", f"no school year {label}")
    names = sorted({c.name for c, _ in session.execute(query)})
    known = f" Các lớp có: {', '.join(names)}." if names else " Năm học này chưa có lớp nào."
    raise NotFoundError(f"Không có lớp «{name}» trong năm học {label}{where}.{known}",
                        f"no class {name!r} in {label}")


def read_markbook(session: Session, actor: Actor, class_id: int) -> MarkBookInput:
    """Everything the class's mark book shows for its school year, read in a fixed number of queries.

    Raises NotFoundError for an unknown class, PermissionDeniedError unless the actor may read it."""
    homeroom = aliased(User)
    row = session.execute(
        select(Class, Grade, SchoolYear, School, homeroom.full_name)
        .join(Grade, Grade.id == Class.grade_id)
        .join(SchoolYear, SchoolYear.id == Grade.school_year_id)
        .join(School, School.id == Class.school_id)
        .outerjoin(homeroom, homeroom.id == Class.homeroom_teacher_id)
        .where(Class.id == class_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError("Không tìm thấy lớp cần in sổ.", f"class {class_id} not found")
    klass, grade, year, school, homeroom_name = row
    require(session, actor, Action.RECORDS_READ, klass)
    regime = grade.regime
    terms = {t.id: t.number for t in session.scalars(select(Term).where(Term.school_year_id == year.id))}

    # principal: the user holding the role in the school, else the name recorded for the school
    principal = session.scalar(
        select(User.full_name).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.PRINCIPAL, RoleGrant.school_id == school.id,
               RoleGrant.revoked_at.is_(None), User.active.is_(True))
        .order_by(RoleGrant.granted_at.desc(), RoleGrant.id.desc()).limit(1)
    ) or _text(school.principal_name)

    # the roll
    students: list[StudentInput] = []
    no_of: dict[int, int] = {}  # enrolment id -> roll number
    for e, s in session.execute(
        select(Enrolment, Student).join(Student, Student.id == Enrolment.student_id)
        .where(Enrolment.class_id == klass.id).order_by(Enrolment.roll_number, Enrolment.id)
    ):
        no_of[e.id] = e.roll_number
        if e.status is EnrolmentStatus.TRANSFERRED_OUT:
            status, when = "transferred_out", e.left_on or s.left_on
        elif e.status is EnrolmentStatus.DROPPED_OUT:
            status, when = "dropped_out", e.left_on or s.left_on
        elif e.transferred_in:
            status, when = "transferred_in", e.enrolled_on
        else:
            status, when = "active", None
        students.append(StudentInput(
            no=e.roll_number, full_name=_text(s.full_name), birth_date=s.date_of_birth,
            female=s.gender is Gender.FEMALE, ethnicity=_text(s.ethnicity), birth_place=_text(s.place_of_birth),
            address=_text(s.current_address or s.permanent_address),
            father=_text(s.father_name), father_job=_text(s.father_occupation),
            mother=_text(s.mother_name), mother_job=_text(s.mother_occupation),
            guardian=_text(s.guardian_name), guardian_job=_text(s.guardian_occupation),
            status=status, status_date=when,  # type: ignore[arg-type]
        ))

    # the curriculum and its teachers
    teachers: dict[tuple[int, int], list[str]] = defaultdict(list)  # (subject id, term number) -> names
    for subject_id, term_id, name in session.execute(
        select(TeachingAssignment.subject_id, TeachingAssignment.term_id, User.full_name)
        .join(User, User.id == TeachingAssignment.teacher_id)
        .where(TeachingAssignment.class_id == klass.id).order_by(TeachingAssignment.id)
    ):
        names = teachers[(subject_id, terms.get(term_id, 0))]
        if _text(name) not in names:
            names.append(_text(name))
    subjects: list[SubjectInput] = []
    code_of: dict[int, str] = {}
    for gs, subj in session.execute(
        select(GradeSubject, Subject).join(Subject, Subject.id == GradeSubject.subject_id)
        .where(GradeSubject.grade_id == grade.id).order_by(GradeSubject.position, GradeSubject.id)
    ):
        code_of[subj.id] = subj.code
        comment = subj.assessment is Assessment.COMMENT
        subjects.append(SubjectInput(
            code=subj.code, name=_text(subj.name), assessment="comment" if comment else "score",
            required=_required(regime, gs.lessons_per_year or subj.lessons_per_year, comment),
            teachers_term1=tuple(teachers.get((subj.id, 1), ())), teachers_term2=tuple(teachers.get((subj.id, 2), ())),
            short_name=_text(subj.short_name),
        ))

    of_class = select(Enrolment.id).where(Enrolment.class_id == klass.id).scalar_subquery()

    # marks: (roll no, subject code, term) -> layout kind -> {position: value}
    cells: dict[tuple[int, str, int], dict[str, dict[int, MarkValue]]] = defaultdict(lambda: defaultdict(dict))
    # marks changed by an approved correction (the trace: audit entries "correct" of the class's requests)
    # The class's requests first (few, often none), then their entries by ``request_id`` alone, filtered here:
    # given ``entity = 'mark'`` too, SQLite chose the (entity, entity_id) index and walked every mark entry
    # of the school (0.19 s a mark book on the demo school, for none found).
    requests = list(session.scalars(select(CorrectionRequest.id).where(CorrectionRequest.enrolment_id.in_(of_class))))
    corrected_ids = {str(entity_id) for entity_id, entity, action in session.execute(
        select(AuditEntry.entity_id, AuditEntry.entity, AuditEntry.action).where(AuditEntry.request_id.in_(requests)))
        if entity == "mark" and action == "correct"} if requests else set()
    corrected: dict[tuple[int, str, int], set[tuple[str, int]]] = defaultdict(set)
    mk = Mark.__table__.c
    for mark_id, enrolment_id, subject_id, term_id, kind, slot, score, grade_value in core_rows(session,
        select(mk.id, mk.enrolment_id, mk.subject_id, mk.term_id, mk.kind, mk.slot, mk.score, mk.grade)
        .where(mk.enrolment_id.in_(of_class))
    ):
        code, term = code_of.get(subject_id), terms.get(term_id)
        value = _mark(score, grade_value)
        if code is None or term is None or value is None:
            continue
        lkind, pos = _layout_kind(regime, MarkKind(kind), slot)
        cells[(no_of[enrolment_id], code, term)][lkind][pos] = value
        if str(mark_id) in corrected_ids:
            corrected[(no_of[enrolment_id], code, term)].add((lkind, pos - 1))

    # subject results: averages per period, re-assessment results of the year
    averages: dict[tuple[int, str, str], MarkValue] = {}
    reassessed: dict[int, list[tuple[str, MarkValue | None]]] = defaultdict(list)
    sj = SubjectResult.__table__.c
    for enrolment_id, subject_id, period, avg, grade_value, re_score, re_grade in core_rows(session,
        select(sj.enrolment_id, sj.subject_id, sj.period, sj.average, sj.grade, sj.reassessed_score,
               sj.reassessed_grade)
        .where(sj.enrolment_id.in_(of_class))
    ):
        code = code_of.get(subject_id)
        if code is None:
            continue
        no = no_of[enrolment_id]
        value = _value(avg, grade_value)
        if value is not None:
            averages[(no, code, str(getattr(period, "value", period)))] = value
        if str(getattr(period, "value", period)) == "cn" and (re_score is not None or re_grade is not None):
            reassessed[no].append((code, _value(re_score, re_grade)))

    kinds = ("m", "v15", "v45", "hk") if regime == "tt58" else ("tx", "gk", "ck")
    marks: list[SubjectMarks] = []
    for stu in students:
        for sub in subjects:
            for term in (1, 2):
                got = cells.get((stu.no, sub.code, term))
                term_avg = averages.get((stu.no, sub.code, "hk1" if term == 1 else "hk2"))
                year_avg = averages.get((stu.no, sub.code, "cn")) if term == 2 else None
                if got is None and term_avg is None and year_avg is None:
                    continue
                by_kind = []
                for k in kinds:
                    slots = (got or {}).get(k)
                    if slots:
                        by_kind.append((k, tuple(slots.get(i, "") for i in range(1, max(slots) + 1))))
                marks.append(SubjectMarks(student_no=stu.no, subject=sub.code, term=term, marks=tuple(by_kind),
                                          average=term_avg, year_average=year_avg,
                                          corrected=tuple(sorted(corrected.get((stu.no, sub.code, term), ())))))

    absences = [
        Absence(no_of[enrolment_id], day, bool(excused))
        for enrolment_id, day, excused in session.execute(
            select(Attendance.enrolment_id, Attendance.day, Attendance.excused)
            .where(Attendance.enrolment_id.in_(of_class)).order_by(Attendance.enrolment_id, Attendance.day)
        )
    ]

    summaries: list[SummaryRow] = []
    outcomes: list[YearOutcome] = []
    sr = StudentResult.__table__.c
    for r in core_rows(session, select(  # the columns read below, by name (Core rows)
            sr.enrolment_id, sr.period, sr.overall_average, sr.learning, sr.conduct, sr.days_absent_excused,
            sr.days_absent_unexcused, sr.title, sr.promotion, sr.conduct_after_summer, sr.final_promotion)
            .where(sr.enrolment_id.in_(of_class))):
        no = no_of[r.enrolment_id]
        period_key = str(getattr(r.period, "value", r.period))
        summaries.append(SummaryRow(
            student_no=no, period=period_key,  # type: ignore[arg-type]
            overall_average=r.overall_average if regime != "tt22" else None,
            learning=_text(r.learning), conduct=_text(r.conduct),
            absent_excused=r.days_absent_excused or 0, absent_unexcused=r.days_absent_unexcused or 0,
            title=_text(r.title),
        ))
        if period_key == "cn" and r.promotion:
            outcomes.append(YearOutcome(
                student_no=no, decision=decision_label(r.promotion, grade.level, regime),
                reassess=tuple(sorted(reassessed.get(no, ()), key=lambda cv: _position(subjects, cv[0]))),
                summer_training=_text(r.conduct_after_summer),
                final=decision_label(r.final_promotion, grade.level, regime) if r.final_promotion else "",
            ))
    summaries.sort(key=lambda x: (x.student_no, x.period))
    outcomes.sort(key=lambda o: o.student_no)

    district = with_admin_word(school.district, DISTRICT_WORDS, "Huyện")
    return MarkBookInput(
        school=_text(school.name),
        district=district,
        province=with_admin_word(school.province, PROVINCE_WORDS, "Tỉnh"),
        class_name=klass.name,
        year_start=year.start_year,
        regime=regime,  # type: ignore[arg-type]
        homeroom_teacher=_text(homeroom_name),
        principal=_text(principal),
        students=tuple(students),
        subjects=tuple(subjects),
        marks=tuple(marks),
        absences=tuple(absences),
        summaries=tuple(summaries),
        outcomes=tuple(outcomes),
        inspections=tuple(_inspections(session, klass, year, subjects)),
        place=bare_place(district),
        grade=grade.level,
    )


def _position(subjects: Iterable[SubjectInput], code: str) -> int:
    for i, s in enumerate(subjects):
        if s.code == code:
            return i
    return 1_000


def _inspections(session: Session, klass: Class, year: SchoolYear, subjects: list[SubjectInput]) -> list[Inspection]:
    """The monthly inspection minutes of the class (and school-wide ones), from the governance service."""
    from records.models import Inspection as InspectionRow
    from records.services.inspections import inspection_minutes

    minutes = inspection_minutes(session, klass.id, year)
    if not minutes:
        return []
    # the inspectors' roles, for the signature blocks (one query)
    ids = set(session.scalars(
        select(InspectionRow.inspected_by_id).where(InspectionRow.school_year_id == year.id)))
    held: dict[int, set[Role]] = defaultdict(set)
    for user_id, role in session.execute(
        select(RoleGrant.user_id, RoleGrant.role)
        .where(RoleGrant.user_id.in_(ids), RoleGrant.revoked_at.is_(None),
               (RoleGrant.school_id == klass.school_id) | RoleGrant.school_id.is_(None))
    ):
        held[user_id].add(Role(role))
    role_by_name: dict[str, str] = {}
    for user_id, name in session.execute(select(User.id, User.full_name).where(User.id.in_(ids))):
        role_by_name[_text(name)] = next((label for r, label in _INSPECTOR_ROLES if r in held[user_id]), "")

    out: list[Inspection] = []
    for m in minutes:
        held_on = _date(m.get("inspected_on"))
        month = int(m["month"])  # type: ignore[call-overload]
        if held_on is None:
            raise ValidationError("Biên bản kiểm tra có ngày không hợp lệ.", f"bad inspection date {m!r}")
        rows = list(m.get("progress") or [])  # type: ignore[call-overload]
        if len(rows) > MAX_INSPECTION_LINES:  # one page: the term in progress only
            last = max(int(r.get("term") or 0) for r in rows)
            rows = [r for r in rows if int(r.get("term") or 0) == last][:MAX_INSPECTION_LINES]
        order = {s.name: i for i, s in enumerate(subjects)}  # book order: subjects as on the mark pages
        rows.sort(key=lambda r: (int(r.get("term") or 0), order.get(_text(str(r.get("subject") or "")), 1_000),
                                 str(r.get("teacher") or "")))
        both_terms = len({r.get("term") for r in rows}) > 1
        lines = []
        for r in rows:
            subject = _text(str(r.get("subject") or ""))
            if both_terms:
                subject += " (HK I)" if r.get("term") == 1 else " (HK II)"
            late = list(r.get("late_students") or [])
            missing = int(r.get("missing") or 0)
            note = "Đủ, đúng hạn" if not missing else f"Còn thiếu điểm của {len(late)} học sinh"
            lines.append(InspectionLine(subject=subject, teacher=_text(str(r.get("teacher") or "")),
                                        expected=int(r.get("expected") or 0), entered=int(r.get("entered") or 0),
                                        late=missing, note=note))
        inspector = _text(str(m.get("inspector") or ""))
        out.append(Inspection(
            month=month, held_on=held_on,
            inspectors=((inspector, role_by_name.get(inspector, "")),) if inspector else (),
            lines=tuple(lines), findings=_text(str(m.get("findings") or "")),
            requests=_text(str(m.get("conclusion") or "")),
        ))
    return out


__all__ = [
    "Absence",
    "Inspection",
    "InspectionLine",
    "MarkBookInput",
    "MarkValue",
    "StudentInput",
    "SubjectInput",
    "SubjectMarks",
    "SummaryRow",
    "YearOutcome",
    "bare_place",
    "decision_label",
    "find_class",
    "parse_school_year",
    "read_markbook",
    "with_admin_word",
]
