"""The administrator's screens, through the Flask test client: a school from nothing to classes with teachers."""

from __future__ import annotations

import re

from sqlalchemy import select

from records import audit
from records.db import make_engine, session_scope, upgrade
from records.models import Class, Role, TeachingAssignment, User
from records.services import setup
from tests.factories import TEST_PASSWORD, TEST_PASSWORD_HASH
from tests.web.conftest import csrf_of, login
from web.app import create_app


def _post(client, path, data, page=None):
    token = csrf_of(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def _flash(client, response):
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    html = client.get(response.location).get_data(as_text=True)
    return re.findall(r'class="flash">([^<]+)<', html), html


def test_from_an_empty_database_to_two_classes_with_teachers(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        setup.initialise_school(session, code="HN001", name="Trường THCS Cầu Giấy", district="Quận Cầu Giấy",
                                province="Hà Nội", admin_username="admin", admin_full_name="Nguyễn Quản Trị",
                                admin_password=TEST_PASSWORD, password_hash=TEST_PASSWORD_HASH)
    app = create_app(url, TESTING=True)
    client = app.test_client()
    assert login(client, "admin").location == "/quan-tri"
    made = _post(client, "/quan-tri/nam-hoc", {"start_year": "2025", "starts_on": "2025-09-05", "term1_ends_on": "",
                                               "ends_on": "", "mark_cutoff": ""}, page="/quan-tri")
    year_url = made.location
    assert re.fullmatch(r"/quan-tri/nam-hoc/\d+", year_url)
    messages, _ = _flash(client, made)
    assert messages == ["Đã tạo năm học 2025-2026."]
    again = _post(client, "/quan-tri/nam-hoc", {"start_year": "2025"}, page="/quan-tri")
    assert _flash(client, again)[0] == ["Năm học 2025-2026 đã được khai báo."]
    for username, name, roles in (("gv.toan", "Trần Thị Toán", ["subject_teacher"]),
                                  ("gv.van", "Lê Văn Văn", ["subject_teacher", "homeroom_teacher"]),
                                  ("ht", "Phạm Hiệu Trưởng", ["principal"])):
        response = client.post("/quan-tri/tai-khoan", data={
            "csrf_token": csrf_of(client.get("/quan-tri/tai-khoan").get_data(as_text=True)),
            "username": username, "full_name": name, "department": "Tổ Toán", "roles": roles,
            "password": "mat-khau-dau-tien"})
        assert _flash(client, response)[0] == [f"Đã tạo tài khoản {username}."]
    short = _post(client, "/quan-tri/tai-khoan", {"username": "x1", "full_name": "X", "password": "ngan"})
    assert _flash(client, short)[0] == ["Mật khẩu phải có ít nhất 8 kí tự."]
    with session_scope(engine) as session:
        users = {u.username: u.id for u in session.scalars(select(User))}
        assert "x1" not in users  # nothing half-written
    for name, teacher in (("6A1", "gv.van"), ("6A2", "")):
        response = _post(client, f"{year_url}/lop", {"level": "6", "name": name,
                                                      "homeroom_teacher_id": users.get(teacher, "")}, page=year_url)
        assert _flash(client, response)[0] == [f"Đã tạo lớp {name}."]
    with session_scope(engine) as session:
        classes = {c.name: c.id for c in session.scalars(select(Class))}
    page = client.get(f"/quan-tri/lop/{classes['6A1']}").get_data(as_text=True)
    toan = re.search(r'<option value="(\d+)">Toán</option>', page).group(1)
    terms = re.findall(r'<option value="(\d+)">Học kì I+</option>', page)
    for klass in ("6A1", "6A2"):
        response = _post(client, f"/quan-tri/lop/{classes[klass]}/phan-cong",
                         {"subject_id": toan, "term_id": terms[0], "teacher_id": users["gv.toan"]},
                         page=f"/quan-tri/lop/{classes[klass]}")
        assert _flash(client, response)[0][0].startswith("Đã phân công Trần Thị Toán dạy Toán")
    copied = _post(client, f"{year_url}/chep-phan-cong", {}, page=year_url)
    assert _flash(client, copied)[0] == ["Đã chép phân công học kì I sang học kì II."]
    year_page = client.get(year_url).get_data(as_text=True)
    assert "Lê Văn Văn" in year_page and "6A2" in year_page
    with session_scope(engine) as session:
        assert session.query(TeachingAssignment).count() == 4
        assert audit.verify(session).ok

    teacher = app.test_client()
    response = login(teacher, "gv.toan", "mat-khau-dau-tien")
    assert response.location == "/doi-mat-khau"  # a first password is changed at first sign-in
    token = csrf_of(teacher.get("/doi-mat-khau").get_data(as_text=True))
    teacher.post("/doi-mat-khau", data={"csrf_token": token, "old_password": "mat-khau-dau-tien",
                                        "new_password": "mat-khau-rieng-1", "confirm_password": "mat-khau-rieng-1"})
    home = teacher.get("/giao-vien").get_data(as_text=True)
    assert home.count("Xem điểm") == 4 and "6A1" in home and "6A2" in home
    assert teacher.get("/quan-tri").status_code == 403
    engine.dispose()
    app.extensions["sodientu.engine"].dispose()


def test_refusals_and_roles_on_the_account_screens(app, login_as, web_school):
    admin = login_as(Role.ADMINISTRATOR)
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        office = session.scalars(select(User).where(User.username == "vanphong")).one()
    page = f"/quan-tri/tai-khoan/{office.id}"
    response = _post(admin, f"{page}/vai-tro", {"roles": ["office", "vice_principal"]}, page=page)
    assert _flash(admin, response)[0] == ["Đã cập nhật vai trò."]
    response = _post(admin, f"{page}/vai-tro", {"roles": ["office"]}, page=page)
    with session_scope(engine) as session:
        roles = {Role(g.role) for g in session.get(User, office.id).grants if g.revoked_at is None}
        assert roles == {Role.OFFICE}
    # another role cannot post to the administrator's forms, even with a valid token
    principal = login_as(Role.PRINCIPAL)
    token = csrf_of(principal.get("/hieu-truong").get_data(as_text=True))
    refused = principal.post(f"{page}/khoa", data={"csrf_token": token, "enable": "0"})
    assert refused.status_code == 403
    with session_scope(engine) as session:
        assert session.get(User, office.id).active
    engine.dispose()
