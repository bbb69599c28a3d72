"""The mark book's plan: its sections in book order, the page plan of its class tables, and the
book document (``build_markbook``), PDF (``render_markbook``) and plan read back from an edition
(``plan_of``, ``plan_from_pdf``).

Pure functions from :class:`~records.books.markbook.MarkBookInput` to a
:class:`~layouts.documents.BookDocument` (strings only, one entry per physical page); the data of
each page comes from ``layouts.markbook.pages``, its words from ``layouts.markbook.vocabulary``.
Nothing here reads the database or applies assessment rules.

Book order (BOOKS.md §1.2, §1.3; Sơn La CV 1540/2017 adjustments, BOOKS.md §4):
====  ============================================================  =======
 #    section                                                       part
====  ============================================================  =======
 1    cover, then the opening page-count certification               term1
 2    class information (homeroom teacher, subject teachers)         term1
 3    roll with personal data                                        term1
 4    attendance, September–December                                 term1
 5    attendance, January–May                                        year
 6    mark pages of term I, one per subject                          term1
 7    mark pages of term II, one per subject                         year
 8    summary of term I                                              term1
 9    summary of term II, summary of the year                        year
 10   year results: statistics and lists (promotion, re-assessment,
      summer training, repeat, titles)                               year
 11   monthly inspection minutes September–December                  term1
 12   monthly inspection minutes January–May                         year
 13   closing page-count certification                               year
====  ============================================================  =======

Pages of the class tables (roll, attendance, marks, summaries) are planned from what Typst lays
out (``layouts.paginate``: one measuring pass, then one page per planned page); everything else is
one page per entry, with exactly one minutes page per month September–May, however many
inspections a month has (they share its page, see ``minutes_page_data``; June–August inspections
go on the May page). The term-I print and the year-end print of the same book number their pages
identically: the year print takes the term-I print's plan (``PrintOptions.plan``, ``plan_of``), and
tables printed at the end of the year keep room for rows still to come (``YEAR_RESERVE_ROWS``).
When two-sided, every section starts on a recto (blank pages are inserted), an A4 attendance
section on a verso (each month's halves face each other), so that no sheet carries pages of both
print runs.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from layouts.documents import BookDocument, BookMeta, Page, Part
from layouts.errors import RenderError
from layouts.markbook.inputs import (
    DEFAULT_OPTIONS,
    Inspection,
    MarkBookInput,
    PrintOptions,
    StudentInput,
    SummaryRow,
)
from layouts.markbook.pages import (
    TERM1_MONTHS,
    TERM2_MONTHS,
    _cont,
    _month_year,
    _year_label,
    attendance_data,
    certification_data,
    class_info_data,
    cover_data,
    marks_data,
    minutes_page_data,
    minutes_page_month,
    results_data,
    results_entries,
    results_page,
    roll_data,
    summary_data,
)
from layouts.markbook.vocabulary import (
    _VOCAB,
)

# --- the page plan -------------------------------------------------------------------------------
#
# Pages of the class tables (roll, attendance, marks, summaries) are planned from measurement
# (layouts.paginate): every table is laid out once by Typst with all its rows, and the rows are
# packed into pages. Everything else is one page per entry.

#: Tables printed at the end of the year keep room for this many more one-line rows from the term-I print
#: on (arrivals in term II, notes under the names of students who leave): their page count, fixed when
#: the term-I print numbers the book, then still holds at the year print (README, "Term-I plan").
YEAR_RESERVE_ROWS = 4

#: Placeholder continuation of a title while measuring: as long as any real one ("tiếp theo 2/3").
_CONT_PLACEHOLDER = " (trang 99/99)"

PageMaker = Callable[[Sequence[StudentInput], int, int], dict[str, Any]]


@dataclass
class _Table:
    """A class table to paginate: its key in the plan, page kind, data for a slice of the students."""

    key: str
    kind: str
    make: PageMaker  # (students on the page, page no. within the table, pages of the table) -> data
    group: str | None = None
    part: Part = "term1"
    ranges: list[range] = field(default_factory=list)
    items: Sequence[Any] | None = None  # the rows, when they are not the students (the year lists)

    def rows(self, students: Sequence[StudentInput]) -> Sequence[Any]:
        return students if self.items is None else self.items

    def pages(self, students: Sequence[StudentInput]) -> list[tuple[str, dict[str, Any]]]:
        """(kind, data) of each planned page; a page kept for rows still to come is blank."""
        rows = self.rows(students)
        n = len([r for r in self.ranges if len(r)]) or 1
        return [(self.kind, self.make([rows[i] for i in r], k, n)) if len(r) or k == 1 else ("blank", {})
                for k, r in enumerate(self.ranges, 1)]


@dataclass
class _Section:
    name: str
    part: Part
    pages: list[tuple[str, Any]] = field(default_factory=list)  # (kind, data or a callable(total))
    start: Literal["recto", "verso"] = "recto"  # two-sided: a spread section starts on a verso
    keys: list[str] = field(default_factory=list)  # plan keys of its tables, in order


def _tables(inp: MarkBookInput, opts: PrintOptions) -> dict[str, list[_Table]]:
    """The class tables of each section, not yet paginated."""
    by_key = {(m.student_no, m.subject, m.term): m for m in inp.marks}
    absences = {(a.student_no, a.day): a.excused for a in inp.absences}
    rows_by_student: dict[tuple[int, str], SummaryRow] = {(r.student_no, r.period): r for r in inp.summaries}
    outcomes = {o.student_no: o for o in inp.outcomes}
    out: dict[str, list[_Table]] = {
        "roll": [_Table("roll", "roll", lambda st, k, n: roll_data(inp, st, k, n))]}
    for name, months in (("attendance_t1", TERM1_MONTHS), ("attendance_t2", TERM2_MONTHS)):
        tables = out.setdefault(name, [])
        for m in months:
            last = calendar.monthrange(_month_year(inp, m), m)[1]
            if opts.paper == "a3":
                tables.append(_Table(f"attendance/{m}", "attendance", lambda st, k, n, m=m, last=last: attendance_data(
                    inp, m, range(1, last + 1), True, "", absences, st, _cont(k, n))))
            else:
                for half, days, totals in (("1/2", range(1, 17), False), ("2/2", range(17, last + 1), True)):
                    tables.append(_Table(
                        f"attendance/{m}/{half[0]}", "attendance",
                        lambda st, k, n, m=m, days=days, totals=totals, half=half: attendance_data(
                            inp, m, days, totals, half, absences, st, _cont(k, n)),
                        group=f"attendance/{m}"))
    for term in (1, 2):
        out[f"marks_t{term}"] = [
            _Table(f"marks/{term}/{subj.code}", "marks",
                   lambda st, k, n, subj=subj, term=term: marks_data(inp, subj, term, st, by_key, _cont(k, n)))
            for subj in inp.subjects]
    for name, periods in (("summary_t1", ("hk1",)), ("summary_t2", ("hk2", "cn"))):
        out[name] = [
            _Table(f"summary/{period}", "summary", lambda st, k, n, period=period: summary_data(
                inp, period, st, by_key, rows_by_student, outcomes, _cont(k, n)))  # type: ignore[arg-type]
            for period in periods]
    results = results_data(inp, rows_by_student, outcomes)
    out["results"] = [_Table("results", "results", lambda es, k, n: results_page(results, es, k, n),
                             items=results_entries(results["lists"]))]
    for name in ("attendance_t2", "marks_t2", "summary_t2", "results"):
        for t in out[name]:
            t.part = "year"
    return out


def _plan_tables(inp: MarkBookInput, opts: PrintOptions, tables: Sequence[_Table]) -> None:
    """Fill each table's row ranges from one measuring pass of Typst."""
    from layouts.paginate import Flow, paginate

    students = list(inp.students)
    meta = _meta(inp, opts, 0).to_dict()
    flows = [Flow(t.kind, _measuring_data(t.make(t.rows(students), 1, 1)), group=t.group,
                  reserve_rows=YEAR_RESERVE_ROWS if t.part == "year" else 0) for t in tables]
    for t, ranges in zip(tables, paginate("markbook", meta, flows), strict=True):
        t.ranges = ranges if t.items is None else _titles_with_items(ranges, t.items)


