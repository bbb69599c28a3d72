"""The data commands: import (dry run, errors, exit status), export, backup and restore."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from records import audit
from records.db import make_engine, session_scope, upgrade
from records.models import KeyKind
from records.permissions import Actor
from records.services import editions
from signing.keys import generate_private_key, key_id, public_key_pem
from tests.factories import TEST_PASSWORD, TEST_PASSWORD_HASH
from tests.records.interop.messy import xlsx
from tests.records.school_setup import set_up_school
from web.cli import cli


@pytest.fixture
def db(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    key = generate_private_key()
    with session_scope(engine) as session:
        s = set_up_school(session)
        s.admin.password_hash = s.principal.password_hash = TEST_PASSWORD_HASH  # the commands sign them in
        s.klass(s.year(2025), 6, "6A1")
        system = Actor.system("kiểm thử")
        editions.register_key(session, system, key_id=key_id(key), kind=KeyKind.ED25519,
                              public_pem=public_key_pem(key), school_id=s.school.id, label="Khóa thử",
                              valid_from=dt.date(2025, 9, 1))
        audit.seal(session, system, lambda payload: (key_id(key), key.sign(payload)), school_id=s.school.id)
        info = {"url": url, "admin": s.admin.username, "principal": s.principal.username, "school": s.school.code}
    engine.dispose()
    return info


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_import_export_backup_restore(db, tmp_path: Path) -> None:
    listing = tmp_path / "6a1.xlsx"
    rows = [["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc"], [1, "Lò Thị Mai", "02/03/2014", "Nữ", "Thái"],
            [2, "Sùng A Lử", "31/02/2014", "Nam", "Mông"]]
    listing.write_bytes(xlsx(rows, title="DANH SÁCH HỌC SINH LỚP 6A1 NĂM HỌC 2025-2026").data)
    bad = run("import", "students", str(listing), "--as", db["admin"], "--db", db["url"])
    assert bad.exit_code == 1 and "Dòng 5, cột «Ngày sinh» (C5)" in bad.output and "không có gì được ghi" in bad.output
    rows[2][2] = "28/02/2014"
    listing.write_bytes(xlsx(rows, title="DANH SÁCH HỌC SINH LỚP 6A1 NĂM HỌC 2025-2026").data)
    dry = run("import", "students", str(listing), "--as", db["admin"], "--dry-run", "--db", db["url"])
    assert dry.exit_code == 0 and "Chạy thử, chưa ghi gì" in dry.output and "[create] dòng 4" in dry.output
    done = run("import", "students", str(listing), "--as", db["admin"], "--db", db["url"], "--json")
    assert json.loads(done.output)["counts"] == {"create": 2, "enrol": 2}
    stats = tmp_path / "thong_ke.xlsx"
    out = run("export", "statistics", "--year", "2025", "-o", str(stats), "--as", db["principal"], "--db", db["url"])
    assert out.exit_code == 0 and "2 học sinh" in out.output
    assert load_workbook(io.BytesIO(stats.read_bytes())).sheetnames == ["Học sinh", "Tổng hợp"]
    sheet = tmp_path / "lop.xlsx"
    out = run("export", "class", "--class", "6a1", "--year", "2025", "--term", "1", "-o", str(sheet),
              "--as", db["principal"], "--db", db["url"])
    assert out.exit_code == 0 and sheet.exists()
    backup_file = tmp_path / "sao_luu.sdtbak"
    out = run("backup", "-o", str(backup_file), "--db", db["url"], "--key-dir", str(tmp_path / "nokeys"))
    assert out.exit_code == 0 and backup_file.exists(), out.output
    copy = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    out = run("restore", str(backup_file), "--db", copy, "--key-dir", str(tmp_path / "keys"))
    assert out.exit_code == 0 and "Nhật kí lưu vết toàn vẹn" in out.output, out.output
    assert "1 điểm niêm phong, 1 chữ kí đã kiểm tra" in out.output, out.output
    again = run("restore", str(backup_file), "--db", copy)
    assert again.exit_code == 1 and "chỉ khôi phục vào một cơ sở dữ liệu trống" in again.output


def test_import_and_export_act_for_someone_only_with_their_password(db, tmp_path: Path, monkeypatch) -> None:
    listing = tmp_path / "6a1.xlsx"
    listing.write_bytes(xlsx([["STT", "Họ và tên", "Ngày sinh", "Giới tính"], [1, "Lò Thị Mai", "02/03/2014", "Nữ"]],
                             title="DANH SÁCH HỌC SINH LỚP 6A1 NĂM HỌC 2025-2026").data)
    monkeypatch.setenv("SODIENTU_PASSWORD", "khong-phai-mat-khau")
    refused = run("import", "students", str(listing), "--as", db["admin"], "--db", db["url"])
    assert refused.exit_code == 1 and "mật khẩu không đúng" in refused.output
    out = run("export", "statistics", "--year", "2025", "-o", str(tmp_path / "tk.xlsx"), "--as", db["principal"],
              "--db", db["url"])
    assert out.exit_code == 1 and "mật khẩu không đúng" in out.output and not (tmp_path / "tk.xlsx").exists()
    monkeypatch.delenv("SODIENTU_PASSWORD")
    monkeypatch.setenv(f"SODIENTU_PASSWORD_{db['admin'].upper()}", TEST_PASSWORD)
    done = run("import", "students", str(listing), "--as", db["admin"], "--db", db["url"])
    assert done.exit_code == 0, done.output
