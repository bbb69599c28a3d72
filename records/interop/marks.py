"""Importing a class's marks from the mark sheet other platforms export (SMAS, vnEdu, our own export).

The layout: one sheet per subject (or one file per subject), title rows naming the class, subject and
term ("Lớp 6A1", "Môn: Toán", "Học kì I"), a header row with the student columns ("Mã học sinh",
"Họ và tên", "Ngày sinh") and one column per mark column: "TX1", "TX2", … (also "ĐĐGtx1", "M1",
"15P1": every regular column, in sheet order, is the next regular slot), "ĐK1"/"1T1" (TT58 periodic),
"GK"/"ĐĐGgk"/"Giữa kì", "CK"/"ĐĐGck"/"Cuối kì"/"HK". A two-row header is read too: a merged group
label ("Điểm thường xuyên", "ĐĐGtx") above numbered sub-columns (1, 2, 3 …). Averages ("ĐTBmhk",
"TBM") are computed here, never imported.

Students are matched by "Mã học sinh" when the sheet has it, else by name and date of birth, else by
name alone when it is unique in the class. An empty cell leaves the stored mark as it is.

Every sheet and cell is checked first (each bad cell reported by row and column); with any error
nothing is written. Marks are then saved through ``records.services.marks.save_marks`` — the
teacher's rights (own assignment, current term), the cut-off, the locks and the trace apply.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.errors import SodientuError
from records.interop.class_export import column_label
from records.interop.common import (
    ImportOptions,
    classes_by_name,
    resolve_school,
    resolve_year,
    subject_lookup,
    term_of,
    unreadable,
    write_all,
)
from records.interop.report import Collector, ImportReport
from records.interop.sheets import (
    HEADER_SEARCH_ROWS,
    Sheet,
    SpreadsheetFile,
    class_in_title,
    column_letter,
    fold,
    is_blank_row,
    parse_date,
    read_sheets,
    title_text,
    year_in_title,
)
from records.models import Class, Enrolment, Grade, Mark, MarkKind, Student, Subject, TeachingAssignment, Term
from records.names import split_full_name
from records.permissions import Actor
from records.services import marks as mark_service

_STUDENT_COLUMNS = {"code": ("mahocsinh", "mahs", "ma"), "name": ("hovaten", "hoten", "hovatenhocsinh"),
                    "birth": ("ngaysinh", "ngaythangnamsinh"), "number": ("stt", "tt")}
_REGULAR = re.compile(r"^(?:tx|ddgtx|diemtx|thuongxuyen|m|mieng|diemmieng|15p|15phut|kt15p)(\d{1,2})$")
_PERIODIC = re.compile(r"^(?:dk|1t|1tiet|kt1t|dinhki|dinhky|hs2)(\d{1,2})$")
_MIDTERM = {"gk", "ddggk", "giuaki", "giuaky", "giuahocki", "giuahocky", "ktgk", "diemgk", "kiemtragiuaki"}
_FINAL = {"ck", "ddgck", "cuoiki", "cuoiky", "cuoihocki", "cuoihocky", "hk", "kthk", "diemhk", "ktck", "diemck",
          "kiemtrahocki", "kiemtracuoiki"}
_AVERAGE = re.compile(r"^(?:dtb|tb|ddgtb|tbm|dtbm|trungbinh)\w*$")
_GROUPS = {"tx": MarkKind.REGULAR, "ddgtx": MarkKind.REGULAR, "diemtx": MarkKind.REGULAR,
           "thuongxuyen": MarkKind.REGULAR, "diemthuongxuyen": MarkKind.REGULAR, "danhgiathuongxuyen": MarkKind.REGULAR,
           "mieng": MarkKind.REGULAR, "diemmieng": MarkKind.REGULAR, "15phut": MarkKind.REGULAR,
           "15p": MarkKind.REGULAR, "dk": MarkKind.PERIODIC, "1tiet": MarkKind.PERIODIC, "dinhki": MarkKind.PERIODIC,
           "diemdinhki": MarkKind.PERIODIC, "hs2": MarkKind.PERIODIC}
_TERM_IN_TITLE = re.compile(r"(?:HOC\s*KI|HOC\s*KY|HK)\s*(I{1,2}|1|2)\b")
_SUBJECT_IN_TITLE = re.compile(r"\bMON\b\s*(?:HOC)?\s*:?\s*(.+?)(?:\s+[-—–]\s+|\s+HOC\s*K|\s+LOP\b|$)")


def _upper(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _mark_kind(label: str) -> tuple[MarkKind, int | None] | None:
    key = fold(label)
    if key in _MIDTERM:
        return MarkKind.MIDTERM, 1
    if key in _FINAL:
        return MarkKind.FINAL, 1
    for pattern, kind in ((_REGULAR, MarkKind.REGULAR), (_PERIODIC, MarkKind.PERIODIC)):
        match = pattern.match(key)
        if match:
            return kind, int(match.group(1))
    return None


@dataclass(frozen=True)
class _Layout:
    header_row: int  # last header row (data start below it)
    student: dict[str, int]
    marks: tuple[tuple[int, MarkKind, int, str], ...]  # column, kind, slot, label


def _layout(sheet: Sheet, col: Collector) -> _Layout | None:
    for r in range(1, min(len(sheet.rows), HEADER_SEARCH_ROWS) + 1):
        student: dict[str, int] = {}
        for c in range(1, len(sheet.rows[r - 1]) + 1):
            text = sheet.text(r, c)
            key = fold(text) if text else ""
            for name, aliases in _STUDENT_COLUMNS.items():
                if key in aliases and name not in student:
                    student[name] = c
        if "name" not in student:
            continue
        found: list[tuple[int, MarkKind, str]] = []
        remarks: list[str] = []
        last = r
        for c in range(1, len(sheet.rows[r - 1]) + 1):
            text = sheet.text(r, c)
            if not text or c in student.values():
                continue
            kind = _mark_kind(text)
            sub = sheet.text(r + 1, c)
            if kind is None and fold(text) in _GROUPS and sub and sub.isdigit():
                kind, text, last = (_GROUPS[fold(text)], None), f"{text} {sub}", r + 1
            if kind is not None:
                found.append((c, kind[0], text))
            elif _AVERAGE.match(fold(text)):
                remarks.append(f"Cột «{text}» là điểm trung bình: được tính lại, không nhập.")
            else:
                remarks.append(f"Cột «{text}» không được nhận ra, bỏ qua.")
        if not found:
            continue
        for remark in remarks:
            col.warn(remark, r)
        slots: dict[MarkKind, int] = {}
        marks = []
        for c, kind, label in found:  # regular and periodic columns take the next slot in sheet order
            slots[kind] = slots.get(kind, 0) + 1
            marks.append((c, kind, slots[kind], label))
        return _Layout(last, student, tuple(marks))
    return None


@dataclass
class _SheetPlan:
    sheet: str
    assignment: TeachingAssignment
    subject: Subject
    inputs: list[mark_service.MarkInput]


def _term_in(title: str) -> int | None:
    match = _TERM_IN_TITLE.search(_upper(title))
    if not match:
        return None
    return {"I": 1, "1": 1, "II": 2, "2": 2}[match.group(1)]


def _subject_in(title: str, sheet_name: str, subjects: dict[str, Subject]) -> Subject | None:
    match = _SUBJECT_IN_TITLE.search(_upper(title))
    if match:
        words = match.group(1).split()
        for n in range(len(words), 0, -1):  # the longest run of words that names a subject
            found = subjects.get(fold(" ".join(words[:n])))
            if found is not None:
                return found
    return subjects.get(fold(sheet_name))


def _roll(session: Session, klass: Class) -> list[tuple[Enrolment, Student]]:
    return [(e, s) for e, s in session.execute(select(Enrolment, Student).join(Student, Student.id == Enrolment.student_id)
                                               .where(Enrolment.class_id == klass.id).order_by(Enrolment.roll_number))]


def _match_student(sheet: Sheet, layout: _Layout, r: int, roll: list[tuple[Enrolment, Student]],
                   col: Collector) -> Enrolment | None:
    code = sheet.text(r, layout.student["code"]) if "code" in layout.student else None
    name = " ".join(split_full_name(sheet.text(r, layout.student["name"]) or "")).split()
    full = " ".join(name).casefold()
    if code:
        found = [e for e, s in roll if s.code == code]
        if not found:
            col.error(f"Không có học sinh mã {code} trong lớp.", r, "Mã học sinh",
                      f"{column_letter(layout.student['code'])}{r}")
            return None
        return found[0]
    candidates = [(e, s) for e, s in roll if s.full_name.casefold() == full]
    if len(candidates) > 1 and "birth" in layout.student:
        try:
            born = parse_date(sheet.value(r, layout.student["birth"]))
            candidates = [(e, s) for e, s in candidates if s.date_of_birth == born]
        except SodientuError as error:
            col.error(error.message_vi, r, "Ngày sinh", f"{column_letter(layout.student['birth'])}{r}")
            return None
    if len(candidates) != 1:
        what = "không có trong lớp" if not candidates else "trùng tên với học sinh khác (cần cột «Mã học sinh»)"
        col.error(f"Học sinh «{' '.join(name)}» {what}.", r, "Họ và tên", f"{column_letter(layout.student['name'])}{r}")
        return None
    return candidates[0][0]


def _plan_sheet(session: Session, actor: Actor, sheet: Sheet, year_classes: dict[str, Class],
                subjects: dict[str, Subject], terms: dict[int, Term], options: ImportOptions,
                col: Collector) -> tuple[_SheetPlan | None, int]:
    layout = _layout(sheet, col)
    if layout is None:
        return None, 0
    title = f"{sheet.name} " + title_text(sheet, layout.header_row)
    class_name = options.class_name or class_in_title(title)
    klass = year_classes.get(fold(class_name)) if class_name else None
    subject = (subjects.get(fold(options.subject)) if options.subject else _subject_in(title, sheet.name, subjects))
    number = options.term or _term_in(title)
    missing = [what for what, value in (("lớp", klass), ("môn học", subject), ("học kì", number)) if value is None]
    if missing:
        col.error(f"Không xác định được {', '.join(missing)} của bảng điểm (ghi ở dòng tiêu đề, ví dụ «Lớp 6A1», "
                  "«Môn: Toán», «Học kì I», hoặc chọn khi nhập).")
        return None, 0
    assert klass is not None and subject is not None and number is not None
    term = terms[number]
    grade = session.get(Grade, klass.grade_id)
    assert grade is not None
    for c, kind, slot, label in layout.marks:
        try:
            mark_service.check_kind(grade.regime, kind, slot)
        except SodientuError as error:
            col.error(error.message_vi, layout.header_row, label, f"{column_letter(c)}{layout.header_row}")
    roll = _roll(session, klass)
    stored = {(m.enrolment_id, MarkKind(m.kind), m.slot): m.value for m in session.scalars(select(Mark).where(
        Mark.enrolment_id.in_([e.id for e, _ in roll]), Mark.subject_id == subject.id, Mark.term_id == term.id))}
    inputs: list[mark_service.MarkInput] = []
    read = 0
    seen: dict[int, int] = {}
    for r in range(layout.header_row + 1, len(sheet.rows) + 1):
        if is_blank_row(sheet, r) or not sheet.text(r, layout.student["name"]):
            continue
        if "number" in layout.student and not str(sheet.value(r, layout.student["number"]) or "").strip().isdigit():
            continue  # a footer line ("Tổng số", signatures)
        read += 1
        enrolment = _match_student(sheet, layout, r, roll, col)
        if enrolment is None:
            continue
        if enrolment.id in seen:
            col.error(f"Học sinh đã có ở dòng {seen[enrolment.id]}.", r)
            continue
        seen[enrolment.id] = r
        for c, kind, slot, label in layout.marks:
            raw = sheet.value(r, c)
            if raw is None:
                continue
            where = f"{column_letter(c)}{r}"
            try:
                value = mark_service.parse_value(subject, raw if not isinstance(raw, dt.date) else str(raw))
            except SodientuError as error:
                col.error(error.message_vi, r, label, where)
                continue
            if value is None:
                continue
            inputs.append(mark_service.MarkInput(enrolment.id, kind, slot, value))
            old = stored.get((enrolment.id, kind, slot))
            what = f"{subject.name} {term.name}, {column_label(kind, slot)} ô {where}: {_show(value)}"
            if old is None:
                col.change("create", what, r)
            elif old != value:
                col.change("update", f"{what} (trước: {_show(old)})", r)
            else:
                col.change("unchanged", what, r)
    if not inputs:
        col.warn("Trang không có điểm nào, bỏ qua.")
        return None, read
    assignments = list(session.scalars(select(TeachingAssignment).where(
        TeachingAssignment.class_id == klass.id, TeachingAssignment.subject_id == subject.id,
        TeachingAssignment.term_id == term.id).order_by(TeachingAssignment.id)))
    if not assignments:
        col.error(f"Chưa phân công giảng dạy môn {subject.name} lớp {klass.name} {term.name}.")
        return None, read
    mine = [a for a in assignments if a.teacher_id == actor.user_id]
    assignment = (mine or assignments)[0]  # the service refuses someone else's assignment, naming it
    return _SheetPlan(sheet.name, assignment, subject, inputs), read


def _show(value: Decimal | str) -> str:
    return str(value).replace(".", ",") if isinstance(value, Decimal) else value


def import_marks(session: Session, actor: Actor, source: SpreadsheetFile,
                 options: ImportOptions | None = None) -> ImportReport:
    """Import mark sheets: check every cell, then (unless a dry run or any error) save through the marks service."""
    options = options or ImportOptions()
    try:
        sheets = read_sheets(source)
        school = resolve_school(session, options.school_id)
    except SodientuError as error:
        return unreadable("marks", source, options, error)
    col = Collector()
    title_year = next((y for s in sheets if (y := year_in_title(title_text(s, min(len(s.rows), 6) + 1)))), None)
    try:
        year = resolve_year(session, school, options.start_year or title_year)
        terms = {n: term_of(session, year, n) for n in (1, 2)}
    except SodientuError as error:
        col.error(error.message_vi)
        return col.report("marks", source.name, options.dry_run, 0, False)
    year_classes = classes_by_name(session, year)
    subjects = subject_lookup(session, school)
    plans: list[_SheetPlan] = []
    read = 0
    for sheet in sheets:
        col.sheet = sheet.name if len(sheets) > 1 else None
        plan, n = _plan_sheet(session, actor, sheet, year_classes, subjects, terms, options, col)
        read += n
        if plan is not None:
            plans.append(plan)
    col.sheet = None
    if not plans and not col.has_errors:
        col.error("Không tìm thấy bảng điểm trong tệp (cần cột «Họ và tên» và các cột điểm như TX1, GK, CK).")

    def write() -> None:
        for plan in plans:
            mark_service.save_marks(session, actor, plan.assignment, plan.inputs)

    written = write_all(session, col, options.dry_run, write)
    return col.report("marks", source.name, options.dry_run, read, written)