def _titles_with_items(ranges: list[range], entries: Sequence[tuple[int, int]]) -> list[range]:
    """Move a list's title that would end a page to the next page, with its first item."""
    out = list(ranges)
    for k in range(len(out) - 1):
        r, nxt = out[k], out[k + 1]
        if len(r) > 1 and entries[r.stop - 1][1] == -1 and len(nxt):
            out[k], out[k + 1] = range(r.start, r.stop - 1), range(r.stop - 1, nxt.stop)
    return out


def _measuring_data(data: dict[str, Any]) -> dict[str, Any]:
    """Page data as measured: the title with the longest continuation it may carry."""
    out = dict(data)
    if "title" in out and not str(out["title"]).endswith(_CONT_PLACEHOLDER):
        out["title"] = str(out["title"]) + _CONT_PLACEHOLDER
    return out


def _spread_pages(tables: Sequence[_Table], students: Sequence[StudentInput]) -> list[tuple[str, dict[str, Any]]]:
    """Pages of a section in order; the halves of a group alternate page by page (facing pairs)."""
    out: list[tuple[str, dict[str, Any]]] = []
    i = 0
    while i < len(tables):
        group = [t for t in tables[i:] if t.group is not None and t.group == tables[i].group] or [tables[i]]
        made = [t.pages(students) for t in group]
        for k in range(len(made[0])):
            out += [pages[k] for pages in made]
        i += len(group)
    return out


