"""Defects seen on printed mark-book pages (issue 9), each pinned by a test."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

import pypdfium2 as pdfium
import pytest

from layouts.documents import BookDocument
from layouts.markbook import (
    CORRECTION_MARK,
    Inspection,
    MarkBookInput,
    PrintOptions,
    YearOutcome,
    build_markbook,
    minutes_page_data,
)
from layouts.render import render_document
from records.books.markbook import decision_label
from records.rules import Promotion, ruleset
from tests.layouts.adversarial import GUARDIAN_ONLY, adversarial_markbook_input
from tests.layouts.factories import make_markbook_input


@cache
def _book() -> tuple[MarkBookInput, BookDocument, bytes]:
    inp = adversarial_markbook_input(45)
    doc = build_markbook(inp, PrintOptions(part="year"))
    return inp, doc, render_document("markbook", doc)


def _page(doc: BookDocument, kind: str, **match: Any) -> tuple[int, Any]:
    for i, p in enumerate(doc.pages):
        if p.kind == kind and all(p.data.get(k) == v for k, v in match.items()):
            return i, p
    raise AssertionError(f"no {kind} page")


def _baseline(pdf: bytes, index: int, needle: str) -> float:
    """Baseline of the first character of ``needle`` on a page (pt from the bottom edge)."""
    import ctypes

    from pypdfium2 import raw

    doc = pdfium.PdfDocument(pdf)
    tp = doc[index].get_textpage()
    hit = tp.search(needle, match_case=True).get_next()
    assert hit is not None, needle
    x, y = ctypes.c_double(), ctypes.c_double()
    raw.FPDFText_GetCharOrigin(tp.raw, hit[0], ctypes.byref(x), ctypes.byref(y))
    return round(y.value, 1)


def test_reassessment_list_names_the_subjects() -> None:
    base = make_markbook_input(3)
    no = base.students[5].no
    # the decision without recorded re-assessments: the subjects come from the year results below 5,0
    marks = tuple(replace(m, year_average=Decimal("4.2")) if (m.student_no, m.subject, m.term) == (no, "TOAN", 2)
                  else m for m in base.marks)
    outcomes = tuple(o for o in base.outcomes if o.student_no != no) + (YearOutcome(no, "Kiểm tra lại"),)
    doc = build_markbook(replace(base, marks=marks, outcomes=outcomes))
    lists = next(p for p in doc.pages if p.kind == "results").data["lists"]
    items = next(lst["items"] for lst in lists if lst["title"].startswith("Học sinh phải kiểm tra lại"))
    mine = next(it for it in items if it.startswith(f"{no}. "))
    assert "Toán: …" in mine and not mine.rstrip().endswith("—")
    assert all(" — " in it and not it.rstrip().endswith("—") for it in items)


def test_results_lists_leave_room_for_stacked_diacritics() -> None:
    _inp, doc, pdf = _book()
    i, page = _page(doc, "results")
    items = [it for lst in page.data["lists"] for it in lst["items"] if it != "Không có."]
    first, second = items[0], items[1]
    pitch = _baseline(pdf, i, first[:12]) - _baseline(pdf, i, second[:12])
    size = 8.5  # A4 base size of the page
    assert pitch >= 1.6 * size, f"lines {pitch:.1f} pt apart"


def test_legend_gives_each_meaning_its_own_symbol() -> None:
    _inp, doc, _pdf = _book()
    for page in doc.pages:
        if page.kind != "summary":
            continue
        legend = page.data["legend"]
        assert legend.count("K:") == 1 and "K: Khá" in legend
        assert "không phép" not in legend
        labels = [c for c in page.data["columns"] if c["label"] == "Số ngày nghỉ"]
        assert labels and labels[0]["sub"] == ["Có phép", "Không phép"]


@pytest.mark.parametrize("kind", ["summary", "results"])
def test_signature_names_stand_at_one_height(kind: str) -> None:
    inp, doc, pdf = _book()
    i, _ = _page(doc, kind)
    assert _baseline(pdf, i, inp.homeroom_teacher) == _baseline(pdf, i, inp.principal)


def test_roll_prints_the_guardian_when_there_are_no_parents() -> None:
    inp = adversarial_markbook_input(45)
    doc = build_markbook(inp, PrintOptions(part="term1"))
    rows = {r["no"]: r for p in doc.pages if p.kind == "roll" for r in p.data["rows"]}
    for no in GUARDIAN_ONLY:
        s = inp.students[no - 1]
        assert rows[str(no)]["cells"][5] == f"Người giám hộ: {s.guardian}, {s.guardian_job}"


def test_a_corrected_mark_shows_the_correction_mark() -> None:
    base = make_markbook_input(1)
    target = next(m for m in base.marks if m.subject == "TOAN" and m.term == 1 and m.student_no == 2)
    fixed = replace(target, corrected=(("tx", 1),))
    inp = replace(base, marks=tuple(fixed if m is target else m for m in base.marks))
    doc = build_markbook(inp, PrintOptions(part="term1"))
    page = next(p for p in doc.pages if p.kind == "marks" and p.data["subject"] == "Toán")
    row = next(r for r in page.data["rows"] if r["no"] == "2")
    tx = dict(target.marks)["tx"]
    assert row["cells"][1].endswith(CORRECTION_MARK) and row["cells"][1][:-1] == str(tx[1]).replace(".", ",")
    assert sum(c.endswith(CORRECTION_MARK) for r in page.data["rows"] for c in r["cells"]) == 1
    assert "(*): điểm đã sửa" in page.data["legend"]
    other = next(p for p in doc.pages if p.kind == "marks" and p.data["subject"] == "Ngữ văn")
    assert "(*)" not in other.data["legend"]
    pdf = render_document("markbook", doc)
    text = pdfium.PdfDocument(pdf)[doc.pages.index(page)].get_textpage().get_text_range()
    assert row["cells"][1] in text


def test_one_spelling_of_ki() -> None:
    _inp, doc, _pdf = _book()
    full = build_markbook(adversarial_markbook_input(45))
    text = json.dumps([p.data for p in (*doc.pages, *full.pages)], ensure_ascii=False)
    assert "kỳ" not in text.lower() and "HỌC KÌ I" in text


def test_minutes_write_the_month_without_a_leading_zero() -> None:
    base = make_markbook_input(1)
    insp = Inspection(month=5, held_on=date(2026, 5, 5), inspectors=(("Nguyễn Văn Hiệu", "Hiệu trưởng"),))
    assert minutes_page_data(base, 5, [insp])["place_date"] == "Vân Hồ, ngày 05 tháng 5 năm 2026"
    feb = replace(insp, month=2, held_on=date(2026, 2, 27))
    assert minutes_page_data(base, 2, [feb])["place_date"] == "Vân Hồ, ngày 27 tháng 02 năm 2026"


@pytest.mark.parametrize(("regime", "wording"), [
    ("tt22", "Hoàn thành chương trình THCS"),
    ("tt26", "Được xét công nhận tốt nghiệp THCS"),
    ("tt58", "Được xét công nhận tốt nghiệp THCS"),
])
def test_grade_9_wording_is_the_transcripts(regime: str, wording: str) -> None:
    """D-LBL-2: one wording, from the regime's vocabulary (``Ruleset.promotion_label``)."""
    assert ruleset(regime).promotion_label(Promotion.PROMOTED, grade=9) == wording
    assert decision_label("promoted", 9, regime) == wording
    base = make_markbook_input(1, regime=regime)
    outcomes = tuple(replace(o, decision=wording) if o.decision == "Lên lớp" else o for o in base.outcomes)
    doc = build_markbook(replace(base, outcomes=outcomes))
    lists = next(p for p in doc.pages if p.kind == "results").data["lists"]
    assert lists[0]["title"] == "Học sinh " + wording[0].lower() + wording[1:]
    assert lists[0]["items"] == [f"Tổng số: {sum(o.decision == wording for o in outcomes)} học sinh."]


def test_transcript_uses_the_same_grade_9_wording() -> None:
    from layouts.transcript import decision_text

    for regime in ("tt22", "tt26"):
        rec = type("Y", (), {"final_promotion": None, "promotion": "promoted", "grade": 9, "regime": regime})()
        assert decision_text(rec) == ruleset(regime).promotion_label(Promotion.PROMOTED, grade=9)  # type: ignore[arg-type]


