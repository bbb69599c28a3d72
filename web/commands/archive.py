"""``sodientu archive …`` (the school's archive) and ``sodientu inspect …`` (readers and inspectors).

``archive check`` re-hashes every kept object and names what is missing or corrupted (exit status 1
when something is); ``archive deposit`` keeps a file (the office: signed minutes, requests, scans);
``archive delete`` records the destruction of an item whose retention has ended (the principal) and
removes its content. ``inspect grant|revoke|access`` manage inspectors' windows (the administrator);
``inspect find|open|export`` search, read (a read-only copy) and export a BagIt bag — each traced.

Registering the groups also installs the archive's issue listener (``archive.install()``): every
edition printed by any ``sodientu`` command is kept in the archive at issue.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import click
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from records.services.context import vn_time
from web.cli import db_option, existing_folder, fail
from web.passwords import signed_in_actor

as_option = click.option("--as", "username", required=True, metavar="TÊN_ĐĂNG_NHẬP",
                         help="Tên đăng nhập của người thực hiện (quyền được kiểm tra theo người này; "
                              "mật khẩu được hỏi, hoặc lấy từ SODIENTU_PASSWORD_<TÊN>).")


def _scope_options(func):  # type: ignore[no-untyped-def]
    for option in reversed((
        click.option("--school", "school_code", required=True, metavar="MÃ", help="Mã trường."),
        click.option("--year", default=None, metavar="NĂM", help="Năm học, ví dụ 2025-2026."),
        click.option("--class", "class_name", default=None, metavar="LỚP", help="Tên lớp (cần --year), ví dụ 9A1."),
        click.option("--student", "student_code", default=None, metavar="MÃ", help="Mã học sinh."),
    )):
        func = option(func)
    return func


def _resolve(session: Session, school_code: str, year: str | None, class_name: str | None,
             student_code: str | None) -> tuple[int, int | None, int | None, int | None]:
    """(school id, year id, class id, student id) from the command's names."""
    from records.errors import NotFoundError
    from records.models import Class, Grade, School, SchoolYear, Student

    school = session.scalars(select(School).where(School.code == school_code.strip())).one_or_none()
    if school is None:
        raise NotFoundError(f"Không có trường mã «{school_code}».", f"no school {school_code!r}")
    year_id = class_id = student_id = None
    if year:
        match = re.fullmatch(r"\s*(\d{4})(?:\s*-\s*\d{4})?\s*", year)
        if match is None:
            fail(f"Năm học không hợp lệ: «{year}». Ví dụ: 2025-2026.", f"bad --year {year!r}")
        assert match is not None
        year_id = session.scalar(select(SchoolYear.id).where(SchoolYear.school_id == school.id,
                                                             SchoolYear.start_year == int(match.group(1))))
        if year_id is None:
            raise NotFoundError(f"Trường {school.code} không có năm học {year.strip()}.", f"no year {year!r}")
    if class_name:
        if year_id is None:
            fail("Cần ghi năm học (--year) khi chọn lớp.", "--class without --year")
        class_id = session.scalar(select(Class.id).join(Grade, Grade.id == Class.grade_id).where(
            Grade.school_year_id == year_id, Class.school_id == school.id, Class.name == class_name.strip()))
        if class_id is None:
            raise NotFoundError(f"Năm học {year} không có lớp {class_name}.", f"no class {class_name!r}")
    if student_code:
        student_id = session.scalar(select(Student.id).where(Student.code == student_code.strip()))
        if student_id is None:
            raise NotFoundError(f"Không tìm thấy học sinh có mã «{student_code}».", f"no student {student_code!r}")
    return school.id, year_id, class_id, student_id


