"""``manifest.json``: the list of files the demo (or any batch print) wrote into its output folder.

Each entry names a file by its path relative to the folder, what it is (``kind``: "transcript",
"markbook", "register", "summary", …), the school year, the class or student it belongs to, its page
count (PDFs) and its sha256, so a copy can be checked against the list. The manifest is written
deterministically (entries sorted by path, no timestamps) so two builds from the same seed give the
same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["MANIFEST_NAME", "SCHEMA_VERSION", "ManifestEntry", "file_sha256", "read_manifest", "write_manifest"]

MANIFEST_NAME = "manifest.json"
SCHEMA_VERSION = 1


def file_sha256(path: Path) -> str:
    """sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ManifestEntry:
    """One produced file."""

    path: str  # relative to the output folder, with "/" separators
    kind: str
    sha256: str
    school_year: str | None = None  # "2025-2026"
    class_name: str | None = None  # "9A1"
    student_code: str | None = None
    pages: int | None = None

    @classmethod
    def for_file(cls, out_dir: Path, path: Path, *, kind: str, school_year: str | None = None,
                 class_name: str | None = None, student_code: str | None = None,
                 pages: int | None = None) -> ManifestEntry:
        """The entry of a file already written under ``out_dir`` (its digest is computed here)."""
        path = Path(path)
        full = path if path.is_absolute() else Path(out_dir) / path
        relative = full.resolve().relative_to(Path(out_dir).resolve()).as_posix()
        return cls(relative, kind, file_sha256(full), school_year, class_name, student_code, pages)


def write_manifest(out_dir: Path, entries: Iterable[ManifestEntry], *,
                   info: Mapping[str, Any] | None = None) -> Path:
    """Write ``manifest.json`` in ``out_dir`` listing the entries (sorted by path); returns its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = sorted((asdict(e) for e in entries), key=lambda e: e["path"])
    paths = [e["path"] for e in files]
    if len(set(paths)) != len(paths):
        raise ValueError("manifest lists a file twice")
    document = {"schema_version": SCHEMA_VERSION, **(dict(info) if info else {}), "files": files}
    target = out_dir / MANIFEST_NAME
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False, default=str) + "\n"
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target


def read_manifest(out_dir: Path) -> list[ManifestEntry]:
    """The entries of the manifest in ``out_dir``."""
    document = json.loads((Path(out_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))
    return [ManifestEntry(**e) for e in document["files"]]
