"""One navigation bar (web/navigation.py): every role's pages are offered on every page of that role, each link
answers that role, the page shown is marked; the head of department's home shows the department's progress."""

from __future__ import annotations

import re

import pytest

from records.models import Role
from web.navigation import PAGES


@pytest.mark.parametrize("role", list(PAGES))
def test_every_page_offered_to_a_role_opens_for_it(login_as, role: Role) -> None:  # type: ignore[no-untyped-def]
    client = login_as(role)
    home = client.get("/", follow_redirects=True)
    html = home.get_data(as_text=True)
    nav = re.search(r'<nav class="pages" id="page-nav"[^>]*>(.*?)</nav>', html, re.DOTALL)
    assert nav, f"{role.value}: no page navigation on the home page"
    links = re.findall(r'<a href="([^"]+)"( class="here")?', nav.group(1))
    assert len(links) == len(PAGES[role])
    assert [here for _, here in links].count(' class="here"') == 1  # the home page itself
    for href, _ in links:
        page = client.get(href.replace("&amp;", "&"))
        assert page.status_code == 200, f"{role.value}: {href} answered {page.status_code}"
        assert 'id="page-nav"' in page.get_data(as_text=True)  # the same bar on every page of the role


def test_the_principals_home_links_the_leadership_pages_and_the_editions(login_as) -> None:  # type: ignore[no-untyped-def]
    html = login_as(Role.PRINCIPAL).get("/hieu-truong").get_data(as_text=True)
    tasks = re.search(r'<section class="card" id="leader-tasks">(.*?)</section>', html, re.DOTALL)
    assert tasks
    for href in ("/van-phong/ban-in", "/kiem-tra-so", "/sua-diem", "/phe-duyet-ket-qua", "/khoa-so"):
        assert f'href="{href}"' in tasks.group(1)


def test_the_head_of_department_sees_the_departments_entry_progress(login_as) -> None:  # type: ignore[no-untyped-def]
    html = login_as(Role.HEAD_OF_DEPARTMENT).get("/to-chuyen-mon").get_data(as_text=True)
    section = re.search(r'<section class="card" id="department-progress">(.*?)</section>', html, re.DOTALL)
    assert section and "Tổ Toán - Tin" in section.group(1)
    teachers = re.findall(r"<tr[^>]*><td>([^<]+)</td><td class=\"num\">", section.group(1))
    assert "Người giaovien" in teachers and "Người chunhiem" in teachers  # both teach Toán in 6A1, term I
    assert "6A1 Toán" in section.group(1)  # nothing entered: each assignment is listed as behind
