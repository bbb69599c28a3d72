"""``sodientu archive …``: the school's archive (check, list, show, delete after retention, purge).

Registering the group also installs the archive's issue listener (``archive.install()``): every
edition printed by any ``sodientu`` command is kept in the archive at issue.
"""

from __future__ import annotations

import click


@click.group("archive")
def archive_group() -> None:
    """Kho lưu trữ hồ sơ: kiểm tra, tra cứu, hủy hồ sơ hết thời hạn bảo quản."""


def register(cli: click.Group) -> None:
    import archive

    archive.install()
    cli.add_command(archive_group)
