"""Signing in and out, CSRF, session expiry, rate limits, password change: through the Flask test client."""

from __future__ import annotations

import re

import pytest

from records.models import Role
from tests.factories import TEST_PASSWORD
from tests.web.conftest import LOGIN_OF, csrf_of, login
from web.auth import ROLE_HOMES


@pytest.mark.parametrize("role", list(Role))
def test_every_role_signs_in_lands_on_its_home_and_signs_out(app, role):
    client = app.test_client()
    response = login(client, LOGIN_OF[role])
    assert response.status_code == 302
    with app.test_request_context():
        from flask import url_for

        home = url_for(ROLE_HOMES[role])
    assert response.location == home
    page = client.get(home)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'id="who-role">{role.label_vi}<' in html
    assert f"({LOGIN_OF[role]})" in html
    out = client.post("/dang-xuat", data={"csrf_token": csrf_of(html)})
    assert out.status_code == 302 and out.location.endswith("/dang-nhap")
    again = client.get(home)
    assert again.status_code == 302 and "/dang-nhap" in again.location


def test_wrong_password_is_refused_with_one_message(app):
    client = app.test_client()
    wrong = login(client, "giaovien", "mat-khau-sai")
    unknown = login(client, "khong-ton-tai", "mat-khau-sai")
    assert wrong.status_code == unknown.status_code == 401
    message = re.search(r'id="login-error">([^<]+)<', wrong.get_data(as_text=True)).group(1)
    assert message == "Tên đăng nhập hoặc mật khẩu không đúng."
    assert message in unknown.get_data(as_text=True)
    assert client.get("/giao-vien").status_code == 302  # still nobody signed in


def test_a_form_without_its_csrf_token_is_refused(app, login_as):
    client = app.test_client()
    client.get("/dang-nhap")
    refused = client.post("/dang-nhap", data={"username": "giaovien", "password": TEST_PASSWORD})
    assert refused.status_code == 400 and "Biểu mẫu" in refused.get_data(as_text=True)
    signed = login_as(Role.SUBJECT_TEACHER)
    assert signed.post("/dang-xuat").status_code == 400
    assert signed.post("/dang-xuat", data={"csrf_token": "gia-mao"}).status_code == 400
    assert signed.get("/giao-vien").status_code == 200  # still signed in


def test_a_token_seen_before_sign_in_is_worthless_after(app):
    client = app.test_client()
    before = csrf_of(client.get("/dang-nhap").get_data(as_text=True))
    client.post("/dang-nhap", data={"username": "giaovien", "password": TEST_PASSWORD, "csrf_token": before})
    assert client.post("/dang-xuat", data={"csrf_token": before}).status_code == 400


def test_a_teachers_page_typed_by_another_role_is_refused(login_as):
    for role in (Role.OFFICE, Role.PRINCIPAL, Role.INSPECTOR, Role.ADMINISTRATOR):
        page = login_as(role).get("/giao-vien")
        assert page.status_code == 403
        assert "Trang này chỉ dành cho: Giáo viên bộ môn." in page.get_data(as_text=True)


def test_pages_need_a_sign_in_and_come_back_after_it(app):
    client = app.test_client()
    asked = client.get("/quan-tri")
    assert asked.status_code == 302 and "next=/quan-tri" in asked.location
    token = csrf_of(client.get(asked.location).get_data(as_text=True))
    done = client.post("/dang-nhap", data={"username": "quantri", "password": TEST_PASSWORD, "csrf_token": token,
                                          "next": "/quan-tri"})
    assert done.location == "/quan-tri"
    client.post("/dang-xuat", data={"csrf_token": csrf_of(client.get("/quan-tri").get_data(as_text=True))})
    token = csrf_of(client.get("/dang-nhap").get_data(as_text=True))
    away = client.post("/dang-nhap", data={"username": "quantri", "password": TEST_PASSWORD, "csrf_token": token,
                                          "next": "//evil.example/x"})
    assert away.location == "/quan-tri"  # never sent off-site


def test_the_public_verification_page_needs_no_sign_in(app):
    client = app.test_client()
    assert client.get("/xac-thuc").status_code == 200
    assert client.post("/xac-thuc", data={"code": ""}).status_code == 400  # answered, not a CSRF refusal


def test_an_ended_session_cannot_be_replayed(app, web_school):
    from records.db import make_engine, session_scope
    from records.models import AuthSession

    client = app.test_client()
    login(client, "vanphong")
    cookie = client.get_cookie("sodientu").value
    client.post("/dang-xuat", data={"csrf_token": csrf_of(client.get("/van-phong").get_data(as_text=True))})
    replay = app.test_client()
    replay.set_cookie("sodientu", cookie)
    assert replay.get("/van-phong").status_code == 302
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        assert session.query(AuthSession).filter(AuthSession.ended_at.isnot(None)).count() >= 1
    engine.dispose()


def test_rate_limit_refuses_even_the_right_password(app):
    client = app.test_client()
    for _ in range(5):
        assert login(client, "phohieutruong", "doan-thu-123").status_code == 401
    blocked = login(client, "phohieutruong")
    assert blocked.status_code == 429 and "quá nhiều lần" in blocked.get_data(as_text=True)


def test_password_change_and_forced_change_after_reset(app, login_as, web_school):
    from records.db import make_engine, session_scope
    from records.permissions import Actor
    from records.services import accounts

    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        admin = Actor.by_username(session, "quantri")
        user = Actor.by_username(session, "totruong")
        accounts.reset_password(session, admin, user.user_id, "tam-thoi-2025")
    engine.dispose()
    client = app.test_client()
    forced = login(client, "totruong", "tam-thoi-2025")
    assert forced.location.endswith("/doi-mat-khau")
    assert client.get("/to-chuyen-mon").location.endswith("/doi-mat-khau")
    token = csrf_of(client.get("/doi-mat-khau").get_data(as_text=True))
    done = client.post("/doi-mat-khau", data={"csrf_token": token, "old_password": "tam-thoi-2025",
                                              "new_password": TEST_PASSWORD, "confirm_password": TEST_PASSWORD})
    assert done.status_code == 302
    assert client.get("/to-chuyen-mon").status_code == 200
