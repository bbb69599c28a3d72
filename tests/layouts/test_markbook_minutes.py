"""Inspection minutes pages of the mark book: one page per month, whatever the number of inspections."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from layouts.documents import BookDocument
from layouts.markbook import (
    MINUTES_ARCHIVE_NOTE,
    Inspection,
    InspectionLine,
    MarkBookInput,
    PrintOptions,
    build_markbook,
    minutes_page_data,
    minutes_page_month,
)
from layouts.render import extract_page_texts, render_document
from tests.layouts.test_markbook_adversarial import glyph_report

FIRST = "Lần đầu trong tháng: môn Tin học còn thiếu hai đầu điểm."
SECOND_REQ = "Bổ sung điểm ĐĐGtx môn Tin học trước ngày 05/11/2025."
JUNE = "Kiểm tra sau khi kết thúc năm học: đã nhập đủ điểm thi lại."


def _october(inp: MarkBookInput) -> Inspection:
    return next(i for i in inp.inspections if i.month == 10)


def _extra(inp: MarkBookInput, held_on: date, findings: str, requests: str = "", *, month: int | None = None,
           rows: int | None = None) -> Inspection:
    lines = _october(inp).lines
    if rows is not None:
        lines = tuple((lines * (rows // len(lines) + 1))[:rows])
    return Inspection(month=month or held_on.month, held_on=held_on,
                      inspectors=(("Lường Thị Phương", "Phó Hiệu trưởng"),), lines=lines,
                      findings=findings, requests=requests)


def _plan(doc: BookDocument) -> list[tuple[int, str, str]]:
    return [(p.no, p.kind, p.part) for p in doc.pages]


def _one_page(doc: BookDocument, page_no: int) -> BookDocument:
    return BookDocument(book=doc.book, pages=tuple(p for p in doc.pages if p.no == page_no))


def _page_text(doc: BookDocument, page_no: int) -> str:
    """The rendered text of one page, spaces collapsed (not the id-cached ``page_texts`` fixture: the PDF is
    a temporary here)."""
    return " ".join(extract_page_texts(render_document("markbook", _one_page(doc, page_no)))[0].split())


def _minutes_pages(doc: BookDocument) -> list[int]:
    return [p.no for p in doc.pages if p.kind == "inspection"]


@pytest.mark.parametrize("paper", ["a4", "a3"])
@pytest.mark.parametrize("duplex", [False, True])
def test_a_second_inspection_moves_no_page(markbook_input: MarkBookInput, paper: str, duplex: bool) -> None:
    one = markbook_input
    two = replace(one, inspections=(*one.inspections, _extra(one, date(2025, 10, 10), FIRST, SECOND_REQ)))
    for part in ("all", "term1", "year"):
        opts = PrintOptions(paper=paper, duplex=duplex, part=part)  # type: ignore[arg-type]
        a, b = build_markbook(one, opts), build_markbook(two, opts)
        assert _plan(a) == _plan(b) and a.book.total_pages == b.book.total_pages
        assert len(_minutes_pages(build_markbook(two, replace(opts, part="all")))) == 9


def test_both_october_inspections_print_on_the_october_page(markbook_input: MarkBookInput) -> None:
    inp = replace(markbook_input, inspections=(
        *markbook_input.inspections, _extra(markbook_input, date(2025, 10, 10), FIRST, SECOND_REQ)))
    doc = build_markbook(inp)
    october = next(p for p in doc.pages if p.kind == "inspection" and "Tháng 10/2025" in p.data["subtitle"])
    assert october.no == _minutes_pages(build_markbook(markbook_input))[1]
    assert october.data["layout"] == "several"
    assert [s["heading"][:22] for s in october.data["sessions"]] == ["Lần 1: ngày 10/10/2025",
                                                                     "Lần 2: ngày 28/10/2025"]
    text = _page_text(doc, october.no)
    for piece in (FIRST, SECOND_REQ, _october(markbook_input).findings, _october(markbook_input).requests,
                  "10/10/2025", "28/10/2025", "Lường Thị Phương", "Nguyễn Văn Hiệu", "Lê Minh Đức"):
        assert " ".join(piece.split()) in text, piece
    assert MINUTES_ARCHIVE_NOTE not in text  # nothing was left out
    assert text.count("Ngữ văn") == 2  # each inspection's table in full


@pytest.mark.parametrize("held_on", [date(2026, 6, 5), date(2026, 8, 20)])
def test_an_inspection_after_may_goes_on_the_may_page(
    markbook_input: MarkBookInput, held_on: date
) -> None:
    late = _extra(markbook_input, held_on, JUNE)
    inp = replace(markbook_input, inspections=(*markbook_input.inspections, late))
    doc, before = build_markbook(inp), build_markbook(markbook_input)
    assert _plan(doc) == _plan(before)
    may = [p for p in doc.pages if p.kind == "inspection"][-1]
    assert "Tháng 5/2026" in may.data["subtitle"] and may.part == "year"
    text = _page_text(doc, may.no)
    assert JUNE in text and f"{held_on:%d/%m/%Y}" in text
    assert minutes_page_month(6) == minutes_page_month(7) == minutes_page_month(8) == 5
    assert minutes_page_month(9) == 9 and minutes_page_month(5) == 5


def test_a_may_and_a_june_inspection_share_the_may_page(markbook_input: MarkBookInput) -> None:
    may, june = (_extra(markbook_input, date(2026, 5, 29), FIRST),
                 _extra(markbook_input, date(2026, 6, 5), JUNE))
    page = minutes_page_data(markbook_input, 5, [june, may])
    assert page["layout"] == "several"
    assert [s["findings"] for s in page["sessions"]] == [FIRST, JUNE]
    assert "ngày 05/06/2026" in page["sessions"][1]["heading"] and "sau tháng 5" in page["subtitle"]


def test_too_many_inspections_print_the_latest_and_list_the_others(markbook_input: MarkBookInput) -> None:
    days = [date(2025, 10, d) for d in (2, 6, 9, 13, 16, 20, 23)]
    extra = [_extra(markbook_input, d, f"Nhận xét lần ngày {d.day}.") for d in days]
    inp = replace(markbook_input, inspections=(*markbook_input.inspections, *extra))
    doc = build_markbook(inp)
    assert _plan(doc) == _plan(build_markbook(markbook_input))
    october = next(p for p in doc.pages if p.kind == "inspection" and "Tháng 10/2025" in p.data["subtitle"])
    assert october.data["layout"] == "latest" and october.data["note"] == MINUTES_ARCHIVE_NOTE
    assert len(october.data["sessions"]) == 1 and len(october.data["earlier"]) == len(days)
    text = _page_text(doc, october.no)
    assert _october(markbook_input).findings in text and "28/10/2025" in text  # the latest, in full
    assert all(f"{d:%d/%m/%Y}" in text for d in days) and MINUTES_ARCHIVE_NOTE in text
    assert text.count("Ngữ văn") == 1


def test_the_page_does_not_depend_on_the_order_of_the_input(markbook_input: MarkBookInput) -> None:
    a = _extra(markbook_input, date(2025, 10, 10), FIRST)
    b = _october(markbook_input)
    assert minutes_page_data(markbook_input, 10, [a, b]) == minutes_page_data(markbook_input, 10, [b, a])


def test_a_single_inspection_and_an_empty_month_keep_their_form(markbook_input: MarkBookInput) -> None:
    one = minutes_page_data(markbook_input, 10, [_october(markbook_input)])
    assert "layout" not in one and len(one["rows"]) == len(markbook_input.subjects)
    empty = minutes_page_data(markbook_input, 4, [])
    assert "layout" not in empty and empty["fields"][2] == ["Thời gian kiểm tra", "ngày …… tháng …… năm ……"]


def _stress(inp: MarkBookInput, count: int, rows: int, long: bool) -> list[Inspection]:
    words = "Giáo viên bộ môn còn chậm cập nhật điểm đánh giá thường xuyên ở nhiều lớp, cần khắc phục ngay. "
    return [
        _extra(inp, date(2025, 10, 1 + 2 * k), (words * (8 if long else 1)).strip(),
               (words * (6 if long else 1)).strip(), rows=rows)
        for k in range(count)
    ]


@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_every_shared_page_fits_one_page(markbook_input: MarkBookInput, paper: str) -> None:
    """Whatever the choice of the height model (several blocks or the latest + a list), the page never overflows."""
    cases = [(count, rows, long) for count in (2, 3, 4, 12) for rows in (6, 15, 18) for long in (False, True)]
    doc = build_markbook(markbook_input, PrintOptions(paper=paper))  # type: ignore[arg-type]
    template = next(p for p in doc.pages if p.kind == "inspection")
    pages = []
    layouts: set[str] = set()
    for count, rows, long in cases:
        data = minutes_page_data(markbook_input, 10, _stress(markbook_input, count, rows, long), paper)
        layouts.add(data["layout"])
        pages.append(replace(template, no=len(pages) + 1, data=data))
    assert layouts == {"several", "latest"}
    pdf = render_document("markbook", BookDocument(book=doc.book, pages=tuple(pages)))  # raises on an overflow
    for no, (smallest, outside) in enumerate(glyph_report(pdf), 1):
        assert smallest >= 6.99 and outside == 0, f"case {no}: {smallest:.2f} pt, {outside} glyphs off the page"


def test_long_cells_are_cut_and_noted(markbook_input: MarkBookInput) -> None:
    long_line = InspectionLine(subject="NV", teacher="Nguyễn Thị " + "Rất Dài " * 10, expected=92, entered=90,
                               note="Còn thiếu " * 20)
    a = replace(_extra(markbook_input, date(2025, 10, 3), FIRST), lines=(long_line,))
    page = minutes_page_data(markbook_input, 10, [a, _october(markbook_input)])
    row = page["sessions"][0]["rows"][0]
    assert row[2].endswith("…") and row[6].endswith("…") and page["note"] == MINUTES_ARCHIVE_NOTE
    assert minutes_page_data(markbook_input, 10, [a, _october(markbook_input)]) == page
