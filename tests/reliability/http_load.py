"""Concurrent mark entry through HTTP on loopback: ``sodientu serve`` and N browser-like writers.

Each writer is a thread with its own cookie session, signed in as the teacher of a class's Toán
assignment (several writers per sheet: the same teacher in several tabs), working like a browser: GET
the mark-entry grid (``/giao-vien/phan-cong/<id>``), change one to three cells, POST the whole grid
with the version it read, follow the redirect. 303 is an accepted save (its version is read from the
message on the page it redirects to), 409 a conflict reported to the writer, 503 "busy, nothing saved,
try again" (SQLite locked past its busy timeout); anything else is another refusal or a crash. ``check`` then proves, per sheet: accepted saves have distinct versions
(no two saves built on the same version: no lost update), the grid stored at the end is exactly what the
save with the highest version posted, and the audit chain verifies. Used by ``bench/bench_load.py
--http`` and, short, by ``tests/reliability/test_http_load.py``.
"""

from __future__ import annotations

import html
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from records import audit
from records.models import TeachingAssignment, User
from tests.reliability.load import TODAY, LoadSchool

ROOT = Path(__file__).parents[2]
CELL = re.compile(r'<input name="m-(\d+)-(\w+)" value="([^"]*)"[^>]*?(\sdisabled)?>', re.DOTALL)
VERSION = re.compile(r'name="version" value="(\d+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SAVED_VERSION = re.compile(r"phiên bản bảng (\d+)")
VALUES = ("", "5", "6,5", "7", "8.5", "9", "10", "4,5")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``sodientu serve`` on loopback, in a child process, with the load's day fixed as "today"."""

    def __init__(self, db_url: str, *, threads: int = 16, log: Path | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "PYTHONPATH": str(ROOT), "SODIENTU_TODAY": TODAY.isoformat(),
               "SODIENTU_SECRET_KEY": "khoa-phien-cua-bai-do-tai"}
        if log is not None:
            env["SODIENTU_LOG"] = str(log)  # the server's English log (errors with their tracebacks)
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from web.cli import main; main()", "serve", "--db", db_url, "--port",
             str(self.port), "--threads", str(threads)], env=env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        import requests

        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(self.base + "/dang-nhap", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sodientu serve did not start: {self.process.stderr.read().decode()[-800:]}")  # type: ignore[union-attr]
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


@dataclass(frozen=True)
class Accepted:
    """One accepted save: the sheet, the version it produced, the grid it posted (normalised)."""

    assignment_id: int
    version: int
    cells: dict[tuple[int, str], Decimal | None]


@dataclass
class HttpOutcome:
    accepted: list[Accepted] = field(default_factory=list)
    conflicts: int = 0
    busy: int = 0  # 503: the database stayed locked past its busy timeout; nothing saved, the writer told
    other_refusals: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def normal(value: str) -> Decimal | None:
    """A cell as typed or shown ("8,5", "8.5", "8.50") → a number; empty → None."""
    text = html.unescape(value).strip().replace(",", ".")
    if not text:
        return None
    try:
        return Decimal(text).normalize()
    except InvalidOperation:
        raise AssertionError(f"not a mark: {value!r}") from None


def read_page(text: str) -> tuple[int, str, dict[tuple[int, str], str]]:
    """The grid's version, CSRF token and enabled cells."""
    version, token = VERSION.search(text), CSRF.search(text)
    if not version or not token:
        raise AssertionError("the page is not a writable mark-entry grid")
    cells = {(int(e), k): v for e, k, v, disabled in CELL.findall(text) if not disabled}
    return int(version.group(1)), token.group(1), cells


def sign_in(base: str, username: str, password: str):  # type: ignore[no-untyped-def]
    import requests

    session = requests.Session()
    for _attempt in range(10):  # a busy database (503) asks to try again in a few seconds: so does a person
        token = CSRF.search(session.get(base + "/dang-nhap", timeout=300).text)
        assert token, "no sign-in form"
        answer = session.post(base + "/dang-nhap", data={"username": username, "password": password,
                                                         "csrf_token": token.group(1)},
                              allow_redirects=False, timeout=300)
        if answer.status_code != 503:
            break
        time.sleep(int(answer.headers.get("Retry-After", "5")))
    if answer.status_code != 302:
        raise AssertionError(f"{username} could not sign in: {answer.status_code}")
    return session


def get_grid(client: Any, page: str, out: HttpOutcome | None = None) -> str:
    """GET the grid like a browser: a 503 (busy) is waited out as its Retry-After says, and counted."""
    for _attempt in range(20):
        answer = client.get(page, timeout=300)
        if answer.status_code != 503:
            if answer.status_code != 200:
                raise AssertionError(f"GET {page}: HTTP {answer.status_code}")
            return str(answer.text)
        if out is not None:
            with out.lock:
                out.busy += 1
        time.sleep(int(answer.headers.get("Retry-After", "5")))
    raise AssertionError(f"GET {page}: still busy after 20 tries")


def _writer(base: str, username: str, password: str, assignment_id: int, stop_at: float, seed: int,
            out: HttpOutcome) -> None:
    rng = random.Random(seed)
    page = f"{base}/giao-vien/phan-cong/{assignment_id}"
    try:
        client = sign_in(base, username, password)
        while time.monotonic() < stop_at:
            version, token, cells = read_page(get_grid(client, page, out))
            time.sleep(rng.uniform(0, 0.05))  # the teacher types
            changed = dict(cells)
            for key in rng.sample(sorted(cells), min(len(cells), rng.randint(1, 3))):
                changed[key] = rng.choice([v for v in VALUES if normal(v) != normal(cells[key])])
            form = {f"m-{e}-{k}": v for (e, k), v in changed.items()}
            form.update(version=str(version), csrf_token=token)
            started = time.perf_counter()
            answer = client.post(page, data=form, allow_redirects=False, timeout=300)
            elapsed = time.perf_counter() - started
            if answer.status_code == 303:
                shown = get_grid(client, page, out)  # the browser follows the redirect
                saved = SAVED_VERSION.search(shown)
                if not saved:
                    raise AssertionError("an accepted save without its version on the page")
                done = Accepted(assignment_id, int(saved.group(1)), {k: normal(v) for k, v in changed.items()})
                with out.lock:
                    out.accepted.append(done)
                    out.latencies.append(elapsed)
            elif answer.status_code == 409:
                with out.lock:
                    out.conflicts += 1
                    out.latencies.append(elapsed)
            elif answer.status_code == 503:  # "busy, nothing saved, try again": reported, and retried later
                with out.lock:
                    out.busy += 1
                    out.latencies.append(elapsed)
                time.sleep(int(answer.headers.get("Retry-After", "5")))
            else:
                with out.lock:
                    out.other_refusals.append(f"{username}: HTTP {answer.status_code}")
    except Exception as error:  # noqa: BLE001 - every failure of a writer is a finding
        with out.lock:
            out.crashes.append(f"{username}: {type(error).__name__}: {error}")


def teachers(engine: Engine, school: LoadSchool) -> dict[int, str]:
    """Assignment id → the username of its teacher."""
    with Session(engine) as session:
        ids = [c.assignment_id for c in school.classes]
        rows = session.execute(select(TeachingAssignment.id, User.username)
                               .join(User, User.id == TeachingAssignment.teacher_id)
                               .where(TeachingAssignment.id.in_(ids))).all()
    return {a: u for a, u in rows}


def run_writers(base: str, engine: Engine, school: LoadSchool, *, writers: int, seconds: float,
                password: str) -> HttpOutcome:
    """``writers`` threads spread over the classes' Toán sheets for ``seconds``."""
    names = teachers(engine, school)
    out = HttpOutcome()
    started = time.monotonic()
    stop_at = started + seconds
    threads = []
    for n in range(writers):
        info = school.classes[n % len(school.classes)]
        threads.append(threading.Thread(target=_writer, args=(base, names[info.assignment_id], password,
                                                              info.assignment_id, stop_at, n, out), daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 300)
    out.seconds = time.monotonic() - started
    return out


@dataclass
class HttpCheck:
    ok: bool
    problems: list[str]
    sheets_saved: int


def check(base: str, engine: Engine, school: LoadSchool, outcome: HttpOutcome, password: str) -> HttpCheck:
    """No lost update (distinct versions per sheet), the last accepted save is what is stored, chain verifies."""
    problems = [f"crash: {c}" for c in outcome.crashes]
    names = teachers(engine, school)
    by_sheet: dict[int, list[Accepted]] = {}
    for a in outcome.accepted:
        by_sheet.setdefault(a.assignment_id, []).append(a)
    for assignment_id, saves in by_sheet.items():
        versions = [s.version for s in saves]
        if len(set(versions)) != len(versions):
            problems.append(f"sheet {assignment_id}: two accepted saves produced the same version (lost update)")
        last = max(saves, key=lambda s: s.version)
        client = sign_in(base, names[assignment_id], password)
        version, _token, cells = read_page(get_grid(client, f"{base}/giao-vien/phan-cong/{assignment_id}"))
        stored = {k: normal(v) for k, v in cells.items()}
        if version != last.version:
            problems.append(f"sheet {assignment_id}: stored version {version}, last accepted save {last.version}")
        if stored != last.cells:
            differ = sorted(k for k in set(stored) | set(last.cells) if stored.get(k) != last.cells.get(k))
            problems.append(f"sheet {assignment_id}: stored grid differs from the last accepted save at {differ[:5]}")
    with Session(engine) as session:
        report = audit.verify(session)
    if not report.ok:
        problems.append(f"audit chain broken: {report.first_bad}")
    return HttpCheck(not problems, problems, len(by_sheet))
