"""Every command of ``web.commands`` is found whatever module is imported first (an import cycle once
lost `sodientu demo` when the demo module was imported before web.cli, as a test fixture did)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import web.commands


def _command_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(web.commands.__path__))


@pytest.mark.parametrize("first", _command_modules())
def test_commands_are_all_found_when_a_command_module_is_imported_first(first: str) -> None:
    script = (
        f"import web.commands.{first}\n"
        "import click\n"
        "from web.cli import cli\n"
        "ctx = click.Context(cli)\n"
        "names = sorted(n for n in ('demo', 'print', 'verify', 'init', 'worker', 'archive') if cli.get_command(ctx, n))\n"
        "print(','.join(names))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "archive,demo,init,print,verify,worker"
