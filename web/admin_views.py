"""The administrator's screens: the school, its years, classes, subjects, staff, assignments, roll-over.

Every screen goes through ``records.services`` (setup, accounts, rollover, setup_view): the same
functions the ``sodientu setup`` commands call, so rights are checked and every change is traced
either way. Views parse the form, call one service, and redirect back with a message.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, request, url_for
from werkzeug.wrappers import Response

from records.errors import ValidationError
from records.models import Class, Role, School, SchoolYear, Subject, TeachingAssignment, Term, User
from records.services import accounts, rollover, setup, setup_view
from web.app import db
from web.auth import role_page
from web.forms import attempt, date_field, int_field, parse_date, text_field

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")
admin_page = role_page(Role.ADMINISTRATOR)


def _school_id() -> int:
    ids = [grant.school_id for grant in g.actor.grants if grant.role is Role.ADMINISTRATOR and grant.school_id]
    if not ids:
        abort(403)
    return ids[0]


def _row(model: type, ident: int) -> Any:
    row = db().get(model, ident)
    if row is None:
        abort(404)
    return row


# --- the school and its years -----------------------------------------------------------------


@bp.get("")
@admin_page
def home() -> Any:
    """The school, its years, and the form for a new year."""
    school = setup_view.school_setup(db(), g.actor, _school_id())
    next_start = (school.years[0].start_year + 1) if school.years else None
    return render_template("admin/home.html", school=school, next_start=next_start)


@bp.post("/nam-hoc")
@admin_page
def create_year() -> Response:
    """Open a school year (two terms, four grades with their regulation and default subjects)."""
    school = _row(School, _school_id())
    start = int_field("start_year", "Năm bắt đầu")
    created: list[SchoolYear] = []

    def change() -> None:
        created.append(setup.create_school_year(
            db(), g.actor, school, start, starts_on=parse_date(request.form.get("starts_on")),
            term1_ends_on=parse_date(request.form.get("term1_ends_on")),
            ends_on=parse_date(request.form.get("ends_on")), mark_cutoff=parse_date(request.form.get("mark_cutoff"))))

    response = attempt(change, f"Đã tạo năm học {start}-{start + 1}.", url_for("admin.home"))
    if created:
        response.location = url_for("admin.year", year_id=created[0].id)
    return response


@bp.get("/nam-hoc/<int:year_id>")
@admin_page
def year(year_id: int) -> Any:
    """A year: dates, grades (regulation, subjects), classes, assignments between terms, roll-over."""
    return render_template("admin/year.html", y=setup_view.year_setup(db(), g.actor, year_id))


@bp.post("/nam-hoc/<int:year_id>/ngay")
@admin_page
def year_dates(year_id: int) -> Response:
    """Change the year's dates and mark cut-off."""
    row = _row(SchoolYear, year_id)
    return attempt(lambda: setup.update_school_year(
        db(), g.actor, row, starts_on=date_field("starts_on", "ngày bắt đầu"),
        term1_ends_on=date_field("term1_ends_on", "ngày kết thúc học kì I"),
        ends_on=date_field("ends_on", "ngày kết thúc năm học"), mark_cutoff=date_field("mark_cutoff", "ngày khóa điểm")),
        "Đã lưu lịch năm học.", url_for("admin.year", year_id=year_id))


def _grade(year_id: int, level: int) -> Any:
    from records.services import lookups

    return lookups.grade_of(db(), _row(SchoolYear, year_id), level)


@bp.post("/nam-hoc/<int:year_id>/khoi/<int:level>/thong-tu")
@admin_page
def grade_regime(year_id: int, level: int) -> Response:
    """Set the regulation of a grade."""
    regime = request.form.get("regime", "")
    return attempt(lambda: setup.set_regime(db(), g.actor, _grade(year_id, level), regime),
                   f"Khối {level}: {regime.upper()}.", url_for("admin.year", year_id=year_id))


