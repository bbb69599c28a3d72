"""The leadership's day in a real browser, on the small demo school served as of 2026-03-10 (term I's mark book
locked): a teacher files a correction request for a locked mark, the principal approves it, the administrator
applies it before the vice principal and a board member, the principal records the March inspection — which
then prints on the March minutes page of the class's mark book — and approves the class's term-I results; the
vice principal is offered none of the principal's decisions.

Screenshots go to ``tests/web/_artifacts/leader-*.png``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.web.browser import ARTIFACTS, DemoServer, browser, demo_server, flash, shot, sign_in, submit

pytestmark = pytest.mark.slow


def _session(server: DemoServer):  # type: ignore[no-untyped-def]
    from records.db import make_engine, session_scope

    return session_scope(make_engine(server.db_url))


def _locked_mark(server: DemoServer) -> dict[str, object]:
    """A term-I regular mark of the demo teacher in the current year (that book is locked on 2026-03-10)."""
    from records.models import (
        Class,
        Enrolment,
        Grade,
        Mark,
        MarkKind,
        SchoolYear,
        TeachingAssignment,
        Term,
        User,
    )

    with _session(server) as session:
        teacher = session.scalars(select(User).where(User.username == server.users["subject_teacher"])).one()
        row = session.execute(
            select(TeachingAssignment, Mark, Enrolment, Class)
            .join(Term, Term.id == TeachingAssignment.term_id).join(SchoolYear, SchoolYear.id == Term.school_year_id)
            .join(Class, Class.id == TeachingAssignment.class_id).join(Grade, Grade.id == Class.grade_id)
            .join(Enrolment, Enrolment.class_id == Class.id)
            .join(Mark, (Mark.enrolment_id == Enrolment.id) & (Mark.subject_id == TeachingAssignment.subject_id)
                  & (Mark.term_id == Term.id))
            .where(TeachingAssignment.teacher_id == teacher.id, SchoolYear.start_year == 2025, Term.number == 1,
                   Mark.kind == MarkKind.REGULAR, Mark.slot == 1, Mark.score.is_not(None))
            .order_by(Class.name, Enrolment.roll_number).limit(1)).one()
        assignment, mark, enrolment, klass = row
        old = mark.score
        new = old - Decimal(1) if old >= Decimal(5) else old + Decimal(1)
        return {"assignment": assignment.id, "enrolment": enrolment.id, "mark": mark.id, "old": old, "new": new,
                "class_id": klass.id, "class_name": klass.name, "teacher": teacher.full_name}


def _user_id(server: DemoServer, role: str) -> int:
    from records.models import User

    with _session(server) as session:
        return int(session.scalar(select(User.id).where(User.username == server.users[role])))


def _board_member(server: DemoServer) -> int:
    """An administrator other than the demo's first one (the office clerk sits on the board)."""
    from records.models import Role, RoleGrant, User

    with _session(server) as session:
        return int(session.scalar(select(User.id).join(RoleGrant, RoleGrant.user_id == User.id).where(
            RoleGrant.role == Role.ADMINISTRATOR, User.username != server.users["administrator"],
            User.school_id.is_not(None)).order_by(User.id)))


