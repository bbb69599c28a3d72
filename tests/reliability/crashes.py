"""Crash consistency: an operation SIGKILLed at a chosen step leaves the data wholly there or wholly absent.

For each operation (a mark save, a correction applied, a lock executed, a signed mark book printed, a
key rotation, an archive deposit, a scan ingest) ``prepare`` builds a school in a folder (SQLite
database, key folder, archive, passphrase file) once. Each trial copies that folder, runs the operation in a child process
(``tests.reliability.crash_child``) that kills itself at step N (a SQL statement, a commit, a file
step), then ``check`` compares what is left:

- the database is exactly as before the operation, or exactly as after a run that was not killed
  (every table, every column except those that differ between two clean runs: times, random ids,
  hashes over them);
- ``sodientu audit verify`` passes (against the seal log beside the database);
- files: no edition without its PDF in the archive, no PDF at ``-o`` without its committed edition
  (and then exactly the edition's bytes), no half-written PDF under the output name; a new signing key
  in the database has its whole encrypted key file; ``trust.json`` is always a whole, parseable list
  and, after the next ``sodientu keys`` command, the database's; the archive's ``check`` passes.

Used by ``tests/reliability/test_crashes.py`` (a sample) and ``bench/bench_crashes.py`` (hundreds).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).parents[2]
PASSPHRASE = "mat-khau-khoa-thu-nghiem"
DB_NAME = "school.sqlite"
OUT_NAME = "so-diem.pdf"

Fingerprint = dict[str, list[tuple[Any, ...]]]


def db_url(folder: Path) -> str:
    return f"sqlite:///{folder / DB_NAME}"


def child_env(folder: Path) -> dict[str, str]:
    from tests.factories import TEST_PASSWORD

    env = {k: v for k, v in os.environ.items() if not k.startswith("SODIENTU_")}
    env.update({"PYTHONPATH": str(ROOT), "SODIENTU_PASSWORD": TEST_PASSWORD,
                "SODIENTU_ARCHIVE": str(folder / "archive"), "SODIENTU_DB": db_url(folder)})
    return env


def _engine(folder: Path) -> Engine:
    from records.db import make_engine

    return make_engine(db_url(folder))


# --- the school every operation starts from ------------------------------------------------------


def _world_ids(session: Session) -> dict[str, Any]:
    """The governance tests' school, its Toán marks of term 1 complete and computed (as they build it)."""
    from records.models import Period, Role
    from records.services import results
    from tests.records.factories_gov import make_world
    from tests.records.test_corrections import _full_term

    world = make_world(session)
    _full_term(session, world)
    results.compute_class(session, world.actor(session, Role.ADMINISTRATOR), world.klass, Period.TERM1)
    return {
        "school": world.school.id, "year": world.year.id, "term1": world.term1.id, "class": world.klass.id,
        "assignment1": world.assignment1.id, "subject": world.subject.id,
        "enrolments": [e.id for e in world.enrolments],
        "users": {role.value: u.id for role, u in world.users.items()},
        "usernames": {role.value: u.username for role, u in world.users.items()},
        "board": world.board_witness.id,
    }


def _base(folder: Path) -> dict[str, Any]:
    from records.db import session_scope
    from records.models import Base

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "archive").mkdir()
    (folder / "pw").write_text(PASSPHRASE + "\n")
    engine = _engine(folder)
    Base.metadata.create_all(engine)
    with session_scope(engine) as session:
        ids = _world_ids(session)
    engine.dispose()
    return ids


def _save_ids(folder: Path, ids: dict[str, Any]) -> None:
    (folder / "ids.json").write_text(json.dumps(ids))


def ids_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "ids.json").read_text())  # type: ignore[no-any-return]


def _cli(folder: Path, *args: str) -> tuple[int, str]:
    """Run a ``sodientu`` command in this process (the parent: set-up and checks)."""
    from click.testing import CliRunner

    from web.cli import cli

    result = CliRunner().invoke(cli, list(args), env=child_env(folder))
    return result.exit_code, result.output


def _keys_init(folder: Path) -> None:
    code, out = _cli(folder, "keys", "init", "--db", db_url(folder), "--key-dir", str(folder / "keys"),
                     "--passphrase-file", str(folder / "pw"), "--no-pdf-cert")
    assert code == 0, out


