"""Backup and restore: one file with the whole database, the keys' public parts and the archive index.

The file is a ZIP (``.sdtbak``) holding::

    manifest.json             format, version, schema revision, time, per-member row counts and sha256
    tables/<table>.jsonl      one table per member: a header line {"columns": [...]} then one JSON array
                              per row, in primary-key order; typed values are tagged
                              ({"$d": "8.5"} Decimal, {"$dt": ISO} aware datetime, {"$date": ISO},
                              {"$b64": …} bytes, {"$uuid": …}); enums are stored by value
    keys/<name>               public key files and the trust list (never a private key: refused)
    archive/index.jsonl       the archive's index, from an ``ArchiveSource`` (pluggable)
    archive/files/<name>      the archived files themselves (``with_files``)

Values go through the column types both ways, so a backup of SQLite restores on PostgreSQL and back;
audit entries are copied as they are, so the restored trail verifies (``records.audit.verify``).
A restore goes into an empty database only, after checking every member's digest; on PostgreSQL
the id sequences are moved past the restored ids. Backup and restore are the installation's acts
(``Action.DATA_BACKUP``) and leave an entry in the installation's audit chain.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import io
import json
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy import Engine, Integer, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from records import audit
from records.audit import AuditReport
from records.db import insert_rows, is_initialised, upgrade
from records.errors import ConflictError, IntegrityError, SodientuError, ValidationError
from records.models import Base
from records.permissions import Action, Actor, require

FORMAT = "sodientu-backup"
FORMAT_VERSION = 1
_BATCH = 2000
_PRIVATE_MARKERS = (b"PRIVATE KEY",)
_PRIVATE_SUFFIXES = (".p12", ".pfx", ".key.pem", ".key")


class ArchiveSource(Protocol):
    """What the archive gives a backup (implemented by the archive package)."""

    name: str

    def index(self) -> Iterable[dict[str, Any]]:
        """The archive's index entries (JSON-able)."""

    def files(self) -> Iterable[tuple[str, bytes]]:
        """(content name, bytes) of every archived file."""


class ArchiveSink(Protocol):
    """What a restore gives back to the archive."""

    def restore_index(self, entries: list[dict[str, Any]]) -> None:
        """Store the index entries."""

    def restore_file(self, name: str, data: bytes) -> None:
        """Store one archived file (a sink may also offer ``check_file(name, data)``: called for every file
        before the first is stored, so that a refused file leaves the archive untouched)."""


@dataclass(frozen=True)
class BackupSummary:
    """What a backup wrote."""

    tables: dict[str, int]
    key_files: tuple[str, ...]
    archive_entries: int
    archive_files: int
    sha256: str
    size: int


@dataclass(frozen=True)
class RestoreSummary:
    """What a restore brought back, and the verification of the restored audit trail."""

    tables: dict[str, int]
    key_files: tuple[str, ...]
    archive_entries: int
    archive_files: int
    audit: AuditReport
    created_at: str


# --- values -----------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, float):
        return value
    raise TypeError(f"cannot back up a {type(value).__name__}")


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    (tag, raw), = value.items()
    if tag == "$d":
        return Decimal(raw)
    if tag == "$dt":
        return dt.datetime.fromisoformat(raw)
    if tag == "$date":
        return dt.date.fromisoformat(raw)
    if tag == "$b64":
        return base64.b64decode(raw)
    if tag == "$uuid":
        return uuid.UUID(raw)
    raise ValidationError("Bản sao lưu có giá trị không đọc được.", f"unknown tag {tag!r}")


# --- backup -----------------------------------------------------------------------------------


def _revision(connection: Any) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _public_only(name: str, data: bytes) -> None:
    if name.lower().endswith(_PRIVATE_SUFFIXES) or any(m in data for m in _PRIVATE_MARKERS):
        raise ValidationError(f"Tệp {name} chứa khóa bí mật: bản sao lưu chỉ chứa phần công khai của khóa.",
                              f"refusing private key material in {name}")


