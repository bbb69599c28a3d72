"""``sodientu verify FILE…``: check printed pages (PDF, scan or photo) and print a verdict per page."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from web.cli import fail


def _print_report(report) -> None:  # type: ignore[no-untyped-def]
    from signing.verify import STATUS_LABELS

    kinds = {"published-pdf": "tệp PDF do nhà trường phát hành", "pdf": "tệp PDF (bản quét)", "image": "ảnh / bản quét"}
    click.echo(f"Tệp: {report.source} — {kinds.get(report.kind, report.kind)}")
    for v in report.pages:
        code = f" (mã {v.code})" if v.code else ""
        colour = "green" if v.ok else "red"
        click.secho(f"  Trang {v.page_index + 1}{code}: {STATUS_LABELS[v.status]}", fg=colour, bold=not v.ok)
        if not v.ok or report.offline:
            click.echo(f"      {v.message_vi}")
    for s in report.signatures:
        ok = s.intact and s.valid and s.covers_whole_file and (s.trusted or not report.trust_roots_known)
        click.secho(f"  Chữ ký số PDF: {s.message_vi}", fg="green" if ok else "red")
    for p in report.problems_vi:
        click.secho(f"  Vấn đề: {p}", fg="red")
    for n in report.notes_vi:
        click.echo(f"  Ghi chú: {n}")
    if report.offline:
        click.echo("  Ghi chú: kiểm tra ngoại tuyến — chỉ kiểm tra chữ ký; chưa kiểm tra tình trạng bản in "
                   "(thu hồi, thay thế) trong cơ sở dữ liệu.")
    verdict = "TẤT CẢ CÁC TRANG HỢP LỆ" if report.ok else "KHÔNG HỢP LỆ — xem chi tiết ở trên"
    click.secho(f"  Kết luận: {verdict}", fg="green" if report.ok else "red", bold=True)


@click.command("verify")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--db", "db_url", default=None, metavar="URL", help="CSDL (mặc định: $SODIENTU_DB hoặc ./sodientu.sqlite).")
@click.option("--offline", is_flag=True, help="Không dùng CSDL: chỉ kiểm tra chữ ký với danh sách khóa công khai.")
@click.option("--trust", "trust_file", default=None, type=click.Path(dir_okay=False),
              help="Tệp danh sách khóa công khai (trust.json) cho chế độ ngoại tuyến.")
@click.option("--cert", "cert_files", multiple=True, type=click.Path(dir_okay=False),
              help="Chứng thư số (PEM) của nhà trường để xác minh chữ ký PDF.")
def verify_cmd(files: tuple[str, ...], db_url: str | None, offline: bool, trust_file: str | None,
               cert_files: tuple[str, ...]) -> None:
    """Kiểm tra tính xác thực của từng trang: PDF, ảnh chụp hoặc bản quét (PNG, JPEG, TIFF, PDF)."""
    from records.db import default_url, make_engine, session_factory
    from signing.keyfiles import TRUST_NAME, default_key_dir
    from signing.trust import DbTrustList, trust_from_json
    from signing.verify import verify_file

    certs = [Path(c).read_text("utf-8") for c in cert_files]
    all_ok = True
    if offline:
        path = Path(trust_file) if trust_file else default_key_dir(db_url or default_url()) / TRUST_NAME
        if not path.is_file():
            fail(f"Không có tệp danh sách khóa công khai {path}; dùng --trust TỆP.", f"no trust file {path}")
        store, file_certs = trust_from_json(path.read_bytes())
        for f in files:
            report = verify_file(f, store, None, certificates=certs + file_certs)
            _print_report(report)
            all_ok &= report.ok
    else:
        engine = make_engine(db_url or default_url())
        try:
            with session_factory(engine)() as session:
                trust = DbTrustList(session)
                for f in files:
                    report = verify_file(f, trust, session, certificates=certs)
                    _print_report(report)
                    all_ok &= report.ok
        finally:
            engine.dispose()
    sys.exit(0 if all_ok else 1)


def register(cli: click.Group) -> None:
    """Add the command to the CLI."""
    cli.add_command(verify_cmd)
