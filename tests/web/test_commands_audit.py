"""The governance commands: audit verify (exit 1 naming the first bad entry), lock and correction workflows."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import select, text

from records import audit
from records.db import make_engine, session_scope
from records.models import AuditChainHead, AuditEntry, Base, MarkKind, Role
from records.services import marks
from records.services.context import on_date
from records.services.marks import MarkInput
from tests.records.factories_gov import IN_TERM1, make_world
from web.cli import cli


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with session_scope(engine) as session:
        world = make_world(session)
        marks.save_marks(session, world.actor(session, Role.SUBJECT_TEACHER), world.assignment1,
                         [MarkInput(e.id, MarkKind.REGULAR, 1, "6") for e in world.enrolments], today=IN_TERM1)
        names = {role: user.username for role, user in world.users.items()}
        info = {"board": world.board_witness.username, "url": url, "school": world.school.code, "users": names,
                "student": world.enrolments[0].student.code}
    yield info
    engine.dispose()


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_audit_verify_ok_then_tampered(db):
    result = run("audit", "verify", "--db", db["url"])
    assert result.exit_code == 0, result.output
    assert "toàn vẹn" in result.output
    engine = make_engine(db["url"])
    with engine.begin() as conn:
        entry_id = conn.execute(select(AuditEntry.id).order_by(AuditEntry.id).offset(1).limit(1)).scalar_one()
        conn.execute(text("UPDATE audit_entry SET after = '{}' WHERE id = :id"), {"id": entry_id})
    engine.dispose()
    result = run("audit", "verify", "--school", db["school"], "--db", db["url"])
    assert result.exit_code == 1
    assert f"#{entry_id}" in result.output and "KHÔNG toàn vẹn" in result.output


def test_audit_seal_and_verify_signatures(db, tmp_path):
    key = Ed25519PrivateKey.generate()
    (tmp_path / "k.pem").write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    (tmp_path / "k.pub").write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    admin = db["users"][Role.ADMINISTRATOR]
    result = run("audit", "seal", "--school", db["school"], "--key", str(tmp_path / "k.pem"), "--as", admin,
                 "-o", str(tmp_path / "seal.json"), "--db", db["url"])
    assert result.exit_code == 0, result.output
    result = run("audit", "seal", "--school", db["school"], "--key", str(tmp_path / "k.pem"),
                 "--as", db["users"][Role.SUBJECT_TEACHER], "-o", str(tmp_path / "x.json"), "--db", db["url"])
    assert result.exit_code == 1 and "niêm phong" in result.output
    result = run("audit", "verify", "--public-key", str(tmp_path / "k.pub"), "--db", db["url"])
    assert result.exit_code == 0 and "1 chữ kí hợp lệ" in result.output
    other = Ed25519PrivateKey.generate().public_key()
    (tmp_path / "o.pub").write_bytes(other.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    result = run("audit", "verify", "--public-key", str(tmp_path / "o.pub"), "--db", db["url"])
    assert result.exit_code == 1 and "chữ kí" in result.output


def test_lock_and_correction_workflow(db):
    u = db["users"]
    common = ["--school", db["school"], "--year", "2025"]
    result = run("lock", "decide", *common, "--term", "1", "--ref", "QĐ 7/QĐ-THCS", "--as", u[Role.ADMINISTRATOR],
                 "--db", db["url"])
    assert result.exit_code == 1 and "không có quyền" in result.output
    result = run("lock", "decide", *common, "--term", "1", "--ref", "QĐ 7/QĐ-THCS", "--as", u[Role.PRINCIPAL],
                 "--db", db["url"])
    assert result.exit_code == 0, result.output
    decision_id = result.output.split("số ")[1].split(":")[0]
    result = run("lock", "execute", decision_id, "--as", u[Role.ADMINISTRATOR], "--db", db["url"])
    assert result.exit_code == 0 and "Đã khóa" in result.output
    assert "QĐ 7/QĐ-THCS" in run("lock", "status", *common, "--db", db["url"]).output
    with on_date(dt.date(2026, 2, 1)):
        result = run("correction", "request", *common, "--student", db["student"], "--subject", "toan", "--term", "1",
                     "--kind", "tx", "--slot", "1", "--value", "8", "--reason", "Nhập nhầm",
                     "--as", u[Role.SUBJECT_TEACHER], "--db", db["url"])
    assert result.exit_code == 0, result.output
    assert "6.0 → 8.0" in result.output
    request_id = result.output.split("số ")[1].split(":")[0]
    result = run("correction", "apply", request_id, "--leader", u[Role.PRINCIPAL], "--board", db["board"],
                 "--requester-present", "--as", u[Role.ADMINISTRATOR], "--db", db["url"])
    assert result.exit_code == 1 and "chưa được Hiệu trưởng phê duyệt" in result.output
    result = run("correction", "approve", request_id, "--as", u[Role.PRINCIPAL], "--db", db["url"])
    assert result.exit_code == 0 and "Đã duyệt" in result.output
    result = run("correction", "apply", request_id, "--leader", u[Role.PRINCIPAL], "--board", db["board"],
                 "--requester-present", "--as", u[Role.ADMINISTRATOR], "--db", db["url"])
    assert result.exit_code == 0, result.output
    result = run("correction", "show", request_id, "--as", u[Role.PRINCIPAL], "--db", db["url"])
    document = json.loads(result.output)
    assert document["new_value"] == "8.0" and document["status"] == "applied"
    assert run("audit", "verify", "--db", db["url"]).exit_code == 0


def _forge(url: str, *, rewrite: bool) -> None:
    """What a forger with SQL access does: drop every seal, then cut the tail — or rewrite an entry and re-hash."""
    engine = make_engine(url)
    with session_scope(engine) as s:
        s.execute(text("DELETE FROM audit_checkpoint"))
        rows = list(s.scalars(select(AuditEntry).order_by(AuditEntry.chain, AuditEntry.seq)))
        chain = rows[-1].chain
        rows = [r for r in rows if r.chain == chain]
        if rewrite:
            rows[1].after = rows[1].after.replace('"6.0"', '"9.0"').replace('"6"', '"9"')
            prev = rows[0].hash
            for r in rows[1:]:
                r.prev_hash = prev
                r.hash = prev = audit.entry_hash(r)
            s.flush()
            last = rows[-1]
        else:
            for r in rows[-2:]:
                s.delete(r)
            s.flush()
            last = rows[-3]
        s.execute(AuditChainHead.__table__.update().where(AuditChainHead.chain == chain)
                  .values(seq=last.seq, hash=last.hash))
    engine.dispose()


@pytest.mark.parametrize("rewrite", [False, True])
def test_attack_seals_deleted_and_trail_truncated_or_rehashed(db, tmp_path, rewrite):
    """Issue 10: deleting the checkpoints and cutting (or rewriting and re-hashing) the trail went unseen."""
    key = Ed25519PrivateKey.generate()
    (tmp_path / "k.pem").write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    (tmp_path / "k.pub").write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    principal_file = tmp_path / "niem-phong.json"
    result = run("audit", "seal", "--school", db["school"], "--key", str(tmp_path / "k.pem"),
                 "--as", db["users"][Role.ADMINISTRATOR], "-o", str(principal_file), "--db", db["url"])
    assert result.exit_code == 0 and principal_file.is_file(), result.output
    seal_log = tmp_path / "archive" / audit.SEAL_LOG_NAME  # published beside the SQLite database
    assert seal_log.is_file() and '"signature":"' in seal_log.read_text()
    seq = json.loads(principal_file.read_text())["seq"]
    assert run("audit", "verify", "--public-key", str(tmp_path / "k.pub"), "--db", db["url"]).exit_code == 0

    _forge(db["url"], rewrite=rewrite)
    # the database alone now looks consistent: the chain links and the head agrees
    engine = make_engine(db["url"])
    with session_scope(engine) as s:
        assert audit.verify(s).ok
    engine.dispose()
    for extra in ((), ("--seal", str(principal_file)), ("--school", db["school"], "--seq", str(seq))):
        result = run("audit", "verify", "--public-key", str(tmp_path / "k.pub"), *extra, "--db", db["url"])
        assert result.exit_code == 1, (extra, result.output)
        assert "KHÔNG toàn vẹn" in result.output and "niêm phong" in result.output
