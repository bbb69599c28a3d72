"""``sodientu init``: a school, its managing office and first administrator in a new database."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from records import audit
from records.db import make_engine, session_scope
from records.models import AuditEntry, Role, RoleGrant, School, User
from records.services import accounts
from web.cli import cli

ARGS = ["init", "--school-code", "79001", "--school-name", "Trường THCS Nguyễn Văn Trỗi", "--district",
        "Quận Gò Vấp", "--province", "Thành phố Hồ Chí Minh", "--admin", "QuanTri"]


def _run(args, env=None, input=None):
    return CliRunner().invoke(cli, args, env=env, input=input)


def test_init_creates_the_school_and_its_administrator(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    result = _run([*ARGS, "--db", url], env={"SODIENTU_ADMIN_PASSWORD": "mat-khau-quan-tri"})
    assert result.exit_code == 0, result.output
    assert "Phòng Giáo dục và Đào tạo Quận Gò Vấp" in result.output
    engine = make_engine(url)
    with session_scope(engine) as session:
        school = session.scalars(select(School)).one()
        admin = session.scalars(select(User)).one()
        assert (school.code, school.province) == ("79001", "Thành phố Hồ Chí Minh")
        assert admin.username == "quantri" and admin.password_hash.startswith("$argon2id$")
        assert "mat-khau-quan-tri" not in (session.scalar(select(func.group_concat(AuditEntry.after))) or "")
        grant = session.scalars(select(RoleGrant)).one()
        assert (grant.role, grant.school_id) == (Role.ADMINISTRATOR, school.id)
        assert accounts.sign_in(session, "quantri", "mat-khau-quan-tri", address="t").actor.user_id == admin.id
        assert audit.verify(session).ok
        entries = session.scalar(select(func.count(AuditEntry.id)))

    again = _run([*ARGS, "--db", url, "--school-name", "Tên khác"], env={"SODIENTU_ADMIN_PASSWORD": "khac-hoan-toan"})
    assert again.exit_code == 0 and "đã có trong cơ sở dữ liệu: không thay đổi gì" in again.output
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(AuditEntry.id))) == entries
        assert session.scalars(select(School.name)).one() == "Trường THCS Nguyễn Văn Trỗi"
    engine.dispose()


def test_init_prompts_for_the_password_and_never_takes_it_as_an_argument(tmp_path, monkeypatch):
    monkeypatch.delenv("SODIENTU_ADMIN_PASSWORD", raising=False)
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    result = _run([*ARGS, "--db", url], input="mat-khau-go-tay\nmat-khau-go-tay\n")
    assert result.exit_code == 0, result.output
    assert "mat-khau-go-tay" not in result.output
    assert _run([*ARGS, "--db", url, "--password", "x"]).exit_code != 0
    short = _run([*ARGS[:2], "79002", *ARGS[3:], "--db", url], env={"SODIENTU_ADMIN_PASSWORD": "ngan"})
    assert short.exit_code == 1 and "ít nhất 8 kí tự" in short.output
