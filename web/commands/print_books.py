"""``sodientu print …``: print books to PDF.

Subcommands here: ``transcript`` (Học bạ, one year or the bound volume) and ``register`` (Sổ
đăng bộ of a course). Other books add their subcommands to :data:`print_group`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from web.cli import db_option


@click.group("print")
def print_group() -> None:
    """In sổ sách ra tệp PDF: học bạ, sổ đăng bộ, sổ điểm."""


def _write(output: Path, pdf: bytes) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(pdf)
    click.echo(f"Đã in {output} ({len(pdf) // 1024} kB).")


@print_group.command("transcript")
@click.option("--student", "student_code", required=True, metavar="MÃ", help="Mã học sinh.")
@click.option("--year", default=None, metavar="NĂM", help="Chỉ in một năm học, ví dụ 2023-2024.")
@click.option("--volume", is_flag=True, help="In cả quyển (bìa, trang 1 và mọi năm học, lớp 6 đến 9).")
@click.option("--duplex", is_flag=True, help="In hai mặt: thêm trang trống để mỗi năm học bắt đầu ở mặt phải.")
@click.option("--copy", "copy_", is_flag=True, help="In bản sao (có chữ «BẢN SAO» trên bìa).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Tệp PDF sẽ ghi.")
@db_option
def transcript_cmd(engine: Engine, student_code: str, year: str | None, volume: bool, duplex: bool,
                   copy_: bool, output: Path) -> None:
    """In học bạ THCS của một học sinh."""
    from layouts.transcript import print_transcript

    with Session(engine) as session:
        pdf = print_transcript(session, student_code, year=year, volume=volume, duplex=duplex, copy=copy_)
    _write(output, pdf)


@print_group.command("register")
@click.option("--course", required=True, metavar="KHÓA", help="Khóa học, ví dụ 2022-2026.")
@click.option("--school", "school_code", default=None, metavar="MÃ",
              help="Mã trường (khi cơ sở dữ liệu có nhiều trường).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Tệp PDF sẽ ghi.")
@db_option
def register_cmd(engine: Engine, course: str, school_code: str | None, output: Path) -> None:
    """In sổ đăng bộ của một khóa học."""
    from layouts.register import print_register

    with Session(engine) as session:
        pdf = print_register(session, course, school_code=school_code, printed_on=dt.date.today())
    _write(output, pdf)


def register(cli: click.Group) -> None:
    cli.add_command(print_group)
