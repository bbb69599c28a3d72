"""``sodientu print school``: every book of a year, and a run killed half-way resumes without reissuing.

A small demo school (80 students, one class per grade) is built once (no print) with its key; the
command runs in a subprocess and is killed (SIGKILL, or SIGINT as Ctrl-C) once part of the books are
journaled, then run again. Checked: the second run finishes, skips what the first had finished (the
same bytes, the same editions), and the database holds exactly one current edition per file —
no second edition of anything. ``resume_state`` is also checked on the leftovers of a kill between
the commit and the move of a file, on a changed file and on a stale temporary file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from layouts.batch import TRANSCRIPT, make_job
from layouts.printrun import JOURNAL_DIR, _journal_lines, job_key, print_run, resume_state, school_year_jobs
from records.db import make_engine
from records.demo.build import DEMO_PASSWORD
from records.demo.manifest import file_sha256, read_manifest
from records.models import Edition, EditionStatus
from tests.layouts.print_school_fixtures import TODAY, YEAR, School, school_fixture  # noqa: F401 - a fixture
from web.commands.demo import DEMO_PASSPHRASE

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _command(school: School, out: Path, *extra: str) -> list[str]:
    exe = Path(sys.executable).with_name("sodientu")
    return [str(exe), "print", "school", "--year", YEAR, "-o", str(out), "--as", school.office,
            "--key-dir", str(school.keys), "--db", school.url, "--workers", "2", "--quiet", *extra]


def _env() -> dict[str, str]:
    return {**os.environ, "SODIENTU_PASSWORD": DEMO_PASSWORD, "SODIENTU_KEY_PASSPHRASE": DEMO_PASSPHRASE,
            "SODIENTU_TODAY": TODAY.isoformat()}


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C reaches the command started inside as in a terminal: a suite started in the background by a
    script (as ``.ci/run`` starts the PostgreSQL run) has SIGINT ignored, and an ignored signal is inherited."""
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _editions(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            total = session.scalar(select(func.count()).select_from(Edition))
            current = session.scalar(select(func.count()).select_from(Edition)
                                     .where(Edition.status == EditionStatus.CURRENT))
    finally:
        engine.dispose()
    return int(total or 0), int(current or 0)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_killed_run_resumes_without_reprinting_or_reissuing(school: School, tmp_path: Path,
                                                              sig: signal.Signals) -> None:
    total_before, _ = _editions(school.url)
    out = tmp_path / "out"
    log = tmp_path / "first.log"
    # a file, not a pipe: nothing waits on the workers' inherited ends
    with open(log, "w") as fh, _interruptible():
        proc = subprocess.Popen(_command(school, out), cwd=ROOT, env=_env(), stdout=fh, stderr=fh)
    deadline = time.monotonic() + 300
    workers: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None:
        workers |= _children(proc.pid)
        # the first task committed (its PDFs are moved in place after the commit; its journal line is
        # written just before it): most of the run is still to do
        if out.is_dir() and sum(1 for _ in _journal_lines(out)) >= 1 and next(out.rglob("*.pdf"), None):
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it could be killed: {log.read_text()}"
    os.kill(proc.pid, sig)
    proc.wait(timeout=300)
    stderr = log.read_text()
    if sig == signal.SIGINT:
        assert proc.returncode == 130, stderr
        assert "Chạy lại cùng lệnh để in tiếp" in stderr
    else:
        assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 120
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:  # orphaned workers stop
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)
    before = {p.relative_to(out).as_posix(): file_sha256(p) for p in out.rglob("*.pdf")}
    issued_before, _ = _editions(school.url)
    assert before, "nothing was printed before the kill"
    assert issued_before - total_before >= len(before)

    resumed = subprocess.run(_command(school, out), check=False, cwd=ROOT, env=_env(), capture_output=True, text=True,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "đã in xong ở lượt trước, không in lại" in resumed.stdout
    files = read_manifest(out)
    pdfs = [e for e in files if e.path.endswith(".pdf")]
    engine = make_engine(school.url)
    with Session(engine) as session:
        _code, _start, jobs = school_year_jobs(session, None, YEAR)
        expected = sum(int(bool(j.option("year"))) + int(bool(j.option("volume", False))) if j.kind == TRANSCRIPT
                       else 1 for j in jobs)
        assert len(pdfs) == expected == len(list(out.rglob("*.pdf")))
        current = dict(session.execute(select(Edition.pdf_sha256, Edition.status)).all())
    engine.dispose()
    for entry in pdfs:
        assert file_sha256(out / entry.path) == entry.sha256
        assert current.get(entry.sha256) is EditionStatus.CURRENT
    for path, digest in before.items():  # finished books were not printed again
        assert file_sha256(out / path) == digest
    total, _live = _editions(school.url)
    assert total - total_before == len(pdfs), "a book got a second edition"
    assert not list(out.rglob(".*.tmp"))


def test_resume_state_moves_a_committed_file_in_place_and_drops_changed_ones(school: School,
                                                                            tmp_path: Path) -> None:
    total_before, _ = _editions(school.url)
    out = tmp_path / "out"
    engine = make_engine(school.url)
    with Session(engine) as session:
        _code, _start, jobs = school_year_jobs(session, None, YEAR)
    engine.dispose()
    jobs = [j for j in jobs if j.kind == TRANSCRIPT][:6]
    from layouts.batch import BatchConfig

    config = BatchConfig(school.url, str(out), str(school.keys / next(school.keys.glob("*.key.pem")).name),
                         DEMO_PASSPHRASE, school.office, issued_on=TODAY, workers=0)
    first = print_run(config, jobs)
    assert first.ok and len(first.files) == 6
    lines = {e["path"]: e for e in _journal_lines(out)}
    moved, changed = first.files[0], first.files[1]
    (out / moved.path).replace(out / lines[moved.path]["tmp"])  # killed between the commit and the move
    (out / changed.path).write_bytes(b"%PDF-1.7 not ours")
    stale = out / "hoc-ba" / YEAR / ".HS-stale.pdf.4242.tmp"
    stale.write_bytes(b"half")
    engine = make_engine(school.url)
    with Session(engine) as session:
        state = resume_state(session, out, jobs)
    engine.dispose()
    assert state.recovered == 1 and (out / moved.path).is_file() and not stale.exists()
    changed_job = next(j for j in jobs if j.ids[0] == changed.student_code)
    assert job_key(changed_job) not in state.done and len(state.done) == 5
    again = print_run(config, jobs)
    assert again.skipped_jobs == 5 and again.ok and len(again.files) == 6
    total, _live = _editions(school.url)
    assert total - total_before == 7  # only the changed file's book was issued again (superseding)
    engine = make_engine(school.url)
    with Session(engine) as session:
        status = dict(session.execute(select(Edition.pdf_sha256, Edition.status)).all())
    engine.dispose()
    assert all(status[f.sha256] is EditionStatus.CURRENT for f in again.files)
    assert make_job(TRANSCRIPT, "X", year=YEAR) != changed_job
    assert (out / JOURNAL_DIR / "lock").exists()
