"""Importing the teachers (danh sách giáo viên) and the teaching assignments (phân công chuyên môn).

Teachers: "Họ và tên", optionally "Tên đăng nhập", "Tổ chuyên môn", "Chức vụ"/"Vai trò" (default:
Giáo viên bộ môn). A row is matched with a user of the school by login name, else by full name; a
missing login name is made from the name ("Nguyễn Văn An" → "annv", then "annv2"…). Users are created
and roles granted through ``records.services.setup`` (administrator).

Assignments: "Giáo viên" (login name or full name), "Lớp", "Môn", optionally "Học kì" (I, II, 1, 2 or
"Cả năm"; default both terms). Existing assignments are left as they are; new ones are declared
through ``setup.assign_teachers``.

As every import: the whole file is checked first, nothing is written unless it is all valid, a dry run
shows what would change, and importing the same file twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.demo.generator import username_for  # one rule for login names, demo and import
from records.errors import SodientuError
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
    Field,
    Header,
    Sheet,
    SpreadsheetFile,
    find_header,
    fold,
    is_blank_row,
    read_sheets,
)
from records.models import ROLE_LABELS, Role, RoleGrant, School, TeachingAssignment, User
from records.permissions import Actor
from records.services import setup

TEACHER_FIELDS: tuple[Field, ...] = (
    Field("number", "STT", ("TT", "Số thứ tự")),
    Field("full_name", "Họ và tên", ("Họ tên", "Họ và tên giáo viên", "Giáo viên")),
    Field("username", "Tên đăng nhập", ("Tài khoản", "Username", "Login")),
    Field("department", "Tổ chuyên môn", ("Tổ", "Tổ CM")),
    Field("role", "Chức vụ", ("Vai trò", "Nhiệm vụ")),
)
ASSIGNMENT_FIELDS: tuple[Field, ...] = (
    Field("number", "STT", ("TT",)),
    Field("teacher", "Giáo viên", ("Họ và tên", "Họ tên", "Tên đăng nhập", "Giáo viên giảng dạy")),
    Field("class_name", "Lớp", ("Tên lớp",)),
    Field("subject", "Môn", ("Môn học", "Môn dạy")),
    Field("term", "Học kì", ("Học kỳ", "HK")),
)
_ROLES = {fold(label): role for role, label in ROLE_LABELS.items()} | {
    "gvbm": Role.SUBJECT_TEACHER, "giaovien": Role.SUBJECT_TEACHER, "gvcn": Role.HOMEROOM_TEACHER,
    "tocm": Role.HEAD_OF_DEPARTMENT, "totruong": Role.HEAD_OF_DEPARTMENT, "ht": Role.PRINCIPAL,
    "pht": Role.VICE_PRINCIPAL, "vanthu": Role.OFFICE, "qtht": Role.ADMINISTRATOR}


def _sheets(source: SpreadsheetFile, fields: tuple[Field, ...], required: str,
            col: Collector) -> list[tuple[Sheet, Header]]:
    found = []
    for sheet in read_sheets(source):
        header = find_header(sheet, fields, required_any=[(required,)])
        if header is not None:
            found.append((sheet, header))
    if not found:
        labels = ", ".join(f"«{f.label_vi}»" for f in fields if f.key != "number")
        col.error(f"Không tìm thấy dòng tiêu đề (các cột {labels}).")
    return found


def _rows(sheet: Sheet, header: Header, key: str) -> list[int]:
    return [r for r in range(header.row + 1, len(sheet.rows) + 1)
            if not is_blank_row(sheet, r) and sheet.text(r, header.columns[key])]


@dataclass
class _Teacher:
    row: int
    full_name: str
    username: str | None
    department: str | None
    roles: tuple[Role, ...]
    user: User | None = None


def import_teachers(session: Session, actor: Actor, source: SpreadsheetFile,
                    options: ImportOptions | None = None) -> ImportReport:
    """Import the school's teachers: create users, grant roles, leave the others as they are."""
    options = options or ImportOptions()
    try:
        school = resolve_school(session, options.school_id)
        col = Collector()
        sheets = _sheets(source, TEACHER_FIELDS, "full_name", col)
    except SodientuError as error:
        return unreadable("teachers", source, options, error)
    users = list(session.scalars(select(User).where(User.school_id == school.id)))
    by_username = {u.username: u for u in users}
    by_name: dict[str, list[User]] = {}
    for u in users:
        by_name.setdefault(u.full_name.casefold(), []).append(u)
    held = {(g.user_id, Role(g.role)) for g in session.scalars(select(RoleGrant).where(
        RoleGrant.school_id == school.id, RoleGrant.revoked_at.is_(None)))}
    taken = set(session.scalars(select(User.username)))
    plan: list[_Teacher] = []
    read = 0
    seen: dict[str, int] = {}
    for sheet, header in sheets:
        cols = header.columns
        for r in _rows(sheet, header, "full_name"):
            read += 1
            full = sheet.text(r, cols["full_name"]) or ""
            if not all(c.isalpha() or c in " -'." for c in full) or not full[0].isalpha():
                col.error(f"Họ và tên «{full}» có kí tự không phải chữ cái.", r, "Họ và tên", header.cell("full_name", r))
                continue
            username = (sheet.text(r, cols["username"]) or "").lower() if "username" in cols else ""
            roles: list[Role] = []
            if "role" in cols and sheet.text(r, cols["role"]):
                for part in (sheet.text(r, cols["role"]) or "").replace(";", ",").split(","):
                    role = _ROLES.get(fold(part))
                    if role is None:
                        col.error(f"Chức vụ «{part.strip()}» không nhận ra (ví dụ: Giáo viên bộ môn, Tổ trưởng "
                                  "chuyên môn, Phó hiệu trưởng).", r, "Chức vụ", header.cell("role", r))
                    else:
                        roles.append(role)
            key = username or full.casefold()
            if key in seen:
                col.error(f"Giáo viên {full} trùng với dòng {seen[key]}.", r)
                continue
            seen[key] = r
            department = sheet.text(r, cols["department"]) if "department" in cols else None
            item = _Teacher(r, full, username or None, department, tuple(roles or [Role.SUBJECT_TEACHER]))
            item.user = by_username.get(username) if username else None
            if item.user is None and not username:
                matches = by_name.get(full.casefold(), [])
                if len(matches) > 1:
                    col.error(f"Có {len(matches)} người dùng tên {full}: cần cột «Tên đăng nhập».", r)
                    continue
                item.user = matches[0] if matches else None
            if item.user is None:
                if item.username is None:
                    item.username = username_for(full, taken)
                elif item.username in taken:
                    col.error(f"Tên đăng nhập {item.username} đã được dùng.", r, "Tên đăng nhập",
                              header.cell("username", r))
                    continue
                col.change("create", f"Giáo viên {full} ({item.username}): "
                           + ", ".join(x.label_vi for x in item.roles), r)
            else:
                missing = [x for x in item.roles if (item.user.id, x) not in held]
                item.roles = tuple(missing)
                col.change("grant" if missing else "unchanged", f"{item.user.full_name} ({item.user.username})"
                           + (": " + ", ".join(x.label_vi for x in missing) if missing else ""), r)
            plan.append(item)

    def write() -> None:
        for item in plan:
            if item.user is None:
                setup.create_user(session, actor, username=item.username or "", full_name=item.full_name,
                                  school=school, department=item.department, roles=item.roles)
            else:
                for role in item.roles:
                    setup.grant_role(session, actor, item.user, role, school=school)

    written = write_all(session, col, options.dry_run, write)
    return col.report("teachers", source.name, options.dry_run, read, written)


