"""``sodientu init`` then ``sodientu setup …``: a school with a year, classes, staff and assignments from the
command line, each step acting for a user whose password is checked."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from records import audit
from records.db import make_engine, session_scope
from records.models import Class, Role, RoleGrant, SchoolYear, TeachingAssignment, User
from web.cli import cli

ADMIN_PASSWORD = "mat-khau-quan-tri"


def _run(url, *args, password=ADMIN_PASSWORD, new_password="mat-khau-ban-dau", input=None):
    env = {"SODIENTU_PASSWORD": password, "SODIENTU_NEW_PASSWORD": new_password,
           "SODIENTU_ADMIN_PASSWORD": ADMIN_PASSWORD}
    return CliRunner().invoke(cli, [*args, "--db", url], env=env, input=input)


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def test_a_school_set_up_from_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    s = ["--school", "SL001"]
    _ok(_run(url, "init", "--school-code", "SL001", "--school-name", "Trường THCS Chiềng Sơn", "--district",
             "Huyện Mộc Châu", "--province", "Sơn La", "--admin", "quantri"))
    _ok(_run(url, "setup", "cutoff", "--province", "Sơn La", "--day", "25/05"))
    out = _ok(_run(url, "setup", "year", *s, "--year", "2025", "--as", "quantri"))
    assert "khóa điểm 25/05/2026" in out and "khối 6: TT22" in out
    _ok(_run(url, "setup", "year", *s, "--year", "2025", "--term1-ends-on", "10/01/2026", "--as", "quantri"))
    _ok(_run(url, "setup", "subjects", *s, "--year", "2025", "--grade", "6", "--subjects",
             "ngu_van,toan,ngoai_ngu,khtn,cong_nghe:52", "--as", "quantri"))
    for name, role in (("gv.toan", "subject_teacher"), ("gv.van", "subject_teacher"), ("hieutruong", "principal")):
        _ok(_run(url, "setup", "user", "add", *s, "--username", name, "--full-name", f"Người {name}", "--role", role,
                 "--as", "quantri"))
    _ok(_run(url, "setup", "class", *s, "--year", "2025", "--grade", "6", "--name", "6A1", "--homeroom", "gv.van",
             "--as", "quantri"))
    _ok(_run(url, "setup", "class", *s, "--year", "2025", "--grade", "6", "--name", "6A2", "--as", "quantri"))
    _ok(_run(url, "setup", "homeroom", *s, "--year", "2025", "--class", "6A2", "--teacher", "gv.toan",
             "--as", "quantri"))
    for klass in ("6A1", "6A2"):
        _ok(_run(url, "setup", "assign", *s, "--year", "2025", "--class", klass, "--subject", "toan", "--term", "1",
                 "--teacher", "gv.toan", "--as", "quantri"))
    _ok(_run(url, "setup", "copy-assignments", *s, "--year", "2025", "--from-term", "1", "--to-term", "2",
             "--as", "quantri"))
    _ok(_run(url, "setup", "unassign", *s, "--year", "2025", "--class", "6A2", "--subject", "toan", "--term", "2",
             "--teacher", "gv.toan", "--as", "quantri"))
    _ok(_run(url, "setup", "assign", *s, "--year", "2025", "--class", "6A2", "--subject", "toan", "--term", "2",
             "--teacher", "gv.van", "--as", "quantri"))
    _ok(_run(url, "setup", "user", "disable", "--username", "hieutruong", "--as", "quantri"))
    engine = make_engine(url)
    with session_scope(engine) as session:
        year = session.scalars(select(SchoolYear)).one()
        assert str(year.mark_cutoff) == "2026-05-25"
        classes = {c.name: c for c in session.scalars(select(Class))}
        users = {u.username: u for u in session.scalars(select(User))}
        assert classes["6A1"].homeroom_teacher_id == users["gv.van"].id
        pairs = {(a.class_id, a.teacher_id, a.term.number) for a in session.scalars(select(TeachingAssignment))}
        assert pairs == {(classes["6A1"].id, users["gv.toan"].id, 1), (classes["6A2"].id, users["gv.toan"].id, 1),
                         (classes["6A1"].id, users["gv.toan"].id, 2), (classes["6A2"].id, users["gv.van"].id, 2)}
        assert users["gv.toan"].must_change_password and not users["hieutruong"].active
        assert session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == users["gv.van"].id,
                                                         RoleGrant.role == Role.HOMEROOM_TEACHER)) is not None
        report = audit.verify(session)
        assert report.ok
        stamped = [audit.state(e.after) for e in audit.entries(session, entity="teaching_assignment")]
        assert all(s is None or "auth_session" in s for s in stamped)
    engine.dispose()


def test_acting_for_someone_needs_their_password(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    _ok(_run(url, "init", "--school-code", "SL002", "--school-name", "Trường THCS Tà Hộc", "--district",
             "Huyện Mai Sơn", "--province", "Sơn La", "--admin", "quantri"))
    wrong = _run(url, "setup", "year", "--school", "SL002", "--year", "2025", "--as", "quantri", password="doan-bua-1")
    assert wrong.exit_code == 1 and "Tên đăng nhập hoặc mật khẩu không đúng" in wrong.output
    monkeypatch.delenv("SODIENTU_PASSWORD", raising=False)
    prompted = CliRunner().invoke(cli, ["setup", "year", "--school", "SL002", "--year", "2025", "--as", "quantri",
                                        "--db", url], input="\n")
    assert prompted.exit_code == 1 and "Mật khẩu của quantri" in prompted.output
    asked = CliRunner().invoke(cli, ["setup", "year", "--school", "SL002", "--year", "2025", "--as", "quantri",
                                     "--db", url], input=f"{ADMIN_PASSWORD}\n")
    assert asked.exit_code == 0, asked.output
    engine = make_engine(url)
    with session_scope(engine) as session:
        assert session.scalars(select(SchoolYear)).one().start_year == 2025
    engine.dispose()
