"""Học bạ THCS: document construction, loading from the records, rendering, golden pages."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from layouts.render import extract_page_texts
from layouts.transcript import (
    CorrectionNote,
    build_transcript,
    decision_text,
    fmt_result,
    print_transcript,
    render_transcript,
)
from records.books.transcript import read_transcript
from records.errors import NotFoundError, ValidationError
from records.models import (
    Enrolment,
    EnrolmentStatus,
    HomeroomComment,
    Period,
    SchoolYear,
    StudentResult,
    SubjectComment,
    SubjectResult,
)
from records.permissions import Actor
from tests.factories import enrol, make_class, make_school, make_student, make_user, make_year
from tests.layouts.transcript_samples import mixed_input, sample_input

READER = Actor.system("kiểm thử: đọc sổ")  # the installation may read every record


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def mixed_pdf() -> bytes:
    return render_transcript(build_transcript(mixed_input(), volume=True, duplex=True, copy=True))


# --- pure construction -------------------------------------------------------------------------


def test_fmt_result_uses_decimal_comma_and_comment_grades() -> None:
    assert fmt_result(Decimal("7.25").quantize(Decimal("0.1"))) in ("7,2", "7,3")
    assert fmt_result(Decimal(8)) == "8,0"
    assert fmt_result("CĐ") == "CĐ"
    assert fmt_result(None) == ""


def test_volume_simplex_pages_in_order() -> None:
    doc = build_transcript(sample_input(years=4), volume=True)
    kinds = [p.kind for p in doc.pages]
    assert kinds[:2] == ["transcript-cover", "transcript-identity"]
    assert kinds[2:] == ["transcript-subjects", "transcript-results"] * 4
    assert [p.no for p in doc.pages] == list(range(1, 11))
    assert doc.book.total_pages == 10 and all(p.side == "recto" for p in doc.pages)


def test_duplex_a_year_is_a_facing_pair_on_sheets_of_its_own() -> None:
    """Two-sided: the subject page is a verso and the results page the recto facing it (not the
    back of the same sheet); every section fills whole sheets, so each year's print binds."""
    doc = build_transcript(mixed_input(), volume=True, duplex=True)
    pages = list(doc.pages)
    for page in pages:
        assert page.side == ("recto" if page.no % 2 else "verso")
    assert [p.kind for p in pages][:4] == ["transcript-cover", "blank", "transcript-identity", "blank"]
    for i, page in enumerate(pages):
        if page.kind == "transcript-results" and pages[i - 1].kind == "transcript-subjects":
            assert pages[i - 1].side == "verso" and page.side == "recto"
    years = [p.data["head"]["year"] for p in pages if p.kind == "transcript-results"]
    assert len(years) == 5
    for year in years:
        numbers = [p.no for p in pages if (p.data.get("head") or p.data.get("foot") or {}).get("year") == year]
        assert numbers[0] % 2 == 1 and len(numbers) % 2 == 0, (year, numbers)
    assert doc.book.total_pages == len(pages) == 4 + 5 * 4


def test_footer_names_the_year_of_the_page() -> None:
    """Not "Năm học 2020-2025" on a volume: front pages carry the first year, year pages their own."""
    doc = build_transcript(mixed_input(), volume=True, duplex=True)
    texts = [_squash(t) for t in extract_page_texts(render_transcript(doc))]
    for page, text in zip(doc.pages, texts, strict=True):
        facts = page.data.get("head") or page.data.get("foot")
        assert f"Năm học {facts['year']} — Trang {page.no}/" in text
        assert "2020-2025" not in text
    assert "Lớp 6A1 — Năm học 2020-2021 — Trang 1/" in texts[0]


def test_single_year_keeps_full_book_numbers() -> None:
    inp = sample_input(years=2)  # grades 6 and 7 so far; 8 and 9 still to come
    doc = build_transcript(inp, year="2022-2023")
    assert [(p.no, p.kind) for p in doc.pages] == [(5, "transcript-subjects"), (6, "transcript-results")]
    assert doc.book.total_pages == 10  # the planned complete book
    first = build_transcript(inp, year=2021)
    assert [p.kind for p in first.pages][:2] == ["transcript-cover", "transcript-identity"]
    copy = build_transcript(inp, year=2022, copy=True)
    assert copy.pages[0].kind == "transcript-cover" and copy.pages[0].data["copy"] == "BẢN SAO"
    with pytest.raises(NotFoundError):
        build_transcript(inp, year=2019)
    with pytest.raises(ValidationError):
        build_transcript(inp, year="năm ngoái")


