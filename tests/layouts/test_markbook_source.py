"""The mark book read from the database: ``records.books.markbook.read_markbook`` → build → render, and
``sodientu print mark-book`` end to end (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from layouts.markbook import PrintOptions, build_markbook, format_average
from layouts.render import extract_page_texts, page_count, render_document
from records.books.markbook import (
    find_class,
    parse_school_year,
    read_markbook,
    with_admin_word,
)
from records.db import make_engine, session_scope
from records.errors import NotFoundError, ValidationError
from records.models import (
    Assessment,
    Attendance,
    Base,
    Class,
    Enrolment,
    EnrolmentStatus,
    Gender,
    KeyKind,
    Mark,
    MarkKind,
    Period,
    Role,
    SchoolYear,
    StudentResult,
    SubjectResult,
    Term,
)
from records.permissions import Actor
from records.rules import ruleset
from records.services import editions as es
from records.services.inspections import record_inspection
from tests.conftest import TEST_DB_ENV
from tests.factories import (
    assign,
    enrol,
    make_class,
    make_school,
    make_student,
    make_user,
    make_year,
    trace_stored,
)
from web.cli import cli

D = Decimal
READER = Actor.system("kiểm thử: đọc sổ")  # the installation may read every record

# Given names sort the roll (name_sort_key: given, middle, family); all distinct, never a teacher's.
CLASS_A = [
    ("Lò", "Văn", "An"), ("Quàng", "Thị", "Bích"), ("Cầm", "Thị Ngọc", "Diệp"), ("Hà", "Văn", "Dũng"),
    ("Lường", "Thị", "Hoa"), ("Giàng", "A", "Khải"), ("Tòng", "Thị", "Lụa"), ("Vì", "Văn", "Mạnh"),
    ("Đinh", "Thị", "Nga"),
]
CLASS_B = [("Mùa", "Thị", "Xuyến"), ("Sồng", "A", "Ỷ"), ("Bạc", "Cầm", "Ước")]
OUT_NO, DROP_NO = 3, 6  # roll numbers of the student who transferred out and the one who dropped out


@dataclass
class Built:
    """What a test class was given, to compare the printed book with."""

    klass: Class
    other: Class
    year: SchoolYear
    names: dict[int, str] = field(default_factory=dict)  # roll no -> full name
    # (no, subject code, term) -> cells of the marks page as printed: marks, then averages
    cells: dict[tuple[int, str, int], list[str]] = field(default_factory=dict)
    absences: dict[int, list[tuple[dt.date, bool]]] = field(default_factory=dict)
    other_names: list[str] = field(default_factory=list)
    homeroom: str = ""
    principal: str = ""


def _shown(v: Decimal | str) -> str:
    """A mark as the office writes it: "Đ", "8" (not "8,0"), "7,5"."""
    if isinstance(v, str):
        return v
    return str(int(v)) if v == v.to_integral_value() else format(v, "f").replace(".", ",")


def _make_roll(session: Session, school, klass: Class, people, *, term1: Term, term2: Term,
               teachers, seed: int, built: Built, special: bool = True) -> None:
    """Students, marks, results and absences of a class."""
    grade = klass.grade
    rs = ruleset(grade.regime)
    subjects = [gs for gs in grade.subjects]
    n = len(people)
    for i, (family, middle, given) in enumerate(people, 1):
        st = make_student(session, school, family_name=family, middle_name=middle, given_name=given,
                          gender=Gender.FEMALE if i % 2 else Gender.MALE,
                          current_address=f"Bản Nà Bai {i}, xã Chiềng Khoa, huyện Vân Hồ, tỉnh Sơn La")
        extra: dict[str, object] = {}
        in_terms = (1, 2)
        if special and i == OUT_NO:
            extra = {"status": EnrolmentStatus.TRANSFERRED_OUT, "left_on": dt.date(2026, 1, 12)}
            in_terms = (1,)
        if special and i == DROP_NO:
            extra = {"status": EnrolmentStatus.DROPPED_OUT, "left_on": dt.date(2026, 3, 3)}
        if special and i == n:  # the last one came in term II
            extra = {"transferred_in": True, "enrolled_on": dt.date(2026, 1, 19), "from_school": "THCS Vân Hồ"}
            in_terms = (2,)
        e = enrol(session, st, klass, roll_number=i, **extra)
        built.names[i] = st.full_name
        rows: list[object] = []
        for k, gs in enumerate(subjects):
            subj = gs.subject
            comment = subj.assessment is Assessment.COMMENT
            n_tx = rs.required_regular_count(gs.lessons, comment=comment)
            avgs: dict[int, Decimal | str] = {}
            for term, t in ((1, term1), (2, term2)):
                if term not in in_terms:
                    continue
                values: list[Decimal | str] = []
                for slot in range(1, n_tx + 1):
                    v: Decimal | str = ("CĐ" if (i + k + slot) % 7 == 0 else "Đ") if comment else D((i + k + slot + seed) % 6 + 4)
                    values.append(v)
                    rows.append(Mark(enrolment_id=e.id, subject_id=subj.id, term_id=t.id, kind=MarkKind.REGULAR,
                                     slot=slot, score=None if comment else v, grade=v if comment else None))
                for kind, base in ((MarkKind.MIDTERM, D("5.5")), (MarkKind.FINAL, D("6.5"))):
                    v = "Đ" if comment else base + D((i * 3 + k + term) % 7) / 2
                    values.append(v)
                    rows.append(Mark(enrolment_id=e.id, subject_id=subj.id, term_id=t.id, kind=kind, slot=1,
                                     score=None if comment else v, grade=v if comment else None))
                if comment:
                    avg: Decimal | str = "CĐ" if "CĐ" in values else "Đ"
                else:
                    avg = D(sum(values) / len(values)).quantize(D("0.1"))  # any value: read, not computed
                avgs[term] = avg
                period = Period.TERM1 if term == 1 else Period.TERM2
                rows.append(SubjectResult(enrolment_id=e.id, subject_id=subj.id, period=period,
                                          average=None if comment else avg, grade=avg if comment else None))
                shown = [_shown(x) for x in values] + [format_average(avg)]
                if term == 2:
                    year_avg: Decimal | str = avg if comment else (avg + D("0.3")).quantize(D("0.1"))
                    rows.append(SubjectResult(enrolment_id=e.id, subject_id=subj.id, period=Period.YEAR,
                                              average=None if comment else year_avg,
                                              grade=year_avg if comment else None))
                    shown.append(format_average(year_avg))
                built.cells[(i, subj.code, term)] = shown
        days = [(dt.date(2025, 9, 8 + i), True), (dt.date(2025, 10, 20 + i % 5), False)]
        if 2 in in_terms and i not in (OUT_NO,):
            days.append((dt.date(2026, 3, 2), i % 2 == 0))
        if in_terms == (2,):
            days = [(dt.date(2026, 3, 2), False)]
        built.absences[i] = days
        rows += [Attendance(enrolment_id=e.id, day=d, excused=x) for d, x in days]
        for period, term in ((Period.TERM1, 1), (Period.TERM2, 2), (Period.YEAR, 2)):
            if term in in_terms:
                rows.append(StudentResult(
                    enrolment_id=e.id, period=period, regime=grade.regime, learning="Tốt" if i % 2 else "Khá",
                    conduct="Tốt", days_absent_excused=1, days_absent_unexcused=1,
                    title="Học sinh Xuất sắc" if period is Period.YEAR and i == 1 else None,
                    promotion=("reassess" if i == 2 else "promoted") if period is Period.YEAR else None,
                    final_promotion="promoted" if period is Period.YEAR and i == 2 else None))
        session.add_all(rows)
    session.flush()
    for k, gs in enumerate(subjects):
        for t in (term1, term2):
            assign(session, teachers[k % len(teachers)], klass, gs.subject, t)
    session.flush()


def build_world(session: Session) -> Built:
    """A school (district and province stored without their administrative word) with two classes."""
    school = make_school(session, name="Trường THCS Tô Hiệu", district="Vân Hồ", province="Sơn La",
                         principal_name="Tên Trong Hồ Sơ Trường")
    principal = make_user(session, school, [Role.PRINCIPAL], full_name="Nguyễn Văn Hiệu")
    year = make_year(session, school, 2025)
    term1, term2 = sorted(year.terms, key=lambda t: t.number)
    homeroom = make_user(session, school, [Role.HOMEROOM_TEACHER], full_name="Quàng Thị Diệu Linh")
    teachers = [make_user(session, school, [Role.SUBJECT_TEACHER], full_name=n)
                for n in ("Lò Văn Thưởng", "Phạm Đức Mạnh", "Đỗ Thị Thu Hường")]
    klass = make_class(session, year, 9, "9A1", homeroom=homeroom)
    other = make_class(session, year, 9, "9A2", homeroom=teachers[0])
    built = Built(klass=klass, other=other, year=year, homeroom=homeroom.full_name, principal=principal.full_name)
    _make_roll(session, school, klass, CLASS_A, term1=term1, term2=term2, teachers=teachers, seed=0, built=built)
    other_built = Built(klass=other, other=klass, year=year)
    _make_roll(session, school, other, CLASS_B, term1=term1, term2=term2, teachers=teachers[1:], seed=3,
               built=other_built, special=False)
    built.other_names = list(other_built.names.values())
    record_inspection(session, Actor.load(session, principal.id), year, 2025, 10, klass=klass,
                      findings="Giáo viên cập nhật điểm kịp thời.", conclusion="Nhập đủ điểm trước ngày 05/11.",
                      inspected_on=dt.date(2025, 10, 30), today=dt.date(2025, 10, 30))
    record_inspection(session, Actor.load(session, principal.id), year, 2025, 11, klass=other,
                      findings="Biên bản của lớp khác.", inspected_on=dt.date(2025, 11, 28), today=dt.date(2025, 11, 28))
    session.flush()
    return built


@pytest.fixture
def world(session: Session) -> Built:
    return build_world(session)


# --- the input ----------------------------------------------------------------------------------

def test_input_reads_the_class(session: Session, world: Built) -> None:
    inp = read_markbook(session, READER, world.klass.id)
    assert (inp.school, inp.district, inp.province) == ("Trường THCS Tô Hiệu", "Huyện Vân Hồ", "Tỉnh Sơn La")
    assert (inp.class_name, inp.year_start, inp.regime, inp.grade, inp.place) == ("9A1", 2025, "tt22", 9, "Vân Hồ")
    assert inp.homeroom_teacher == world.homeroom and inp.principal == "Nguyễn Văn Hiệu"
    assert [(s.no, s.full_name) for s in inp.students] == sorted(world.names.items())
    status = {s.no: (s.status, s.status_date) for s in inp.students}
    assert status[OUT_NO] == ("transferred_out", dt.date(2026, 1, 12))
    assert status[DROP_NO] == ("dropped_out", dt.date(2026, 3, 3))
    assert status[len(CLASS_A)] == ("transferred_in", dt.date(2026, 1, 19))
    assert [s.code for s in inp.subjects][:3] == ["ngu_van", "toan", "ngoai_ngu"]  # GradeSubject.position
    toan = next(s for s in inp.subjects if s.code == "toan")
    assert toan.required == (("tx", 4), ("gk", 1), ("ck", 1)) and toan.teachers_term1 == ("Phạm Đức Mạnh",)
    assert dict(next(s for s in inp.subjects if s.code == "gdcd").required)["tx"] == 2
    assert {m.student_no for m in inp.marks} == set(world.names)
    assert {o.student_no: o.decision for o in inp.outcomes}[2] == "Kiểm tra lại"
    assert {o.student_no: o.final for o in inp.outcomes}[2] == "Hoàn thành chương trình THCS"
    assert [(i.month, i.held_on) for i in inp.inspections] == [(10, dt.date(2025, 10, 30))]
    assert inp.inspections[0].inspectors == (("Nguyễn Văn Hiệu", "Hiệu trưởng"),)
    assert len(inp.inspections[0].lines) == len(inp.subjects)  # term I assignments of this class only


def test_principal_falls_back_to_the_school_record(session: Session) -> None:
    school = make_school(session, district="Thành phố Sơn La", province="Tỉnh Sơn La", principal_name="Lê Văn Tâm")
    klass = make_class(session, make_year(session, school, 2025), 6, "6A1")
    inp = read_markbook(session, READER, klass.id)
    assert (inp.principal, inp.district, inp.province, inp.place) == ("Lê Văn Tâm", "Thành phố Sơn La",
                                                                        "Tỉnh Sơn La", "Sơn La")
    assert inp.students == () and inp.marks == ()
    assert page_count(render_document("markbook", build_markbook(inp))) > 0  # an empty class still prints


def test_tt58_marks_map_to_the_old_columns(session: Session) -> None:
    school = make_school(session)
    year = make_year(session, school, 2019)
    klass = make_class(session, year, 9, "9A1")
    assert klass.grade.regime == "tt58"
    e = enrol(session, make_student(session, school), klass)
    term1 = next(t for t in year.terms if t.number == 1)
    toan = next(gs.subject for gs in klass.grade.subjects if gs.subject.code == "toan")
    for kind, slot, v in ((MarkKind.REGULAR, 1, "9"), (MarkKind.REGULAR, 2, "7"), (MarkKind.REGULAR, 4, "8"),
                          (MarkKind.PERIODIC, 1, "6.5"), (MarkKind.PERIODIC, 2, "7"), (MarkKind.FINAL, 1, "8.5")):
        session.add(Mark(enrolment_id=e.id, subject_id=toan.id, term_id=term1.id, kind=kind, slot=slot, score=D(v)))
    session.flush()
    inp = read_markbook(session, READER, klass.id)
    (sm,) = inp.marks
    assert dict(sm.marks) == {"m": (D(9),), "v15": (D(7), "", D(8)), "v45": (D("6.5"), D(7)), "hk": (D("8.5"),)}
    doc = build_markbook(inp)
    page = next(p for p in doc.pages if p.kind == "marks" and p.data["subject"] == "Toán")
    assert page.data["rows"][0]["cells"][:8] == ["9", "7", "", "8", "6,5", "7", "8,5", ""]
    assert page.data["columns"][0]["sub"] == ["M", "15′", "15′", "15′"]


def test_a_fixed_number_of_queries(session: Session, world: Built) -> None:
    counts = []
    for class_id in (world.klass.id, world.other.id):
        seen: list[str] = []

        def count(conn, cursor, statement, *args, seen: list[str] = seen) -> None:  # type: ignore[no-untyped-def]
            seen.append(statement)

        target = session.connection()
        event.listen(target, "before_cursor_execute", count)
        try:
            read_markbook(session, READER, class_id)
        finally:
            event.remove(target, "before_cursor_execute", count)
        counts.append(len([s for s in seen if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]))
    assert counts[0] <= 16, counts
    assert counts[0] - counts[1] <= 1, counts  # not one query per student or subject


# --- printed ---------------------------------------------------------------------------------------

def _row_tokens(row: dict[str, object]) -> Counter[str]:
    cells = row["cells"]
    assert isinstance(cells, list)
    return Counter(" ".join([str(row["no"]), str(row["name"]), str(row["note"]), *cells]).split())


@pytest.mark.parametrize("paper", ["a4", "a3"])
def test_rendered_book_shows_the_records_where_they_belong(
    session: Session, world: Built, row_text: Callable[..., str], paper: str
) -> None:
    inp = read_markbook(session, READER, world.klass.id)
    doc = build_markbook(inp, PrintOptions(paper=paper))  # type: ignore[arg-type]
    pdf = render_document("markbook", doc)
    texts = extract_page_texts(pdf)
    margins = (24, 13) if paper == "a3" else (19, 11)
    names = {s.code: s.name for s in inp.subjects}
    code_of = {v: k for k, v in names.items()}
    checked = 0
    for i, page in enumerate(doc.pages):
        if page.kind == "marks":
            code, term = code_of[page.data["subject"]], 1 if page.data["term"] == "HỌC KÌ I" else 2
            for row in page.data["rows"]:
                no = int(row["no"])
                got = row_text(pdf, i, row["name"], row["note"], margins)
                expected = Counter([str(no), *world.names[no].split(), *row["note"].split(),
                                    *world.cells.get((no, code, term), [])])
                assert Counter(got.split()) == expected, (page.no, page.data["title"], no)
                checked += 1
        elif page.kind in ("attendance", "summary"):
            for row in page.data["rows"]:
                got = row_text(pdf, i, row["name"], row["note"], margins)
                assert Counter(got.split()) == _row_tokens(row), (page.no, page.kind, row["no"])
        if page.kind == "attendance":
            month = page.data["title"].split()[3]
            for row in page.data["rows"]:
                no = int(row["no"])
                days = [(d, x) for d, x in world.absences.get(no, []) if str(d.month) == month]
                marks = [c for c in row["cells"] if c in ("P", "K")]
                if page.data["half"] in ("", "2/2"):  # totals on the page that closes the month
                    p = sum(1 for _, x in days if x)
                    k = len(days) - p
                    assert row["cells"][-2:] == [str(p) if p else "", str(k) if k else ""]
                if paper == "a3":
                    assert sorted(marks) == sorted("P" if x else "K" for _, x in days)
    assert checked == 2 * len(inp.subjects) * len(world.names)  # every row on every mark page
    everything = "\n".join(texts)
    flat = everything.replace("\n", " ")
    for name in world.names.values():
        assert name in flat
    for name in world.other_names:
        assert name not in flat
    assert "9A2" not in everything and "Biên bản của lớp khác" not in everything
    assert "Tên Trong Hồ Sơ Trường" not in everything  # the principal holding the role wins
    roll = [t for p, t in zip(doc.pages, texts) if p.kind == "roll"]
    assert all(any(n.replace(" ", "") in t.replace(" ", "").replace("\n", "") for t in roll)
               for n in world.names.values())
    assert any("Bỏ học 03/03/2026" in t for t in texts) and any("Chuyển đi 12/01/2026" in t for t in texts)
    minutes = [t for p, t in zip(doc.pages, texts) if p.kind == "inspection"]
    assert sum("Giáo viên cập nhật điểm kịp thời." in t for t in minutes) == 1


def test_year_results_lists(session: Session, world: Built) -> None:
    doc = build_markbook(read_markbook(session, READER, world.klass.id))
    results = next(p for p in doc.pages if p.kind == "results").data
    lists = {x["title"]: x["items"] for x in results["lists"]}
    reassess = next(v for k, v in lists.items() if k.startswith("Học sinh phải kiểm tra lại"))
    assert reassess[0].startswith(f"2. {world.names[2]}")
    awards = next(v for k, v in lists.items() if k.startswith("Học sinh được khen thưởng"))
    assert awards == [f"1. {world.names[1]} — Học sinh Xuất sắc"]
    summary = next(p for p in doc.pages if p.kind == "summary" and p.data["period"] == "CẢ NĂM").data
    row = next(r for r in summary["rows"] if r["no"] == "1")
    assert row["cells"][-2:] == ["HSXS", "HTCT THCS"] and "HTCT THCS: hoàn thành chương trình THCS." in summary["legend"]


# --- finding the class ------------------------------------------------------------------------------

def _vi(error_type: type[Exception], call: Callable[[], object]) -> str:
    with pytest.raises(error_type) as info:
        call()
    return str(getattr(info.value, "message_vi", ""))


def test_find_class(session: Session, world: Built) -> None:
    code = world.klass.school.code
    assert find_class(session, "9A1", "2025-2026").id == world.klass.id
    assert find_class(session, "9a2", "2025 - 2026", school_code=code).id == world.other.id
    assert parse_school_year("2025-2026") == 2025
    assert "Năm học không hợp lệ" in _vi(ValidationError, lambda: find_class(session, "9A1", "2025"))
    message = _vi(NotFoundError, lambda: find_class(session, "9A9", "2025-2026", school_code=code))
    assert "Không có lớp «9A9»" in message and "9A1, 9A2" in message
    assert "Không có năm học 2030-2031" in _vi(
        NotFoundError, lambda: find_class(session, "9A1", "2030-2031", school_code=code))
    assert "Không có trường mã" in _vi(
        NotFoundError, lambda: find_class(session, "9A1", "2025-2026", school_code="KHONG-CO"))
    twin = make_school(session)
    make_class(session, make_year(session, twin, 2025), 9, "9A1")
    assert "--school" in _vi(ValidationError, lambda: find_class(session, "9A1", "2025-2026"))
    assert find_class(session, "9A1", "2025-2026", school_code=code).id == world.klass.id
    assert with_admin_word("Quận Ba Đình", ("quận",), "Huyện") == "Quận Ba Đình"


# --- the command ---------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def cli_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A committed database for the command: a SQLite file, or a fresh schema of the test PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'school.sqlite'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        cleanup = None
    else:
        base = os.environ.get(TEST_DB_ENV, "")
        if not base.startswith("postgresql"):
            pytest.skip(f"{TEST_DB_ENV} is not a PostgreSQL URL")
        schema = f"mb_cli_{uuid.uuid4().hex[:10]}"
        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{schema}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)

        def cleanup() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    with session_scope(engine) as session:
        world = build_world(session)
        make_user(session, world.klass.school, [Role.OFFICE], username=f"vanphong-{uuid.uuid4().hex[:6]}",
                  full_name="Cán Bộ Văn Phòng")
    engine.dispose()
    try:
        yield url
    finally:
        if cleanup:
            cleanup()


def _run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env=env)


def test_print_mark_book_command(cli_db: str, tmp_path: Path) -> None:
    out = tmp_path / "so-diem.pdf"
    r = _run("print", "mark-book", "--class", "9A1", "--year", "2025-2026", "--draft", "-o", str(out), "--db", cli_db)
    assert r.exit_code == 0, r.output
    assert "bản nháp" in r.output
    pdf = out.read_bytes()
    texts = extract_page_texts(pdf)
    assert "SỔ THEO DÕI VÀ ĐÁNH GIÁ HỌC SINH" in texts[0] and "Trang 1/" in texts[0]
    half = tmp_path / "hk1.pdf"
    r = _run("print", "mark-book", "--class", "9A1", "--year", "2025-2026", "--paper", "A3", "--duplex",
             "--part", "term1", "--draft", "-o", str(half), "--db", cli_db)
    assert r.exit_code == 0, r.output
    assert page_count(half.read_bytes()) < len(texts)

    errors = {
        ("--class", "9Z9", "--year", "2025-2026"): "Không có lớp «9Z9» trong năm học 2025-2026",
        ("--class", "9A1", "--year", "2031-2032"): "Không có năm học 2031-2032",
        ("--class", "9A1", "--year", "2025"): "Năm học không hợp lệ",
        ("--class", "9A1", "--year", "2025-2026", "--school", "XX"): "Không có trường mã «XX»",
        ("--class", "9A1", "--year", "2025-2026", "--paper", "a5"): "Khổ giấy không hợp lệ",
        ("--class", "9A1", "--year", "2025-2026", "--part", "hk3"): "Phần in không hợp lệ",
        ("--year", "2025-2026",): "Thiếu tên lớp",
    }
    for args, message in errors.items():
        r = _run("print", "mark-book", *args, "--draft", "-o", str(tmp_path / "x.pdf"), "--db", cli_db)
        assert r.exit_code == 1, (args, r.output)
        assert message in r.output, (args, r.output)
        assert "Traceback" not in r.output
    r = _run("print", "mark-book", "--class", "9A1", "--year", "2025-2026", "-o", str(tmp_path / "x.pdf"),
             "--db", cli_db)
    assert r.exit_code == 1 and "--as" in r.output and "--draft" in r.output


def test_ambiguous_class_and_published_edition(tmp_path: Path) -> None:
    from signing.keyfiles import private_key_path
    from signing.keys import generate_private_key, key_id, public_key_pem, save_private_key
    from signing.manifest import DOCUMENT_NAME

    url = f"sqlite:///{tmp_path / 'school.sqlite'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with session_scope(engine) as session:
        world = build_world(session)
        school = world.klass.school
        trace_stored(session, session.scalars(select(Enrolment.id).where(Enrolment.class_id == world.klass.id)))
        make_user(session, school, [Role.OFFICE], username="vanphong", full_name="Cán Bộ Văn Phòng")
        twin = make_school(session, code="TWIN01")
        make_class(session, make_year(session, twin, 2025), 9, "9A1")
        key = generate_private_key()
        es.register_key(session, Actor.system("test"), key_id=key_id(key), kind=KeyKind.ED25519,
                        public_pem=public_key_pem(key), school_id=school.id)
        code = school.code
    engine.dispose()
    keys = tmp_path / "keys"
    keys.mkdir()
    save_private_key(key, private_key_path(keys, key_id(key)), "mat-khau-thu")
    (tmp_path / "pw").write_text("mat-khau-thu\n")
    out = tmp_path / "so.pdf"
    r = _run("print", "mark-book", "--class", "9A1", "--year", "2025-2026", "--draft", "-o", str(out), "--db", url)
    assert r.exit_code == 1 and "--school" in r.output and "TWIN01" in r.output, r.output
    r = _run("print", "mark-book", "--class", "9A1", "--year", "2025-2026", "--school", code, "--part", "term1",
             "--as", "vanphong", "--key-dir", str(keys), "--passphrase-file", str(tmp_path / "pw"),
             "-o", str(out), "--db", url)
    assert r.exit_code == 0, r.output
    assert "đã ghi nhận" in r.output
    import pikepdf

    with pikepdf.open(out) as pdf:
        attached = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    doc = json.loads(attached[DOCUMENT_NAME])
    assert doc["book"]["class"] == "9A1" and all(p["part"] == "term1" for p in doc["pages"])
    with session_scope(make_engine(url)) as session:
        editions = es.list_editions(session)
        assert len(editions) == 1 and editions[0].class_id is not None
    r = _run("print", "mark-book", "--class", "9A1", "--year", "2025-2026", "--school", "TWIN01",
             "--as", "vanphong", "--key-dir", str(keys), "--passphrase-file", str(tmp_path / "pw"),
             "-o", str(out), "--db", url)
    assert r.exit_code == 1 and "khóa ký" in r.output, r.output  # the twin school has no key


def test_guardian_and_corrected_marks_are_read(session: Session, world: Built) -> None:
    """A student cared for by a guardian prints the guardian on the roll; a mark named by the class's
    correction trace prints with the correction mark (issue 9)."""
    from sqlalchemy import select

    from records.models import AuditEntry, CorrectionRequest, Enrolment, Student, User

    enrolment = session.scalars(select(Enrolment).where(Enrolment.class_id == world.klass.id,
                                                        Enrolment.roll_number == 1)).one()
    student = session.get(Student, enrolment.student_id)
    assert student is not None
    student.father_name = student.mother_name = None
    student.guardian_name, student.guardian_occupation = "Hà Thị Lan", "Y sĩ"
    mark = session.scalars(select(Mark).where(Mark.enrolment_id == enrolment.id, Mark.kind == MarkKind.REGULAR,
                                              Mark.slot == 2).order_by(Mark.subject_id, Mark.term_id)).first()
    assert mark is not None
    someone = session.scalars(select(User)).first()
    assert someone is not None
    req = CorrectionRequest(school_id=world.klass.school_id, enrolment_id=enrolment.id, subject_id=mark.subject_id,
                            term_id=mark.term_id, kind=mark.kind.value, slot=2, old_value="4", new_value="6",
                            reason="Nhập nhầm", requested_by_id=someone.id)
    session.add(req)
    session.flush()
    session.add(AuditEntry(chain=world.klass.school_id, seq=10_000, school_id=world.klass.school_id,
                           at=dt.datetime(2026, 6, 2, tzinfo=dt.UTC), actor_name="admin", action="correct",
                           entity="mark", entity_id=str(mark.id), request_id=req.id, prev_hash="0" * 64, hash="1" * 64))
    session.flush()
    inp = read_markbook(session, READER, world.klass.id)
    first = inp.students[0]
    assert (first.father, first.mother, first.guardian, first.guardian_job) == ("", "", "Hà Thị Lan", "Y sĩ")
    doc = build_markbook(inp, PrintOptions(part="all"))
    roll = next(p for p in doc.pages if p.kind == "roll")
    assert roll.data["rows"][0]["cells"][5] == "Người giám hộ: Hà Thị Lan, Y sĩ"
    starred = [(p.data["subject"], p.data["term"], r["no"], c) for p in doc.pages if p.kind == "marks"
               for r in p.data["rows"] for c in r["cells"] if c.endswith("*")]
    assert len(starred) == 1 and starred[0][2] == "1"
