"""Importing class lists (danh sách học sinh) from .xlsx or .csv.

Each row is a student; the class comes from a "Lớp" column, else from ``--class``, else from the title
("DANH SÁCH HỌC SINH LỚP 6A1 …"). A row is matched with a student already on record by the student
code when the file has one, else by full name and date of birth; a matched student whose data differ
is updated (a cell left empty never clears what is stored), one not yet on a roll this year is put on
the class roll. Importing the same file twice changes nothing.

The whole file is checked first; with any error nothing is written. Writes go through
``records.services.students`` and ``records.services.setup`` (rights, trace).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.errors import SodientuError
from records.interop.common import (
    ImportOptions,
    classes_by_name,
    resolve_school,
    resolve_year,
    unreadable,
    write_all,
)
from records.interop.report import Collector, ImportReport
from records.interop.sheets import (
    Field,
    Header,
    Sheet,
    SpreadsheetFile,
    class_in_title,
    find_header,
    fold,
    is_blank_row,
    parse_date,
    read_sheets,
    title_text,
    year_in_title,
)
from records.models import Class, Enrolment, Grade, School, SchoolYear, Student
from records.names import split_full_name
from records.permissions import Actor
from records.services import setup
from records.services import students as student_service

#: Columns of a class list, by the header texts schools use.
STUDENT_FIELDS: tuple[Field, ...] = (
    Field("number", "STT", ("Số thứ tự", "TT", "Số TT")),
    Field("code", "Mã học sinh", ("Mã HS", "Mã số học sinh", "Mã")),
    Field("moet_id", "Mã định danh", ("Mã định danh Bộ GD&ĐT", "Mã định danh học sinh", "Mã Bộ")),
    Field("citizen_id", "Số định danh cá nhân", ("Mã định danh cá nhân", "Số CCCD", "CCCD", "Căn cước công dân")),
    Field("full_name", "Họ và tên", ("Họ tên", "Họ và tên học sinh", "Họ tên học sinh")),
    Field("family_middle", "Họ và đệm", ("Họ đệm", "Họ và tên đệm", "Họ, đệm")),
    Field("family_name", "Họ", ()),
    Field("middle_name", "Tên đệm", ("Đệm",)),
    Field("given_name", "Tên", ()),
    Field("date_of_birth", "Ngày sinh", ("Ngày tháng năm sinh", "Ngày, tháng, năm sinh", "NS")),
    Field("gender", "Giới tính", ("Giới", "GT", "Phái")),
    Field("female", "Nữ", ()),
    Field("ethnicity", "Dân tộc", ("DT",)),
    Field("nationality", "Quốc tịch", ()),
    Field("place_of_birth", "Nơi sinh", ()),
    Field("hometown", "Quê quán", ("Nguyên quán",)),
    Field("permanent_address", "Địa chỉ thường trú", ("Hộ khẩu thường trú", "Thường trú", "Địa chỉ", "Nơi thường trú")),
    Field("current_address", "Chỗ ở hiện nay", ("Nơi ở hiện nay", "Địa chỉ hiện nay", "Chỗ ở hiện tại", "Tạm trú")),
    Field("policy_category", "Đối tượng chính sách", ("Diện chính sách", "Đối tượng")),
    Field("father_name", "Họ tên cha", ("Họ và tên cha", "Họ tên bố", "Họ và tên bố", "Cha", "Bố")),
    Field("father_occupation", "Nghề nghiệp của cha", ("Nghề nghiệp cha", "Nghề nghiệp bố", "Nghề cha", "Nghề bố")),
    Field("mother_name", "Họ tên mẹ", ("Họ và tên mẹ", "Mẹ")),
    Field("mother_occupation", "Nghề nghiệp của mẹ", ("Nghề nghiệp mẹ", "Nghề mẹ")),
    Field("guardian_name", "Người giám hộ", ("Họ tên người giám hộ", "Họ và tên người giám hộ")),
    Field("guardian_occupation", "Nghề nghiệp người giám hộ", ("Nghề nghiệp của người giám hộ",)),
    Field("register_number", "Số đăng bộ", ("Số ĐB",)),
    Field("course", "Khóa học", ("Khoá học", "Khóa")),
    Field("class_name", "Lớp", ("Tên lớp",)),
)
_LABELS = {f.key: f.label_vi for f in STUDENT_FIELDS}
#: Personal fields copied as text (cleaned, length-checked).
_TEXT_FIELDS = ("code", "moet_id", "citizen_id", "ethnicity", "nationality", "place_of_birth", "hometown",
                "permanent_address", "current_address", "policy_category", "father_name", "father_occupation",
                "mother_name", "mother_occupation", "guardian_name", "guardian_occupation", "register_number",
                "course")
_LIMITS = {c.name: c.type.length for c in Student.__table__.columns  # type: ignore[attr-defined]
           if getattr(c.type, "length", None)}
_GENDERS = {"nam": "Nam", "m": "Nam", "male": "Nam", "trai": "Nam", "nu": "Nữ", "f": "Nữ", "female": "Nữ",
            "gai": "Nữ"}
_FEMALE_MARKS = {"x", "nu", "1", "v", "co"}


def _is_name_char(char: str) -> bool:
    return unicodedata.category(char)[0] in ("L", "M") or char in " -'’."


@dataclass
class _Row:
    sheet: str
    row: int
    header: Header
    values: dict[str, Any]
    class_name: str | None
    klass: Class | None = None
    student: Student | None = None
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.values["family_name"], self.values["middle_name"],
                                    self.values["given_name"]) if p)


def _name_parts(sheet: Sheet, header: Header, row: int, col: Collector) -> tuple[str, str, str] | None:
    cols = header.columns

    def text(key: str) -> str:
        return sheet.text(row, cols[key]) or "" if key in cols else ""

    if "full_name" in cols:
        family, middle, given = split_full_name(text("full_name"))
        key = "full_name"
    elif "family_middle" in cols:
        family, middle, _ = split_full_name(text("family_middle") + " x")
        if not text("family_middle").strip():
            family = middle = ""
        given, key = text("given_name"), "given_name"
    else:
        family, middle, given, key = text("family_name"), text("middle_name"), text("given_name"), "given_name"
    full = " ".join(p for p in (family, middle, given) if p)
    if not given:
        col.error("Thiếu họ và tên học sinh.", row, _LABELS[key], header.cell(key, row))
        return None
    if not all(_is_name_char(c) for c in full) or not full[0].isalpha():
        col.error(f"Họ và tên «{full}» có kí tự không phải chữ cái (không nhận tên bắt đầu bằng = + - @ "
                  "hay chứa chữ số, kí hiệu).", row, _LABELS[key], header.cell(key, row))
        return None
    for part, name in ((family, "family_name"), (middle, "middle_name"), (given, "given_name")):
        if len(part) > _LIMITS[name]:
            col.error(f"Họ và tên dài quá {_LIMITS[name]} kí tự mỗi phần.", row, _LABELS[key], header.cell(key, row))
            return None
    return family, middle, given


def _gender(sheet: Sheet, header: Header, row: int, col: Collector) -> str | None:
    cols = header.columns
    if "gender" in cols:
        raw = sheet.text(row, cols["gender"])
        if raw is None:
            col.error("Thiếu giới tính (Nam hoặc Nữ).", row, _LABELS["gender"], header.cell("gender", row))
            return None
        value = _GENDERS.get(fold(raw))
        if value is None:
            col.error(f"Giới tính «{raw}» không hợp lệ (Nam hoặc Nữ).", row, _LABELS["gender"],
                      header.cell("gender", row))
        return value
    if "female" in cols:  # a "Nữ" column ticked with x
        raw = sheet.text(row, cols["female"])
        return "Nữ" if raw and fold(raw) in _FEMALE_MARKS else "Nam"
    col.error("Tệp không có cột «Giới tính» (hoặc cột «Nữ»).", row)
    return None


def _parse_row(sheet: Sheet, header: Header, row: int, class_name: str | None, col: Collector) -> _Row | None:
    cols = header.columns
    values: dict[str, Any] = {}
    errors_before = len(col.issues)
    names = _name_parts(sheet, header, row, col)
    if names is not None:
        values["family_name"], values["middle_name"], values["given_name"] = names
    if "date_of_birth" in cols:
        try:
            born = parse_date(sheet.value(row, cols["date_of_birth"]))
            if not dt.date(1990, 1, 1) <= born <= dt.date.today():
                col.error(f"Ngày sinh {born:%d/%m/%Y} không hợp lí.", row, _LABELS["date_of_birth"],
                          header.cell("date_of_birth", row))
            values["date_of_birth"] = born
        except SodientuError as error:
            col.error(error.message_vi, row, _LABELS["date_of_birth"], header.cell("date_of_birth", row))
    else:
        col.error("Tệp không có cột «Ngày sinh».", row)
    values["gender"] = _gender(sheet, header, row, col)
    for key in _TEXT_FIELDS:
        if key in cols:
            text = sheet.text(row, cols[key])
            if text is not None and len(text) > _LIMITS[key]:
                col.error(f"Dài quá {_LIMITS[key]} kí tự.", row, _LABELS[key], header.cell(key, row))
            elif text is not None:
                values[key] = text
    if "class_name" in cols:
        class_name = sheet.text(row, cols["class_name"]) or class_name
    if class_name is None:
        col.error("Không biết học sinh thuộc lớp nào: thêm cột «Lớp», ghi lớp ở dòng tiêu đề hoặc chọn lớp.", row)
    if len(col.issues) > errors_before and any(i.severity == "error" for i in col.issues[errors_before:]):
        return None
    return _Row(sheet.name, row, header, values, class_name)


def _is_data_row(sheet: Sheet, header: Header, row: int) -> bool:
    """A student row: numbered when there is an STT column, else a name and something else."""
    if is_blank_row(sheet, row):
        return False
    cols = header.columns
    if "number" in cols:
        number = sheet.value(row, cols["number"])
        return isinstance(number, int) or (isinstance(number, str) and number.strip().isdigit())
    filled = [k for k, c in cols.items() if sheet.value(row, c) is not None]
    return any(k in filled for k in ("full_name", "given_name")) and len(filled) >= 2


def _read_rows(sheets: list[Sheet], options: ImportOptions, col: Collector) -> tuple[list[_Row], int | None, int]:
    rows: list[_Row] = []
    title_year: int | None = None
    found = False
    read = 0
    for sheet in sheets:
        header = find_header(sheet, STUDENT_FIELDS, required_any=[("full_name", "given_name")])
        if header is None:
            continue
        found = True
        col.sheet = sheet.name if len(sheets) > 1 else None
        for c, text in header.unknown:
            col.warn(f"Cột «{text}» không được nhận ra, bỏ qua.", header.row)
        title = title_text(sheet, header.row)
        title_year = title_year or year_in_title(title)
        class_name = options.class_name or class_in_title(title)
        for r in range(header.row + 1, len(sheet.rows) + 1):
            if not _is_data_row(sheet, header, r):
                continue
            read += 1
            parsed = _parse_row(sheet, header, r, class_name, col)
            if parsed is not None:
                rows.append(parsed)
    col.sheet = None
    if not found:
        col.error("Không tìm thấy dòng tiêu đề của danh sách (cần ít nhất cột «Họ và tên» và «Ngày sinh»).")
    return rows, title_year, read


def _identity(full_name: str, born: dt.date) -> tuple[str, dt.date]:
    return " ".join(full_name.split()).casefold(), born


def _level_of(class_name: str) -> int | None:
    match = re.match(r"\s*([6-9])", class_name)
    return int(match.group(1)) if match else None


@dataclass
class _Plan:
    school: School
    year: SchoolYear
    new_classes: dict[str, tuple[str, int]] = field(default_factory=dict)  # folded name -> (name, level)
    create: list[_Row] = field(default_factory=list)
    update: list[_Row] = field(default_factory=list)
    enrol: dict[str, list[_Row]] = field(default_factory=lambda: defaultdict(list))  # folded class name


def _plan(session: Session, rows: list[_Row], school: School, year: SchoolYear, options: ImportOptions,
          col: Collector) -> _Plan:
    plan = _Plan(school, year)
    classes = classes_by_name(session, year)
    by_code = {s.code: s for s in session.scalars(select(Student).where(Student.school_id == school.id))}
    by_identity: dict[tuple[str, dt.date], list[Student]] = defaultdict(list)
    for student in by_code.values():
        by_identity[_identity(student.full_name, student.date_of_birth)].append(student)
    this_year = {e.student_id: (e, c) for e, c in session.execute(
        select(Enrolment, Class).join(Class, Class.id == Enrolment.class_id).join(Grade, Grade.id == Class.grade_id)
        .where(Grade.school_year_id == year.id))}
    roll_sizes: dict[int, int] = defaultdict(int)
    for _, klass in this_year.values():
        roll_sizes[klass.id] += 1
    seen: dict[object, int] = {}
    for item in rows:
        col.sheet = item.sheet if len({r.sheet for r in rows}) > 1 else None
        v = item.values
        assert item.class_name is not None
        key = fold(item.class_name)
        item.klass = classes.get(key)
        if item.klass is None and key not in plan.new_classes:
            level = _level_of(item.class_name)
            if options.create_classes and level is not None:
                plan.new_classes[key] = (item.class_name, level)
                col.change("create_class", f"Lớp {item.class_name} (khối {level})", item.row)
            else:
                col.error(f"Lớp «{item.class_name}» chưa có trong năm học {year.name}"
                          + (" (tên lớp phải bắt đầu bằng khối 6–9)." if level is None
                             else "; hãy tạo lớp trước hoặc chọn tạo lớp khi nhập."), item.row,
                          _LABELS["class_name"] if "class_name" in item.header.columns else None)
                continue
        identity = _identity(item.full_name, v["date_of_birth"])
        for dup_key in ((("code", v["code"]),) if v.get("code") else ()) + (("identity", identity),):
            if dup_key in seen:
                col.error(f"Học sinh {item.full_name} trùng với dòng {seen[dup_key]}.", item.row)
                break
            seen[dup_key] = item.row
        else:
            _match(item, by_code, by_identity, identity, plan, col)
            if item.student is not None and item.student.id in this_year:
                _, klass = this_year[item.student.id]
                if fold(klass.name) != key:
                    col.error(f"Học sinh {item.full_name} đã có tên trong lớp {klass.name} năm học {year.name}.",
                              item.row)
                continue
            if item.klass is not None and roll_sizes[item.klass.id]:
                col.error(f"Lớp {item.klass.name} đã được đánh số thứ tự ({roll_sizes[item.klass.id]} học sinh): "
                          f"học sinh {item.full_name} đến sau phải được tiếp nhận (chuyển đến) vào cuối danh sách.",
                          item.row)
                continue
            plan.enrol[key].append(item)
            col.change("enrol", f"{item.full_name} vào lớp {item.class_name}", item.row)
    col.sheet = None
    return plan


def _match(item: _Row, by_code: dict[str, Student], by_identity: dict[tuple[str, dt.date], list[Student]],
           identity: tuple[str, dt.date], plan: _Plan, col: Collector) -> None:
    v = item.values
    student = by_code.get(v["code"]) if v.get("code") else None
    if student is None and not v.get("code"):
        candidates = by_identity.get(identity, [])
        if len(candidates) > 1:
            col.error(f"Có {len(candidates)} học sinh cùng tên {item.full_name} và ngày sinh: cần cột «Mã học sinh».",
                      item.row)
            return
        student = candidates[0] if candidates else None
    if student is None:
        plan.create.append(item)
        col.change("create", f"Học sinh {item.full_name} ({v['date_of_birth']:%d/%m/%Y}), lớp {item.class_name}",
                   item.row)
        return
    item.student = student
    item.changes = {k: value for k, value in v.items() if value is not None and getattr(student, k) != value
                    and not (k == "gender" and getattr(student, k).value == value)}
    if item.changes:
        plan.update.append(item)
        fields = ", ".join(_LABELS.get(k, k) for k in item.changes)
        col.change("update", f"Học sinh {student.full_name} ({student.code}): {fields}", item.row)
    else:
        col.change("unchanged", f"Học sinh {student.full_name} ({student.code})", item.row)


def _new_codes(session: Session, school: School, year: SchoolYear, count: int) -> list[str]:
    prefix = f"{school.code}{year.start_year % 100:02d}"
    taken = set(session.scalars(select(Student.code).where(Student.code.like(f"{prefix}%"))))
    codes: list[str] = []
    n = 0
    while len(codes) < count:
        n += 1
        code = f"{prefix}{n:04d}"
        if code not in taken:
            codes.append(code)
    return codes


def _write(session: Session, actor: Actor, plan: _Plan) -> None:
    classes = classes_by_name(session, plan.year)
    grades = {g.level: g for g in session.scalars(select(Grade).where(Grade.school_year_id == plan.year.id))}
    for key, (name, level) in plan.new_classes.items():
        classes[key] = setup.create_class(session, actor, grades[level], name)
    codes = iter(_new_codes(session, plan.school, plan.year, sum(1 for r in plan.create if not r.values.get("code"))))
    rows = []
    for item in plan.create:
        values = dict(item.values)
        if not values.get("code"):
            values["code"] = next(codes)
        rows.append(values)
    for item, student in zip(plan.create, student_service.add_students(session, actor, plan.school, rows),
                             strict=True):
        item.student = student
    for item in plan.update:
        assert item.student is not None
        student_service.update_student(session, actor, item.student, **item.changes)
    for key, items in plan.enrol.items():
        student_service.enrol_class(session, actor, classes[key], [i.student for i in items if i.student])


def import_students(session: Session, actor: Actor, source: SpreadsheetFile,
                    options: ImportOptions | None = None) -> ImportReport:
    """Import a class list: check every row, then (unless a dry run or any error) create, update, enrol."""
    options = options or ImportOptions()
    try:
        sheets = read_sheets(source)
        school = resolve_school(session, options.school_id)
    except SodientuError as error:
        return unreadable("students", source, options, error)
    col = Collector()
    rows, title_year, read = _read_rows(sheets, options, col)
    try:
        year = resolve_year(session, school, options.start_year or title_year)
    except SodientuError as error:
        col.error(error.message_vi)
        return col.report("students", source.name, options.dry_run, read, False)
    plan = _plan(session, rows, school, year, options, col)
    written = write_all(session, col, options.dry_run, lambda: _write(session, actor, plan))
    return col.report("students", source.name, options.dry_run, read, written)
