"""The measuring pass (layouts.paginate): what it remembers and what it lays out once must give
exactly what Typst measures of each flow on its own page — to the last bit, on hostile classes.

The flows are those of real books: every class table of an adversarial 45-student mark book
(long names, transfers with notes, guardians; A4 and A3) and the parts of a transcript volume,
caught on their way to the measuring compile.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from layouts import paginate
from layouts.markbook import PrintOptions, build_markbook
from layouts.paginate import Flow, Measured, forget_measurements, measure, pack
from tests.layouts.adversarial import adversarial_markbook_input

Caught = tuple[str, dict[str, Any], list[Flow]]


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    forget_measurements()
    yield
    forget_measurements()


def _catch(monkeypatch: pytest.MonkeyPatch) -> list[Caught]:
    """Record every measuring compile (template, book, flows) and count them."""
    caught: list[Caught] = []
    real = paginate._measure_compile

    def spy(template: str, book: Any, flows: Any) -> list[Measured]:
        caught.append((template, dict(book), list(flows)))
        return real(template, book, flows)

    monkeypatch.setattr(paginate, "_measure_compile", spy)
    return caught


def _markbook_flows(monkeypatch: pytest.MonkeyPatch, paper: str) -> Caught:
    caught = _catch(monkeypatch)
    build_markbook(adversarial_markbook_input(45, seed=11), PrintOptions(paper=paper, part="all"))  # type: ignore[arg-type]
    assert len(caught) == 1
    monkeypatch.undo()
    return caught[0]


@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_fixed_part_read_where_the_body_ends_is_the_same_to_the_bit(monkeypatch: pytest.MonkeyPatch,
                                                                    paper: str) -> None:
    """paginate.typ reads a page's fixed part where its body ends, the body laid out once (its grid
    reporting the rows): the same heights as the page measured without its rows (``rowless``, laid out
    beside the body) and as the page measured with them."""
    template, book, flows = _markbook_flows(monkeypatch, paper)
    assert {f.kind for f in flows} >= {"roll", "attendance", "marks", "summary", "results"}
    at_end = paginate._measure_compile(template, book, flows)
    rowless = paginate._measure_compile(template, {**book, "measure-fixed": "rowless"}, flows)
    with_rows = paginate._measure_compile(template, {**book, "measure-fixed": "with-rows"}, flows)
    assert at_end == rowless == with_rows  # exact floats, every fixed part, room and row
    assert all(m.rows for m in at_end) and min(m.fixed for m in at_end) > 20, min(m.fixed for m in at_end)


def test_a_flow_measures_the_same_alone_as_among_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the process remembers of a flow may come from another book's measuring document."""
    template, book, flows = _markbook_flows(monkeypatch, "a4")
    together = paginate._measure_compile(template, book, flows)
    picked = [0, len(flows) // 2, len(flows) - 1]
    alone = [paginate._measure_compile(template, {**book, "total_pages": 99}, [flows[i]])[0] for i in picked]
    reversed_ = paginate._measure_compile(template, book, [flows[i] for i in reversed(picked)])
    assert alone == [together[i] for i in picked]
    assert reversed_ == [together[i] for i in reversed(picked)]


def test_remembered_flows_are_not_measured_again(monkeypatch: pytest.MonkeyPatch) -> None:
    inp = adversarial_markbook_input(45, seed=11)
    opts = PrintOptions(paper="a4", part="all")
    caught = _catch(monkeypatch)
    first = build_markbook(inp, opts)
    second = build_markbook(inp, opts)
    assert len(caught) == 1  # the second print measured nothing
    assert second.to_dict() == first.to_dict()
    # the term-I print of the same class shares its term-I tables with the year print
    build_markbook(inp, replace(opts, part="term1"))
    assert all(len(c[2]) < len(caught[0][2]) for c in caught[1:])


def test_a_row_taller_than_remembered_is_measured_and_replanned(monkeypatch: pytest.MonkeyPatch) -> None:
    """A remembered measurement is never applied to changed data: a student whose row grew (a long
    note under the name) makes that table be measured again, and its plan follows the new height."""
    template, book, flows = _markbook_flows(monkeypatch, "a4")
    before = measure(template, book, flows)
    roll = next(i for i, f in enumerate(flows) if f.kind == "roll")
    rows = [dict(r) for r in flows[roll].data["rows"]]
    k = max(range(len(rows)), key=lambda i: -before[roll].rows[i])  # the shortest row
    rows[k]["note"] = "Chuyển đến ngày 03/01 từ Trường THCS Chiềng Khoa, huyện Vân Hồ, tỉnh Sơn La; " * 6
    taller = replace(flows[roll], data={**flows[roll].data, "rows": rows})
    caught = _catch(monkeypatch)
    after = measure(template, book, [*flows[:roll], taller, *flows[roll + 1:]])
    assert [[f.kind for f in c[2]] for c in caught] == [["roll"]]  # only the changed table
    assert after[roll].rows[k] > before[roll].rows[k] + 20
    assert [a for i, a in enumerate(after) if i != roll] == [b for i, b in enumerate(before) if i != roll]
    assert after[roll].fixed == before[roll].fixed
    assert pack(after[roll]) == pack(paginate._measure_compile(template, book, [taller])[0])
    assert sum(len(r) for r in pack(after[roll])) == len(rows)
    if len(pack(before[roll])) == len(pack(after[roll])):
        assert pack(before[roll]) != pack(after[roll])  # the page break moved


def test_transcript_volume_plan_from_memory_is_the_plan_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    from layouts.transcript import build_transcript
    from tests.layouts.adversarial_tr import adversarial_transcript

    inp = adversarial_transcript()
    caught = _catch(monkeypatch)
    year = build_transcript(inp, year=inp.years[-1].name)
    volume = build_transcript(inp, volume=True)
    n_measured = sum(len(c[2]) for c in caught)
    forget_measurements()
    assert build_transcript(inp, volume=True).to_dict() == volume.to_dict()
    assert build_transcript(inp, year=inp.years[-1].name).to_dict() == year.to_dict()
    assert sum(len(c[2]) for c in caught) > n_measured  # measured again after forgetting


def test_memory_of_flows_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paginate, "MEASURED_FLOWS", 3)
    for k in range(5):
        paginate._remember(f"k{k}", Measured(float(k), 100.0, (1.0,)))
    assert list(paginate._MEASURED) == ["k2", "k3", "k4"]  # the least recently used forgotten first


