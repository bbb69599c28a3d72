"""Học bạ THCS (the student transcript): records → :class:`TranscriptInput` → book document → PDF.

Three steps, each testable on its own:

1. ``records.books.transcript.read_transcript(session, actor, code)`` reads one student's records
   (every enrolment, at this school or another one of the database) into a
   :class:`~records.books.transcript.TranscriptInput`, a plain frozen dataclass of typed values
   (``Decimal`` marks, ``date`` dates), once the actor's read right is checked. The correction note
   of each year comes from the audit trace (``CorrectionLookup``), never from typed text.
2. :func:`build_transcript` turns the input into a :class:`~layouts.documents.BookDocument`:
   explicit pages, every value formatted for print, each year with the labels of its own
   regulation (TT58/TT26: Hạnh kiểm / Học lực; TT22: Kết quả rèn luyện / Kết quả học tập).
3. :func:`render_transcript` compiles it with ``templates/transcript.typ`` through
   :mod:`layouts.render`.

Pages of the full book (BOOKS.md §2, Sơn La CV 1540 adjustments): the cover (TT22 wording,
"BẢN SAO" for a copy), the identity page with the photo and *without* the "Quá trình học tập"
table, then two pages per school year: the subject table (with the correction note and the
confirmation blocks) and the results page. Every page after the identity page repeats Họ và tên,
Trường, Huyện, Tỉnh, Lớp, Năm học at its top, with the school of *that* year. Two-sided books get
blank pages so that the identity page and each year start on a recto.

Page numbers are those of the planned complete book (cover, identity page, one section per year
already recorded and one per grade still to come up to grade 9), so that the sheets printed at
the end of each year bind into one volume; a repeated grade adds a section and shifts what follows.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from layouts.documents import BookDocument, BookMeta, Page, Side
from layouts.errors import RenderError
from layouts.paginate import SLACK_PT, Flow, measure, pack, prefetch
from layouts.transcript.inputs import (
    CorrectionLookup,
    CorrectionNote,
    TranscriptInput,
    YearRecord,
)
from records.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from sqlalchemy.orm import Session

    from layouts.publish import Published
    from records.permissions import Actor
    from signing.pdfsign import PdfSigner
from layouts.transcript.pages import (
    RESULT_UNITS,
    SIGN_MAX_MM,
    SIGN_MM,
    _cover,
    _identity,
    _results_data,
    _subjects_data,
)
from layouts.transcript.shape import shaped
from layouts.transcript.vocabulary import BOOK_TITLE

TEMPLATE = "transcript"


# --- page plan: measured by Typst ------------------------------------------------------------


@dataclass(frozen=True)
class _Section:
    """A run of pages printed together: the front (cover, identity) or one school year."""

    name: str  # "front" or the year name
    parts: tuple[tuple[str, dict[str, Any]], ...]  # (kind, data of the whole part)


@dataclass(frozen=True)
class _Landed:
    """Where Typst laid a part out: the units on each of its pages, and the spare height (mm)
    under the last unit when the part fits one page."""

    pages: tuple[tuple[int, ...], ...]
    spare_mm: float


def _sections(inp: TranscriptInput, copy: bool, copy_ref: str = "") -> list[_Section]:
    front = _Section("front", (("transcript-cover", _cover(inp, copy, copy_ref)), ("transcript-identity", _identity(inp))))
    years = [
        _Section(y.name, (("transcript-subjects", _subjects_data(inp, y)), ("transcript-results", _results_data(inp, y))))
        for y in inp.years
    ]
    return [front, *years]


def _units(kind: str, data: Mapping[str, Any]) -> int:
    if kind == "transcript-subjects":
        return len(data["rows"]) + len(data["overall"]) + 1  # + the tail
    if kind in ("transcript-results", "transcript-identity"):
        return len(data["units"])
    return 1


#: The book of the measuring pass (its footer is not measured; the page frame is every page's).
_MEASURE_BOOK = BookMeta(kind="transcript", title=BOOK_TITLE, school="", district="", province="",
                         class_name="", year="", regime="tt22", paper="a4", orientation="portrait").to_dict()
PT_PER_MM = 72 / 25.4


def _measure(parts: Sequence[tuple[str, dict[str, Any]]], shape: Sequence[bool] = ()) -> list[_Landed]:
    """Where each unit of every part lands: one measuring pass of :mod:`layouts.paginate` (the
    height of each part's repeated header and of each of its units), packed into pages; the
    cover is one page. A part flagged in ``shape`` is measured as its shape
    (:func:`layouts.transcript.shape.shaped`: the same heights, shared by many students' parts)."""
    measured = iter(measure(TEMPLATE, _MEASURE_BOOK, _flows(parts, shape)))
    out = []
    for kind, data in parts:
        if kind == "transcript-cover":
            out.append(_Landed(((0,),), 0.0))
            continue
        m = next(measured)
        if len(m.rows) != _units(kind, data):
            raise RenderError("Không in được học bạ: lỗi khi đo trang. Vui lòng báo cho quản trị hệ thống.",
                              f"{kind}: {len(m.rows)} units measured, {_units(kind, data)} sent")
        pages = pack(m)
        spare = (m.room - m.fixed - sum(m.rows) - SLACK_PT) / PT_PER_MM if len(pages) == 1 else 0.0
        out.append(_Landed(tuple(tuple(r) for r in pages), max(0.0, spare)))
    return out


def _flows(parts: Sequence[tuple[str, dict[str, Any]]], shape: Sequence[bool] = ()) -> list[Flow]:
    """The flows :func:`_measure` measures of these parts (every part but the cover)."""
    shape = list(shape) or [False] * len(parts)
    return [Flow(kind, _measured_data(kind, data, s))
            for (kind, data), s in zip(parts, shape, strict=True) if kind != "transcript-cover"]


def _measured_data(kind: str, data: dict[str, Any], shape: bool) -> Mapping[str, Any]:
    if "photo" in data:  # the photo is laid out 30 × 40 mm like its placeholder
        data = {**data, "photo": ""}
    return shaped(kind, data) if shape else data


def _split(kind: str, data: dict[str, Any], landed: _Landed) -> list[dict[str, Any]]:
    """The data of each printed page of a part: the units that landed on it."""
    if kind == "transcript-subjects":
        n, n_overall = len(data["rows"]), len(data["overall"])
        sign = SIGN_MM
        if len(landed.pages) == 1 and n:
            # Share the page's spare height out as room to sign (kept under the spare: the table
            # grows by less than what is left, so the page still holds it).
            sign = min(SIGN_MAX_MM, SIGN_MM + math.floor(10 * 0.85 * (landed.spare_mm - 2.0) / n) / 10)
            sign = max(SIGN_MM, sign)
        out = []
        for units in landed.pages:
            rows = [u for u in units if u < n]
            out.append({
                **data,
                "first": str(rows[0]) if rows else str(n),
                "rows": [data["rows"][u] for u in rows],
                "overall": [data["overall"][u - n] for u in units if n <= u < n + n_overall],
                "tail": "1" if n + n_overall in units else "",
                "sign": f"{sign:.1f}",
            })
        return out
    if kind == "transcript-results":
        out = []
        for units in landed.pages:
            names = [RESULT_UNITS[u] for u in units]
            out.append({**data, "units": names, "results": data["results"] if "results" in names else []})
        return out
    if kind == "transcript-identity":
        return [{**data, "units": [str(u) for u in units]} for units in landed.pages]
    return [data] * len(landed.pages)


def _section_pages(section: _Section, landed: Sequence[_Landed], duplex: bool) -> list[tuple[str, dict[str, Any]]]:
    """The pages of a section (kind, data; kind "blank" for a filler), in order.

    Two-sided, a section fills whole sheets (an even count starting on a recto), so each year's
    print binds between the others; a year's subject pages end on a verso and its results start on
    the facing recto (a blank recto first when the subject table takes an odd number of pages).
    """
    pages: list[tuple[str, dict[str, Any]]] = []
    foot = None
    for (kind, data), where in zip(section.parts, landed, strict=True):
        foot = data.get("foot") or {k: data["head"][k] for k in ("school", "class", "year")}
        parts = [(kind, d) for d in _split(kind, data, where)]
        if duplex and kind == "transcript-subjects" and len(parts) % 2 == 1:
            pages.append(("blank", {"foot": foot}))
        if duplex and kind == "transcript-identity" and len(pages) % 2 == 1:
            pages.append(("blank", {"foot": foot}))
        pages += parts
    if duplex and len(pages) % 2 == 1:
        pages.append(("blank", {"foot": foot}))
    return pages


def _year_key(year: int | str | None) -> int | None:
    if year is None:
        return None
    if isinstance(year, int):
        return year
    text = str(year).strip()
    try:
        return int(text.split("-")[0])
    except ValueError:
        raise ValidationError(
            f"Năm học không hợp lệ: «{year}» (ví dụ 2023-2024).", f"invalid school year {year!r}"
        ) from None


@dataclass(frozen=True)
class _Laid:
    """What a build lays out (:func:`_laid_out`): the sections, and their parts as measured."""

    wanted: int | None  # the start year of a one-year print
    wanted_name: str | None
    keep_front: bool
    bound: int | None  # :func:`_bound_start`
    sections: list[_Section]
    parts: list[tuple[str, dict[str, Any]]]
    shape: list[bool]  # measured as its shape (a section not printed)


def _laid_out(inp: TranscriptInput, *, year: int | str | None, volume: bool, duplex: bool, copy: bool,
              copy_ref: str) -> _Laid:
    wanted = None if volume else _year_key(year)
    if wanted is not None and all(y.start_year != wanted for y in inp.years):
        raise NotFoundError(
            f"Học sinh {inp.identity.full_name} không có kết quả năm học {wanted}-{wanted + 1}.",
            f"student {inp.student_code} has no year {wanted}",
        )
    sections = _sections(inp, copy, copy_ref)
    wanted_name = None if wanted is None else f"{wanted}-{wanted + 1}"
    first_year = inp.years[0].name if inp.years else None
    keep_front = wanted is None or copy or (first_year is not None and first_year == wanted_name)
    bound = _bound_start(inp, wanted, duplex)
    if bound is not None:  # only the printed sections are laid out; the year follows last year's print
        sections = [s for s in sections if s.name == wanted_name or (s.name == "front" and keep_front)]
    # A section that is not printed only numbers the pages after it: its page count is all that is
    # used, and its shape measures the same (layouts.transcript.shape).
    printed = [wanted is None or s.name == wanted_name or (s.name == "front" and keep_front) for s in sections]
    return _Laid(wanted, wanted_name, keep_front, bound, sections, [part for s in sections for part in s.parts],
                 [not p for s, p in zip(sections, printed, strict=True) for _ in s.parts])


#: Pages a grade still to come is planned to take (its subject page and results page; two-sided,
#: a blank recto before and a blank verso after them, so the year fills two sheets).
PLANNED_YEAR_PAGES = {False: 2, True: 4}


def build_transcript(
    inp: TranscriptInput,
    *,
    year: int | str | None = None,
    volume: bool = False,
    duplex: bool = False,
    copy: bool = False,
    copy_ref: str = "",
) -> BookDocument:
    """The transcript document: one year (``year``), or the whole volume (default and ``volume``).

    A one-year print holds that year's pages; the cover and the identity page come with it
    when it is the first year of the book (they are completed when the transcript is opened) or
    when a copy is printed (the copy mark goes on the cover). Typst lays each part out first
    (:func:`_measure`); a subject table or a results page that does not fit one page continues on
    the next, under the student block and the repeated column heads.
    """
    laid = _laid_out(inp, year=year, volume=volume, duplex=duplex, copy=copy, copy_ref=copy_ref)
    wanted, wanted_name, keep_front, bound = laid.wanted, laid.wanted_name, laid.keep_front, laid.bound
    landed = iter(_measure(laid.parts, laid.shape))
    planned = [(s.name, _section_pages(s, [next(landed) for _ in s.parts], duplex)) for s in laid.sections]
    numbers: list[list[int]] = []
    no = 0
    for name, pages in planned:
        if bound is not None and name != "front":
            no = bound - 1
        numbers.append(list(range(no + 1, no + len(pages) + 1)))
        no += len(pages)
    total = no + PLANNED_YEAR_PAGES[duplex] * len(inp.remaining_grades)
    selected: list[Page] = []
    for (name, pages), nos in zip(planned, numbers, strict=True):
        for (kind, data), no in zip(pages, nos, strict=True):
            keep = wanted is None or name == wanted_name or (name == "front" and keep_front)
            if keep:
                side: Side = "verso" if duplex and no % 2 == 0 else "recto"
                selected.append(Page(no=no, kind=kind, side=side, data=data))
    last = inp.years[-1] if inp.years else None
    shown = [y for y in inp.years if wanted is None or y.start_year == wanted]
    meta = BookMeta(
        kind="transcript",
        title=BOOK_TITLE,
        school=inp.holder.school,
        district=inp.holder.district,
        province=inp.holder.province,
        class_name=shown[-1].class_name if shown else (last.class_name if last else ""),
        year=_years_span(shown or list(inp.years)),
        regime=(shown[-1].regime if shown else (last.regime if last else "tt22")),  # type: ignore[arg-type]
        paper="a4",
        orientation="portrait",
        duplex=duplex,
        part="all",
        total_pages=total,
    )
    return BookDocument(book=meta, pages=tuple(selected))


def transcript_flows(
    inp: TranscriptInput,
    *,
    year: int | str | None = None,
    volume: bool = False,
    duplex: bool = False,
    copy: bool = False,
    copy_ref: str = "",
) -> list[Flow]:
    """The flows :func:`build_transcript` with the same arguments measures, without building it (the
    parts it lays out; the sections it does not print as their shapes, :mod:`layouts.transcript.shape`).
    Raises as the build does (a year the student does not have)."""
    laid = _laid_out(inp, year=year, volume=volume, duplex=duplex, copy=copy, copy_ref=copy_ref)
    return _flows(laid.parts, laid.shape)


def prefetch_measurements(flows: Sequence[Flow]) -> list[bool]:
    """Measure, in ONE measuring compile, the transcript flows this process has not measured yet (the
    flows of several builds: :func:`transcript_flows`), so that the builds find them remembered
    (:func:`layouts.paginate.measure`). A flow's measurement does not depend on the other flows of the
    measuring document, so the builds' documents are those built without it. Whether each flow was
    measured by this call (False: remembered, or the same as an earlier flow of the list)."""
    return prefetch(TEMPLATE, _MEASURE_BOOK, flows)


def _bound_start(inp: TranscriptInput, wanted: int | None, duplex: bool) -> int | None:
    """The first page number of the year ``wanted`` when it follows the recorded print of the year
    before it (``inp.printed_ends``): the year is the last recorded one and the year before it was
    printed (two-sided, on a whole sheet). Otherwise None: every section is laid out to number it."""
    if wanted is None or len(inp.years) < 2 or inp.years[-1].start_year != wanted:
        return None
    end = dict(inp.printed_ends).get(inp.years[-2].start_year)
    if end is None or (duplex and end % 2 == 1):
        return None
    return end + 1


def _years_span(years: Sequence[YearRecord]) -> str:
    if not years:
        return ""
    first, last = years[0].start_year, years[-1].start_year + 1
    return f"{first}-{last}"


# --- rendering ------------------------------------------------------------------------------


def render_transcript(document: BookDocument) -> bytes:
    """Compile a transcript document to PDF (PDF/A-3b); every page of the plan is one page."""
    from layouts.render import render_document

    return render_document(TEMPLATE, document, pdf_standard="a-3b")


# --- the command's entry point ---------------------------------------------------------------


def _printable_input(session: Session, actor: Actor, student_code: str, year: int | str | None, volume: bool,
                     corrections: CorrectionLookup | None) -> TranscriptInput:
    if year is not None and volume:
        raise ValidationError(
            "Chọn một năm học (--year) hoặc cả quyển (--volume), không chọn cả hai.",
            "--year and --volume are mutually exclusive",
        )
    from records.books.transcript import read_transcript

    inp = read_transcript(session, actor, student_code, corrections=corrections)
    if not inp.years:
        raise NotFoundError(
            f"Học sinh {inp.identity.full_name} chưa có năm học nào để in học bạ.",
            f"student {student_code} has no enrolment",
        )
    return inp


def print_transcript(
    session: Session,
    actor: Actor,
    student_code: str,
    year: int | str | None = None,
    volume: bool = False,
    duplex: bool = False,
    copy: bool = False,
    *,
    corrections: CorrectionLookup | None = None,
) -> bytes:
    """PDF of a student's transcript as a *draft* (no codes, no edition, "BẢN NHÁP" in every QR slot):
    one year, or the bound grade-6-to-9 volume, for anyone who may read the student's records.
    :func:`publish_transcript` prints the signed edition."""
    inp = _printable_input(session, actor, student_code, year, volume, corrections)
    document = build_transcript(inp, year=year, volume=volume, duplex=duplex, copy=copy)
    return render_transcript(document.as_draft())


def publish_transcript(
    session: Session,
    actor: Actor,
    student_code: str,
    *,
    private_key: Ed25519PrivateKey,
    year: int | str | None = None,
    volume: bool = False,
    duplex: bool = False,
    copy: bool = False,
    pdf_signer: PdfSigner | None = None,
    issued_on: dt.date | None = None,
    corrections: CorrectionLookup | None = None,
    copy_ref: str = "",
    adjust: Callable[[TranscriptInput], TranscriptInput] | None = None,
) -> Published:
    """Publish a student's transcript (one year, or the volume) as a signed edition; the caller commits.

    Every page's QR carries the facts a person checks by eye (``layouts.publish.transcript_facts``);
    a copy is published as a copy (copy flag in the codes and the edition, "BẢN SAO" on the cover)
    and supersedes nothing. ``copy_ref`` names the request a copy answers (printed on the cover);
    ``adjust`` changes the input before it is built (the current signers of a copy, ``archive.copies``).
    """
    from layouts.publish import Scope, check_publication, produce, record_publication, transcript_facts
    from records.books.owners import student_owner
    from records.services.context import today

    inp = _printable_input(session, actor, student_code, year, volume, corrections)
    if adjust is not None:
        inp = adjust(inp)
    document = build_transcript(inp, year=year, volume=volume, duplex=duplex, copy=copy, copy_ref=copy_ref)
    owner = student_owner(session, student_code, None if volume else _year_key(year))
    scope = Scope(owner.school_id, student_id=owner.student_id, school_year_id=owner.school_year_id)
    kind = check_publication(session, actor, document, scope=scope, private_key=private_key)
    issued = issued_on or today()
    produced = produce(document, template=TEMPLATE, kind=kind, private_key=private_key, issued_on=issued,
                       copy=copy, facts=transcript_facts(document, inp.identity.date_of_birth),
                       pdf_signer=pdf_signer)
    return record_publication(session, actor, produced, scope=scope)


def with_corrections(inp: TranscriptInput, notes: dict[int, CorrectionNote]) -> TranscriptInput:
    """A copy of ``inp`` whose years (by start year) carry the given correction notes (tests, benches)."""
    return replace(
        inp, years=tuple(replace(y, corrections=notes.get(y.start_year, y.corrections)) for y in inp.years)
    )
