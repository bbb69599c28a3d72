"""Content-addressed stores: bytes in, SHA-256 out; a local folder (default) or an S3 bucket.

Every store offers the same small interface (:class:`Store`): ``put`` (bytes or a binary stream →
:class:`Stored`, the hex SHA-256 and size), ``open``/``read`` (by hash), ``exists``, ``size``,
``__iter__`` (every hash held) and ``remove`` (used only by the archive's retention-checked
deletion). An object's key is its hash, so nothing is ever overwritten by other content; putting
bytes already held is a no-op (or a repair, when the held copy no longer matches its name).

Atomicity: the local folder writes into ``tmp/`` beside the objects, fsyncs the file, renames it to
``objects/ab/<hash>`` and fsyncs the folder — a crash leaves either no object or the whole object,
never a half file under its name (left-over temporary files are ignored and swept by
``sweep_temporary``). S3 makes an object visible only when its upload completes.

``open_store(url)`` builds a store from a location: a folder path (or ``file://…``), or
``s3://bucket/prefix?endpoint_url=http://…&region=…`` (credentials from boto3's usual sources, or
``access_key``/``secret_key`` in the URL for test servers).
"""

from __future__ import annotations

import abc
import hashlib
import io
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import parse_qs, unquote, urlparse

from archive.errors import ArchiveConfigError, ArchiveStoreError, ObjectMissingError

CHUNK = 1 << 20
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Stored:
    """What a ``put`` stored: the content's hex SHA-256 and its size in bytes."""

    sha256: str
    size: int


def check_hash(sha256: str) -> str:
    """The hash itself if it is 64 lower-case hex digits (a key never escapes the store's folder)."""
    if not isinstance(sha256, str) or not _HEX64.match(sha256):
        raise ArchiveStoreError("Mã băm của tệp lưu trữ không hợp lệ.", f"bad sha256 {sha256!r}")
    return sha256


def sha256_of(stream: IO[bytes]) -> tuple[str, int]:
    """Hash a stream to its end: (hex SHA-256, size)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class Store(abc.ABC):
    """A content-addressed store (see the module docstring)."""

    location: str  # where it is, for messages and reports

    @abc.abstractmethod
    def put(self, data: bytes | BinaryIO) -> Stored:
        """Store the bytes (or the stream, read to its end) under their SHA-256; atomic."""

    @abc.abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """A binary stream of the object (``ObjectMissingError`` when absent); close it."""

    @abc.abstractmethod
    def exists(self, sha256: str) -> bool:
        """Is an object of that hash held (its content is not checked: see ``verify``)?"""

    @abc.abstractmethod
    def size(self, sha256: str) -> int:
        """The stored size of the object."""

    @abc.abstractmethod
    def __iter__(self) -> Iterator[str]:
        """Every hash held, in no particular order."""

    @abc.abstractmethod
    def remove(self, sha256: str) -> None:
        """Delete an object (only ``archive.items.delete_expired`` calls it, after the retention check)."""

    def put_many(self, items: list[bytes]) -> list[Stored]:
        """Store many byte strings (each as ``put``); a store may make them durable together."""
        return [self.put(data) for data in items]

    def read(self, sha256: str) -> bytes:
        """The whole object."""
        with self.open(sha256) as stream:
            return stream.read()

    def verify(self, sha256: str) -> bool | None:
        """True when the object's content hashes to its name, False when not, None when absent."""
        try:
            stream = self.open(sha256)
        except ObjectMissingError:
            return None
        with stream:
            return sha256_of(stream)[0] == sha256


