"""Tests of records.names: Vietnamese collation and class-list name order (BOOKS.md section 7)."""

from __future__ import annotations

import itertools
import random
import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from records.errors import ValidationError
from records.names import name_sort_key, split_full_name, vi_sort_key


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def vi_sorted(words: list[str], tone_order: str = "dictionary") -> list[str]:
    """Sort a shuffled copy so that the result cannot come from the input order."""
    shuffled = list(words)
    random.Random(1234).shuffle(shuffled)
    return sorted(shuffled, key=lambda w: vi_sort_key(w, tone_order))


def assert_sorts_as(expected: list[str], tone_order: str = "dictionary") -> None:
    assert vi_sorted(expected, tone_order) == expected
    assert vi_sorted(list(reversed(expected)), tone_order) == expected


# --- letters ---------------------------------------------------------------------------------


def test_d_before_stroked_d() -> None:
    assert_sorts_as(["Dương", "Đào", "Em"])
    # plain code-point order would put Đ after Y
    assert_sorts_as(["Đào", "Yến"])


def test_u_before_u_horn() -> None:
    assert_sorts_as(["U", "Ư"])
    assert_sorts_as(["Uyên", "Ưng"])  # ư > u decides before y/n


def test_o_letters() -> None:
    assert_sorts_as(["Oanh", "Ôn", "Ơn", "Phúc"])


def test_a_breve_circumflex() -> None:
    assert_sorts_as(["An", "Ăn", "Ân", "Bình"])


def test_upper_case_and_decomposed_input() -> None:
    assert_sorts_as(["dương", nfd("ĐÀO"), "ĐẶNG"])
    assert vi_sort_key("ĐÀO").primary == vi_sort_key("đào").primary


def test_digraphs_are_not_letters() -> None:
    # With "ng", "nh", "ch", "tr" as letters of their own these orders would change.
    assert_sorts_as(["Nam", "Nga", "Nhi", "Nụ"])
    assert_sorts_as(["Cầm", "Chi", "Cúc"])
    assert_sorts_as(["Thư", "Trang", "Tú"])


def test_loanword_letters_at_latin_position() -> None:
    assert_sorts_as(["Êm", "Fa", "Gấm", "Inh", "Jenny", "Khánh", "Vy", "Wendy", "Xuân", "Yến", "Zoe"])


def test_alphabet_order_single_letters() -> None:
    alphabet = list("aăâbcdđeêghiklmnoôơpqrstuưvxy")
    assert len(alphabet) == 29
    assert_sorts_as(alphabet)
    assert_sorts_as([letter.upper() for letter in alphabet])


def test_legacy_eth_is_read_as_d_stroke() -> None:
    assert vi_sort_key("Ðức")[:3] == vi_sort_key("Đức")[:3]
    assert vi_sort_key("D\u0335ức")[:2] == vi_sort_key("Đức")[:2]


# --- tones -----------------------------------------------------------------------------------


def test_no_mark_before_sac() -> None:
    assert_sorts_as(["Anh", "Ánh"])


def test_tones_dictionary_order() -> None:
    assert_sorts_as(["ma", "mà", "mả", "mã", "má", "mạ"])
    assert_sorts_as(["Hương", "Hường", "Hưởng", "Hưỡng", "Hướng", "Hượng"], "dictionary")


def test_tones_sac_first_order() -> None:
    assert_sorts_as(["ma", "mà", "má", "mả", "mã", "mạ"], "sac_first")
    assert_sorts_as(["Hương", "Hường", "Hướng", "Hưởng", "Hưỡng", "Hượng"], "sac_first")


def test_tone_orders_differ() -> None:
    assert vi_sort_key("mả") < vi_sort_key("má")
    assert vi_sort_key("mả", "sac_first") > vi_sort_key("má", "sac_first")


def test_tones_only_break_ties() -> None:
    assert_sorts_as(["Ác", "Ad"])  # base letters first: c < d outweighs the sắc
    assert_sorts_as(["Ánh", "Anh Đào"])  # a shorter name comes first whatever its tone
    assert_sorts_as(["Ạn", "Ăn"])  # nặng on a < any ă


def test_tones_compared_over_whole_string_after_letters() -> None:
    # base letters equal; the first syllable's tone decides, not the later one
    assert_sorts_as(["Ha Nám", "Hà Nam"])
    assert_sorts_as(["Hà Nam", "Hà Nám"])


def test_tone_placement_does_not_matter() -> None:
    old, new = vi_sort_key("Hòa"), vi_sort_key("Hoà")
    assert old[:3] == new[:3]
    assert old != new  # the identical level keeps the order total
    assert_sorts_as(["Hoa", "Hoà", "Hòa", "Hỏa", "Hóa"])


