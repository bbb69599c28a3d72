"""``sodientu setup …``: setting up a year from the command line, through the services the screens use.

Every subcommand acts for a user named by ``--as`` whose password is asked (``SODIENTU_PASSWORD``
for scripts); the service checks that user's rights and traces the change. Only ``setup cutoff``
(a province's default mark cut-off day) is the installation's own setting. New passwords are
prompted or read from ``SODIENTU_NEW_PASSWORD``, never taken as arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from records.db import session_scope
from records.errors import ValidationError
from records.models import Role
from records.permissions import Actor
from records.services import lookups as find
from web.cli import db_option
from web.forms import parse_date
from web.passwords import new_password, signed_in_actor

NEW_PASSWORD_ENV = "SODIENTU_NEW_PASSWORD"
ROLE_CHOICE = click.Choice([r.value for r in Role])


@contextmanager
def acting(engine: Engine, username: str) -> Iterator[tuple[Session, Actor]]:
    """One unit of work, acting for ``username`` after checking their password."""
    with session_scope(engine) as session:
        yield session, signed_in_actor(session, username)


def as_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--as", "username", required=True, metavar="TÊN_ĐĂNG_NHẬP",
                        help="Người thực hiện (mật khẩu được hỏi, hoặc lấy từ SODIENTU_PASSWORD).")(func)


def school_year_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--year", "start_year", required=True, type=int, metavar="NĂM",
                        help="Năm bắt đầu của năm học (2025 = năm học 2025-2026).")(func)
    return click.option("--school", "school_code", required=True, metavar="MÃ_TRƯỜNG")(func)


@click.group("setup")
def setup_group() -> None:
    """Khai báo năm học: lịch, thông tư, môn học, lớp, tài khoản, phân công, chuyển năm học."""


# --- years ------------------------------------------------------------------------------------


@setup_group.command("year")
@school_year_options
@click.option("--starts-on", default=None, metavar="dd/mm/yyyy", help="Ngày khai giảng (mặc định 05/09).")
@click.option("--term1-ends-on", default=None, metavar="dd/mm/yyyy", help="Ngày kết thúc học kì I (mặc định 15/01).")
@click.option("--ends-on", default=None, metavar="dd/mm/yyyy", help="Ngày kết thúc năm học (mặc định 31/05).")
@click.option("--cutoff", default=None, metavar="dd/mm/yyyy",
              help="Ngày khóa điểm (mặc định: ngày của tỉnh, nếu không có thì 31/05).")
@as_option
@db_option
def year_cmd(engine: Engine, school_code: str, start_year: int, starts_on: str | None, term1_ends_on: str | None,
             ends_on: str | None, cutoff: str | None, username: str) -> None:
    """Tạo năm học (hai học kì, bốn khối với thông tư đánh giá và môn học mặc định) hoặc sửa ngày của năm học."""
    from records.errors import NotFoundError
    from records.services import setup

    with acting(engine, username) as (session, actor):
        school = find.school_by_code(session, school_code)
        try:
            year = find.year_of(session, school, start_year)
        except NotFoundError:
            year = setup.create_school_year(session, actor, school, start_year, starts_on=parse_date(starts_on),
                                            term1_ends_on=parse_date(term1_ends_on), ends_on=parse_date(ends_on),
                                            mark_cutoff=parse_date(cutoff))
            verb = "Đã tạo"
        else:
            term1 = find.term_of(session, year, 1)
            setup.update_school_year(
                session, actor, year, starts_on=parse_date(starts_on) or year.starts_on,
                term1_ends_on=parse_date(term1_ends_on) or term1.ends_on, ends_on=parse_date(ends_on) or year.ends_on,
                mark_cutoff=parse_date(cutoff) or year.mark_cutoff)
            verb = "Đã sửa"
        regimes = ", ".join(f"khối {g.level}: {g.regime.upper()}" for g in year.grades)
        click.echo(f"{verb} năm học {year.name}: {year.starts_on:%d/%m/%Y} – {year.ends_on:%d/%m/%Y}, "
                   f"khóa điểm {year.mark_cutoff:%d/%m/%Y}; {regimes}.")


@setup_group.command("regime")
@school_year_options
@click.option("--grade", "level", required=True, type=click.IntRange(6, 9))
@click.option("--regime", required=True, type=click.Choice(["tt58", "tt26", "tt22"]))
@as_option
@db_option
def regime_cmd(engine: Engine, school_code: str, start_year: int, level: int, regime: str, username: str) -> None:
    """Chọn thông tư đánh giá cho một khối trong năm học."""
    from records.services import setup

    with acting(engine, username) as (session, actor):
        year = find.year_of(session, find.school_by_code(session, school_code), start_year)
        setup.set_regime(session, actor, find.grade_of(session, year, level), regime)
    click.echo(f"Khối {level} năm học {start_year}-{start_year + 1}: {regime.upper()}.")


@setup_group.command("cutoff")
@click.option("--province", required=True, metavar="TỈNH")
@click.option("--day", required=True, metavar="dd/mm", help="Ngày khóa điểm hằng năm của tỉnh, ví dụ 25/05.")
@db_option
def cutoff_cmd(engine: Engine, province: str, day: str) -> None:
    """Ngày khóa điểm mặc định của một tỉnh (cài đặt của hệ thống; mặc định 31/05)."""
    from records.services import setup

    try:
        d, m = (int(p) for p in day.split("/"))
    except ValueError as exc:
        raise ValidationError("Ngày khóa điểm viết dd/mm, ví dụ 31/05.", f"bad day {day!r}") from exc
    with session_scope(engine) as session:
        setup.set_province_cutoff(session, Actor.system(f"ngày khóa điểm của {province}"), province, m, d)
    click.echo(f"Ngày khóa điểm mặc định của {province}: {d:02d}/{m:02d} hằng năm (áp dụng cho năm học tạo sau).")


@setup_group.command("subjects")
@school_year_options
@click.option("--grade", "level", required=True, type=click.IntRange(6, 9))
@click.option("--subjects", "codes", required=True, metavar="MÃ[:TIẾT],…",
              help="Các môn theo thứ tự trong sổ, ví dụ toan,ngu_van,cong_nghe:52.")
@as_option
@db_option
def subjects_cmd(engine: Engine, school_code: str, start_year: int, level: int, codes: str, username: str) -> None:
    """Môn học của một khối trong năm học (thứ tự in trong sổ, số tiết nếu khác mặc định)."""
    from records.services import setup

    entries: list[tuple[str, int | None]] = []
    for item in filter(None, (c.strip() for c in codes.split(","))):
        code, _, lessons = item.partition(":")
        if lessons and not lessons.isdigit():
            raise ValidationError(f"Số tiết “{lessons}” của môn {code} không hợp lệ.", f"bad lessons {item!r}")
        entries.append((code, int(lessons) if lessons else None))
    with acting(engine, username) as (session, actor):
        school = find.school_by_code(session, school_code)
        grade = find.grade_of(session, find.year_of(session, school, start_year), level)
        setup.ensure_subjects(session, actor, school)
        rows = setup.set_curriculum(session, actor, grade, entries)
    click.echo(f"Khối {level}: {len(rows)} môn.")


# --- classes, homeroom, assignments -------------------------------------------------------------


@setup_group.command("class")
@school_year_options
@click.option("--grade", "level", required=True, type=click.IntRange(6, 9))
@click.option("--name", required=True, metavar="TÊN_LỚP")
@click.option("--homeroom", default=None, metavar="TÊN_ĐĂNG_NHẬP", help="Giáo viên chủ nhiệm.")
@as_option
@db_option
def class_cmd(engine: Engine, school_code: str, start_year: int, level: int, name: str, homeroom: str | None,
              username: str) -> None:
    """Tạo lớp (có thể kèm giáo viên chủ nhiệm)."""
    from records.services import setup

    with acting(engine, username) as (session, actor):
        year = find.year_of(session, find.school_by_code(session, school_code), start_year)
        teacher = find.user_by_username(session, homeroom) if homeroom else None
        klass = setup.create_class(session, actor, find.grade_of(session, year, level), name, homeroom_teacher=teacher)
    click.echo(f"Đã tạo lớp {klass.name}" + (f", chủ nhiệm: {teacher.full_name}." if teacher else "."))


@setup_group.command("homeroom")
@school_year_options
@click.option("--class", "class_name", required=True, metavar="TÊN_LỚP")
@click.option("--teacher", required=True, metavar="TÊN_ĐĂNG_NHẬP")
@as_option
@db_option
def homeroom_cmd(engine: Engine, school_code: str, start_year: int, class_name: str, teacher: str,
                 username: str) -> None:
    """Phân công giáo viên chủ nhiệm của lớp."""
    from records.services import setup

    with acting(engine, username) as (session, actor):
        year = find.year_of(session, find.school_by_code(session, school_code), start_year)
        user = find.user_by_username(session, teacher)
        setup.set_homeroom_teacher(session, actor, find.class_of(session, year, class_name), user)
    click.echo(f"Lớp {class_name}: giáo viên chủ nhiệm {user.full_name}.")


def _assignment_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed((
        click.option("--class", "class_name", required=True, metavar="TÊN_LỚP"),
        click.option("--subject", "subject_code", required=True, metavar="MÃ_MÔN"),
        click.option("--term", required=True, type=click.IntRange(1, 2)),
        click.option("--teacher", required=True, metavar="TÊN_ĐĂNG_NHẬP"),
    )):
        func = option(func)
    return func


def _assignment(session: Session, school_code: str, start_year: int, class_name: str, subject_code: str,
                term: int, teacher: str) -> tuple[Any, Any, Any, Any]:
    """The class, subject, term and teacher an assignment names."""
    school = find.school_by_code(session, school_code)
    year = find.year_of(session, school, start_year)
    return (find.class_of(session, year, class_name), find.subject_by_code(session, school, subject_code),
            find.term_of(session, year, term), find.user_by_username(session, teacher))


@setup_group.command("assign")
@school_year_options
@_assignment_options
@as_option
@db_option
def assign_cmd(engine: Engine, school_code: str, start_year: int, class_name: str, subject_code: str, term: int,
               teacher: str, username: str) -> None:
    """Phân công giáo viên dạy một môn ở một lớp trong một học kì."""
    from records.services import setup

    with acting(engine, username) as (session, actor):
        setup.assign_teacher(session, actor, *_assignment(session, school_code, start_year, class_name,
                                                          subject_code, term, teacher))
    click.echo(f"Đã phân công {teacher}: {subject_code}, lớp {class_name}, học kì {term}.")


@setup_group.command("unassign")
@school_year_options
@_assignment_options
@as_option
@db_option
def unassign_cmd(engine: Engine, school_code: str, start_year: int, class_name: str, subject_code: str, term: int,
                 teacher: str, username: str) -> None:
    """Bỏ một phân công giảng dạy (khi giáo viên chưa nhập điểm theo phân công đó)."""
    from sqlalchemy import select

    from records.errors import NotFoundError
    from records.models import TeachingAssignment
    from records.services import setup

    with acting(engine, username) as (session, actor):
        klass, subject, term_, user = _assignment(session, school_code, start_year, class_name, subject_code, term,
                                                  teacher)
        row = session.scalars(select(TeachingAssignment).where(
            TeachingAssignment.class_id == klass.id, TeachingAssignment.subject_id == subject.id,
            TeachingAssignment.term_id == term_.id, TeachingAssignment.teacher_id == user.id)).one_or_none()
        if row is None:
            raise NotFoundError("Không có phân công này.", "no such assignment")
        setup.remove_assignment(session, actor, row)
    click.echo(f"Đã bỏ phân công {teacher}: {subject_code}, lớp {class_name}, học kì {term}.")


@setup_group.command("copy-assignments")
@school_year_options
@click.option("--from-term", required=True, type=click.IntRange(1, 2))
@click.option("--to-term", required=True, type=click.IntRange(1, 2))
@as_option
@db_option
def copy_assignments_cmd(engine: Engine, school_code: str, start_year: int, from_term: int, to_term: int,
                         username: str) -> None:
    """Chép phân công của một học kì sang học kì kia (những phân công chưa có)."""
    from records.services import setup

    with acting(engine, username) as (session, actor):
        year = find.year_of(session, find.school_by_code(session, school_code), start_year)
        rows = setup.copy_assignments(session, actor, find.term_of(session, year, from_term),
                                      find.term_of(session, year, to_term))
    click.echo(f"Đã chép {len(rows)} phân công sang học kì {to_term}.")


# --- accounts ---------------------------------------------------------------------------------


@setup_group.group("user")
def user_group() -> None:
    """Tài khoản: tạo, cấp / thu hồi vai trò, đặt lại mật khẩu, khóa / mở khóa."""


@user_group.command("add")
@click.option("--school", "school_code", required=True, metavar="MÃ_TRƯỜNG")
@click.option("--username", "new_username", required=True, metavar="TÊN_ĐĂNG_NHẬP")
@click.option("--full-name", required=True, metavar="HỌ_TÊN")
@click.option("--department", default=None, metavar="TỔ", help="Tổ chuyên môn.")
@click.option("--role", "roles", multiple=True, type=ROLE_CHOICE, help="Vai trò (có thể lặp lại).")
@as_option
@db_option
def user_add_cmd(engine: Engine, school_code: str, new_username: str, full_name: str, department: str | None,
                 roles: tuple[str, ...], username: str) -> None:
    """Tạo tài khoản cán bộ, giáo viên (mật khẩu ban đầu được hỏi hoặc lấy từ SODIENTU_NEW_PASSWORD)."""
    from records.services import accounts, setup

    password = new_password(NEW_PASSWORD_ENV, f"Mật khẩu ban đầu của {new_username}")
    with acting(engine, username) as (session, actor):
        school = find.school_by_code(session, school_code)
        user = setup.create_user(session, actor, username=new_username, full_name=full_name, school=school,
                                 department=department, roles=[Role(r) for r in roles])
        accounts.set_password(session, actor, user, password, must_change=True)
    click.echo(f"Đã tạo tài khoản {user.username} ({user.full_name}); đổi mật khẩu ở lần đăng nhập đầu.")


@user_group.command("role")
@click.option("--username", "target", required=True, metavar="TÊN_ĐĂNG_NHẬP")
@click.option("--grant", "grants", multiple=True, type=ROLE_CHOICE)
@click.option("--revoke", "revokes", multiple=True, type=ROLE_CHOICE)
@as_option
@db_option
def user_role_cmd(engine: Engine, target: str, grants: tuple[str, ...], revokes: tuple[str, ...],
                  username: str) -> None:
    """Cấp hoặc thu hồi vai trò trong trường của tài khoản."""
    from records.services import setup

    with acting(engine, username) as (session, actor):
        user = find.user_by_username(session, target)
        if user.school is None:
            raise ValidationError("Tài khoản cấp huyện do hệ thống cấp quyền.", "district user")
        for role in grants:
            setup.grant_role(session, actor, user, Role(role), school=user.school)
        for role in revokes:
            for grant in [g for g in user.grants if g.role == Role(role) and g.revoked_at is None]:
                setup.revoke_role(session, actor, grant)
    click.echo(f"Đã cập nhật vai trò của {target}.")


@user_group.command("reset-password")
@click.option("--username", "target", required=True, metavar="TÊN_ĐĂNG_NHẬP")
@as_option
@db_option
def user_reset_cmd(engine: Engine, target: str, username: str) -> None:
    """Đặt lại mật khẩu (người dùng phải đổi ở lần đăng nhập sau; các phiên đang mở bị đóng)."""
    from records.services import accounts

    password = new_password(NEW_PASSWORD_ENV, f"Mật khẩu mới của {target}")
    with acting(engine, username) as (session, actor):
        accounts.reset_password(session, actor, find.user_by_username(session, target), password)
    click.echo(f"Đã đặt lại mật khẩu của {target}.")


@user_group.command("disable")
@click.option("--username", "target", required=True, metavar="TÊN_ĐĂNG_NHẬP")
@click.option("--reason", default=None)
@click.option("--enable", is_flag=True, help="Mở khóa tài khoản.")
@as_option
@db_option
def user_disable_cmd(engine: Engine, target: str, reason: str | None, enable: bool, username: str) -> None:
    """Khóa tài khoản (giữ nguyên lịch sử) hoặc mở khóa với --enable."""
    from records.services import accounts

    with acting(engine, username) as (session, actor):
        accounts.set_active(session, actor, find.user_by_username(session, target), enable, reason)
    click.echo(f"Đã {'mở khóa' if enable else 'khóa'} tài khoản {target}.")


# --- the roll-over ----------------------------------------------------------------------------


@setup_group.command("rollover")
@click.option("--school", "school_code", required=True, metavar="MÃ_TRƯỜNG")
@click.option("--from-year", "start_year", required=True, type=int, metavar="NĂM")
@click.option("--move", "moves", multiple=True, metavar="MÃ_HS=LỚP",
              help="Xếp học sinh vào lớp khác (LỚP để trống: không xếp). Có thể lặp lại.")
@click.option("--apply", "apply_", is_flag=True, help="Thực hiện (không có: chỉ in đề xuất).")
@as_option
@db_option
def rollover_cmd(engine: Engine, school_code: str, start_year: int, moves: tuple[str, ...], apply_: bool,
                 username: str) -> None:
    """Chuyển năm học: lớp của năm sau từ danh sách lên lớp / ở lại lớp của năm nay."""
    from records.services import rollover, students

    with acting(engine, username) as (session, actor):
        school = find.school_by_code(session, school_code)
        moved: dict[int, str] = {}
        for item in moves:
            code, sep, target = item.partition("=")
            if not sep:
                raise ValidationError(f"“{item}” phải viết MÃ_HS=LỚP.", f"bad move {item!r}")
            moved[students.student_by_code(session, code).id] = target
        plan = rollover.plan_roll_over(session, actor, find.year_of(session, school, start_year),
                                       find.year_of(session, school, start_year + 1), moved)
        for name, members in plan.classes().items():
            click.echo(f"{name}: {len(members)} học sinh")
        for p in plan.placements:
            if p.target is None:
                click.echo(f"  {p.code} {p.full_name} ({p.from_class}): {p.decision_vi}")
        if apply_:
            report = rollover.apply_roll_over(session, actor, plan)
            click.echo(f"Đã tạo {len(report.classes_created)} lớp, xếp "
                       f"{sum(n for _, n in report.classes_filled)} học sinh vào {len(report.classes_filled)} lớp.")
        else:
            click.echo("Đây là đề xuất; thêm --apply để thực hiện.")


def register(cli: click.Group) -> None:
    cli.add_command(setup_group)
