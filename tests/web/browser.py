"""Shared pieces of the browser tests: a small demo school served by waitress, a headless Chromium, helpers.

Use it from a test module::

    from tests.web.browser import demo_server, browser, shot, sign_in   # noqa: F401  (fixtures)

``demo_server`` (session scope) builds the demo school once (80 students, one class per grade, as of
``DEMO_TODAY``, a day in term II before the mark cut-off) in a temporary SQLite file and serves it with
``SODIENTU_TODAY`` fixed to that day. Each test module that changes data should build its own
(``make_demo_server``) or change only what no other module reads. Every demo account's password is
``DEMO_PASSWORD``; ``DEMO_USERS`` maps a role to the demo's account for it.

Screenshots go to ``tests/web/_artifacts/`` (git-ignored). Skipped with a reason when Chromium or
Playwright is missing (``.ci/run`` installs them).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "_artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
DEMO_TODAY = dt.date(2026, 3, 10)
DEMO_PASSWORD = "sodientu-demo"

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium chromium-driver)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@dataclass(frozen=True)
class DemoServer:
    """A served demo school: its address, database URL and the demo's account per role value."""

    base: str
    db_url: str
    users: dict[str, str]  # role value -> username


def make_demo_server(tmp: Path, *, students: int = 80) -> Iterator[DemoServer]:
    """Build a small demo school in ``tmp`` and serve it (a generator: use it from a fixture)."""
    import waitress
    from sqlalchemy import select

    from records.db import make_engine, session_scope
    from records.demo.build import DemoConfig, build_demo, prepare_database
    from records.models import RoleGrant, User
    from web.app import create_app

    url = f"sqlite:///{tmp / 'demo.sqlite'}"
    engine = make_engine(url)
    prepare_database(engine)
    with session_scope(engine) as session:
        build_demo(session, DemoConfig(students=students, classes_per_grade=1, today=DEMO_TODAY))
    with session_scope(engine) as session:
        users: dict[str, str] = {}
        rows = session.execute(select(RoleGrant.role, User.username).join(User, User.id == RoleGrant.user_id)
                               .order_by(RoleGrant.id))
        for role, username in rows:
            users.setdefault(role.value, username)
    engine.dispose()
    app = create_app(url, SODIENTU_TODAY=DEMO_TODAY)
    srv = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        yield DemoServer(f"http://127.0.0.1:{srv.effective_port}", url, users)
    finally:
        srv.close()
        thread.join(timeout=5)
        app.extensions["sodientu.engine"].dispose()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """A small demo school of the module's own, served as of ``DEMO_TODAY``."""
    yield from make_demo_server(tmp_path_factory.mktemp("demo-web"))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Chromium (Debian's, driven by Playwright)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Keep a full-page screenshot as a test artifact."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the form."""
    page.goto(f"{base}/dang-nhap")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():  # the answer (a home page, or the form again with its error) has loaded
        page.click("button[type=submit]")


def submit(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Click a control that sends a form and wait until the server's answer has loaded: Playwright's click
    does not wait for the navigation it starts, so a flash read right after it may still see the old page."""
    with page.expect_navigation():
        page.click(selector)


def flash(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The page's flash messages, once one is shown (every caller expects at least one)."""
    page.locator(".flash").first.wait_for(state="attached")
    return page.locator(".flash").all_inner_texts()
