"""In a real browser (Debian's headless Chromium through Playwright, no browser download): a new school set up
from nothing to a first class with its teachers, sign-in and sign-out for every role, a wrong password refused,
a form posted without its CSRF token refused, a teacher's page typed by another role refused.

Screenshots of each main page go to ``tests/web/_artifacts/`` (git-ignored), on a laptop-sized and a
phone-sized window. Skipped with a reason when Chromium or Playwright is missing (``.ci/run`` installs them).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from tests.web.browser import browser, playwright_api, shot, sign_in

expect = playwright_api.expect

ADMIN_PASSWORD = "mat-khau-quan-tri-1"
FIRST_PASSWORD = "mat-khau-ban-dau-1"
OWN_PASSWORD = "mat-khau-rieng-2025"

pytestmark = pytest.mark.slow

STAFF = [  # login, full name, role values ticked on the account form
    ("ht.lan", "Nguyễn Thị Lan", ["principal"]),
    ("pht.minh", "Trần Văn Minh", ["vice_principal"]),
    ("tt.hoa", "Lê Thị Hoa", ["head_of_department", "subject_teacher"]),
    ("gv.nam", "Phạm Văn Nam", ["homeroom_teacher", "subject_teacher"]),
    ("gv.thu", "Đỗ Thị Thu", ["subject_teacher"]),
    ("vp.tho", "Quàng Thị Thơ", ["office"]),
]
HOMES = {"quantri": ("/quan-tri", "Quản trị hệ thống"), "ht.lan": ("/hieu-truong", "Hiệu trưởng"),
         "pht.minh": ("/pho-hieu-truong", "Phó hiệu trưởng"), "tt.hoa": ("/to-chuyen-mon", "Tổ trưởng chuyên môn"),
         "gv.nam": ("/chu-nhiem", "Giáo viên chủ nhiệm"), "gv.thu": ("/giao-vien", "Giáo viên bộ môn"),
         "vp.tho": ("/van-phong", "Văn phòng"), "tt.huyen": ("/thanh-tra", "Thanh tra")}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``sodientu init`` on an empty SQLite file, a district inspector, then the app behind waitress."""
    import waitress

    from records.db import make_engine, session_scope
    from records.models import Role
    from records.permissions import Actor
    from records.services import accounts, setup
    from web.app import create_app
    from web.cli import cli

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'school.sqlite'}"
    result = CliRunner().invoke(cli, ["init", "--school-code", "14201", "--school-name", "Trường THCS Chiềng Sơn",
                                      "--district", "Huyện Mộc Châu", "--province", "Sơn La", "--admin", "quantri",
                                      "--db", url], env={"SODIENTU_ADMIN_PASSWORD": ADMIN_PASSWORD})
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    with session_scope(engine) as session:  # inspectors are district-wide: granted by the installation
        system = Actor.system("thanh tra huyện")
        inspector = setup.create_user(session, system, username="tt.huyen", full_name="Hờ A Páo", school=None,
                                      district="Huyện Mộc Châu", roles=[Role.INSPECTOR])
        accounts.set_password(session, system, inspector, OWN_PASSWORD)
    engine.dispose()
    app = create_app(url)
    srv = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.effective_port}"
    srv.close()
    thread.join(timeout=5)
    app.extensions["sodientu.engine"].dispose()


def flashed(page, *messages: str | re.Pattern[str]) -> None:  # type: ignore[no-untyped-def]
    """The page (once it has loaded after a click) shows exactly these flash messages; Playwright retries the
    check until they appear, so a click's answer still on its way is waited for, not read too early."""
    expect(page.locator(".flash")).to_have_text(list(messages))


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.click("#sign-out")
    page.wait_for_url("**/dang-nhap")
    flashed(page, "Bạn đã đăng xuất.")


