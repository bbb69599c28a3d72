"""``sodientu verify FILE…``: check printed pages (PDF, scan or photo) and print a verdict per page.

Exit status: 0 every page genuine; 2 every code genuine but some page is a photo or scan (or a file
that could not be proven identical offline): a person must compare it with the genuine page, which
``--genuine-pages DIR`` writes as PNG; 1 anything else (altered, unknown, revoked, unreadable, …).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from web.cli import fail, missing_sqlite_file


def _print_report(report, genuine_dir: Path | None, issued) -> None:  # type: ignore[no-untyped-def]
    from signing.payload import edition_short_id
    from signing.verify import STATUS_LABELS, genuine_page_png, issued_page_lines

    kinds = {"published-pdf": "tệp PDF do nhà trường phát hành", "pdf": "tệp PDF (bản quét)", "image": "ảnh / bản quét"}
    click.echo(f"Tệp: {report.source} — {kinds.get(report.kind, report.kind)}")
    for v in report.pages:
        code = f" (mã {v.code})" if v.code else ""
        colour = "green" if v.ok else "yellow" if v.status.value == "code_genuine" else "red"
        click.secho(f"  Trang {v.page_index + 1}{code}: {STATUS_LABELS[v.status]}", fg=colour, bold=not v.ok)
        if not v.ok or report.offline:
            click.echo(f"      {v.message_vi}")
        if v.genuine_page is not None and v.fields is not None and not v.ok:
            pdf = issued(v.fields.edition_id) if issued is not None else None
            for label, value in issued_page_lines(pdf, v.genuine_page) if pdf is not None else ():
                click.echo(f"      Trang gốc in: {label}: {value}")
            png = genuine_page_png(issued, v.fields.edition_id, v.genuine_page) if genuine_dir else None
            if png is not None and genuine_dir is not None:
                genuine_dir.mkdir(parents=True, exist_ok=True)
                target = genuine_dir / f"{edition_short_id(v.fields.edition_id)}-trang-{v.fields.page}.png"
                target.write_bytes(png)
                click.echo(f"      Trang gốc để đối chiếu: {target}")
            elif genuine_dir is not None:
                click.echo("      Không có bản lưu của trang gốc để hiển thị.")
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
    if report.ok:
        click.secho("  Kết luận: TẤT CẢ CÁC TRANG HỢP LỆ", fg="green", bold=True)
    elif report.needs_comparison:
        click.secho("  Kết luận: MÃ THẬT — CẦN ĐỐI CHIẾU từng trang với trang gốc (ảnh chụp, bản quét không tự "
                    "chứng minh được nội dung)", fg="yellow", bold=True)
    else:
        click.secho("  Kết luận: KHÔNG HỢP LỆ — xem chi tiết ở trên", fg="red", bold=True)


def _exit_code(reports: list) -> int:  # type: ignore[type-arg]
    if all(r.ok for r in reports):
        return 0
    if all(r.ok or r.needs_comparison for r in reports):
        return 2
    return 1


@click.command("verify")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--db", "db_url", default=None, metavar="URL", help="CSDL (mặc định: $SODIENTU_DB hoặc ./sodientu.sqlite).")
@click.option("--offline", is_flag=True, help="Không dùng CSDL: chỉ kiểm tra chữ ký với danh sách khóa công khai.")
@click.option("--trust", "trust_file", default=None, type=click.Path(dir_okay=False),
              help="Tệp danh sách khóa công khai (trust.json) cho chế độ ngoại tuyến.")
@click.option("--cert", "cert_files", multiple=True, type=click.Path(dir_okay=False),
              help="Chứng thư số (PEM) của nhà trường để xác minh chữ ký PDF.")
@click.option("--genuine-pages", "genuine_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục ghi ảnh trang gốc (PNG) để đối chiếu với ảnh chụp / bản quét.")
def verify_cmd(files: tuple[str, ...], db_url: str | None, offline: bool, trust_file: str | None,
               cert_files: tuple[str, ...], genuine_dir: Path | None) -> None:
    """Kiểm tra tính xác thực của từng trang: PDF, ảnh chụp hoặc bản quét (PNG, JPEG, TIFF, PDF).

    Mã thoát: 0 mọi trang hợp lệ; 2 mã thật nhưng cần đối chiếu với trang gốc (ảnh chụp, bản quét); 1 không hợp lệ.
    """
    from records.db import default_url, make_engine, session_factory
    from signing.keyfiles import TRUST_NAME, default_key_dir
    from signing.trust import DbTrustList, trust_from_json
    from signing.verify import verify_file
    from web.issued import issued_pdf_source

    certs = [Path(c).read_text("utf-8") for c in cert_files]
    reports = []
    if offline:
        path = Path(trust_file) if trust_file else default_key_dir(db_url or default_url()) / TRUST_NAME
        if not path.is_file():
            fail(f"Không có tệp danh sách khóa công khai {path}; dùng --trust TỆP.", f"no trust file {path}")
        store, file_certs = trust_from_json(path.read_bytes())
        for f in files:
            report = verify_file(f, store, None, certificates=certs + file_certs)
            _print_report(report, None, None)
            reports.append(report)
    else:
        missing = missing_sqlite_file(db_url or default_url())
        if missing is not None:
            fail(f"Không có cơ sở dữ liệu {missing} để đối chiếu. Chỉ rõ --db, hoặc kiểm tra ngoại tuyến với "
                 "--offline --trust trust.json (danh sách khóa công khai của trường).",
                 f"no SQLite database at {missing}")
        engine = make_engine(db_url or default_url())
        try:
            with session_factory(engine)() as session:
                trust = DbTrustList(session)
                issued = issued_pdf_source(session)
                for f in files:
                    report = verify_file(f, trust, session, certificates=certs, issued_pdf=issued)
                    _print_report(report, genuine_dir, issued)
                    reports.append(report)
        finally:
            engine.dispose()
    sys.exit(_exit_code(reports))


def register(cli: click.Group) -> None:
    """Add the command to the CLI."""
    cli.add_command(verify_cmd)
