"""Học bạ on data that breaks layouts: the longest plausible name, place and address, a
guardian-only student, a year at another school, subject and homeroom comments at the longest the
records accept, a correction note naming six subjects; one- and two-sided, TT22 and TT26.

Every volume must print: a subject table or results page that does not fit continues on the next
page under the student block and the repeated column heads; every value is whole in the PDF
text; no glyph below 7 pt or off its page; two-sided, a year's last subject page faces its first
results page (verso, recto) and each year fills whole sheets."""

from __future__ import annotations

import re

import pytest

from layouts.render import extract_page_texts
from layouts.transcript import build_transcript, render_transcript
from tests.layouts.adversarial_tr import adversarial_transcript
from tests.layouts.pdf_glyphs import MIN_PT, page_glyphs

CASES = {
    "tt22-simplex": ({"comment_repeat": 2, "regime": "tt22"}, False),
    "tt22-duplex": ({"comment_repeat": 2, "regime": "tt22"}, True),
    "tt26-duplex-longest": ({"comment_repeat": 3, "regime": "tt26"}, True),
    "tt22-short-comments-duplex": ({"comment_repeat": 0, "regime": "tt22"}, True),
}


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module", params=sorted(CASES))
def volume(request: pytest.FixtureRequest):
    kwargs, duplex = CASES[request.param]
    inp = adversarial_transcript(**kwargs)
    doc = build_transcript(inp, volume=True, duplex=duplex)
    pdf = render_transcript(doc)  # raises LayoutOverflowError if a page ran over
    return inp, doc, pdf, [_squash(t) for t in extract_page_texts(pdf)]


def test_prints_with_every_value_whole(volume) -> None:
    inp, doc, _pdf, texts = volume
    assert len(texts) == len(doc.pages)
    ident = inp.identity
    identity_text = texts[[p.kind for p in doc.pages].index("transcript-identity")]
    for value in (ident.full_name, ident.place_of_birth, ident.current_address, ident.guardian_name,
                  ident.guardian_occupation, ident.policy_category):
        assert _squash(value) in identity_text, value
    for page, text in zip(doc.pages, texts, strict=True):
        if page.kind == "blank":
            continue
        assert f"Trang {page.no}/{doc.book.total_pages}" in text
        if page.kind in ("transcript-subjects", "transcript-results"):
            assert f"Họ và tên: {ident.full_name}" in text  # the student block on every page
            assert "Trường: Trường" not in text
        if page.kind == "transcript-subjects":
            for row in page.data["rows"]:
                assert row["name"] in text or all(w in text for w in row["name"].split())
                for teacher in row["teacher"].split(", "):
                    assert teacher in text
            if page.data["tail"]:
                assert page.data["corrections"] in text
        if page.kind == "transcript-results" and "comment" in page.data["units"]:
            assert _squash(page.data["homeroom_comment"]) in text


def test_every_subject_row_and_unit_printed_once(volume) -> None:
    inp, doc, _pdf, _texts = volume
    for year in inp.years:
        pages = [p for p in doc.pages if (p.data.get("head") or {}).get("year") == year.name]
        subjects = [r["name"] for p in pages if p.kind == "transcript-subjects" for r in p.data["rows"]]
        assert subjects == [s.name for s in year.subjects]
        assert sum(1 for p in pages if p.kind == "transcript-subjects" and p.data["tail"]) == 1
        units = [u for p in pages if p.kind == "transcript-results" for u in p.data["units"]]
        assert units == ["results", "lines", "comment", "homeroom", "approval"]


def test_no_glyph_below_7pt_or_off_the_page(volume) -> None:
    _inp, _doc, pdf, _texts = volume
    for page in page_glyphs(pdf):
        assert page.smallest >= MIN_PT and not page.small, page
        assert not page.outside, page


def test_two_sided_years_are_facing_pairs_on_their_own_sheets(volume) -> None:
    _inp, doc, _pdf, _texts = volume
    if not doc.book.duplex:
        assert all(p.kind != "blank" for p in doc.pages)
        return
    pages = list(doc.pages)
    for i, page in enumerate(pages):
        if page.kind == "transcript-results" and pages[i - 1].kind == "transcript-subjects":
            assert (pages[i - 1].side, page.side) == ("verso", "recto")
    starts = [i for i, p in enumerate(pages) if p.kind == "transcript-results" and pages[i - 1].kind != "transcript-results"]
    assert all(pages[i - 1].kind == "transcript-subjects" for i in starts)
    assert len(pages) % 2 == 0


def test_one_year_print_is_whole_sheets_with_the_books_numbers() -> None:
    inp = adversarial_transcript(comment_repeat=2)
    volume = build_transcript(inp, volume=True, duplex=True)
    for year in inp.years[1:]:
        one = build_transcript(inp, year=year.start_year, duplex=True)
        assert one.pages[0].side == "recto" and len(one.pages) % 2 == 0
        assert [p.no for p in one.pages] == [p.no for p in volume.pages if p in one.pages]
        assert one.book.total_pages == volume.book.total_pages


