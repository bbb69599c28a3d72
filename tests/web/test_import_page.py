"""The upload page for imports (issue 13): preview, import, errors by row and column, rights, hostile cells."""

from __future__ import annotations

import io

from sqlalchemy import select

from records.db import make_engine, session_scope
from records.models import Role, Student
from tests.records.interop.messy import xlsx
from tests.web.conftest import csrf_of

TITLE = "DANH SÁCH HỌC SINH LỚP 6A2 NĂM HỌC 2025-2026"  # 6A1's roll is numbered: newcomers are transfers
HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc"]


def _post(client, rows, *, preview: bool, kind: str = "students", **fields):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/nhap-du-lieu").get_data(as_text=True))
    data = {"csrf_token": token, "kind": kind, "year": "2025", **fields,
            "file": (io.BytesIO(xlsx([HEADER, *rows], title=TITLE).data), "6a1.xlsx")}
    if preview:
        data["preview"] = "1"
    return client.post("/nhap-du-lieu", data=data, content_type="multipart/form-data")


def _names(web_school) -> set[str]:  # type: ignore[no-untyped-def]
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        names = {s.given_name for s in session.scalars(select(Student).where(Student.school_id == web_school.school_id))}
    engine.dispose()
    return names


def test_preview_then_import_then_the_same_file_again(login_as, web_school) -> None:
    admin = login_as(Role.ADMINISTRATOR)
    rows = [[1, "Lò Văn Páo", "02/03/2014", "Nam", "Thái"], [2, "Hoàng Thị Ánh Nguyệt", "05/06/2014", "Nữ", "Tày"]]
    preview = _post(admin, rows, preview=True)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Chạy thử, chưa ghi gì" in html and "Sẽ ghi" in html
    assert "<td>tạo mới</td>" in html
    assert "Páo" not in _names(web_school)
    done = _post(admin, rows, preview=False)
    assert done.status_code == 200 and "Đã ghi" in done.get_data(as_text=True)
    assert "Páo" in _names(web_school)
    again = _post(admin, rows, preview=False).get_data(as_text=True)
    assert "<td>tạo mới</td>" not in again  # the same file again changes nothing


def test_a_hostile_name_is_refused_and_shown_as_text(login_as, web_school) -> None:
    admin = login_as(Role.ADMINISTRATOR)
    response = _post(admin, [[1, '=HYPERLINK("http://x")<script>', "02/03/2014", "Nam", "Thái"]], preview=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Dòng 4, cột «Họ và tên» (B4)" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_an_impossible_date_is_named_and_nothing_is_written(login_as, web_school) -> None:
    admin = login_as(Role.ADMINISTRATOR)
    response = _post(admin, [[1, "Sùng A Lử", "28/02/2014", "Nam", "Mông"], [2, "Vàng Thị Dở", "31/02/2014", "Nữ", "Mông"]],
                     preview=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Dòng 5, cột «Ngày sinh» (C5)" in html
    assert not {"Lử", "Dở"} & _names(web_school)


def test_a_teacher_gets_a_report_of_refusals_not_a_write(login_as, web_school) -> None:
    teacher = login_as(Role.SUBJECT_TEACHER)
    response = _post(teacher, [[1, "Giàng A Tủa", "02/03/2014", "Nam", "Mông"]], preview=False)
    assert response.status_code == 400 and "Traceback" not in response.get_data(as_text=True)
    assert "Tủa" not in _names(web_school)


def test_bad_form_values_and_files_get_a_message(login_as) -> None:
    admin = login_as(Role.ADMINISTRATOR)
    token = csrf_of(admin.get("/nhap-du-lieu").get_data(as_text=True))
    no_file = admin.post("/nhap-du-lieu", data={"csrf_token": token, "kind": "students"})
    assert no_file.status_code == 400 and "Hãy chọn tệp" in no_file.get_data(as_text=True)
    bad_kind = admin.post("/nhap-du-lieu", data={"csrf_token": token, "kind": "../etc"})
    assert bad_kind.status_code == 400
    bad_year = _post(admin, [], preview=True, year="hai nghìn")
    assert bad_year.status_code == 400 and "không hợp lệ" in bad_year.get_data(as_text=True)
    not_a_sheet = admin.post("/nhap-du-lieu", content_type="multipart/form-data", data={
        "csrf_token": token, "kind": "students", "file": (io.BytesIO(b"\x00\x01 not a workbook"), "x.xlsx")})
    assert not_a_sheet.status_code == 400 and "Traceback" not in not_a_sheet.get_data(as_text=True)


def test_a_file_over_the_request_limit_gets_413_not_a_traceback(login_as) -> None:
    admin = login_as(Role.ADMINISTRATOR)
    token = csrf_of(admin.get("/nhap-du-lieu").get_data(as_text=True))
    response = admin.post("/nhap-du-lieu", content_type="multipart/form-data", data={
        "csrf_token": token, "kind": "students", "file": (io.BytesIO(b"x" * (17 * 1024 * 1024)), "lon.xlsx")})
    assert response.status_code == 413 and "Tệp gửi lên quá lớn" in response.get_data(as_text=True)
