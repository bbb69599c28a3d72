"""The one error table: every domain error class of every layer is answered, in Vietnamese, without a traceback."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask import Flask

from records.errors import PermissionDeniedError, SodientuError
from web.errors import ERRORS, answer_for

PACKAGES = ("records", "layouts", "signing", "archive", "scans", "web")


def _all_error_classes() -> set[type]:
    for name in PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            if ".migrations" in info.name or info.name.endswith("__main__"):
                continue
            importlib.import_module(info.name)
    found: set[type] = set()
    todo = [SodientuError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return {c for c in found if c.__module__.split(".")[0] in PACKAGES}


def test_every_domain_error_class_is_in_the_table():
    missing = sorted(f"{c.__module__}.{c.__qualname__}" for c in _all_error_classes() if c not in ERRORS)
    assert missing == [], f"add these to web.errors.ERRORS: {missing}"
    assert all(answer.title_vi and 400 <= answer.status < 600 for answer in ERRORS.values())


@pytest.mark.parametrize("cls", sorted(ERRORS, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_each_error_is_answered_with_its_status_and_vietnamese_message(app: Flask, cls):
    @app.get(f"/_raise/{cls.__name__}")
    def _raise():  # type: ignore[no-untyped-def]
        error = cls.__new__(cls)  # some errors build their message from their own arguments
        SodientuError.__init__(error, "Thông điệp tiếng Việt cho người dùng.", "english message for logs")
        raise error

    client = app.test_client()
    response = client.get(f"/_raise/{cls.__name__}")
    html = response.get_data(as_text=True)
    assert response.status_code == ERRORS[cls].status
    assert "Thông điệp tiếng Việt cho người dùng." in html and ERRORS[cls].title_vi in html
    assert "Traceback" not in html and "english message" not in html
    as_json = client.get(f"/_raise/{cls.__name__}", headers={"Accept": "application/json"})
    assert as_json.get_json() == {"error": "Thông điệp tiếng Việt cho người dùng."}


def test_an_unexpected_error_is_a_vietnamese_500_without_traceback(app: Flask):
    @app.get("/_boom")
    def _boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    response = app.test_client().get("/_boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "Lỗi hệ thống" in html
    assert "secret internals" not in html and "Traceback" not in html


def test_unknown_pages_are_answered_in_vietnamese(app: Flask):
    response = app.test_client().get("/khong-co-trang-nay")
    assert response.status_code == 404 and "Không tìm thấy trang" in response.get_data(as_text=True)
    assert answer_for(PermissionDeniedError("x")).status == 403