def test_case_is_last_tiebreak() -> None:
    assert_sorts_as(["an", "An", "ăn", "Ăn"])
    assert_sorts_as(["an", "An", "àn"])  # tone beats case


def test_unknown_tone_order_is_rejected() -> None:
    with pytest.raises(ValidationError):
        vi_sort_key("a", tone_order="alphabetical")


# --- normalisation, spaces, hyphens --------------------------------------------------------------


def test_nfd_gives_same_key_and_order() -> None:
    names = ["Nguyễn Thị Ánh", "Đặng Văn Ước", "Lường Thị Hằng", "Quàng Văn Ưng", "Hoàng Thị Quỳnh"]
    for name in names:
        assert vi_sort_key(nfd(name)) == vi_sort_key(nfc(name))
    assert [nfc(n) for n in vi_sorted([nfd(n) for n in names])] == vi_sorted(names)


def test_spaces_and_hyphens_separate_syllables() -> None:
    plain = vi_sort_key("Thanh Hương")
    assert vi_sort_key("  Thanh   Hương ") == plain
    assert vi_sort_key("Thanh\u00a0Hương") == plain
    assert vi_sort_key("Thanh-Hương")[:3] == plain[:3]
    assert vi_sort_key("Thanh - Hương")[:3] == plain[:3]
    # syllable by syllable: "An" ends before "Anh" goes on
    assert_sorts_as(["An Xuân", "Anh", "Anh Thư"])


# --- names -----------------------------------------------------------------------------------


def key_of(full: str, born: date | None = None, tone_order: str = "dictionary") -> tuple:
    return name_sort_key(*split_full_name(full), date_of_birth=born, tone_order=tone_order)


def test_given_name_first() -> None:
    assert key_of("Trần Văn An") < key_of("Lê Thị Bình")


def test_then_middle_name() -> None:
    assert key_of("Lê Thị An") < key_of("Nguyễn Văn An")
    # middle name outranks family name: Thị < Văn although Lê < Nguyễn
    assert key_of("Nguyễn Thị An") < key_of("Lê Văn An")


def test_then_family_name() -> None:
    assert key_of("Lê Thị An") < key_of("Trần Thị An")
    assert key_of("Dương Thị An") < key_of("Đào Thị An")


def test_given_name_compared_fully_before_middle() -> None:
    # every "Anh" before every "Ánh": the tone of the given name outranks the middle name
    assert key_of("Trần Văn Anh") < key_of("Lê Thị Ánh")


def test_identical_names_by_date_of_birth() -> None:
    older = key_of("Nguyễn Thị Hằng", date(2012, 3, 1))
    younger = key_of("Nguyễn Thị Hằng", date(2012, 11, 20))
    unknown = key_of("Nguyễn Thị Hằng", None)
    assert older < younger < unknown
    # the date only breaks ties
    assert key_of("Nguyễn Thị Hà", date(2013, 1, 1)) < key_of("Nguyễn Thị Hạ", date(2011, 1, 1))
    assert key_of("Nguyễn Thị Hạnh", date(2013, 1, 1)) < key_of("Nguyễn Thị Hằng", date(2011, 1, 1))


def test_name_key_passes_tone_order() -> None:
    assert key_of("Lò Văn Bảo") < key_of("Lò Văn Báo")
    assert key_of("Lò Văn Bảo", tone_order="sac_first") > key_of("Lò Văn Báo", tone_order="sac_first")


def test_class_list_order() -> None:
    expected = [
        "Lê Thị An",
        "Nguyễn Văn An",
        "Trần Văn Anh",
        "Nguyễn Thị Minh Ánh",
        "Lò Thị Bình",
        "Giàng A Dũng",
        "Cầm Văn Dũng",
        "Vì Văn Dũng",
        "Quàng Thị Đào",
        "Phạm Hữu Đức",
        "Hoàng Thị Hằng",
        "Lường Thị Hương",
        "Sùng A Páo",
        "Bùi Thị Thu",
        "Đỗ Minh Thư",
        "Tòng Văn Ưng",
    ]
    shuffled = list(expected)
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=key_of) == expected
    assert sorted([nfd(n) for n in shuffled], key=key_of) == [nfd(n) for n in expected]