def test_every_page_after_page_one_repeats_the_student_block() -> None:
    doc = build_transcript(mixed_input(), volume=True)
    for page in doc.pages[2:]:
        head = page.data["head"]
        assert set(head) == {"name", "school", "school_short", "district", "province", "class", "year"}
        assert head["name"] == "Lò Thị Hương Giang"


def test_labels_follow_each_years_regulation() -> None:
    doc = build_transcript(mixed_input(), volume=True)
    results = {p.data["head"]["year"]: p.data for p in doc.pages if p.kind == "transcript-results"}
    assert results["2020-2021"]["labels"] == {"conduct": "Hạnh kiểm", "learning": "Học lực"}
    assert results["2021-2022"]["labels"] == {"conduct": "Kết quả rèn luyện", "learning": "Kết quả học tập"}


def test_decision_wording_per_regime_and_grade() -> None:
    inp = mixed_input()
    tt26_repeat, tt22_six, *_rest, tt22_nine = inp.years
    assert decision_text(tt26_repeat) == "Không được lên lớp"
    assert decision_text(tt22_six) == "Được lên lớp"
    assert decision_text(tt22_nine) == "Hoàn thành chương trình THCS"
    tt26_nine = tt22_nine.__class__(**{**tt22_nine.__dict__, "regime": "tt26"})
    assert decision_text(tt26_nine) == "Được xét công nhận tốt nghiệp THCS"  # as the mark book words it


def test_correction_note_text() -> None:
    doc = build_transcript(mixed_input(), volume=True)
    notes = {p.data["head"]["year"]: p.data["corrections"] for p in doc.pages if p.kind == "transcript-subjects"}
    assert notes["2021-2022"] == (
        "Trong bảng này có sửa chữa ở: 2 chỗ, thuộc các môn học: Toán, Khoa học tự nhiên."
    )
    assert notes["2020-2021"] == "Trong bảng này có sửa chữa ở: 0 chỗ, thuộc các môn học: không."


# --- rendering: text on the right page -----------------------------------------------------------


def test_rendered_pages_match_the_document(mixed_pdf: bytes) -> None:
    doc = build_transcript(mixed_input(), volume=True, duplex=True, copy=True)
    texts = [_squash(t) for t in extract_page_texts(mixed_pdf)]
    assert len(texts) == len(doc.pages)
    assert "BẢN SAO" in texts[0] and "Số sổ đăng bộ PCGD: 7/THCS" in texts[0]
    assert "Thông tư số 22/2021/TT-BGDĐT" in texts[0]
    assert "Quá trình học tập".lower() not in texts[2].lower()
    for page, text in zip(doc.pages, texts, strict=True):
        assert f"Trang {page.no}/{doc.book.total_pages}" in text
        assert "Trường: Trường" not in text
        if page.kind == "transcript-subjects":
            head = page.data["head"]
            for key in ("name", "school", "district", "province", "class", "year"):
                assert head[key] in text
            for row in page.data["rows"]:
                # pdfium may interleave a wrapped cell with its neighbour: check word by word then.
                assert row["name"] in text or all(w in text for w in row["name"].split()), row["name"]
                for key in ("t1", "t2", "cn"):
                    assert row[key] in text
            assert page.data["corrections"] in text
        if page.kind == "transcript-results":
            for label in page.data["labels"].values():
                assert label in text
            for period, conduct, learning in page.data["results"]:
                assert re.search(rf"{period} {conduct} {learning}", text), (period, text)


def test_year_at_another_school_prints_that_school(mixed_pdf: bytes) -> None:
    texts = [_squash(t) for t in extract_page_texts(mixed_pdf)]
    year_2022 = [t for t in texts if "Năm học: 2022-2023" in t]
    assert len(year_2022) == 2
    for text in year_2022:
        assert "Trường PTDTBT THCS Tân Xuân" in text and "Huyện: Vân Hồ" in text