def test_transcript_measuring_pass_is_one_page_without_furniture(monkeypatch: pytest.MonkeyPatch) -> None:
    """The measuring pass of a table-flow template lays out its flows' reports only, all flows of one
    orientation on one page: no footer, QR slot, page code or giáp lai marker (drawn on a page per flow,
    they cost a quarter of the pass and move no row; the reports stay the same to the bit, checked by
    ``bench/bench_floor.py --measuring`` and the plans of the transcript tests)."""
    from layouts import render
    from layouts.transcript import build_transcript
    from tests.layouts.adversarial_tr import adversarial_transcript

    documents: list[str] = []
    real = render.query_document

    def spy(template: str, document: Any, selector: str) -> list[Any]:
        documents.append(render.document_json(document))
        return real(template, document, selector)

    monkeypatch.setattr(render, "query_document", spy)
    inp = adversarial_transcript()
    build_transcript(inp, volume=True)
    assert documents
    pdf = render.compile_template(render.template_path("transcript"), documents[0])
    flows = json.loads(documents[0])["pages"]
    assert len(flows) > 3 and {f["kind"] for f in flows} >= {"transcript-subjects", "transcript-results"}
    assert render.extract_page_texts(pdf) == [""]


def test_a_struck_name_measures_as_the_unstruck_one() -> None:
    """The student grid measures a transferred-out or dropped-out student's name cell without its red
    strike (a strike inside ``measure`` costs Typst a second layout of the whole document): the heights
    must be those of the struck cell, to the bit, for long names and notes, at every table size."""
    import json

    import typst

    from layouts import render

    names = ["Nguyễn Thị Hồng Nhung", "Hoàng Thị Phương Thảo Nguyễn Ngọc Ánh Dương Thị Khuê " * 2, "Vừ A Lử"]
    notes = ["", "Chuyển đi 12/01/2026", "Bỏ học 03/03/2026 — chuyển về quê theo gia đình, xã Lóng Sập " * 2]
    source = ('#import "common.typ": *\n#show: book-style.with((paper: "a4"))\n'
              f"#let names = ({', '.join(json.dumps(n, ensure_ascii=False) for n in names)},)\n"
              f"#let notes = ({', '.join(json.dumps(n, ensure_ascii=False) for n in notes)},)\n"
              "#context { for n in names { for o in notes { for size in (7pt, 7.65pt, 9pt) { for w in (32mm, 58.4mm) {\n"
              "  let h(status) = measure(student-name((name: n, status: status, note: o), w, size)).height / 1pt\n"
              "  [#metadata((h(\"transferred_out\"), h(\"dropped_out\"), h(\"active\"))) <h>]\n"
              "}}}}}\n")
    # a file of this process: the SQLite and PostgreSQL suites run side by side on one tree (.ci/run)
    path = render.TEMPLATES_DIR / f"_test_strike_{os.getpid()}.typ"
    path.write_text(source, "utf-8")
    try:
        got = json.loads(typst.Compiler(input=str(path), root=str(render.TEMPLATES_DIR), font_paths=render._fonts(),
                                        ignore_system_fonts=True).query("<h>", field="value"))
    finally:
        path.unlink()
    assert len(got) == 3 * 3 * 3 * 2
    assert all(out == dropped == active for out, dropped, active in got), got
    assert len({tuple(g) for g in got}) > 6  # the heights do vary (one line, wrapped names, notes)
