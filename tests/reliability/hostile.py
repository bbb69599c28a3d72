"""Properties every parser of outside input must keep, whatever it is given (used by the tests and by
``bench/bench_fuzz.py``, which runs them on many more inputs).

Each ``check_*`` takes one input and fails (AssertionError, or the unexpected exception itself) when
the parser crashes, accepts something it must refuse, or refuses with anything but our own error.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import strategies as st

from records.errors import ValidationError
from records.rules import parse_comment, parse_mark
from signing.base45 import b45decode, b45encode
from signing.errors import Base45Error, SigningError
from signing.keys import key_id
from signing.payload import (
    PREFIX,
    DocType,
    PayloadFields,
    TranscriptFacts,
    VerdictStatus,
    decode_payload,
    encode_payload,
    verify_payload,
)

SK = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
TRUST = {key_id(SK): SK.public_key()}
FACTS = TranscriptFacts("Nguyễn Thị Minh Khai", dt.date(2011, 3, 5), "THCS Chiềng Khoa", 2024, "Tốt", "Khá")
GENUINE = encode_payload(PayloadFields(DocType.TRANSCRIPT, uuid.UUID(int=7), 1, 4, dt.date(2025, 5, 30),
                                       bytes(range(16)), facts=FACTS), SK)
GENUINE_BYTES = b45decode(GENUINE[len(PREFIX):])

#: Values that are Typst, HTML or shell markup: printed and displayed literally, never interpreted.
MARKUP = ("#set page(width: 2cm)", "] #[", "<script>alert(1)</script>", "$x^2$ \\ \\n",
          "*đậm* _nghiêng_ @ref // c", "/* x */ `raw` = Tiêu đề", '#"a"; #{1+1} ~ --- \\u{41}',
          "=cmd|' /C calc'!A0", "{{7*7}} {% raw %}")

# Strategies: arbitrary text, text close to what the parser accepts, and huge inputs.
mark_texts = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\s*[-+]?\d{0,3}([.,]\d{0,4})?([eE][-+]?\d{1,12})?\s*", fullmatch=True),
    st.sampled_from(["NaN", "-0", "sNaN", "Infinity", "1e999999999", "0.1e1", "10.0", "10.05", "7,5", "7,5,5",
                     "٧", "７", "1_0", "0x1", "", " ", "\x00", "9" * 5000, "0." + "0" * 5000 + "1"]),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(),
    st.integers(),
)
comment_texts = st.one_of(st.text(max_size=30), st.sampled_from(["Đ", "đạt", "CĐ", "chưa  đạt", "D", "Dat",
                                                                  "Đ\u0323", "Đạt\u00a0yêu cầu", "ĐẠT"]))
base45_texts = st.one_of(st.text(max_size=60), st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:",
                                                       max_size=90))
payload_texts = st.one_of(
    st.text(max_size=200),
    st.builds(lambda s: PREFIX + s, st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", max_size=250)),
    st.builds(lambda raw: PREFIX + b45encode(raw), st.binary(max_size=200)),
    st.builds(lambda s: "https://xacthuc.example/" + s, st.text(max_size=120)),
)
# A genuine payload with bytes changed: never genuine again.
mutations = st.lists(st.tuples(st.integers(0, len(GENUINE_BYTES) - 1), st.integers(1, 255)), min_size=1,
                     max_size=4)


def check_mark(value: object) -> None:
    """A mark is a Decimal from 0 to 10 with one decimal place, or a ValidationError, nothing else."""
    try:
        mark = parse_mark(value)
    except ValidationError as error:
        assert error.message_vi and error.message_en
        return
    assert isinstance(mark, Decimal) and mark.is_finite() and 0 <= mark <= 10
    assert mark == mark.quantize(Decimal("0.1"))
    if isinstance(value, str):
        assert parse_mark(str(mark)) == mark  # what is stored reads back the same


def check_comment(value: object) -> None:
    """A comment grade is "Đ" or "CĐ", or a ValidationError."""
    try:
        grade = parse_comment(value)
    except ValidationError:
        return
    assert grade in ("Đ", "CĐ")


def check_base45(text: str) -> None:
    """Decoding gives bytes that encode back to the same text, or a Base45Error."""
    try:
        raw = b45decode(text)
    except Base45Error:
        return
    assert b45encode(raw) == text


def check_payload(text: str) -> None:
    """A QR text decodes or is refused with our error; verifying never raises, a forgery is never genuine."""
    try:
        decode_payload(text)
    except SigningError as error:
        assert error.message_vi
    verdict = verify_payload(text, TRUST)
    assert verdict.message_vi
    if verdict.status is VerdictStatus.GENUINE:
        assert text.strip("\r\n\t\x00").upper() == GENUINE.upper()


def check_mutation(changes: list[tuple[int, int]]) -> None:
    """Changing any byte of a signed payload makes it malformed or forged, never genuine."""
    raw = bytearray(GENUINE_BYTES)
    for position, xor in changes:
        raw[position] ^= xor
    if bytes(raw) == GENUINE_BYTES:
        return
    verdict = verify_payload(PREFIX + b45encode(bytes(raw)), TRUST)
    assert verdict.status is not VerdictStatus.GENUINE, changes


__all__ = ["MARKUP", "base45_texts", "check_base45", "check_comment", "check_mark", "check_mutation",
           "check_payload", "comment_texts", "mark_texts", "mutations", "payload_texts"]

comment_bodies = st.one_of(st.text(max_size=300), st.sampled_from(MARKUP), st.just("x" * 20000),
                           st.text(alphabet=st.characters(codec="utf-8"), max_size=50))
