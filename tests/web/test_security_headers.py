"""Security headers and cookie flags of the web application (issue 16, item 4; web/security.py)."""

from __future__ import annotations

import re

import pytest

from records.models import Role
from web.app import create_app
from web.security import CONTENT_SECURITY_POLICY


def _csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    parts = [p.strip().split(" ", 1) for p in response.headers["Content-Security-Policy"].split(";")]
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


@pytest.mark.parametrize("path", ["/dang-nhap", "/xac-thuc", "/khong-co-trang-nay", "/static/app.css"])
def test_every_answer_carries_the_headers(app, path) -> None:
    response = app.test_client().get(path)
    csp = _csp(response)
    assert csp["frame-ancestors"] == "'none'" and csp["script-src"] == "'self'"
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["object-src"] == "'none'" and csp["default-src"] == "'self'" and csp["form-action"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_the_policy_would_block(app, login_as) -> None:
    client = login_as(Role.ADMINISTRATOR)
    for path in ("/", "/dang-nhap", "/xac-thuc"):
        html = client.get(path, follow_redirects=True).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (path, tag)  # only files from web/static, never inline code
        assert not re.search(r"\son[a-z]+\s*=", html), path  # no inline event handlers
        assert "javascript:" not in html


def test_no_template_has_a_script_the_policy_would_block() -> None:
    """Every template: scripts only as files from web/static, no inline event handler, no javascript: URL.

    (A page with ``<script>…</script>`` or ``onchange="…"`` silently loses its behaviour under the CSP:
    move the code to a file in web/static and load it with ``<script src=… defer>``.)
    """
    from pathlib import Path

    templates = Path(__file__).parents[2] / "web" / "templates"
    found = []
    for path in sorted(templates.rglob("*.html")):
        text = path.read_text("utf-8")
        name = path.relative_to(templates).as_posix()
        found += [f"{name}: inline <script>" for tag in re.findall(r"<script\b[^>]*>", text) if "src=" not in tag]
        found += [f"{name}: {m.group(0).strip()}" for m in re.finditer(r"\son[a-z]+\s*=\s*[\"']", text)]
        found += [f"{name}: javascript: URL" for _ in re.finditer(r"javascript:", text)]
    assert found == []


def test_signed_in_pages_are_not_cached_and_the_session_cookie_is_guarded(app, login_as) -> None:
    from tests.web.conftest import LOGIN_OF, login

    client = app.test_client()
    response = login(client, LOGIN_OF[Role.PRINCIPAL])
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("sodientu="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = client.get("/")
    assert page.headers.get("Cache-Control") == "no-store"


def test_cookies_are_secure_when_configured(web_school, monkeypatch) -> None:
    from tests.web.conftest import LOGIN_OF, login

    monkeypatch.setenv("SODIENTU_SECURE_COOKIES", "1")
    app = create_app(web_school.url, TESTING=True)
    response = login(app.test_client(), LOGIN_OF[Role.PRINCIPAL])
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("sodientu="))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_the_policy_is_what_the_docs_say() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "SECURITY.md").read_text()
    assert CONTENT_SECURITY_POLICY in doc