def test_tt26_and_tt22_years_in_one_volume(mixed_pdf: bytes) -> None:
    texts = [_squash(t) for t in extract_page_texts(mixed_pdf)]
    (tt26,) = [t for t in texts if "Năm học: 2020-2021" in t and "Hạnh kiểm" in t]
    (tt22,) = [t for t in texts if "Năm học: 2021-2022" in t and "Kết quả rèn luyện" in t]
    assert "Học lực" in tt26 and "Yếu" in tt26 and "Không được lên lớp" in tt26
    assert "Kết quả học tập" in tt22 and "Tốt" in tt22 and "Giỏi" not in tt22.replace("Học sinh Giỏi", "")
    assert "Được lên lớp Được lên lớp" not in tt22  # the decision label is followed by its value
    assert "Kết quả rèn luyện" not in tt26 and "Hạnh kiểm" not in tt22


def test_nothing_leaks_between_students() -> None:
    one = render_transcript(build_transcript(sample_input(seed=11, name="Cầm Thị Ỷ"), volume=True))
    two = render_transcript(build_transcript(sample_input(seed=12, name="Giàng A Ước"), volume=True))
    assert "Giàng A Ước" not in " ".join(extract_page_texts(one))
    assert "Cầm Thị Ỷ" not in " ".join(extract_page_texts(two))


def test_long_values_do_not_overflow() -> None:
    inp = sample_input(name="Tòng Thị Phương Thảo Nguyên Hoàng Quỳnh Hương Giang")
    years = tuple(
        y.__class__(**{**y.__dict__, "homeroom_comment": "Chăm ngoan, lễ phép. " * 20,
                       "subjects": tuple(s.__class__(**{**s.__dict__, "comment": "Tiến bộ rõ rệt. " * 12})
                                         for s in y.subjects)})
        for y in inp.years
    )
    long = inp.__class__(**{**inp.__dict__, "years": years})
    pdf = render_transcript(build_transcript(long, volume=True))  # raises RenderError on overflow
    assert "Tòng Thị Phương Thảo Nguyên Hoàng Quỳnh Hương Giang" in _squash(extract_page_texts(pdf)[2])


def test_leaders_are_drawn_as_dotted_rules_not_text(mixed_pdf: bytes) -> None:
    """D-LEADER-1: a "Label: value……" leader is ONE dotted rule (dots of the period's size, 0.25 em apart, the
    form's grey), never a run of "." glyphs in the text layer."""
    from tests.layouts.pdf_glyphs import dotted_rules

    texts = extract_page_texts(mixed_pdf)
    doc = build_transcript(mixed_input(), volume=True, duplex=True, copy=True)
    for i, page in enumerate(doc.pages):
        assert ".." not in texts[i], (page.kind, texts[i])
        rules = dotted_rules(mixed_pdf, i)
        size = {"transcript-identity": 11.5, "transcript-results": 10.5}.get(page.kind)
        if size is None:
            continue
        # identity: 7 fields, 2 per parent; results: one per line of `lines` and none for a written comment
        expected = (7 + 2 * len(page.data["parents"]) if page.kind == "transcript-identity"
                    else len(page.data["lines"]) + (5 if page.data["homeroom_comment"] == "" else 0)
                    + (1 if page.data["approval"] == "" else 0))
        assert len(rules) == expected, (page.no, page.kind, len(rules))
        for r in rules:
            assert r.diameter == pytest.approx(size * 242 / 2048, abs=1e-3)
            assert r.pitch == pytest.approx(size * 0.25, abs=1e-3)
            assert r.grey == pytest.approx(110 / 255, abs=1e-3)
            assert r.length > r.pitch  # dots, not a stray one


# --- golden pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "name"),
    [(0, "transcript_cover_copy"), (1, "transcript_blank"), (2, "transcript_identity"),
     (5, "transcript_subjects_tt26"), (6, "transcript_results_tt26"),
     (9, "transcript_subjects_tt22"), (10, "transcript_results_tt22")],
)
def test_golden_pages(golden, mixed_pdf: bytes, index: int, name: str) -> None:
    golden(name, mixed_pdf, index)