def _sections(inp: MarkBookInput, opts: PrintOptions) -> list[_Section]:
    students = list(inp.students)
    inspections: dict[int, list[Inspection]] = {}
    for insp in sorted(inp.inspections, key=lambda i: i.held_on):
        inspections.setdefault(minutes_page_month(insp.month), []).append(insp)
    tables = _tables(inp, opts)
    _plan_tables(inp, opts, [t for ts in tables.values() for t in ts])

    def table_section(name: str, part: Part, start: Literal["recto", "verso"] = "recto") -> _Section:
        ts = tables[name]
        return _Section(name, part, _spread_pages(ts, students), start, [t.key for t in ts])

    spread: Literal["recto", "verso"] = "verso" if opts.paper == "a4" else "recto"
    secs: list[_Section] = [
        _Section("cover", "term1", [("cover", cover_data(inp)), ("certification", ("open",))]),
        _Section("class_info", "term1", [("class_info", class_info_data(inp))]),
        table_section("roll", "term1"),
        table_section("attendance_t1", "term1", spread),
        table_section("attendance_t2", "year", spread),
        table_section("marks_t1", "term1"),
        table_section("marks_t2", "year"),
        table_section("summary_t1", "term1"),
        table_section("summary_t2", "year"),
        table_section("results", "year"),
    ]
    for name, part, months in (("minutes_t1", "term1", TERM1_MONTHS), ("minutes_t2", "year", TERM2_MONTHS)):
        sec = _Section(name, part)  # type: ignore[arg-type]
        for m in months:  # exactly one page per month, whatever the number of inspections
            sec.pages.append(("inspection", minutes_page_data(inp, m, inspections.get(m, []), opts.paper)))
        secs.append(sec)
    secs.append(_Section("closing", "year", [("certification", ("close",))]))
    return secs


def _apply_plan(secs: list[_Section], plan: Mapping[str, int], part: Part) -> None:
    """Hold each section to the page count of an earlier print's plan (``PrintOptions.plan``).

    A section with fewer pages now is padded with blank pages; a section of a print run not
    printed now keeps the planned count (its pages are not printed); a printed section that needs
    more pages than planned keeps them (the book grows: documented in layouts/README.md).
    """
    for sec in secs:
        want = plan.get(sec.name)
        if want is None:
            continue
        have = len(sec.pages)
        if have < want:
            sec.pages += [("blank", {})] * (want - have)
        elif have > want and part != "all" and sec.part != part:
            del sec.pages[want:]