def test_every_field_at_the_longest_the_records_accept_still_prints() -> None:
    """Personal data at their column lengths, comments at ``records.services.limits``: the identity
    page continues on a second page, the subject rows spread over pages, nothing is cut."""
    import dataclasses

    from records.services.limits import HOMEROOM_COMMENT_MAX, SUBJECT_COMMENT_MAX

    def fill(text: str, n: int) -> str:
        return (text * (n // len(text) + 1))[:n].strip()

    inp = adversarial_transcript()
    ident = dataclasses.replace(
        inp.identity, full_name=fill("Công Tằng Tôn Nữ Phương Thảo ", 182), ethnicity=fill("Xinh Mun ", 40),
        place_of_birth=fill("Bệnh viện Đa khoa khu vực Chiềng Khoong, ", 200),
        current_address=fill("Số nhà 123, ngõ 45/67, đường Nguyễn Văn Cừ, ", 300),
        policy_category=fill("Con hộ nghèo; ", 120), father_name=fill("Lò Văn Thành ", 120),
        father_occupation=fill("Làm ruộng kết hợp buôn bán ", 120), mother_name=fill("Quàng Thị Ơn ", 120),
        mother_occupation=fill("Buôn bán nhỏ tại chợ ", 120), guardian_name=fill("Lường Văn Ước ", 120),
        guardian_occupation=fill("Lao động tự do ", 120))
    years = tuple(dataclasses.replace(
        y, homeroom_comment=fill("Ngoan, lễ phép với thầy cô. ", HOMEROOM_COMMENT_MAX),
        subjects=tuple(dataclasses.replace(s, comment=fill("Có tiến bộ rõ rệt trong học kì II. ", SUBJECT_COMMENT_MAX))
                       for s in y.subjects)) for y in inp.years[:2])
    inp = dataclasses.replace(inp, identity=ident, years=years)
    doc = build_transcript(inp, volume=True, duplex=True)
    pdf = render_transcript(doc)
    texts = [_squash(t) for t in extract_page_texts(pdf)]
    assert [p.kind for p in doc.pages].count("transcript-identity") == 2
    identity = " ".join(t for p, t in zip(doc.pages, texts, strict=True) if p.kind == "transcript-identity")
    for value in (ident.full_name, ident.place_of_birth, ident.current_address, ident.guardian_occupation):
        assert value in identity
    results = " ".join(t for p, t in zip(doc.pages, texts, strict=True) if p.kind == "transcript-results")
    assert years[0].homeroom_comment in results
    assert min(g.smallest for g in page_glyphs(pdf)) >= MIN_PT


def test_copy_papers_of_a_school_with_the_longest_name_stay_at_7pt_or_more() -> None:
    """The headers of the copy-issuance papers (``fit-line``) set a long agency or school name smaller
    to keep it on one line, but never below 7 pt: a name at the 200 characters the records accept wraps."""
    import datetime as dt

    from layouts.copies import CopyPapers, build_copy_papers
    from layouts.render import render_document

    school = ("Trường Phổ thông dân tộc bán trú Trung học cơ sở và Trung học phổ thông liên xã Chiềng Khoong - "
              "Mường Cai - Nậm Ty - Huổi Một - Chiềng En, huyện Sông Mã, tỉnh Sơn La")[:200]
    agency = "Phòng Giáo dục và Đào tạo huyện Sông Mã, tỉnh Sơn La (Ủy ban nhân dân huyện Sông Mã)"
    name = adversarial_transcript().identity.full_name
    papers = CopyPapers(
        number="01/2026/BSHB", school=school, agency=agency, district="Sông Mã", province="Sơn La",
        principal="Công Tằng Tôn Nữ Khánh Huyền", clerk="Lò Thị Hương Giang", requester="Lường Văn Ước",
        relation="Cha", id_document="CCCD 014090001234", address="Bản Huổi Một, xã Chiềng Khoong",
        reason="Học bạ bị mất do lũ quét", received_on=dt.date(2026, 3, 2), student=name,
        date_of_birth=dt.date(2011, 3, 14), years="2022-2023 đến 2025-2026 (lớp 6A1 – 9A4)", class_name="9A4",
        register_number="1234/THCS", issued_on=dt.date(2026, 3, 9), copy_code="HB-7K2Q-9XW4", copy_pages=28)
    pdf = render_document("copies", build_copy_papers(papers))
    assert min(g.smallest for g in page_glyphs(pdf)) >= MIN_PT
    text = _squash(" ".join(extract_page_texts(pdf)))
    assert _squash(school.upper()) in text and _squash(agency.upper()) in text


def test_a_grade_with_more_subjects_than_a_page_holds_continues_under_the_repeated_heads() -> None:
    """The subject table has one row per subject of the grade and no reserved rows (decision D-TR-1):
    45 subjects with long comments continue on the next pages under the student block and the column
    heads, in order, none dropped, every comment whole, the correction note and confirmations once,
    after the last subject; nothing below 7 pt or off its page."""
    import dataclasses

    inp = adversarial_transcript(comment_repeat=1, years=1)
    year = inp.years[0]
    subjects = tuple(dataclasses.replace(year.subjects[i % len(year.subjects)], name=f"Môn học thứ {i + 1:02d}")
                     for i in range(45))
    inp = dataclasses.replace(inp, years=(dataclasses.replace(year, subjects=subjects),))
    doc = build_transcript(inp, year=year.start_year)
    pdf = render_transcript(doc)
    texts = [_squash(t) for t in extract_page_texts(pdf)]
    pages = [(p, t) for p, t in zip(doc.pages, texts, strict=True) if p.kind == "transcript-subjects"]
    assert len(pages) >= 4
    printed = [n for _p, t in pages for n in re.findall(r"Môn học thứ \d\d", t)]
    assert printed == [s.name for s in subjects]
    for page, text in pages:
        assert f"Họ và tên: {inp.identity.full_name}" in text and "KẾT QUẢ HỌC TẬP LỚP 6" in text
        assert "Môn học/Hoạt động giáo dục" in text and "Cả năm" in text
        assert ("Trong bảng này có sửa chữa" in text) == (page is pages[-1][0])
        for row in page.data["rows"]:
            assert _squash(row["comment"]) in text
    for glyphs in page_glyphs(pdf):  # the longest names, places, occupations, 45 comments: >= 7 pt, on the page
        assert glyphs.smallest >= MIN_PT and not glyphs.small and not glyphs.outside, glyphs
