"""CSRF protection: one random token per browser session, required on every POST, PUT, PATCH and DELETE.

Forms carry it in a hidden ``csrf_token`` field (``{{ csrf_field() }}`` in templates); a form posted
without it, or with another session's token, is refused with 400 and a Vietnamese message. Only the
public verification page (``/xac-thuc``), which changes nothing and has no session, is exempt.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, request, session
from markupsafe import Markup, escape

from records.errors import SodientuError

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
EXEMPT_BLUEPRINTS = frozenset({"xac_thuc"})  # public, read-only verification: no session to ride on
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfError(SodientuError):
    """A form arrived without the token of the session that displayed it."""


def token() -> str:
    """The session's CSRF token (created on first use)."""
    value = session.get(FIELD)
    if not value:
        value = secrets.token_urlsafe(32)
        session[FIELD] = value
    return str(value)


def rotate() -> None:
    """A new token (after signing in or out: a token seen before sign-in is worth nothing after it)."""
    session[FIELD] = secrets.token_urlsafe(32)


def field() -> Markup:
    """The hidden form field holding the token."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(token())}">')


def _check() -> None:
    if request.method not in UNSAFE or request.blueprint in EXEMPT_BLUEPRINTS:
        return
    sent = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    expected = session.get(FIELD) or ""
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise CsrfError("Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang rồi gửi lại.",
                        f"CSRF token missing or wrong on {request.method} {request.path}")


def register(app: Flask) -> None:
    """Check every unsafe request; give templates ``csrf_field()`` and ``csrf_token()``."""
    app.before_request(_check)
    app.jinja_env.globals.update(csrf_field=field, csrf_token=token)
