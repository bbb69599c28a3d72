"""In headless Chromium on the small demo school (10/03/2026, term II): a subject teacher opens "my classes",
types a column of marks with the keyboard, pastes a block copied from Excel and another column, sees the
averages and the missing marks update as they type, saves (the server's averages match the page's), then a
second tab saving a stale copy of the sheet sees the conflict, re-applies its values and saves them.

Screenshots: ``tests/web/_artifacts/teacher-*.png``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from records.db import make_engine, session_scope
from records.models import Class, Enrolment, Subject, TeachingAssignment, Term, User
from records.rules import ruleset
from tests.web.browser import DEMO_TODAY, browser, demo_server, flash, shot, sign_in, submit

pytestmark = pytest.mark.slow


def _assignment(demo_server) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """Toán of the first grade-6 class this term: its id, its teacher's user name, the class name."""
    engine = make_engine(demo_server.db_url)
    with session_scope(engine) as session:
        row = session.execute(
            select(TeachingAssignment.id, User.username, Class.name)
            .join(User, User.id == TeachingAssignment.teacher_id).join(Class, Class.id == TeachingAssignment.class_id)
            .join(Subject, Subject.id == TeachingAssignment.subject_id).join(Term, Term.id == TeachingAssignment.term_id)
            .where(Subject.code == "toan", Class.name.like("6%"), Term.starts_on <= DEMO_TODAY,
                   Term.ends_on >= DEMO_TODAY).order_by(Class.name)).first()
    engine.dispose()
    assert row is not None
    return row[0], row[1], row[2]


def _clear_sheet(demo_server, assignment: int) -> None:  # type: ignore[no-untyped-def]
    """The demo has term II entered up to DEMO_TODAY: the teacher first clears the sheet (through the
    service, traced) so that the test types a whole term's columns into empty cells."""
    from records.models import Mark
    from records.permissions import Actor
    from records.services import marks
    from records.services.context import on_date

    engine = make_engine(demo_server.db_url)
    with session_scope(engine) as session:
        ta = session.get(TeachingAssignment, assignment)
        rows = session.execute(select(Mark.enrolment_id, Mark.kind, Mark.slot).where(
            Mark.term_id == ta.term_id, Mark.subject_id == ta.subject_id,
            Mark.enrolment_id.in_(select(Enrolment.id).where(Enrolment.class_id == ta.class_id)))).all()
        with on_date(DEMO_TODAY):
            marks.save_marks(session, Actor.load(session, ta.teacher_id), ta,
                             [marks.MarkInput(e, kind, slot, None) for e, kind, slot in rows])
    engine.dispose()


