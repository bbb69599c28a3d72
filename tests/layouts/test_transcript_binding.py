"""A year's print follows last year's print on record: it lays out only its own year.

The page numbers of a year printed at the end of that year are those of the planned complete book.
When the year before it was printed (its edition's last page number, ``TranscriptInput.printed_ends``
read by ``records.books.transcript.read_transcript``), the year starts on the next page and only its own pages are laid
out; the result is the same document as laying every year out again (issue 9: a year's print cost
about four times its share of the volume)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from sqlalchemy.orm import Session

from layouts import transcript
from layouts.transcript import CorrectionNote, build_transcript
from records.books.transcript import read_transcript, read_transcripts
from records.models import Edition, EditionKind, EditionPage, EditionStatus
from records.permissions import Actor
from tests.factories import enrol, make_class, make_school, make_student, make_year
from tests.layouts.transcript_samples import sample_input


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The flows of every measuring pass (their kinds and years)."""
    calls: list[list[str]] = []
    real = transcript.plan.measure  # the measuring pass as the builder calls it

    def spy(template, book, flows):  # type: ignore[no-untyped-def]
        calls.append([f.kind + ":" + (f.data.get("head") or {}).get("year", "") for f in flows])
        return real(template, book, flows)

    monkeypatch.setattr(transcript.plan, "measure", spy)
    return calls


@pytest.mark.parametrize("duplex", [False, True])
def test_the_last_year_after_its_predecessors_print_is_the_same_document(duplex: bool, measured) -> None:
    inp = sample_input(seed=5, years=3)
    last, this = inp.years[1].start_year, inp.years[2].start_year
    previous = build_transcript(inp, year=last, duplex=duplex)
    everything = build_transcript(inp, year=this, duplex=duplex)
    measured.clear()
    bound = build_transcript(dataclasses.replace(inp, printed_ends=((last, previous.pages[-1].no),)),
                             year=this, duplex=duplex)
    assert bound.to_dict() == everything.to_dict()
    assert measured == [[f"transcript-subjects:{inp.years[2].name}", f"transcript-results:{inp.years[2].name}"]]


def test_the_numbers_follow_the_print_on_record_not_a_new_layout() -> None:
    """Last year's sheets are in the binder: this year continues after them, whatever a new layout says."""
    inp = sample_input(seed=5, years=3)
    bound = build_transcript(dataclasses.replace(inp, printed_ends=((inp.years[1].start_year, 9),)),
                             year=inp.years[2].start_year)
    assert [p.no for p in bound.pages] == [10, 11]
    assert bound.book.total_pages == 11 + 2 * len(inp.remaining_grades)


@pytest.mark.parametrize(("case", "ends", "year_index", "duplex"), [
    ("no print of the year before", ((2019, 4),), 2, False),
    ("not the last recorded year", ((2021, 4),), 1, False),
    ("two-sided after a print ending on a recto", ((2022, 7),), 2, True),
])
def test_every_year_is_laid_out_when_the_record_cannot_number_it(case, ends, year_index, duplex, measured) -> None:
    inp = sample_input(seed=5, years=3)
    assert [y.start_year for y in inp.years] == [2021, 2022, 2023]
    doc = build_transcript(dataclasses.replace(inp, printed_ends=ends), year=inp.years[year_index].start_year,
                           duplex=duplex)
    assert doc.to_dict() == build_transcript(inp, year=inp.years[year_index].start_year, duplex=duplex).to_dict()
    assert "transcript-identity:" in measured[0], case


def _edition(session: Session, school_id: int, student_id: int, year_id: int | None, numbers: range, *,
             copy: bool = False, status: EditionStatus = EditionStatus.CURRENT, minute: int = 0) -> None:
    edition = Edition(
        id=uuid.uuid4(), school_id=school_id, kind=EditionKind.TRANSCRIPT, student_id=student_id,
        school_year_id=year_id, copy=copy, title="Học bạ", issued_on=dt.date(2024, 6, 1),
        created_at=dt.datetime(2024, 6, 1, 8, minute, tzinfo=dt.UTC), created_by_name="Văn thư", page_count=len(numbers),
        book_pages=20, key_id="k1", document_sha256="0" * 64, status=status,
        pages=[EditionPage(position=i + 1, number=n, kind="transcript-results", digest="0" * 32)
               for i, n in enumerate(numbers)],
    )
    session.add(edition)
    session.flush()


def test_loading_reads_the_last_page_of_each_years_latest_print(session: Session) -> None:
    school = make_school(session)
    y1, y2 = make_year(session, school, 2022), make_year(session, school, 2023)
    student = make_student(session, school)
    enrol(session, student, make_class(session, y1, 6, "6A1"))
    enrol(session, student, make_class(session, y2, 7, "7A1"))
    _edition(session, school.id, student.id, y1.id, range(1, 5), minute=1)  # front + grade 6
    _edition(session, school.id, student.id, y1.id, range(3, 6), minute=2)  # reprinted: one page longer
    _edition(session, school.id, student.id, y1.id, range(3, 9), minute=3, copy=True)  # a copy: not the binder's
    _edition(session, school.id, student.id, y1.id, range(3, 9), minute=4, status=EditionStatus.REVOKED)
    _edition(session, school.id, student.id, None, range(1, 7), minute=5)  # a volume: no year
    inp = read_transcript(session, Actor.system("kiểm thử"), student.code, corrections=lambda s, e: CorrectionNote())
    assert inp.printed_ends == ((2022, 5),)
    assert read_transcripts(session, Actor.system("kiểm thử"), [student.code])[student.code].printed_ends == ((2022, 5),)  # the batch's
    doc = build_transcript(inp, year=2023)
    assert [p.no for p in doc.pages] == [6, 7]