def _date(text: str, what: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    fail(f"Ngày {what} không hợp lệ: «{text}». Ví dụ: 2026-06-30 hoặc 30/06/2026.", f"bad date {text!r}")
    raise AssertionError  # fail() exits


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


# --- archive ----------------------------------------------------------------------------------


@click.group("archive")
def archive_group() -> None:
    """Kho lưu trữ hồ sơ: kiểm tra toàn vẹn, lưu tệp, hủy hồ sơ hết thời hạn bảo quản."""


@archive_group.command("check")
@click.option("--school", "school_code", default=None, metavar="MÃ", help="Chỉ kiểm tra hồ sơ của một trường.")
@db_option
def check_cmd(engine: Engine, school_code: str | None) -> None:
    """Băm lại mọi tệp lưu trữ; liệt kê tệp bị thiếu hoặc bị thay đổi."""
    import sys

    from archive import check
    from archive.items import count_kept
    from records.db import session_scope

    with session_scope(engine) as session:
        school_id = _resolve(session, school_code, None, None, None)[0] if school_code else None
        with click.progressbar(length=count_kept(session, school_id=school_id), label="Đang băm lại các tệp lưu trữ",
                               file=sys.stderr, show_pos=True, show_eta=True) as bar:
            report = check(session, school_id=school_id, progress=bar.update)
    click.echo(f"Kho lưu trữ {report.location}: {report.items} hồ sơ, {report.objects} tệp, "
               f"đã băm lại {_size(report.bytes)}.")
    for p in report.problems:
        what = "THIẾU TỆP" if p.problem == "missing" else "BỊ THAY ĐỔI"
        click.echo(f"  {what}: hồ sơ số {p.item_id} ({p.title}) — tệp {p.sha256}")
    if report.unreferenced:
        click.echo(f"  {len(report.unreferenced)} tệp không thuộc hồ sơ nào (lần lưu bị gián đoạn; vô hại).")
    if not report.ok:
        fail(f"{len(report.problems)} hồ sơ lưu trữ bị thiếu hoặc bị thay đổi.",
             f"{len(report.problems)} archive items missing or corrupted")
    click.echo("Mọi hồ sơ đều nguyên vẹn.")


@archive_group.command("deposit")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", required=True, metavar="LOẠI",
              help="Loại hồ sơ: correction_request, correction_record, inspection_minutes, copy_request, "
                   "copy_minutes, teacher_markbook_scan, book_scan, other.")
@_scope_options
@click.option("--edition", default=None, metavar="MÃ_BẢN_IN", help="Bản in mà hồ sơ thuộc về (mã đầy đủ).")
@click.option("--title", default=None, help="Tên hồ sơ.")
@as_option
@db_option
def deposit_cmd(engine: Engine, file: Path, kind: str, school_code: str, year: str | None, class_name: str | None,
                student_code: str | None, edition: str | None, title: str | None, username: str) -> None:
    """Lưu một tệp vào kho lưu trữ (cán bộ văn phòng)."""
    from archive import deposit
    from records.db import session_scope

    with session_scope(engine) as session, file.open("rb") as stream:
        actor = signed_in_actor(session, username)
        school_id, year_id, class_id, student_id = _resolve(session, school_code, year, class_name, student_code)
        item = deposit(session, actor, stream, kind=kind, school_id=school_id,
                       school_year_id=year_id, class_id=class_id,
                       student_ids=(student_id,) if student_id else (), edition_id=edition,
                       filename=file.name, title=title)
        line = (f"Đã lưu hồ sơ số {item.id} ({item.kind.label_vi}, {_size(item.size)}), mã băm {item.sha256}; "
                f"bảo quản {'vĩnh viễn' if item.retain_until is None else f'đến {item.retain_until:%d/%m/%Y}'}.")
    click.echo(line)


