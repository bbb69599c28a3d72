"""A database error no service mapped (SQLite still locked after its busy timeout under load, a
constraint) gets the clear message of ``records.db.db_error``, not the generic 500 page (web/errors.py)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from web.app import create_app


@pytest.fixture
def failing_app(web_school):  # type: ignore[no-untyped-def]
    app = create_app(web_school.url, TESTING=True, PROPAGATE_EXCEPTIONS=False)

    def locked() -> str:
        raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))

    def duplicate() -> str:
        raise IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed: mark.id"))

    app.add_url_rule("/_thu/khoa", view_func=locked)
    app.add_url_rule("/_thu/trung", view_func=duplicate)
    yield app
    app.extensions["sodientu.engine"].dispose()


def test_a_busy_database_is_a_503_with_a_retry_message(failing_app) -> None:
    response = failing_app.test_client().get("/_thu/khoa")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    body = response.get_data(as_text=True)
    assert "Cơ sở dữ liệu đang bận" in body and "chưa có gì được lưu" in body
    assert "database is locked" not in body and "Traceback" not in body


def test_a_constraint_is_a_409_saying_nothing_was_saved(failing_app) -> None:
    response = failing_app.test_client().get("/_thu/trung", headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert "chưa có gì được lưu" in response.get_json()["error"]
