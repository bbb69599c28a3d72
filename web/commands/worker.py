"""``sodientu worker``: a print worker on the RQ queue (``layouts.printqueue``)."""

from __future__ import annotations

import click


@click.command("worker")
@click.option("--redis", "redis_url", default="redis://127.0.0.1:6379/0", show_default=True, metavar="URL",
              envvar="SODIENTU_REDIS_URL", help="Máy chủ Redis của hàng đợi in.")
@click.option("--queue-name", default="sodientu-print", show_default=True, help="Tên hàng đợi in.")
@click.option("--passphrase-file", default=None, metavar="TỆP",
              help="Tệp chứa mật khẩu khóa ký (hoặc biến môi trường SODIENTU_KEY_PASSPHRASE); "
                   "mật khẩu không đi qua hàng đợi.")
@click.option("--burst", is_flag=True, help="Làm hết việc đang chờ rồi dừng.")
@click.option("--name", default=None, help="Tên của tiến trình nhận việc (mặc định do RQ đặt).")
def worker_cmd(redis_url: str, queue_name: str, passphrase_file: str | None, burst: bool, name: str | None) -> None:
    """Nhận và in các sổ từ hàng đợi in (sodientu print school --queue …), tới khi bị dừng (Ctrl-C)."""
    from layouts.printqueue import set_worker_passphrase, work
    from signing.keyfiles import read_passphrase_file

    if passphrase_file:
        set_worker_passphrase(read_passphrase_file(passphrase_file))
    click.echo(f"Đang nhận việc in từ hàng đợi «{queue_name}» tại {redis_url}" + (" (đến khi hết việc)." if burst else
                                                                                  "; Ctrl-C để dừng."))
    work(redis_url, queue_name=queue_name, burst=burst, name=name)


def register(cli: click.Group) -> None:
    cli.add_command(worker_cmd)