@archive_group.command("delete")
@click.argument("item_id", type=int)
@click.option("--reason", required=True, help="Căn cứ hủy (quyết định hủy tài liệu hết giá trị).")
@as_option
@db_option
def delete_cmd(engine: Engine, item_id: int, reason: str, username: str) -> None:
    """Hủy một hồ sơ đã hết thời hạn bảo quản (Hiệu trưởng); việc hủy được ghi lại."""
    from archive import delete_expired, purge
    from records.db import session_scope

    with session_scope(engine) as session:
        delete_expired(session, signed_in_actor(session, username), item_id, reason)
    with session_scope(engine) as session:  # the content goes only after the deletion is committed
        removed = purge(session)
    click.echo(f"Đã ghi nhận việc hủy hồ sơ số {item_id}; đã xóa {len(removed)} tệp khỏi kho.")


# --- inspect ----------------------------------------------------------------------------------


@click.group("inspect")
def inspect_group() -> None:
    """Tra cứu hồ sơ lưu trữ (thanh tra, kiểm tra): cấp quyền có thời hạn, tìm, mở, xuất BagIt."""


@inspect_group.command("grant")
@click.option("--inspector", "inspector_name", required=True, metavar="TÊN_ĐĂNG_NHẬP", help="Thanh tra được cấp quyền.")
@click.option("--school", "school_code", required=True, metavar="MÃ", help="Mã trường.")
@click.option("--year", default=None, metavar="NĂM", help="Năm học (bỏ trống: mọi năm học).")
@click.option("--from", "starts", required=True, metavar="NGÀY", help="Ngày bắt đầu, ví dụ 2026-06-01.")
@click.option("--to", "ends", required=True, metavar="NGÀY", help="Ngày kết thúc (tính cả ngày này).")
@click.option("--reason", required=True, help="Căn cứ: quyết định thanh tra, kiểm tra.")
@as_option
@db_option
def grant_cmd(engine: Engine, inspector_name: str, school_code: str, year: str | None, starts: str, ends: str,
              reason: str, username: str) -> None:
    """Cấp cho thanh tra quyền xem hồ sơ lưu trữ của một trường, có thời hạn (quản trị hệ thống)."""
    from archive.inspectors import grant_access
    from records.db import session_scope
    from records.permissions import Actor

    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        school_id, year_id, _, _ = _resolve(session, school_code, year, None, None)
        inspector = Actor.by_username(session, inspector_name)
        access = grant_access(session, actor, inspector_id=inspector.user_id or 0,
                              school_id=school_id, school_year_id=year_id, starts_on=_date(starts, "bắt đầu"),
                              ends_on=_date(ends, "kết thúc"), reason=reason)
        line = (f"Đã cấp quyền số {access.id} cho {inspector.full_name}: trường {school_code}, "
                f"{year or 'mọi năm học'}, từ {access.starts_on:%d/%m/%Y} đến hết {access.ends_on:%d/%m/%Y}.")
    click.echo(line)


@inspect_group.command("revoke")
@click.argument("access_id", type=int)
@as_option
@db_option
def revoke_cmd(engine: Engine, access_id: int, username: str) -> None:
    """Thu hồi quyền xem hồ sơ lưu trữ của thanh tra trước hạn."""
    from archive.inspectors import revoke_access
    from records.db import session_scope

    with session_scope(engine) as session:
        revoke_access(session, signed_in_actor(session, username), access_id)
    click.echo(f"Đã thu hồi quyền số {access_id}.")


@inspect_group.command("access")
@as_option
@db_option
def access_cmd(engine: Engine, username: str) -> None:
    """Liệt kê các quyền xem hồ sơ lưu trữ đã được cấp cho mình."""
    from archive.inspectors import accesses
    from records.db import session_scope
    from records.models import School, SchoolYear

    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        rows = accesses(session, actor.user_id or 0)
        lines = []
        for a in rows:
            school = session.get(School, a.school_id)
            year = session.get(SchoolYear, a.school_year_id) if a.school_year_id else None
            state = "đã thu hồi" if a.revoked_at else ""
            lines.append(f"  số {a.id}: {school.name if school else a.school_id}, "
                         f"{year.name if year else 'mọi năm học'}, {a.starts_on:%d/%m/%Y}–{a.ends_on:%d/%m/%Y} "
                         f"{state}".rstrip())
    click.echo(f"{len(lines)} quyền truy cập:" if lines else "Chưa được cấp quyền truy cập nào.")
    for line in lines:
        click.echo(line)


