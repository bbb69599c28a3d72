"""Tests for signing.payload: canonical JSON, encoding, decoding and verification."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from signing.base45 import b45decode, b45encode
from signing.errors import PayloadError, SigningError
from signing.keys import generate_private_key, key_id
from signing.payload import (
    PREFIX,
    RESULT_CODES,
    DocType,
    PayloadFields,
    TranscriptFacts,
    Verdict,
    VerdictStatus,
    canonical_json,
    decode_payload,
    edition_short_id,
    encode_payload,
    page_digest,
    payload_bytes,
    payload_to_url,
    verify_payload,
)
from signing.qr import make_qr

SK = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))   # FORMAT.md example key
TRUST = {key_id(SK): SK.public_key()}
EDITION = uuid.UUID("0190f5a2-7c3e-7d21-9b4a-5e6f708192a3")
PAGE_DATA = {"trang": 3, "lop": "6A", "mon": "Toán", "hoc_ky": 1,
             "diem": [{"hs": "Lò Văn A", "tx": ["8", "9"], "gk": "7.5", "ck": "8"}]}
MARK = PayloadFields(DocType.MARK_BOOK, EDITION, 3, 41, dt.date(2025, 5, 30), page_digest(PAGE_DATA))
FACTS = TranscriptFacts("Nguyễn Thị Minh Khai", dt.date(2011, 3, 5), "THCS Chiềng Khoa", 2024, "Tốt", "Khá")
TRANSCRIPT = dataclasses.replace(MARK, doc_type=DocType.TRANSCRIPT, page=1, pages=4, facts=FACTS, copy=True)
FORMAT_MD = Path(__file__).resolve().parents[2] / "signing" / "FORMAT.md"


# --------------------------------------------------------------------------- canonical JSON

def test_canonical_json_rules() -> None:
    nfd = "To\u0061\u0301n"          # "Toán" decomposed
    out = canonical_json({"b": [1, True, None], "a": nfd, "c": Decimal("7.50"), "d": dt.date(2025, 1, 2)})
    assert out == '{"a":"Toán","b":[1,true,null],"c":"7.50","d":"2025-01-02"}'.encode()
    assert canonical_json({"x": "Toán"}) == canonical_json({"x": nfd})
    assert page_digest({"x": "Toán"}) == page_digest({"x": nfd})
    assert len(page_digest(PAGE_DATA)) == 16


@pytest.mark.parametrize("bad", [{"m": 7.5}, {1: "a"}, {"m": Decimal("NaN")}, {"m": object()},
                                 {"To\u0061\u0301n": 1, "Toán": 2}, ["ok", 7.5], {"x": ["a", {"y": 0.5}]},
                                 {"\u212a": 1, "K": 2}])
def test_canonical_json_rejects(bad: object) -> None:
    with pytest.raises(PayloadError):
        canonical_json(bad)


def test_canonical_json_fast_path_is_the_general_one() -> None:
    """Plain dicts, lists and ASCII strings take a fast path; other types (str and dict subclasses, tuples,
    mappings, NFD text in keys and values, nested) come out exactly as the general rules make them."""
    import enum
    import types

    class Kind(enum.StrEnum):
        MARK = "điểm"

    nfd = "To\u0061\u0301n"
    data = {"b": ("x", nfd, 1, None, True), Kind.MARK: Kind.MARK, nfd: [{"k": Decimal("8.0")}, [nfd, "\u212a"]],
            "m": types.MappingProxyType({"z": "ả", "a": dt.date(2025, 1, 2)}), "u": uuid.UUID(int=7)}
    assert canonical_json(data) == (
        '{"To\u00e1n":[{"k":"8.0"},["Toán","K"]],"b":["x","Toán",1,null,true],"m":{"a":"2025-01-02","z":"ả"},'
        '"u":"00000000-0000-0000-0000-000000000007","điểm":"điểm"}').encode()


def test_format_md_worked_example_is_current() -> None:
    doc = FORMAT_MD.read_text(encoding="utf-8")
    text = encode_payload(MARK, SK)
    assert canonical_json(PAGE_DATA).decode() in doc
    assert page_digest(PAGE_DATA).hex() in doc
    assert text in doc
    assert encode_payload(MARK, SK, url_base="https://school.example/V/") in doc
    assert MARK.human_code in doc
    assert key_id(SK) in doc


# --------------------------------------------------------------------------- round trips

def test_round_trip_mark_book() -> None:
    text = encode_payload(MARK, SK)
    assert text.startswith(PREFIX)
    assert len(payload_bytes(text)) == 110
    decoded = decode_payload(text)
    assert decoded == dataclasses.replace(MARK, key_id=key_id(SK))
    verdict = verify_payload(text, TRUST)
    assert verdict.status is VerdictStatus.GENUINE and verdict.ok
    assert verdict.message_vi.startswith("Hợp lệ")
    assert verdict.fields == decoded
    assert int(make_qr(text).version) <= 8 and make_qr(text).error in "MQH"


def test_round_trip_transcript_copy() -> None:
    text = encode_payload(TRANSCRIPT, SK)
    decoded = decode_payload(text)
    assert decoded.facts == FACTS and decoded.copy and decoded.doc_type is DocType.TRANSCRIPT
    assert decoded.facts.school_year_label == "2024-2025"
    assert verify_payload(text, TRUST).ok


def test_url_form() -> None:
    url = encode_payload(MARK, SK, url_base="https://school.example/V")
    assert url.startswith("HTTPS://SCHOOL.EXAMPLE/V/")
    assert not set(url[len("HTTPS://SCHOOL.EXAMPLE/V/"):]) & set(" +/")
    assert make_qr(url).mode == "alphanumeric"
    assert verify_payload(url, TRUST).ok
    assert verify_payload(url + "?utm=x#frag", TRUST).ok
    assert verify_payload(url.lower(), TRUST).ok          # base45 has no lower case: upper-casing is safe
    lower_path = payload_to_url(encode_payload(MARK, SK), "https://school.example/xac-thuc/")
    assert lower_path.startswith("HTTPS://SCHOOL.EXAMPLE/xac-thuc/")
    assert verify_payload(lower_path, TRUST).ok
    with pytest.raises(PayloadError):
        payload_to_url(encode_payload(MARK, SK), "ftp://x/")


def test_human_code() -> None:
    code = MARK.human_code
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4} · 3/41", code)
    assert code == decode_payload(encode_payload(MARK, SK)).human_code
    assert edition_short_id(uuid.UUID(int=0)) == "0000-0000"
    assert edition_short_id(uuid.UUID(int=(1 << 128) - 1)) == "ZZZZ-ZZZZ"


names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30).filter(
    lambda s: s.strip() != "" and len(s.encode()) <= 120)
dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
labels = st.sampled_from(sorted(RESULT_CODES.values()))
facts_st = st.builds(TranscriptFacts, student_name=names, date_of_birth=dates,
                     school=names | st.just(""), school_year=st.integers(0, 0xFFFF),
                     learning_result=labels, conduct=labels)


@st.composite
def fields_st(draw: st.DrawFn) -> PayloadFields:
    doc = draw(st.sampled_from(list(DocType)))
    pages = draw(st.integers(1, 0xFFFF))
    return PayloadFields(
        doc_type=doc, edition_id=draw(st.uuids()), page=draw(st.integers(1, pages)), pages=pages,
        issued=draw(dates), digest=draw(st.binary(min_size=16, max_size=16)),
        facts=draw(st.none() | facts_st) if doc is DocType.TRANSCRIPT else None, copy=draw(st.booleans()))


@settings(max_examples=300, deadline=None)
@given(fields_st())
def test_hypothesis_round_trip(fields: PayloadFields) -> None:
    text = encode_payload(fields, SK)
    decoded = decode_payload(text)
    expected = fields if fields.facts is None else dataclasses.replace(
        fields, facts=dataclasses.replace(fields.facts, student_name=_nfc(fields.facts.student_name),
                                          school=_nfc(fields.facts.school)))
    assert decoded == dataclasses.replace(expected, key_id=key_id(SK))
    assert verify_payload(text, TRUST).ok


def _nfc(s: str) -> str:
    import unicodedata
    return unicodedata.normalize("NFC", s)


@pytest.mark.parametrize("change", [
    {"page": 0}, {"page": 5, "pages": 4}, {"pages": 70000, "page": 1}, {"digest": b"short"},
    {"facts": FACTS},                                   # facts on a mark book
    {"key_id": "00000000"},                             # key id that is not the signing key's
    {"version": 2},
])
def test_encode_rejects_bad_fields(change: dict) -> None:
    with pytest.raises(PayloadError):
        encode_payload(dataclasses.replace(MARK, **change), SK)


@pytest.mark.parametrize("facts", [
    dataclasses.replace(FACTS, learning_result="Xuất sắc lắm"),
    dataclasses.replace(FACTS, student_name="  "),
    dataclasses.replace(FACTS, school="x" * 256),
])
def test_encode_rejects_bad_facts(facts: TranscriptFacts) -> None:
    with pytest.raises(PayloadError):
        encode_payload(dataclasses.replace(TRANSCRIPT, facts=facts), SK)


# --------------------------------------------------------------------------- tampering

def _flip(raw: bytes, bit: int) -> str:
    b = bytearray(raw)
    b[bit // 8] ^= 1 << (bit % 8)
    return PREFIX + b45encode(bytes(b))


def _allowed(offset: int, facts_len: int) -> set[VerdictStatus]:
    bad, malformed, unknown = VerdictStatus.BAD_SIGNATURE, VerdictStatus.MALFORMED, VerdictStatus.UNKNOWN_KEY
    if offset == 0 or offset == 45:                      # version, facts length
        return {malformed}
    if 2 <= offset < 6:                                  # key id
        return {unknown}
    if offset in (1, 22, 23, 24, 25, 26, 27, 28):        # doc type, pages, date: may become invalid
        return {bad, malformed}
    if 46 <= offset < 46 + facts_len:                    # transcript facts (lengths, codes, UTF-8)
        return {bad, malformed}
    return {bad}                                         # edition id, digest, signature


@pytest.mark.parametrize("fields", [MARK, TRANSCRIPT], ids=["mark_book", "transcript"])
def test_every_single_bit_flip_is_detected(fields: PayloadFields) -> None:
    raw = payload_bytes(encode_payload(fields, SK))
    flen = raw[45]
    seen: set[VerdictStatus] = set()
    for bit in range(len(raw) * 8):
        verdict = verify_payload(_flip(raw, bit), TRUST)
        assert isinstance(verdict, Verdict)
        assert verdict.status in _allowed(bit // 8, flen), (bit, verdict)
        assert verdict.message_vi and verdict.message_en
        if verdict.status is not VerdictStatus.MALFORMED:
            assert verdict.fields is not None
        seen.add(verdict.status)
    assert seen == {VerdictStatus.BAD_SIGNATURE, VerdictStatus.MALFORMED, VerdictStatus.UNKNOWN_KEY}


@pytest.mark.parametrize(("region", "offset"), [("header", 6), ("digest", 30), ("signature", 100)])
def test_bit_flip_per_region_messages(region: str, offset: int) -> None:
    raw = payload_bytes(encode_payload(MARK, SK))
    verdict = verify_payload(_flip(raw, offset * 8), TRUST)
    assert verdict.status is VerdictStatus.BAD_SIGNATURE
    assert verdict.message_vi.startswith("Đã bị sửa đổi")


def test_changed_character_in_text() -> None:
    text = encode_payload(MARK, SK)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    for i in range(len(PREFIX), len(text)):
        for c in (alphabet[(alphabet.index(text[i]) + 1) % 45], "a", "é", "?"):
            verdict = verify_payload(text[:i] + c + text[i + 1:], TRUST)
            if c == "a" and text[i] == "A":
                continue
            assert not verdict.ok


def test_unknown_key() -> None:
    other = generate_private_key()
    verdict = verify_payload(encode_payload(MARK, other), TRUST)
    assert verdict.status is VerdictStatus.UNKNOWN_KEY
    assert key_id(other) in verdict.message_vi
    assert verdict.fields is not None and verdict.fields.key_id == key_id(other)
    # Same key id in the trust list but another public key (forged key id) -> altered.
    assert verify_payload(encode_payload(MARK, other), {key_id(other): SK.public_key()}).status \
        is VerdictStatus.BAD_SIGNATURE
    assert verify_payload(encode_payload(MARK, other), {key_id(other): b"\x00" * 5}).status \
        is VerdictStatus.UNKNOWN_KEY


def test_truncated_text() -> None:
    text = encode_payload(TRANSCRIPT, SK)
    for n in range(len(text)):
        verdict = verify_payload(text[:n], TRUST)
        assert verdict.status is VerdictStatus.MALFORMED, n
        with pytest.raises(SigningError):
            decode_payload(text[:n])
    assert verify_payload(text + "00", TRUST).status is VerdictStatus.MALFORMED


GARBAGE = ["", " ", "SDT1:", "SDT1: ", "SDT2:BB8", "hello", "https://", "https://x", "https://x/",
           "https://x/%ZZ", "https://x/%C3%28", "http://a/b/" + "A" * 5000, "\x00" * 50, "SDT1:" + "GGW" * 50,
           "SDT1:" + "é" * 10, "WIFI:S:x;;", "12345678901234567890", "SDT1:" + b45encode(bytes(300))]


@pytest.mark.parametrize("text", GARBAGE)
def test_garbage_is_malformed_never_a_traceback(text: str) -> None:
    verdict = verify_payload(text, TRUST)
    assert verdict.status is VerdictStatus.MALFORMED
    assert verdict.message_vi.startswith("Mã không hợp lệ")
    with pytest.raises(SigningError):
        decode_payload(text)


def test_random_payloads_never_raise() -> None:
    rng = random.Random(5)
    for n in range(2000):
        size = rng.choice([0, 1, 45, 109, 110, 111, 150, rng.randrange(300)])
        raw = bytearray(rng.randbytes(size))
        if n % 2 and size:
            raw[0] = 1                                 # get past the version check
        if n % 4 == 1 and size > 45:
            raw[45] = max(0, size - 110)               # and the length check
        text = PREFIX + b45encode(bytes(raw))
        assert verify_payload(text, TRUST).status in (VerdictStatus.MALFORMED, VerdictStatus.UNKNOWN_KEY)
        assert verify_payload(rng.choice(["SDT1:", ""]) + "".join(
            rng.choice("0123456789ABCXYZ $%*+-./:abc!é") for _ in range(rng.randrange(200))), TRUST).status \
            in (VerdictStatus.MALFORMED, VerdictStatus.UNKNOWN_KEY)


@given(st.text(max_size=300))
def test_hypothesis_any_text_gives_a_verdict(text: str) -> None:
    assert isinstance(verify_payload(text, TRUST), Verdict)
    assert isinstance(verify_payload(PREFIX + text, TRUST), Verdict)


def test_non_string_input() -> None:
    assert verify_payload(b"SDT1:BB8", TRUST).status is VerdictStatus.MALFORMED  # type: ignore[arg-type]
    with pytest.raises(SigningError):
        decode_payload(None)  # type: ignore[arg-type]
    assert b45decode(payload_to_url(encode_payload(MARK, SK), "https://h/")[len("HTTPS://H/"):]
                     .replace("%20", " ").replace("%25", "%").replace("%2B", "+").replace("%2F", "/")) \
        == payload_bytes(encode_payload(MARK, SK))
