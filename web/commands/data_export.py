"""``sodientu export statistics|class``: results for the Ministry's statistics, a class's marks for teachers."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import Engine

from records.db import session_scope
from web.cli import db_option, existing_folder
from web.commands.data_import import school_id
from web.passwords import signed_in_actor


@click.group("export")
def export_group() -> None:
    """Xuất dữ liệu: thống kê cho Bộ / Phòng GD&ĐT, bảng điểm của lớp."""


def _write(output: Path, data: bytes) -> None:
    output.write_bytes(data)


@export_group.command("statistics")
@click.option("--year", type=int, required=True, metavar="NĂM", help="Năm học bắt đầu, ví dụ 2025 cho 2025-2026.")
@click.option("--term", type=click.IntRange(1, 2), default=None, help="Học kì 1 hoặc 2 (mặc định: cả năm).")
@click.option("-o", "--output", callback=existing_folder, type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--json", "as_json", is_flag=True, help="Ghi JSON thay cho .xlsx.")
@click.option("--school", "school_code", default=None, metavar="MÃ")
@click.option("--as", "username", required=True, metavar="USERNAME", help="Tên đăng nhập của người xuất.")
@db_option
def statistics_cmd(engine: Engine, year: int, term: int | None, output: Path, as_json: bool,
                   school_code: str | None, username: str) -> None:
    """Xuất kết quả đánh giá (mỗi học sinh một dòng và trang tổng hợp) cho hệ thống thống kê."""
    from records.interop.common import resolve_school, resolve_year
    from records.interop.statistics import statistics

    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        school = resolve_school(session, school_id(session, school_code))
        export = statistics(session, actor, school, resolve_year(session, school, year), term)
        data = export.to_json() if as_json else export.to_xlsx()
        count = len(export.rows)
    _write(output, data)
    click.echo(f"Đã ghi {output}: {count} học sinh.")


@export_group.command("class")
@click.option("--class", "class_name", required=True, metavar="LỚP")
@click.option("--year", type=int, required=True, metavar="NĂM")
@click.option("--term", type=click.IntRange(1, 2), required=True)
@click.option("-o", "--output", callback=existing_folder, type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--school", "school_code", default=None, metavar="MÃ")
@click.option("--as", "username", required=True, metavar="USERNAME")
@db_option
def class_cmd(engine: Engine, class_name: str, year: int, term: int, output: Path, school_code: str | None,
              username: str) -> None:
    """Xuất bảng điểm và kết quả của một lớp (.xlsx, trình bày như sổ theo dõi)."""
    from records.errors import NotFoundError
    from records.interop.class_export import export_class
    from records.interop.common import classes_by_name, resolve_school, resolve_year
    from records.interop.sheets import fold

    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        school = resolve_school(session, school_id(session, school_code))
        school_year = resolve_year(session, school, year)
        klass = classes_by_name(session, school_year).get(fold(class_name))
        if klass is None:
            raise NotFoundError(f"Năm học {school_year.name} không có lớp {class_name}.", f"no class {class_name}")
        data = export_class(session, actor, klass, term)
    _write(output, data)
    click.echo(f"Đã ghi {output}.")


def register(cli: click.Group) -> None:
    cli.add_command(export_group)
