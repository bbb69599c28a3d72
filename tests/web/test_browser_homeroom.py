"""In headless Chromium on the small demo school (as of 2026-03-10): the homeroom teacher records a month's
attendance with the keyboard only, a conduct grade and a comment, and uploads a photo cropped in the
browser, which then prints on the transcript's identity page. Screenshots go to ``tests/web/_artifacts/``.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from tests.web.browser import ARTIFACTS, browser, demo_server, flash, shot, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page(browser, demo_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    tab = context.new_page()
    sign_in(tab, demo_server.base, demo_server.users["homeroom_teacher"])
    yield tab
    context.close()


def _class_url(page, base: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/chu-nhiem")
    shot(page, "homeroom-home")
    href = page.locator("#homerooms a").first.get_attribute("href")
    assert href and href.startswith("/chu-nhiem/lop/")
    return base + href


def _db(demo_server):  # type: ignore[no-untyped-def]
    from records.db import make_engine, session_scope

    return session_scope(make_engine(demo_server.db_url))


def test_a_month_of_attendance_typed_with_the_keyboard(page, demo_server):
    from records.models import Attendance

    class_url = _class_url(page, demo_server.base)
    page.goto(class_url)
    shot(page, "homeroom-roll")
    assert page.locator("#roll tbody tr").count() > 10
    page.goto(class_url + "/diem-danh?thang=2026-02")
    shot(page, "homeroom-attendance-before")
    first = page.locator("#att-grid td.cell input").first
    first.focus()
    row = first.evaluate("el => el.closest('tr').dataset.row")
    name = first.get_attribute("name") or ""
    enrolment = int(name.split("-")[1])
    # clear the first five cells of the row (space moves right), go back, then type P, K, right, P
    for _ in range(5):
        page.keyboard.press(" ")
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    page.keyboard.type("p")
    page.keyboard.type("K")
    page.keyboard.press("ArrowRight")
    page.keyboard.type("p")
    page.keyboard.press("ArrowDown")  # the next student, same day
    below = page.evaluate("document.activeElement.name")
    page.keyboard.type("x")  # refused: only P, K, blank
    page.keyboard.type("k")
    assert int(page.locator(f"#att-grid tbody tr[data-row='{row}'] .tot-p").inner_text() or 0) >= 2
    assert not page.locator("#dirty").is_hidden()
    shot(page, "homeroom-attendance-typed")
    with page.expect_navigation():
        page.keyboard.press("Control+s")
    assert re.search(r"diem-danh\?thang=2026-02$", page.url)
    assert any("Đã lưu điểm danh tháng 2/2026" in m for m in flash(page))
    shot(page, "homeroom-attendance-saved")
    cells = page.locator(f"#att-grid tbody tr[data-row='{row}'] td.cell input")
    values = [cells.nth(i).input_value() for i in range(4)]
    assert values == ["P", "K", "", "P"]
    days = [int((cells.nth(i).get_attribute("name") or "").split("-")[2]) for i in range(4)]
    with _db(demo_server) as session:
        stored = {a.day: a.excused for a in session.scalars(select(Attendance).where(
            Attendance.enrolment_id == enrolment, Attendance.day >= dt.date(2026, 2, 1),
            Attendance.day <= dt.date(2026, 2, days[3])))}
        assert stored == {dt.date(2026, 2, days[0]): True, dt.date(2026, 2, days[1]): False,
                          dt.date(2026, 2, days[3]): True}
        below_enrolment, below_day = (int(p) for p in below.split("-")[1:])
        assert session.scalars(select(Attendance.excused).where(
            Attendance.enrolment_id == below_enrolment, Attendance.day == dt.date(2026, 2, below_day))).one() is False


def test_two_tabs_on_one_month_the_second_save_shows_the_conflict(page, demo_server):
    class_url = _class_url(page, demo_server.base)
    other = page.context.new_page()
    other.goto(class_url + "/diem-danh?thang=2026-03")
    page.goto(class_url + "/diem-danh?thang=2026-03")
    page.locator("#att-grid td.cell input").nth(2).focus()
    page.keyboard.type("p")
    with page.expect_navigation():
        page.click("#save-attendance")
    other.locator("#att-grid td.cell input").nth(3).focus()
    other.keyboard.type("k")
    with other.expect_navigation():
        other.click("#save-attendance")
    assert "CHƯA được lưu" in other.locator("#error").inner_text()
    cells = other.locator("#att-grid td.cell input")
    assert cells.nth(2).input_value() == "P" and cells.nth(3).input_value() == ""  # the server's values
    assert other.locator("#att-grid td.conflict").count() == 1  # only the cell this tab changed
    assert "Bạn: K" in other.locator("#att-grid td.conflict").inner_text()  # what was typed, beside it
    assert "Ngày" in other.locator("#conflict-table").inner_text()
    shot(other, "homeroom-attendance-conflict")
    other.click("[data-apply-mine]")
    assert cells.nth(3).input_value() == "K" and cells.nth(2).input_value() == "P"  # tab 1's P not undone
    with other.expect_navigation():
        other.click("#save-attendance")
    assert any("Đã lưu điểm danh" in m for m in flash(other))
    assert cells.nth(2).input_value() == "P" and cells.nth(3).input_value() == "K"
    other.close()


def test_a_conduct_grade_and_comment_for_term_two(page, demo_server):
    from records.models import Conduct, HomeroomComment, Period

    class_url = _class_url(page, demo_server.base)
    page.goto(class_url + "/hanh-kiem?ky=hk2")
    shot(page, "homeroom-conduct")
    select_box = page.locator("#conduct-grid select").first
    enrolment = int((select_box.get_attribute("name") or "").split("-")[1])
    levels = [o for o in select_box.locator("option").all_inner_texts() if o != "—"]
    assert levels in (["Tốt", "Khá", "Đạt", "Chưa đạt"], ["Tốt", "Khá", "Trung bình", "Yếu"])
    select_box.focus()
    select_box.select_option(levels[1])
    page.keyboard.press("Tab")
    page.keyboard.type("Có tiến bộ, cần mạnh dạn phát biểu hơn.")
    with page.expect_navigation():
        page.click("#save-conduct")
    assert any("Đã lưu" in m for m in flash(page))
    assert page.locator("#conduct-grid select").first.input_value() == levels[1]
    shot(page, "homeroom-conduct-saved")
    with _db(demo_server) as session:
        assert session.scalars(select(Conduct.level).where(Conduct.enrolment_id == enrolment,
                                                           Conduct.period == Period.TERM2)).one() == levels[1]
        assert session.scalars(select(HomeroomComment.text).where(
            HomeroomComment.enrolment_id == enrolment, HomeroomComment.period == Period.TERM2)).one() \
            == "Có tiến bộ, cần mạnh dạn phát biểu hơn."


def _portrait(path) -> None:  # type: ignore[no-untyped-def]
    """A landscape snapshot with the person on the left: the centred crop would cut them."""
    image = Image.new("RGB", (1600, 1000), (170, 200, 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 820, 1600, 1000), fill=(90, 120, 90))
    draw.ellipse((180, 180, 520, 600), fill=(236, 200, 170), outline=(60, 40, 30), width=6)  # the face
    draw.ellipse((260, 320, 300, 360), fill=(40, 30, 20))
    draw.ellipse((400, 320, 440, 360), fill=(40, 30, 20))
    draw.arc((280, 420, 420, 520), 20, 160, fill=(150, 40, 40), width=8)
    draw.rectangle((120, 600, 580, 1000), fill=(255, 255, 255))  # the shirt
    image.save(path, "JPEG", quality=90)


def test_a_photo_cropped_in_the_browser_prints_on_the_transcript(page, demo_server, tmp_path):
    import pypdfium2

    from layouts.transcript import build_transcript, render_transcript
    from records.books.transcript import read_transcript
    from records.models import Student
    from records.permissions import Actor

    class_url = _class_url(page, demo_server.base)
    page.goto(class_url)
    page.locator("#roll tbody a").first.click()
    student_id = int(page.url.rstrip("/").split("/")[-1])
    source = tmp_path / "chan-dung.jpg"
    _portrait(source)
    page.set_input_files("#photo-file", str(source))
    page.wait_for_selector("#crop:not([hidden])")
    page.locator("#crop-size").fill("75")
    page.locator("#crop-box").focus()
    for _ in range(40):
        page.keyboard.press("ArrowLeft")
    shot(page, "homeroom-photo-crop")
    left, width = int(page.input_value("#crop_left")), int(page.input_value("#crop_width"))
    assert left == 0 and 540 <= width <= 570  # 75 % of the widest 3:4 box (750 px)
    with page.expect_navigation():
        page.click("#photo-form button[type=submit]")
    assert any("Đã lưu ảnh" in m for m in flash(page))
    assert page.locator("#photo-now").evaluate("img => img.naturalWidth") == 354
    shot(page, "homeroom-student")
    with _db(demo_server) as session:
        student = session.get(Student, student_id)
        with Image.open(io.BytesIO(student.photo)) as stored:
            assert stored.size == (354, 472)
            assert stored.getpixel((177, 100))[0] > 200  # the face (skin tone), not the sky: the left crop was kept
        document = build_transcript(read_transcript(session, Actor.system("kiểm thử"), student.code), volume=True)
    pdf = pypdfium2.PdfDocument(render_transcript(document))
    index = next(i for i, p in enumerate(document.pages) if p.kind == "transcript-identity")
    assert document.pages[index].data["photo"].startswith("<svg")  # the stored photo, not the empty box
    rendered = pdf[index].render(scale=1.5).to_pil()
    pdf.close()
    rendered.save(ARTIFACTS / "homeroom-transcript-identity.png")


def test_results_and_the_check_before_locking(page, demo_server):
    class_url = _class_url(page, demo_server.base)
    page.goto(class_url + "/ket-qua?ky=hk1")
    assert page.locator("#results tbody tr").count() > 10
    shot(page, "homeroom-results-hk1")
    page.goto(class_url + "/ket-qua?ky=cn")
    shot(page, "homeroom-results-year")
    page.goto(class_url + "/kiem-tra?ky=hk2")
    assert page.locator("#not-ready").is_visible()  # term II is under way: marks, conduct, results missing
    assert "Kết quả rèn luyện" in page.locator("#missing").inner_text() or "Hạnh kiểm" in page.locator("#missing").inner_text()
    shot(page, "homeroom-check-hk2")
    page.goto(class_url + "/kiem-tra?ky=hk1")
    shot(page, "homeroom-check-hk1")


def test_the_attendance_grid_on_a_phone(browser, demo_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN", is_mobile=True)
    phone = context.new_page()
    sign_in(phone, demo_server.base, demo_server.users["homeroom_teacher"])
    class_url = _class_url(phone, demo_server.base)
    phone.goto(class_url + "/diem-danh?thang=2026-03")
    phone.locator(".wide").first.evaluate("div => div.scrollLeft = 300")  # the name column stays in view
    assert phone.locator("#att-grid td.name").first.is_visible()
    shot(phone, "homeroom-attendance-phone")
    context.close()


def test_a_locked_month_can_be_read_not_changed(page, demo_server):
    class_url = _class_url(page, demo_server.base)
    page.goto(class_url + "/diem-danh?thang=2025-11")  # term I: its mark book is locked in the demo
    assert "đã khóa" in page.locator("#locked").inner_text()
    assert page.locator("#save-attendance").is_disabled()
    cell = page.locator("#att-grid td.cell input").first
    before = cell.input_value()
    cell.focus()
    page.keyboard.type("k")
    assert cell.input_value() == before
    shot(page, "homeroom-attendance-locked")


def test_a_row_pasted_from_a_spreadsheet_fills_the_days(page, demo_server):
    class_url = _class_url(page, demo_server.base)
    page.goto(class_url + "/diem-danh?thang=2026-04")
    cells = page.locator("#att-grid tbody tr").nth(2).locator("td.cell input")
    cells.first.evaluate("""el => { const data = new DataTransfer(); data.setData('text/plain', 'p\\tK\\t\\tx\\tP\\r\\n');
        el.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true})); }""")
    assert [cells.nth(i).input_value() for i in range(5)] == ["P", "K", "", "", "P"]  # "x" is not a mark
    assert page.locator("#att-grid tbody tr").nth(2).locator(".tot-p").inner_text() == "2"


def test_the_year_levels_derived_by_the_regulation_fill_the_empty_boxes(page, demo_server):
    class_url = _class_url(page, demo_server.base)
    page.goto(class_url + "/hanh-kiem?ky=hk2")  # term II's level of the second student (term I's is in the demo)
    page.locator("#conduct-grid select").nth(1).select_option(index=1)
    with page.expect_navigation():
        page.click("#save-conduct")
    page.goto(class_url + "/hanh-kiem?ky=cn")
    hints = page.locator("td.suggested")
    filled = [i for i in range(hints.count()) if hints.nth(i).inner_text().strip()]
    assert 1 in filled
    assert page.locator("#conduct-grid select").nth(1).input_value() == ""
    page.click("#apply-suggested")
    for i in filled:
        box = page.locator(f"#{hints.nth(i).get_attribute('data-for')}")
        assert box.input_value() == hints.nth(i).inner_text().strip()
    shot(page, "homeroom-conduct-year")


def test_two_tabs_on_the_conduct_sheet_the_second_re_applies_its_comment(page, demo_server):
    """The same conflict display as the mark grid: the server's values, the user's under each changed field."""
    class_url = _class_url(page, demo_server.base)
    other = page.context.new_page()
    other.goto(class_url + "/hanh-kiem?ky=hk2")
    page.goto(class_url + "/hanh-kiem?ky=hk2")
    page.locator("#conduct-grid select").nth(3).select_option(index=1)
    with page.expect_navigation():
        page.click("#save-conduct")
    comment = other.locator("#conduct-grid textarea").nth(4)
    comment.fill("Hăng hái xây dựng bài.")
    with other.expect_navigation():
        other.click("#save-conduct")
    assert "CHƯA được lưu" in other.locator("#error").inner_text()
    assert other.locator("#conduct-grid td.conflict").count() == 1  # tab 1's level is not offered back
    assert other.locator("#conduct-grid select").nth(3).input_value() != ""  # the level tab 1 saved, shown
    assert "Bạn: Hăng hái xây dựng bài." in other.locator("#conduct-grid td.conflict").inner_text()
    shot(other, "homeroom-conduct-conflict")
    other.click("[data-apply-mine]")
    assert other.locator("#conduct-grid textarea").nth(4).input_value() == "Hăng hái xây dựng bài."
    with other.expect_navigation():
        other.click("#save-conduct")
    assert any("Đã lưu" in m for m in flash(other))
    assert other.locator("#conduct-grid select").nth(3).input_value() != ""
    other.close()