def build_markbook(inp: MarkBookInput, opts: PrintOptions = DEFAULT_OPTIONS) -> BookDocument:
    """The book document of a class's mark book: the full book's pages, then the requested part."""
    _validate(inp)
    secs = _sections(inp, opts)
    if opts.plan:
        _apply_plan(secs, opts.plan, opts.part)
    # lay out pages: number them; two-sided, pad so that each section starts on a recto (a spread
    # section on a verso, after a blank recto of its own print run)
    plan: list[tuple[str, Any, Part]] = []
    for sec in secs:
        if opts.duplex and len(plan) % 2 == 1:
            plan.append(("blank", {}, plan[-1][2]))
        if opts.duplex and sec.start == "verso":
            plan.append(("blank", {}, sec.part))
        for kind, data in sec.pages:
            plan.append((kind, data, sec.part))
    if opts.duplex and len(plan) % 2 == 1:
        plan.append(("blank", {}, plan[-1][2]))
    total = len(plan)
    pages = []
    for no, (kind, data, part) in enumerate(plan, 1):
        if kind == "certification":
            data = certification_data(inp, total, closing=data[0] == "close")
        pages.append(
            Page(no=no, kind=kind, side="verso" if opts.duplex and no % 2 == 0 else "recto", data=data, part=part)
        )
    meta = replace(_meta(inp, opts, total), plan=tuple((s.name, len(s.pages)) for s in secs))
    return BookDocument(book=meta, pages=tuple(pages)).select(opts.part)


def _meta(inp: MarkBookInput, opts: PrintOptions, total: int) -> BookMeta:
    return BookMeta(
        kind="markbook",
        title=_VOCAB[inp.regime].title,
        school=inp.school,
        district=inp.district,
        province=inp.province,
        class_name=inp.class_name,
        year=_year_label(inp),
        regime=inp.regime,
        paper=opts.paper,
        orientation="landscape" if opts.paper == "a3" else "portrait",
        duplex=opts.duplex,
        part="all",
        total_pages=total,
    )


def plan_of(document: Mapping[str, Any]) -> dict[str, int]:
    """The section plan recorded in a printed edition's book document (``book.plan``), for
    ``PrintOptions(plan=…)``: the year print then numbers its pages as the term-I print did."""
    return {str(k): int(v) for k, v in document.get("book", {}).get("plan", [])}


def plan_from_pdf(pdf: bytes, class_name: str, year: str) -> dict[str, int]:
    """The plan of a printed mark book (its attached book document), checked to be this class's book."""
    import io
    import json

    import pikepdf

    from signing.manifest import DOCUMENT_NAME

    refused = RenderError("Tệp đã chọn không phải bản in sổ gọi tên và ghi điểm của sodientu.",
                          "the PDF carries no mark-book document")
    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            spec = doc.attachments.get(DOCUMENT_NAME)
            if spec is None:
                raise refused
            document = json.loads(spec.get_file().read_bytes())
    except (pikepdf.PdfError, ValueError) as exc:
        raise refused from exc
    book = document.get("book", {}) if isinstance(document, dict) else {}
    if book.get("kind") != "markbook" or not book.get("plan"):
        raise refused
    if (book.get("class"), book.get("year")) != (class_name, year):
        raise RenderError(
            f"Bản in đã chọn là sổ lớp {book.get('class')} năm học {book.get('year')}, "
            f"không phải sổ lớp {class_name} năm học {year}.",
            f"plan source is {book.get('class')} {book.get('year')}, not {class_name} {year}")
    return plan_of(document)


def _validate(inp: MarkBookInput) -> None:
    if inp.regime not in _VOCAB:
        raise RenderError("Chế độ đánh giá không hợp lệ.", f"unknown regime {inp.regime!r}")
    nos = [s.no for s in inp.students]
    if len(set(nos)) != len(nos):
        raise RenderError("Số thứ tự học sinh bị trùng.", "duplicate roll numbers in the mark book input")
    codes = [s.code for s in inp.subjects]
    if len(set(codes)) != len(codes):
        raise RenderError("Môn học bị trùng.", "duplicate subject codes in the mark book input")


def render_markbook(inp: MarkBookInput, opts: PrintOptions = DEFAULT_OPTIONS, *, pdf_standard: str | None = None) -> bytes:
    """Build and render the mark book to PDF bytes."""
    from layouts.render import render_document

    return render_document("markbook", build_markbook(inp, opts), pdf_standard=pdf_standard)


def iter_pages(doc: BookDocument, kind: str) -> Iterable[Page]:
    """The pages of a kind, in book order."""
    return (p for p in doc.pages if p.kind == kind)