class _HashingWriter:
    """A file object that hashes what goes through it (the zip member's digest for the manifest)."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target, self.digest, self.rows = target, hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.target.write(data)


def _dump_table(connection: Any, table: Any, out: _HashingWriter) -> None:
    columns = [c.name for c in table.columns]
    out.write(json.dumps({"columns": columns}).encode() + b"\n")
    order = list(table.primary_key.columns) or [table.c[columns[0]]]
    result = connection.execution_options(yield_per=_BATCH).execute(select(table).order_by(*order))
    for row in result:
        out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        out.rows += 1


def backup(engine: Engine, actor: Actor, target: IO[bytes], *, public_files: Sequence[tuple[str, bytes]] = (),
           archive: ArchiveSource | None = None, with_files: bool = False) -> BackupSummary:
    """Write a backup of the whole database (in one consistent transaction) to ``target``."""
    with Session(engine) as session:
        require(session, actor, Action.DATA_BACKUP, None)
    for name, data in public_files:
        _public_only(name, data)
    members: dict[str, dict[str, Any]] = {}
    hasher = _HashingFile(target)
    with zipfile.ZipFile(hasher, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
        with engine.connect().execution_options(**options) as connection, connection.begin():
            revision = _revision(connection)
            for table in Base.metadata.sorted_tables:
                name = f"tables/{table.name}.jsonl"
                with zf.open(name, "w", force_zip64=True) as member:
                    writer = _HashingWriter(member)
                    _dump_table(connection, table, writer)
                members[name] = {"rows": writer.rows, "sha256": writer.digest.hexdigest()}
        key_names = []
        for name, data in public_files:
            member_name = f"keys/{Path(name).name}"
            zf.writestr(member_name, data)
            key_names.append(Path(name).name)
            members[member_name] = {"sha256": hashlib.sha256(data).hexdigest()}
        entries = files = 0
        if archive is not None:
            with zf.open("archive/index.jsonl", "w", force_zip64=True) as member:
                writer = _HashingWriter(member)
                for entry in archive.index():
                    writer.write(json.dumps(entry, ensure_ascii=False, sort_keys=True).encode() + b"\n")
                    entries += 1
            members["archive/index.jsonl"] = {"rows": entries, "sha256": writer.digest.hexdigest()}
            if with_files:
                for file_name, data in archive.files():
                    member_name = f"archive/files/{file_name}"
                    zf.writestr(member_name, data)
                    members[member_name] = {"sha256": hashlib.sha256(data).hexdigest()}
                    files += 1
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "created_at": created,
                    "created_by": actor.username, "source_database": engine.dialect.name, "revision": revision,
                    "archive": {"provider": archive.name if archive else None, "entries": entries, "files": files,
                                "with_files": with_files and archive is not None},
                    "members": members}
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    digest = hasher.digest.hexdigest()
    tables = {k[len("tables/"):-len(".jsonl")]: v["rows"] for k, v in members.items() if k.startswith("tables/")}
    with Session(engine) as session, session.begin():
        audit.append(session, actor, "backup", "database", created, None,
                     {"sha256": digest, "tables": tables, "key_files": key_names, "archive_entries": entries,
                      "archive_files": files}, school_id=None)
    return BackupSummary(tables, tuple(key_names), entries, files, digest, hasher.size)


class _HashingFile(io.RawIOBase):
    """The output file, hashed as written (zipfile needs ``tell`` and may ``seek`` on a real file)."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target, self.digest, self.size = target, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        data = bytes(data)
        self.digest.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self.target.flush()


# --- restore ----------------------------------------------------------------------------------


_MEMBER_PREFIXES = ("tables/", "keys/", "archive/files/")
_HEX = frozenset("0123456789abcdef")


def _bad(message_en: str) -> IntegrityError:
    return IntegrityError("Bản sao lưu bị hỏng hoặc bị sửa (mục lục manifest.json không hợp lệ).", message_en)


