"""Several waitress processes behind one listening socket (``sodientu serve --workers N``).

One Python process uses one core at most (the GIL): the public verification page tops out near
1,000 requests per second per core, and the teachers' pages share that process. On systems with
``fork`` (Linux, macOS) the parent binds the listening socket once, then forks ``workers`` children;
each child builds its own application (its own database engines and connection pools: nothing opened
before the fork is used after it) and runs waitress on the shared socket, where the kernel hands each
new connection to one of them. The parent only supervises: a child that dies is replaced (unless
children keep dying at start-up, then the server stops with an error), and SIGTERM / SIGINT (Ctrl+C)
stop every child cleanly (waitress finishes the requests in progress) before the parent exits.

What the processes do not share, and why it is safe:
- the database: SQLite in WAL mode with a busy timeout and ``BEGIN IMMEDIATE`` writers (``records.db``)
  is made for several processes on one file; PostgreSQL is a server. An in-memory SQLite database
  would be one database per process: refused.
- the cookie key: the parent fixes ``SODIENTU_SECRET_KEY`` (a random one when unset) before forking,
  so a cookie signed by one child is read by all; sessions and sign-in rate limits live in the database.
- in-process caches (trusted keys, issued pages) and the public page's per-address rate limit are
  per child: the budget an address gets is at most ``workers`` times the configured one.

Without ``fork`` (Windows) the server runs one process and says so.
"""

from __future__ import annotations

import gc
import logging
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: a child dying within this many seconds of its start counts as a start-up failure
QUICK_DEATH = 10.0
#: start-up failures in a row after which the parent gives up
MAX_QUICK_DEATHS = 5


def can_fork() -> bool:
    """Whether this platform runs several worker processes (``os.fork``)."""
    return hasattr(os, "fork")


def default_workers() -> int:
    """One worker per core where processes can be forked, else one."""
    return max(1, os.cpu_count() or 1) if can_fork() else 1


def listening_socket(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A bound, listening TCP socket for ``host``:``port`` (IPv4 or IPv6), inheritable by children."""
    family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def serve(make_app: Callable[[], Any], *, host: str, port: int, workers: int, threads: int,
          **waitress_options: Any) -> int:
    """Serve ``make_app()`` with ``workers`` waitress processes of ``threads`` threads; the exit status.

    ``make_app`` is called once in each worker, after the fork. Raises ``OSError`` when the address
    cannot be bound (before any worker starts).
    """
    import waitress

    logging.basicConfig()
    if workers <= 1 or not can_fork():
        if workers > 1:
            log.warning("no fork() on this platform: one server process instead of %d", workers)
        waitress.serve(ready(make_app()), host=host, port=port, threads=threads, **waitress_options)
        return 0
    if not os.environ.get("SODIENTU_SECRET_KEY"):  # one cookie key for every child
        os.environ["SODIENTU_SECRET_KEY"] = secrets.token_hex(32)
    sock = listening_socket(host, port, waitress_options.pop("backlog", 1024))
    return _Supervisor(make_app, sock, workers, dict(threads=threads, **waitress_options)).run()


def ready(app: Any) -> Any:
    """The application about to serve, its start-up heap frozen (``gc.freeze()``): the modules, templates and
    tables loaded at start-up are moved out of the collector's generations, so a full collection no longer
    walks them on every request that triggers one (pauses of 0.2–0.4 s were measured on the leaders' pages
    before, 13 ms after). A collection first, so that no garbage is frozen with them."""
    gc.collect()
    gc.freeze()
    return app


class _Supervisor:
    """The parent process: starts the children, replaces those that die, stops them all on a signal."""

    def __init__(self, make_app: Callable[[], Any], sock: socket.socket, workers: int,
                 options: dict[str, Any]) -> None:
        self.make_app, self.sock, self.workers, self.options = make_app, sock, workers, options
        self.children: dict[int, float] = {}  # pid -> start time
        self.stopping = False
        self.quick_deaths = 0

    def run(self) -> int:
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGTERM, signal.SIGINT)}
        status = 0
        try:
            for _ in range(self.workers):
                self._spawn()
            while self.children:
                try:
                    pid, wait_status = os.wait()
                except ChildProcessError:
                    break
                started = self.children.pop(pid, None)
                if started is None or self.stopping:
                    continue
                code = os.waitstatus_to_exitcode(wait_status)
                log.warning("server worker %d ended (status %d); starting another", pid, code)
                self.quick_deaths = self.quick_deaths + 1 if time.monotonic() - started < QUICK_DEATH else 0
                if self.quick_deaths >= MAX_QUICK_DEATHS:
                    log.error("server workers keep dying at start-up: stopping")
                    status = 1
                    self._stop()
                    continue
                self._spawn()
        finally:
            self._stop()
            for pid in list(self.children):
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
            self.sock.close()
            for s, handler in previous.items():
                signal.signal(s, handler)
        return status

    def _stop(self, *_signal: object) -> None:
        self.stopping = True
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def _spawn(self) -> None:
        pid = os.fork()
        if pid:
            self.children[pid] = time.monotonic()
            return
        code = 1
        try:  # the child: never returns into the parent's code
            signal.signal(signal.SIGTERM, _exit_quietly)
            signal.signal(signal.SIGINT, _exit_quietly)
            import waitress

            waitress.serve(ready(self.make_app()), sockets=[self.sock], _quiet=True, **self.options)
            code = 0
        except SystemExit:  # stopped before waitress ran
            code = 0
        except BaseException:  # logged, then the child ends; the parent decides
            log.exception("server worker failed")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)


def _exit_quietly(*_signal: object) -> None:
    raise SystemExit(0)  # waitress's loop catches it, finishes the requests in progress and returns
