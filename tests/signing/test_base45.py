"""Tests for signing.base45 (RFC 9285)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from records.errors import SodientuError
from signing.base45 import b45decode, b45encode
from signing.errors import Base45Error

RFC_VECTORS = [
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
    (b"", ""),
]


@pytest.mark.parametrize(("raw", "text"), RFC_VECTORS)
def test_rfc_vectors(raw: bytes, text: str) -> None:
    assert b45encode(raw) == text
    assert b45decode(text) == raw


@given(st.binary(max_size=300))
def test_round_trip(raw: bytes) -> None:
    assert b45decode(b45encode(raw)) == raw


@pytest.mark.parametrize("bad", ["GGW", "ZZZ", "A", "ABCD", "abc", "BB8é", "BB\n", "::"])
def test_invalid_input_raises_base45_error(bad: str) -> None:
    # "GGW" = 65536 (RFC example of an invalid triplet); "::" = 44 + 44*45 > 255.
    with pytest.raises(Base45Error) as info:
        b45decode(bad)
    assert isinstance(info.value, SodientuError) and info.value.message_vi
