"""The *shape* of a transcript part: its data with every text that provably sets on one line replaced
by a canonical one-line text, so that parts of different students measure as one flow.

A year transcript of grade 7 or 8 numbers its pages as in the bound volume; without a recorded print
of the year before (``TranscriptInput.printed_ends``) it must know how many pages every earlier
section (the front, the earlier years) takes, though it prints none of them. Only the COUNT of
those pages is needed, and it must be the count the measuring pass gives (issue 9: no estimates).

The proof: a text laid out by Typst on one line is exactly one line box high, whatever its
characters — the line box comes from the font's metrics (``top-edge: cap-height``, ``bottom-edge:
baseline``: the Typst defaults, common.typ sets no other), not from the glyphs. A text set in the
same place, font, size and style as another, both on one line, gives a unit of the same height. A
text is provably on one line when the sum of its characters' advance widths (fontTools, the vendored
Liberation Serif: ``templates/metrics.json``) times its size, with 5 % and 3 mm to spare (kerning,
ligatures, the dotted leader of a field), is below the width of the place it is set in (from the
template, below). Such a text is replaced by :data:`ONE_LINE`; an empty text stays empty (an empty
comment or mark draws nothing); a text that does not pass — a long name, a comment of several
lines, a character without metrics, a combining mark, a line break — stays as it is, and its flow is
measured as itself. The shaped part is measured through :func:`layouts.paginate.measure`, which
remembers flows per process: the earlier years of a whole class (often of a school) share a handful
of shapes, measured once.

The widths are those of ``templates/transcript.typ`` on A4 portrait (content 178 mm).
``tests/layouts/test_transcript_shape.py`` measures, for every place, the longest text this module
accepts against :data:`ONE_LINE`: the same heights to the bit — it fails if a template change
narrows a place (then lower the width here).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

#: The text that stands for any one-line text.
ONE_LINE = "x"
#: Kept free besides the advance widths: a factor (kerning, ligatures, rounding) and room (mm) for
#: the space and the dotted leader after a field's value.
WIDTH_FACTOR = 1.05
SPARE_MM = 3.0
PT_PER_MM = 72 / 25.4

# Widths (mm) of the places of templates/transcript.typ (A4 portrait: 210 − 20 − 12 = 178 mm).
_CONTENT = 178.0
# student-head: grid (1.55fr, 1fr, 1fr), gutter 3 mm, 10 pt.
_HEAD_FR = (_CONTENT - 6.0) / 3.55
_HEAD_WIDE, _HEAD_NARROW = 1.55 * _HEAD_FR, _HEAD_FR
# subject table: columns (37, 12.5, 12.5, 12.5, 17, 1fr) mm, inset x 1.3 mm, 9 pt.
_MARK = 12.5 - 2.6
_RE = 17.0 - 2.6
_COMMENT = _CONTENT - 37.0 - 3 * 12.5 - 17.0 - 2.6
# the tail's signature-row: two columns, gutter 4 mm, 10.5 pt.
_TAIL_SIGN = (_CONTENT - 4.0) / 2
# results page (10.5 pt): results table cells 48 mm, inset x 2 mm; signature boxes 80 mm;
# the homeroom comment's block, inset x 1 mm.
_RESULT_CELL = 48.0 - 4.0
_RESULT_SIGN = 80.0
_HOMEROOM_COMMENT = _CONTENT - 2.0
# identity page (11.5 pt): grids (1.6fr, 1fr) / (1fr, 1.6fr), gutter 4 mm; signature box 85 mm.
_ID_FR = (_CONTENT - 4.0) / 2.6
_ID_WIDE, _ID_NARROW = 1.6 * _ID_FR, _ID_FR
_ID_SIGN = 85.0


@lru_cache(maxsize=1)
def _metrics() -> dict[str, dict[str, float]]:
    import json

    from layouts.render import METRICS_FILE

    data = json.loads(METRICS_FILE.read_text("utf-8"))
    return {k: v for k, v in data.items() if k in ("regular", "italic", "bold")}


def _em(text: str, style: str) -> float | None:
    """Advance width (em) of ``text`` in ``style``, or None when a character has no metrics or is
    not a plain one-line character (controls, combining marks)."""
    m = _metrics()[style]
    total = 0.0
    for ch in text:
        w = m.get(ch)
        if w is None or "\u0300" <= ch <= "\u036f" or ch in "\u00ad\u2028\u2029":
            return None
        total += w
    return total


def one_line(text: str, width_mm: float, size_pt: float, style: str = "regular",
             prefix: str = "", prefix_style: str = "regular") -> bool:
    """Whether ``prefix`` + ``text`` provably sets on one line in ``width_mm`` (see the module)."""
    a, b = _em(prefix, prefix_style), _em(text, style)
    if a is None or b is None:
        return False
    need_mm = (a + b) * size_pt * WIDTH_FACTOR / PT_PER_MM
    return need_mm <= width_mm - SPARE_MM


def _s(text: str, width_mm: float, size_pt: float, style: str = "regular", prefix: str = "",
       prefix_style: str = "regular") -> str:
    if text == "" or not one_line(text, width_mm, size_pt, style, prefix, prefix_style):
        return text
    return ONE_LINE


def _head(h: Mapping[str, str]) -> dict[str, str]:
    """The student block (10 pt; label regular, value bold). ``school``, ``class``, ``year`` also
    name the footer, which is outside the measured content."""
    out = dict(h)
    out["name"] = _s(h["name"], _HEAD_WIDE, 10, "bold", "Họ và tên: ")
    out["school_short"] = _s(h["school_short"], _HEAD_WIDE, 10, "bold", "Trường: ")
    out["class"] = _s(h["class"], _HEAD_NARROW, 10, "bold", "Lớp: ")
    out["year"] = _s(h["year"], _HEAD_NARROW, 10, "bold", "Năm học: ")
    out["district"] = _s(h["district"], _HEAD_NARROW, 10, "bold", "Huyện: ")
    out["province"] = _s(h["province"], _HEAD_NARROW, 10, "bold", "Tỉnh: ")
    out["school"] = ONE_LINE  # the footer only
    return out


def _subjects(d: Mapping[str, Any]) -> dict[str, Any]:
    rows = [{
        **r,
        "t1": _s(r["t1"], _MARK, 9, "bold"), "t2": _s(r["t2"], _MARK, 9, "bold"),
        "cn": _s(r["cn"], _MARK, 9, "bold"), "re": _s(r["re"], _RE, 9, "bold"),
        "comment": _s(r["comment"], _COMMENT, 9),
        "teacher": _s(r["teacher"], _COMMENT, 8, "italic"),
    } for r in d["rows"]]
    overall = [{**r, **{k: _s(r[k], _MARK, 9, "bold") for k in ("t1", "t2", "cn")}} for r in d["overall"]]
    return {**d, "head": _head(d["head"]), "rows": rows, "overall": overall,
            "corrections": _s(d["corrections"], _CONTENT, 10.5, "italic"),
            "homeroom": _s(d["homeroom"], _TAIL_SIGN, 10.5, "bold"),
            "principal": _s(d["principal"], _TAIL_SIGN, 10.5, "bold")}


def _results(d: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **d,
        "head": _head(d["head"]),
        "results": [[p, _s(c, _RESULT_CELL, 10.5), _s(lv, _RESULT_CELL, 10.5)] for p, c, lv in d["results"]],
        "lines": [[label, _s(v, _CONTENT, 10.5, "bold", f"{label}: ")] for label, v in d["lines"]],
        "homeroom_comment": _s(d["homeroom_comment"], _HOMEROOM_COMMENT, 10.5),
        "homeroom": _s(d["homeroom"], _RESULT_SIGN, 10.5, "bold"),
        "date": _s(d["date"], _RESULT_SIGN, 10.5, "italic"),
        "principal": _s(d["principal"], _RESULT_SIGN, 10.5, "bold"),
    }


def _identity(d: Mapping[str, Any]) -> dict[str, Any]:
    # (field index, width, value style): the places of identity-page in transcript.typ
    places = ((0, _ID_WIDE, "bold"), (1, _ID_NARROW, "bold"), (2, _ID_NARROW, "bold"), (3, _ID_WIDE, "regular"),
              (4, _ID_NARROW, "regular"), (5, _ID_WIDE, "regular"), (6, _CONTENT, "regular"))
    fields = [list(f) for f in d["fields"]]
    for i, width, style in places:
        label, value = fields[i]
        fields[i] = [label, _s(value, width, 11.5, style, f"{label}: ")]
    parents = [[label, _s(name, _ID_WIDE, 11.5, "bold", f"{label}: "),
                _s(job, _ID_NARROW, 11.5, "regular", "Nghề nghiệp: ")] for label, name, job in d["parents"]]
    return {**d, "fields": fields, "parents": parents,
            "date": _s(d["date"], _ID_SIGN, 11.5, "italic"),
            "principal": _s(d["principal"], _ID_SIGN, 11.5, "bold"),
            "foot": {k: ONE_LINE for k in d.get("foot", {})}}  # the footer only


def shaped(kind: str, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The shape of a part (see the module): measured by Typst, its units have the heights of ``data``'s."""
    if kind == "transcript-subjects":
        return _subjects(data)
    if kind == "transcript-results":
        return _results(data)
    if kind == "transcript-identity":
        return _identity(data)
    return data


__all__ = ["ONE_LINE", "one_line", "shaped"]