# --- the operations ------------------------------------------------------------------------------


def _in_child(folder: Path, killer: Any, work: Callable[[Session, dict[str, Any]], None],
              today: dt.date | None = None) -> None:
    """Run ``work`` as one unit of work (``run_in_transaction``), the killer armed."""
    from records.db import run_in_transaction
    from records.services import context

    ids = ids_of(folder)
    engine = _engine(folder)
    if today is not None:
        context.fix_today(today)
    killer.armed = True
    run_in_transaction(engine, lambda session: work(session, ids))
    killer.armed = False
    engine.dispose()


def _cli_in_child(folder: Path, killer: Any, args: list[str]) -> None:
    from web.cli import cli

    os.environ.update(child_env(folder))
    killer.armed = True
    try:
        cli.main(args, prog_name="sodientu", standalone_mode=False)
    finally:
        killer.armed = False


def _actor(session: Session, ids: dict[str, Any], role: str):  # type: ignore[no-untyped-def]
    from records.permissions import Actor

    return Actor.load(session, ids["users"][role])


def prepare_marks(folder: Path) -> None:
    _save_ids(folder, _base(folder))


def run_marks(folder: Path, killer: Any) -> None:
    from records.models import MarkKind
    from records.services import marks
    from records.services.marks import MarkInput
    from tests.records.factories_gov import IN_TERM1

    def work(session: Session, ids: dict[str, Any]) -> None:
        inputs = []
        for n, e in enumerate(ids["enrolments"]):
            inputs += [MarkInput(e, MarkKind.REGULAR, 2, str(9 - n)), MarkInput(e, MarkKind.REGULAR, 3, "")]
            inputs += [MarkInput(e, MarkKind.FINAL, 1, Decimal("9.5"))]
        marks.save_marks(session, _actor(session, ids, "subject_teacher"), ids["assignment1"], inputs,
                         today=IN_TERM1)

    _in_child(folder, killer, work)


def prepare_correction(folder: Path) -> None:
    from records.db import session_scope
    from records.models import Book, MarkKind
    from records.services import corrections, locks
    from tests.records.factories_gov import IN_TERM2

    ids = _base(folder)
    engine = _engine(folder)
    with session_scope(engine) as session:
        from records.models import SchoolYear, Term

        year, term = session.get(SchoolYear, ids["year"]), session.get(Term, ids["term1"])
        decision = locks.decide(session, _actor(session, ids, "principal"), book=Book.MARK_BOOK, school_year=year,
                                term=term, lock=True, decision_ref="QĐ 20/QĐ-THCS")
        locks.execute(session, _actor(session, ids, "administrator"), decision)
        request = corrections.request_correction(
            session, _actor(session, ids, "subject_teacher"), enrolment_id=ids["enrolments"][0],
            subject_id=ids["subject"], term_id=ids["term1"], kind=MarkKind.REGULAR, slot=2, new_value="10",
            reason="Nhập nhầm điểm bài kiểm tra", today=IN_TERM2)
        corrections.approve(session, _actor(session, ids, "principal"), request, "Đồng ý")
        ids["request"] = request.id
    engine.dispose()
    _save_ids(folder, ids)


def run_correction(folder: Path, killer: Any) -> None:
    from records.services import corrections
    from tests.records.factories_gov import IN_TERM2

    def work(session: Session, ids: dict[str, Any]) -> None:
        corrections.apply(session, _actor(session, ids, "administrator"), ids["request"],
                          leader=ids["users"]["vice_principal"], board=ids["board"], requester_present=True)

    _in_child(folder, killer, work, today=IN_TERM2)


def prepare_lock(folder: Path) -> None:
    from records.db import session_scope
    from records.models import Book, SchoolYear, Term
    from records.services import locks

    ids = _base(folder)
    engine = _engine(folder)
    with session_scope(engine) as session:
        decision = locks.decide(session, _actor(session, ids, "principal"), book=Book.MARK_BOOK,
                                school_year=session.get(SchoolYear, ids["year"]),
                                term=session.get(Term, ids["term1"]), lock=True, decision_ref="QĐ 21/QĐ-THCS")
        ids["decision"] = decision.id
    engine.dispose()
    _save_ids(folder, ids)


