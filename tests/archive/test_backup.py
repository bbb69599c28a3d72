"""``sodientu backup --with-files`` / ``restore``: the archive's objects travel with the database (issue 13).

A full round trip on the local folder and on S3 (SeaweedFS): a school publishes an edition (archived at
issue) and files a scan; the backup goes to another machine's empty database and empty archive; there the
edition's PDF is read back as issued, every archived item re-hashes, and ``sodientu audit verify`` passes.
Hostile backup files are refused before anything is written.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import archive
from archive import LocalStore, S3Store, Store
from archive.backup import restore_sink
from archive.errors import ArchiveStoreError
from records.db import make_engine, session_scope, upgrade
from records.errors import IntegrityError, ValidationError
from records.interop.backup import restore
from records.models import ArchiveItem, Edition
from records.permissions import Actor
from tests.archive.conftest import BUCKET, corrupt
from tests.signing.helpers import make_world, publish_small
from web.cli import cli

SCAN = b"%PDF-1.7 ban quet so goi ten co dau giap lai " * 400


def _location(kind: str, tmp_path: Path, name: str, request: pytest.FixtureRequest) -> tuple[str, Store]:
    if kind == "local":
        return str(tmp_path / name), LocalStore(tmp_path / name)
    server = request.getfixturevalue("seaweed")
    prefix = f"t-{uuid.uuid4().hex[:16]}/"
    location = (f"s3://{BUCKET}/{prefix}?endpoint_url={server.endpoint_url}"
                "&access_key=sodientu&secret_key=sodientu-test")
    return location, S3Store(BUCKET, prefix, client=server.client())


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _school(url: str) -> dict[str, Any]:
    """A school that published one edition (archived at issue) and filed one scan; committed."""
    engine = make_engine(url)
    upgrade(engine)
    archive.install()
    with session_scope(engine) as session:
        world = make_world(session)
        published = publish_small(session, world)
        scan = archive.deposit(session, world.office, SCAN, kind="book_scan", school_id=world.school.id,
                               edition_id=published.edition.id, filename="quet.pdf")
        out = {"edition": published.edition.id, "pdf": published.pdf, "scan": scan.sha256}
    engine.dispose()
    return out


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_backup_with_files_restores_on_an_empty_machine(kind, tmp_path, monkeypatch, request) -> None:
    source_location, source_store = _location(kind, tmp_path, "archive-a", request)
    monkeypatch.setenv(archive.ARCHIVE_ENV, source_location)
    source = f"sqlite:///{tmp_path / 'a' / 'school.sqlite'}"
    (tmp_path / "a").mkdir()
    made = _school(source)
    assert source_store.read(made["scan"]) == SCAN
    backup_file = tmp_path / "sao_luu.sdtbak"
    out = _run("backup", "-o", str(backup_file), "--with-files", "--db", source, "--key-dir", str(tmp_path / "k"))
    assert out.exit_code == 0 and "2 mục lưu trữ, 2 tệp lưu trữ" in out.output, out.output
    with zipfile.ZipFile(backup_file) as zf:
        names = set(zf.namelist())
    assert {f"archive/files/{made['scan']}", f"archive/files/{hashlib.sha256(made['pdf']).hexdigest()}"} <= names

    # another machine: an empty database and an empty archive
    target_location, target_store = _location(kind, tmp_path, "archive-b", request)
    monkeypatch.setenv(archive.ARCHIVE_ENV, target_location)
    assert list(target_store) == []
    target = f"sqlite:///{tmp_path / 'b' / 'school.sqlite'}"
    (tmp_path / "b").mkdir()
    out = _run("restore", str(backup_file), "--db", target, "--key-dir", str(tmp_path / "b" / "keys"))
    assert out.exit_code == 0, out.output
    assert "2 mục lưu trữ, 2 tệp lưu trữ" in out.output and "Kho lưu trữ toàn vẹn" in out.output
    assert "Nhật kí lưu vết toàn vẹn" in out.output
    assert sorted(target_store) == sorted(source_store)

    engine = make_engine(target)
    with session_scope(engine) as session:
        pdf = archive.issued_pdf(session, made["edition"])  # hash-checked against the archive item
        edition = session.get(Edition, made["edition"])
        assert pdf == made["pdf"] and hashlib.sha256(pdf).hexdigest() == edition.pdf_sha256
        report = archive.check(session)
        assert report.ok and report.items == 2
    engine.dispose()
    verified = _run("audit", "verify", "--db", target)
    assert verified.exit_code == 0, verified.output


# --- hostile backup files ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_backup(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A backup with files, made once (local archive)."""
    folder = tmp_path_factory.mktemp("hostile-src")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(archive.ARCHIVE_ENV, str(folder / "archive"))
        url = f"sqlite:///{folder / 'school.sqlite'}"
        _school(url)
        out = _run("backup", "-o", str(folder / "b.sdtbak"), "--with-files", "--db", url,
                   "--key-dir", str(folder / "k"))
        assert out.exit_code == 0, out.output
    return (folder / "b.sdtbak").read_bytes()


