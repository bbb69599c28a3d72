"""Sanity checks of the demo data lists in records.demo.vn_data."""

from __future__ import annotations

import inspect
import unicodedata

import pytest

from records.demo import vn_data


def _lists() -> dict[str, tuple]:
    """Every public tuple constant of the module, and every tuple inside its dict constants."""
    found: dict[str, tuple] = {}
    for name, value in vars(vn_data).items():
        if name.startswith("_") or not name.isupper():
            continue
        if isinstance(value, tuple):
            found[name] = value
        elif isinstance(value, dict):
            found[name + ".keys"] = tuple(value)
            for key, inner in value.items():
                found[f"{name}[{key}]"] = inner
    return found


LISTS = _lists()


def _strings(items: tuple) -> list[str]:
    return [item[0] if isinstance(item, tuple) else item for item in items]


def _all_strings() -> list[str]:
    texts = [v for k, v in vars(vn_data).items() if k.isupper() and isinstance(v, str)]
    for items in LISTS.values():
        texts.extend(_strings(items))
    return texts


def test_found_the_lists() -> None:
    assert {"ETHNICITIES", "FAMILY_NAMES", "GIVEN_NAMES_MALE", "OCCUPATIONS", "NEIGHBOUR_SCHOOLS"} <= set(
        LISTS
    )


@pytest.mark.parametrize("name", sorted(LISTS))
def test_non_empty_without_duplicates(name: str) -> None:
    values = _strings(LISTS[name])
    assert values
    assert len(values) == len(set(values)), [v for v in values if values.count(v) > 1]


@pytest.mark.parametrize("name", sorted(LISTS))
def test_weights_are_positive_ints(name: str) -> None:
    for item in LISTS[name]:
        if isinstance(item, tuple):
            assert len(item) == 2 and type(item[1]) is int and item[1] > 0, item


def test_strings_are_nfc_and_tidy() -> None:
    for text in _all_strings():
        assert isinstance(text, str) and text
        assert unicodedata.normalize("NFC", text) == text, ascii(text)
        assert " ".join(text.split()) == text, repr(text)


def test_given_names() -> None:
    assert len(vn_data.GIVEN_NAMES_FEMALE) >= 60
    assert len(vn_data.GIVEN_NAMES_MALE) >= 60
    marks = set(unicodedata.normalize("NFD", "".join(vn_data.GIVEN_NAMES_FEMALE + vn_data.GIVEN_NAMES_MALE)))
    tones = {"\u0300", "\u0309", "\u0303", "\u0301", "\u0323"}  # huyền hỏi ngã sắc nặng
    letter_marks = {"\u0306", "\u0302", "\u031b"}  # ă; â ê ô; ơ ư
    assert tones | letter_marks <= marks
    assert "Đ" in marks


def test_ethnicities_match_family_name_groups() -> None:
    assert {e for e, _ in vn_data.ETHNICITIES} == set(vn_data.FAMILY_NAMES_BY_ETHNICITY)
    mixed = {name for name, _ in vn_data.FAMILY_NAMES}
    for names in vn_data.FAMILY_NAMES_BY_ETHNICITY.values():
        assert {name for name, _ in names} <= mixed


def test_addresses() -> None:
    assert max(len(a) for a in vn_data.LONG_ADDRESSES) >= 80
    assert all(len(a) <= 300 for a in vn_data.LONG_ADDRESSES)
    assert all(len(p) <= 200 for p, _ in vn_data.PLACES_OF_BIRTH)
    example = vn_data.ADDRESS_FORMAT.format(
        village="Bản Áng", commune="xã Đông Sang", district=vn_data.DISTRICT, province=vn_data.PROVINCE
    )
    assert example == "Bản Áng, xã Đông Sang, huyện Mộc Châu, tỉnh Sơn La"


def test_no_randomness_in_module() -> None:
    source = inspect.getsource(vn_data)
    assert "import random" not in source and "from random" not in source