@bp.route("/nam-hoc/<int:year_id>/khoi/<int:level>/mon", methods=["GET", "POST"])
@admin_page
def curriculum(year_id: int, level: int) -> Any:
    """The subjects a grade studies, in book order, with lessons per year."""
    back = url_for("admin.curriculum", year_id=year_id, level=level)
    if request.method == "POST":
        codes = request.form.getlist("subject")
        entries: list[tuple[str, int | None]] = []
        for code in codes:
            raw = (request.form.get(f"lessons_{code}") or "").strip()
            if raw and not raw.isdigit():
                raise ValidationError(f"Số tiết “{raw}” không hợp lệ.", f"bad lessons {raw!r}")
            entries.append((code, int(raw) if raw else None))
        return attempt(lambda: setup.set_curriculum(db(), g.actor, _grade(year_id, level), entries),
                       f"Đã lưu {len(entries)} môn của khối {level}.", back)
    grade, lines = setup_view.curriculum_of(db(), g.actor, year_id, level)
    return render_template("admin/curriculum.html", grade=grade, lines=lines, year_id=year_id)


@bp.post("/nam-hoc/<int:year_id>/lop")
@admin_page
def create_class(year_id: int) -> Response:
    """Create a class of a grade, optionally with its homeroom teacher."""
    level = int_field("level", "Khối")
    name = text_field("name", "tên lớp")
    teacher_id = request.form.get("homeroom_teacher_id", type=int)
    teacher = _row(User, teacher_id) if teacher_id else None
    return attempt(lambda: setup.create_class(db(), g.actor, _grade(year_id, level), name, homeroom_teacher=teacher),
                   f"Đã tạo lớp {name}.", url_for("admin.year", year_id=year_id))


@bp.post("/nam-hoc/<int:year_id>/chep-phan-cong")
@admin_page
def copy_assignments(year_id: int) -> Response:
    """Carry term I's assignments over to term II."""
    terms = {t.number: t for t in db().query(Term).filter(Term.school_year_id == year_id)}
    if len(terms) != 2:
        abort(404)
    done: list[int] = []
    return attempt(lambda: done.append(len(setup.copy_assignments(db(), g.actor, terms[1], terms[2]))),
                   "Đã chép phân công học kì I sang học kì II.", url_for("admin.year", year_id=year_id))


# --- a class ----------------------------------------------------------------------------------


@bp.get("/lop/<int:class_id>")
@admin_page
def klass(class_id: int) -> Any:
    """A class: homeroom teacher and teaching assignments."""
    return render_template("admin/class.html", c=setup_view.class_setup(db(), g.actor, class_id))


@bp.post("/lop/<int:class_id>/chu-nhiem")
@admin_page
def homeroom(class_id: int) -> Response:
    """Set the homeroom teacher of a class."""
    row = _row(Class, class_id)
    teacher = _row(User, int_field("teacher_id", "Giáo viên chủ nhiệm"))
    return attempt(lambda: setup.set_homeroom_teacher(db(), g.actor, row, teacher),
                   f"Lớp {row.name}: chủ nhiệm {teacher.full_name}.", url_for("admin.klass", class_id=class_id))


@bp.post("/lop/<int:class_id>/phan-cong")
@admin_page
def assign(class_id: int) -> Response:
    """Assign a teacher to a subject of the class for a term."""
    row = _row(Class, class_id)
    subject = _row(Subject, int_field("subject_id", "Môn học"))
    term = _row(Term, int_field("term_id", "Học kì"))
    teacher = _row(User, int_field("teacher_id", "Giáo viên"))
    return attempt(lambda: setup.assign_teacher(db(), g.actor, row, subject, term, teacher),
                   f"Đã phân công {teacher.full_name} dạy {subject.name} ({term.name}).",
                   url_for("admin.klass", class_id=class_id))


@bp.post("/phan-cong/<int:assignment_id>/xoa")
@admin_page
def unassign(assignment_id: int) -> Response:
    """Withdraw a teaching assignment without marks."""
    row = _row(TeachingAssignment, assignment_id)
    return attempt(lambda: setup.remove_assignment(db(), g.actor, row), "Đã bỏ phân công.",
                   url_for("admin.klass", class_id=row.class_id))


# --- accounts ---------------------------------------------------------------------------------


@bp.get("/tai-khoan")
@admin_page
def users() -> Any:
    """The school's accounts and the form for a new one."""
    return render_template("admin/users.html", staff=setup_view.accounts_of(db(), g.actor, _school_id()),
                           roles=[r for r in Role if r is not Role.INSPECTOR])