# --- from the records --------------------------------------------------------------------------------


def _results(session: Session, enrolment: Enrolment, regime: str, *, learning: str, conduct: str,
             promotion: str) -> None:
    grade = enrolment.class_.grade
    for i, gs in enumerate(grade.subjects):
        comment = gs.subject.assessment.value == "comment"
        for period, bump in ((Period.TERM1, 0), (Period.TERM2, 3), (Period.YEAR, 2)):
            session.add(SubjectResult(
                enrolment_id=enrolment.id, subject_id=gs.subject_id, period=period,
                average=None if comment else Decimal(50 + i * 3 + bump) / 10,
                grade="Đ" if comment else None,
            ))
        session.add(SubjectComment(enrolment_id=enrolment.id, subject_id=gs.subject_id, period=Period.YEAR,
                                   text=f"Nhận xét môn {gs.subject.name}"))
    for period in (Period.TERM1, Period.TERM2, Period.YEAR):
        session.add(StudentResult(
            enrolment_id=enrolment.id, period=period, regime=regime, learning=learning, conduct=conduct,
            overall_average=Decimal("6.1") if regime != "tt22" else None,
            days_absent_excused=3 if period == Period.YEAR else 0,
            promotion=promotion if period == Period.YEAR else None,
        ))
    session.add(HomeroomComment(enrolment_id=enrolment.id, period=Period.YEAR, text="Em ngoan, chăm học."))
    session.flush()


@pytest.fixture
def repeater(session: Session) -> dict:
    """A student who repeated grade 6 across the switch: 2020-21 (TT26) then 2021-22 (TT22)."""
    school = make_school(session, name="Trường THCS Tô Hiệu", principal_name="Hà Văn Thắng")
    other = make_school(session, name="Trường THCS Chiềng Khoa", district="Vân Hồ", external=True)
    y2020, y2021 = make_year(session, school, 2020), make_year(session, school, 2021)
    y2022 = make_year(session, other, 2022)
    gvcn = make_user(session, school, full_name="Lò Thị Mai")
    c1 = make_class(session, y2020, 6, "6A1", homeroom=gvcn)
    c2 = make_class(session, y2021, 6, "6A2", homeroom=gvcn)
    c3 = make_class(session, y2022, 7, "7B")
    student = make_student(session, school, family_name="Quàng", middle_name="Văn", given_name="Ước",
                           register_number="12/THCS", course="2021-2025")
    e1 = enrol(session, student, c1)
    e2 = enrol(session, student, c2, repeating=True)
    e3 = enrol(session, student, c3)
    _results(session, e1, "tt26", learning="Yếu", conduct="Khá", promotion="repeat")
    _results(session, e2, "tt22", learning="Khá", conduct="Tốt", promotion="promoted")
    _results(session, e3, "tt22", learning="Tốt", conduct="Tốt", promotion="promoted")
    session.refresh(student)
    return {"student": student, "enrolments": (e1, e2, e3), "years": (y2020, y2021, y2022)}


def test_load_from_records(session: Session, repeater: dict) -> None:
    notes = {repeater["enrolments"][1].id: CorrectionNote(1, ("Toán",))}
    inp = read_transcript(session, READER, repeater["student"].code,
                                corrections=lambda s, e: notes.get(e.id, CorrectionNote()))
    assert [(y.start_year, y.grade, y.regime) for y in inp.years] == [(2020, 6, "tt26"), (2021, 6, "tt22"),
                                                                       (2022, 7, "tt22")]
    assert inp.years[0].learning == ("Yếu", "Yếu", "Yếu") and inp.years[0].overall[2] == Decimal("6.1")
    assert inp.years[1].corrections == CorrectionNote(1, ("Toán",))
    assert inp.years[2].place.school == "Trường THCS Chiềng Khoa"
    assert inp.years[0].subjects[0].comment.startswith("Nhận xét môn")
    assert inp.years[0].days_absent == 3 and inp.years[0].homeroom_teacher == "Lò Thị Mai"
    assert inp.remaining_grades == (8, 9)
    assert inp.register_number == "12/THCS"