class LocalStore(Store):
    """Objects in ``<root>/objects/ab/<hash>``, written through ``<root>/tmp/`` (the embedded default)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.location = str(self.root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"

    def _path(self, sha256: str) -> Path:
        check_hash(sha256)
        return self.objects / sha256[:2] / sha256

    def put(self, data: bytes | BinaryIO) -> Stored:
        stream: IO[bytes] = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
        try:
            self.tmp.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix="put-", suffix=".part", dir=self.tmp)
        except OSError as exc:
            raise ArchiveStoreError(f"Không ghi được vào kho lưu trữ {self.location}.", f"store not writable: {exc}") \
                from exc
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fchmod(out.fileno(), 0o444)  # read-only: an object is never edited in place
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self._path(sha)
            if final.exists() and self.verify(sha):
                tmp.unlink()
                return Stored(sha, size)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)  # atomic; replaces only a copy that no longer matches its name
            _fsync_dir(final.parent)
            return Stored(sha, size)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ArchiveStoreError(f"Không ghi được vào kho lưu trữ {self.location}.", f"store write failed: {exc}") \
                from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def put_many(self, items: list[bytes]) -> list[Stored]:
        """Store many objects with two file-system syncs in all instead of two fsyncs each: every temporary
        file is written, then synced (``syncfs``: their content is on disk), then renamed in place, then
        synced again (the names are on disk). A crash leaves, as with ``put``, no object or a whole one.
        Where ``syncfs`` is not available, ``put`` each."""
        if len(items) < 2 or not _syncfs_available():
            return super().put_many(items)
        written: list[tuple[Path, Path, Stored]] = []
        out: list[Stored] = []
        try:
            self.tmp.mkdir(parents=True, exist_ok=True)
            for data in items:
                fd, tmp_name = tempfile.mkstemp(prefix="put-", suffix=".part", dir=self.tmp)
                tmp = Path(tmp_name)
                with os.fdopen(fd, "wb") as out_file:
                    out_file.write(data)
                    os.fchmod(out_file.fileno(), 0o444)
                stored = Stored(hashlib.sha256(data).hexdigest(), len(data))
                written.append((tmp, self._path(stored.sha256), stored))
                out.append(stored)
            if not _syncfs(self.root):  # 1. every content on disk before any name
                raise OSError("syncfs failed")
            for tmp, final, stored in written:
                if final.exists() and self.verify(stored.sha256):
                    tmp.unlink()
                    continue
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
            if not _syncfs(self.root):  # 2. every name on disk before the caller commits
                raise OSError("syncfs failed")
            return out
        except OSError as exc:
            for tmp, _final, _stored in written:
                tmp.unlink(missing_ok=True)
            raise ArchiveStoreError(f"Không ghi được vào kho lưu trữ {self.location}.", f"store write failed: {exc}") \
                from exc
        except BaseException:
            for tmp, _final, _stored in written:
                tmp.unlink(missing_ok=True)
            raise

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self._path(sha256).open("rb")
        except FileNotFoundError:
            raise ObjectMissingError(sha256) from None

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self._path(sha256).stat().st_size
        except FileNotFoundError:
            raise ObjectMissingError(sha256) from None

    def __iter__(self) -> Iterator[str]:
        if not self.objects.is_dir():
            return
        for folder in sorted(self.objects.iterdir()):
            if folder.is_dir():
                for path in sorted(folder.iterdir()):
                    if _HEX64.match(path.name) and path.name[:2] == folder.name:
                        yield path.name

    def remove(self, sha256: str) -> None:
        path = self._path(sha256)
        path.unlink(missing_ok=True)
        _fsync_dir(path.parent)

    def sweep_temporary(self, older_than_seconds: float = 3600) -> int:
        """Delete temporary files left by interrupted puts (older than the given age); returns how many."""
        if not self.tmp.is_dir():
            return 0
        limit = time.time() - older_than_seconds
        swept = 0
        for path in self.tmp.iterdir():
            if path.name.endswith(".part") and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                swept += 1
        return swept


_LIBC: Any = None


def _syncfs_available() -> bool:
    """Whether the C library offers ``syncfs`` (Linux)."""
    global _LIBC
    if _LIBC is None:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            _LIBC = libc if hasattr(libc, "syncfs") else False
        except OSError:
            _LIBC = False
    return _LIBC is not False


def _syncfs(path: Path) -> bool:
    """Flush the file system holding ``path`` (Linux ``syncfs``); False on failure."""
    if not _syncfs_available():
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        return _LIBC.syncfs(fd) == 0
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on folders; the rename is still atomic
    finally:
        os.close(fd)


class S3Store(Store):
    """Objects in an S3 bucket (``<prefix>objects/ab/<hash>``), for a district's object store (boto3)."""

    def __init__(self, bucket: str, prefix: str = "", *, client: Any = None, endpoint_url: str | None = None,
                 region: str | None = None, access_key: str | None = None, secret_key: str | None = None,
                 create_bucket: bool = False) -> None:
        if client is None:
            try:
                import boto3
                from botocore.config import Config
            except ImportError as exc:  # pragma: no cover - boto3 is a dependency
                raise ArchiveConfigError("Thiếu thư viện boto3 để dùng kho lưu trữ S3.", str(exc)) from exc
            client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region or "us-east-1",
                                  aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                  config=Config(retries={"max_attempts": 3, "mode": "standard"},
                                                s3={"addressing_style": "path"}))
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.location = f"s3://{bucket}/{self.prefix}" + (f" ({endpoint_url})" if endpoint_url else "")
        if create_bucket:
            self._ensure_bucket()

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def _key(self, sha256: str) -> str:
        check_hash(sha256)
        return f"{self.prefix}objects/{sha256[:2]}/{sha256}"

    def _errors(self) -> tuple[type[BaseException], ...]:
        from botocore.exceptions import BotoCoreError, ClientError

        return (BotoCoreError, ClientError)

    def put(self, data: bytes | BinaryIO) -> Stored:
        import base64

        if isinstance(data, (bytes, bytearray, memoryview)):
            body: IO[bytes] = io.BytesIO(bytes(data))
        else:  # spool the stream (hash first: the key is the hash)
            body = tempfile.SpooledTemporaryFile(max_size=32 << 20)  # noqa: SIM115 - closed by the GC after the put
            while chunk := data.read(CHUNK):
                body.write(chunk)
        body.seek(0)
        digest, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
        size = 0
        while chunk := body.read(CHUNK):
            digest.update(chunk)
            md5.update(chunk)
            size += len(chunk)
        sha = digest.hexdigest()
        if self.exists(sha) and self.verify(sha):
            return Stored(sha, size)
        body.seek(0)
        try:
            # The server checks Content-MD5: a body cut short is refused, never stored under the hash.
            self.client.put_object(Bucket=self.bucket, Key=self._key(sha), Body=body, ContentLength=size,
                                   ContentMD5=base64.b64encode(md5.digest()).decode())
        except self._errors() as exc:
            raise ArchiveStoreError(f"Không ghi được vào kho lưu trữ {self.location}.", f"S3 put failed: {exc}") \
                from exc
        return Stored(sha, size)

    def open(self, sha256: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise ObjectMissingError(sha256) from None
            raise ArchiveStoreError(f"Không đọc được kho lưu trữ {self.location}.", f"S3 get failed: {exc}") from exc
        return answer["Body"]  # type: ignore[no-any-return]

    def _head(self, sha256: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))  # type: ignore[no-any-return]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise ArchiveStoreError(f"Không đọc được kho lưu trữ {self.location}.", f"S3 head failed: {exc}") \
                from exc

    def exists(self, sha256: str) -> bool:
        return self._head(sha256) is not None

    def size(self, sha256: str) -> int:
        head = self._head(sha256)
        if head is None:
            raise ObjectMissingError(sha256)
        return int(head["ContentLength"])

    def __iter__(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}objects/"):
            for obj in page.get("Contents", []):
                name = obj["Key"].rsplit("/", 1)[-1]
                if _HEX64.match(name):
                    yield name

    def remove(self, sha256: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(sha256))
        except self._errors() as exc:
            raise ArchiveStoreError(f"Không xóa được trong kho lưu trữ {self.location}.", f"S3 delete failed: {exc}") \
                from exc


def open_store(location: str) -> Store:
    """A store from a location: a folder path, ``file://…``, or ``s3://bucket/prefix?endpoint_url=…``."""
    location = location.strip()
    if not location:
        raise ArchiveConfigError("Chưa chỉ rõ kho lưu trữ.", "empty archive location")
    parsed = urlparse(location)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ArchiveConfigError(f"Địa chỉ kho lưu trữ S3 không hợp lệ: {location!r}.", "s3 URL without bucket")
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        return S3Store(parsed.netloc, unquote(parsed.path), endpoint_url=query.get("endpoint_url"),
                       region=query.get("region"), access_key=query.get("access_key"),
                       secret_key=query.get("secret_key"), create_bucket=query.get("create_bucket") == "1")
    if parsed.scheme == "file":
        return LocalStore(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:
        raise ArchiveConfigError(f"Không hỗ trợ loại kho lưu trữ «{parsed.scheme}».", f"unsupported store {location!r}")
    return LocalStore(location)
