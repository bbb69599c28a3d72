"""``sodientu init``: a new school in a new (or existing) database, with its first administrator."""

from __future__ import annotations

import click
from sqlalchemy import Engine

from web.cli import db_option
from web.passwords import ADMIN_PASSWORD_ENV, new_password


@click.command("init")
@click.option("--school-code", required=True, metavar="MÃ", help="Mã trường (duy nhất).")
@click.option("--school-name", required=True, metavar="TÊN", help="Tên trường, ví dụ “Trường THCS Tô Hiệu”.")
@click.option("--district", required=True, metavar="HUYỆN", help="Quận / huyện / thị xã / thành phố.")
@click.option("--province", required=True, metavar="TỈNH", help="Tỉnh / thành phố trực thuộc trung ương.")
@click.option("--managing-office", default=None, metavar="TÊN",
              help="Cơ quan quản lí (mặc định: Phòng Giáo dục và Đào tạo <huyện>).")
@click.option("--admin", "admin_username", required=True, metavar="TÊN_ĐĂNG_NHẬP",
              help="Tên đăng nhập của quản trị hệ thống đầu tiên.")
@click.option("--admin-name", "admin_full_name", default=None, metavar="HỌ_TÊN",
              help="Họ tên của quản trị hệ thống (mặc định: “Quản trị hệ thống”).")
@db_option(create=True)
def init_cmd(engine: Engine, school_code: str, school_name: str, district: str, province: str,
             managing_office: str | None, admin_username: str, admin_full_name: str | None) -> None:
    """Khởi tạo trường: tạo cơ sở dữ liệu, trường, cơ quan quản lí và tài khoản quản trị đầu tiên.

    Mật khẩu quản trị được hỏi (không hiện trên màn hình) hoặc đọc từ biến môi trường
    SODIENTU_ADMIN_PASSWORD; không bao giờ nhận mật khẩu qua tham số dòng lệnh.
    """
    from sqlalchemy import select

    from records.db import session_scope, upgrade
    from records.models import School
    from records.services import setup

    upgrade(engine)
    with session_scope(engine) as session:
        existing = session.scalars(select(School).where(School.code == school_code.strip())).one_or_none()
        if existing is not None:
            click.echo(f"Trường mã {existing.code} ({existing.name}) đã có trong cơ sở dữ liệu: không thay đổi gì.")
            return
    password = new_password(ADMIN_PASSWORD_ENV, f"Mật khẩu cho {admin_username}")
    with session_scope(engine) as session:
        done = setup.initialise_school(
            session, code=school_code, name=school_name, district=district, province=province,
            managing_office=managing_office, admin_username=admin_username,
            admin_full_name=admin_full_name or "Quản trị hệ thống", admin_password=password)
        school, admin = done.school, done.admin
        assert admin is not None
        click.echo(f"Đã khởi tạo {school.name} (mã {school.code}), {school.district}, {school.province}; "
                   f"cơ quan quản lí: {school.managing_office}.")
        click.echo(f"Tài khoản quản trị: {admin.username}.")
    click.echo("Chạy máy chủ: sodientu serve   rồi mở http://127.0.0.1:8000/dang-nhap")


def register(cli: click.Group) -> None:
    cli.add_command(init_cmd)
