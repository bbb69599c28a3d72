"""The archive's part of a backup (``records.interop.backup``, ``sodientu backup`` / ``restore``).

``backup_source(engine)`` gives the backup the archive's index — one entry per kept object: its SHA-256,
size, media type and the archive items holding it (the items themselves are rows of the database part)
— and, for ``--with-files``, the objects' bytes, each re-hashed as it is read: a missing or corrupted
object stops the backup with the item named (``sodientu archive check`` says more), rather than carry
bad bytes into a backup that looks whole.

``restore_sink(engine)`` puts them back into the archive of the restored database (``SODIENTU_ARCHIVE``,
or ``archive/`` beside a SQLite file — a local folder or an S3 bucket alike). It accepts only what the
index announced: an entry must name a 64-hex SHA-256 and a size; a file's name must be one of those
hashes (no path, no ``..``: an object's key is its hash), and its bytes must have that hash and size.
Objects already held are left as they are (content-addressed: the same name is the same bytes).

Both return None when the database has no archive configured (a PostgreSQL installation without
``SODIENTU_ARCHIVE``): the backup then holds the database and keys only, and says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from archive.config import location_for, store_at
from archive.errors import ArchiveStoreError
from archive.store import Store, check_hash
from records.models import ArchiveItem


def backup_source(engine: Engine) -> ArchiveBackup | None:
    """The archive of this database as a backup source, or None when it has none configured."""
    location = location_for(engine)
    return None if location is None else ArchiveBackup(engine, store_at(location))


def restore_sink(engine: Engine) -> ArchiveRestore | None:
    """The archive of the restored database as a restore target, or None when it has none configured."""
    location = location_for(engine)
    return None if location is None else ArchiveRestore(store_at(location))


class ArchiveBackup:
    """``records.interop.backup.ArchiveSource`` over the archive's items and store."""

    def __init__(self, engine: Engine, store: Store) -> None:
        self.engine, self.store = engine, store
        self.name = type(store).__name__.removesuffix("Store").lower() or "store"  # "local", "s3"

    def _objects(self) -> dict[str, dict[str, Any]]:
        objects: dict[str, dict[str, Any]] = {}
        with Session(self.engine) as session:
            for item_id, sha256, size, media_type in session.execute(
                    select(ArchiveItem.id, ArchiveItem.sha256, ArchiveItem.size, ArchiveItem.media_type)
                    .where(ArchiveItem.deleted_at.is_(None)).order_by(ArchiveItem.id)):
                entry = objects.setdefault(sha256, {"sha256": sha256, "size": int(size), "media_type": media_type,
                                                    "items": []})
                entry["items"].append(int(item_id))
        return dict(sorted(objects.items()))

    def index(self) -> Iterator[dict[str, Any]]:
        """One entry per kept object (items deleted under retention are not in it)."""
        yield from self._objects().values()

    def files(self) -> Iterator[tuple[str, bytes]]:
        """(SHA-256, bytes) of every kept object, each checked against its hash and size."""
        for sha256, entry in self._objects().items():
            data = self.store.read(sha256)  # ObjectMissingError names the object
            if hashlib.sha256(data).hexdigest() != sha256 or len(data) != entry["size"]:
                raise ArchiveStoreError(
                    f"Tệp lưu trữ {sha256[:12]}… (mục lưu trữ số {', '.join(map(str, entry['items']))}) đã bị hỏng: "
                    "không sao lưu. Chạy «sodientu archive check» để xem.", f"archive object {sha256} corrupted")
            yield sha256, data


class ArchiveRestore:
    """``records.interop.backup.ArchiveSink`` into an archive store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.expected: dict[str, int] = {}

    def restore_index(self, entries: list[dict[str, Any]]) -> None:
        """Learn which objects (hash, size) the backup holds; refuse a malformed entry."""
        for number, entry in enumerate(entries, 1):
            try:
                sha256, size = check_hash(entry["sha256"]), entry["size"]
                if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                    raise TypeError(f"size {size!r}")
            except (KeyError, TypeError, ArchiveStoreError) as exc:
                raise ArchiveStoreError(f"Mục lục lưu trữ trong bản sao lưu bị hỏng (mục số {number}).",
                                        f"bad archive index entry {number}: {exc!r}") from None
            self.expected[sha256] = size

    def check_file(self, name: str, data: bytes) -> None:
        """Refuse a file the index did not announce, or whose bytes are not its name's."""
        if not isinstance(name, str) or len(name) != 64 or name not in self.expected:
            raise ArchiveStoreError(f"Bản sao lưu chứa tệp lưu trữ lạ «{str(name)[:80]}»: không khôi phục.",
                                    f"unexpected archive file name {str(name)[:200]!r}")
        if len(data) != self.expected[name] or hashlib.sha256(data).hexdigest() != name:
            raise ArchiveStoreError(f"Tệp lưu trữ {name[:12]}… trong bản sao lưu không khớp mã băm: không khôi phục.",
                                    f"archive file {name} does not match its hash")

    def restore_file(self, name: str, data: bytes) -> None:
        """Store one object (checked first; kept as it is when the store already holds it)."""
        self.check_file(name, data)
        stored = self.store.put(data)
        if stored.sha256 != name:  # cannot happen with a content-addressed store; checked all the same
            raise ArchiveStoreError("Kho lưu trữ ghi sai tệp khi khôi phục.", f"store wrote {stored.sha256} for {name}")