def run_lock(folder: Path, killer: Any) -> None:
    from records.services import locks

    def work(session: Session, ids: dict[str, Any]) -> None:
        locks.execute(session, _actor(session, ids, "administrator"), ids["decision"])

    _in_child(folder, killer, work)


def prepare_print(folder: Path) -> None:
    ids = _base(folder)
    _save_ids(folder, ids)
    _keys_init(folder)
    (folder / "out").mkdir()


def run_print(folder: Path, killer: Any) -> None:
    ids = ids_of(folder)
    _cli_in_child(folder, killer, [
        "print", "mark-book", "--class", "9A1", "--year", "2025-2026", "--as", ids["usernames"]["office"],
        "--key-dir", str(folder / "keys"), "--passphrase-file", str(folder / "pw"),
        "-o", str(folder / "out" / OUT_NAME), "--db", db_url(folder)])


def run_print_task(folder: Path, killer: Any) -> None:
    """One task of a print run (``layouts.batch._run_task``, in this process): the three students'
    transcripts of the year, their editions recorded in bulk with their archive copies, the journal line,
    one commit, then the files moved in place."""
    import archive
    from layouts import batch
    from records.models import Enrolment, Student

    ids = ids_of(folder)
    os.environ.update(child_env(folder))
    archive.install()
    engine = _engine(folder)
    with Session(engine) as session:
        codes = list(session.scalars(select(Student.code).join(Enrolment, Enrolment.student_id == Student.id)
                                     .where(Enrolment.id.in_(ids["enrolments"])).order_by(Student.code)))
    engine.dispose()
    (key,) = (folder / "keys").glob("*.key.pem")
    config = batch.BatchConfig(db_url(folder), str(folder / "out"), str(key), PASSPHRASE, ids["usernames"]["office"],
                               issued_on=dt.date(2026, 5, 30), workers=0, journal=True)
    jobs = tuple(batch.make_job(batch.TRANSCRIPT, code, year="2025-2026") for code in codes)
    killer.armed = True
    try:
        outcomes, _stats = batch._run_task(config, jobs)
    finally:
        killer.armed = False
    assert all(o.ok for o in outcomes), [o.error_en for o in outcomes]


def _task_files(folder: Path, committed: bool) -> list[str]:
    """Every edition has its archived PDF; every PDF in place is a committed edition's exact bytes."""
    from records.models import ArchiveItem, Edition

    problems: list[str] = []
    engine = _engine(folder)
    try:
        with Session(engine) as session:
            editions = {e.pdf_sha256 for e in session.scalars(select(Edition))}
            items = set(session.scalars(select(ArchiveItem.edition_id)))
            missing = [e for e in session.scalars(select(Edition.id)) if e not in items]
    finally:
        engine.dispose()
    if committed != bool(editions):
        problems.append(f"{len(editions)} edition(s) in a database {'after' if committed else 'before'} the task")
    problems += [f"edition {e} without its archived PDF" for e in missing]
    for pdf in (folder / "out").rglob("*.pdf"):
        if hashlib.sha256(pdf.read_bytes()).hexdigest() not in editions:
            problems.append(f"{pdf.name} at the output is no committed edition's PDF")
    problems += _archive_check(folder)
    return problems


def prepare_rotate(folder: Path) -> None:
    prepare_print(folder)


def run_rotate(folder: Path, killer: Any) -> None:
    _cli_in_child(folder, killer, ["keys", "rotate", "--db", db_url(folder), "--key-dir", str(folder / "keys"),
                                   "--passphrase-file", str(folder / "pw")])


