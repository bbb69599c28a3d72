"""``sodientu serve``: the web application behind waitress, a production WSGI server (pure Python).

``sodientu run`` is kept as a hidden alias of ``serve`` for old scripts.
"""

from __future__ import annotations

import click

from web.cli import fail, refuse_missing_sqlite


@click.command("serve")
@click.option("--db", "db_url", default=None, metavar="URL",
              help="SQLAlchemy URL of the database (default: $SODIENTU_DB or ./sodientu.sqlite).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Địa chỉ lắng nghe (0.0.0.0: mọi máy trong mạng của trường).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Số luồng phục vụ đồng thời.")
def serve_cmd(db_url: str | None, host: str, port: int, threads: int) -> None:
    """Chạy ứng dụng web (đăng nhập tại /dang-nhap, xác thực trang sổ tại /xac-thuc)."""
    import waitress

    from records.db import default_url, is_initialised
    from web.app import create_app

    refuse_missing_sqlite(db_url or default_url())
    app = create_app(db_url)
    if not is_initialised(app.extensions["sodientu.engine"]):
        fail("Cơ sở dữ liệu chưa được khởi tạo. Hãy chạy: sodientu init --school-code … (hoặc sodientu demo).",
             "database has no schema")
    click.echo(f"Sổ điện tử đang chạy tại http://{host}:{port}/dang-nhap  (Ctrl+C để dừng)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="sodientu", clear_untrusted_proxy_headers=True)


def register(cli: click.Group) -> None:
    cli.add_command(serve_cmd)
    cli.add_command(click.Command("run", callback=serve_cmd.callback, params=serve_cmd.params, hidden=True,
                                  help="Tên cũ của 'serve'."))
