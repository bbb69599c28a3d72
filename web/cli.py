"""The ``sodientu`` command: one click group, shared with Flask's CLI (``sodientu serve`` serves the app).

Every subcommand that touches data takes ``--db URL`` (default: ``SODIENTU_DB``, else a SQLite file
in the working folder). Domain errors are printed in Vietnamese and the command exits with status 1;
nobody sees a traceback.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask.cli import FlaskGroup
from sqlalchemy.exc import DBAPIError, OperationalError

from records.db import db_error, default_url, make_engine
from records.errors import SodientuError

log = logging.getLogger("sodientu")
F = TypeVar("F", bound=Callable[..., Any])


def _create_app():  # type: ignore[no-untyped-def]
    from web.app import create_app

    return create_app()


def db_option(func: F | None = None, *, create: bool = False) -> Any:
    """Add ``--db URL`` to a command and pass an ``engine`` argument instead.

    A SQLite file that does not exist is refused (a mistyped path would otherwise silently create an
    empty database) unless ``create=True`` (``init``, ``demo``, ``db upgrade``, ``restore``):
    ``@db_option`` or ``@db_option(create=True)``.
    """
    if func is None:
        return functools.partial(db_option, create=create)

    @click.option("--db", "db_url", default=None, metavar="URL",
                  help="SQLAlchemy URL of the database (default: $SODIENTU_DB or ./sodientu.sqlite).")
    @functools.wraps(func)
    def wrapper(*args: Any, db_url: str | None, **kwargs: Any) -> Any:
        url = db_url or default_url()
        if not create:
            refuse_missing_sqlite(url)
        kwargs["engine"] = make_engine(url)
        try:
            return func(*args, **kwargs)
        finally:
            kwargs["engine"].dispose()

    return wrapper


def missing_sqlite_file(url: str) -> str | None:
    """The path of a SQLite database file the URL names but that does not exist (else None)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # make_engine gives the message
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:") or Path(database).exists():
        return None
    return database


def refuse_missing_sqlite(url: str) -> None:
    """Exit with a message when the URL names a SQLite file that does not exist (nothing is created)."""
    database = missing_sqlite_file(url)
    if database is not None:
        fail(f"Không có cơ sở dữ liệu {database}. Kiểm tra lại đường dẫn --db (hoặc biến SODIENTU_DB); "
             "tạo cơ sở dữ liệu mới bằng «sodientu init» hoặc «sodientu demo».",
             f"no SQLite database at {database} (refused rather than creating an empty one)")


