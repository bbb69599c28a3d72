"""The leadership's pages through the Flask test client: lock decisions and their execution, a correction request
from the teacher's form to the applied mark, the monthly inspection, approving results — with the rights (a
teacher cannot approve, a vice principal is offered nothing the principal alone decides, a principal of another
school sees nothing) and hostile text in every free field."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from records.db import make_engine, session_scope
from records.models import (
    AuditEntry,
    Class,
    CorrectionRequest,
    CorrectionStatus,
    Inspection,
    LockDecision,
    Mark,
    MarkKind,
    Role,
    School,
    TeachingAssignment,
    User,
)
from records.permissions import Actor
from records.services import inspections, setup
from tests.factories import TEST_PASSWORD, TEST_PASSWORD_HASH
from tests.web.conftest import LOGIN_OF, WebSchool, csrf_of, login

HOSTILE = '<script>alert("x")</script> \'; DROP TABLE mark; -- \u202e\u200b Lò Thị Mãi'


@pytest.fixture(scope="module")
def school(web_school: WebSchool) -> WebSchool:
    """The web school plus a second administrator (the board witness) and another school with its principal."""
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        admin = Actor.by_username(session, "quantri")
        here = session.get(School, web_school.school_id)
        second = setup.create_user(session, admin, username="quantri2", full_name="Hà Văn Ban",
                                   school=here, roles=(Role.ADMINISTRATOR,))
        second.password_hash = TEST_PASSWORD_HASH
        other = setup.initialise_school(session, code="WEB02", name="Trường THCS Bên Cạnh", district="Huyện Yên Châu",
                                        province="Sơn La", admin_username="quantri.khac", admin_full_name="Lò Văn Khác",
                                        admin_password=TEST_PASSWORD, password_hash=TEST_PASSWORD_HASH)
        principal = setup.create_user(session, Actor.load(session, other.admin.id), username="hieutruong2",
                                      full_name="Cầm Văn Khác", school=other.school, roles=(Role.PRINCIPAL,))
        principal.password_hash = TEST_PASSWORD_HASH
    engine.dispose()
    return web_school


def _client(app, username):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _as(app, role):  # type: ignore[no-untyped-def]
    return _client(app, LOGIN_OF[role])


def _post(client, path, data, page):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(page).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def _flashes(client, response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    html = client.get(response.location).get_data(as_text=True)
    return re.findall(r'class="flash">([^<]+)<', html)


def _db(school: WebSchool):  # type: ignore[no-untyped-def]
    return session_scope(make_engine(school.url))


def _trail(school: WebSchool) -> int:
    with _db(school) as session:
        return int(session.scalar(select(func.count(AuditEntry.id))) or 0)


# --- locks -------------------------------------------------------------------------------------


def test_the_principal_decides_and_the_administrator_executes_a_lock(app, school):
    principal = _as(app, Role.PRINCIPAL)
    page = principal.get("/khoa-so").get_data(as_text=True)
    assert 'id="decide-lock"' in page and "Thực hiện</button>" not in page
    decided = _post(principal, "/khoa-so", {"nam": school.year_id, "lock": "1", "book": "mark_book",
                                            "term": school.term_id, "class": school.class_id,
                                            "decision_ref": "Quyết định số 7/QĐ-THCS ngày 20/01/2026",
                                            "decided_on": "20/01/2026", "note": HOSTILE}, "/khoa-so")
    assert _flashes(principal, decided) == ["Đã ghi quyết định khóa sổ; quản trị hệ thống sẽ thực hiện."]
    with _db(school) as session:
        decision = session.scalars(select(LockDecision).order_by(LockDecision.id.desc())).first()
        assert decision is not None and decision.executed_at is None and decision.note == HOSTILE.replace(
            "\u200b", "\u200b")
        decision_id = decision.id
    page = principal.get("/khoa-so").get_data(as_text=True)
    assert "Chờ quản trị hệ thống thực hiện" in page and "<script>alert" not in page and "&lt;script&gt;" in page

    vice = _as(app, Role.VICE_PRINCIPAL)
    seen = vice.get("/khoa-so").get_data(as_text=True)
    assert "Quyết định số 7/QĐ-THCS" in seen and 'id="decide-lock"' not in seen and "Thực hiện</button>" not in seen
    before = _trail(school)
    assert _post(vice, "/khoa-so", {"nam": school.year_id, "lock": "1", "book": "mark_book",
                                    "decision_ref": "QĐ giả"}, "/khoa-so").status_code == 403
    assert _post(principal, f"/khoa-so/{decision_id}/thuc-hien", {}, "/khoa-so").status_code == 403
    assert _trail(school) == before

    admin = _as(app, Role.ADMINISTRATOR)
    assert "Thực hiện khóa / mở sổ" in admin.get("/quan-tri").get_data(as_text=True)
    assert "Thực hiện</button>" in admin.get("/khoa-so").get_data(as_text=True)
    done = _post(admin, f"/khoa-so/{decision_id}/thuc-hien", {}, "/khoa-so")
    assert _flashes(admin, done) == ["Đã thực hiện quyết định."]
    again = _post(admin, f"/khoa-so/{decision_id}/thuc-hien", {}, "/khoa-so")
    assert _flashes(admin, again) == ["Quyết định Quyết định số 7/QĐ-THCS ngày 20/01/2026 đã được thực hiện."]
    states = principal.get("/khoa-so").get_data(as_text=True)
    row = re.search(r"<tr><td>6A1</td>(.*?)</tr>", states, re.DOTALL)
    assert row and row.group(1).count('class="tag locked">Khóa') == 1
    with _db(school) as session:
        actions = list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.entity == "lock_decision", AuditEntry.entity_id == str(decision_id)).order_by(AuditEntry.seq)))
    assert actions == ["decide_lock", "lock"]


def test_a_lock_decision_needs_its_reference_and_a_term_of_the_year(app, school):
    principal = _as(app, Role.PRINCIPAL)
    before = _trail(school)
    empty = _post(principal, "/khoa-so", {"nam": school.year_id, "lock": "1", "book": "mark_book",
                                          "decision_ref": "   "}, "/khoa-so")
    assert _flashes(principal, empty) == ["Cần nhập số, ngày của quyết định."]
    bad_book = _post(principal, "/khoa-so", {"nam": school.year_id, "lock": "1", "book": "so-khac",
                                             "decision_ref": "QĐ 1"}, "/khoa-so")
    assert _flashes(principal, bad_book) == ["Hãy chọn sổ cần khóa / mở."]
    too_long = _post(principal, "/khoa-so", {"nam": school.year_id, "lock": "0", "book": "transcripts",
                                             "decision_ref": "Quyết định " * 20}, "/khoa-so")
    assert _flashes(principal, too_long) == ["Số, ngày của quyết định dài quá 120 kí tự."]
    other_term = _post(principal, "/khoa-so", {"nam": school.year_id, "lock": "1", "book": "mark_book",
                                               "decision_ref": "QĐ 2", "term": "999999"}, "/khoa-so")
    assert _flashes(principal, other_term) == ["Không tìm thấy học kì."]
    assert _trail(school) == before


# --- corrections -------------------------------------------------------------------------------


def _assignment(school: WebSchool, username: str) -> int:
    with _db(school) as session:
        return int(session.scalar(select(TeachingAssignment.id).join(User, User.id == TeachingAssignment.teacher_id)
                                  .where(User.username == username)))


def _enrolment(school: WebSchool) -> int:
    from records.models import Enrolment

    with _db(school) as session:
        return int(session.scalar(select(Enrolment.id).where(Enrolment.class_id == school.class_id)))


def test_a_correction_from_the_teachers_form_to_the_applied_mark(app, school):
    teacher = _as(app, Role.SUBJECT_TEACHER)
    assert "/giao-vien/de-nghi-sua-diem" in teacher.get("/giao-vien").get_data(as_text=True)
    pc = _assignment(school, "giaovien")
    form_page = f"/giao-vien/de-nghi-sua-diem?pc={pc}"
    html = teacher.get(form_page).get_data(as_text=True)
    assert "Lò Thị Mai" in html and "ĐĐGtx1" in html and "ĐĐGck" in html
    enrolment = _enrolment(school)
    linked = teacher.get(f"{form_page}&hs={enrolment}&cot=gk:1").get_data(as_text=True)
    assert f'<option value="{enrolment}" selected>' in linked and '<option value="gk:1" selected>' in linked
    no_reason = _post(teacher, "/giao-vien/de-nghi-sua-diem",
                      {"pc": pc, "enrolment": enrolment, "column": "tx:2", "new_value": "8,5", "reason": " "}, form_page)
    assert _flashes(teacher, no_reason) == ["Cần nhập lí do đề nghị sửa."]
    out_of_range = _post(teacher, "/giao-vien/de-nghi-sua-diem",
                         {"pc": pc, "enrolment": enrolment, "column": "tx:2", "new_value": "11", "reason": "x"},
                         form_page)
    assert "10" in _flashes(teacher, out_of_range)[0]
    forged_column = _post(teacher, "/giao-vien/de-nghi-sua-diem",
                          {"pc": pc, "enrolment": enrolment, "column": "tx:99", "new_value": "8", "reason": "x"},
                          form_page)
    assert _flashes(teacher, forged_column) == ["Hãy chọn cột điểm cần sửa."]
    filed = _post(teacher, "/giao-vien/de-nghi-sua-diem",
                  {"pc": pc, "enrolment": enrolment, "column": "tx:2", "new_value": "8,5", "reason": HOSTILE}, form_page)
    assert filed.status_code == 303 and re.fullmatch(r"/sua-diem/\d+", filed.location)
    request_id = int(filed.location.rsplit("/", 1)[1])
    detail = teacher.get(filed.location).get_data(as_text=True)
    assert "Chờ duyệt" in detail and "<script>alert" not in detail and "&lt;script&gt;" in detail
    assert 'id="approve"' not in detail
    assert f'id="request-{request_id}"' in teacher.get(form_page).get_data(as_text=True)  # "Đơn đã gửi"
    twice = _post(teacher, "/giao-vien/de-nghi-sua-diem",
                  {"pc": pc, "enrolment": enrolment, "column": "tx:2", "new_value": "9", "reason": "lần hai"}, form_page)
    assert _flashes(teacher, twice) == [f"Đã có đơn đề nghị số {request_id} cho điểm này đang chờ xử lí."]

    # a teacher cannot approve, nor can the vice principal; neither is offered the buttons
    before = _trail(school)
    assert _post(teacher, f"/sua-diem/{request_id}/duyet", {"quyet-dinh": "duyet"}, filed.location).status_code == 403
    vice = _as(app, Role.VICE_PRINCIPAL)
    seen = vice.get(filed.location).get_data(as_text=True)
    assert "Chờ duyệt" in seen and 'id="approve"' not in seen
    assert _post(vice, f"/sua-diem/{request_id}/duyet", {"quyet-dinh": "duyet"}, filed.location).status_code == 403
    assert _trail(school) == before

    principal = _as(app, Role.PRINCIPAL)
    listed = principal.get("/sua-diem?tt=cho-duyet").get_data(as_text=True)
    assert f'id="request-{request_id}"' in listed and "8,5" in listed
    assert 'id="approve"' in principal.get(filed.location).get_data(as_text=True)
    no_note = _post(principal, f"/sua-diem/{request_id}/duyet", {"quyet-dinh": "khong-duyet", "note": ""},
                    filed.location)
    assert _flashes(principal, no_note) == ["Cần nhập ý kiến của Hiệu trưởng."]
    approved = _post(principal, f"/sua-diem/{request_id}/duyet", {"quyet-dinh": "duyet", "note": HOSTILE},
                     filed.location)
    assert _flashes(principal, approved) == [f"Đã phê duyệt đơn số {request_id}."]
    assert "&lt;script&gt;" in principal.get(filed.location).get_data(as_text=True)
    again = _post(principal, f"/sua-diem/{request_id}/duyet", {"quyet-dinh": "khong-duyet", "note": "muộn"},
                  filed.location)
    assert _flashes(principal, again) == [f"Đơn số {request_id} đã được xử lí (Đã duyệt)."]

    admin = _as(app, Role.ADMINISTRATOR)
    page = admin.get(filed.location).get_data(as_text=True)
    assert 'id="apply-correction"' in page and "Hà Văn Ban" in page
    leader_id, board_id, admin_id = (_user_id(school, u) for u in ("phohieutruong", "quantri2", "quantri"))
    absent = _post(admin, f"/sua-diem/{request_id}/thuc-hien", {"leader": leader_id, "board": board_id},
                   filed.location)
    assert _flashes(admin, absent) == ["Người đề nghị sửa chữa phải có mặt khi sửa dữ liệu."]
    self_witness = _post(admin, f"/sua-diem/{request_id}/thuc-hien",
                         {"leader": leader_id, "board": admin_id, "requester_present": "1"}, filed.location)
    assert "không được tự làm người chứng kiến" in _flashes(admin, self_witness)[0]
    teacher_witness = _post(admin, f"/sua-diem/{request_id}/thuc-hien",
                            {"leader": _user_id(school, "giaovien"), "board": board_id, "requester_present": "1"},
                            filed.location)
    assert "không thể là đại diện Ban giám hiệu chứng kiến" in _flashes(admin, teacher_witness)[0]
    applied = _post(admin, f"/sua-diem/{request_id}/thuc-hien",
                    {"leader": leader_id, "board": board_id, "requester_present": "1"}, filed.location)
    assert _flashes(admin, applied) == [f"Đã sửa điểm theo đơn số {request_id}."]
    with _db(school) as session:
        mark = session.scalars(select(Mark).where(Mark.enrolment_id == enrolment, Mark.kind == MarkKind.REGULAR,
                                                  Mark.slot == 2)).one()
        assert mark.score == Decimal("8.5")
        request = session.get(CorrectionRequest, request_id)
        assert request is not None and request.status is CorrectionStatus.APPLIED
        assert request.decision_note == HOSTILE
    trail = teacher.get(filed.location).get_data(as_text=True)
    for step in ("Lập đơn", "Phê duyệt", "Sửa điểm", "Thực hiện sửa chữa"):
        assert f"<td>{step}</td>" in trail
    assert "Hà Văn Ban (Ban quản trị)" in trail and "Đã sửa" in trail
    printed = teacher.get(f"{filed.location}/in")
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    from layouts.render import extract_page_texts

    pages = [" ".join(t.split()) for t in extract_page_texts(printed.data)]
    assert len(pages) == 2 and "Lò Thị Mai" in pages[0] and "8,5" in pages[0] and "Hà Văn Ban" in pages[1]


def _user_id(school: WebSchool, username: str) -> int:
    with _db(school) as session:
        return int(session.scalar(select(User.id).where(User.username == username)))


def test_a_teacher_files_only_for_their_own_assignments_and_sees_only_their_requests(app, school):
    homeroom = _as(app, Role.HOMEROOM_TEACHER)  # also teaches Toán in 6A1 under another assignment
    other_pc = _assignment(school, "giaovien")
    before = _trail(school)
    assert homeroom.get(f"/giao-vien/de-nghi-sua-diem?pc={other_pc}").status_code == 403
    forged = _post(homeroom, "/giao-vien/de-nghi-sua-diem", {"pc": other_pc, "enrolment": _enrolment(school),
                                                             "column": "tx:3", "new_value": "5", "reason": "x"},
                   "/giao-vien/de-nghi-sua-diem")
    assert forged.status_code == 403 and _trail(school) == before
    office = _as(app, Role.OFFICE)
    assert office.get("/giao-vien/de-nghi-sua-diem").status_code == 403
    assert office.get("/sua-diem").status_code == 403


def test_a_principal_of_another_school_sees_nothing_of_this_one(app, school):
    teacher = _as(app, Role.SUBJECT_TEACHER)
    pc = _assignment(school, "giaovien")
    filed = _post(teacher, "/giao-vien/de-nghi-sua-diem", {"pc": pc, "enrolment": _enrolment(school),
                                                           "column": "ck:1", "new_value": "7", "reason": "thiếu điểm"},
                  f"/giao-vien/de-nghi-sua-diem?pc={pc}")
    assert filed.status_code == 303
    stranger = _client(app, "hieutruong2")
    assert stranger.get(filed.location).status_code == 403
    assert stranger.get(f"{filed.location}/in").status_code == 403
    assert "thiếu điểm" not in stranger.get("/sua-diem").get_data(as_text=True)
    before = _trail(school)
    page = "/hieu-truong"
    for path, data in ((f"{filed.location}/duyet", {"quyet-dinh": "duyet"}),
                       ("/khoa-so", {"nam": school.year_id, "lock": "1", "book": "mark_book", "decision_ref": "QĐ"}),
                       ("/kiem-tra-so", {"nam": school.year_id, "thang": "2025-10", "findings": "x"}),
                       (f"/phe-duyet-ket-qua/lop/{school.class_id}", {"ky": "hk1"})):
        assert _post(stranger, path, data, page).status_code == 403, path
    for path in (f"/khoa-so?nam={school.year_id}", f"/kiem-tra-so?nam={school.year_id}",
                 f"/phe-duyet-ket-qua?nam={school.year_id}", f"/phe-duyet-ket-qua/lop/{school.class_id}?ky=hk1"):
        assert stranger.get(path).status_code == 403, path
    assert _trail(school) == before
    assert "Trường THCS Bên Cạnh" in stranger.get("/hieu-truong").get_data(as_text=True)


# --- the monthly inspection --------------------------------------------------------------------


def test_the_inspection_shows_what_is_missing_and_records_the_minutes(app, school):
    principal = _as(app, Role.PRINCIPAL)
    page = principal.get(f"/kiem-tra-so?nam={school.year_id}&thang=2025-12").get_data(as_text=True)
    assert "Người giaovien" in page and "Lò Thị Mai" in page and 'class="late"' in page
    assert "Tính đến ngày <b>31/12/2025</b>" in page
    assert "thang=2025-11" in page and "thang=2026-01" in page  # the months around
    january = principal.get(f"/kiem-tra-so?nam={school.year_id}&thang=2026-01").get_data(as_text=True)
    assert "thang=2025-12" in january and "thang=2026-02" in january
    one_class = principal.get(f"/kiem-tra-so?nam={school.year_id}&thang=2025-12&lop={school.class_id}")
    assert "lớp 6A1" in one_class.get_data(as_text=True)
    late_only = principal.get(f"/kiem-tra-so?nam={school.year_id}&thang=2025-12&thieu=1").get_data(as_text=True)
    assert "Người giaovien" in late_only and "Người chunhiem" in late_only  # both Toán assignments are behind
    bad = principal.get(f"/kiem-tra-so?nam={school.year_id}&thang=2025-13")
    assert bad.status_code == 400 and "Tháng “2025-13” không hợp lệ" in bad.get_data(as_text=True)
    wrong_class = principal.get(f"/kiem-tra-so?nam={school.year_id}&lop=999999")
    assert wrong_class.status_code == 400

    empty = _post(principal, "/kiem-tra-so", {"nam": school.year_id, "thang": "2025-12", "findings": "  "},
                  "/kiem-tra-so")
    assert _flashes(principal, empty) == ["Cần nhập nội dung kiểm tra, nhận xét."]
    control = _post(principal, "/kiem-tra-so", {"nam": school.year_id, "thang": "2025-12", "findings": "Đủ\x00 điểm"},
                    "/kiem-tra-so")
    assert _flashes(principal, control) == [
        "Nội dung kiểm tra, nhận xét chứa ký tự điều khiển không in được (U+0000)."]
    too_long = _post(principal, "/kiem-tra-so", {"nam": school.year_id, "thang": "2025-12", "findings": "x" * 2001},
                     "/kiem-tra-so")
    assert _flashes(principal, too_long) == ["Nội dung kiểm tra, nhận xét dài quá 2000 kí tự."]
    other_year = _post(principal, "/kiem-tra-so", {"nam": school.year_id, "thang": "2024-12", "findings": "x"},
                       "/kiem-tra-so")
    assert _flashes(principal, other_year) == ["Tháng 12/2024 không thuộc năm học 2025-2026."]
    recorded = _post(principal, "/kiem-tra-so", {"nam": school.year_id, "thang": "2025-12", "lop": school.class_id,
                                                 "inspected_on": "28/12/2025", "findings": HOSTILE + "\nDòng hai.",
                                                 "conclusion": "Bổ sung điểm trước 05/01/2026."}, "/kiem-tra-so")
    assert _flashes(principal, recorded) == [
        "Đã lập biên bản kiểm tra tháng 12/2025; biên bản được in vào sổ."]
    listed = principal.get(f"/kiem-tra-so?nam={school.year_id}&thang=2025-12").get_data(as_text=True)
    assert "Tháng 12/2025" in listed and "&lt;script&gt;" in listed and "<script>alert" not in listed

    vice = _as(app, Role.VICE_PRINCIPAL)
    by_vice = _post(vice, "/kiem-tra-so", {"nam": school.year_id, "thang": "2025-11", "findings": "Đủ điểm."},
                    "/kiem-tra-so")
    assert _flashes(vice, by_vice) == ["Đã lập biên bản kiểm tra tháng 11/2025; biên bản được in vào sổ."]
    teacher = _as(app, Role.SUBJECT_TEACHER)
    before = _trail(school)
    assert teacher.get("/kiem-tra-so").status_code == 403
    assert _post(teacher, "/kiem-tra-so", {"nam": school.year_id, "findings": "x"}, "/giao-vien").status_code == 403
    assert _trail(school) == before
    with _db(school) as session:
        minutes = inspections.inspection_minutes(session, school.class_id, school.year_id)
        december = next(m for m in minutes if m["month"] == 12)
        assert december["findings"] == HOSTILE + "\nDòng hai." and december["inspected_on"] == "28/12/2025"
        assert december["scope_vi"] == "Lớp 6A1" and december["progress"][0]["missing"] > 0
        assert session.scalar(select(func.count(Inspection.id))) == 2


# --- results -----------------------------------------------------------------------------------


def test_results_are_summarised_and_only_the_principal_approves(app, school):
    from records.services import results

    with _db(school) as session:
        results.compute_class(session, Actor.by_username(session, "hieutruong"),
                              session.get(Class, school.class_id), "cn")  # term I's book was locked above
    principal = _as(app, Role.PRINCIPAL)
    overview = principal.get(f"/phe-duyet-ket-qua?nam={school.year_id}").get_data(as_text=True)
    assert "6A1" in overview and "Chưa đủ điểm (1 HS)" in overview and "Chưa tính" in overview
    page = f"/phe-duyet-ket-qua/lop/{school.class_id}?ky=cn"
    summary = principal.get(page).get_data(as_text=True)
    assert "Lò Thị Mai" in summary and 'id="approve-results"' in summary and "chưa đủ điểm" in summary
    refused = _post(principal, f"/phe-duyet-ket-qua/lop/{school.class_id}", {"ky": "cn"}, page)
    assert _flashes(principal, refused) == ["Lớp 6A1 còn 1 học sinh chưa đủ điểm, chưa phê duyệt được."]
    none_yet = _post(principal, f"/phe-duyet-ket-qua/lop/{school.other_class_id}", {"ky": "cn"}, page)
    assert _flashes(principal, none_yet) == ["Lớp 6A2 chưa có kết quả Cả năm để phê duyệt."]
    vice = _as(app, Role.VICE_PRINCIPAL)
    computed = _post(vice, f"/phe-duyet-ket-qua/lop/{school.class_id}/tinh", {"ky": "cn"}, page)
    assert _flashes(vice, computed) == ["Đã tính kết quả Cả năm của lớp 6A1."]
    locked = _post(vice, f"/phe-duyet-ket-qua/lop/{school.class_id}/tinh", {"ky": "hk1"}, page)
    assert _flashes(vice, locked)[0].startswith("Sổ gọi tên và ghi điểm lớp 6A1, Học kì I năm học 2025-2026 đã khóa")
    seen = vice.get(page).get_data(as_text=True)
    assert "Lò Thị Mai" in seen and 'id="approve-results"' not in seen and 'id="compute-results"' in seen
    before = _trail(school)
    assert _post(vice, f"/phe-duyet-ket-qua/lop/{school.class_id}", {"ky": "cn"}, page).status_code == 403
    homeroom = _as(app, Role.HOMEROOM_TEACHER)
    assert homeroom.get(page).status_code == 403
    for path in (f"/phe-duyet-ket-qua/lop/{school.class_id}", f"/phe-duyet-ket-qua/lop/{school.class_id}/tinh"):
        assert _post(homeroom, path, {"ky": "cn"}, "/chu-nhiem").status_code == 403
    assert _trail(school) == before
    assert principal.get(f"/phe-duyet-ket-qua/lop/{school.class_id}?ky=hk9").status_code == 400


def test_the_leaders_home_pages_link_the_work_and_hide_what_is_not_theirs(app, school):
    principal = _as(app, Role.PRINCIPAL).get("/hieu-truong").get_data(as_text=True)
    assert all(link in principal for link in ("/kiem-tra-so", "/phe-duyet-ket-qua", "/khoa-so", "/sua-diem"))
    admin = _as(app, Role.ADMINISTRATOR)
    assert admin.get("/kiem-tra-so").status_code == 403
    assert "/kiem-tra-so" not in admin.get("/khoa-so").get_data(as_text=True)
    assert dt.date.today()  # the pages above ran on the real date (no SODIENTU_TODAY)
