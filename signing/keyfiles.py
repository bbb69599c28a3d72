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


def write_private_file(path: Path, data: bytes) -> None:
    """Write a new secret file readable by its owner only (never overwrites)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SigningKeyError(f"Tệp đã tồn tại: {path}. Không ghi đè.", f"file exists: {path}") from None
    except OSError as exc:
        raise SigningKeyError(f"Không ghi được tệp {path}.", f"cannot write {path}: {exc}") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def read_passphrase_file(path: str | os.PathLike[str]) -> str:
    """The passphrase in a file (first line, without the line end)."""
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise SigningKeyError(f"Không đọc được tệp mật khẩu {path}.", f"cannot read passphrase file: {exc}") from None
    return text.splitlines()[0] if text else ""
