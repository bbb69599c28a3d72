"""Audit seals kept in an archive in an object store (issue 10: published outside the database).

A local archive folder keeps the seal log as a file (``tests/web/test_commands_audit.py``); an S3 archive
(SeaweedFS here) keeps each seal as an object, and ``sodientu audit verify`` compares the trail with them.
"""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

import archive
from archive import seals
from records import audit
from records.db import make_engine, session_scope
from records.models import Role
from tests.archive.conftest import BUCKET
from tests.web.test_commands_audit import _forge, db  # noqa: F401  (the fixture)
from web.cli import cli


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("rewrite", [False, True])
def test_seals_in_an_s3_archive_catch_a_truncated_or_rehashed_trail(db, tmp_path, monkeypatch, seaweed,  # noqa: F811
                                                                    rewrite) -> None:
    prefix = f"t-{uuid.uuid4().hex[:16]}/"
    monkeypatch.setenv(archive.ARCHIVE_ENV, f"s3://{BUCKET}/{prefix}?endpoint_url={seaweed.endpoint_url}"
                                            "&access_key=sodientu&secret_key=sodientu-test")
    monkeypatch.delenv(audit.SEAL_LOG_ENV, raising=False)
    key = Ed25519PrivateKey.generate()
    (tmp_path / "k.pem").write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    (tmp_path / "k.pub").write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    result = _run("audit", "seal", "--school", db["school"], "--key", str(tmp_path / "k.pem"),
                  "--as", db["users"][Role.ADMINISTRATOR], "-o", str(tmp_path / "niem-phong.json"), "--db", db["url"])
    assert result.exit_code == 0, result.output
    listed = seaweed.client().list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}seals/").get("Contents", [])
    assert listed, "the seal is an object of the archive's bucket"
    assert not (tmp_path / "archive" / audit.SEAL_LOG_NAME).exists()  # not a file beside the database
    engine = make_engine(db["url"])
    with session_scope(engine) as session:
        kept = seals.published(session)
        assert kept is not None and any(s.signature for s in kept[0].values())  # the school chain, signed
    engine.dispose()
    ok = _run("audit", "verify", "--public-key", str(tmp_path / "k.pub"), "--db", db["url"])
    assert ok.exit_code == 0 and "Đã đối chiếu với điểm niêm phong đã công bố (s3://" in ok.output, ok.output

    _forge(db["url"], rewrite=rewrite)
    broken = _run("audit", "verify", "--public-key", str(tmp_path / "k.pub"), "--db", db["url"])
    assert broken.exit_code == 1 and "KHÔNG toàn vẹn" in broken.output and "niêm phong" in broken.output


def test_a_local_archive_leaves_the_seals_to_the_seal_log(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(archive.ARCHIVE_ENV, str(tmp_path / "store"))
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with session_scope(engine) as session:
        assert seals.publish(session, []) is False and seals.published(session) is None
    engine.dispose()
