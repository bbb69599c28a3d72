"""A school built through the set-up services in its own database, the app on it, and ``login_as(role)``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from records.db import make_engine, session_scope, upgrade
from records.models import Role, Subject, Term
from records.permissions import Actor
from records.services import setup
from tests.factories import TEST_PASSWORD, TEST_PASSWORD_HASH
from web.app import create_app

#: One user per role (user name → role); the homeroom teacher of 6A1 also teaches Toán there.
USERS = {
    "quantri": Role.ADMINISTRATOR, "hieutruong": Role.PRINCIPAL, "phohieutruong": Role.VICE_PRINCIPAL,
    "totruong": Role.HEAD_OF_DEPARTMENT, "chunhiem": Role.HOMEROOM_TEACHER, "giaovien": Role.SUBJECT_TEACHER,
    "vanphong": Role.OFFICE, "thanhtra": Role.INSPECTOR,
}
LOGIN_OF = {role: username for username, role in USERS.items()}


@dataclass(frozen=True)
class WebSchool:
    """Ids of what the web tests look at."""

    url: str
    school_id: int
    year_id: int
    class_id: int
    other_class_id: int
    subject_id: int
    term_id: int


def build_school(url: str) -> WebSchool:
    """A school with one year, two classes of grade 6, a user per role, a homeroom and assignments."""
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        done = setup.initialise_school(session, code="WEB01", name="Trường THCS Kiểm Thử", district="Huyện Mộc Châu",
                                       province="Sơn La", admin_username="quantri", admin_full_name="Lò Văn Quản",
                                       admin_password=TEST_PASSWORD, password_hash=TEST_PASSWORD_HASH)
        admin = Actor.load(session, done.admin.id)
        school = done.school
        year = setup.create_school_year(session, admin, school, 2025)
        grade6 = next(g for g in year.grades if g.level == 6)
        users = {"quantri": done.admin}
        for username, role in USERS.items():
            if username == "quantri":
                continue
            if role is Role.INSPECTOR:
                user = setup.create_user(session, Actor.system("thanh tra huyện"), username=username,
                                         full_name="Cầm Thị Tra", school=None, district=school.district,
                                         roles=(role,))
            else:
                user = setup.create_user(session, admin, username=username, full_name=f"Người {username}",
                                         school=school, roles=(role,), department="Tổ Toán - Tin")
            user.password_hash = TEST_PASSWORD_HASH
            users[username] = user
        klass = setup.create_class(session, admin, grade6, "6A1", homeroom_teacher=users["chunhiem"])
        other = setup.create_class(session, admin, grade6, "6A2")
        toan = session.scalars(select(Subject).where(Subject.school_id == school.id, Subject.code == "toan")).one()
        term1 = session.scalars(select(Term).where(Term.school_year_id == year.id, Term.number == 1)).one()
        setup.assign_teacher(session, admin, klass, toan, term1, users["giaovien"])
        setup.grant_role(session, admin, users["chunhiem"], Role.SUBJECT_TEACHER, school=school)
        setup.assign_teacher(session, admin, klass, toan, term1, users["chunhiem"])
        ids = WebSchool(url, school.id, year.id, klass.id, other.id, toan.id, term1.id)
    engine.dispose()
    return ids


@pytest.fixture(scope="module")
def web_school(tmp_path_factory: pytest.TempPathFactory) -> WebSchool:
    """The school, built once per test module in a SQLite file."""
    return build_school(f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.sqlite'}")


@pytest.fixture
def app(web_school: WebSchool) -> Iterator[Flask]:
    application = create_app(web_school.url, TESTING=True)
    yield application
    application.extensions["sodientu.engine"].dispose()


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a csrf_token"
    return found.group(1)


def login(client: FlaskClient, username: str, password: str = TEST_PASSWORD):  # type: ignore[no-untyped-def]
    """Sign in through the form (GET for the token, then POST)."""
    token = csrf_of(client.get("/dang-nhap").get_data(as_text=True))
    return client.post("/dang-nhap", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def login_as(app: Flask):  # type: ignore[no-untyped-def]
    """``login_as(role)`` → a test client signed in as the school's user holding that role."""

    def _login(role: Role) -> FlaskClient:
        client = app.test_client()
        response = login(client, LOGIN_OF[role])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


TODAY = dt.date(2025, 10, 1)