def _read_manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except (KeyError, ValueError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ValidationError("Tệp không phải là bản sao lưu của Sổ điện tử (thiếu manifest.json).",
                              f"no manifest: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or manifest.get("format_version") != FORMAT_VERSION:
        found = manifest if isinstance(manifest, dict) else {}
        raise ValidationError("Tệp không phải là bản sao lưu của Sổ điện tử, hoặc là phiên bản chưa hỗ trợ.",
                              f"format {found.get('format')!r} v{found.get('format_version')!r}")
    members = manifest.get("members")
    if not isinstance(members, dict) or not isinstance(manifest.get("created_at"), str):
        raise _bad("members / created_at missing")
    for name, info in members.items():
        _check_member_name(name, info)
    return manifest


def _check_member_name(name: Any, info: Any) -> None:
    """A member the format knows, by a plain name (no ``..``, no absolute or Windows path)."""
    if not isinstance(info, dict) or not isinstance(info.get("sha256"), str) or len(info["sha256"]) != 64:
        raise _bad(f"member {str(name)[:200]!r} without a sha256")
    if not isinstance(name, str) or len(name) > 300 or "\\" in name or "\x00" in name or name.startswith("/") \
            or any(part in ("", ".", "..") for part in name.split("/")):
        raise IntegrityError(f"Bản sao lưu chứa tên tệp không hợp lệ «{str(name)[:80]}»: không khôi phục.",
                             f"hostile member name {str(name)[:200]!r}")
    if name == "archive/index.jsonl":
        return
    prefix = next((p for p in _MEMBER_PREFIXES if name.startswith(p)), None)
    rest = name[len(prefix):] if prefix else ""
    if prefix is None or "/" in rest or (prefix == "tables/" and not rest.endswith(".jsonl")):
        raise IntegrityError(f"Bản sao lưu chứa phần lạ «{name[:80]}»: không khôi phục.", f"unknown member {name!r}")
    if prefix == "archive/files/" and (len(rest) != 64 or not set(rest) <= _HEX or rest != info["sha256"]):
        # the archive is content-addressed: a file is named by the SHA-256 of its bytes
        raise IntegrityError(f"Tệp lưu trữ «{rest[:80]}» trong bản sao lưu không mang tên là mã băm của nó: "
                             "không khôi phục.", f"archive member {name!r} not named by its sha256")


#: a member inflating to more than this many times its compressed size (and past ``_BOMB_FLOOR``) is refused
#: unread: JSON lines compress about 10-20 times, PDFs and scans hardly at all; a zip bomb about 1,000 times
_BOMB_RATIO = 200
_BOMB_FLOOR = 16 * 1024 * 1024


def _check_members(zf: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    for name, info in manifest["members"].items():
        try:
            stored = zf.getinfo(name)
        except KeyError:
            raise IntegrityError(f"Bản sao lưu bị thiếu phần {name}.", f"member {name} missing") from None
        if stored.file_size > _BOMB_FLOOR and stored.file_size > _BOMB_RATIO * max(stored.compress_size, 1):
            raise IntegrityError(f"Bản sao lưu có phần {name} nén bất thường (bom nén?): không khôi phục.",
                                 f"member {name}: {stored.file_size} bytes from {stored.compress_size}")
        digest = hashlib.sha256()
        try:
            with zf.open(name) as member:
                for chunk in iter(lambda m=member: m.read(1 << 20), b""):  # type: ignore[misc]
                    digest.update(chunk)
        except KeyError:
            raise IntegrityError(f"Bản sao lưu bị thiếu phần {name}.", f"member {name} missing") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise IntegrityError(f"Bản sao lưu bị hỏng (bị cắt cụt hoặc bị sửa): không đọc được phần {name}.",
                                 f"member {name} unreadable: {exc!r}") from None
        if digest.hexdigest() != info["sha256"]:
            raise IntegrityError(f"Bản sao lưu bị hỏng hoặc bị sửa: phần {name} không khớp mã băm.",
                                 f"member {name} digest mismatch")


def _lines(zf: zipfile.ZipFile, name: str) -> Iterator[Any]:
    with zf.open(name) as member:
        for line in io.TextIOWrapper(member, encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


def _ensure_empty(engine: Engine) -> None:
    if not is_initialised(engine):
        return
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if connection.execute(select(func.count()).select_from(table)).scalar():
                raise ConflictError(
                    "Cơ sở dữ liệu đích đã có dữ liệu: chỉ khôi phục vào một cơ sở dữ liệu trống.",
                    f"target database not empty (table {table.name})")


def _reset_sequences(connection: Any) -> None:
    if connection.dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
            sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                          {"t": table.name, "c": pk[0].name}).scalar()
            if sequence:
                connection.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{pk[0].name}") FROM '
                                        f'"{table.name}"), 0) + 1, false)'), {"s": sequence})


def _restore_table(connection: Any, table: Any, lines: Iterator[Any]) -> int:
    columns = next(lines)["columns"]
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise TypeError("bad column list")
    unknown = set(columns) - set(table.c.keys())
    if unknown:
        raise ConflictError(f"Bảng {table.name} của bản sao lưu có cột lạ: {', '.join(sorted(unknown))}.",
                            f"unknown columns {sorted(unknown)} in {table.name}")
    count = 0
    batch: list[list[Any]] = []
    for row in lines:
        if not isinstance(row, list) or len(row) != len(columns):
            raise ValueError(f"row {count + len(batch) + 1} has the wrong shape")
        batch.append([_decode(v) for v in row])
        if len(batch) >= _BATCH:
            insert_rows(connection, table, columns, batch)
            count += len(batch)
            batch = []
    insert_rows(connection, table, columns, batch)
    return count + len(batch)


def restore(source: str | Path | IO[bytes], engine: Engine, actor: Actor, *, key_dir: Path | None = None,
            archive: ArchiveSink | None = None,
            verifier: Callable[[Session], audit.Verifier] | None = None) -> RestoreSummary:
    """Restore a backup into an empty database (schema created if needed); verify the audit trail.

    ``verifier`` builds, from the restored database (its trust list), the checker of the checkpoints'
    signatures (the signing layer provides it); without it the chains are checked, not the signatures.
    """
    with Session(engine) as session:
        require(session, actor, Action.DATA_BACKUP, None)
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValidationError("Tệp không phải là bản sao lưu hợp lệ (không đọc được tệp ZIP).",
                              f"bad backup file: {exc}") from exc
    with zf:
        manifest = _read_manifest(zf)
        _check_members(zf, manifest)
        _ensure_empty(engine)
        with engine.connect() as check:
            managed = not is_initialised(engine) or _revision(check) is not None
        if managed:  # a schema made by Alembic (or none yet): bring it to the newest revision
            upgrade(engine)
        with engine.connect() as check:
            head = _revision(check)
        if None not in (manifest.get("revision"), head) and manifest.get("revision") != head:
            raise ConflictError(
                f"Bản sao lưu thuộc lược đồ dữ liệu {manifest['revision']}, phiên bản này dùng {head}: hãy khôi "
                "phục bằng phiên bản đã tạo bản sao lưu rồi nâng cấp.",
                f"backup revision {manifest['revision']} != {head}")
        entries = files = 0
        if archive is not None and "archive/index.jsonl" in manifest["members"]:
            # the archive's objects first: content-addressed, so a failure later leaves only unreferenced objects
            try:
                index = list(_lines(zf, "archive/index.jsonl"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise ValidationError("Mục lục lưu trữ trong bản sao lưu không đọc được: không khôi phục.",
                                      f"bad archive index: {exc!r}") from None
            archive.restore_index(index)
            entries = len(index)
            names = [name for name in manifest["members"] if name.startswith("archive/files/")]
            check_file = getattr(archive, "check_file", None)  # optional: every file checked before any is stored
            if check_file is not None:
                for name in names:
                    check_file(name[len("archive/files/"):], zf.read(name))
            for name in names:
                archive.restore_file(name[len("archive/files/"):], zf.read(name))
                files += 1
        tables: dict[str, int] = {}
        with engine.begin() as connection:
            for table in Base.metadata.sorted_tables:
                name = f"tables/{table.name}.jsonl"
                if name not in manifest["members"]:
                    continue
                try:
                    tables[table.name] = _restore_table(connection, table, _lines(zf, name))
                except SodientuError:
                    raise
                except (ValueError, TypeError, KeyError, ArithmeticError, StopIteration, SQLAlchemyError) as exc:
                    raise ValidationError(f"Bản sao lưu có dữ liệu không hợp lệ ở bảng {table.name}: không khôi "
                                          "phục gì.", f"bad rows in {table.name}: {exc!r}"[:2000]) from None
            _reset_sequences(connection)
        key_names = []
        for name in manifest["members"]:
            if name.startswith("keys/") and key_dir is not None:
                data = zf.read(name)
                _public_only(name, data)
                key_dir.mkdir(parents=True, exist_ok=True)
                (key_dir / Path(name).name).write_bytes(data)
                key_names.append(Path(name).name)
    with Session(engine) as session, session.begin():
        audit.append(session, actor, "restore", "database", manifest["created_at"], None,
                     {"created_at": manifest["created_at"], "created_by": manifest.get("created_by"),
                      "source_database": manifest.get("source_database"), "tables": tables}, school_id=None)
    with Session(engine) as session:
        report = audit.verify(session, verifier=verifier(session) if verifier else None)
    return RestoreSummary(tables, tuple(key_names), entries, files, report, manifest["created_at"])
