"""``sodientu serve``: the web application behind waitress, a production WSGI server (pure Python).

``--workers N`` (default: one per core) runs N waitress processes on one listening socket (``web.prefork``).

``sodientu run`` is kept as a hidden alias of ``serve`` for old scripts.
"""

from __future__ import annotations

import sys

import click

from web.cli import fail, refuse_missing_sqlite


@click.command("serve")
@click.option("--db", "db_url", default=None, metavar="URL",
              help="SQLAlchemy URL of the database (default: $SODIENTU_DB or ./sodientu.sqlite).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Địa chỉ lắng nghe (0.0.0.0: mọi máy trong mạng của trường).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Số luồng phục vụ đồng thời (mỗi tiến trình).")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Số tiến trình phục vụ (mặc định: bằng số nhân CPU; Windows: 1).")
def serve_cmd(db_url: str | None, host: str, port: int, threads: int, workers: int | None) -> None:
    """Chạy ứng dụng web (đăng nhập tại /dang-nhap, xác thực trang sổ tại /xac-thuc)."""
    from records.db import default_url, is_initialised, make_engine
    from web import prefork
    from web.app import create_app

    db_url = db_url or default_url()
    refuse_missing_sqlite(db_url)
    engine = make_engine(db_url)
    try:
        ready = is_initialised(engine)
        in_memory = engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
    finally:
        engine.dispose()  # nothing opened here is carried into the worker processes
    if not ready:
        fail("Cơ sở dữ liệu chưa được khởi tạo. Hãy chạy: sodientu init --school-code … (hoặc sodientu demo).",
             "database has no schema")
    workers = 1 if in_memory else workers or prefork.default_workers()
    click.echo(f"Sổ điện tử đang chạy tại http://{host}:{port}/dang-nhap  ({workers} tiến trình; Ctrl+C để dừng)")
    try:
        status = prefork.serve(lambda: create_app(db_url), host=host, port=port, workers=workers, threads=threads,
                               ident="sodientu", clear_untrusted_proxy_headers=True)
    except OSError as exc:
        fail(f"Không mở được cổng {host}:{port} (cổng đang được dùng hoặc không có quyền).", f"cannot listen: {exc!r}")
    sys.exit(status)


def register(cli: click.Group) -> None:
    cli.add_command(serve_cmd)
    cli.add_command(click.Command("run", callback=serve_cmd.callback, params=serve_cmd.params, hidden=True,
                                  help="Tên cũ của 'serve'."))