def test_print_transcript_from_records(session: Session, repeater: dict) -> None:
    code = repeater["student"].code
    notes = {repeater["enrolments"][1].id: CorrectionNote(2, ("Toán", "Ngữ văn"))}
    pdf = print_transcript(session, READER, code, volume=True, corrections=lambda s, e: notes.get(e.id, CorrectionNote()))
    texts = [_squash(t) for t in extract_page_texts(pdf)]
    assert len(texts) == 8
    (y2021,) = [t for t in texts if "Năm học: 2021-2022" in t and "sửa chữa" in t]
    assert "sửa chữa ở: 2 chỗ, thuộc các môn học: Toán, Ngữ văn." in y2021
    (y2020,) = [t for t in texts if "Năm học: 2020-2021" in t and "sửa chữa" in t]
    assert "sửa chữa ở: 0 chỗ" in y2020
    one_year = print_transcript(session, READER, code, year="2022-2023")
    assert len(extract_page_texts(one_year)) == 2
    with pytest.raises(ValidationError):
        print_transcript(session, READER, code, year=2021, volume=True)
    with pytest.raises(NotFoundError):
        print_transcript(session, READER, "NO-SUCH-CODE")


def test_approval_date_is_the_recorded_one_in_vietnam_time(session: Session, repeater: dict) -> None:
    """The principal's approval line carries the day the year's results were approved (Vietnam time),
    or dotted blanks when they were not: never the day of printing."""
    e1 = repeater["enrolments"][0]
    year_result = session.scalars(select(StudentResult).where(StudentResult.enrolment_id == e1.id,
                                                              StudentResult.period == Period.YEAR)).one()
    year_result.approved_at = dt.datetime(2021, 5, 27, 17, 0, tzinfo=dt.UTC)  # 00:00 on 28/05 in Vietnam
    session.flush()
    inp = read_transcript(session, READER, repeater["student"].code, corrections=lambda s, e: CorrectionNote())
    assert [y.approved_on for y in inp.years] == [dt.date(2021, 5, 28), None, None]
    texts = [_squash(t) for t in extract_page_texts(render_transcript(build_transcript(inp, volume=True)))]
    approvals = {re.search(r"Năm học: (\S+)", t).group(1): t for t in texts if "PHÊ DUYỆT CỦA HIỆU TRƯỞNG" in t}
    assert "Vân Hồ, ngày 28 tháng 5 năm 2021" in approvals["2020-2021"]
    assert "Đồng ý với nhận xét" in approvals["2020-2021"]
    for year in ("2021-2022", "2022-2023"):
        assert "ngày …… tháng …… năm 20……" in approvals[year] and "Đồng ý" not in approvals[year]
    today = dt.date.today()
    assert f"ngày {today.day:02d} tháng {today.month} năm {today.year}" not in " ".join(texts)
    # the identity page is dated with the recorded entry into the school, the other lines are undated
    assert inp.created_on is not None and f"năm {inp.created_on.year}" in texts[1]


def test_transfer_during_a_year_prints_the_school_where_it_ended(session: Session) -> None:
    school = make_school(session, name="Trường THCS Tô Hiệu")
    other = make_school(session, name="Trường THCS Lóng Luông")
    y_here: SchoolYear = make_year(session, school, 2024)
    y_there = make_year(session, other, 2024)
    left = make_class(session, y_here, 9, "9A1")
    arrived = make_class(session, y_there, 9, "9B")
    student = make_student(session, school)
    enrol(session, student, left, status=EnrolmentStatus.TRANSFERRED_OUT, left_on=dt.date(2025, 1, 10))
    enrol(session, student, arrived, enrolled_on=dt.date(2025, 1, 12), transferred_in=True)
    session.refresh(student)
    inp = read_transcript(session, READER, student.code, corrections=lambda s, e: CorrectionNote())
    assert [(y.class_name, y.place.school) for y in inp.years] == [("9B", "Trường THCS Lóng Luông")]


