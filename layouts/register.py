"""Sổ đăng bộ (the enrolment register of a course): records → :class:`RegisterInput` → document → PDF.

One line per student admitted to the course (khóa học, e.g. 2022-2026) with the columns of
BOOKS.md §3: register number, name, date of birth, gender, ethnicity, place of birth, address,
parents (or guardian) with occupations, entry (date, class, school came from), the year-by-year
tracking of grades 6 to 9 (class, school year, decision; a repeated grade shows both years),
leaving (date, reason or school gone to) and notes. The same builder prints the register at the
start of each year and, complete, at the end of the course (CV 1540 §2.2.3 b).

The book is A3 landscape (A4 landscape on request). Page breaks come from Typst's own layout
(:func:`plan_lines`: one measuring pass of :mod:`layouts.paginate`, the lines packed into pages);
each page of the document holds its lines, and :func:`render_register` checks that Typst produced
exactly those pages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from layouts.documents import BookDocument, BookMeta, Page, Paper, page_sides
from layouts.paginate import Flow, paginate
from layouts.transcript import Place, fmt_date, long_date, school_upper
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
from records.rules import Promotion, ruleset

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from layouts.publish import Published
    from records.permissions import Actor
    from signing.pdfsign import PdfSigner

TEMPLATE = "register"

#: The columns of the list, in table order.
COLUMNS = ("number", "name", "dob", "gender", "ethnicity", "birthplace", "address", "parents", "entry_date",
           "entry_class", "entry_from", "g6", "g7", "g8", "g9", "left_date", "left_reason", "notes")
#: Column widths in mm per paper (landscape content: A3 381 mm at 8 pt, A4 265 mm at 7 pt), sent to
#: the template with each list page. Each holds its longest unbreakable value on one line: a date,
#: "1234/THCS" (A3; "123/THCS" on A4), "(2023-2024)".
COLUMNS_MM: dict[str, tuple[float, ...]] = {
    "a3": (17, 36, 16, 9, 12, 29, 34, 40, 16, 9, 24, 20, 20, 20, 20, 16, 27, 16),
    "a4": (13, 22, 14.5, 7, 9, 18, 20, 25, 14.5, 7.5, 14, 14, 14, 14, 14, 14.5, 18, 12),
}


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


# --- document construction (pure) ------------------------------------------------------------


def _person(name: str | None, occupation: str | None) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    occupation = (occupation or "").strip()
    return f"{name} ({occupation})" if occupation else name


def _track_text(t: YearTrack) -> str:
    parts = [f"{t.class_name} ({t.year})"]
    if t.school:
        parts.append(t.school)
    if t.outcome:
        parts.append(t.outcome)
    return "\n".join(parts)


def line_cells(line: RegisterLine) -> dict[str, str]:
    """The printed cells of a line, by column key."""
    parents = [p for p in (
        f"Cha: {line.father}" if line.father else "",
        f"Mẹ: {line.mother}" if line.mother else "",
        f"Người giám hộ: {line.guardian}" if line.guardian else "",
    ) if p]
    cells = {
        "number": line.number,
        "name": line.full_name,
        "code": line.student_code + (f" · Mã ĐD: {line.moet_id}" if line.moet_id else ""),
        "dob": fmt_date(line.date_of_birth),
        "gender": line.gender,
        "ethnicity": line.ethnicity,
        "birthplace": line.place_of_birth,
        "address": line.address,
        "parents": "\n".join(parents),
        "entry_date": fmt_date(line.entry_date),
        "entry_class": line.entry_class,
        "entry_from": line.entry_from,
        "left_date": fmt_date(line.left_on),
        "left_reason": line.left_reason,
        "notes": line.notes,
    }
    for level in (6, 7, 8, 9):
        cells[f"g{level}"] = "\n".join(_track_text(t) for t in line.tracks if t.grade == level)
    return cells


def plan_lines(rows: Sequence[Mapping[str, Any]], head: Mapping[str, Any], paper: Paper = "a3") -> list[list[int]]:
    """Indices of the lines on each list page, from Typst's measurements (:mod:`layouts.paginate`).

    The whole list is one flow: the measuring pass reports the height of the repeated header (the
    title line and the column heads) and of each line (a line never breaks); the lines are packed
    into pages, each printed as one entry holding its lines.
    """
    if not rows:
        return [[]]
    book = BookMeta(kind="register", title="SỔ ĐĂNG BỘ", school="", district="", province="", class_name="",
                    year="", regime="tt22", paper=paper, orientation="landscape").to_dict()
    ranges = paginate(TEMPLATE, book, [Flow("register-list", {"head": head, "rows": list(rows)})])[0]
    return [list(r) for r in ranges]


def build_register(inp: RegisterInput, *, paper: Paper = "a3", duplex: bool = False) -> BookDocument:
    """The register document: cover, list pages (as many as the lines take), closing page.

    A3 landscape is the register's own format; A4 landscape holds the same columns at 7 pt. Two-sided,
    the back of the cover is left blank so that the list starts on a recto."""
    if paper not in ("a3", "a4"):
        raise ValidationError(f"Khổ giấy không hợp lệ: «{paper}» (a3 hoặc a4).", f"invalid paper {paper!r}")
    cells = [line_cells(line) for line in inp.lines]
    head = {
        "school": inp.school.school, "course": inp.course,
        "printed": f"In ngày {fmt_date(inp.printed_on)}" if inp.printed_on else "",
        "widths": [f"{w:g}" for w in COLUMNS_MM[paper]],
    }
    groups = plan_lines(cells, head, paper)
    first_list = 3 if duplex else 2
    total = first_list + len(groups)
    sides = list(page_sides(total, duplex))
    pages = [
        Page(no=1, kind="register-cover", side=sides[0], data={
            "title": "SỔ ĐĂNG BỘ",
            "level": "TRUNG HỌC CƠ SỞ",
            "school": school_upper(inp.school.school),
            "district": inp.school.district,
            "province": inp.school.province,
            "course": inp.course,
        })
    ]
    if duplex:
        pages.append(Page(no=2, kind="blank", side=sides[1], data={}))
    for k, group in enumerate(groups):
        pages.append(Page(no=first_list + k, kind="register-list", side=sides[first_list - 1 + k], data={
            "head": head,
            "rows": [cells[i] for i in group],
        }))
    female = sum(1 for line in inp.lines if line.gender == "Nữ")
    arrived = sum(1 for line in inp.lines if line.entry_from)
    left = sum(1 for line in inp.lines if line.left_on and "Hoàn thành" not in line.left_reason)
    pages.append(Page(no=total, kind="register-closing", side=sides[-1], data={
        "summary": [
            (f"Sổ đăng bộ khóa học {inp.course} có {total} trang, ghi danh {len(inp.lines)} học sinh "
            f"(trong đó {female} học sinh nữ)."),
            (f"Số học sinh chuyển đến trong khóa học: {arrived}. "
            f"Số học sinh chuyển đi hoặc thôi học: {left}."),
        ],
        "date": long_date(inp.school.district, inp.printed_on),
        "principal": inp.principal,
    }))
    meta = BookMeta(
        kind="register", title="SỔ ĐĂNG BỘ", school=inp.school.school, district=inp.school.district,
        province=inp.school.province, class_name=f"6–9, khóa học {inp.course}",
        year=recorded_year(inp), regime="tt22",
        paper=paper, orientation="landscape", duplex=duplex, part="all", total_pages=total,
    )
    return BookDocument(book=meta, pages=tuple(pages))


def recorded_year(inp: RegisterInput) -> str:
    """The school year the register is written up to: the latest year of the course in its lines
    (never the print date: a course printed after it ended still names its last year)."""
    first, last = parse_course(inp.course)
    years = [int(t.year[:4]) for line in inp.lines for t in line.tracks if t.year[:4].isdigit()]
    within = [y for y in years if first <= y < last]
    start = max(within) if within else first
    return f"{start}-{start + 1}"


def render_register(document: BookDocument) -> bytes:
    """Compile a register document to PDF (PDF/A-3b), checking that no page overflowed."""
    from layouts.render import render_document

    return render_document(TEMPLATE, document, pdf_standard="a-3b")


# --- loading from the records ----------------------------------------------------------------

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
        return f"Chuyển đi {fmt_date(enrolment.left_on)}".strip()
    if enrolment.status == EnrolmentStatus.DROPPED_OUT:
        return f"Thôi học {fmt_date(enrolment.left_on)}".strip()
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


def load_register_input(
    session: Session, course: str, *, school_code: str | None = None, printed_on: dt.date | None = None
) -> RegisterInput:
    """Read the register of a course from the records (students whose ``course`` is the course)."""
    parse_course(course)
    school = register_school(session, course, school_code)
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


def print_register(
    session: Session, course: str, *, school_code: str | None = None, printed_on: dt.date | None = None,
    paper: Paper = "a3", duplex: bool = False,
) -> bytes:
    """PDF of the enrolment register of a course (Sổ đăng bộ) as a *draft* (no codes, no edition,
    "BẢN NHÁP" in every QR slot); :func:`publish_register` prints the signed edition."""
    inp = load_register_input(session, course, school_code=school_code, printed_on=printed_on or dt.date.today())
    return render_register(build_register(inp, paper=paper, duplex=duplex).as_draft())


def publish_register(
    session: Session,
    actor: Actor,
    course: str,
    *,
    private_key: Ed25519PrivateKey,
    school_code: str | None = None,
    pdf_signer: PdfSigner | None = None,
    issued_on: dt.date | None = None,
    paper: Paper = "a3",
    duplex: bool = False,
) -> Published:
    """Publish the register of a course as a signed edition (``layouts.publish``); the caller commits.

    "In ngày" and the principal's date are the edition's issue date; the course tells a school's
    registers apart (``Edition.part``), so a new print supersedes that course's only.
    """
    from layouts.publish import Scope, publish
    from records.services.context import today

    issued = issued_on or today()
    school = register_school(session, course, school_code)
    inp = load_register_input(session, course, school_code=school.code, printed_on=issued)
    return publish(session, actor, build_register(inp, paper=paper, duplex=duplex), template=TEMPLATE,
                   scope=Scope(school.id, part=inp.course), private_key=private_key, issued_on=issued,
                   pdf_signer=pdf_signer)
