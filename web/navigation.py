"""One navigation bar for every page: the current role's work pages, under the role switcher (``base.html``).

Each role's pages are listed here once (label, endpoint, query arguments), so that every page of a role shows
the same links in the same order, the page being shown marked. A page offered here still checks its own
rights (``role_page`` and the services): the list only keeps people from hunting for URLs.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request, url_for

from records.models import Role
from web.auth import current_role

Page = tuple[str, str, dict[str, Any]]

_EDITIONS: Page = ("Bản in đã phát hành", "office.edition_list_page", {})
_LEADERS: tuple[Page, ...] = (
    ("Khóa / mở sổ", "leader.lock_register", {}),
    ("Đơn đề nghị sửa điểm", "leader.correction_list", {}),
    ("Kiểm tra sổ hằng tháng", "leader.inspection", {}),
    ("Kết quả các lớp", "leader.results_overview", {}),
    _EDITIONS,
)
PAGES: dict[Role, tuple[Page, ...]] = {
    Role.ADMINISTRATOR: (
        ("Trường và năm học", "admin.home", {}),
        ("Tài khoản", "admin.users", {}),
        ("Thực hiện khóa / mở sổ", "leader.lock_register", {}),
        ("Sửa điểm đã duyệt", "leader.correction_list", {"tt": "da-duyet"}),
        _EDITIONS,
        ("Nhập dữ liệu từ tệp", "office.import_form", {}),
    ),
    Role.PRINCIPAL: (("Trang chủ", "home.principal", {}), *_LEADERS),
    Role.VICE_PRINCIPAL: (("Trang chủ", "home.vice_principal", {}), *_LEADERS),
    Role.HEAD_OF_DEPARTMENT: (("Tiến độ của tổ", "home.department", {}),),
    Role.HOMEROOM_TEACHER: (("Lớp chủ nhiệm", "home.homeroom", {}),),
    Role.SUBJECT_TEACHER: (
        ("Lớp của tôi", "home.teacher", {}),
        ("Đơn đề nghị sửa điểm", "leader.correction_form", {}),
    ),
    Role.OFFICE: (
        ("Văn phòng", "home.office", {}),
        ("In sổ", "office.print_form", {}),
        _EDITIONS,
        ("Nhập dữ liệu từ tệp", "office.import_form", {}),
    ),
    Role.INSPECTOR: (("Trang chủ", "home.inspector", {}), _EDITIONS),
}


def nav_links() -> list[tuple[str, str, bool]]:
    """The current role's pages: (label, address, is the page shown)."""
    role = current_role()
    return [(label, url_for(endpoint, **args), request.endpoint == endpoint)
            for label, endpoint, args in PAGES.get(role, ())] if role else []


def register(app: Flask) -> None:
    """Give every template ``nav_links``."""

    @app.context_processor
    def _navigation() -> dict[str, Any]:
        return {"nav_links": nav_links()}
