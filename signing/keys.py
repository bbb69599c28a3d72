"""School Ed25519 key pairs: generation, key ids, encrypted storage, trust store.

The private key never goes into the database or the repository in clear: it is written as an
encrypted PKCS#8 PEM file (``BestAvailableEncryption``) that the administrator keeps, or loaded
from a PEM file the administrator supplies. Public keys are exported as PEM or raw 32 bytes for
the trust list. ``TrustStore`` is the in-memory trust list; a database-backed one only has to
implement the ``KeyLookup`` protocol (``lookup(key_id)``).
"""

from __future__ import annotations

import binascii
import datetime as dt
import enum
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from signing.errors import KeyPassphraseError, SigningKeyError

KEY_ID_BYTES = 4
MIN_PASSPHRASE_LENGTH = 8

PublicKeyLike = Ed25519PublicKey | bytes


def generate_private_key() -> Ed25519PrivateKey:
    """Generate a new school Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def public_key_raw(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """Return the raw 32-byte public key (of a public or private key)."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_pem(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """Return the public key as SubjectPublicKeyInfo PEM text."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id_bytes(key: Ed25519PublicKey | Ed25519PrivateKey | bytes) -> bytes:
    """Return the 4-byte key id: the first 4 bytes of SHA-256(raw public key)."""
    raw = key if isinstance(key, bytes) else public_key_raw(key)
    return hashlib.sha256(raw).digest()[:KEY_ID_BYTES]


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey | bytes) -> str:
    """Return the key id as 8 lower-case hex characters (e.g. ``"3fa9c01e"``)."""
    return key_id_bytes(key).hex()


