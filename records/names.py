"""Vietnamese collation of personal names for class lists (BOOKS.md section 7).

Why not ICU
-----------
The obvious tool is ICU's ``vi`` collator (PyICU). PyICU ships no wheel on PyPI for our
platform; installing it needs ``libicu-dev`` and a C++ compiler on every server and CI
runner. The rules we need are small and documented (BOOKS.md section 7), so we implement
them here in pure Python instead.

What the key does
-----------------
``vi_sort_key`` returns a :class:`SortKey` with four levels, compared in order (the same
idea as a multi-level Unicode collation):

1. **primary** - the base letters. The text is decomposed (NFD) so that precomposed and
   decomposed input give the same key. Each base character with its combining marks is
   mapped to one letter of the 29-letter alphabet
   ``a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y``; breve, circumflex and
   horn are *letter-forming* marks (a+breve is the letter ă, not "a with an accent"), so
   they count at this level. The loanword letters f, j, w, z are slotted at their Latin
   position (f after ê, j after i, w after v, z after y). Case is ignored here.
   The key is a tuple of *syllables*, each a tuple of letter weights, so comparison is
   syllable by syllable ("An Xuân" < "Anh"). Syllables are separated by whitespace
   (runs of any length), hyphens and any other punctuation/symbol. Digraphs
   (ch, gh, ng, nh, …) are *not* letters of their own: letters are compared one by one.
   Digits sort before letters; letters of other scripts after all Latin letters, by
   code point.
2. **secondary** - the tone marks, compared over the whole string only when all base
   letters are equal. A tone belongs to the syllable, not to a letter, so "Hòa" and "Hoà"
   (old and new tone placement) are equal here. Order "dictionary" (default):
   no mark < huyền < hỏi < ngã < sắc < nặng; "sac_first": no mark < huyền < sắc < hỏi
   < ngã < nặng (BOOKS.md marks the choice UNCERTAIN). Marks that are neither
   Vietnamese tones nor letter-forming (ü, ç, ñ on a loanword, ø …) are compared after the
   tones, at this level, so "u" and "ü" share a primary weight.
3. **tertiary** - letter case, lower case first, letter by letter.
4. **identical** - the NFC text with whitespace collapsed, by code point. It only makes
   the order total and independent of input order (for instance between "Hòa"/"Hoà" or
   "Thanh-Hương"/"Thanh Hương"); it never overrides a difference found at levels 1-3.

Legacy data converted from TCVN3/VNI sometimes carries "Ð/ð" (ETH, U+00D0/U+00F0) or
"D" + combining stroke instead of "Đ/đ"; both are read as the letter đ.

Names
-----
``name_sort_key`` orders students by given name (Tên), then middle name (tên đệm), then
family name (họ), each compared completely (letters, tones, case) before the next one -
so every "Anh" comes before every "Ánh" - then by date of birth (unknown dates last),
and finally by the identical level of the three parts.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import NamedTuple

from records.errors import ValidationError

__all__ = ["TONE_ORDERS", "SortKey", "name_sort_key", "split_full_name", "vi_sort_key"]

# The 29 Vietnamese letters with the loanword letters f, j, w, z at their Latin position.
_ALPHABET = tuple("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz")
_LETTER_WEIGHT: dict[str, int] = {letter: 1000 + 10 * i for i, letter in enumerate(_ALPHABET)}
_DIGIT_BASE = 100  # digits 0-9 -> 100..109, before every letter
_OTHER_BASE = 0x10_0000  # letters of other scripts: after every Latin letter, by code point

# Combining marks (NFD).
_GRAVE, _ACUTE, _CIRCUMFLEX, _TILDE, _BREVE = "\u0300", "\u0301", "\u0302", "\u0303", "\u0306"
_HOOK, _HORN, _DOT_BELOW = "\u0309", "\u031b", "\u0323"
_STROKES = {"\u0335", "\u0336"}  # combining short/long stroke overlay: "D" + stroke = "Đ"

# Letter-forming marks: (base letter, mark) -> Vietnamese letter.
_LETTER_FORMING: dict[tuple[str, str], str] = {
    ("a", _BREVE): "ă",
    ("a", _CIRCUMFLEX): "â",
    ("e", _CIRCUMFLEX): "ê",
    ("o", _CIRCUMFLEX): "ô",
    ("o", _HORN): "ơ",
    ("u", _HORN): "ư",
}

_TONE_NAMES = {_GRAVE: "huyền", _HOOK: "hỏi", _TILDE: "ngã", _ACUTE: "sắc", _DOT_BELOW: "nặng"}

TONE_ORDERS: dict[str, tuple[str, ...]] = {
    "dictionary": ("huyền", "hỏi", "ngã", "sắc", "nặng"),
    "sac_first": ("huyền", "sắc", "hỏi", "ngã", "nặng"),
}
"""Tone orders after "no mark" (rank 0); the keys are the accepted ``tone_order`` values."""

_TONE_RANKS: dict[str, dict[str, int]] = {
    name: {mark: order.index(tone) + 1 for mark, tone in _TONE_NAMES.items()}
    for name, order in TONE_ORDERS.items()
}


class SortKey(NamedTuple):
    """Collation key of one string; compare whole keys, levels are exposed for tests."""

    primary: tuple[tuple[int, ...], ...]
    secondary: tuple[tuple[tuple[int, ...], tuple[tuple[int, int], ...]], ...]
    tertiary: tuple[int, ...]
    identical: str


def _tone_ranks(tone_order: str) -> dict[str, int]:
    try:
        return _TONE_RANKS[tone_order]
    except KeyError:
        raise ValidationError(
            f"Thứ tự dấu thanh không hợp lệ: {tone_order!r}",
            f"unknown tone_order {tone_order!r}; expected one of {sorted(TONE_ORDERS)}",
        ) from None


def _latin_base(char: str) -> str | None:
    """Return the plain a-z base of a Latin letter that NFD leaves whole (ø -> o), else None."""
    try:
        name = unicodedata.name(char)
    except ValueError:
        return None
    prefix = "LATIN SMALL LETTER "
    if not name.startswith(prefix):
        return None
    base = name[len(prefix) :].split(" WITH ")[0]
    if len(base) == 1 and "A" <= base <= "Z" and " WITH " in name:
        return base.lower()
    return None


def _letter(base: str, marks: list[str]) -> tuple[int, list[str]]:
    """Weight of one base character with its marks, and the marks not consumed by it."""
    low = base.lower()
    if len(low) != 1:  # e.g. "İ".lower() is two code points
        low = base
    rest = list(marks)
    if low in ("đ", "ð") or (low == "d" and _STROKES & set(rest)):
        return _LETTER_WEIGHT["đ"], [m for m in rest if m not in _STROKES]
    if low in _LETTER_WEIGHT:
        for mark in rest:
            formed = _LETTER_FORMING.get((low, mark))
            if formed is not None:
                rest.remove(mark)
                return _LETTER_WEIGHT[formed], rest
        return _LETTER_WEIGHT[low], rest
    if unicodedata.category(base) == "Nd":
        return _DIGIT_BASE + unicodedata.digit(base), rest
    latin = _latin_base(low)
    if latin is not None:  # ø, ł, ħ …: the plain letter, the stroke as an extra mark
        return _LETTER_WEIGHT[latin], [*rest, low]
    return _OTHER_BASE + ord(low), rest


def vi_sort_key(text: str, tone_order: str = "dictionary") -> SortKey:
    """Return the Vietnamese collation key of ``text`` (see the module docstring)."""
    ranks = _tone_ranks(tone_order)
    primary: list[tuple[int, ...]] = []
    secondary: list[tuple[tuple[int, ...], tuple[tuple[int, int], ...]]] = []
    tertiary: list[int] = []

    letters: list[int] = []
    tones: list[int] = []
    extras: list[tuple[int, int]] = []

    def end_syllable() -> None:
        if letters:
            primary.append(tuple(letters))
            secondary.append((tuple(tones), tuple(extras)))
        letters.clear()
        tones.clear()
        extras.clear()

    # Group the NFD text into clusters: one base character and its combining marks.
    clusters: list[tuple[str, list[str]]] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char).startswith("M"):
            if clusters:
                clusters[-1][1].append(char)
            continue  # a mark with no base character carries no weight
        clusters.append((char, []))

    for base, marks in clusters:
        if not unicodedata.category(base).startswith(("L", "N")):
            end_syllable()  # whitespace, hyphen, punctuation, symbols: syllable boundary
            continue
        weight, rest = _letter(base, marks)
        position = len(letters)
        letters.append(weight)
        tertiary.append(1 if base != base.lower() else 0)
        for mark in sorted(rest):
            if mark in ranks:
                tones.append(ranks[mark])
            else:
                extras.append((position, ord(mark)))
    end_syllable()

    identical = " ".join(unicodedata.normalize("NFC", text).split())
    return SortKey(tuple(primary), tuple(secondary), tuple(tertiary), identical)


def name_sort_key(
    family: str,
    middle: str,
    given: str,
    date_of_birth: date | None = None,
    tone_order: str = "dictionary",
) -> tuple:
    """Return the class-list key: given name, middle name, family name, date of birth."""
    keys = [vi_sort_key(part, tone_order) for part in (given, middle, family)]
    birth = (date_of_birth is None, date_of_birth or date.min)
    return (*(key[:3] for key in keys), birth, *(key.identical for key in keys))


def split_full_name(full: str) -> tuple[str, str, str]:
    """Split "Nguyễn Thị Minh Anh" into ("Nguyễn", "Thị Minh", "Anh"); NFC, spaces collapsed.

    The first word is the family name and the last the given name; one word is a given name
    only, two words have no middle name. Compound family names ("Tôn Nữ", "Âu Dương") cannot
    be told from middle names by rule, so store the three parts separately where known.
    """
    words = unicodedata.normalize("NFC", full).split()
    if not words:
        return ("", "", "")
    if len(words) == 1:
        return ("", "", words[0])
    return (words[0], " ".join(words[1:-1]), words[-1])
