"""``sodientu import students|teachers|assignments|marks FILE``: spreadsheets in, through the services.

The command only parses options, calls ``records.interop`` and prints the report; exit status 1 when
the file has errors (then nothing was written).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from records.db import session_scope
from records.errors import NotFoundError
from records.interop.common import ImportOptions
from records.interop.report import ImportReport
from records.interop.sheets import SpreadsheetFile
from records.models import School
from web.cli import db_option, fail
from web.passwords import signed_in_actor


def school_id(session: Session, code: str | None) -> int | None:
    """The id of the school named by ``--school`` (None: the installation's only school)."""
    if code is None:
        return None
    found = session.scalar(select(School.id).where(School.code == code))
    if found is None:
        raise NotFoundError(f"Không có trường mã {code}.", f"no school {code!r}")
    return found


def _importer(kind: str) -> Callable[..., ImportReport]:
    from records.interop import importer

    return importer(kind)


def print_report(report: ImportReport, *, verbose: bool, as_json: bool) -> None:
    """The report for a person (or as JSON); exits with status 1 when the file has errors."""
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1, default=str))
    else:
        if verbose or report.dry_run:
            for change in report.changes:
                if change.action != "unchanged" or verbose:
                    where = f"dòng {change.row}: " if change.row else ""
                    click.echo(f"  [{change.action}] {where}{change.description_vi}")
        for issue in report.issues:
            click.secho(issue.text_vi(), fg="red" if issue.severity == "error" else "yellow", err=True)
        click.echo(report.summary_vi())
    if not report.ok:
        fail(f"Tệp có {len(report.errors)} lỗi: không có gì được ghi.", f"{len(report.errors)} errors in {report.file_name}")


@click.command("import")
@click.argument("kind", type=click.Choice(["students", "teachers", "assignments", "marks"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, metavar="USERNAME", help="Tên đăng nhập của người nhập.")
@click.option("--school", "school_code", default=None, metavar="MÃ", help="Mã trường (khi CSDL có nhiều trường).")
@click.option("--year", type=int, default=None, metavar="NĂM", help="Năm học bắt đầu, ví dụ 2025 cho 2025-2026.")
@click.option("--class", "class_name", default=None, metavar="LỚP", help="Lớp của danh sách / bảng điểm, ví dụ 6A1.")
@click.option("--subject", default=None, metavar="MÔN", help="Môn của bảng điểm (mã hoặc tên), nếu tiêu đề không ghi.")
@click.option("--term", type=click.IntRange(1, 2), default=None, help="Học kì (1 hoặc 2), nếu tiêu đề không ghi.")
@click.option("--create-classes", is_flag=True, help="Tạo các lớp có trong tệp mà năm học chưa có.")
@click.option("--dry-run", is_flag=True, help="Chạy thử: kiểm tra và cho biết sẽ tạo / sửa gì, không ghi.")
@click.option("--verbose", "-v", is_flag=True, help="Liệt kê từng thay đổi.")
@click.option("--json", "as_json", is_flag=True, help="In báo cáo dạng JSON.")
@db_option
def import_cmd(engine: Engine, kind: str, file: Path, username: str, school_code: str | None, year: int | None,
               class_name: str | None, subject: str | None, term: int | None, create_classes: bool, dry_run: bool,
               verbose: bool, as_json: bool) -> None:
    """Nhập danh sách học sinh, giáo viên, phân công hoặc bảng điểm từ tệp .xlsx / .csv."""
    source = SpreadsheetFile.from_path(file)
    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        options = ImportOptions(school_id=school_id(session, school_code), start_year=year, class_name=class_name,
                                dry_run=dry_run, create_classes=create_classes, subject=subject, term=term)
        report = _importer(kind)(session, actor, source, options)
    print_report(report, verbose=verbose, as_json=as_json)


def register(cli: click.Group) -> None:
    cli.add_command(import_cmd)