def existing_folder(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """Callback of ``-o`` options: the folder of the output must exist (commands never create folders)."""
    from pathlib import Path

    if value is None or str(value) == "-":
        return value
    parent = Path(value).parent
    if not parent.is_dir():
        fail(f"Không ghi được tệp {value}: thư mục {parent} không tồn tại (hãy tạo thư mục trước; lệnh không tự "
             "tạo thư mục).", f"output folder {parent} does not exist")
    return value


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
        except DBAPIError as error:
            mapped = db_error(error)
            fail(mapped.message_vi, mapped.message_en)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception:  # the one line for the user; the traceback goes to the log
            log.exception("unexpected error in %s", ctx.invoked_subcommand or ctx.info_name)
            fail("Lỗi ngoài dự kiến; lệnh đã dừng. Chi tiết (tiếng Anh) ở nhật ký: "
                 "biến SODIENTU_LOG hoặc chạy lại với «sodientu -v …».", "unexpected error (traceback above)")


# Click's own messages (wrong options on the command line), in Vietnamese: one line and where to read more.
_USAGE_VI = (
    (re.compile(r"Missing option '([^']+)'.*"), r"Thiếu tùy chọn \1."),
    (re.compile(r"Missing argument '([^']+)'.*"), r"Thiếu tham số \1."),
    (re.compile(r"No such option:? '?([^'\s]+)'?.*"), r"Không có tùy chọn \1."),
    (re.compile(r"No such command '([^']+)'.*"), r"Không có lệnh «\1»."),
    (re.compile(r"Invalid value for '([^']+)': (.*)"), r"Giá trị không hợp lệ cho \1 (\2)."),
    (re.compile(r"Got unexpected extra arguments? \((.*)\)"), r"Thừa tham số: \1."),
    (re.compile(r"Option '([^']+)' requires an argument\.?"), r"Tùy chọn \1 cần một giá trị."),
)


def usage_vi(error: click.UsageError) -> str:
    """A usage error as one Vietnamese line (Click's English kept in brackets when not translated)."""
    english = error.format_message().splitlines()[0] if error.format_message() else ""
    for pattern, vietnamese in _USAGE_VI:
        if pattern.fullmatch(english):
            text = pattern.sub(vietnamese, english)
            break
    else:
        text = f"Lệnh không hợp lệ ({english})."
    where = error.ctx.command_path if error.ctx is not None else "sodientu"
    return f"{text} Xem «{where} --help»."


class _Group(Group):
    """The group of the console script: Click's usage errors and aborts as one Vietnamese line too."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        _register_commands()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        _register_commands()
        return super().list_commands(ctx)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.pop("standalone_mode", True):
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)  # an int only from ctx.exit(n)
        except click.UsageError as error:
            log.error("usage error: %s", error.format_message())
            click.secho(f"Lỗi: {usage_vi(error)}", fg="red", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Đã hủy.", err=True)
            sys.exit(1)
        except click.ClickException as error:
            log.error("%s", error.format_message())
            click.secho(f"Lỗi: {error.format_message()}", fg="red", err=True)
            sys.exit(error.exit_code)
        sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)


cli = _Group(create_app=_create_app, add_default_commands=False, add_version_option=False,
             help="Sổ điện tử — sổ điểm, học bạ, sổ đăng bộ cho trường THCS.")


_registered: set[str] = set()  # the modules (of web.commands, and flask.cli) whose commands are in `cli`


def _register_commands() -> None:
    """Add the commands of every module of ``web.commands`` not added yet.

    Called before a command is looked up or listed, never while this module is imported: the command
    modules import this one (``import web.commands.demo`` first imported web.cli, which imported the
    command modules while demo was half-loaded: `sodientu demo` was then missing, and data_export
    failed on data_import's half-loaded names). A module without ``register`` yet is looked at again
    by the next call."""
    import importlib
    import pkgutil

    import web.commands

    if "flask.cli" not in _registered:  # Flask's own commands first
        from flask.cli import routes_command, shell_command

        cli.add_command(routes_command)
        cli.add_command(shell_command)
        _registered.add("flask.cli")
    for info in sorted(pkgutil.iter_modules(web.commands.__path__), key=lambda m: m.name):
        if info.name in _registered:
            continue
        module = importlib.import_module(f"web.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is None:
            continue  # no commands, or half-loaded (an import cycle): looked at again by the next call
        _registered.add(info.name)
        register(cli)


LOG_ENV = "SODIENTU_LOG"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(verbose: bool = False, *, server: bool = False) -> None:
    """English log lines go to ``$SODIENTU_LOG`` (a file), and to stderr only with ``-v``.

    The terminal shows the user one Vietnamese line per error (``fail``); the log keeps the English
    detail for whoever maintains the system. A server (``sodientu serve``) logs to stderr unless
    ``$SODIENTU_LOG`` names a file: its stderr is its log.
    """
    import os

    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_sodientu", False):
            root.removeHandler(handler)
    handlers: list[logging.Handler] = []
    if os.environ.get(LOG_ENV):
        handlers.append(logging.FileHandler(os.environ[LOG_ENV], encoding="utf-8"))
    if verbose or (server and not handlers):
        handlers.append(logging.StreamHandler(sys.stderr))
    if not handlers:
        handlers.append(logging.NullHandler())  # nothing English on the terminal
    for handler in handlers:
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler._sodientu = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)


def _verbose(_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        configure_logging(verbose=True)


cli.params.append(click.Option(["-v", "--verbose"], is_flag=True, is_eager=True, expose_value=False,
                               callback=_verbose, help="Ghi nhật ký (tiếng Anh) ra màn hình."))


def _serving(args: list[str]) -> bool:
    """True when the command line runs the web server (its first word that is not an option)."""
    words = [a for a in args if not a.startswith("-")]
    return bool(words) and words[0] in ("serve", "run")


def main() -> None:
    """Entry point of the ``sodientu`` console script."""
    configure_logging(server=_serving(sys.argv[1:]))
    cli.main(prog_name="sodientu")
