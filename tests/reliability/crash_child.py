"""One operation run in a child process that SIGKILLs itself at its Nth step (see ``tests.reliability.crashes``).

``python -m tests.reliability.crash_child OPERATION RUN_FOLDER KILL_AT``: runs ``OPERATION`` on the
copy of the prepared school in ``RUN_FOLDER``. Once the operation starts, every step is counted: each
SQL statement sent (``before_cursor_execute``), each commit (before it is sent, and after it returned),
and each file step under ``RUN_FOLDER`` (opening a file for writing, each write — a large write is cut
in two, with a step between the halves, as a kill during a long write leaves half a file —, ``fsync``,
``rename``/``replace``/``link``/``unlink``). At step ``KILL_AT`` the process sends itself SIGKILL (no
clean-up, no ``finally``, no ``atexit``). ``KILL_AT`` 0 never kills: the child then writes the number of
steps it counted (and the steps right after each commit) to ``RUN_FOLDER/steps`` (how the parent knows the range of kill points).
"""

from __future__ import annotations

import builtins
import io
import os
import signal
import sys
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

BIG_WRITE = 64 * 1024


class Killer:
    """Counts steps once armed; kills the process at step ``kill_at``."""

    def __init__(self, folder: Path, kill_at: int) -> None:
        self.folder = str(folder.resolve())
        self.kill_at = kill_at
        self.steps = 0
        self.armed = False
        self.commits: list[int] = []  # the steps just after each commit returned

    def step(self) -> None:
        if not self.armed:
            return
        self.steps += 1
        if self.steps == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def ours(self, path: Any) -> bool:
        try:
            return os.path.abspath(os.fspath(path)).startswith(self.folder)
        except TypeError:
            return False

    def fd_ours(self, fd: int) -> bool:
        try:
            return os.readlink(f"/proc/self/fd/{fd}").startswith(self.folder)
        except OSError:
            return False


class _Writer:
    """A file opened for writing whose writes are steps (a large one is two writes with a step between)."""

    def __init__(self, raw: Any, killer: Killer) -> None:
        self._raw = raw
        self._killer = killer

    def write(self, data: Any) -> int:
        k = self._killer
        k.step()
        if len(data) > BIG_WRITE:
            half = len(data) // 2
            self._raw.write(data[:half])
            self._raw.flush()
            k.step()
            self._raw.write(data[half:])
        else:
            self._raw.write(data)
        return len(data)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._raw.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def install(killer: Killer) -> None:
    """Hook SQL statements, commits and file steps."""

    @event.listens_for(Engine, "before_cursor_execute")
    def _sql(*_args: object) -> None:
        killer.step()

    @event.listens_for(Engine, "commit")
    def _commit(*_args: object) -> None:
        killer.step()

    @event.listens_for(Session, "after_commit")
    def _committed(*_args: object) -> None:
        killer.step()
        if killer.armed:
            killer.commits.append(killer.steps)

    real_open = builtins.open

    def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        writing = any(c in mode for c in "wax+")
        if writing and killer.ours(file):
            killer.step()
            return _Writer(real_open(file, mode, *args, **kwargs), killer)
        return real_open(file, mode, *args, **kwargs)

    builtins.open = open_  # type: ignore[assignment]
    io.open = open_  # type: ignore[assignment]

    def wrap_paths(name: str) -> None:
        real = getattr(os, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            mine = any(killer.ours(a) for a in args[:2])
            if mine:
                killer.step()
            result = real(*args, **kwargs)
            if mine:
                killer.step()
            return result

        setattr(os, name, wrapped)

    for name in ("rename", "replace", "link", "unlink"):
        wrap_paths(name)

    real_fsync, real_write, real_os_open = os.fsync, os.write, os.open

    def fsync(fd: int) -> None:
        mine = killer.fd_ours(fd) if isinstance(fd, int) else True
        if mine:
            killer.step()
        real_fsync(fd)
        if mine:
            killer.step()

    def write(fd: int, data: Any) -> int:
        if killer.fd_ours(fd):
            killer.step()
        return real_write(fd, data)

    def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR) and killer.ours(path):
            killer.step()
        return real_os_open(path, flags, *args, **kwargs)

    os.fsync, os.write, os.open = fsync, write, os_open  # type: ignore[assignment]


def main() -> None:
    from tests.reliability import crashes

    name, folder, kill_at = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    operation = crashes.OPERATIONS[name]
    killer = Killer(folder, kill_at)
    install(killer)
    operation.run(folder, killer)
    killer.armed = False
    if kill_at == 0:
        (folder / "steps").write_text(f"{killer.steps} {' '.join(map(str, killer.commits))}")


if __name__ == "__main__":
    main()
