"""Base45 encoding (RFC 9285): 2 bytes -> 3 characters of the QR alphanumeric alphabet."""

from __future__ import annotations

from signing.errors import Base45Error

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def b45encode(data: bytes) -> str:
    """Encode bytes as base45 text."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out += (ALPHABET[c], ALPHABET[d], ALPHABET[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += (ALPHABET[c], ALPHABET[d])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Decode base45 text; raise ``Base45Error`` on any invalid input."""
    if not isinstance(text, str):
        raise Base45Error("Mã base45 không hợp lệ.", "base45 input must be str")
    if len(text) % 3 == 1:
        raise Base45Error("Mã base45 không hợp lệ (sai độ dài).", f"invalid base45 length {len(text)}")
    try:
        values = [_INDEX[c] for c in text]
    except KeyError as exc:
        raise Base45Error("Mã base45 chứa ký tự không hợp lệ.", f"invalid base45 character {exc}") from None
    out = bytearray()
    full = len(values) - len(values) % 3
    for i in range(0, full, 3):  # the hot loop of every verification: no slicing, no sum()
        n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025
        if n > 0xFFFF:
            raise Base45Error("Mã base45 không hợp lệ.", f"base45 triplet out of range at {i}")
        out += n.to_bytes(2, "big")
    if full < len(values):
        n = values[full] + values[full + 1] * 45
        if n > 0xFF:
            raise Base45Error("Mã base45 không hợp lệ.", f"base45 final pair out of range at {full}")
        out.append(n)
    return bytes(out)
