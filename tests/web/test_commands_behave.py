"""Commands that behave (issue 16, item 5): one Vietnamese line per error, the English detail in the log;
no database created by a typo; no folders created by ``-o``; clear messages for unsupported URLs and a
missing database; Vietnam's time; progress while the audit log is checked."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from records import audit
from records.db import make_engine, session_scope
from records.errors import BookLockedError
from records.models import Base, Book, LockDecision, Role
from records.services import locks
from records.services.context import vn_time
from tests.records.factories_gov import IN_TERM1, make_world
from web.cli import cli

ROOT = Path(__file__).parents[2]


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'school.sqlite'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with session_scope(engine) as session:
        world = make_world(session)
        ids = {"school": world.school.id, "code": world.school.code}
    engine.dispose()
    return {"url": url, "dir": tmp_path, **ids}


def _run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env=env)


def _sodientu(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The real console script (its logging set-up happens in ``main``)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("SODIENTU_")}
    full.update(env)
    full["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-c", "from web.cli import main; main()", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=120, check=False)


def test_an_error_is_one_vietnamese_line_and_the_english_goes_to_the_log(tmp_path) -> None:
    missing = tmp_path / "khong-co.sqlite"
    done = _sodientu("keys", "list", "--db", f"sqlite:///{missing}", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        (f"Lỗi: Không có cơ sở dữ liệu {missing}. Kiểm tra lại đường dẫn --db (hoặc biến SODIENTU_DB); tạo cơ sở "
         "dữ liệu mới bằng «sodientu init» hoặc «sodientu demo».")]
    assert "ERROR" not in done.stdout + done.stderr and "Traceback" not in done.stderr
    log = tmp_path / "sodientu.log"
    done = _sodientu("keys", "list", "--db", f"sqlite:///{missing}", cwd=tmp_path, SODIENTU_LOG=str(log))
    assert len(done.stderr.strip().splitlines()) == 1 and "ERROR" not in done.stderr
    assert "ERROR sodientu: no SQLite database at" in log.read_text()
    verbose = _sodientu("-v", "keys", "list", "--db", f"sqlite:///{missing}", cwd=tmp_path)
    assert "ERROR sodientu: no SQLite database at" in verbose.stderr and "Lỗi: Không có cơ sở dữ liệu" in verbose.stderr


def test_an_unexpected_failure_is_one_line_with_the_traceback_in_the_log(db, monkeypatch, caplog) -> None:
    from records.services import editions

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(editions, "list_keys", broken)
    result = _run("keys", "list", "--db", db["url"])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.strip().startswith("Lỗi: Lỗi ngoài dự kiến; lệnh đã dừng.")
    assert "Traceback" not in result.output and "boom" not in result.output
    assert any("boom" in (r.exc_text or "") or (r.exc_info and "boom" in str(r.exc_info[1])) for r in caplog.records)


def test_a_mistyped_sqlite_path_is_refused_and_creates_nothing(db, tmp_path) -> None:
    typo = tmp_path / "schol.sqlite"
    for args in (("keys", "list"), ("edition", "list"), ("audit", "verify"), ("lock", "status", "--school", "X",
                                                                                "--year", "2025")):
        result = _run(*args, "--db", f"sqlite:///{typo}")
        assert result.exit_code == 1 and "Không có cơ sở dữ liệu" in result.output, (args, result.output)
        assert not typo.exists()
    result = _run("keys", "list", env={"SODIENTU_DB": f"sqlite:///{typo}"})
    assert result.exit_code == 1 and not typo.exists()
    result = _run("serve", "--db", f"sqlite:///{typo}", "--port", "1")  # refused before serving
    assert result.exit_code == 1 and "Không có cơ sở dữ liệu" in result.output and not typo.exists()
    assert _run("keys", "list", "--db", db["url"]).exit_code == 0  # the real one still opens
    created = tmp_path / "new.sqlite"
    assert _run("db", "upgrade", "--db", f"sqlite:///{created}").exit_code == 0 and created.exists()  # may create


def test_verify_without_a_database_or_a_certificate_says_what_to_do(tmp_path) -> None:
    page = tmp_path / "trang.png"
    page.write_bytes(b"\x89PNG\r\n\x1a\n")
    result = _run("verify", str(page), "--db", f"sqlite:///{tmp_path / 'khong-co.sqlite'}")
    assert result.exit_code == 1 and "--offline --trust" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "khong-co.sqlite").exists()
    result = _run("verify", str(page), "--offline", "--trust", str(tmp_path / "trust.json"))
    assert result.exit_code == 1 and "danh sách khóa công khai" in result.output


@pytest.mark.parametrize("url", ["mysql://u:bi-mat@localhost/truong", "oracle://u@h/db", "khong-phai-url"])
def test_an_unsupported_database_url_gets_a_message_not_a_traceback(url) -> None:
    result = _run("keys", "list", "--db", url)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Lỗi: ") and "Traceback" not in result.output
    assert "bi-mat" not in result.output  # the password of a URL is never shown
    if "://" in url:
        assert "chỉ dùng được SQLite" in result.output


def test_output_into_a_missing_folder_is_refused_and_no_folder_is_made(db, tmp_path) -> None:
    nowhere = tmp_path / "khong-co" / "con"
    runs = [
        ("print", "mark-book", "--class", "9A1", "--year", "2025-2026", "--draft", "-o", str(nowhere / "so.pdf")),
        ("correction", "print", "1", "--as", "x", "-o", str(nowhere / "bien-ban.pdf")),
        ("backup", "-o", str(nowhere / "sao-luu.sdtbak")),
        ("export", "statistics", "--year", "2025", "--as", "x", "-o", str(nowhere / "thong-ke.xlsx")),
    ]
    for args in runs:
        result = _run(*args, "--db", db["url"])
        assert result.exit_code != 0, (args, result.output)
        assert "không tồn tại" in result.output and "không tự tạo thư mục" in result.output, (args, result.output)
    assert not (tmp_path / "khong-co").exists()


def test_times_are_shown_in_vietnam_time(db) -> None:
    evening_utc = dt.datetime(2025, 12, 31, 20, 30, tzinfo=dt.UTC)
    assert vn_time(evening_utc) == "01/01/2026 03:30"
    assert vn_time(evening_utc.replace(tzinfo=None)) == "01/01/2026 03:30"  # naive means UTC
    engine = make_engine(db["url"])
    with session_scope(engine) as session:
        world = make_world(session)
        decision = locks.decide(session, world.actor(session, Role.PRINCIPAL), book=Book.MARK_BOOK,
                                school_year=world.year, term=world.term1, lock=True, decision_ref="QĐ 5",
                                decided_on=IN_TERM1)
        locks.execute(session, world.actor(session, Role.ADMINISTRATOR), decision)
        decision.executed_at = evening_utc
        session.flush()
        with pytest.raises(BookLockedError) as refused:
            locks.ensure_open(session, "mark", world.klass.id, world.term1.id)
        code, start = world.school.code, world.year.start_year
    assert "thực hiện lúc 03:30 01/01/2026" in refused.value.message_vi and "UTC" not in refused.value.message_vi
    result = _run("lock", "status", "--school", code, "--year", str(start), "--db", db["url"])
    assert result.exit_code == 0, result.output
    assert "01/01/2026 03:30" in result.output
    with session_scope(engine) as session:
        assert session.scalar(select(LockDecision.executed_at).where(LockDecision.id == decision.id)) is not None
    engine.dispose()


def test_audit_verify_shows_progress(db, monkeypatch) -> None:
    from records.permissions import Actor

    monkeypatch.setattr(audit, "PROGRESS_EVERY", 7)
    engine = make_engine(db["url"])
    with session_scope(engine) as session:
        for n in range(30):
            audit.append(session, Actor.system("thử"), "note", "school", db["school"], None, {"n": n},
                         school_id=db["school"] if n % 2 else None)
    with session_scope(engine) as session:
        total = audit.count_entries(session)
        told: list[int] = []
        report = audit.verify(session, progress=told.append)
    engine.dispose()
    assert report.ok and total == report.entries == 30 and sum(told) == total and len(told) > 4
    result = _run("audit", "verify", "--db", db["url"])
    assert result.exit_code == 0
    assert "Đang kiểm tra nhật kí lưu vết" in result.stderr and "Nhật kí toàn vẹn" in result.stdout


def test_a_mistyped_command_line_is_one_vietnamese_line(tmp_path) -> None:
    done = _sodientu("keys", "rotate", "--khong-co", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "Lỗi: Không có tùy chọn --khong-co. Xem «sodientu keys rotate --help»."]
    done = _sodientu("in-so", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.strip() == "Lỗi: Không có lệnh «in-so». Xem «sodientu --help»."
    result = _run("edition", "revoke", "ABCD", "--as", "x")  # the test runner goes through the same main
    assert result.exit_code == 2 and "Thiếu tùy chọn --reason." in result.output


def test_archive_check_shows_progress(db, tmp_path) -> None:
    from archive import items

    engine = make_engine(db["url"])
    with session_scope(engine) as session:
        from archive import LocalStore, use_store
        from records.models import School
        from records.permissions import Actor
        from tests.factories import make_user

        use_store(session, LocalStore(tmp_path / "archive"))
        clerk = make_user(session, session.get(School, db["school"]), [Role.OFFICE])
        for n in range(3):
            items.deposit(session, Actor.load(session, clerk.id), f"tệp {n}".encode(), kind="other",
                          school_id=db["school"])
    with session_scope(engine) as session:
        use_store(session, LocalStore(tmp_path / "archive"))
        told: list[int] = []
        report = items.check(session, progress=told.append)
        assert items.count_kept(session) == 3 == sum(told) and report.ok
    engine.dispose()
    result = _run("archive", "check", "--db", db["url"], env={"SODIENTU_ARCHIVE": str(tmp_path / "archive")})
    assert result.exit_code == 0, result.output
    assert "Đang băm lại các tệp lưu trữ" in result.stderr and "3 hồ sơ" in result.stdout


def test_the_server_logs_to_stderr_and_other_commands_do_not(monkeypatch) -> None:
    import logging

    from web.cli import _serving, configure_logging

    assert _serving(["serve", "--db", "sqlite:///x"]) and _serving(["-v", "run"])
    assert not _serving(["keys", "list"]) and not _serving([])
    monkeypatch.delenv("SODIENTU_LOG", raising=False)
    root = logging.getLogger()
    level = root.level

    def ours() -> list[type]:
        return [type(h) for h in root.handlers if getattr(h, "_sodientu", False)]

    try:
        configure_logging(server=True)
        assert ours() == [logging.StreamHandler]
        configure_logging()
        assert ours() == [logging.NullHandler]
    finally:
        for handler in [h for h in root.handlers if getattr(h, "_sodientu", False)]:
            root.removeHandler(handler)
        root.setLevel(level)
