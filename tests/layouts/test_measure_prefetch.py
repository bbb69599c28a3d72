"""A batch task's transcripts measured in one compile (``layouts.transcript.transcript_flows`` and
``prefetch_measurements``, ``layouts.batch._prefetch_measurements``): the builds that follow measure
nothing more, and their documents are exactly those built without the prefetch."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from layouts import batch, paginate
from layouts.paginate import Flow, Measured, forget_measurements
from layouts.transcript import TranscriptInput, build_transcript, prefetch_measurements, transcript_flows
from tests.layouts.adversarial_tr import adversarial_transcript
from tests.layouts.transcript_samples import sample_input


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    forget_measurements()
    yield
    forget_measurements()


def _count(monkeypatch: pytest.MonkeyPatch) -> list[list[Flow]]:
    """Every measuring compile, by the flows it measured."""
    compiles: list[list[Flow]] = []
    real = paginate._measure_compile

    def spy(template: str, book: Any, flows: Any) -> list[Measured]:
        compiles.append(list(flows))
        return real(template, book, flows)

    monkeypatch.setattr(paginate, "_measure_compile", spy)
    return compiles


def _builds() -> list[tuple[TranscriptInput, dict[str, Any]]]:
    """Hostile students and every kind of build: earlier years by shape, volumes, two-sided, a copy, a year
    bound to last year's recorded print, a repeated grade."""
    hostile = adversarial_transcript(comment_repeat=2)
    tt26 = adversarial_transcript(seed=4, comment_repeat=3, regime="tt26", years=3)
    short = sample_input(seed=6, years=3)
    bound = dataclasses.replace(sample_input(seed=7, years=3),
                                printed_ends=((2022, 6),))  # grade 7 printed, ending on page 6
    repeated = sample_input(seed=8, years=3)  # grade 7 twice: the third year repeats the second's grade
    repeated = dataclasses.replace(repeated, years=(*repeated.years[:2], dataclasses.replace(
        repeated.years[2], grade=repeated.years[1].grade, class_name=repeated.years[1].class_name)),
        remaining_grades=(8, 9))
    return [
        (hostile, {"year": hostile.years[2].start_year}),
        (hostile, {"volume": True, "duplex": True}),
        (tt26, {"year": tt26.years[-1].name, "duplex": True}),
        (short, {"year": short.years[-1].start_year}),
        (short, {"year": short.years[0].start_year, "copy": True, "copy_ref": "Đơn số 12/2026"}),
        (bound, {"year": bound.years[-1].start_year, "duplex": False}),
        (bound, {"year": bound.years[-1].start_year, "duplex": True}),
        (repeated, {"year": repeated.years[-1].start_year}),
        (repeated, {"volume": True}),
    ]


def test_a_task_is_measured_in_one_compile_and_its_books_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    builds = _builds()
    alone = [build_transcript(inp, **opts).to_dict() for inp, opts in builds]  # one measuring compile a book
    forget_measurements()
    compiles = _count(monkeypatch)
    measured = prefetch_measurements([f for inp, opts in builds for f in transcript_flows(inp, **opts)])
    assert len(compiles) == 1 and sum(measured) == len(compiles[0])
    prefetched = [build_transcript(inp, **opts).to_dict() for inp, opts in builds]
    assert len(compiles) == 1  # every build found its flows measured
    assert prefetched == alone


def test_the_flows_are_those_the_build_measures(monkeypatch: pytest.MonkeyPatch) -> None:
    compiles = _count(monkeypatch)
    for inp, opts in _builds():
        forget_measurements()
        compiles.clear()
        build_transcript(inp, **opts)
        distinct: list[Flow] = []  # a build measures each distinct flow once
        for f in transcript_flows(inp, **opts):
            if f not in distinct:
                distinct.append(f)
        assert [f for c in compiles for f in c] == distinct, opts


def test_prefetch_says_which_flows_it_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    inp = sample_input(seed=6, years=3)
    year = transcript_flows(inp, year=inp.years[-1].start_year)
    sent = [*year, year[0]]
    # a flow the same as an earlier one (the last; and the shapes of two earlier years' results pages) is not new
    assert prefetch_measurements(sent) == [f not in sent[:i] for i, f in enumerate(sent)]
    assert sum(prefetch_measurements(sent)) == 0
    volume = transcript_flows(inp, volume=True)
    again = prefetch_measurements(volume)
    assert not all(again) and any(again)  # the printed years remembered, the front and shaped ones new
    compiles = _count(monkeypatch)
    assert prefetch_measurements([*year, *volume]) == [False] * (len(year) + len(volume))
    assert compiles == []  # nothing left to measure: no compile


def test_a_wrong_year_has_no_flows_but_raises_as_its_build() -> None:
    inp = sample_input(seed=6, years=2)
    with pytest.raises(Exception, match="2030") as flows_error:
        transcript_flows(inp, year=2030)
    with pytest.raises(type(flows_error.value)):
        build_transcript(inp, year=2030)


def _students(*inputs: TranscriptInput) -> dict[str, tuple[Any, int | None, int]]:
    return {inp.student_code: (inp, k + 1, 1) for k, inp in enumerate(inputs)}


def test_the_batch_task_prefetches_its_transcripts_in_one_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = sample_input(seed=6, years=3), adversarial_transcript(comment_repeat=2)
    jobs = [
        batch.make_job(batch.TRANSCRIPT, a.student_code, year=a.years[-1].name),
        batch.make_job(batch.TRANSCRIPT, b.student_code, volume=True, duplex=True),
        batch.make_job(batch.TRANSCRIPT, a.student_code, year="2030-2031"),  # no such year: its build fails
        batch.make_job(batch.TRANSCRIPT, "HS-KHONG-CO", year="2025-2026"),  # not read: its build reports it
        batch.make_job(batch.MARKBOOK, 7),
    ]
    compiles = _count(monkeypatch)
    shares = batch._prefetch_measurements(jobs, _students(a, b))
    assert len(compiles) == 1
    assert set(shares) == set(jobs[:2]) and shares[jobs[0]] > 0 and shares[jobs[1]] > 0
    build_transcript(a, year=a.years[-1].name)
    build_transcript(b, volume=True, duplex=True)
    assert len(compiles) == 1


def test_a_failed_prefetch_leaves_the_builds_to_measure(monkeypatch: pytest.MonkeyPatch) -> None:
    a = sample_input(seed=6, years=3)
    expected = build_transcript(a, year=a.years[-1].name).to_dict()
    forget_measurements()

    def broken(template: str, book: Any, flows: Any) -> list[Measured]:
        raise RuntimeError("typst failed")

    monkeypatch.setattr(paginate, "_measure_compile", broken)
    assert batch._prefetch_measurements([batch.make_job(batch.TRANSCRIPT, a.student_code, year=a.years[-1].name)],
                                        _students(a)) == {}
    monkeypatch.undo()
    compiles = _count(monkeypatch)
    assert build_transcript(a, year=a.years[-1].name).to_dict() == expected
    assert len(compiles) == 1
