"""The demo prints its books through the batch pipeline (``layouts.batch``) as signed editions.

A small demo (48 students, one class per grade) is built and printed by ``sodientu demo`` into a
temporary folder, on SQLite and — when ``SODIENTU_TEST_DATABASE_URL`` names a PostgreSQL server —
in a database ``sodientu_demo_print_test`` created and dropped on that server. Checked: the
manifest lists every file with its digest and page count; every PDF verifies as genuine against
the database; each kind of book is there; the audit trail is sealed with the school key; a failing
job is reported while the others are written.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from layouts import batch
from layouts.render import page_count
from records import audit
from records.books.transcript import read_transcript, read_transcripts
from records.db import make_engine
from records.demo.build import DEMO_SCHOOL_CODE
from records.demo.manifest import file_sha256, read_manifest
from records.models import (
    Class,
    Edition,
    EditionKind,
    EditionStatus,
    Enrolment,
    EnrolmentStatus,
    Grade,
    Mark,
    Role,
    RoleGrant,
    School,
    SchoolYear,
    Student,
    User,
)
from records.permissions import Actor
from records.services import trail, trail_cache
from signing.keys import TrailCacheSigner, key_id, load_private_key, load_public_key
from signing.trust import DbTrustList
from signing.verify import PageStatus, verify_file
from tests.conftest import scratch_database
from web.cli import cli
from web.commands.demo import DEMO_PASSPHRASE

pytestmark = pytest.mark.slow

ARGS = ["--students", "48", "--classes-per-grade", "1", "--seed", "7", "--quiet", "--workers", "2"]
DEMO_DB = f"sodientu_demo_print_test_{os.getpid()}"  # helpers may share the server
YEAR = "2025-2026"


@dataclass
class Printed:
    """A demo built and printed by the command: database, output and key folders, output."""

    url: str
    out: Path
    keys: Path
    output: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database for the demo."""
    with scratch_database(request.param, tmp_path_factory.mktemp("demo-print"), DEMO_DB) as url:
        yield url


