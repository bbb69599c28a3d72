"""The subject teacher's pages: "my classes this term", the mark-entry grid and the subject comments.

A 45-student class 6A1 (TT22) with one student transferred out; Toán (scored, 4 regular marks a term)
and GDTC (comment-graded) taught by ``giaovien`` in term I; the homeroom teacher also teaches Toán there
(their own assignment), so they may read ``giaovien``'s grid but not write it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from records.db import make_engine, session_scope
from records.models import (
    AuditEntry,
    Book,
    Class,
    Enrolment,
    EnrolmentStatus,
    Grade,
    Mark,
    MarkKind,
    School,
    SchoolYear,
    Subject,
    SubjectComment,
    TeachingAssignment,
    Term,
    User,
)
from records.permissions import Actor
from records.rules import ruleset
from records.services import locks, mark_entry, setup, students
from tests.web.conftest import TODAY, build_school, csrf_of, login
from web.app import create_app

STUDENTS = 45


@pytest.fixture(scope="module")
def school(tmp_path_factory):  # type: ignore[no-untyped-def]
    ids = build_school(f"sqlite:///{tmp_path_factory.mktemp('teacher') / 'web.sqlite'}")
    engine = make_engine(ids.url)
    with session_scope(engine) as session:
        admin = Actor.load(session, session.scalar(select(User.id).where(User.username == "quantri")))
        klass = session.get(Class, ids.class_id)
        school_row = session.get(School, ids.school_id)
        pupils = students.add_students(session, admin, school_row, [{
            "code": f"WEB{n:04d}", "family_name": "Nguyễn", "middle_name": "Thị Thanh" if n % 2 else "Văn",
            "given_name": f"Học Sinh {n:02d}", "date_of_birth": dt.date(2014, 1 + n % 12, 1 + n % 27),
            "gender": "Nữ" if n % 2 else "Nam", "ethnicity": "Kinh"} for n in range(2, STUDENTS + 1)])
        for pupil in pupils:  # the roll of 6A1 is numbered already: the others arrive after it
            students.transfer_in(session, admin, klass, pupil, on=dt.date(2025, 9, 6),
                                 from_school="Trường Tiểu học Thị trấn Mộc Châu")
        leaving = session.scalars(select(Enrolment).where(Enrolment.class_id == klass.id)
                                  .order_by(Enrolment.roll_number.desc())).first()
        students.transfer_out(session, admin, leaving, on=dt.date(2025, 9, 20), to_school="Trường THCS Chiềng Sơn")
        term1 = session.get(Term, ids.term_id)
        gdtc = session.scalars(select(Subject).where(Subject.school_id == ids.school_id, Subject.code == "gdtc")).one()
        teacher = session.scalars(select(User).where(User.username == "giaovien")).one()
        setup.assign_teacher(session, admin, klass, gdtc, term1, teacher)
        # a grade-7 class assessed under the original TT58 (periodic tests of coefficient 2, several a term)
        grade7 = session.scalars(select(Grade).where(Grade.school_year_id == ids.year_id, Grade.level == 7)).one()
        setup.set_regime(session, admin, grade7, "tt58")
        class7 = setup.create_class(session, admin, grade7, "7A1")
        older = students.add_students(session, admin, school_row, [{
            "code": f"WEB7{n:03d}", "family_name": "Lường", "middle_name": "Văn", "given_name": f"Bảy {n}",
            "date_of_birth": dt.date(2013, 2, n), "gender": "Nam", "ethnicity": "Thái"} for n in (1, 2)])
        students.enrol_class(session, admin, class7, older)
        toan = session.get(Subject, ids.subject_id)
        setup.assign_teacher(session, admin, class7, toan, term1, teacher)
        term2 = session.scalars(select(Term).where(Term.school_year_id == ids.year_id, Term.number == 2)).one()
        setup.assign_teacher(session, admin, klass, toan, term2, teacher)
    engine.dispose()
    return ids


@pytest.fixture
def app(school):  # type: ignore[no-untyped-def]
    application = create_app(school.url, TESTING=True, SODIENTU_TODAY=TODAY)
    yield application
    application.extensions["sodientu.engine"].dispose()


def _client(app, username):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _query(school, fn):  # type: ignore[no-untyped-def]
    engine = make_engine(school.url)
    try:
        with session_scope(engine) as session:
            return fn(session)
    finally:
        engine.dispose()


def _assignment(school, username: str, code: str) -> int:  # type: ignore[no-untyped-def]
    return _query(school, lambda s: s.scalar(
        select(TeachingAssignment.id).join(User, User.id == TeachingAssignment.teacher_id)
        .join(Subject, Subject.id == TeachingAssignment.subject_id)
        .where(User.username == username, Subject.code == code, TeachingAssignment.class_id == school.class_id)))


def _enrolments(school) -> tuple[list[int], int]:  # type: ignore[no-untyped-def]
    """Active enrolment ids in roll order, and the transferred one."""
    rows = _query(school, lambda s: [(e.id, e.status) for e in s.scalars(
        select(Enrolment).where(Enrolment.class_id == school.class_id).order_by(Enrolment.roll_number))])
    return [e for e, st in rows if st is EnrolmentStatus.ACTIVE], next(
        e for e, st in rows if st is EnrolmentStatus.TRANSFERRED_OUT)


def _marks(school, subject_code: str = "toan") -> dict[tuple[int, str, int], Decimal | str]:  # type: ignore[no-untyped-def]
    def read(s):  # type: ignore[no-untyped-def]
        subject_id = s.scalar(select(Subject.id).where(Subject.school_id == school.school_id,
                                                       Subject.code == subject_code))
        return {(m.enrolment_id, MarkKind(m.kind).value, m.slot): (m.score if m.score is not None else m.grade)
                for m in s.scalars(select(Mark).where(Mark.subject_id == subject_id, Mark.term_id == school.term_id))}
    return _query(school, read)


def _version(html: str) -> int:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found
    return int(found.group(1))


def _post(client, url, fields, version=None):  # type: ignore[no-untyped-def]
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "version": str(_version(page) if version is None else version), **fields}
    return client.post(url, data=data)


def test_home_lists_my_classes_with_progress(app, school):
    html = _client(app, "giaovien").get("/giao-vien").get_data(as_text=True)
    assert "Lớp của tôi học kì này" in html
    section = html[html.index('id="my-classes"'):]
    assert "6A1" in section and "Toán" in section and "Giáo dục thể chất" in section
    # 44 students still on the roll, Toán: 4 regular + mid-term + end-of-term each
    assert "Còn thiếu 264 điểm" in section
    assert f"/giao-vien/phan-cong/{_assignment(school, 'giaovien', 'toan')}" in section


def test_grid_columns_rows_and_read_only_transferred_student(app, school):
    assignment = _assignment(school, "giaovien", "toan")
    html = _client(app, "giaovien").get(f"/giao-vien/phan-cong/{assignment}").get_data(as_text=True)
    heads = re.findall(r'<th class="num" title="Hệ số[^"]*">([^<]+)</th>', html)
    assert heads == ["ĐĐGtx 1", "ĐĐGtx 2", "ĐĐGtx 3", "ĐĐGtx 4", "ĐĐGtx 5", "ĐĐGgk", "ĐĐGck"]
    _, left = _enrolments(school)
    assert html.count('<tr data-row=') == STUDENTS
    row = html[html.index(f'data-row="{left}"'):]
    row = row[:row.index("</tr>")]
    assert 'class="left"' in row and "Chuyển đi từ 20/09/2025" in row and row.count(" disabled") == 7
    assert "grid.js" in html and 'data-regime="tt22"' in html


def test_saving_accepts_comma_and_point_and_computes_the_average_on_the_server(app, school):
    assignment = _assignment(school, "giaovien", "toan")
    url = f"/giao-vien/phan-cong/{assignment}"
    client = _client(app, "giaovien")
    first = _enrolments(school)[0][0]
    cells = {"tx1": "8,5", "tx2": "7.5", "tx3": " 9 ", "tx4": "10", "gk1": "6,5", "ck1": "7.0"}
    traced = _query(school, lambda s: s.scalar(select(func.count()).select_from(AuditEntry)
                                               .where(AuditEntry.entity == "mark")))
    response = _post(client, url, {f"m-{first}-{k}": v for k, v in cells.items()})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert _query(school, lambda s: s.scalar(select(func.count()).select_from(AuditEntry)
                                             .where(AuditEntry.entity == "mark"))) == traced + 6
    stored = _marks(school)
    assert stored[(first, "tx", 1)] == Decimal("8.5") and stored[(first, "tx", 2)] == Decimal("7.5")
    assert stored[(first, "ck", 1)] == Decimal("7.0")
    expected = ruleset("tt22").term_average(regular=["8.5", "7.5", "9", "10"], periodic=["6.5"], final="7")
    html = client.get(url).get_data(as_text=True)
    assert "Đã lưu điểm: 6 mới" in html
    row = html[html.index(f'data-row="{first}"'):]
    assert f'<output data-compute="term-average">{str(expected).replace(".", ",")}</output>' in row[:row.index("</tr>")]
    assert f'name="m-{first}-tx1" value="8,5"' in html


@pytest.mark.parametrize("value", ["11", "8,55", "-1", "abc", "Đ", "<script>alert(1)</script>", "x" * 50_000,
                                   "8\x00", "1,2,3", "NaN", "Infinity"])
def test_bad_values_are_refused_cell_by_cell_and_nothing_is_saved(app, school, value):
    assignment = _assignment(school, "giaovien", "toan")
    url = f"/giao-vien/phan-cong/{assignment}"
    client = _client(app, "giaovien")
    active = _enrolments(school)[0]
    before = _marks(school)
    response = _post(client, url, {f"m-{active[1]}-tx1": "9", f"m-{active[2]}-tx2": value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _marks(school) == before, "nothing may be saved when a cell is bad"
    assert "Có 1 ô chưa hợp lệ" in html and 'aria-invalid="true"' in html
    assert "Điểm phải là số từ 0 đến 10" in html
    assert "<script>alert" not in html and "\x00" not in html and len(html) < 200_000
    assert "Traceback" not in html
    # the good value typed beside it is kept on the page
    assert f'name="m-{active[1]}-tx1" value="9"' in html


def test_a_comment_graded_subject_takes_only_d_or_cd(app, school):
    assignment = _assignment(school, "giaovien", "gdtc")
    url = f"/giao-vien/phan-cong/{assignment}"
    client = _client(app, "giaovien")
    first, second = _enrolments(school)[0][:2]
    refused = _post(client, url, {f"m-{first}-tx1": "8,5"})
    assert refused.status_code == 400 and "chỉ nhập Đ (Đạt) hoặc CĐ" in refused.get_data(as_text=True)
    fields = {f"m-{first}-tx1": "đ", f"m-{first}-tx2": "Đạt", f"m-{first}-gk1": "Đ", f"m-{first}-ck1": "Đ",
              f"m-{second}-tx1": "CĐ", f"m-{second}-tx2": "Đ", f"m-{second}-gk1": "Đ", f"m-{second}-ck1": "Đ"}
    assert _post(client, url, fields).status_code == 303
    stored = _marks(school, "gdtc")
    assert stored[(first, "tx", 1)] == "Đ" and stored[(second, "tx", 1)] == "CĐ"
    html = client.get(url).get_data(as_text=True)
    assert 'data-comment="1"' in html
    for enrolment, result in ((first, "Đ"), (second, "CĐ")):
        row = html[html.index(f'data-row="{enrolment}"'):]
        assert f'<output data-compute="term-average">{result}</output>' in row[:row.index("</tr>")]


def test_a_transferred_students_marks_cannot_change_through_the_grid(app, school):
    assignment = _assignment(school, "giaovien", "toan")
    _, left = _enrolments(school)
    response = _post(_client(app, "giaovien"), f"/giao-vien/phan-cong/{assignment}", {f"m-{left}-tx1": "9"})
    assert response.status_code == 400
    assert "Học sinh đã rời lớp" in response.get_data(as_text=True)
    assert not any(k[0] == left for k in _marks(school))


def test_cells_of_another_class_or_column_are_refused(app, school):
    assignment = _assignment(school, "giaovien", "toan")
    response = _post(_client(app, "giaovien"), f"/giao-vien/phan-cong/{assignment}",
                     {"m-999999-tx1": "9", f"m-{_enrolments(school)[0][0]}-dk1": "9"})
    assert response.status_code == 400
    assert response.get_data(as_text=True).count("Ô này không thuộc bảng điểm của lớp.") == 2


def test_another_teacher_may_read_but_not_write(app, school):
    assignment = _assignment(school, "giaovien", "toan")
    url = f"/giao-vien/phan-cong/{assignment}"
    other = _client(app, "chunhiem")  # teaches Toán in 6A1 too, under an assignment of their own
    page = other.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="read-only"' in html and 'id="save"' not in html
    assert "de-nghi-sua-diem?pc=" not in html  # not their assignment: no correction links
    before = _marks(school)
    token = csrf_of(other.get("/doi-mat-khau").get_data(as_text=True))
    first = _enrolments(school)[0][0]
    refused = other.post(url, data={"csrf_token": token, "version": str(_version(html)), f"m-{first}-tx1": "1"})
    assert refused.status_code == 403 and "Không có quyền" in refused.get_data(as_text=True)
    refused = other.post(url + "/nhan-xet", data={"csrf_token": token, "version": "0", f"c-{first}": "x"})
    assert refused.status_code == 403
    assert _marks(school) == before
    assert _client(app, "hieutruong").get(url).status_code == 403  # not a subject teacher's page


def test_a_stale_save_shows_the_conflict_and_loses_nothing(app, school):
    assignment = _assignment(school, "giaovien", "toan")
    url = f"/giao-vien/phan-cong/{assignment}"
    tab1, tab2 = _client(app, "giaovien"), _client(app, "giaovien")
    stale_page = tab2.get(url).get_data(as_text=True)
    stale = _version(stale_page)
    e = _enrolments(school)[0]
    assert _post(tab1, url, {f"m-{e[3]}-tx1": "6", f"m-{e[4]}-tx1": "7"}).status_code == 303
    response = tab2.post(url, data={"csrf_token": csrf_of(stale_page), "version": str(stale),
                                    f"m-{e[3]}-tx1": "6,0", f"m-{e[4]}-tx1": "9,5", f"m-{e[5]}-tx1": "4"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Bảng đã được lưu bởi người khác" in html
    stored = _marks(school)
    assert stored[(e[4], "tx", 1)] == Decimal(7) and (e[5], "tx", 1) not in stored
    table = html[html.index('id="conflict-table"'):html.index("</table>", html.index('id="conflict-table"'))]
    assert "9,5" in table and "4" in table and "6,0" not in table  # 6,0 = the 6 now stored: no conflict
    assert f'name="m-{e[4]}-tx1" value="7,0"' in html and 'data-mine="9,5"' in html  # server value, mine beside
    # keeping mine: the hidden form posts my values against the current version
    keep = html[html.index('id="keep-mine"'):]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', keep[:keep.index("</form>")]))
    assert _version(keep) == _version(html) > stale
    assert tab2.post(url, data=fields).status_code == 303
    stored = _marks(school)
    assert stored[(e[4], "tx", 1)] == Decimal("9.5") and stored[(e[5], "tx", 1)] == Decimal(4)
    # a stale page that says what the server already holds: nothing to keep
    again = tab2.post(url, data={"csrf_token": csrf_of(stale_page), "version": str(stale), f"m-{e[4]}-tx1": "9.5"})
    assert again.status_code == 409 and "không còn gì phải lưu" in again.get_data(as_text=True)
    assert 'id="conflict"' not in again.get_data(as_text=True)
    # with script, the form names the cells the user changed: a stale copy of a cell they never touched (e[3]'s
    # empty tx2 → someone else's 8 now) is not offered back, their own change is
    assert _post(tab1, url, {f"m-{e[3]}-tx2": "8"}).status_code == 303
    picky = tab2.post(url, data={"csrf_token": csrf_of(stale_page), "version": str(stale), f"m-{e[3]}-tx2": "",
                                 f"m-{e[5]}-tx2": "5", "changed": f"m-{e[5]}-tx2"}).get_data(as_text=True)
    assert 'data-mine="5"' in picky and f'<input type="hidden" name="m-{e[5]}-tx2" value="5">' in picky
    assert f'name="m-{e[3]}-tx2" value="8,0"' in picky and f'<input type="hidden" name="m-{e[3]}-tx2"' not in picky


def test_typed_values_shown_back_keep_the_version_they_were_read_at(app, school):
    """A bad cell on a stale page: once corrected, the save still meets the other writer's change."""
    assignment = _assignment(school, "giaovien", "toan")
    url = f"/giao-vien/phan-cong/{assignment}"
    tab1, tab2 = _client(app, "giaovien"), _client(app, "giaovien")
    e = _enrolments(school)[0]
    stale_page = tab2.get(url).get_data(as_text=True)
    stale = _version(stale_page)
    assert _post(tab1, url, {f"m-{e[6]}-tx1": "8"}).status_code == 303
    bad = tab2.post(url, data={"csrf_token": csrf_of(stale_page), "version": str(stale),
                               f"m-{e[6]}-tx1": "2", f"m-{e[7]}-tx1": "99"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and _version(html) == stale
    assert f'name="m-{e[6]}-tx1" value="2"' in html  # what tab 2 typed, not yet checked against tab 1's save
    again = tab2.post(url, data={"csrf_token": csrf_of(html), "version": str(_version(html)),
                                 f"m-{e[6]}-tx1": "2", f"m-{e[7]}-tx1": "9"})
    assert again.status_code == 409 and 'data-mine="2"' in again.get_data(as_text=True)
    assert _marks(school)[(e[6], "tx", 1)] == Decimal(8)


def test_subject_comments_save_conflict_and_refuse_hostile_text(app, school):
    assignment = _assignment(school, "giaovien", "toan")
    url = f"/giao-vien/phan-cong/{assignment}/nhan-xet"
    tab1, tab2 = _client(app, "giaovien"), _client(app, "giaovien")
    first, second = _enrolments(school)[0][:2]
    stale_page = tab2.get(url).get_data(as_text=True)
    assert _post(tab1, url, {f"c-{first}": "  Tiếp thu   nhanh, <b>chăm</b> chỉ. "}).status_code == 303
    texts = _query(school, lambda s: {c.enrolment_id: c.text for c in s.scalars(select(SubjectComment))})
    assert texts[first] == "Tiếp thu nhanh, <b>chăm</b> chỉ."
    html = tab1.get(url).get_data(as_text=True)
    assert "&lt;b&gt;chăm&lt;/b&gt;" in html and "<b>chăm</b>" not in html
    same_in_nfd = unicodedata.normalize("NFD", "Tiếp thu nhanh,  <b>chăm</b> chỉ.")
    conflict = tab2.post(url, data={"csrf_token": csrf_of(stale_page), "version": str(_version(stale_page)),
                                    f"c-{first}": same_in_nfd, f"c-{second}": "Cần cố gắng hơn."})
    page = conflict.get_data(as_text=True)
    assert conflict.status_code == 409 and "Cần cố gắng hơn." in page
    assert page.count("data-mine=") == 1  # the same comment written in another Unicode form is no conflict
    for hostile, why in (("a\x00b", "ký tự điều khiển"), ("x" * 50_000, "dài quá")):
        bad = _post(tab1, url, {f"c-{second}": hostile})
        page = bad.get_data(as_text=True)
        assert bad.status_code == 400 and why in page and "\x00" not in page and len(page) < 200_000
    assert second not in _query(school, lambda s: {c.enrolment_id for c in s.scalars(select(SubjectComment))})


def test_a_locked_book_or_a_passed_cut_off_refuses_on_the_page_keeping_the_values(app, school):
    assignment = _assignment(school, "giaovien", "toan")
    url = f"/giao-vien/phan-cong/{assignment}"
    client = _client(app, "giaovien")
    first = _enrolments(school)[0][0]
    page = client.get(url).get_data(as_text=True)

    def set_cutoff(day):  # type: ignore[no-untyped-def]
        def change(s):  # type: ignore[no-untyped-def]
            s.get(SchoolYear, school.year_id).mark_cutoff = day
        _query(school, change)

    set_cutoff(dt.date(2025, 9, 30))
    try:
        response = client.post(url, data={"csrf_token": csrf_of(page), "version": str(_version(page)),
                                          f"m-{first}-tx5": "3,5"})
        html = response.get_data(as_text=True)
        assert response.status_code == 423 and "hạn chót sửa điểm" in html
        assert f'name="m-{first}-tx5" value="3,5"' in html
        assert 'id="read-only"' in client.get(url).get_data(as_text=True)
    finally:
        set_cutoff(dt.date(2026, 5, 31))

    def lock(s):  # type: ignore[no-untyped-def]
        principal = Actor.load(s, s.scalar(select(User.id).where(User.username == "hieutruong")))
        admin = Actor.load(s, s.scalar(select(User.id).where(User.username == "quantri")))
        decision = locks.decide(s, principal, book=Book.MARK_BOOK, school_year=s.get(SchoolYear, school.year_id),
                                lock=True, decision_ref="QĐ 01/QĐ-THCS", term=s.get(Term, school.term_id),
                                klass=s.get(Class, school.class_id))
        locks.execute(s, admin, decision)

    _query(school, lock)
    page = client.get(url).get_data(as_text=True)
    assert 'id="read-only"' in page and "đã khóa" in page
    # each cell of the locked sheet and the banner link to the correction request form
    assert f'href="/giao-vien/de-nghi-sua-diem?pc={assignment}"' in page
    link = f'/giao-vien/de-nghi-sua-diem?pc={assignment}&amp;hs={first}&amp;cot=tx:1'
    assert f'href="{link}"' in page or f'href="{link.replace(":", "%3A")}"' in page
    form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(rf'<option value="{first}"[^>]*selected', form) and re.search(r'<option value="tx:1"[^>]*selected', form)
    response = client.post(url, data={"csrf_token": csrf_of(page), "version": str(_version(page)),
                                      f"m-{first}-tx5": "3,5"})
    assert response.status_code == 423 and "đã khóa" in response.get_data(as_text=True)
    assert (first, "tx", 5) not in _marks(school)


def test_a_tt58_class_gets_periodic_columns_and_its_average(app, school):
    assignment = _query(school, lambda s: s.scalar(
        select(TeachingAssignment.id).join(Class, Class.id == TeachingAssignment.class_id)
        .join(User, User.id == TeachingAssignment.teacher_id).where(Class.name == "7A1", User.username == "giaovien")))
    url = f"/giao-vien/phan-cong/{assignment}"
    client = _client(app, "giaovien")
    html = client.get(url).get_data(as_text=True)
    heads = re.findall(r'<th class="num" title="Hệ số[^"]*">([^<]+)</th>', html)
    assert heads == ["KTtx 1", "KTtx 2", "KTtx 3", "KTtx 4", "KTtx 5", "KTđk 1", "KTđk 2", "KThk"]
    assert 'data-regime="tt58"' in html and "Thông tư 58/2011" in html
    enrolment = int(re.search(r'data-row="(\d+)"', html).group(1))  # type: ignore[union-attr]
    cells = {"tx1": "7", "tx2": "8", "tx3": "9", "tx4": "6,5", "dk1": "8", "dk2": "5,5", "ck1": "6"}
    assert _post(client, url, {f"m-{enrolment}-{k}": v for k, v in cells.items()}).status_code == 303
    expected = ruleset("tt58").term_average(regular=["7", "8", "9", "6.5"], periodic=["8", "5.5"], final="6")
    html = client.get(url).get_data(as_text=True)
    row = html[html.index(f'data-row="{enrolment}"'):]
    assert f'<output data-compute="term-average">{str(expected).replace(".", ",")}</output>' in row[:row.index("</tr>")]
    refused = _post(client, url, {f"m-{enrolment}-gk1": "8"})  # no mid-term column under TT58
    assert refused.status_code == 400 and "Ô này không thuộc bảng điểm của lớp." in refused.get_data(as_text=True)


def test_a_term_not_yet_begun_is_read_only(app, school):
    assignment = _query(school, lambda s: s.scalar(
        select(TeachingAssignment.id).join(Term, Term.id == TeachingAssignment.term_id)
        .join(User, User.id == TeachingAssignment.teacher_id)
        .where(Term.number == 2, User.username == "giaovien", TeachingAssignment.class_id == school.class_id)))
    client = _client(app, "giaovien")
    html = client.get("/giao-vien").get_data(as_text=True)
    assert f"/giao-vien/phan-cong/{assignment}" not in html[html.index('id="my-classes"'):html.index("</table>")]
    page = client.get(f"/giao-vien/phan-cong/{assignment}").get_data(as_text=True)
    assert 'id="read-only"' in page and "chưa bắt đầu" in page and 'id="save"' not in page
    first = _enrolments(school)[0][0]
    refused = _post(client, f"/giao-vien/phan-cong/{assignment}", {f"m-{first}-tx1": "9"})
    assert refused.status_code == 403


def test_a_big_sheet_is_read_whole(app, school):
    """1,200 cells (more than Flask's default of 1,000 form parts) are read and answered cell by cell."""
    assignment = _assignment(school, "giaovien", "toan")
    fields = {f"m-{900000 + n}-tx1": "9" for n in range(1200)}
    response = _post(_client(app, "giaovien"), f"/giao-vien/phan-cong/{assignment}", fields)
    assert response.status_code == 400
    assert "Có 1200 ô chưa hợp lệ" in response.get_data(as_text=True)


def test_an_unknown_assignment_is_not_found(app):
    client = _client(app, "giaovien")
    assert client.get("/giao-vien/phan-cong/987654").status_code == 404
    token = csrf_of(client.get("/doi-mat-khau").get_data(as_text=True))
    assert client.post("/giao-vien/phan-cong/987654", data={"csrf_token": token, "version": "0"}).status_code == 404
    assert client.post("/giao-vien/phan-cong/1", data={"csrf_token": token, "version": "x"}).status_code == 400


def test_columns_follow_the_regime():
    tt58 = mark_entry.columns_for("tt58", 3, {})
    assert [c.label for c in tt58] == ["KTtx 1", "KTtx 2", "KTtx 3", "KTtx 4", "KTđk 1", "KTđk 2", "KThk"]
    assert [c.weight for c in tt58] == [1, 1, 1, 1, 2, 2, 3]
    assert [c.required for c in tt58] == [True, True, True, False, True, False, True]
    tt22 = mark_entry.columns_for("tt22", 2, {MarkKind.REGULAR: 5})
    assert [c.key for c in tt22] == ["tx1", "tx2", "tx3", "tx4", "tx5", "gk1", "ck1"]
    assert len(mark_entry.columns_for("tt58", 4, {MarkKind.REGULAR: 7, MarkKind.PERIODIC: 9})) == 7 + 9 + 1


def test_term_result_is_the_rules_result():
    marks = {MarkKind.REGULAR: [Decimal(7), Decimal(8), Decimal(9)], MarkKind.PERIODIC: [Decimal(8), Decimal("5.5")],
             MarkKind.FINAL: [Decimal(6)]}
    assert mark_entry.term_result("tt58", False, 3, marks) == ruleset("tt58").term_average(
        regular=["7", "8", "9"], periodic=["8", "5.5"], final="6")
    assert mark_entry.term_result("tt22", False, 3, marks) is None  # TT22: a single mid-term
    assert mark_entry.term_result("tt22", False, 4, {**marks, MarkKind.PERIODIC: [Decimal(8)]}) is None