def _teacher(session: Session, school: School, text: str) -> User | None:
    user = session.scalars(select(User).where(User.username == text.lower(), User.school_id == school.id)).first()
    if user is not None:
        return user
    found = [u for u in session.scalars(select(User).where(User.school_id == school.id))
             if u.full_name.casefold() == text.casefold()]
    return found[0] if len(found) == 1 else None


def _terms(text: str | None, default: int | None) -> tuple[int, ...] | None:
    if not text:
        return (default,) if default else (1, 2)
    key = fold(text)
    return {"1": (1,), "i": (1,), "hk1": (1,), "hki": (1,), "hocki": (1,), "2": (2,), "ii": (2,), "hk2": (2,),
            "hkii": (2,), "hockiii": (2,), "canam": (1, 2), "ca": (1, 2)}.get(key)


def import_assignments(session: Session, actor: Actor, source: SpreadsheetFile,
                       options: ImportOptions | None = None) -> ImportReport:
    """Import teaching assignments (who teaches which subject in which class, which term)."""
    options = options or ImportOptions()
    try:
        school = resolve_school(session, options.school_id)
        year = resolve_year(session, school, options.start_year)
        col = Collector()
        sheets = _sheets(source, ASSIGNMENT_FIELDS, "teacher", col)
    except SodientuError as error:
        return unreadable("assignments", source, options, error)
    terms = {n: term_of(session, year, n) for n in (1, 2)}
    classes = classes_by_name(session, year)
    subjects = subject_lookup(session, school)
    existing = {(a.teacher_id, a.class_id, a.subject_id, a.term_id) for a in session.scalars(
        select(TeachingAssignment).where(TeachingAssignment.term_id.in_([t.id for t in terms.values()])))}
    specs: list[setup.AssignmentSpec] = []
    read = 0
    for sheet, header in sheets:
        cols = header.columns
        for r in _rows(sheet, header, "teacher"):
            read += 1
            name = sheet.text(r, cols["teacher"]) or ""
            teacher = _teacher(session, school, name)
            class_text = sheet.text(r, cols["class_name"]) if "class_name" in cols else options.class_name
            subject_text = sheet.text(r, cols["subject"]) if "subject" in cols else options.subject
            klass = classes.get(fold(class_text)) if class_text else None
            subject = subjects.get(fold(subject_text)) if subject_text else None
            numbers = _terms(sheet.text(r, cols["term"]) if "term" in cols else None, options.term)
            for ok, field, message in (
                    (teacher is not None, "teacher", f"Không tìm thấy giáo viên «{name}» của trường."),
                    (klass is not None, "class_name", f"Lớp «{class_text or ''}» không có trong năm học {year.name}."),
                    (subject is not None, "subject", f"Môn «{subject_text or ''}» không nhận ra."),
                    (numbers is not None, "term", "Học kì phải là I, II hoặc Cả năm.")):
                if not ok:
                    label = next(f.label_vi for f in ASSIGNMENT_FIELDS if f.key == field)
                    col.error(message, r, label, header.cell(field, r) if field in cols else None)
            if teacher is None or klass is None or subject is None or numbers is None:
                continue
            for n in numbers:
                key = (teacher.id, klass.id, subject.id, terms[n].id)
                what = f"{teacher.full_name}: {subject.name}, lớp {klass.name}, {terms[n].name}"
                if key in existing:
                    col.change("unchanged", what, r)
                    continue
                existing.add(key)
                specs.append(setup.AssignmentSpec(*key))
                col.change("assign", what, r)
    written = write_all(session, col, options.dry_run, lambda: setup.assign_teachers(session, actor, specs))
    return col.report("assignments", source.name, options.dry_run, read, written)
