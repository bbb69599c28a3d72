"""Uploaded files kept between the preview and the confirmation of an import, by their SHA-256.

The preview stores the file and the options chosen (``<folder>/<sha256>.upload`` and ``.json``, written
atomically); the confirmation names the digest only, so the import applied is exactly the file and the
options that were previewed. A kept file belongs to the user who uploaded it, and is dropped when the
import is applied or after ``KEEP_HOURS``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from records.errors import NotFoundError
from records.interop.sheets import SpreadsheetFile

KEEP_HOURS = 24
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Kept:
    """A kept upload: the file and what was chosen with it."""

    digest: str
    source: SpreadsheetFile
    meta: dict[str, Any]


class UploadStore:
    """A folder of kept uploads."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, digest: str) -> tuple[Path, Path]:
        return self.folder / f"{digest}.upload", self.folder / f"{digest}.json"

    def keep(self, source: SpreadsheetFile, owner_id: int | None, options: dict[str, Any]) -> str:
        """Keep a file with its options; its digest (of the bytes, the owner and the options)."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # personal data: the server user only
        self._expire()
        meta = {"name": source.name, "owner": owner_id, "options": options,
                "sha256": hashlib.sha256(source.data).hexdigest(), "at": dt.datetime.now(dt.UTC).isoformat()}
        # the digest binds the file to its options and owner: a confirmation cannot swap either
        digest = hashlib.sha256(json.dumps([meta["sha256"], owner_id, options, source.name],
                                           sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        data_path, meta_path = self._paths(digest)
        for path, content in ((data_path, source.data), (meta_path, json.dumps(meta, ensure_ascii=False).encode())):
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(content)
            tmp.replace(path)
        return digest

    def load(self, digest: str, owner_id: int | None) -> Kept:
        """The kept file of a digest (NotFoundError when unknown, expired, another user's or altered)."""
        gone = NotFoundError("Tệp đã xem trước không còn trên máy chủ (đã nhập, hoặc quá 24 giờ): hãy tải lên lại.",
                             f"no kept upload {digest!r}")
        if not _DIGEST.match(digest or ""):
            raise gone
        data_path, meta_path = self._paths(digest)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            data = data_path.read_bytes()
        except (OSError, ValueError):
            raise gone from None
        if meta.get("owner") != owner_id or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            raise gone
        return Kept(digest, SpreadsheetFile(meta["name"], data), meta)

    def drop(self, digest: str) -> None:
        """Forget a kept file."""
        if _DIGEST.match(digest or ""):
            for path in self._paths(digest):
                path.unlink(missing_ok=True)

    def _expire(self) -> None:
        limit = time.time() - KEEP_HOURS * 3600
        for path in self.folder.glob("*.upload"):
            try:
                if path.stat().st_mtime < limit:
                    self.drop(path.stem)
            except OSError:
                continue