def prepare_scan(folder: Path) -> None:
    """A printed mark book, and three of its pages as they come back stamped and signed (a scanner's PDF)."""
    import pikepdf

    from tests.scans.scanbook import as_pdf, signed_and_stamped

    prepare_print(folder)
    ids = ids_of(folder)
    out = folder / "out" / OUT_NAME
    code, text = _cli(folder, "print", "mark-book", "--class", "9A1", "--year", "2025-2026", "--as",
                      ids["usernames"]["office"], "--key-dir", str(folder / "keys"), "--passphrase-file",
                      str(folder / "pw"), "-o", str(out), "--db", db_url(folder))
    assert code == 0, text
    with pikepdf.open(out) as whole, pikepdf.new() as part:
        part.pages.extend(whole.pages[:3])
        import io

        buf = io.BytesIO()
        part.save(buf)
    (folder / "scan.pdf").write_bytes(as_pdf(signed_and_stamped(buf.getvalue())))
    out.unlink()


def run_scan(folder: Path, killer: Any) -> None:
    ids = ids_of(folder)
    try:
        _cli_in_child(folder, killer, ["scans", "ingest", str(folder / "scan.pdf"), "--as",
                                       ids["usernames"]["office"], "--workers", "1", "--no-progress",
                                       "--db", db_url(folder)])
    except SystemExit as done:  # status 1: the report lists the 57 pages not scanned yet; the 3 are kept
        if done.code != 1:
            raise


def prepare_deposit(folder: Path) -> None:
    _save_ids(folder, _base(folder))


def run_deposit(folder: Path, killer: Any) -> None:
    from archive import deposit

    def work(session: Session, ids: dict[str, Any]) -> None:
        deposit(session, _actor(session, ids, "office"), b"scan " * 60_000, kind="other", school_id=ids["school"],
                filename="bien-ban.pdf", title="Biên bản")

    _in_child(folder, killer, work)


# --- checking ------------------------------------------------------------------------------------


#: What signing a command's user in writes, committed before the operation (``web.passwords``).
SIGN_IN_TABLES = {"auth_session", "sign_in_attempt"}


def fingerprint(folder: Path) -> Fingerprint:
    """Every row of every table (ordered), as text."""
    from records.models import Base

    engine = _engine(folder)
    out: Fingerprint = {}
    try:
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
                out[table.name] = [tuple(str(v) for v in row) for row in rows]
    finally:
        engine.dispose()
    return out


def volatile_columns(a: Fingerprint, b: Fingerprint) -> dict[str, set[int]]:
    """Per table, the columns that differ between two clean runs (times, random ids, hashes over them)."""
    out: dict[str, set[int]] = {}
    for name, rows in a.items():
        if len(rows) != len(b[name]):
            raise AssertionError(f"two clean runs left different numbers of rows in {name}")
        out[name] = {i for r1, r2 in zip(rows, b[name], strict=True) for i, (x, y) in enumerate(zip(r1, r2)) if x != y}
    return out


def _masked(fp: Fingerprint, volatile: dict[str, set[int]]) -> Fingerprint:
    """The rows without their volatile columns, sorted: rows ordered by a random key (an edition's uuid) come
    in another order in each run, and which columns *look* volatile then depends on the two clean runs'
    orders (three editions in the same order in both, one time in six: their ``student_id`` looked
    constant, and a run killed after its commit, in another order, looked "neither before nor after")."""
    return {name: sorted(tuple(v for i, v in enumerate(r) if i not in volatile.get(name, ())) for r in rows)
            for name, rows in fp.items()}


def _audit_verify(folder: Path) -> str | None:
    code, out = _cli(folder, "audit", "verify", "--db", db_url(folder))
    return None if code == 0 else f"audit verify failed: {out.strip()[-300:]}"


def _archive_check(folder: Path) -> list[str]:
    from archive import check, open_store, use_store

    engine = _engine(folder)
    try:
        with Session(engine) as session:
            use_store(session, open_store(str(folder / "archive")))
            report = check(session)
    finally:
        engine.dispose()
    return [] if report.ok else [f"archive check: {report.problems}"]


