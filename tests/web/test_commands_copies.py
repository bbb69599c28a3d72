"""'sodientu copy' and 'sodientu scans' end to end on a SQLite file with its archive folder beside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from records.db import make_engine, session_scope
from records.models import (
    ArchiveItem,
    AuthSession,
    Base,
    CopyRequest,
    CopyStatus,
    Edition,
    ScanBatch,
    SignInAttempt,
)
from signing.keyfiles import private_key_path
from signing.keys import generate_private_key, key_id, save_private_key
from tests.factories import TEST_PASSWORD
from tests.scans import scanbook
from tests.scans.copy_world import make_lost_student
from web.cli import cli

pytestmark = pytest.mark.slow
PASSPHRASE = "mat-khau-ban-sao"


def _lost_student_db(tmp_path: Path) -> tuple[str, str]:
    db = f"sqlite:///{tmp_path / 'truong.sqlite'}"
    engine = make_engine(db)
    Base.metadata.create_all(engine)
    with session_scope(engine) as session:
        code = make_lost_student(session, generate_private_key())["student"].code
    engine.dispose()
    return db, code


def _failed_sign_ins(db: str) -> dict[str, int]:
    engine = make_engine(db)
    with session_scope(engine) as session:
        failed = dict(session.execute(select(SignInAttempt.username, func.count()).where(
            SignInAttempt.succeeded.is_(False)).group_by(SignInAttempt.username)).all())
    engine.dispose()
    return failed


def test_copy_commands_act_only_with_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """copy request|issue|archive ``--as vanphong`` sign vanphong in; a wrong or missing password is refused
    before anything is written and counts against the rate limits."""
    db, code = _lost_student_db(tmp_path)
    monkeypatch.delenv("SODIENTU_PASSWORD")
    run = CliRunner().invoke
    request = ["copy", "request", code, "--requester", "Quàng Văn Bố", "--relation", "Cha", "--id-document",
               "CCCD số 014085001234", "--reason", "Mất khi chuyển nhà", "--as", "vanphong", "--db", db]
    wrong = {"SODIENTU_PASSWORD": "doan-mo-123"}
    r = run(cli, request, input="\n")  # asked without echo; nothing typed
    assert r.exit_code == 1 and "mật khẩu không đúng" in r.output, r.output
    r = run(cli, request, env=wrong)
    assert r.exit_code == 1 and "mật khẩu không đúng" in r.output, r.output
    r = run(cli, request, env={"SODIENTU_PASSWORD_VANPHONG": TEST_PASSWORD})
    assert r.exit_code == 0, r.output
    number = r.output.split("đơn số ")[1].split(".")[0]
    r = run(cli, ["copy", "issue", number, "--as", "vanphong", "-o", str(tmp_path / "out"), "--db", db], env=wrong)
    assert r.exit_code == 1 and "mật khẩu không đúng" in r.output, r.output
    (tmp_path / "quet.pdf").write_bytes(b"%PDF-1.7 quet")
    r = run(cli, ["copy", "archive", number, str(tmp_path / "quet.pdf"), "--as", "vanphong", "--db", db], env=wrong)
    assert r.exit_code == 1 and "mật khẩu không đúng" in r.output, r.output
    assert not (tmp_path / "out").exists()
    assert _failed_sign_ins(db) == {"vanphong": 4}
    # a fifth failure reaches the account's limit: then even the right password waits
    run(cli, request, env=wrong)
    r = run(cli, request, env={"SODIENTU_PASSWORD_VANPHONG": TEST_PASSWORD})
    assert r.exit_code == 1 and "quá nhiều lần" in r.output, r.output
    engine = make_engine(db)
    with session_scope(engine) as session:
        assert session.scalars(select(CopyRequest)).one().status is CopyStatus.REQUESTED
        assert session.scalar(select(func.count()).select_from(Edition)) == 0
        assert session.scalars(select(AuthSession.channel)).all() == ["cli"]  # the one accepted request
    engine.dispose()


def test_scans_commands_act_only_with_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db, _ = _lost_student_db(tmp_path)
    monkeypatch.delenv("SODIENTU_PASSWORD")
    monkeypatch.setenv("SODIENTU_PASSWORD_VANPHONG", "sai-mat-khau")
    monkeypatch.setenv("SODIENTU_PASSWORD", TEST_PASSWORD)  # NAME's own variable wins over the shared one
    (tmp_path / "so.pdf").write_bytes(b"%PDF-1.7 so")
    run = CliRunner().invoke
    r = run(cli, ["scans", "ingest", str(tmp_path / "so.pdf"), "--as", "vanphong", "--no-progress", "--db", db])
    assert r.exit_code == 1 and "mật khẩu không đúng" in r.output, r.output
    r = run(cli, ["scans", "assign", "1", "ABCD", "1", "--as", "vanphong", "--db", db])
    assert r.exit_code == 1 and "mật khẩu không đúng" in r.output, r.output
    monkeypatch.delenv("SODIENTU_PASSWORD_VANPHONG")
    monkeypatch.delenv("SODIENTU_PASSWORD")
    r = run(cli, ["scans", "ingest", str(tmp_path / "so.pdf"), "--as", "vanphong", "--no-progress", "--db", db],
            input="\n")
    assert r.exit_code == 1 and "mật khẩu không đúng" in r.output, r.output
    assert _failed_sign_ins(db) == {"vanphong": 3}
    engine = make_engine(db)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ScanBatch)) == 0
        assert session.scalar(select(func.count()).select_from(ArchiveItem)) == 0
    engine.dispose()


def test_copy_commands_from_request_to_archived_papers(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'truong.sqlite'}"
    engine = make_engine(db)
    Base.metadata.create_all(engine)
    key = generate_private_key()
    with session_scope(engine) as session:
        code = make_lost_student(session, key)["student"].code
    engine.dispose()
    keys = tmp_path / "keys"
    keys.mkdir()
    save_private_key(key, private_key_path(keys, key_id(key)), PASSPHRASE)
    env = {"SODIENTU_KEY_PASSPHRASE": PASSPHRASE, "SODIENTU_PASSWORD_VANPHONG": TEST_PASSWORD}
    run = CliRunner().invoke

    r = run(cli, ["copy", "request", code, "--requester", "Quàng Văn Bố", "--relation", "Cha",
                  "--id-document", "CCCD số 014085001234", "--reason", "Mất khi chuyển nhà", "--as", "vanphong",
                  "--db", db], env=env)
    assert r.exit_code == 0, r.output
    number = r.output.split("đơn số ")[1].split(".")[0]
    r = run(cli, ["copy", "issue", number, "--as", "vanphong", "--key-dir", str(keys), "-o", str(tmp_path / "out"),
                  "--db", db], env=env)
    assert r.exit_code == 0, r.output
    assert "Ký thay (2022-2023): Đinh Thị Tổ" in r.output
    stem = number.replace("/", "-")
    papers = (tmp_path / "out" / f"don-va-bien-ban-{stem}.pdf").read_bytes()
    assert (tmp_path / "out" / f"ban-sao-hoc-ba-{stem}.pdf").is_file()

    # a broken scan is refused and keeps the request open; the signed papers close it
    (tmp_path / "hong.pdf").write_bytes(b"%PDF-1.7 broken")
    r = run(cli, ["copy", "archive", number, str(tmp_path / "hong.pdf"), "--as", "vanphong", "--db", db], env=env)
    assert r.exit_code == 1 and "TỪ CHỐI" in r.output and "Traceback" not in r.output
    (tmp_path / "quet.pdf").write_bytes(scanbook.as_pdf(scanbook.signed_and_stamped(papers)))
    r = run(cli, ["copy", "archive", number, str(tmp_path / "quet.pdf"), "--as", "vanphong", "--db", db], env=env)
    assert r.exit_code == 0, r.output
    assert "đã đủ" in r.output
    r = run(cli, ["copy", "show", number, "--db", db])
    assert r.exit_code == 0 and "đã lưu trữ đủ hồ sơ" in r.output and "Phạm Văn Cũ" in r.output

    engine = make_engine(db)
    with session_scope(engine) as session:
        request = session.scalars(select(CopyRequest)).one()
        assert request.status is CopyStatus.ARCHIVED
        kinds = sorted(i.kind.value for i in session.scalars(select(ArchiveItem)))
        # both editions archived at issue; the scanned file, the signed request form and the minutes
        assert kinds == ["book_scan", "copy_minutes", "copy_request", "issued_edition", "issued_edition"]
    engine.dispose()

    r = run(cli, ["scans", "report", number.split("/")[-1], "--db", db])  # "BSHB": not an edition code (a hex
    # prefix such as "01" could match a random edition id)
    assert r.exit_code == 1 and "Không xác định được bản in" in r.output


def test_scans_commands_ingest_list_assign_report(tmp_path: Path) -> None:
    from layouts.publish import publish
    from records.models import ScanPage
    from signing.payload import edition_short_id
    from tests.signing.helpers import make_world, small_markbook

    db = f"sqlite:///{tmp_path / 'truong.sqlite'}"
    engine = make_engine(db)
    Base.metadata.create_all(engine)
    with session_scope(engine) as session:
        world = make_world(session)
        pub = publish(session, world.office, small_markbook(), template="markbook", scope=world.scope(),
                      private_key=world.key)  # archived at issue (the commands install the listener)
        pdf, code, clerk = pub.pdf, edition_short_id(pub.edition.id), world.office.username
    engine.dispose()
    pages = scanbook.signed_and_stamped(pdf)
    scanbook.blot_code(pages[2])
    (tmp_path / "so.tif").write_bytes(scanbook.as_tiff([pages[2], scanbook.turn(pages[0], 180), pages[1]]))
    env = {f"SODIENTU_PASSWORD_{clerk.upper()}": TEST_PASSWORD}
    run = CliRunner().invoke

    r = run(cli, ["scans", "ingest", str(tmp_path / "so.tif"), "--as", clerk, "--no-progress", "--db", db], env=env)
    assert r.exit_code == 1, r.output  # one page waits to be matched by hand
    assert f"Bản in {code}" in r.output and "Còn thiếu: 26" in r.output and "#" in r.output
    r = run(cli, ["scans", "unmatched", "--db", db])
    page_id = int(r.output.split()[0].lstrip("#"))
    r = run(cli, ["scans", "assign", str(page_id), code, "26", "--as", clerk, "--db", db], env=env)
    assert r.exit_code == 0, r.output
    r = run(cli, ["scans", "report", code, "--db", db])
    assert r.exit_code == 0 and "Còn thiếu: không có" in r.output, r.output
    r = run(cli, ["scans", "unmatched", "--db", db])
    assert "Không có trang nào chờ nhận diện" in r.output
    engine = make_engine(db)
    with session_scope(engine) as session:
        assert session.get(ScanPage, page_id).assigned_by_name == clerk
    engine.dispose()