def test_correction_inspection_and_approval_end_to_end(demo_server: DemoServer, browser) -> None:
    base = demo_server.base
    target = _locked_mark(demo_server)
    new_text = str(target["new"]).replace(".", ",")

    # the teacher files the request from the locked mark
    teacher = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(teacher, base, demo_server.users["subject_teacher"])
    teacher.click("nav.main >> text=Giáo viên bộ môn")  # the demo's first teacher also heads a department
    teacher.click("#correction-link")
    teacher.select_option("#pick-assignment select[name=pc]", str(target["assignment"]))
    submit(teacher, "#pick-assignment button")
    assert "đã khóa" in teacher.inner_text("#lock-state")
    teacher.select_option("#enrolment", str(target["enrolment"]))
    teacher.select_option("#column", "tx:1")
    teacher.fill("#new_value", new_text)
    teacher.fill("#reason", "Nhập nhầm điểm kiểm tra miệng, đối chiếu sổ điểm cá nhân của giáo viên.")
    shot(teacher, "leader-teacher-correction-form")
    submit(teacher, "#file-correction button[type=submit]")
    teacher.wait_for_url("**/sua-diem/*")
    assert flash(teacher) == ["Đã gửi đơn đề nghị sửa điểm; Hiệu trưởng sẽ xem xét."]
    assert teacher.inner_text("#status") == "Chờ duyệt"
    request_url = teacher.url
    shot(teacher, "leader-teacher-request")

    # the principal approves it from the list
    principal = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(principal, base, demo_server.users["principal"])
    principal.click("#page-nav >> text=Đơn đề nghị sửa điểm")
    principal.click("#status-filter >> text=chờ duyệt")
    principal.click(f"a[href='{request_url[len(base):]}']")
    principal.fill("#note", "Đồng ý cho sửa; lưu đơn vào hồ sơ Ban quản trị.")
    shot(principal, "leader-principal-request")
    submit(principal, "#approve")
    assert flash(principal)[0].startswith("Đã phê duyệt đơn số")
    assert principal.inner_text("#status") == "Đã duyệt"

    # the vice principal sees the request but none of the principal's decisions
    vice = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(vice, base, demo_server.users["vice_principal"])
    vice.goto(f"{base}/khoa-so")
    assert vice.locator("#decide-lock").count() == 0 and vice.locator("#lock-states").count() == 1
    shot(vice, "leader-vice-locks")

    # the administrator applies it before the vice principal and a board member
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(admin, base, demo_server.users["administrator"])
    admin.click("text=Sửa điểm đã duyệt")
    admin.click(f"a[href='{request_url[len(base):]}']")
    admin.select_option("select[name=leader]", str(_user_id(demo_server, "vice_principal")))
    admin.select_option("select[name=board]", str(_board_member(demo_server)))
    admin.check("input[name=requester_present]")
    submit(admin, "#apply-correction button[type=submit]")
    assert flash(admin)[0].startswith("Đã sửa điểm theo đơn số")
    assert admin.inner_text("#status") == "Đã sửa"
    assert "Thực hiện sửa chữa" in admin.inner_text("#trace")
    shot(admin, "leader-admin-applied")
    from records.models import Mark

    with _session(demo_server) as session:
        assert session.get(Mark, target["mark"]).score == target["new"]  # type: ignore[union-attr]

    # the principal inspects March for the class and records the minutes
    principal.goto(f"{base}/hieu-truong")
    principal.click("#page-nav >> text=Kiểm tra sổ hằng tháng")
    principal.select_option("#pick-month select[name=lop]", str(target["class_id"]))
    submit(principal, "#pick-month button")
    assert "10/03/2026" in principal.inner_text("#progress-summary")
    findings = "Kiểm tra ngày 10/3: môn Tin học còn thiếu điểm ĐĐGtx của ba học sinh; các môn khác đủ tiến độ."
    principal.fill("#findings", findings)
    principal.fill("#conclusion", "Giáo viên bổ sung điểm trước ngày 20/3/2026.")
    submit(principal, "#record-inspection button[type=submit]")
    assert flash(principal) == ["Đã lập biên bản kiểm tra tháng 3/2026; biên bản được in vào sổ."]
    assert findings in principal.inner_text("#inspections")
    shot(principal, "leader-principal-inspection")
    principal.set_viewport_size({"width": 390, "height": 844})
    shot(principal, "leader-principal-inspection-phone")
    principal.set_viewport_size({"width": 1280, "height": 900})

    # the principal approves the class's term-I results (recomputed after the correction)
    principal.goto(f"{base}/phe-duyet-ket-qua")
    shot(principal, "leader-principal-results")
    principal.goto(f"{base}/phe-duyet-ket-qua/lop/{target['class_id']}?ky=hk1")
    submit(principal, "#approve-results button")
    assert flash(principal) == [f"Đã phê duyệt kết quả Học kì I của lớp {target['class_name']}."]
    shot(principal, "leader-principal-class-results")
    vice.goto(f"{base}/phe-duyet-ket-qua/lop/{target['class_id']}?ky=hk1")
    assert vice.locator("#approve-results").count() == 0
    from records.models import Enrolment, Period, StudentResult, User

    with _session(demo_server) as session:
        approvers = set(session.scalars(select(User.username).join(StudentResult, StudentResult.approved_by_id == User.id)
                                        .join(Enrolment, Enrolment.id == StudentResult.enrolment_id)
                                        .where(Enrolment.class_id == target["class_id"],
                                               StudentResult.period == Period.TERM1)))
    assert approvers == {demo_server.users["principal"]}

    # the principal decides to lock the transcripts of term I; the administrator executes the decision
    principal.goto(f"{base}/hieu-truong")
    principal.click("#page-nav >> text=Khóa / mở sổ")
    principal.select_option("#decide-lock select[name=book]", "transcripts")
    principal.select_option("#decide-lock select[name=term]", label="Học kì I")
    principal.fill("#decide-lock input[name=decision_ref]", "Quyết định số 31/QĐ-THCS ngày 10/03/2026")
    submit(principal, "#decide-lock button[type=submit]")
    assert flash(principal) == ["Đã ghi quyết định khóa sổ; quản trị hệ thống sẽ thực hiện."]
    assert "Chờ quản trị hệ thống thực hiện" in principal.inner_text("#decisions")
    shot(principal, "leader-principal-locks")
    admin.goto(f"{base}/quan-tri")
    admin.click("text=Thực hiện khóa / mở sổ")
    shot(admin, "leader-admin-locks")
    submit(admin, "#decisions button.execute")
    assert flash(admin) == ["Đã thực hiện quyết định."]
    assert admin.locator("#lock-states tr:has-text('6A') td").nth(4).inner_text() == "Khóa"  # Học bạ — Học kì I

    # the March inspection prints on the March minutes page of the class's mark book (draft)
    from layouts.documents import BookDocument
    from layouts.markbook import build_markbook
    from layouts.render import extract_page_texts, render_document, render_page_images
    from records.books.markbook import read_markbook
    from records.permissions import Actor

    with _session(demo_server) as session:
        doc = build_markbook(read_markbook(session, Actor.system("kiểm thử"), int(target["class_id"])))  # type: ignore[arg-type]
    march = [p for p in doc.pages if p.kind == "inspection" and "3/2026" in str(p.data.get("subtitle", ""))]
    assert len(march) == 1
    pdf = render_document("markbook", BookDocument(book=doc.book, pages=tuple(march)).as_draft())
    text = " ".join(extract_page_texts(pdf)[0].split())
    assert "Kiểm tra ngày 10/3: môn Tin học còn thiếu điểm" in text and "bổ sung điểm trước ngày 20/3/2026" in text
    assert "10/03/2026" in text
    (ARTIFACTS / "leader-minutes-march.pdf").write_bytes(pdf)
    render_page_images(pdf, dpi=110)[0].save(ARTIFACTS / "leader-minutes-march.png")


def test_the_head_of_department_home_shows_the_departments_progress(demo_server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    sign_in(page, demo_server.base, demo_server.users["head_of_department"])
    page.goto(f"{demo_server.base}/to-chuyen-mon")
    assert page.locator("#department-progress").is_visible()
    assert page.locator("#department-teachers tbody tr").count() >= 2
    assert page.locator("#page-nav a.here").inner_text() == "Tiến độ của tổ"
    shot(page, "department-home")
    context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    sign_in(page, demo_server.base, demo_server.users["principal"])
    page.click("#leader-tasks >> text=Bản in đã phát hành")
    page.wait_for_url("**/van-phong/ban-in")
    assert page.locator("#page-nav a.here").inner_text() == "Bản in đã phát hành"
    page.goto(f"{demo_server.base}/hieu-truong")
    shot(page, "principal-home")
    context.close()