def _edition_files(folder: Path, committed: bool) -> list[str]:
    """No edition without its archived PDF; no PDF at -o without its edition (and then its exact bytes)."""
    from records.models import ArchiveItem, Edition

    problems: list[str] = []
    out = folder / "out" / OUT_NAME
    engine = _engine(folder)
    try:
        with Session(engine) as session:
            editions = list(session.scalars(select(Edition)))
            items = {i.edition_id: i for i in session.scalars(select(ArchiveItem))}
    finally:
        engine.dispose()
    if committed != bool(editions):
        problems.append(f"{len(editions)} edition(s) in a database {'after' if committed else 'before'} the print")
    for e in editions:
        if e.id not in items:
            problems.append(f"edition {e.id} without its archived PDF")
    if out.exists():
        data = out.read_bytes()
        if not editions:
            problems.append("a PDF at the output without any edition")
        elif hashlib.sha256(data).hexdigest() != editions[-1].pdf_sha256:
            problems.append("the PDF at the output is not the edition's (half-written?)")
    problems += _archive_check(folder)
    return problems


def _key_files(folder: Path, committed: bool) -> list[str]:
    """Every key in the database has its whole key file; trust.json is whole, and the database's after a
    ``keys`` command."""
    from records.models import KeyKind, SigningKey
    from signing.keyfiles import private_key_path
    from signing.keys import load_private_key, public_key_pem

    problems: list[str] = []
    keys = folder / "keys"
    try:
        json.loads((keys / "trust.json").read_text())
    except (OSError, ValueError) as exc:
        problems.append(f"trust.json not whole after the kill: {exc!r}")
    code, out = _cli(folder, "keys", "list", "--db", db_url(folder), "--key-dir", str(keys))
    if code != 0:
        problems.append(f"keys list failed: {out[-300:]}")
    engine = _engine(folder)
    try:
        with Session(engine) as session:
            rows = list(session.scalars(select(SigningKey).where(SigningKey.kind == KeyKind.ED25519)))
            from records.services import editions as es
            from signing.trust import trust_rows_to_json

            expected = json.loads(trust_rows_to_json(es.list_keys(session), "")).get("keys")
    finally:
        engine.dispose()
    if committed != (len(rows) == 2):
        problems.append(f"{len(rows)} key rows {'after' if committed else 'before'} the rotation")
    for row in rows:
        try:
            key = load_private_key(private_key_path(keys, row.key_id), PASSPHRASE)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            problems.append(f"key {row.key_id} in the database without its whole key file: {exc!r}")
            continue
        if public_key_pem(key).strip() != row.public_pem.strip():
            problems.append(f"key file of {row.key_id} holds another key")
    try:
        held = json.loads((keys / "trust.json").read_text()).get("keys")
        if held != expected:
            problems.append("trust.json is not the database's trust list after a keys command")
    except (OSError, ValueError) as exc:
        problems.append(f"trust.json unreadable after a keys command: {exc!r}")
    return problems


def _deposit_files(folder: Path, committed: bool) -> list[str]:
    return _archive_check(folder)


@dataclass(frozen=True)
class Operation:
    """One operation under test."""

    name: str
    prepare: Callable[[Path], None]
    run: Callable[[Path, Any], None]
    files: Callable[[Path, bool], list[str]] | None = None


OPERATIONS: dict[str, Operation] = {op.name: op for op in (
    Operation("mark_save", prepare_marks, run_marks),
    Operation("correction_apply", prepare_correction, run_correction),
    Operation("lock_execute", prepare_lock, run_lock),
    Operation("print_mark_book", prepare_print, run_print, _edition_files),
    Operation("print_run_task", prepare_print, run_print_task, _task_files),
    Operation("key_rotation", prepare_rotate, run_rotate, _key_files),
    Operation("archive_deposit", prepare_deposit, run_deposit, _deposit_files),
    Operation("scan_ingest", prepare_scan, run_scan, _deposit_files),
)}


def run_child(name: str, folder: Path, kill_at: int, timeout: float = 300) -> int:
    """Run the operation in a child; returns its exit status (-9 when it killed itself)."""
    proc = subprocess.run([sys.executable, "-m", "tests.reliability.crash_child", name, str(folder), str(kill_at)],
                          check=False, cwd=ROOT, env=child_env(folder), capture_output=True, timeout=timeout)
    if proc.returncode not in (0, -9):
        raise AssertionError(f"{name} ended with {proc.returncode}: {proc.stdout.decode()[-800:]} {proc.stderr.decode()[-1500:]}")
    return proc.returncode


