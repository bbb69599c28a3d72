"""The ``sodientu`` command: one click group, shared with Flask's CLI (``sodientu serve`` serves the app).

Every subcommand that touches data takes ``--db URL`` (default: ``SODIENTU_DB``, else a SQLite file
in the working folder). Domain errors are printed in Vietnamese and the command exits with status 1;
nobody sees a traceback.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask.cli import FlaskGroup
from sqlalchemy.exc import OperationalError

from records.db import default_url, make_engine
from records.errors import SodientuError

log = logging.getLogger("sodientu")
F = TypeVar("F", bound=Callable[..., Any])


def _create_app():  # type: ignore[no-untyped-def]
    from web.app import create_app

    return create_app()


def db_option(func: F) -> F:
    """Add ``--db URL`` to a command and pass an ``engine`` argument instead."""

    @click.option("--db", "db_url", default=None, metavar="URL",
                  help="SQLAlchemy URL of the database (default: $SODIENTU_DB or ./sodientu.sqlite).")
    @functools.wraps(func)
    def wrapper(*args: Any, db_url: str | None, **kwargs: Any) -> Any:
        kwargs["engine"] = make_engine(db_url or default_url())
        try:
            return func(*args, **kwargs)
        finally:
            kwargs["engine"].dispose()

    return wrapper  # type: ignore[return-value]


def fail(message_vi: str, message_en: str | None = None, code: int = 1) -> None:
    """Print a Vietnamese error for the user, log the English one, and exit."""
    log.error(message_en or message_vi)
    click.secho(f"Lỗi: {message_vi}", fg="red", err=True)
    sys.exit(code)


class Group(FlaskGroup):
    """Flask's group, with our domain errors turned into clean messages."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SodientuError as error:
            fail(error.message_vi, error.message_en)
        except OperationalError as error:
            fail("Không kết nối hoặc không đọc được cơ sở dữ liệu. Kiểm tra địa chỉ --db và quyền truy cập.",
                 f"database error: {error.orig!r}")


cli = Group(create_app=_create_app, add_default_commands=False, add_version_option=False,
            help="Sổ điện tử — sổ điểm, học bạ, sổ đăng bộ cho trường THCS.")


def _register_commands() -> None:
    import importlib

    from flask.cli import routes_command, shell_command

    cli.add_command(routes_command)
    cli.add_command(shell_command)
    import pkgutil

    import web.commands

    for info in sorted(pkgutil.iter_modules(web.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"web.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(cli)


_register_commands()


def main() -> None:
    """Entry point of the ``sodientu`` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    cli.main(prog_name="sodientu")