def _mark(i: int, salt: int) -> str:
    """A varied mark written the Vietnamese way or with a point, halves and whole numbers mixed."""
    tenths = 40 + (i * 37 + salt * 11) % 61
    text = f"{tenths // 10},{tenths % 10}" if i % 2 else f"{tenths // 10}.{tenths % 10}"
    return text if tenths % 10 else str(tenths // 10)


def _value(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _cells(page, key: str):  # type: ignore[no-untyped-def]
    return page.locator(f"tbody tr:not(.left) input[name$='-{key}']")


def _paste(page, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Paste text into a cell as the browser does for Ctrl+V (a paste event carrying clipboardData)."""
    page.focus(selector)
    page.evaluate("""([selector, text]) => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        document.querySelector(selector).dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
    }""", [selector, text])


def _averages(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator("tbody tr:not(.left) output[data-compute]").all_inner_texts()


def test_a_teacher_types_pastes_saves_and_meets_a_conflict(demo_server, browser):
    assignment, username, class_name = _assignment(demo_server)
    _clear_sheet(demo_server, assignment)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    sign_in(page, demo_server.base, username)
    page.goto(f"{demo_server.base}/giao-vien")
    mine = page.locator("#my-classes")
    assert "Lớp của tôi học kì này" in page.content()
    row = mine.locator(f"tr[data-assignment='{assignment}']")
    assert class_name in row.inner_text() and "Còn thiếu" in row.inner_text()
    shot(page, "teacher-home")
    row.get_by_role("link", name="Nhập điểm").click()
    page.wait_for_url(f"**/giao-vien/phan-cong/{assignment}")
    n = _cells(page, "tx1").count()
    assert n >= 10
    status = page.locator("[data-grid-status]")
    assert f"Còn thiếu {n * 6} điểm" in status.inner_text()

    # 1. a column typed with the keyboard: Enter moves down
    tx1 = [_mark(i, 1) for i in range(n)]
    _cells(page, "tx1").first.click()
    for value in tx1:
        page.keyboard.type(value)
        page.keyboard.press("Enter")
    assert _cells(page, "tx1").evaluate_all("cells => cells.map(c => c.value)") == tx1
    assert f"Còn thiếu {n * 5} điểm" in status.inner_text()

    # 2. a three-column block copied from Excel (tabs, CRLF, a final newline) fills tx2..tx4 downward and rightward
    # (the block lines up with the rows on screen: a student who left has an empty line, as in the teacher's sheet)
    left = page.locator("tbody tr").evaluate_all("rows => rows.map(r => r.classList.contains('left'))")
    block = [[_mark(i, 2), _mark(i, 3), _mark(i, 4)] for i in range(n)]
    lines, it = [], iter(block)
    for gone in left:
        lines.append("\t\t" if gone else "\t".join(next(it)))
    first = page.locator("tbody tr input[name$='-tx2']").first.get_attribute("name")
    _paste(page, f"input[name='{first}']", "\r\n".join(lines) + "\r\n")
    for k, key in enumerate(("tx2", "tx3", "tx4")):
        assert _cells(page, key).evaluate_all("cells => cells.map(c => c.value)") == [r[k] for r in block]
    assert "ô đã dán" in status.inner_text()

    # 3. the mid-term column pasted, an invalid value shown as typed, then corrected; arrows move
    gk = [_mark(i, 5) for i in range(n)]
    it = iter(gk)
    first = page.locator("tbody tr input[name$='-gk1']").first.get_attribute("name")
    _paste(page, f"input[name='{first}']", "\n".join("" if gone else next(it) for gone in left))
    third = _cells(page, "gk1").nth(2)
    third.fill("11")
    cell = page.locator("td.invalid")
    assert cell.count() == 1 and "từ 0 đến 10" in (cell.locator("input").get_attribute("title") or "")
    assert "1 ô chưa hợp lệ" in status.inner_text()
    shot(page, "teacher-grid-invalid")
    third.press("Escape")  # back to the saved value (empty)
    assert third.input_value() == "" and page.locator("td.invalid").count() == 0
    third.fill(gk[2])
    assert page.locator("td.invalid").count() == 0
    page.keyboard.press("ArrowRight")  # to the end-of-term column of the same row
    assert page.evaluate("document.activeElement.name").endswith("-ck1")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.name") == _cells(page, "ck1").first.get_attribute("name")

    # 4. the end-of-term column typed; every average appears, computed as the rules do
    ck = [_mark(i, 6) for i in range(n)]
    for value in ck:
        page.keyboard.type(value)
        page.keyboard.press("Enter")
    rules = ruleset("tt22")
    expected = [str(rules.term_average(regular=[tx1[i], *block[i]], periodic=gk[i], final=ck[i])).replace(".", ",")
                for i in range(n)]
    shown = _averages(page)
    assert shown == expected
    assert "Còn thiếu 0 điểm" in status.inner_text()
    shot(page, "teacher-grid-typed")
    submit(page, "#save")
    assert any("Đã lưu điểm" in m for m in flash(page))
    assert _averages(page) == shown, "the server's averages are the page's"
    assert _cells(page, "tx1").first.input_value() == str(_value(tx1[0]).quantize(Decimal("0.1"))).replace(".", ",")
    shot(page, "teacher-grid-saved")

    # 5. two tabs: the second saves a stale copy, sees the conflict, re-applies its values, saves
    tab_a, tab_b = page, context.new_page()
    tab_b.goto(page.url)
    cell_a = _cells(tab_a, "tx5").nth(0)
    cell_a.fill("9,5")
    submit(tab_a, "#save")
    assert any("Đã lưu điểm" in m for m in flash(tab_a))
    _cells(tab_b, "tx5").nth(0).fill("3")
    _cells(tab_b, "tx5").nth(1).fill("4,5")
    submit(tab_b, "#save")
    assert tab_b.locator("#conflict").is_visible()
    conflict = tab_b.locator("#conflict-table").inner_text()
    assert "3" in conflict and "4,5" in conflict and "9,5" in conflict
    assert _cells(tab_b, "tx5").nth(0).input_value() == "9,5"  # the server's value in the grid
    assert "Bạn: 3" in tab_b.locator("td.conflict").first.inner_text()
    shot(tab_b, "teacher-grid-conflict")
    tab_b.click("[data-apply-mine]")
    assert _cells(tab_b, "tx5").nth(0).input_value() == "3"
    assert _cells(tab_b, "tx5").nth(1).input_value() == "4,5"
    submit(tab_b, "#save")
    assert any("Đã lưu điểm" in m for m in flash(tab_b))
    assert _cells(tab_b, "tx5").nth(0).input_value() == "3,0"
    assert _cells(tab_b, "tx5").nth(1).input_value() == "4,5"

    # 6. subject comments: the same sheet handling
    tab_b.click("text=Nhận xét môn học")
    comment = tab_b.locator("tbody tr:not(.left) input[name^='c-']").first
    comment.fill("Tiếp thu bài nhanh, cần trình bày cẩn thận hơn.")
    submit(tab_b, "#save")
    assert any("Đã lưu nhận xét" in m for m in flash(tab_b))
    shot(tab_b, "teacher-comments")
    context.close()


def test_the_grid_works_without_javascript(demo_server, browser):
    assignment, username, _ = _assignment(demo_server)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, demo_server.base, username)
    page.goto(f"{demo_server.base}/giao-vien/phan-cong/{assignment}")
    cells = _cells(page, "tx5")
    cells.nth(2).fill("7,5")
    submit(page, "#save")
    assert any("Đã lưu điểm" in m for m in flash(page))
    assert cells.nth(2).input_value() == "7,5"
    context.close()


def test_the_page_computes_averages_exactly_as_the_rules(demo_server, browser):
    """grid.js's preview against ``records.rules`` on many random rows, half-up boundaries included."""
    import random

    from records.models import Assessment, MarkKind
    from records.services import mark_entry

    scored_subject = Subject(code="toan", name="Toán", assessment=Assessment.SCORE)
    comment_subject = Subject(code="gdtc", name="Giáo dục thể chất", assessment=Assessment.COMMENT)

    assignment, username, _ = _assignment(demo_server)
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, demo_server.base, username)
    page.goto(f"{demo_server.base}/giao-vien/phan-cong/{assignment}")
    r = random.Random(12)
    cases, expected = [], []
    for n in range(400):
        regime = ("tt22", "tt58", "tt26")[n % 3]
        comment = n % 7 == 0
        required = r.choice((2, 3, 4))
        kinds = {"tx": r.randint(required - 1, 5), "dk" if regime == "tt58" else "gk":
                 r.randint(1, 3) if regime == "tt58" else r.choice((0, 1, 1, 1)), "ck": r.choice((0, 1, 1, 1))}
        cells = []
        for kind, count in kinds.items():
            for _ in range(count):
                if comment:
                    cells.append((kind, r.choice(("Đ", "Đ", "CĐ", "đạt", "Chưa đạt"))))
                elif r.random() < 0.5:
                    cells.append((kind, f"{r.randint(0, 9)},5" if r.random() < 0.5 else str(r.randint(0, 10))))
                else:
                    cells.append((kind, str(r.randint(0, 100) / 10).replace(".", r.choice((".", ",")))))
        cases.append({"regime": regime, "comment": comment, "required": required, "cells": cells})
        by_kind: dict[MarkKind, list] = {}
        for kind, text in cells:
            by_kind.setdefault(MarkKind(kind), []).append(mark_entry.check_cell(comment_subject if comment
                                                                                else scored_subject, text))
        result = mark_entry.term_result(regime, comment, required, by_kind)
        expected.append("" if result is None else str(result).replace(".", ","))
    shown = page.evaluate("""cases => cases.map(c => {
        const table = document.createElement('table');
        table.dataset.regime = c.regime; table.dataset.requiredRegular = String(c.required);
        table.dataset.comment = c.comment ? '1' : '0';
        const row = document.createElement('tr');
        for (const [kind, text] of c.cells) {
            const input = document.createElement('input');
            input.dataset.kind = kind; input.dataset.weight = {tx: '1', dk: '2', gk: '2', ck: '3'}[kind];
            input.value = text; row.appendChild(input);
        }
        table.appendChild(row);
        return window.SodientuGrid.computers['term-average'](row, table);
    })""", cases)
    assert shown == expected
    assert sum(1 for e in expected if e) > 150
    context.close()



def test_a_locked_cell_opens_the_correction_request_for_it(demo_server, browser):
    """Term I's sheet of the same teacher (its book locked in the demo): each cell links to the request form with
    the student and the column chosen."""
    _, username, class_name = _assignment(demo_server)
    engine = make_engine(demo_server.db_url)
    with session_scope(engine) as session:
        past = session.scalar(
            select(TeachingAssignment.id).join(User, User.id == TeachingAssignment.teacher_id)
            .join(Class, Class.id == TeachingAssignment.class_id).join(Subject, Subject.id == TeachingAssignment.subject_id)
            .join(Term, Term.id == TeachingAssignment.term_id)
            .where(User.username == username, Class.name == class_name, Subject.code == "toan",
                   Term.ends_on < DEMO_TODAY).order_by(Term.ends_on.desc()).limit(1))
    engine.dispose()
    assert past is not None
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    sign_in(page, demo_server.base, username)
    page.goto(f"{demo_server.base}/giao-vien/phan-cong/{past}")
    assert page.locator("#read-only").is_visible() and page.locator("#correction-link").is_visible()
    cell = page.locator("tbody tr:not(.left) td.cell").nth(1)
    name = cell.locator("input").get_attribute("name") or ""
    cell.locator("a.fix").hover()
    shot(page, "teacher-grid-locked")
    cell.locator("a.fix").click()
    page.wait_for_url("**/giao-vien/de-nghi-sua-diem?*")
    assert page.locator("#enrolment").input_value() == name.split("-")[1]
    assert page.locator("#column").input_value() == "tx:2"
    shot(page, "teacher-correction-from-grid")
    context.close()
