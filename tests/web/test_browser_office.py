"""The office's daily work in a real browser, on the small demo school (as of 2026-03-10):

the office prints a class's mark book as an official edition and downloads the PDF (it opens and has pages);
the principal revokes that edition with a reason on the editions page (withdrawing is the principal's right);
the office uploads a class list, sees the dry run and applies it (adding students is the administrator's
right: the demo's office clerk, like many small schools' clerks, also holds the administrator role).
Screenshots go to ``tests/web/_artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest

from tests.web.browser import DEMO_TODAY, browser, make_demo_server, shot, sign_in

pytestmark = pytest.mark.slow

# as Excel saves a CSV on a Vietnamese Windows: ";" between cells, every row padded to the widest
NEW_CLASS_CSV = ("DANH SÁCH HỌC SINH LỚP 6A9 NĂM HỌC 2025-2026;;;;;\n"
                 "STT;Họ và tên;Ngày sinh;Giới tính;Dân tộc;Nơi sinh\n"
                 "1;Hoàng Văn Khánh;03/04/2014;Nam;Nùng;Cao Bằng\n"
                 "2;Lường Thị Ngọc Ánh;21/11/2014;Nữ;Thái;Sơn La\n"
                 "3;Nguyễn Thị Hồng Nhung;09/07/2014;Nữ;Kinh;Hà Nội\n")


@pytest.fixture(scope="module")
def office_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    """A demo school of this module's own, with its QR signing key beside the database."""
    from sqlalchemy import select

    from records.db import make_engine
    from records.models import School
    from web.commands.demo import create_demo_key

    tmp = tmp_path_factory.mktemp("demo-office")
    for server in make_demo_server(tmp):
        engine = make_engine(server.db_url)
        with engine.connect() as conn:
            code = conn.execute(select(School.code).where(School.external.is_(False))).scalar_one()
        key = create_demo_key(engine, code, None, DEMO_TODAY)
        engine.dispose()
        yield server, key.passphrase


def _page(browser, server):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(120_000)
    return context, page


def test_office_prints_a_class_book_principal_revokes_it_admin_imports_a_list(browser, office_server,
                                                                               tmp_path: Path):
    server, passphrase = office_server
    context, page = _page(browser, server)
    sign_in(page, server.base, server.users["office"])
    page.goto(f"{server.base}/van-phong")
    page.click("#page-nav >> text=In sổ")
    page.select_option("#scope", label=page.locator("#scope option").first.inner_text())
    class_label = page.locator("#scope option").first.inner_text()
    page.check("input[name=edition][value=official]")
    if page.locator("#passphrase").count():
        page.fill("#passphrase", passphrase)
    shot(page, "office-print-form")
    page.click("#print-submit")
    page.wait_for_selector("#job[data-status=done]")
    shot(page, "office-print-job")
    link = page.locator("#files a").first
    assert class_label.removeprefix("Lớp ") in link.inner_text()
    with page.expect_download() as info:
        link.click()
    target = tmp_path / "so-diem.pdf"
    info.value.save_as(target)
    with pikepdf.open(target) as pdf:
        assert len(pdf.pages) > 3
        assert "/AF" in pdf.Root  # the published edition carries its data and manifest
    page.click("#page-nav >> text=Bản in đã phát hành")
    row = page.locator("#editions tr[data-status=current]").first
    edition_id = row.get_attribute("data-edition")
    assert "còn hiệu lực" in row.inner_text()
    shot(page, "office-editions")
    with page.expect_download() as info:
        row.locator("text=Tải PDF").click()
    assert info.value.suggested_filename.startswith("ban-in-")
    context.close()

    context, page = _page(browser, server)
    sign_in(page, server.base, server.users["principal"])
    page.goto(f"{server.base}/van-phong/ban-in")
    row = page.locator(f"#editions tr[data-edition='{edition_id}']")
    row.locator("input[name=reason]").fill("Bản in bị nhòe mực, in lại")
    row.locator("button:has-text('Thu hồi')").click()
    page.wait_for_selector(f"#editions tr[data-edition='{edition_id}'][data-status=revoked]")
    assert "Đã thu hồi bản in" in page.locator(".flash").inner_text()
    assert "Bản in bị nhòe mực, in lại" in page.locator(f"#editions tr[data-edition='{edition_id}']").inner_text()
    shot(page, "office-edition-revoked")
    context.close()

    context, page = _page(browser, server)
    sign_in(page, server.base, server.users["office"])
    page.goto(f"{server.base}/van-phong")
    page.click("#page-nav >> text=Nhập dữ liệu từ tệp")
    csv_file = tmp_path / "lop-6a9.csv"
    csv_file.write_text(NEW_CLASS_CSV, encoding="utf-8")
    page.select_option("#kind", "students")
    page.set_input_files("#file", str(csv_file))
    page.check("input[name=create_classes]")
    page.click("#preview")
    page.wait_for_selector("#import-report[data-ok=yes]")
    assert "Lường Thị Ngọc Ánh" in page.locator("#changes").inner_text()
    assert "chưa ghi gì" in page.locator("#import-summary").inner_text()
    shot(page, "office-import-preview")
    page.click("#apply")
    page.wait_for_selector("#import-report[data-written=yes]")
    assert "Đã ghi" in page.locator("#import-summary").inner_text()
    shot(page, "office-import-applied")
    context.close()