@pytest.fixture(scope="module")
def printed(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Printed:
    """The demo, built and printed once per database by ``sodientu demo``."""
    out = tmp_path_factory.mktemp("out")
    keys = tmp_path_factory.mktemp("keys")
    result = CliRunner().invoke(cli, ["demo", "--db", demo_url, "--out", str(out), "--key-dir", str(keys), *ARGS],
                                env={"SODIENTU_KEY_PASSPHRASE": None})
    assert result.exit_code == 0, result.output
    return Printed(demo_url, out, keys, result.output)


@pytest.fixture
def db(printed: Printed) -> Iterator[Session]:
    engine = make_engine(printed.url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _current(db: Session) -> SchoolYear:
    return db.scalars(select(SchoolYear).join(School).where(School.code == DEMO_SCHOOL_CODE,
                                                            SchoolYear.start_year == 2025)).one()


def _roll(db: Session) -> list[tuple[str, int]]:
    """(student code, grade level) of every student on a roll of the current year."""
    year = _current(db)
    return [tuple(r) for r in db.execute(
        select(Student.code, Grade.level).join(Enrolment, Enrolment.student_id == Student.id)
        .join(Class, Class.id == Enrolment.class_id).join(Grade, Grade.id == Class.grade_id)
        .where(Grade.school_year_id == year.id, Enrolment.status == EnrolmentStatus.ACTIVE))]


def test_the_manifest_lists_every_file_with_digest_and_pages(printed: Printed) -> None:
    entries = read_manifest(printed.out)
    on_disk = sorted(p.relative_to(printed.out).as_posix() for p in printed.out.rglob("*")
                     if p.is_file() and p.name != "manifest.json")
    assert sorted(e.path for e in entries) == on_disk
    for entry in entries:
        path = printed.out / entry.path
        assert entry.sha256 == file_sha256(path), entry.path
        if entry.path.endswith(".pdf"):
            assert entry.pages == page_count(path.read_bytes()), entry.path
    assert "Đã in" in printed.output and "niêm phong" in printed.output


def test_every_kind_of_book_is_printed(printed: Printed, db: Session) -> None:
    entries = {e.path: e for e in read_manifest(printed.out)}
    kinds = Counter(e.kind for e in entries.values())
    roll = _roll(db)
    classes = db.scalars(select(Class.name).join(Grade).where(Grade.school_year_id == _current(db).id)).all()
    courses = db.scalars(select(Student.course).join(School).where(School.code == DEMO_SCHOOL_CODE)
                         .distinct()).all()
    grade9 = sum(1 for _c, level in roll if level == 9)
    # grade-9 students get the bound volume (which holds this year), the others the year's transcript
    assert kinds == {"markbook": len(classes), "transcript": len(roll) - grade9, "transcript_volume": grade9,
                     "register": len(courses), "summary": 1}
    assert len(classes) == 4 and len(courses) >= 5
    assert entries[f"so-diem/{YEAR}/9A.pdf"].class_name == "9A"  # one class per grade: 6A … 9A
    code8 = next(c for c, lv in roll if lv == 8)
    assert entries[f"hoc-ba/{YEAR}/{code8}.pdf"].student_code == code8
    code, _level = next((c, lv) for c, lv in roll if lv == 9)
    assert f"hoc-ba/{YEAR}/{code}.pdf" not in entries
    volume = entries[f"hoc-ba/toan-cap/{code}.pdf"]
    assert volume.school_year == "2022-2026" and volume.pages is not None and volume.pages >= 10
    assert entries["so-dang-bo/2022-2026.pdf"].kind == "register"


def test_every_pdf_verifies_as_genuine_against_the_database(printed: Printed, db: Session) -> None:
    trust = DbTrustList(db)
    pdfs = sorted(printed.out.rglob("*.pdf"))
    assert len(pdfs) == sum(1 for e in read_manifest(printed.out) if e.path.endswith(".pdf")) > 50
    for pdf in pdfs:
        report = verify_file(pdf, trust, db)
        assert report.ok, (pdf, report.problems_vi, [p.status for p in report.pages])
        assert all(p.status is PageStatus.GENUINE for p in report.pages)
    editions = db.scalars(select(Edition).where(Edition.status == EditionStatus.CURRENT)).all()
    assert len(editions) == len(pdfs)
    by_sha = {e.pdf_sha256 for e in editions}
    assert all(file_sha256(p) in by_sha for p in pdfs)
    office = db.scalars(select(User.username).join(RoleGrant, RoleGrant.user_id == User.id)
                        .where(RoleGrant.role == Role.OFFICE)).first()
    assert {e.created_by_name for e in editions} == {office}
    assert Counter(e.kind for e in editions)[EditionKind.MARK_BOOK] == 4


def test_the_key_stays_out_of_the_output_and_the_trail_is_sealed(printed: Printed, db: Session) -> None:
    (private,) = printed.keys.glob("*.key.pem")
    assert b"ENCRYPTED" in private.read_bytes() and oct(private.stat().st_mode & 0o777) == "0o600"
    assert not list(printed.out.rglob("*.pem"))
    (public,) = printed.keys.glob("*.pub.pem")
    key = load_public_key(public.read_bytes())
    school_id = db.scalars(select(School.id).where(School.code == DEMO_SCHOOL_CODE)).one()

    def verifier(payload: bytes, kid: str, signature: bytes) -> bool:
        key.verify(signature, payload)
        return kid == key_id(key)

    report = audit.verify(db, school_id, verifier=verifier)
    assert report.ok and report.checkpoints >= 1 and report.signatures_checked == 1  # + automatic seals
    db.rollback()  # end the read transaction (SQLite: the command below takes the write lock)
    result = CliRunner().invoke(cli, ["audit", "verify", "--db", printed.url, "--public-key", str(public)])
    assert result.exit_code == 0 and "chữ kí hợp lệ" in result.output, result.output
    assert DEMO_PASSPHRASE  # the documented default protects the demo key when the variable is unset


# After the tests above: its reprints supersede two of the demo's editions.
def test_a_failing_job_is_reported_and_the_others_are_written(printed: Printed, db: Session,
                                                            tmp_path: Path) -> None:
    (private,) = printed.keys.glob("*.key.pem")
    office = db.scalars(select(User.username).join(RoleGrant, RoleGrant.user_id == User.id)
                        .where(RoleGrant.role == Role.OFFICE)).first()
    code = _roll(db)[0][0]
    nine = db.scalars(select(Class.id).join(Grade).where(Grade.school_year_id == _current(db).id,
                                                         Grade.level == 9)).one()
    jobs = [
        batch.make_job(batch.TRANSCRIPT, "KHONG-CO", "học bạ của học sinh KHONG-CO", year=YEAR),
        batch.make_job(batch.TRANSCRIPT, code, year=YEAR),
        batch.make_job(batch.MARKBOOK, 999_999),
        batch.make_job(batch.MARKBOOK, nine),
    ]
    db.rollback()  # the workers write: no transaction of ours may hold the SQLite lock
    config = batch.BatchConfig(printed.url, str(tmp_path), str(private), DEMO_PASSPHRASE, office,
                               issued_on=dt.date(2026, 6, 15), workers=2, transcripts_per_task=2)
    report = batch.run_batch(config, jobs)
    assert not report.ok and len(report.failures) == 2
    missing, ok_transcript, no_class, ok_markbook = report.outcomes
    assert "KHONG-CO" in (missing.error_vi or "") and "Không tìm thấy học sinh" in (missing.error_vi or "")
    assert missing.error_en and "no student" in missing.error_en
    assert "Không tìm thấy lớp" in (no_class.error_vi or "")
    assert ok_transcript.ok and ok_markbook.ok
    assert (tmp_path / f"hoc-ba/{YEAR}/{code}.pdf").is_file() and (tmp_path / f"so-diem/{YEAR}/9A.pdf").is_file()
    assert {f.path for f in report.files} == {f"hoc-ba/{YEAR}/{code}.pdf", f"so-diem/{YEAR}/9A.pdf"}
    # the reprints supersede the demo's editions of the same books
    trust = DbTrustList(db)
    assert verify_file(tmp_path / f"so-diem/{YEAR}/9A.pdf", trust, db).ok
    old = verify_file(printed.out / f"so-diem/{YEAR}/9A.pdf", trust, db)
    assert not old.ok and {p.status for p in old.pages} == {PageStatus.SUPERSEDED}


def test_transcripts_read_together_equal_transcripts_read_alone(printed: Printed, db: Session) -> None:
    codes = db.scalars(select(Student.code).order_by(Student.id)).all()
    reader = Actor.system("kiểm thử")
    together = read_transcripts(db, reader, [*codes, "KHONG-CO"])
    assert "KHONG-CO" not in together and list(together) == list(codes)
    for code in codes:
        assert together[code] == read_transcript(db, reader, code), code


def test_a_read_only_engine_refuses_to_write(printed: Printed) -> None:
    if make_url(printed.url).get_backend_name() != "sqlite":
        pytest.skip("read_only only changes SQLite engines")
    engine = make_engine(printed.url, read_only=True)
    try:
        with Session(engine) as session:
            assert session.scalar(select(School.code).where(School.code == DEMO_SCHOOL_CODE))
            session.execute(text("UPDATE school SET name = name"))
            pytest.fail("the read-only engine wrote")
    except OperationalError as exc:
        assert "readonly" in str(exc).lower() or "read-only" in str(exc).lower() or "query_only" in str(exc)
    finally:
        engine.dispose()


# --- the run's one trail check: a value forged behind the services' back still stops its books ---------


def _forge(url: str, code: str, score: object = None) -> tuple[int, object]:
    """Set (with SQL, no trace; the column holds tenths) the first scored mark of the student's current enrolment; (mark id, old score)."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            mark_id = session.execute(
                select(Mark.id).join(Enrolment, Enrolment.id == Mark.enrolment_id)
                .join(Student, Student.id == Enrolment.student_id).join(Class, Class.id == Enrolment.class_id)
                .join(Grade, Grade.id == Class.grade_id).join(SchoolYear, SchoolYear.id == Grade.school_year_id)
                .where(Student.code == code, SchoolYear.start_year == 2025, Mark.score.is_not(None))
                .order_by(Mark.id).limit(1)).scalar_one()
            old = session.scalar(text("SELECT score FROM mark WHERE id = :id"), {"id": mark_id})  # tenths
            session.execute(text("UPDATE mark SET score = :v WHERE id = :id"),
                            {"v": 13 if score is None else score, "id": mark_id})
            session.commit()
    finally:
        engine.dispose()
    return mark_id, old


def _restore(url: str, mark_id: int, score: object) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            session.execute(text("UPDATE mark SET score = :v WHERE id = :id"), {"v": score, "id": mark_id})
            session.commit()
    finally:
        engine.dispose()


def _run_setup(printed: Printed, db: Session, tmp_path: Path) -> tuple[batch.BatchConfig, int, int, str, str]:
    """(config, class 9A, a class of grade 6, a student of 9A, a student of grade 6)."""
    (private,) = printed.keys.glob("*.key.pem")
    office = db.scalars(select(User.username).join(RoleGrant, RoleGrant.user_id == User.id)
                        .where(RoleGrant.role == Role.OFFICE)).first()
    roll = _roll(db)
    nine_code = next(c for c, level in roll if level == 9)
    six_code = next(c for c, level in roll if level == 6)
    year_id = _current(db).id
    classes = {level: cid for level, cid in db.execute(select(Grade.level, Class.id).select_from(Class).join(Grade)
                                                       .where(Grade.school_year_id == year_id))}
    db.rollback()
    config = batch.BatchConfig(printed.url, str(tmp_path), str(private), DEMO_PASSPHRASE, office,
                               issued_on=dt.date(2026, 6, 15), workers=2, transcripts_per_task=1)
    return config, classes[9], classes[6], nine_code, six_code


def test_a_mark_forged_before_the_run_stops_its_books_only(printed: Printed, db: Session, tmp_path: Path) -> None:
    config, nine, six, nine_code, six_code = _run_setup(printed, db, tmp_path)
    jobs = [batch.make_job(batch.MARKBOOK, nine), batch.make_job(batch.TRANSCRIPT, nine_code, volume=True),
            batch.make_job(batch.TRANSCRIPT, six_code, year=YEAR), batch.make_job(batch.MARKBOOK, six)]
    mark_id, old = _forge(printed.url, nine_code)
    try:
        report = batch.run_batch(config, jobs)
    finally:
        _restore(printed.url, mark_id, old)
    markbook, volume, transcript, other = report.outcomes
    for failed in (markbook, volume):
        assert not failed.ok and not failed.files
        assert "không khớp với nhật kí lưu vết" in (failed.error_vi or "") and "1.3" in (failed.error_vi or "")
    assert transcript.ok and other.ok and len(report.files) == 2
    assert report.check_cpu > 0  # the run's check ran (in this process)
    assert 0 < report.verdict_at < report.wall and report.verdict_wait >= 0  # when, and how long the workers waited


def test_a_mark_forged_after_the_runs_check_is_caught_when_the_book_reads_it(printed: Printed, db: Session,
                                                                             tmp_path: Path) -> None:
    config, nine, _six, nine_code, six_code = _run_setup(printed, db, tmp_path)
    forged_book = batch.make_job(batch.MARKBOOK, nine)
    clean_book = batch.make_job(batch.TRANSCRIPT, six_code, year=YEAR)
    verdict = tmp_path / "verdict.json"
    batch.write_verdict(config, [forged_book, clean_book], str(verdict))
    used = batch._read_verdict(str(verdict), load_private_key(config.key_file, config.passphrase))
    assert used is not None and len(used.digests) > 5 and not used.failed  # the tasks use it
    mark_id, old = _forge(printed.url, nine_code, 97)  # after the check, before the books are read
    try:
        outcomes, _stats = batch._run_task(config, (clean_book, forged_book), str(verdict))
    finally:
        _restore(printed.url, mark_id, old)
    clean, forged = outcomes
    assert clean.ok and len(clean.files) == 1
    assert not forged.ok and not forged.files and "9.7" in (forged.error_vi or "")
    assert "không khớp với nhật kí lưu vết" in (forged.error_vi or "")
    # a verdict that does not verify (edited) is not used: the books are checked alone and print
    edited = tmp_path / "edited.json"
    edited.write_bytes(verdict.read_bytes().replace(b'"failed":[]', b'"failed":[ ]'))
    assert batch._read_verdict(str(edited), load_private_key(config.key_file, config.passphrase)) is None
    outcomes, _stats = batch._run_task(config, (clean_book,), str(edited))
    assert outcomes[0].ok


def test_the_workers_produce_on_while_the_verdict_is_pending_and_nothing_leaves_before_it(
        printed: Printed, db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow run verdict (a hook in front of ``write_verdict``): the one worker produces every task of the run
    (each book's compiled document dumped) before the verdict is written, and nothing of them leaves it before
    (no file in the output folder, no edition); then the books are recorded, a forged one refused as always."""
    config, _nine, six, nine_code, _six_code = _run_setup(printed, db, tmp_path / "out")
    sixes = [code for code, level in _roll(db) if level == 6 and code != nine_code][:2]
    db.rollback()  # the workers write: no transaction of ours may hold the SQLite lock
    jobs = [batch.make_job(batch.MARKBOOK, six), batch.make_job(batch.TRANSCRIPT, nine_code, volume=True),
            *(batch.make_job(batch.TRANSCRIPT, code, year=YEAR) for code in sixes)]
    dump, out = tmp_path / "documents", tmp_path / "out"
    config = replace(config, workers=1, dump_dir=str(dump))

    def produced() -> int:  # books compiled (``BatchConfig.dump_dir``; the measuring documents left out)
        return sum(1 for f in dump.glob("*.json") if not f.name.startswith("measure-")) if dump.is_dir() else 0

    def editions() -> int:
        engine = make_engine(printed.url, read_only=True)
        try:
            with Session(engine) as session:
                return session.scalar(select(func.count()).select_from(Edition)) or 0
        finally:
            engine.dispose()

    before = editions()
    seen: dict[str, object] = {}
    write_verdict = batch.write_verdict

    def slow_verdict(config: batch.BatchConfig, jobs: list[batch.Job], path: str) -> float:
        guard = time.monotonic() + 240  # not a timing: without it, a run that cannot go on would hang the test
        while produced() < 4 and time.monotonic() < guard:
            time.sleep(0.05)
        seen.update(produced=produced(), files=sorted(str(f) for f in out.rglob("*")) if out.is_dir() else [],
                    editions=editions() - before)
        return write_verdict(config, jobs, path)

    monkeypatch.setattr(batch, "write_verdict", slow_verdict)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # the run's verdict and spool folders
    (tmp_path / "tmp").mkdir()
    mark_id, old = _forge(printed.url, nine_code)
    try:
        report = batch.run_batch(config, jobs)
    finally:
        _restore(printed.url, mark_id, old)
    assert seen == {"produced": 4, "files": [], "editions": 0}  # four tasks produced, nothing out before the verdict
    markbook, volume, *transcripts = report.outcomes
    assert markbook.ok and all(t.ok for t in transcripts) and len(report.files) == 3
    assert not volume.ok and not volume.files and "không khớp với nhật kí lưu vết" in (volume.error_vi or "")
    assert editions() - before == 3 and not list((tmp_path / "tmp").iterdir())  # no spool left
    trust = DbTrustList(db)
    assert all(verify_file(out / f.path, trust, db).ok for f in report.files)  # recorded from the spools: genuine
    db.rollback()


def test_the_runs_verdict_is_out_before_the_trail_snapshot_is_written(printed: Printed, db: Session, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The tasks wait for the verdict file; the snapshot (for later processes) is written after it, in the same
    read transaction, and a later check starts from it as before."""
    config, nine, _six, _nine_code, six_code = _run_setup(printed, db, tmp_path)
    jobs = [batch.make_job(batch.MARKBOOK, nine), batch.make_job(batch.TRANSCRIPT, six_code, year=YEAR)]
    verdict = tmp_path / "verdict.json"
    monkeypatch.setenv(trail_cache.CACHE_ENV, str(tmp_path / "trail-cache.sqlite"))
    real_save, seen = trail_cache.save, []

    def save(*args: object, **kwargs: object) -> bool:
        seen.append(verdict.exists())
        return real_save(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(trail_cache, "save", save)
    trail.forget()  # what a new process sees: no replay, no snapshot written yet
    batch.write_verdict(config, jobs, str(verdict))
    assert seen == [True]  # one snapshot, written once the verdict was there
    used = batch._read_verdict(str(verdict), load_private_key(config.key_file, config.passphrase))
    assert used is not None and used.digests and not used.failed
    signer = TrailCacheSigner(load_private_key(config.key_file, config.passphrase))
    ids = sorted(batch.run_enrolments(db, jobs))
    snapshot = trail_cache.load(db, signer, audit.chain_of(_current(db).school_id), ids)
    assert snapshot is not None and set(snapshot.values) <= set(ids) and snapshot.values
    assert trail.check_traced(db, ids, signer=signer).ok  # a check from the snapshot agrees
    db.rollback()


def test_a_run_that_is_never_resumed_writes_no_journal(printed: Printed, db: Session, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``print_run(journal=False)`` (the demo: rebuilt, never resumed): no journal line, no fsync per task."""
    from layouts import printrun

    config, _nine, _six, _nine_code, six_code = _run_setup(printed, db, tmp_path)
    called = []
    monkeypatch.setattr(printrun, "journal_editions", lambda *args, **kwargs: called.append(args))
    jobs = [batch.make_job(batch.TRANSCRIPT, six_code, year=YEAR)]
    run = printrun.print_run(replace(config, workers=0), jobs, reprint=True, journal=False)
    assert run.ok and len(run.files) == 1 and not called
    assert not list((tmp_path / printrun.JOURNAL_DIR).glob("journal-*.jsonl"))
    run = printrun.print_run(replace(config, workers=0), jobs, reprint=True)  # «sodientu print school»: journaled
    assert run.ok and len(called) == 1


def test_a_book_prints_no_value_outside_the_tables_its_digests_cover(printed: Printed, db: Session) -> None:
    """A book's trail digests cover the tables of its kind only (``trail.PRINTED_TABLES``: a register reads the
    year's results, a transcript no mark, absence or conduct row): deleting every row of any other table of
    the book's enrolments leaves its document the same, while any row of a covered table changes the digest."""
    from layouts.publish import scope_enrolments
    from records.services import trail

    config, _nine, _six, nine_code, six_code = _run_setup(printed, db, Path("/nonexistent"))
    actor = Actor.by_username(db, config.username)
    course = db.scalars(select(Student.course).where(Student.code == nine_code)).one()
    jobs = [batch.make_job(batch.TRANSCRIPT, six_code, year=YEAR), batch.make_job(batch.TRANSCRIPT, nine_code, volume=True),
            batch.make_job(batch.REGISTER, course, school_code=DEMO_SCHOOL_CODE)]
    sql_table = {"student_result_row": "student_result", "subject_result_row": "subject_result"}
    checked = 0
    for job in jobs:
        tables = trail.PRINTED_TABLES[job.kind]
        docs = batch._load(db, actor, job, config.issued_on)
        ids = sorted({e for doc in docs for e in scope_enrolments(db, doc.scope)})
        before = [doc.document.to_json() for doc in docs]
        digests = trail.stored_digests(db, ids, tables)
        for table in trail.TABLES:
            with db.begin_nested() as nested:
                deleted = db.execute(text(f"DELETE FROM {sql_table.get(table, table)} WHERE enrolment_id IN "
                                          f"({', '.join(map(str, ids))})")).rowcount
                assert deleted > 0 or table in ("attendance", "conduct"), (job, table)
                after = [doc.document.to_json() for doc in batch._load(db, actor, job, config.issued_on)]
                if table in tables:
                    assert deleted == 0 or trail.stored_digests(db, ids, tables) != digests, (job, table)
                else:
                    assert after == before, f"{job.kind} prints values of {table}: add it to trail.PRINTED_TABLES"
                    checked += 1
                nested.rollback()
        assert trail.stored_digests(db, ids, tables) == digests
    assert checked >= 3 + 6  # a transcript ignores 3 tables, a register 6
    db.rollback()
