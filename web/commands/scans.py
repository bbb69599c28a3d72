"""``sodientu scans ingest|unmatched|assign|report``: signed, stamped books scanned back into the archive."""

from __future__ import annotations

import click
from sqlalchemy import Engine

from web.cli import db_option, fail
from web.passwords import signed_in_actor


@click.group("scans")
def scans_group() -> None:
    """Bản quét sổ đã ký, đóng dấu: nhập vào kho lưu trữ, đối chiếu từng trang."""


@scans_group.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--as", "username", required=True, metavar="TÊN_ĐĂNG_NHẬP", help="Người nhập (văn phòng).")
@click.option("--school", "school_id", type=int, default=None, help="Mã số trường (khi người nhập có nhiều trường).")
@click.option("--edition", "editions", multiple=True, metavar="MÃ_BẢN_IN",
              help="Bản in đang quét (lặp lại được); trang của bản in khác là trang lạ. "
                   "Mặc định: bản in có nhiều trang nhất trong mỗi tệp.")
@click.option("--workers", type=int, default=None, help="Số tiến trình xử lý (mặc định: 2).")
@click.option("--progress/--no-progress", default=True, help="Hiện thanh tiến độ.")
@db_option
def ingest_cmd(engine: Engine, files: tuple[str, ...], username: str, school_id: int | None,
               editions: tuple[str, ...], workers: int | None, progress: bool) -> None:
    """Đọc các tệp quét (PDF nhiều trang, TIFF, JPEG, PNG), đối chiếu từng trang với bản in và lưu trữ."""
    from records.db import session_scope
    from scans.codes import editions_by_code
    from scans.ingest import ingest
    from scans.report import report_lines

    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        expected = []
        for code in editions:
            found = editions_by_code(session, code)
            if len(found) != 1:
                fail(f"Không xác định được bản in «{code}».", f"edition {code!r}: {len(found)} matches")
            expected.append(found[0].id)
        report = ingest(session, actor, list(files), school_id=school_id,
                        expected=expected, workers=workers, progress=progress)
        for line in report_lines(report):
            click.echo(line)
    if not report.ok:
        raise SystemExit(1)


@scans_group.command("unmatched")
@click.option("--school", "school_id", type=int, default=None)
@db_option
def unmatched_cmd(engine: Engine, school_id: int | None) -> None:
    """Liệt kê các trang quét chưa đọc được mã (cần nhận diện bằng tay)."""
    from records.db import session_scope
    from scans.ingest import unmatched_pages

    with session_scope(engine) as session:
        rows = unmatched_pages(session, school_id)
        for p in rows:
            click.echo(f"#{p.id}  tệp {p.batch.file_name}, trang {p.index + 1}  lưu tại {p.item_sha256[:12]}  "
                       f"{p.note or ''}")
        if not rows:
            click.echo("Không có trang nào chờ nhận diện.")


@scans_group.command("assign")
@click.argument("scan_page_id", type=int)
@click.argument("edition")
@click.argument("page_number", type=int)
@click.option("--as", "username", required=True, metavar="TÊN_ĐĂNG_NHẬP")
@db_option
def assign_cmd(engine: Engine, scan_page_id: int, edition: str, page_number: int, username: str) -> None:
    """Nhận diện bằng tay: trang quét SCAN_PAGE_ID là trang PAGE_NUMBER của bản in EDITION."""
    from records.db import session_scope
    from scans.ingest import assign_page
    from signing.payload import edition_short_id

    with session_scope(engine) as session:
        row = assign_page(session, signed_in_actor(session, username), scan_page_id, edition, page_number)
        click.echo(f"Trang quét #{row.id} là trang {row.page_number} của bản in "
                   f"{edition_short_id(row.edition_id) if row.edition_id else ''} ({row.status.value}).")


@scans_group.command("report")
@click.argument("edition")
@db_option
def report_cmd(engine: Engine, edition: str) -> None:
    """Tình trạng các trang đã quét của một bản in: còn thiếu, trùng, thiếu dấu giáp lai, thiếu chữ ký."""
    from records.db import session_scope
    from scans.codes import editions_by_code
    from scans.ingest import edition_report
    from scans.report import edition_lines

    with session_scope(engine) as session:
        found = editions_by_code(session, edition)
        if len(found) != 1:
            fail(f"Không xác định được bản in «{edition}».", f"edition {edition!r}: {len(found)} matches")
        for line in edition_lines(edition_report(session, found[0])):
            click.echo(line)


def register(cli: click.Group) -> None:
    """Add the command group to the CLI."""
    cli.add_command(scans_group)