def _rewrite(data: bytes, change: Callable[[dict[str, bytes], dict[str, Any]], None]) -> bytes:
    """The backup with its members changed by ``change`` (which may fix up the manifest, as a forger would)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    change(members, manifest)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
        zf.writestr("manifest.json", json.dumps(manifest))
    return out.getvalue()


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1:]


def _files(manifest: dict[str, Any]) -> list[str]:
    return [n for n in manifest["members"] if n.startswith("archive/files/")]


def _tampered_file(members: dict[str, bytes], manifest: dict[str, Any]) -> None:
    name = _files(manifest)[0]
    members[name] = members[name] + b"%% forged"  # manifest left as it was


def _tampered_and_rehashed(members: dict[str, bytes], manifest: dict[str, Any]) -> None:
    name = _files(manifest)[0]
    members[name] = members[name] + b"%% forged"
    manifest["members"][name]["sha256"] = hashlib.sha256(members[name]).hexdigest()  # name no longer its hash


def _swapped_in_unannounced(members: dict[str, bytes], manifest: dict[str, Any]) -> None:
    old = _files(manifest)[0]
    forged = members.pop(old) + b"%% forged"
    digest = hashlib.sha256(forged).hexdigest()
    del manifest["members"][old]
    members[f"archive/files/{digest}"] = forged
    manifest["members"][f"archive/files/{digest}"] = {"sha256": digest}  # consistent, but not in the index


def _traversal(target: str) -> Callable[[dict[str, bytes], dict[str, Any]], None]:
    def change(members: dict[str, bytes], manifest: dict[str, Any]) -> None:
        data = b"owned"
        members[target] = data
        manifest["members"][target] = {"sha256": hashlib.sha256(data).hexdigest()}

    return change


def _bad_index(members: dict[str, bytes], manifest: dict[str, Any]) -> None:
    members["archive/index.jsonl"] = b'{"sha256": "../../etc/passwd", "size": 5}\n'
    manifest["members"]["archive/index.jsonl"]["sha256"] = hashlib.sha256(members["archive/index.jsonl"]).hexdigest()


def _bad_rows(members: dict[str, bytes], manifest: dict[str, Any]) -> None:
    name = "tables/school.jsonl"
    header = members[name].split(b"\n", 1)[0]
    members[name] = header + b"\n" + b'[1, {"$d": "not a number"}]\n'
    manifest["members"][name]["sha256"] = hashlib.sha256(members[name]).hexdigest()


def _bomb(members: dict[str, bytes], manifest: dict[str, Any]) -> None:
    name = "tables/school.jsonl"
    members[name] = bytes(64 * 1024 * 1024)  # deflates about 1,000 times
    manifest["members"][name]["sha256"] = hashlib.sha256(members[name]).hexdigest()


HOSTILE = {
    "zip bomb": (lambda data: _rewrite(data, _bomb), IntegrityError),
    "truncated": (lambda data: data[: len(data) // 2], ValidationError),
    "a byte changed inside a member": (lambda data: _flip(data, len(data) // 3), IntegrityError),
    "archive file tampered": (lambda data: _rewrite(data, _tampered_file), IntegrityError),
    "archive file tampered and re-hashed": (lambda data: _rewrite(data, _tampered_and_rehashed), IntegrityError),
    "archive file not in the index": (lambda data: _rewrite(data, _swapped_in_unannounced), ArchiveStoreError),
    "path traversal": (lambda data: _rewrite(data, _traversal("archive/files/../../../evil.txt")), IntegrityError),
    "absolute path": (lambda data: _rewrite(data, _traversal("/tmp/evil.txt")), IntegrityError),
    "windows path": (lambda data: _rewrite(data, _traversal("archive/files/..\\..\\evil.txt")), IntegrityError),
    "unknown member": (lambda data: _rewrite(data, _traversal("scripts/run.sh")), IntegrityError),
    "hostile index": (lambda data: _rewrite(data, _bad_index), ArchiveStoreError),
    "hostile rows": (lambda data: _rewrite(data, _bad_rows), ValidationError),
}


@pytest.mark.parametrize("attack", sorted(HOSTILE))
def test_a_hostile_backup_is_refused_and_nothing_is_written(good_backup, attack, tmp_path, monkeypatch) -> None:
    make, error = HOSTILE[attack]
    monkeypatch.setenv(archive.ARCHIVE_ENV, str(tmp_path / "archive"))
    engine = make_engine(f"sqlite:///{tmp_path / 'target.sqlite'}")
    with pytest.raises(error):
        restore(io.BytesIO(make(good_backup)), engine, Actor.system("kiểm thử"), archive=restore_sink(engine),
                key_dir=tmp_path / "keys")
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()
    store = LocalStore(tmp_path / "archive")
    if attack not in ("hostile rows",):  # refused before the archive part (rows are checked after it)
        assert list(store) == []
    from records.db import is_initialised

    if is_initialised(engine):
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(ArchiveItem)).scalar() == 0
    # the same target then takes the genuine backup
    summary = restore(io.BytesIO(good_backup), engine, Actor.system("kiểm thử"), archive=restore_sink(engine),
                      key_dir=tmp_path / "keys")
    assert summary.audit.ok and summary.archive_files == 2
    engine.dispose()


def test_a_corrupted_object_stops_the_backup_naming_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(archive.ARCHIVE_ENV, str(tmp_path / "archive"))
    url = f"sqlite:///{tmp_path / 'school.sqlite'}"
    made = _school(url)
    corrupt(LocalStore(tmp_path / "archive"), made["scan"], SCAN)
    out = CliRunner().invoke(cli, ["backup", "-o", str(tmp_path / "b.sdtbak"), "--with-files", "--db", url,
                                   "--key-dir", str(tmp_path / "k")])
    assert out.exit_code == 1 and "đã bị hỏng" in out.output and "archive check" in out.output, out.output
    assert not (tmp_path / "b.sdtbak").exists() and not (tmp_path / "b.sdtbak.part").exists()


def test_a_backup_without_files_says_what_the_new_machine_lacks(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(archive.ARCHIVE_ENV, str(tmp_path / "archive-a"))
    (tmp_path / "a").mkdir()
    source = f"sqlite:///{tmp_path / 'a' / 'school.sqlite'}"
    _school(source)
    backup_file = tmp_path / "b.sdtbak"
    out = _run("backup", "-o", str(backup_file), "--db", source, "--key-dir", str(tmp_path / "k"))
    assert out.exit_code == 0 and "2 mục lưu trữ, 0 tệp lưu trữ" in out.output, out.output
    monkeypatch.setenv(archive.ARCHIVE_ENV, str(tmp_path / "archive-b"))
    out = CliRunner().invoke(cli, ["restore", str(backup_file), "--db", f"sqlite:///{tmp_path / 'b.sqlite'}",
                                   "--key-dir", str(tmp_path / "keys")])
    assert out.exit_code == 0 and "thiếu 2 tệp: hãy chép kho lưu trữ cũ sang" in out.output, out.output
