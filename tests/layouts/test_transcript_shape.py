"""A year transcript counts the pages of the sections it does not print by measuring their *shapes*
(``layouts.transcript.shape``): texts that provably set on one line replaced by one canonical text.

The count must be the one the measuring pass gives for the sections themselves (issue 9): every place
the shape rewrites is checked here with the longest text it accepts (the same heights to the bit as
the canonical text — this fails if a template narrows a place), and on adversarial inputs (the
longest names and places, many long comments, long notes, years over several pages) the documents
built with shapes equal those built by measuring every section as itself."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from layouts import paginate
from layouts.paginate import Flow, measure
from layouts.transcript import build_transcript, plan
from layouts.transcript.pages import _identity, _results_data, _subjects_data
from layouts.transcript.shape import ONE_LINE, one_line, shaped
from tests.layouts.adversarial_tr import adversarial_transcript
from tests.layouts.transcript_samples import sample_input

#: Wide and narrow letters, Vietnamese diacritics, spaces to break at.
WORDS = ["Nguyễn", "Đường", "Mường", "Wũ", "Hưởng", "Thượng", "Khuyến", "Mm", "Ước", "ĐĐ", "Quỳnh", "Nghiêng"]


def _longest(accepts: Callable[[str], bool]) -> str:
    """The longest text of :data:`WORDS` (words, then letters) that ``accepts`` takes."""
    text = ""
    for i in range(400):
        word = WORDS[i % len(WORDS)]
        cand = f"{text} {word}" if text else word
        if accepts(cand):
            text = cand
            continue
        head, longest = f"{text} " if text else "", text
        for k in range(1, len(word) + 1):
            if not accepts(head + word[:k]):
                break
            longest = head + word[:k]
        return longest
    raise AssertionError("no limit found")


def _place_setters(kind: str, data: dict[str, Any]) -> dict[str, Callable[[dict[str, Any], str], None]]:
    """Every place the shape of ``kind`` rewrites: a setter of that text in the data."""
    def at(*path: Any) -> Callable[[dict[str, Any], str], None]:
        def put(d: dict[str, Any], text: str) -> None:
            target: Any = d
            for p in path[:-1]:
                target = target[p]
            target[path[-1]] = text
        return put

    places = {f"head.{k}": at("head", k) for k in ("name", "school_short", "class", "year", "district", "province")}
    if kind == "transcript-subjects":
        places.pop("head.school_short")
        places |= {f"rows.{k}": at("rows", 0, k) for k in ("t1", "t2", "cn", "re", "comment", "teacher")}
        if data["overall"]:
            places["overall.t1"] = at("overall", 0, "t1")
        places |= {"corrections": at("corrections"),
                   "homeroom": at("homeroom"), "principal": at("principal"), "head.school_short": at("head", "school_short")}
    elif kind == "transcript-results":
        places |= {"results.conduct": at("results", 0, 1), "results.learning": at("results", 0, 2),
                   "homeroom_comment": at("homeroom_comment"), "homeroom": at("homeroom"), "date": at("date"),
                   "principal": at("principal")}
        places |= {f"lines.{i}": at("lines", i, 1) for i in range(len(data["lines"]))}
    else:
        places = {f"fields.{i}": at("fields", i, 1) for i in range(7)}
        places |= {f"parents.{i}.{j}": at("parents", i, j) for i in range(3) for j in (1, 2)}
        places |= {"date": at("date"), "principal": at("principal")}
    return places


def _parts() -> list[tuple[str, dict[str, Any]]]:
    inp = sample_input(seed=3, years=2)
    tt26 = sample_input(seed=4, years=1, first_start=2020)  # TT26: the overall row, its lines
    parts = [("transcript-identity", {**_identity(inp), "photo": ""})]
    for y in (inp.years[0], tt26.years[0]):
        parts += [("transcript-subjects", _subjects_data(inp, y)), ("transcript-results", _results_data(inp, y))]
    return parts


def test_the_longest_text_a_shape_replaces_measures_as_the_canonical_text() -> None:
    """For each place: the part with the longest accepted text there, and the part with ONE_LINE there,
    measure the same (fixed part and every unit, to the bit). The other texts of the row are emptied,
    so that a second line anywhere in the row would show."""
    flows: list[Flow] = []
    names: list[str] = []
    for kind, data in _parts():
        base = copy.deepcopy(dict(shaped(kind, data)))
        if kind == "transcript-subjects":
            for r in base["rows"]:
                r.update(comment="", teacher="")
        for name, put in _place_setters(kind, base).items():
            probe = copy.deepcopy(base)
            put(probe, ONE_LINE)
            long = copy.deepcopy(base)
            put(long, "\0")  # marks the place
            # the longest text the shape replaces at this place
            text = _longest(lambda t, long=long, kind=kind: _replaced(kind, long, t))
            assert len(text) >= 3, (kind, name)
            put(long, text)
            assert shaped(kind, long) == shaped(kind, probe), (kind, name)  # the shape replaced it
            flows += [Flow(kind, probe), Flow(kind, long)]
            names.append(f"{kind}:{name}:{text}")
    got = measure(plan.TEMPLATE, plan._MEASURE_BOOK, flows)
    for i, name in enumerate(names):
        assert got[2 * i] == got[2 * i + 1], name


def _replaced(kind: str, data: dict[str, Any], text: str) -> bool:
    """Whether the shape replaces ``text`` written at the place marked "\\0" in ``data``."""
    def put(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: put(v) for k, v in x.items()}
        if isinstance(x, list):
            return [put(v) for v in x]
        return text if x == "\0" else x

    def has(x: Any) -> bool:
        if isinstance(x, dict):
            return any(has(v) for v in x.values())
        if isinstance(x, list):
            return any(has(v) for v in x)
        return x == text

    return not has(shaped(kind, put(data)))


def test_one_line_refuses_what_may_not_set_on_one_line() -> None:
    assert one_line("Nguyễn Văn An", 50, 10)
    assert not one_line("Nguyễn Văn An " * 10, 50, 10)
    assert not one_line("An\nBình", 50, 10)  # a line break
    assert not one_line("Ana\u0301", 50, 10)  # a combining mark
    assert not one_line("Tên 漢字", 50, 10)  # no metrics
    assert not one_line("x", 3.0, 10)  # the spare room


def _as_themselves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan, "shaped", lambda kind, data: data)


@pytest.mark.parametrize(("case", "kwargs"), [
    ("long comments (several lines)", {"comment_repeat": 2}),
    ("longest comments, TT26", {"comment_repeat": 3, "regime": "tt26"}),
    ("no comments, long names and places", {"comment_repeat": 0}),
])
@pytest.mark.parametrize("duplex", [False, True])
def test_adversarial_years_count_as_measuring_every_section(case: str, kwargs: dict[str, Any], duplex: bool,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    inp = adversarial_transcript(**kwargs)
    shaped_docs = [build_transcript(inp, year=y.start_year, duplex=duplex).to_dict() for y in inp.years[1:3]]
    _as_themselves(monkeypatch)
    paginate.forget_measurements()
    assert shaped_docs == [build_transcript(inp, year=y.start_year, duplex=duplex).to_dict()
                           for y in inp.years[1:3]], case


def test_the_long_texts_are_measured_as_themselves() -> None:
    """The fallback: what may wrap keeps its text in the shape (the part is then measured as itself)."""
    inp = adversarial_transcript(comment_repeat=2)
    ident = shaped("transcript-identity", _identity(inp))
    assert ident["fields"][0][1] == inp.identity.full_name and ident["fields"][3][1] == inp.identity.place_of_birth
    subjects = shaped("transcript-subjects", _subjects_data(inp, inp.years[0]))
    assert [r["comment"] for r in subjects["rows"]] == [s.comment for s in inp.years[0].subjects]
    assert subjects["corrections"] != ONE_LINE  # a note naming six subjects: two lines


@pytest.mark.parametrize("duplex", [False, True])
def test_an_earlier_year_over_several_pages_of_one_line_rows_counts_exactly(duplex: bool,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """45 subjects with one-line comments: the shape of the earlier year fills three pages, like the year."""
    inp = sample_input(seed=6, years=3)
    first = inp.years[0]
    subjects = tuple(dataclasses.replace(first.subjects[i % len(first.subjects)], name=f"Môn học thứ {i + 1:02d}",
                                         comment="Có tiến bộ.") for i in range(45))
    inp = dataclasses.replace(inp, years=(dataclasses.replace(first, subjects=subjects), *inp.years[1:]))
    doc = build_transcript(inp, year=inp.years[2].start_year, duplex=duplex).to_dict()
    volume = build_transcript(inp, volume=True, duplex=duplex)
    assert [p.kind for p in volume.pages if p.data.get("head", {}).get("year") == first.name].count(
        "transcript-subjects") >= 2
    _as_themselves(monkeypatch)
    paginate.forget_measurements()
    assert doc == build_transcript(inp, year=inp.years[2].start_year, duplex=duplex).to_dict()


def test_earlier_years_of_students_of_one_class_share_their_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two students of the same classes with short texts: the second one's earlier years are not measured."""
    paginate.forget_measurements()
    a = sample_input(seed=8, years=3, name="Lò Thị Hương Giang")
    b = dataclasses.replace(a, student_code="HS000099", identity=dataclasses.replace(a.identity, full_name="Cầm Văn Ước"))
    sent: list[str] = []
    real = paginate._measure_compile

    def spy(template, book, flows):  # type: ignore[no-untyped-def]
        sent.extend(f.kind + ":" + (f.data.get("head") or {}).get("year", "") for f in flows)
        return real(template, book, flows)

    monkeypatch.setattr(paginate, "_measure_compile", spy)
    build_transcript(a, year=a.years[2].start_year)
    sent.clear()
    build_transcript(b, year=b.years[2].start_year)
    assert sent == [f"transcript-subjects:{b.years[2].name}", f"transcript-results:{b.years[2].name}"]