@inspect_group.command("find")
@_scope_options
@as_option
@db_option
def find_cmd(engine: Engine, school_code: str, year: str | None, class_name: str | None, student_code: str | None,
             username: str) -> None:
    """Tìm mọi hồ sơ được lưu về một trường, năm học, lớp hoặc học sinh (việc tra cứu được ghi vết)."""
    from archive.inspectors import find
    from records.db import session_scope

    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        school_id, year_id, class_id, student_id = _resolve(session, school_code, year, class_name, student_code)
        found = find(session, actor, school_id=school_id, school_year_id=year_id,
                     class_id=class_id, student_id=student_id)
        lines = [f"{found.scope.description_vi}:", f"  {len(found.items)} hồ sơ lưu trữ:"]
        lines += [f"    số {i.id}: {i.kind.label_vi} — {i.title} ({_size(i.size)}, lưu {vn_time(i.deposited_at, '%d/%m/%Y')})"
                  for i in found.items]
        lines.append(f"  {len(found.editions)} bản in; {len(found.corrections)} đơn đề nghị sửa chữa; "
                     f"{len(found.inspections)} biên bản kiểm tra.")
    for line in lines:
        click.echo(line)


@inspect_group.command("open")
@click.argument("item_id", type=int)
@click.option("-o", "--output", callback=existing_folder, type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Tệp sẽ ghi (bản chỉ đọc).")
@as_option
@db_option
def open_cmd(engine: Engine, item_id: int, output: Path, username: str) -> None:
    """Lấy một hồ sơ lưu trữ ra tệp chỉ đọc (đã kiểm tra mã băm; việc mở được ghi vết)."""
    from archive.inspectors import open_item
    from records.db import session_scope

    if output.exists():
        fail(f"Tệp {output} đã có; hãy chọn tên khác.", f"{output} exists")
    with session_scope(engine) as session:
        item, data = open_item(session, signed_in_actor(session, username), item_id)
        title = item.title
    output.write_bytes(data)
    os.chmod(output, 0o444)
    click.echo(f"Đã ghi {output} ({title}, {_size(len(data))}, chỉ đọc).")


@inspect_group.command("export")
@_scope_options
@click.option("-o", "--output", callback=existing_folder, type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Thư mục mới sẽ chứa gói BagIt.")
@as_option
@db_option
def export_cmd(engine: Engine, school_code: str, year: str | None, class_name: str | None,
               student_code: str | None, output: Path, username: str) -> None:
    """Xuất mọi hồ sơ của một phạm vi thành gói BagIt đã kiểm tra (việc xuất được ghi vết)."""
    import shutil

    from archive.inspectors import export_bag
    from records.db import session_scope

    written = False
    try:
        with session_scope(engine) as session:
            actor = signed_in_actor(session, username)
            school_id, year_id, class_id, student_id = _resolve(session, school_code, year, class_name,
                                                                student_code)
            export = export_bag(session, actor, output, school_id=school_id,
                                school_year_id=year_id, class_id=class_id, student_id=student_id)
            written = True
    except BaseException:
        if written:  # the export's trace was not committed: no untraced bag is left behind
            shutil.rmtree(output, ignore_errors=True)
        raise
    click.echo(f"Đã xuất gói BagIt {export.path}: {export.items} hồ sơ, {_size(export.bytes)} "
               f"(Payload-Oxum {export.oxum}); gói đã được kiểm tra hợp lệ.")


def register(cli: click.Group) -> None:
    import archive

    archive.install()
    cli.add_command(archive_group)
    cli.add_command(inspect_group)