def test_a_school_from_nothing_to_a_first_class_then_every_role(server, browser):
    base = server
    context = browser.new_context(viewport={"width": 1024, "height": 700}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{base}/quan-tri")
    assert "/dang-nhap?next=/quan-tri" in page.url
    shot(page, "01-dang-nhap")

    # a wrong password is refused
    sign_in(page, base, "quantri", "khong-dung-mat-khau")
    expect(page.locator("#login-error")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    shot(page, "02-sai-mat-khau")

    # the administrator sets the school up: a year, the staff, a class with its homeroom teacher and teachers
    sign_in(page, base, "quantri", ADMIN_PASSWORD)
    page.wait_for_url(f"{base}/quan-tri")
    expect(page.locator("#who-role")).to_have_text("Quản trị hệ thống")
    page.fill("#new-year input[name=start_year]", "2025")
    page.click("#new-year button")
    flashed(page, "Đã tạo năm học 2025-2026.")
    year_url = page.url
    shot(page, "03-nam-hoc")
    page.click("text=Tài khoản")
    page.wait_for_url("**/quan-tri/tai-khoan")
    for login, name, roles in STAFF:
        page.fill("#nu-username", login)
        page.fill("#nu-full", name)
        page.fill("#nu-dept", "Tổ Khoa học tự nhiên")
        for role in roles:
            page.check(f"#new-user input[value={role}]")
        page.fill("#nu-password", FIRST_PASSWORD)
        page.click("#new-user button")
        flashed(page, f"Đã tạo tài khoản {login}.")
    shot(page, "04-tai-khoan")
    page.goto(year_url)
    page.fill("#new-class input[name=name]", "6A1")
    page.select_option("#new-class select[name=level]", "6")
    page.select_option("#new-class select[name=homeroom_teacher_id]", label="Phạm Văn Nam (gv.nam)")
    page.click("#new-class button")
    flashed(page, "Đã tạo lớp 6A1.")
    page.click("#classes >> text=6A1")
    page.wait_for_url(re.compile(r"/quan-tri/lop/\d+$"))
    for subject, teacher in (("Toán", "Đỗ Thị Thu (gv.thu)"), ("Ngữ văn", "Phạm Văn Nam (gv.nam)"),
                             ("Khoa học tự nhiên", "Lê Thị Hoa (tt.hoa)")):
        page.select_option("#new-assignment select[name=subject_id]", label=subject)
        page.select_option("#new-assignment select[name=teacher_id]", label=teacher)
        page.click("#new-assignment button")
        flashed(page, re.compile("^" + re.escape(f"Đã phân công {teacher.split(' (')[0]} dạy {subject}")))
    expect(page.locator("#assignments tbody tr")).to_have_count(3)
    shot(page, "05-phan-cong")

    # a form posted without its CSRF token is refused (the token removed from the page, then submitted)
    page.goto(year_url)
    page.eval_on_selector("#new-class input[name=csrf_token]", "e => e.remove()")
    page.fill("#new-class input[name=name]", "6A9")
    page.click("#new-class button")
    expect(page.locator("h1")).to_have_text("Biểu mẫu không hợp lệ")
    shot(page, "06-thieu-csrf")
    page.goto(year_url)
    assert "6A9" not in page.locator("#classes").inner_text()
    sign_out(page)

    # every role signs in, lands on its own home page, and signs out
    for login, (home, role_label) in HOMES.items():
        password = ADMIN_PASSWORD if login == "quantri" else OWN_PASSWORD if login == "tt.huyen" else FIRST_PASSWORD
        sign_in(page, base, login, password)
        if page.url.endswith("/doi-mat-khau"):  # a first password is changed at first sign-in
            page.fill("#old_password", FIRST_PASSWORD)
            page.fill("#new_password", OWN_PASSWORD)
            page.fill("#confirm_password", OWN_PASSWORD)
            page.click("main button[type=submit]")
            flashed(page, "Đã đổi mật khẩu.")
        page.wait_for_url(f"{base}{home}")
        expect(page.locator("#who-role")).to_have_text(role_label)
        expect(page.locator("#who")).to_contain_text(f"({login})")
        shot(page, f"10-trang-chu-{home.strip('/')}")
        if login == "gv.thu":
            assert page.locator("#assignments").inner_text().count("6A1") == 1
            page.click("text=Xem điểm")
            expect(page.locator("h1")).to_have_text("Toán — lớp 6A1 — Học kì I")
            shot(page, "11-xem-diem")
        sign_out(page)

    # a teacher's page typed by someone of another role is refused
    sign_in(page, base, "vp.tho", OWN_PASSWORD)
    response = page.goto(f"{base}/giao-vien")
    assert response.status == 403
    expect(page.locator("#error-message")).to_have_text("Trang này chỉ dành cho: Giáo viên bộ môn.")
    shot(page, "12-tu-choi")
    sign_out(page)
    context.close()


def test_pages_fit_a_phone(server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="vi-VN")
    page = context.new_page()
    sign_in(page, server, "quantri", ADMIN_PASSWORD)
    page.wait_for_url("**/quan-tri")
    for path, name in (("/quan-tri", "20-dien-thoai-quan-tri"), ("/quan-tri/tai-khoan", "21-dien-thoai-tai-khoan")):
        page.goto(f"{server}{path}")
        page.wait_for_load_state("load")  # styles and images in: the width measured is the final layout's
        # nothing but the wide tables (which scroll inside their box) is wider than the screen
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 360, f"{path} is {overflow}px wide on a 360px phone"
        shot(page, name)
    year = page.goto(f"{server}/quan-tri")
    assert year.status == 200
    page.click("#years a")
    page.wait_for_url(re.compile(r"/quan-tri/nam-hoc/\d+$"))
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "22-dien-thoai-nam-hoc")
    context.close()