def test_correction_through_the_workflow_appears_in_the_right_year(session: Session) -> None:
    """A mark corrected through request → approve → apply shows in that year's note, not elsewhere."""
    from records.models import MarkKind, Role
    from records.services import corrections, marks
    from tests.records.factories_gov import IN_TERM1, make_world

    world = make_world(session)
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    enrolment = world.enrolments[0]
    marks.record_mark(session, teacher, world.assignment1, enrolment.id, MarkKind.REGULAR, 1, Decimal("6.0"),
                      today=IN_TERM1)
    later = IN_TERM1 + dt.timedelta(days=1)
    request = corrections.request_correction(
        session, teacher, enrolment_id=enrolment.id, subject_id=world.subject.id, term_id=world.term1.id,
        kind=MarkKind.REGULAR, slot=1, new_value=Decimal("8.0"), reason="Nhập nhầm điểm", today=later)
    corrections.approve(session, world.actor(session, Role.PRINCIPAL), request, today=later)
    corrections.apply(session, world.actor(session, Role.ADMINISTRATOR), request,
                      leader=world.users[Role.PRINCIPAL], board=world.board_witness,
                      requester_present=True, today=later)
    # The same student's earlier year (another class, no correction).
    earlier = make_year(session, world.school, 2024)
    enrol(session, enrolment.student, make_class(session, earlier, 8, "8A1"))
    session.refresh(enrolment.student)

    inp = read_transcript(session, READER, enrolment.student.code)  # the real trace, no injection
    notes = {y.name: y.corrections for y in inp.years}
    assert notes["2025-2026"] == CorrectionNote(1, ("Toán",))
    assert notes["2024-2025"] == CorrectionNote(0, ())
    pdf = print_transcript(session, READER, enrolment.student.code, year="2025-2026")
    text = _squash(" ".join(extract_page_texts(pdf)))
    assert "Trong bảng này có sửa chữa ở: 1 chỗ, thuộc các môn học: Toán." in text
    other = print_transcript(session, READER, world.enrolments[1].student.code, year="2025-2026")
    assert "sửa chữa ở: 0 chỗ" in _squash(" ".join(extract_page_texts(other)))


# --- one vocabulary per regulation (issue 9 item 6, D-LBL-3) ------------------------------------


@pytest.mark.parametrize("regime", ["tt58", "tt26", "tt22"])
def test_the_books_words_come_from_the_regulations_vocabulary(regime: str) -> None:
    from layouts.markbook import _VOCAB
    from records.rules import Promotion, ruleset

    rules = ruleset(regime)
    words = rules.vocabulary
    inp = mixed_input()
    year = inp.years[-1].__class__(**{**inp.years[-1].__dict__, "regime": regime})
    doc = build_transcript(inp.__class__(**{**inp.__dict__, "years": (year,)}), volume=True)
    subjects, results = (next(p.data for p in doc.pages if p.kind == k)
                         for k in ("transcript-subjects", "transcript-results"))
    assert subjects["circular"] == rules.circular_vi
    assert (subjects["labels"]["subject"], subjects["labels"]["reassessed"], subjects["labels"]["comment"]) == (
        words.subject, words.reassessed, words.subject_sign)
    assert results["labels"] == {"conduct": words.conduct, "learning": words.learning}
    lines = dict(results["lines"])
    assert lines[words.grade9_question] == words.grade9_done == rules.promotion_label(Promotion.PROMOTED, grade=9)
    assert words.award in lines and words.summer in lines
    assert (_VOCAB[regime].learning, _VOCAB[regime].conduct) == (words.learning, words.conduct)


def test_no_layout_spells_a_regulations_words_itself() -> None:
    """The words of ``Vocabulary`` appear in no layout module or template (docstrings and comments aside;
    "Môn học" and "Danh hiệu" are also the plain column heads of other forms)."""
    import ast
    from pathlib import Path

    from records.rules import ruleset

    words = {w for r in ("tt58", "tt26", "tt22") for k, w in vars(ruleset(r).vocabulary).items()
             if k not in ("subject", "award")}
    root = Path(__file__).resolve().parents[2] / "layouts"
    for path in sorted(root.rglob("*.py")):  # the book packages too
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Expr):
                continue  # docstrings
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value not in words, (path.name, node.value)
    for path in sorted((root / "templates").glob("*.typ")):
        code = "\n".join(line.split("//")[0] for line in path.read_text(encoding="utf-8").splitlines())
        assert not [w for w in words if w in code], path.name
