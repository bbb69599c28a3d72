"""The archive and inspect commands, end to end on a SQLite file and a local archive folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat

import bagit
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from archive.items import ENTITY
from records import audit
from records.db import make_engine, session_scope
from records.models import ArchiveItem, AuthSession, Base, InspectorAccess, Role, SignInAttempt, User
from tests.factories import TEST_PASSWORD
from tests.records.factories_gov import make_world
from web.cli import cli


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("SODIENTU_ARCHIVE", str(tmp_path / "archive"))
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with session_scope(engine) as session:
        world = make_world(session)
        info = {"url": url, "school": world.school.code, "users": {r: u.username for r, u in world.users.items()},
                "student": world.enrolments[0].student.code, "year": world.year.name, "class": world.klass.name}
    yield info
    engine.dispose()


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env, input=input)


def test_deposit_check_find_open_export_and_refusals(db, tmp_path):
    users = db["users"]
    scan = tmp_path / "don.pdf"
    scan.write_bytes(b"%PDF-1.7 don de nghi sua diem " * 50)
    result = run("archive", "deposit", str(scan), "--kind", "correction_request", "--school", db["school"],
                 "--year", db["year"], "--class", db["class"], "--student", db["student"],
                 "--as", users[Role.OFFICE], "--db", db["url"])
    assert result.exit_code == 0, result.output
    assert "Đã lưu hồ sơ số 1" in result.output and "vĩnh viễn" in result.output
    result = run("archive", "check", "--db", db["url"])
    assert result.exit_code == 0 and "nguyên vẹn" in result.output

    inspector = users[Role.INSPECTOR]
    result = run("inspect", "find", "--school", db["school"], "--as", inspector, "--db", db["url"])
    assert result.exit_code == 1 and "chưa được cấp quyền" in result.output

    today = dt.date.today()
    result = run("inspect", "grant", "--inspector", inspector, "--school", db["school"], "--year", db["year"],
                 "--from", (today - dt.timedelta(days=1)).isoformat(), "--to", (today + dt.timedelta(days=9)).isoformat(),
                 "--reason", "Quyết định kiểm tra số 5/QĐ-PGDĐT", "--as", users[Role.ADMINISTRATOR], "--db", db["url"])
    assert result.exit_code == 0, result.output
    result = run("inspect", "access", "--as", inspector, "--db", db["url"])
    assert "số 1:" in result.output
    result = run("inspect", "find", "--school", db["school"], "--student", db["student"], "--as", inspector,
                 "--db", db["url"])
    assert result.exit_code == 0, result.output
    assert "1 hồ sơ lưu trữ" in result.output and "Đơn đề nghị sửa chữa" in result.output

    copy = tmp_path / "out" / "don.pdf"
    result = run("inspect", "open", "1", "-o", str(copy), "--as", inspector, "--db", db["url"])
    assert result.exit_code == 1 and "không tự tạo thư mục" in result.output  # no folder is made for -o
    copy.parent.mkdir()
    result = run("inspect", "open", "1", "-o", str(copy), "--as", inspector, "--db", db["url"])
    assert result.exit_code == 0, result.output
    assert copy.read_bytes() == scan.read_bytes() and not os.stat(copy).st_mode & stat.S_IWUSR

    bag = tmp_path / "bag"
    result = run("inspect", "export", "--school", db["school"], "--year", db["year"], "-o", str(bag),
                 "--as", inspector, "--db", db["url"])
    assert result.exit_code == 0, result.output
    bagit.Bag(str(bag)).validate()

    # one byte changed in the store: check names the item and fails
    sha = hashlib.sha256(scan.read_bytes()).hexdigest()
    stored = tmp_path / "archive" / "objects" / sha[:2] / sha
    data = bytearray(stored.read_bytes())
    data[10] ^= 1
    stored.chmod(0o644)  # objects are written read-only
    stored.write_bytes(bytes(data))
    result = run("archive", "check", "--db", db["url"])
    assert result.exit_code == 1
    assert "BỊ THAY ĐỔI: hồ sơ số 1" in result.output and sha in result.output


def test_deletion_before_retention_is_refused(db, tmp_path):
    users = db["users"]
    scan = tmp_path / "so.pdf"
    scan.write_bytes(b"%PDF-1.7 so diem ca nhan")
    run("archive", "deposit", str(scan), "--kind", "teacher_markbook_scan", "--school", db["school"],
        "--as", users[Role.OFFICE], "--db", db["url"])
    result = run("archive", "delete", "1", "--reason", "hết hạn", "--as", users[Role.PRINCIPAL], "--db", db["url"])
    assert result.exit_code == 1 and "chưa được hủy" in result.output


def test_archive_and_inspect_act_for_someone_only_with_their_password(db, tmp_path, monkeypatch):
    """Every archive / inspect command that acts ``--as NAME`` signs NAME in: a wrong or missing password is
    refused before anything is read or written, and the refusal counts against the rate limits."""
    users, inspector = db["users"], db["users"][Role.INSPECTOR]
    monkeypatch.delenv("SODIENTU_PASSWORD")
    scan = tmp_path / "don.pdf"
    scan.write_bytes(b"%PDF-1.7 don de nghi sua diem")
    today = dt.date.today()
    commands = [
        ("archive", "deposit", str(scan), "--kind", "correction_request", "--school", db["school"],
         "--as", users[Role.OFFICE]),
        ("archive", "delete", "1", "--reason", "hết hạn", "--as", users[Role.PRINCIPAL]),
        ("inspect", "grant", "--inspector", inspector, "--school", db["school"], "--from", today.isoformat(),
         "--to", today.isoformat(), "--reason", "Quyết định 5/QĐ", "--as", users[Role.ADMINISTRATOR]),
        ("inspect", "revoke", "1", "--as", users[Role.ADMINISTRATOR]),
        ("inspect", "access", "--as", inspector),
        ("inspect", "find", "--school", db["school"], "--as", inspector),
        ("inspect", "open", "1", "-o", str(tmp_path / "mo.pdf"), "--as", inspector),
        ("inspect", "export", "--school", db["school"], "-o", str(tmp_path / "bag"), "--as", inspector),
    ]
    for args in commands:
        wrong = run(*args, "--db", db["url"], env={"SODIENTU_PASSWORD": "doan-mo-123"})
        assert wrong.exit_code == 1 and "mật khẩu không đúng" in wrong.output, (args, wrong.output)
    office = users[Role.OFFICE]
    deposit = commands[0]
    nothing = run(*deposit, "--db", db["url"], input="\n")  # asked without echo; nothing typed
    assert nothing.exit_code == 1 and "mật khẩu không đúng" in nothing.output
    someone_else = run(*deposit, "--db", db["url"], env={"SODIENTU_PASSWORD": TEST_PASSWORD,
                                                         f"SODIENTU_PASSWORD_{office.upper()}": "sai"})
    assert someone_else.exit_code == 1  # NAME's own variable wins over the shared one
    assert not (tmp_path / "mo.pdf").exists() and not (tmp_path / "bag").exists()

    engine = make_engine(db["url"])
    with session_scope(engine) as session:
        failed = dict(session.execute(select(SignInAttempt.username, func.count()).where(
            SignInAttempt.succeeded.is_(False)).group_by(SignInAttempt.username)).all())
        assert failed == {office: 3, users[Role.PRINCIPAL]: 1, users[Role.ADMINISTRATOR]: 2, inspector: 4}
        assert session.scalar(select(func.count()).select_from(ArchiveItem)) == 0
        assert session.scalar(select(func.count()).select_from(InspectorAccess)) == 0
        assert session.scalar(select(func.count()).select_from(AuthSession)) == 0

    done = run(*deposit, "--db", db["url"], env={f"SODIENTU_PASSWORD_{office.upper()}": TEST_PASSWORD})
    assert done.exit_code == 0 and "Đã lưu hồ sơ số 1" in done.output, done.output
    assert TEST_PASSWORD not in done.output
    with session_scope(engine) as session:  # the deposit names the command's session
        cli_session = session.scalars(select(AuthSession)).one()
        assert cli_session.channel == "cli" and cli_session.user_id == session.scalar(
            select(User.id).where(User.username == office))
        entry = next(e for e in audit.entries(session, entity=ENTITY) if e.action == "deposit")
        assert audit.state(entry.after)["auth_session"] == cli_session.id
    engine.dispose()
