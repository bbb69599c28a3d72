"""``sodientu db upgrade``: create or upgrade the schema."""

from __future__ import annotations

import click
from sqlalchemy import Engine

from web.cli import db_option


@click.group("db")
def db_group() -> None:
    """Cơ sở dữ liệu: tạo và nâng cấp lược đồ."""


@db_group.command("upgrade")
@db_option(create=True)
def upgrade_cmd(engine: Engine) -> None:
    """Tạo hoặc nâng cấp lược đồ cơ sở dữ liệu lên phiên bản mới nhất."""
    from records.db import upgrade

    upgrade(engine)
    click.echo("Đã nâng cấp cơ sở dữ liệu.")


def register(cli: click.Group) -> None:
    cli.add_command(db_group)
