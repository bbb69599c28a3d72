"""Sổ đăng bộ: pagination, loading from the records, rendering, golden pages."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from layouts.register import (
    build_register,
    print_register,
    recorded_year,
    render_register,
)
from layouts.render import extract_page_texts
from records.books.register import parse_course, read_register
from records.errors import ValidationError
from records.models import EnrolmentStatus, Period, StudentResult
from records.permissions import Actor
from tests.factories import enrol, make_class, make_school, make_student, make_year
from tests.layouts.transcript_samples import LONG_ADDRESS, sample_register

READER = Actor.system("kiểm thử: đọc sổ")  # the installation may read every record


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def register_pdf() -> bytes:
    return render_register(build_register(sample_register()))


def test_parse_course() -> None:
    assert parse_course("2022-2026") == (2022, 2026)
    for bad in ("2022-2025", "2022", "khóa 1"):
        with pytest.raises(ValidationError):
            parse_course(bad)


def test_footer_year_follows_the_records_not_the_print_date() -> None:
    inp = sample_register(6)
    late = inp.__class__(**{**inp.__dict__, "printed_on": dt.date(2026, 10, 2)})  # printed in 2026-2027
    assert recorded_year(late) == "2025-2026" == build_register(late).book.year
    early = inp.__class__(**{**inp.__dict__, "lines": tuple(
        line.__class__(**{**line.__dict__, "tracks": line.tracks[:2]}) for line in inp.lines)})
    assert recorded_year(early) == "2023-2024"
    assert recorded_year(inp.__class__(**{**inp.__dict__, "lines": ()})) == "2022-2023"


def test_every_student_on_exactly_one_page_in_order(register_pdf: bytes) -> None:
    inp = sample_register()
    doc = build_register(inp)
    rows = [r for p in doc.pages if p.kind == "register-list" for r in p.data["rows"]]
    assert [r["number"] for r in rows] == [line.number for line in inp.lines]
    texts = [_squash(t) for t in extract_page_texts(register_pdf)]
    assert len(texts) == len(doc.pages) == doc.book.total_pages
    for page, text in zip(doc.pages, texts, strict=True):
        assert f"Trang {page.no}/{doc.book.total_pages}" in text
        assert "Tờ " not in text  # one numbering scheme: the book's pages
        if page.kind != "register-list":
            continue
        for row in page.data["rows"]:
            assert row["code"] in text
        others = [r["code"] for p in doc.pages if p is not page for r in p.data.get("rows", [])]
        assert not any(code in text for code in others)


def test_long_name_and_address_fit(register_pdf: bytes) -> None:
    text = " ".join(_squash(t) for t in extract_page_texts(register_pdf))
    assert "Tòng Thị Phương Thảo Nguyên Hoàng Quỳnh Hương" in text
    for n in (10, 99, 150):  # numbers from 10 up stay on one line
        assert f"{n}/THCS" in text
    assert "thị trấn Nông trường Mộc Châu" in text and "(gần chợ)" in text


def test_arrivals_departures_and_repeaters_are_shown(register_pdf: bytes) -> None:
    text = " ".join(_squash(t) for t in extract_page_texts(register_pdf))
    assert "Chuyển đi 12/01/2024" in text and "Trường THCS Quyết Thắng" in text
    assert "Trường PTDTBT THCS Tân Xuân" in text
    assert "Ở lại lớp" in text and "Lưu ban" in text


@pytest.mark.parametrize(("index", "name"), [(0, "register_cover"), (1, "register_list"), (-1, "register_closing")])
def test_golden_pages(golden, register_pdf: bytes, index: int, name: str) -> None:
    from layouts.render import page_count

    golden(name, register_pdf, index % page_count(register_pdf))


def test_from_records(session: Session) -> None:
    school = make_school(session, name="Trường THCS Tô Hiệu", principal_name="Hà Văn Thắng")
    other = make_school(session, name="Trường THCS Lóng Luông", external=True)
    y22, y23 = make_year(session, school, 2022), make_year(session, school, 2023)
    o22 = make_year(session, other, 2022)
    c6, c7 = make_class(session, y22, 6, "6A1"), make_class(session, y23, 7, "7A1")
    c6_other = make_class(session, o22, 6, "6B")
    stay = make_student(session, school, course="2022-2026", register_number="2/THCS", given_name="An",
                        current_address=LONG_ADDRESS)
    left = make_student(session, school, course="2022-2026", register_number="1/THCS", given_name="Bình")
    came = make_student(session, school, course="2022-2026", register_number="3/THCS", given_name="Chi",
                        entry_date=dt.date(2023, 9, 5))
    make_student(session, school, course="2021-2025", register_number="9/THCS")  # another course
    e = enrol(session, stay, c6)
    session.add(StudentResult(enrolment_id=e.id, period=Period.YEAR, regime="tt22", promotion="promoted",
                              overall_average=Decimal("7.0")))
    enrol(session, stay, c7)
    enrol(session, left, c6, status=EnrolmentStatus.TRANSFERRED_OUT, left_on=dt.date(2023, 2, 1),
          to_school="Trường THCS Lóng Luông")
    enrol(session, came, c6_other)
    enrol(session, came, c7, transferred_in=True, from_school="Trường THCS Lóng Luông")
    session.flush()
    for s in (stay, left, came):
        session.refresh(s)
    inp = read_register(session, READER, "2022-2026", printed_on=dt.date(2023, 9, 10))
    assert [line.number for line in inp.lines] == ["1/THCS", "2/THCS", "3/THCS"]
    by_number = {line.number: line for line in inp.lines}
    assert by_number["1/THCS"].left_on == dt.date(2023, 2, 1)
    assert "Trường THCS Lóng Luông" in by_number["1/THCS"].left_reason
    assert by_number["2/THCS"].tracks[0].outcome == "Lên lớp" and by_number["2/THCS"].tracks[1].outcome == "Đang học"
    came_line = by_number["3/THCS"]
    assert came_line.entry_from == "Trường THCS Lóng Luông" and came_line.entry_class == "7A1"
    assert came_line.tracks[0].school == "Trường THCS Lóng Luông"
    pdf = print_register(session, READER, "2022-2026", printed_on=dt.date(2023, 9, 10))
    text = " ".join(_squash(t) for t in extract_page_texts(pdf))
    assert "Chuyển đi 01/02/2023" in text and "Khóa học: 2022-2026" in text and "9/THCS" not in text


def test_the_list_is_paginated_by_the_shared_measuring_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """One mechanism (issue 9 item 6): the list is one flow of ``layouts.paginate``; its pages hold the
    lines in order, as many as each page's measured room takes."""
    from layouts import paginate, register

    flows: list[list[str]] = []
    real = paginate.measure

    def spy(template, book, fs):  # type: ignore[no-untyped-def]
        flows.append([f"{template}:{f.kind}:{len(f.data['rows'])}" for f in fs])
        return real(template, book, fs)

    monkeypatch.setattr(paginate, "measure", spy)
    inp = sample_register(45)
    doc = register.build_register(inp, paper="a4")
    assert flows == [["register:register-list:45"]]
    numbers = [r["number"] for p in doc.pages if p.kind == "register-list" for r in p.data["rows"]]
    assert numbers == [line.number for line in inp.lines]