# --- split_full_name -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Nguyễn Thị Minh Anh", ("Nguyễn", "Thị Minh", "Anh")),
        ("Lò Văn Tuấn", ("Lò", "Văn", "Tuấn")),
        ("Giàng A Páo", ("Giàng", "A", "Páo")),
        ("Mùa Dế", ("Mùa", "", "Dế")),
        ("Ánh", ("", "", "Ánh")),
        ("  Trần   Thị  Ngọc   Hân  ", ("Trần", "Thị Ngọc", "Hân")),
        ("Nguyễn Thị Thanh-Hương", ("Nguyễn", "Thị", "Thanh-Hương")),
        ("", ("", "", "")),
        ("   ", ("", "", "")),
    ],
)
def test_split_full_name(full: str, parts: tuple[str, str, str]) -> None:
    assert split_full_name(full) == parts


def test_split_full_name_returns_nfc() -> None:
    family, middle, given_name = split_full_name(nfd("Đặng Thị Ước"))
    assert (family, middle, given_name) == ("Đặng", "Thị", "Ước")
    assert all(part == nfc(part) for part in (family, middle, given_name))


# --- properties --------------------------------------------------------------------------------

_TONES = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]
_VOWELS = list("aăâeêioôơuưy")
_CONSONANTS = list("bcdđghklmnpqrstvxfjwz")
_LOWER = sorted({nfc(v + t) for v in _VOWELS for t in _TONES} | set(_CONSONANTS))
_LETTERS = _LOWER + [c.upper() for c in _LOWER]

syllables = st.text(alphabet=st.sampled_from(_LETTERS), min_size=1, max_size=7)
vi_texts = st.builds(
    lambda sylls, seps: "".join(s + sep for s, sep in zip(sylls, seps)).strip(" -"),
    st.lists(syllables, min_size=0, max_size=4),
    st.lists(st.sampled_from([" ", "  ", "-", " - "]), min_size=4, max_size=4),
)
tone_orders = st.sampled_from(["dictionary", "sac_first"])


def strip_tones(text: str) -> str:
    return nfc("".join(c for c in nfd(text) if c not in _TONES[1:]))


@given(vi_texts, tone_orders)
def test_nfc_nfd_equivalence(text: str, tone_order: str) -> None:
    assert vi_sort_key(nfd(text), tone_order) == vi_sort_key(nfc(text), tone_order)


@given(st.text(max_size=20))
def test_nfc_nfd_equivalence_any_text(text: str) -> None:
    assert vi_sort_key(nfd(text)) == vi_sort_key(nfc(text))


@given(vi_texts, tone_orders)
def test_case_insensitive_at_primary_and_secondary(text: str, tone_order: str) -> None:
    upper, lower = vi_sort_key(text.upper(), tone_order), vi_sort_key(text.lower(), tone_order)
    assert upper[:2] == lower[:2] == vi_sort_key(text, tone_order)[:2]
    assert lower <= upper
    if text.upper() != text.lower():
        assert lower < upper


@given(vi_texts, vi_texts, tone_orders)
def test_tones_never_outweigh_letters(a: str, b: str, tone_order: str) -> None:
    bare_a, bare_b = vi_sort_key(strip_tones(a), tone_order), vi_sort_key(strip_tones(b), tone_order)
    if bare_a.primary != bare_b.primary:
        assert (vi_sort_key(a, tone_order) < vi_sort_key(b, tone_order)) == (bare_a < bare_b)


@given(st.lists(vi_texts, max_size=12), st.randoms(), tone_orders)
def test_total_order_independent_of_input_order(
    words: list[str], rnd: random.Random, tone_order: str
) -> None:
    shuffled = list(words)
    rnd.shuffle(shuffled)

    def key(w: str) -> tuple:
        return vi_sort_key(w, tone_order)

    first, second = sorted(words, key=key), sorted(shuffled, key=key)
    # equal keys only for texts that are the same name up to normalisation and spacing
    assert [" ".join(nfc(w).split()) for w in first] == [" ".join(nfc(w).split()) for w in second]
    assert all(key(x) <= key(y) for x, y in itertools.pairwise(first))


@given(vi_texts, vi_texts)
def test_equal_keys_only_for_equivalent_texts(a: str, b: str) -> None:
    same_text = " ".join(nfc(a).split()) == " ".join(nfc(b).split())
    assert (vi_sort_key(a) == vi_sort_key(b)) == same_text


@given(
    st.text(alphabet=st.sampled_from(_LOWER), min_size=0, max_size=6),
    st.text(alphabet=st.sampled_from(_LOWER), min_size=0, max_size=6),
)
def test_primary_matches_alphabet_reference(a: str, b: str) -> None:
    reference = list("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz")

    def ref(word: str) -> list[int]:
        return [reference.index(c) for c in strip_tones(word)]

    if ref(a) != ref(b):
        assert (vi_sort_key(a) < vi_sort_key(b)) == (ref(a) < ref(b))
