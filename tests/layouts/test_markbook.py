"""The class mark book: page plan, partial prints, text on the right page and row, golden pages."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from layouts.documents import SCHEMA_VERSION
from layouts.errors import RenderError
from layouts.markbook import (
    MarkBookInput,
    PrintOptions,
    build_markbook,
    format_average,
    format_mark,
    render_markbook,
)
from layouts.render import page_count
from tests.layouts.factories import LONG_NAME, make_markbook_input

STUDENT_PAGES = ("roll", "attendance", "marks", "summary")


# --- formatting ---------------------------------------------------------------------------------

def test_mark_formatting() -> None:
    assert format_mark(Decimal("7.5")) == "7,5"
    assert format_mark(Decimal(10)) == "10"
    assert format_mark("CĐ") == "CĐ"
    assert format_average(Decimal("7.25")) == "7,3"
    assert format_average(Decimal(8)) == "8,0"
    assert format_mark(None) == format_average(None) == ""


# --- the document ---------------------------------------------------------------------------------

def test_document_is_plain_json_with_string_data(markbook_input: MarkBookInput) -> None:
    doc = build_markbook(markbook_input)
    data = json.loads(doc.to_json())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["book"]["total_pages"] == len(data["pages"])
    assert [p["no"] for p in data["pages"]] == list(range(1, len(data["pages"]) + 1))

    def strings_only(x: Any) -> bool:
        if isinstance(x, dict):
            return all(isinstance(k, str) and strings_only(v) for k, v in x.items())
        if isinstance(x, list):
            return all(strings_only(v) for v in x)
        return isinstance(x, str)

    assert all(strings_only(p["data"]) for p in data["pages"])


def test_book_order_and_titles(markbook_input: MarkBookInput) -> None:
    doc = build_markbook(markbook_input)
    kinds = [p.kind for p in doc.pages]
    assert kinds[:3] == ["cover", "certification", "class_info"]
    assert kinds[-1] == "certification"
    assert kinds.count("marks") == 2 * len(markbook_input.subjects)
    assert kinds.count("attendance") == 2 * 9  # A4: each month on two pages
    assert kinds.count("inspection") == 9
    assert doc.pages[0].data["title"] == "SỔ THEO DÕI VÀ ĐÁNH GIÁ HỌC SINH"
    assert f"Sổ này có {len(doc.pages)} trang" in doc.pages[1].data["text"]
    old = build_markbook(make_markbook_input(1, regime="tt58"))
    assert old.pages[0].data["title"] == "SỔ GỌI TÊN VÀ GHI ĐIỂM"
    labels = [c["label"] for c in next(p for p in old.pages if p.kind == "marks").data["columns"]]
    assert labels[:3] == ["Hệ số 1", "Hệ số 2", "KT HK"]


def test_every_mark_page_has_its_teachers_signature_block(markbook_input: MarkBookInput) -> None:
    doc = build_markbook(markbook_input)
    for subj in markbook_input.subjects:
        for term, teachers in ((1, subj.teachers_term1), (2, subj.teachers_term2)):
            page = next(p for p in doc.pages if p.kind == "marks" and p.data["subject"] == subj.name
                        and p.data["term"] == ("HỌC KÌ I" if term == 1 else "HỌC KÌ II"))
            sigs = page.data["signatures"]
            assert [s["name"] for s in sigs if s["title"] == "Giáo viên bộ môn"] == list(teachers)
            assert {"title": "Giáo viên chủ nhiệm", "name": markbook_input.homeroom_teacher} in sigs


def test_transferred_students_keep_their_rows(markbook_input: MarkBookInput) -> None:
    doc = build_markbook(markbook_input)
    out = next(s for s in markbook_input.students if s.status == "transferred_out")
    came = next(s for s in markbook_input.students if s.status == "transferred_in")
    assert came.no == len(markbook_input.students) == 46
    for page in doc.pages:
        if page.kind in ("attendance", "marks", "summary"):
            rows = {r["no"]: r for r in page.data["rows"]}
            assert rows[str(out.no)]["status"] == "transferred_out"
            assert rows[str(out.no)]["note"] == "Chuyển đi 12/01/2026"
            assert rows[str(came.no)]["note"] == "Chuyển đến 19/01/2026"


@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_partial_prints_bind_into_the_full_book(markbook_input: MarkBookInput, paper: str) -> None:
    full = build_markbook(markbook_input, PrintOptions(paper=paper, duplex=True))  # type: ignore[arg-type]
    t1 = build_markbook(markbook_input, PrintOptions(paper=paper, duplex=True, part="term1"))  # type: ignore[arg-type]
    yr = build_markbook(markbook_input, PrintOptions(paper=paper, duplex=True, part="year"))  # type: ignore[arg-type]
    assert t1.book.total_pages == yr.book.total_pages == full.book.total_pages == len(full.pages)
    nos1, nos2 = {p.no for p in t1.pages}, {p.no for p in yr.pages}
    assert not nos1 & nos2 and nos1 | nos2 == {p.no for p in full.pages}
    # a sheet (recto n, verso n+1) never carries pages of both print runs
    for p in full.pages:
        if p.side == "recto" and p.no < len(full.pages):
            assert full.pages[p.no].part == p.part, f"sheet of pages {p.no}-{p.no + 1} mixes print runs"
    assert all(p.data["term"] == "HỌC KÌ I" for p in t1.pages if p.kind == "marks")
    # two-sided: every section starts on a recto (blank versos before it), but a month's attendance on
    # A4 is a spread that starts on a verso (a blank recto before it)
    for p in full.pages:
        if p.kind == "blank" and p.side == "recto":
            assert paper == "a4" and full.pages[p.no].kind == "attendance", p.no
    assert len(full.pages) % 2 == 0


def test_sides_alternate_only_when_two_sided(markbook_input: MarkBookInput) -> None:
    one = build_markbook(markbook_input)
    two = build_markbook(markbook_input, PrintOptions(duplex=True))
    assert {p.side for p in one.pages} == {"recto"} and not any(p.kind == "blank" for p in one.pages)
    assert all(p.side == ("recto" if p.no % 2 else "verso") for p in two.pages)


# --- rendering ------------------------------------------------------------------------------------

@pytest.mark.parametrize("paper", ["a4", "a3"])
@pytest.mark.parametrize("duplex", [False, True])
def test_every_page_renders_as_one_page(rendered_books: Callable[..., Any], paper: str, duplex: bool) -> None:
    book = rendered_books(paper, duplex)
    assert page_count(book.pdf) == len(book.doc.pages)


def test_partial_print_renders(rendered_books: Callable[..., Any]) -> None:
    book = rendered_books("a4", True, "term1")
    assert page_count(book.pdf) == len(book.doc.pages)


def test_tt58_book_renders(rendered_books: Callable[..., Any]) -> None:
    book = rendered_books("a4", False, "all", "tt58")
    assert page_count(book.pdf) == len(book.doc.pages)


def test_unprintable_character_fails(markbook_input: MarkBookInput) -> None:
    bad = replace(markbook_input, students=(replace(markbook_input.students[0], full_name="Nguyễn Văn 丁"),)
                  + markbook_input.students[1:])
    with pytest.raises(RenderError):
        render_markbook(bad)


def _norm(s: str) -> list[str]:
    return s.split()


@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_each_row_shows_exactly_its_data(
    rendered_books: Callable[..., Any], row_text: Callable[..., str], paper: str
) -> None:
    """Every student's name, marks, averages, absences and results appear in the student's row on
    the page where they belong, and nothing else does."""
    book = rendered_books(paper, False)
    checked = 0
    for i, page in enumerate(book.doc.pages):
        if page.kind not in ("attendance", "marks", "summary"):
            continue
        for row in page.data["rows"]:
            margins = (24, 13) if paper == "a3" else (19, 11)  # inner / outer, one-sided: binding on the left
            text = row_text(book.pdf, i, row["name"], row["note"], margins)
            assert text, f"page {page.no}: {row['name']} not found"
            expected = Counter(_norm(" ".join([row["no"], row["name"], row["note"], *row["cells"]])))
            assert Counter(_norm(text)) == expected, f"page {page.no} ({page.kind}), row {row['no']}"
            checked += 1
    assert checked > 1500


def test_names_and_personal_data_on_roll_pages(
    rendered_books: Callable[..., Any], page_texts: Callable[[bytes], list[str]], markbook_input: MarkBookInput
) -> None:
    book = rendered_books("a4", False)
    texts = page_texts(book.pdf)
    roll_pages = [i for i, p in enumerate(book.doc.pages) if p.kind == "roll"]
    flat = {i: re.sub(r"\s+", "", texts[i]) for i in roll_pages}
    for s in markbook_input.students:
        where = [i for i in roll_pages if s.full_name.replace(" ", "") in flat[i]]
        assert len(where) == 1, s.full_name
        assert s.address.replace(" ", "") in flat[where[0]], s.address
    assert any(LONG_NAME.replace(" ", "") in t for t in flat.values())


def test_nothing_from_another_class_leaks(
    rendered_books: Callable[..., Any], page_texts: Callable[[bytes], list[str]], markbook_input: MarkBookInput
) -> None:
    other = make_markbook_input(99, class_name="8B2")
    ours = json.dumps(build_markbook(markbook_input).to_dict(), ensure_ascii=False)
    foreign = [s.full_name for s in other.students if s.full_name not in ours]
    assert foreign
    text = "\n".join(page_texts(rendered_books("a4", False).pdf))
    assert not [n for n in foreign if n in text]
    assert "8B2" not in text


def test_footer_numbers_follow_the_full_book(
    rendered_books: Callable[..., Any], page_texts: Callable[[bytes], list[str]]
) -> None:
    book = rendered_books("a4", True, "term1")
    total = book.doc.book.total_pages
    for page, text in zip(book.doc.pages, page_texts(book.pdf)):
        assert f"Trang {page.no}/{total}" in text
        assert "Trường THCS Tô Hiệu — Lớp 9A1 — Năm học 2025-2026" in text


# --- golden pages ---------------------------------------------------------------------------------

GOLDEN_PAGES = [
    # (name, paper, duplex, kind, nth)
    ("markbook_a4_cover", "a4", False, "cover", 0),
    ("markbook_a4_certification", "a4", False, "certification", 0),
    ("markbook_a4_class_info", "a4", False, "class_info", 0),
    ("markbook_a4_roll", "a4", False, "roll", 0),
    ("markbook_a4_attendance_left", "a4", False, "attendance", 0),
    ("markbook_a4_attendance_right", "a4", False, "attendance", 1),
    ("markbook_a4_marks_score", "a4", False, "marks", 16),
    ("markbook_a4_marks_comment", "a4", False, "marks", 25),
    ("markbook_a4_summary_year", "a4", False, "summary", 2),
    ("markbook_a4_results", "a4", False, "results", 0),
    ("markbook_a4_inspection", "a4", False, "inspection", 0),
    ("markbook_a4_duplex_verso_marks", "a4", True, "marks", 1),
    ("markbook_a4_duplex_blank", "a4", True, "blank", 0),
    ("markbook_a3_cover", "a3", False, "cover", 0),
    ("markbook_a3_attendance", "a3", False, "attendance", 4),
    ("markbook_a3_marks_score", "a3", False, "marks", 0),
    ("markbook_a3_summary", "a3", False, "summary", 0),
    ("markbook_a3_inspection", "a3", False, "inspection", 3),
]


@pytest.mark.parametrize(("name", "paper", "duplex", "kind", "nth"), GOLDEN_PAGES, ids=[g[0] for g in GOLDEN_PAGES])
def test_golden_pages(
    rendered_books: Callable[..., Any], golden: Callable[[str, bytes, int], None],
    name: str, paper: str, duplex: bool, kind: str, nth: int,
) -> None:
    book = rendered_books(paper, duplex)
    golden(name, book.pdf, book.index(kind, nth))


def test_a4_attendance_halves_face_each_other_with_equal_rows(
    rendered_books: Callable[..., Any], row_text: Callable[..., str]
) -> None:
    """Two-sided A4: days 1–16 on a verso, days 17–end on the facing recto; the same students in rows
    of the same heights, so a row reads straight across the spread."""
    import pypdfium2 as pdfium

    book = rendered_books("a4", True)
    att = [p for p in book.doc.pages if p.kind == "attendance"]
    assert len(att) % 2 == 0
    pdf = pdfium.PdfDocument(book.pdf)
    for left, right in zip(att[::2], att[1::2], strict=True):
        assert (left.data["half"], right.data["half"]) == ("1/2", "2/2")
        assert (left.side, right.side) == ("verso", "recto") and right.no == left.no + 1
        assert [r["no"] for r in left.data["rows"]] == [r["no"] for r in right.data["rows"]]
        tops = []
        for page in (left, right):
            tp = pdf[page.no - 1].get_textpage()
            ys = []
            for r in page.data["rows"]:
                i, _n = tp.search(r["name"], match_case=True).get_next()
                ys.append(round(tp.get_charbox(i)[3], 1))
            tops.append(ys)
        assert tops[0] == tops[1], f"rows of pages {left.no}/{right.no} are not level"
