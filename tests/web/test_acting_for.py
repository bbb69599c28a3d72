"""No acting as someone else: ``--as NAME`` needs NAME's password, and the approval names the session."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from sqlalchemy import select

from records import audit
from records.db import make_engine, session_scope
from records.models import AuthSession, Role, SignInAttempt
from records.services.context import on_date
from tests.factories import TEST_PASSWORD
from tests.web.test_commands_audit import db  # noqa: F401  (the fixture: a school with marks, one user per role)
from web.cli import cli


def _run(args, env=None, input=None):
    return CliRunner().invoke(cli, args, env=env, input=input)


def _request(db):  # noqa: F811
    u = db["users"]
    common = ["--school", db["school"], "--year", "2025"]
    with on_date(dt.date(2025, 10, 20)):
        result = _run(["correction", "request", *common, "--student", db["student"], "--subject", "toan", "--term", "1",
                       "--kind", "tx", "--slot", "1", "--value", "8", "--reason", "Nhập nhầm",
                       "--as", u[Role.SUBJECT_TEACHER], "--db", db["url"]])
    assert result.exit_code == 0, result.output
    return result.output.split("số ")[1].split(":")[0]


def test_as_without_the_password_is_refused(db, monkeypatch):  # noqa: F811
    request_id = _request(db)
    principal = db["users"][Role.PRINCIPAL]
    monkeypatch.delenv("SODIENTU_PASSWORD")
    args = ["correction", "approve", request_id, "--as", principal, "--db", db["url"]]
    nothing = _run(args, input="\n")
    assert nothing.exit_code == 1 and "Tên đăng nhập hoặc mật khẩu không đúng" in nothing.output
    wrong = _run(args, env={"SODIENTU_PASSWORD": "doan-mo-123"})
    assert wrong.exit_code == 1 and "Tên đăng nhập hoặc mật khẩu không đúng" in wrong.output
    someone_else = _run(args, env={"SODIENTU_PASSWORD": "khac", f"SODIENTU_PASSWORD_{principal.upper()}": "sai-nua"})
    assert someone_else.exit_code == 1
    engine = make_engine(db["url"])
    with session_scope(engine) as session:  # refused attempts are recorded (they count against the limits)
        failures = session.scalars(select(SignInAttempt).where(SignInAttempt.username == principal,
                                                               SignInAttempt.succeeded.is_(False))).all()
        assert len(failures) == 3
        assert not [e for e in audit.entries(session, entity="correction_request") if e.action == "approve"]
    engine.dispose()


def test_an_approval_records_the_authenticated_session(db, monkeypatch):  # noqa: F811
    request_id = _request(db)
    principal = db["users"][Role.PRINCIPAL]
    monkeypatch.delenv("SODIENTU_PASSWORD")
    result = _run(["correction", "approve", request_id, "--as", principal, "--db", db["url"]],
                  input=f"{TEST_PASSWORD}\n")
    assert result.exit_code == 0 and "Đã duyệt" in result.output
    assert TEST_PASSWORD not in result.output
    engine = make_engine(db["url"])
    with session_scope(engine) as session:
        entry = next(e for e in audit.entries(session, entity="correction_request") if e.action == "approve")
        session_row = session.get(AuthSession, audit.state(entry.after)["auth_session"])
        assert session_row.channel == "cli" and session_row.user_id == entry.actor_id
        assert audit.verify(session).ok
    engine.dispose()