def load_public_key(data: bytes | str | Ed25519PublicKey) -> Ed25519PublicKey:
    """Load a public key from PEM (text or bytes), raw 32 bytes or 64 hex characters."""
    if isinstance(data, Ed25519PublicKey):
        return data
    try:
        if isinstance(data, str):
            text = data.strip()
            if "-----BEGIN" not in text:
                data = binascii.unhexlify(text)
            else:
                data = text.encode()
        if len(data) == 32:
            return Ed25519PublicKey.from_public_bytes(data)
        key = serialization.load_pem_public_key(data)
    except (ValueError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise SigningKeyError("Khóa công khai không đọc được.", f"cannot load public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("Khóa công khai không phải loại Ed25519.", "public key is not Ed25519")
    return key


def _passphrase_bytes(passphrase: str | bytes) -> bytes:
    return passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase


def private_key_to_pem(key: Ed25519PrivateKey, passphrase: str | bytes) -> bytes:
    """Serialise the private key as PKCS#8 PEM encrypted with the passphrase."""
    pw = _passphrase_bytes(passphrase)
    if len(pw) < MIN_PASSPHRASE_LENGTH:
        raise KeyPassphraseError(
            f"Mật khẩu bảo vệ khóa ký phải có ít nhất {MIN_PASSPHRASE_LENGTH} ký tự.",
            f"passphrase shorter than {MIN_PASSPHRASE_LENGTH} bytes",
        )
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(pw),
    )


def save_private_key(key: Ed25519PrivateKey, path: str | os.PathLike[str], passphrase: str | bytes,
                     *, overwrite: bool = False) -> Path:
    """Write the encrypted private key to a new file readable by its owner only (mode 0600)."""
    pem = private_key_to_pem(key, passphrase)
    p = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(p, flags, 0o600)
    except FileExistsError:
        raise SigningKeyError(f"Tệp khóa đã tồn tại: {p}. Không ghi đè.", f"key file exists: {p}") from None
    except OSError as exc:
        raise SigningKeyError(f"Không ghi được tệp khóa: {p}.", f"cannot write key file {p}: {exc}") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return p


def load_private_key(source: bytes | str | os.PathLike[str], passphrase: str | bytes | None = None
                     ) -> Ed25519PrivateKey:
    """Load a private key from PEM bytes or a PEM file; encrypted keys need the passphrase."""
    if isinstance(source, bytes):
        pem = source
    else:
        try:
            pem = Path(source).read_bytes()
        except OSError as exc:
            raise SigningKeyError(f"Không đọc được tệp khóa: {source}.", f"cannot read key file: {exc}") from None
    encrypted = b"ENCRYPTED" in pem
    if encrypted and not passphrase:
        raise KeyPassphraseError("Tệp khóa ký được mã hóa: cần nhập mật khẩu.", "encrypted key needs a passphrase")
    pw = _passphrase_bytes(passphrase) if (encrypted and passphrase) else None
    try:
        key = serialization.load_pem_private_key(pem, password=pw)
    except ValueError as exc:
        if encrypted:
            raise KeyPassphraseError("Sai mật khẩu khóa ký (hoặc tệp khóa bị hỏng).",
                                     f"wrong passphrase or corrupt key: {exc}") from None
        raise SigningKeyError("Tệp khóa ký không đúng định dạng PEM.", f"cannot load private key: {exc}") from None
    except (TypeError, UnsupportedAlgorithm) as exc:
        raise SigningKeyError("Tệp khóa ký không đọc được.", f"cannot load private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError("Khóa ký phải là khóa Ed25519.", f"private key is {type(key).__name__}, not Ed25519")
    return key


class KeyStatus(enum.Enum):
    """Life-cycle state of a trusted key."""

    ACTIVE = "active"      # signs new editions
    RETIRED = "retired"    # no longer signs; its editions stay verifiable
    REVOKED = "revoked"    # compromised or withdrawn; nothing it signed is trusted


@dataclass(frozen=True)
class TrustedKey:
    """One entry of the trust list."""

    key_id: str
    public_key: Ed25519PublicKey
    status: KeyStatus
    valid_from: dt.date
    retired_on: dt.date | None = None
    revoked_on: dt.date | None = None
    label: str = ""


@runtime_checkable
class KeyLookup(Protocol):
    """What verification needs from a trust list (in-memory or database-backed)."""

    def lookup(self, key_id: str) -> TrustedKey | None:
        """Return the trusted key with this id, or None when unknown."""
        ...


class TrustStore:
    """In-memory trust list: key id -> public key with status and dates."""

    def __init__(self) -> None:
        self._keys: dict[str, TrustedKey] = {}

    def add(self, public_key: PublicKeyLike | Ed25519PrivateKey, *, valid_from: dt.date | None = None,
            status: KeyStatus = KeyStatus.ACTIVE, label: str = "") -> TrustedKey:
        """Add a public key; returns its entry. Adding an ACTIVE key retires the previous active one."""
        if isinstance(public_key, Ed25519PrivateKey):
            public_key = public_key.public_key()
        pub = load_public_key(public_key)
        kid = key_id(pub)
        if kid in self._keys:
            raise SigningKeyError(f"Khóa {kid} đã có trong danh sách tin cậy.", f"key {kid} already trusted")
        today = valid_from or dt.date.today()
        if status is KeyStatus.ACTIVE:
            for other in list(self._keys.values()):
                if other.status is KeyStatus.ACTIVE:
                    self._keys[other.key_id] = replace(other, status=KeyStatus.RETIRED, retired_on=today)
        entry = TrustedKey(kid, pub, status, today, label=label)
        self._keys[kid] = entry
        return entry

    def lookup(self, key_id: str) -> TrustedKey | None:
        """Return the entry for this key id, or None."""
        return self._keys.get(key_id.lower())

    def retire(self, key_id: str, on: dt.date | None = None) -> TrustedKey:
        """Mark a key retired (rotation): old editions stay verifiable."""
        entry = self._get(key_id)
        if entry.status is KeyStatus.REVOKED:
            raise SigningKeyError(f"Khóa {key_id} đã bị thu hồi.", f"key {key_id} is revoked")
        new = replace(entry, status=KeyStatus.RETIRED, retired_on=on or dt.date.today())
        self._keys[entry.key_id] = new
        return new

    def revoke(self, key_id: str, on: dt.date | None = None) -> TrustedKey:
        """Mark a key revoked: nothing it signed verifies as genuine any more."""
        entry = self._get(key_id)
        new = replace(entry, status=KeyStatus.REVOKED, revoked_on=on or dt.date.today())
        self._keys[entry.key_id] = new
        return new

    def active(self) -> TrustedKey | None:
        """Return the active key (the one that signs new editions), if any."""
        return next((k for k in self._keys.values() if k.status is KeyStatus.ACTIVE), None)

    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(list(self._keys.values()))

    def __len__(self) -> int:
        return len(self._keys)

    def _get(self, key_id: str) -> TrustedKey:
        entry = self.lookup(key_id)
        if entry is None:
            raise SigningKeyError(f"Không có khóa {key_id} trong danh sách tin cậy.", f"unknown key {key_id}")
        return entry


class TrailCacheSigner:
    """Signs and checks the print-time trail snapshot (``records.services.trail_cache``) with a signing key.

    The signed bytes are prefixed with a label of their own, so that no snapshot signature can ever be
    taken for the signature of a page code or of anything else the key signs.
    """

    LABEL = b"sodientu-trail-snapshot/1\x00"

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.key_id = key_id(private_key)
        self._private = private_key
        self._public = private_key.public_key()

    def sign(self, data: bytes) -> bytes:
        """The signature of ``data``."""
        return self._private.sign(self.LABEL + data)

    def verify(self, data: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's over ``data``."""
        from cryptography.exceptions import InvalidSignature

        try:
            self._public.verify(signature, self.LABEL + data)
        except InvalidSignature:
            return False
        return True