@dataclass
class Trial:
    """The outcome of one kill point."""

    kill_at: int
    state: str  # "before" | "after" | "neither"
    problems: list[str] = field(default_factory=list)


@dataclass
class Harness:
    """An operation's prepared school, its clean outcome, and its trials."""

    name: str
    work: Path
    steps: int = 0
    commits: list[int] = field(default_factory=list)
    before: Fingerprint = field(default_factory=dict)
    after: Fingerprint = field(default_factory=dict)
    volatile: dict[str, set[int]] = field(default_factory=dict)

    @property
    def operation(self) -> Operation:
        return OPERATIONS[self.name]

    @property
    def base(self) -> Path:
        return self.work / "base"

    def copy(self, label: str) -> Path:
        target = self.work / label
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(self.base, target)
        return target

    def setup(self) -> None:
        """Prepare the school, run the operation twice without killing, learn its steps and outcome."""
        self.operation.prepare(self.base)
        self.before = fingerprint(self.base)
        runs = []
        for label in ("clean1", "clean2"):
            folder = self.copy(label)
            assert run_child(self.name, folder, 0) == 0
            runs.append(fingerprint(folder))
            steps, *commits = (folder / "steps").read_text().split()
            self.steps, self.commits = int(steps), [int(c) for c in commits]
        self.volatile = volatile_columns(*runs)
        self.after = runs[0]
        if _masked(self.after, self.volatile) == _masked(self.before, self.volatile):
            raise AssertionError(f"{self.name}: the operation changed nothing")
        for label in ("clean1", "clean2"):
            shutil.rmtree(self.work / label)

    def trial(self, kill_at: int) -> Trial:
        folder = self.copy(f"kill{kill_at}")
        run_child(self.name, folder, kill_at)
        now = fingerprint(folder)
        masked_now, masked_after = _masked(now, self.volatile), _masked(self.after, self.volatile)
        signed_in_only = {t for t in now if now[t] != self.before[t]}
        if now == self.before:
            state = "before"
        elif masked_now == masked_after:
            state = "after"
        elif signed_in_only <= SIGN_IN_TABLES and all(masked_now[t] == masked_after[t] for t in signed_in_only):
            # A command signs its user in and commits that first (a refused password must be counted even
            # when the operation fails): killed after the sign-in, the operation itself is wholly absent.
            state = "before"
        else:
            state = "neither"
        trial = Trial(kill_at, state)
        if state == "neither":
            changed = [t for t in now if _masked(now, self.volatile)[t] != _masked(self.after, self.volatile)[t]
                       and now[t] != self.before[t]]
            trial.problems.append(f"database neither as before nor as after (tables {changed})")
        problem = _audit_verify(folder)
        if problem:
            trial.problems.append(problem)
        if self.operation.files is not None:
            trial.problems += self.operation.files(folder, state == "after")
        shutil.rmtree(folder)
        return trial


def sample(steps: int, count: int, seed: int) -> list[int]:
    """``count`` kill points in 1..steps: the first, the last three (around the commit and the files
    written after it), and the rest at random."""
    import random

    if count >= steps:
        return list(range(1, steps + 1))
    rng = random.Random(seed)
    chosen = {1} | set(range(max(2, steps - 2), steps + 1))
    rest = [n for n in range(2, steps) if n not in chosen]
    chosen |= set(rng.sample(rest, max(0, min(len(rest), count - len(chosen)))))
    return sorted(chosen)


def run_marks_in_two_commits(folder: Path, killer: Any) -> None:
    """A control: the same marks saved in two transactions (a defect the harness must find)."""
    from records.models import MarkKind
    from records.services import marks
    from records.services.marks import MarkInput
    from tests.records.factories_gov import IN_TERM1

    for e in ids_of(folder)["enrolments"][:2]:
        def work(session: Session, ids: dict[str, Any], e: int = e) -> None:
            marks.save_marks(session, _actor(session, ids, "subject_teacher"), ids["assignment1"],
                             [MarkInput(e, MarkKind.REGULAR, 2, "9")], today=IN_TERM1)

        _in_child(folder, killer, work)


CONTROL = Operation("two_commits", prepare_marks, run_marks_in_two_commits)
OPERATIONS[CONTROL.name] = CONTROL