@bp.post("/tai-khoan")
@admin_page
def create_user() -> Response:
    """Create an account with its roles and a first password (to be changed at first sign-in)."""
    school = _row(School, _school_id())
    username, full_name = text_field("username", "tên đăng nhập"), text_field("full_name", "họ tên")
    password = request.form.get("password", "")
    roles = [Role(r) for r in request.form.getlist("roles") if r in {x.value for x in Role} and r != "inspector"]

    def change() -> None:
        user = setup.create_user(db(), g.actor, username=username, full_name=full_name, school=school,
                                 department=request.form.get("department") or None, roles=roles)
        accounts.set_password(db(), g.actor, user, password, must_change=True)

    return attempt(change, f"Đã tạo tài khoản {username.lower()}.", url_for("admin.users"))


@bp.get("/tai-khoan/<int:user_id>")
@admin_page
def user(user_id: int) -> Any:
    """One account: roles, password reset, disabling."""
    return render_template("admin/user.html", u=setup_view.account(db(), g.actor, user_id),
                           roles=[r for r in Role if r is not Role.INSPECTOR])


@bp.post("/tai-khoan/<int:user_id>/vai-tro")
@admin_page
def user_roles(user_id: int) -> Response:
    """Grant the ticked roles, revoke the others."""
    row: User = _row(User, user_id)
    wanted = {Role(r) for r in request.form.getlist("roles") if r in {x.value for x in Role} and r != "inspector"}

    return attempt(lambda: setup.set_roles(db(), g.actor, row, wanted), "Đã cập nhật vai trò.", url_for("admin.user", user_id=user_id))


@bp.post("/tai-khoan/<int:user_id>/mat-khau")
@admin_page
def user_reset(user_id: int) -> Response:
    """Reset the password (the user changes it at next sign-in; their open sessions end)."""
    row = _row(User, user_id)
    password = request.form.get("password", "")
    return attempt(lambda: accounts.reset_password(db(), g.actor, row, password),
                   "Đã đặt lại mật khẩu; người dùng phải đổi mật khẩu ở lần đăng nhập sau.",
                   url_for("admin.user", user_id=user_id))


@bp.post("/tai-khoan/<int:user_id>/khoa")
@admin_page
def user_active(user_id: int) -> Response:
    """Disable (keeping the history) or enable an account."""
    row = _row(User, user_id)
    enable = request.form.get("enable") == "1"
    return attempt(lambda: accounts.set_active(db(), g.actor, row, enable, request.form.get("reason") or None),
                   "Đã mở khóa tài khoản." if enable else "Đã khóa tài khoản.", url_for("admin.user", user_id=user_id))


# --- the roll-over ----------------------------------------------------------------------------


@bp.route("/nam-hoc/<int:year_id>/len-lop", methods=["GET", "POST"])
@admin_page
def roll_over(year_id: int) -> Any:
    """Next year's classes from the previous year's promotion lists, adjusted by the administrator."""
    to_year = _row(SchoolYear, year_id)
    from_year = db().query(SchoolYear).filter(SchoolYear.school_id == to_year.school_id,
                                              SchoolYear.start_year == to_year.start_year - 1).one_or_none()
    if from_year is None:
        raise ValidationError("Chưa có năm học trước để chuyển lên.", "no previous year")
    moves: dict[int, str] = {}
    if request.method == "POST":
        for key, value in request.form.items():
            if key.startswith("to_") and key[3:].isdigit():
                moves[int(key[3:])] = value
    plan = rollover.plan_roll_over(db(), g.actor, from_year, to_year)
    if moves:
        proposed = {p.student_id: p.target or "" for p in plan.placements if p.decision in (rollover.PROMOTED,
                                                                                              rollover.REPEAT)}
        changed = {sid: target for sid, target in moves.items() if sid in proposed and proposed[sid] != target}
        plan = rollover.plan_roll_over(db(), g.actor, from_year, to_year, changed)
    if request.method == "POST" and request.form.get("apply") == "1":
        report: list[rollover.RollOverReport] = []
        return attempt(lambda: report.append(rollover.apply_roll_over(db(), g.actor, plan)),
                       f"Đã xếp lớp năm học {to_year.name} từ danh sách lên lớp năm học {from_year.name}.",
                       url_for("admin.year", year_id=year_id))
    targets = sorted({p.target for p in plan.placements if p.target})
    return render_template("admin/rollover.html", plan=plan, targets=targets, year_id=year_id)
