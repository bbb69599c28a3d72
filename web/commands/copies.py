"""``sodientu copy request|issue|archive|show|list``: copies of a lost transcript (CV §3 d).

1. ``copy request STUDENT`` — the office takes down the request (who asks, in what capacity, the
   identity document it checked, why): a numbered request ("01/2026/BSHB");
2. ``copy issue NUMBER -o DIR`` — prints the copy (an edition of its own, "BẢN SAO" and the request
   number on the cover, current signers; a teacher who left → head of the subject group) and the
   papers to sign (request form + copy-issuance minutes), both signed editions;
3. ``copy archive NUMBER FILE…`` — the signed, stamped papers scanned back into the archive; the
   request is closed when every page is back.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from sqlalchemy import Engine

from web.cli import db_option, existing_folder
from web.passwords import signed_in_actor


@click.group("copy")
def copy_group() -> None:
    """Cấp bản sao học bạ (học bạ bị mất): tiếp nhận đơn, in bản sao và biên bản, lưu hồ sơ."""


@copy_group.command("request")
@click.argument("student_code")
@click.option("--requester", required=True, help="Họ tên người làm đơn.")
@click.option("--relation", required=True, help="Quan hệ với học sinh: Bản thân, Cha, Mẹ, Người giám hộ, "
                                                "Người được ủy quyền.")
@click.option("--id-document", required=True, help="Giấy tờ tùy thân đã kiểm tra, ví dụ «CCCD số … cấp ngày …».")
@click.option("--reason", required=True, help="Lý do đề nghị cấp bản sao.")
@click.option("--address", default="", help="Địa chỉ người làm đơn.")
@click.option("--received", default=None, metavar="NGÀY", help="Ngày nhận đơn (dd/mm/yyyy, mặc định hôm nay).")
@click.option("--as", "username", required=True, metavar="TÊN_ĐĂNG_NHẬP", help="Cán bộ văn phòng nhận đơn.")
@db_option
def request_cmd(engine: Engine, student_code: str, requester: str, relation: str, id_document: str, reason: str,
                address: str, received: str | None, username: str) -> None:
    """Tiếp nhận đơn đề nghị cấp bản sao học bạ (sau khi kiểm tra giấy tờ tùy thân)."""
    from records.db import session_scope
    from records.services.copies import CopyRequestForm, record_request
    from web.cli import fail

    day = None
    if received:
        try:
            day = dt.datetime.strptime(received.strip(), "%d/%m/%Y").date()
        except ValueError:
            fail(f"Ngày nhận đơn không hợp lệ: «{received}» (dd/mm/yyyy).", f"bad date {received!r}")
    with session_scope(engine) as session:
        request = record_request(session, signed_in_actor(session, username), CopyRequestForm(
            student_code=student_code, requester_name=requester, requester_relation=relation,
            id_document=id_document, reason=reason, requester_address=address, received_on=day))
        number = request.number
    click.echo(f"Đã tiếp nhận đơn số {number}. In bản sao: sodientu copy issue {number} --as … -o THƯ_MỤC")


@copy_group.command("issue")
@click.argument("number")
@click.option("--as", "username", required=True, metavar="TÊN_ĐĂNG_NHẬP", help="Cán bộ văn phòng in bản sao.")
@click.option("--duplex", is_flag=True, help="In hai mặt.")
@click.option("--key-dir", default=None, metavar="THƯ_MỤC", help="Thư mục khóa ký (mặc định: keys/ cạnh CSDL).")
@click.option("--passphrase-file", default=None, metavar="TỆP",
              help="Tệp chứa mật khẩu khóa ký (hoặc biến môi trường SODIENTU_KEY_PASSPHRASE).")
@click.option("-o", "--output", "folder", callback=existing_folder, type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Thư mục ghi bản sao và biên bản (PDF).")
@db_option
def issue_cmd(engine: Engine, number: str, username: str, duplex: bool, key_dir: str | None,
              passphrase_file: str | None, folder: Path) -> None:
    """In bản sao học bạ và đơn + biên bản cấp bản sao để ký (hai bản in có mã xác thực)."""
    from archive.copies import issue_copy
    from records.db import session_scope
    from records.services.copies import get_request
    from signing.payload import edition_short_id
    from web.commands.print_books import _signing, _Staged

    with session_scope(engine) as session:
        school_id = get_request(session, number).school_id
    staged: list[_Staged] = []
    try:
        with session_scope(engine) as session:  # signs in first: a refused password is recorded (rate limits)
            signing = _signing(session, engine, school_id, username, key_dir, passphrase_file)
            issued = issue_copy(session, signing.actor, number, private_key=signing.private_key, duplex=duplex,
                                pdf_signer=signing.pdf_signer)
            stem = issued.request.number.replace("/", "-")
            copy_code = edition_short_id(issued.copy.edition.id)
            papers_code = edition_short_id(issued.papers.edition.id)
            subs = issued.substitutions
            folder.mkdir(exist_ok=True)  # the folder itself; its parent must exist (-o never makes folders)
            # Both PDFs whole under temporary names before the commit; renamed once committed (as print_books).
            for name, pdf in ((f"ban-sao-hoc-ba-{stem}.pdf", issued.copy.pdf),
                              (f"don-va-bien-ban-{stem}.pdf", issued.papers.pdf)):
                staged.append(_Staged(folder / name))
                staged[-1].write(pdf)
    except BaseException:
        for file in staged:
            file.discard()
        raise
    for file in staged:
        file.publish()
    click.echo(f"Bản sao học bạ: {folder / f'ban-sao-hoc-ba-{stem}.pdf'} (bản in {copy_code}).")
    click.echo(f"Đơn và biên bản để ký: {folder / f'don-va-bien-ban-{stem}.pdf'} (bản in {papers_code}).")
    for s in subs:
        click.echo(f"  Ký thay ({s.year}): {s.substitute} — {s.substitute_role}, thay {s.original} ({s.role})")
    click.echo(f"Sau khi ký, đóng dấu: sodientu copy archive {number} TỆP_QUÉT --as …")


@copy_group.command("archive")
@click.argument("number")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--as", "username", required=True, metavar="TÊN_ĐĂNG_NHẬP")
@db_option
def archive_cmd(engine: Engine, number: str, files: tuple[str, ...], username: str) -> None:
    """Lưu bản quét đơn và biên bản đã ký vào kho lưu trữ; đóng hồ sơ khi đủ trang."""
    from records.db import session_scope
    from records.models import CopyStatus
    from scans.copies import file_signed_papers
    from scans.report import report_lines

    with session_scope(engine) as session:
        report, request = file_signed_papers(session, signed_in_actor(session, username), number, list(files))
        for line in report_lines(report):
            click.echo(line)
        done = request.status is CopyStatus.ARCHIVED
    if done:
        click.echo(f"Hồ sơ cấp bản sao {number} đã đủ (đơn và biên bản đã lưu trữ).")
    else:
        click.echo(f"Hồ sơ cấp bản sao {number} chưa đủ trang; quét bổ sung các trang còn thiếu.")
        raise SystemExit(1)


@copy_group.command("show")
@click.argument("number")
@db_option
def show_cmd(engine: Engine, number: str) -> None:
    """Xem một đơn đề nghị cấp bản sao và việc đã làm."""
    from records.db import session_scope
    from records.models import Student
    from records.services.copies import get_request, substitutions_of
    from signing.payload import edition_short_id

    labels = {"requested": "đã tiếp nhận", "issued": "đã in bản sao, chờ lưu đơn và biên bản đã ký",
              "archived": "đã lưu trữ đủ hồ sơ", "refused": "từ chối"}
    with session_scope(engine) as session:
        r = get_request(session, number)
        student = session.get(Student, r.student_id)
        click.echo(f"Đơn số {r.number} — {labels[r.status.value]}")
        click.echo(f"  Học sinh: {student.full_name if student else r.student_id} ({student.code if student else ''})")
        click.echo(f"  Người làm đơn: {r.requester_name} ({r.requester_relation}); giấy tờ: {r.id_document}; "
                   f"kiểm tra bởi {r.id_checked_by_name}; ngày nhận {r.received_on:%d/%m/%Y}")
        click.echo(f"  Lý do: {r.reason}")
        if r.copy_edition_id:
            click.echo(f"  Bản sao: {edition_short_id(r.copy_edition_id)}; đơn và biên bản: "
                       f"{edition_short_id(r.minutes_edition_id) if r.minutes_edition_id else ''}")
        for s in substitutions_of(r):
            click.echo(f"  Ký thay ({s.year}): {s.substitute} — {s.substitute_role}, thay {s.original} ({s.role})")


def register(cli: click.Group) -> None:
    """Add the command group to the CLI."""
    cli.add_command(copy_group)
