"""Where the school's secret key files live: a ``keys/`` folder next to the database, never in the repository.

Layout of the folder (mode 0700; every private file 0600, encrypted with the passphrase):

    keys/<key id>.key.pem      Ed25519 private key of the QR codes (PKCS#8, encrypted)
    keys/school-cert.p12       certificate + key of the PDF signatures (PKCS#12, encrypted)
    keys/trust.json            the public trust list (safe to publish; offline verifiers use it)
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from signing.errors import SigningKeyError

PASSPHRASE_ENV = "SODIENTU_KEY_PASSPHRASE"
P12_NAME = "school-cert.p12"
TRUST_NAME = "trust.json"


def default_key_dir(db_url: str) -> Path:
    """``keys/`` beside a SQLite database file, else in the working folder."""
    try:
        url = make_url(db_url)
    except Exception:  # noqa: BLE001 - an odd URL only changes where we look
        return Path.cwd() / "keys"
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "keys"
    return Path.cwd() / "keys"


def ensure_key_dir(path: Path) -> Path:
    """Create the key folder (owner-only) if needed."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise SigningKeyError(f"Không tạo được thư mục khóa {path}.", f"cannot create {path}: {exc}") from None
    return path


def private_key_path(key_dir: Path, key_id: str) -> Path:
    """The encrypted private key file of a key id."""
    return key_dir / f"{key_id}.key.pem"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(path: Path, data: bytes, mode: int) -> Path:
    """Write ``data`` to a fresh temporary file beside ``path`` and fsync it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def write_private_file(path: Path, data: bytes) -> None:
    """Write a new secret file readable by its owner only (never overwrites), atomically.

    The content goes to a temporary file first (fsynced), which is then linked under the final name
    (``link`` fails on an existing name: nothing is overwritten) and removed: a process killed
    half-way leaves no half key file under a key's name, only a ``.tmp`` file.
    """
    if path.exists():
        raise SigningKeyError(f"Tệp đã tồn tại: {path}. Không ghi đè.", f"file exists: {path}")
    try:
        tmp = _write_temp(path, data, 0o600)
        try:
            os.link(tmp, path)
        finally:
            os.unlink(tmp)
        _fsync_dir(path.parent)
    except FileExistsError:
        raise SigningKeyError(f"Tệp đã tồn tại: {path}. Không ghi đè.", f"file exists: {path}") from None
    except OSError as exc:
        raise SigningKeyError(f"Không ghi được tệp {path}.", f"cannot write {path}: {exc}") from None


def replace_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace a (public) file atomically: temporary file, fsync, ``os.replace``, fsync of the folder."""
    try:
        tmp = _write_temp(path, data, mode)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        raise SigningKeyError(f"Không ghi được tệp {path}.", f"cannot write {path}: {exc}") from None


def read_passphrase_file(path: str | os.PathLike[str]) -> str:
    """The passphrase in a file (first line, without the line end)."""
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise SigningKeyError(f"Không đọc được tệp mật khẩu {path}.", f"cannot read passphrase file: {exc}") from None
    return text.splitlines()[0] if text else ""
