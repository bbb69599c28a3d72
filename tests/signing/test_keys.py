"""Tests for signing.keys: key ids, encrypted storage, trust store."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signing.errors import KeyPassphraseError, SigningError, SigningKeyError
from signing.keys import (
    KeyLookup,
    KeyStatus,
    TrustStore,
    generate_private_key,
    key_id,
    key_id_bytes,
    load_private_key,
    load_public_key,
    private_key_to_pem,
    public_key_pem,
    public_key_raw,
    save_private_key,
)
from signing.payload import DocType, PayloadFields, VerdictStatus, encode_payload, page_digest, verify_payload

PASS = "mật khẩu của hiệu trưởng 2025"


def test_key_id_is_sha256_prefix_of_raw_public_key() -> None:
    sk = generate_private_key()
    raw = public_key_raw(sk)
    assert len(raw) == 32
    assert key_id_bytes(sk) == hashlib.sha256(raw).digest()[:4]
    assert key_id(sk) == key_id(sk.public_key()) == key_id(raw) == hashlib.sha256(raw).hexdigest()[:8]


def test_save_and_load_encrypted(tmp_path: Path) -> None:
    sk = generate_private_key()
    path = save_private_key(sk, tmp_path / "school.key", PASS)
    pem = path.read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert raw_private(sk) not in pem
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_private_key(path, PASS)
    assert public_key_raw(loaded) == public_key_raw(sk)
    assert public_key_raw(load_private_key(pem, PASS.encode())) == public_key_raw(sk)


def raw_private(sk: Ed25519PrivateKey) -> bytes:
    return sk.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())


def test_wrong_passphrase_gives_clear_vietnamese_error(tmp_path: Path) -> None:
    path = save_private_key(generate_private_key(), tmp_path / "k.pem", PASS)
    with pytest.raises(KeyPassphraseError) as info:
        load_private_key(path, "sai mật khẩu")
    assert "Sai mật khẩu" in info.value.message_vi
    with pytest.raises(KeyPassphraseError) as info:
        load_private_key(path)
    assert "mật khẩu" in info.value.message_vi


def test_refuses_short_passphrase_and_overwrite(tmp_path: Path) -> None:
    sk = generate_private_key()
    with pytest.raises(KeyPassphraseError):
        private_key_to_pem(sk, "ngắn")
    save_private_key(sk, tmp_path / "k.pem", PASS)
    with pytest.raises(SigningKeyError):
        save_private_key(sk, tmp_path / "k.pem", PASS)
    save_private_key(sk, tmp_path / "k.pem", PASS, overwrite=True)


def test_load_administrator_supplied_pem(tmp_path: Path) -> None:
    sk = generate_private_key()
    clear = sk.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    (tmp_path / "admin.pem").write_bytes(clear)
    assert public_key_raw(load_private_key(tmp_path / "admin.pem")) == public_key_raw(sk)


@pytest.mark.parametrize("content", [b"", b"not a key", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"])
def test_garbage_key_file(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "bad.pem").write_bytes(content)
    with pytest.raises(SigningError):
        load_private_key(tmp_path / "bad.pem")


def test_rsa_key_rejected() -> None:
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(SigningKeyError) as info:
        load_private_key(rsa_pem)
    assert "Ed25519" in info.value.message_vi


def test_missing_file() -> None:
    with pytest.raises(SigningKeyError):
        load_private_key("/nonexistent/school.key", PASS)


def test_public_key_export_forms() -> None:
    sk = generate_private_key()
    raw = public_key_raw(sk)
    pem = public_key_pem(sk)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    for form in (pem, pem.encode(), raw, raw.hex()):
        assert public_key_raw(load_public_key(form)) == raw
    with pytest.raises(SigningKeyError):
        load_public_key(b"\x00" * 31)
    with pytest.raises(SigningKeyError):
        load_public_key("zz-not-hex")


def _signed(sk: Ed25519PrivateKey) -> str:
    fields = PayloadFields(DocType.REGISTER, uuid.uuid4(), 1, 1, dt.date(2025, 9, 5), page_digest({"p": 1}))
    return encode_payload(fields, sk)


def test_trust_store_rotation_and_revocation() -> None:
    store = TrustStore()
    assert isinstance(store, KeyLookup)
    old, new = generate_private_key(), generate_private_key()
    e_old = store.add(old.public_key(), valid_from=dt.date(2024, 8, 1), label="2024")
    assert store.active() == e_old
    old_text = _signed(old)
    e_new = store.add(new, valid_from=dt.date(2025, 8, 1))
    assert store.active() == e_new
    retired = store.lookup(e_old.key_id)
    assert retired is not None and retired.status is KeyStatus.RETIRED
    assert retired.retired_on == dt.date(2025, 8, 1)
    # Rotation: editions signed with the old key stay verifiable.
    assert verify_payload(old_text, store).status is VerdictStatus.GENUINE
    assert verify_payload(_signed(new), store).status is VerdictStatus.GENUINE
    # Revocation: nothing the old key signed is genuine any more.
    store.revoke(e_old.key_id, on=dt.date(2025, 9, 1))
    verdict = verify_payload(old_text, store)
    assert verdict.status is VerdictStatus.KEY_REVOKED
    assert "thu hồi" in verdict.message_vi and "01/09/2025" in verdict.message_vi
    assert len(store) == 2 and {k.key_id for k in store} == {e_old.key_id, e_new.key_id}
    with pytest.raises(SigningKeyError):
        store.retire(e_old.key_id)
    with pytest.raises(SigningKeyError):
        store.add(new.public_key())
    with pytest.raises(SigningKeyError):
        store.revoke("00000000")
    # Unknown key.
    assert verify_payload(_signed(generate_private_key()), store).status is VerdictStatus.UNKNOWN_KEY


def test_explicit_retire() -> None:
    store = TrustStore()
    sk = generate_private_key()
    e = store.add(sk)
    store.retire(e.key_id, on=dt.date(2030, 1, 1))
    assert store.active() is None
    assert verify_payload(_signed(sk), store).ok
