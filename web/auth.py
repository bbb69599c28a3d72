"""Signing in and out: ``/dang-nhap``, ``/dang-xuat``, ``/doi-mat-khau``; who is signed in (``g.actor``);
each role's home page and the guard that keeps a page to the roles it is for.

The browser cookie (signed by Flask) holds only the session token and the CSRF token; the session
itself lives in the database (``records.services.accounts``), so it expires, ends at sign-out, and
ends when an administrator disables the account or resets its password.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from records.errors import AuthenticationError, PermissionDeniedError, RateLimitedError
from records.models import ROLE_LABELS, Role
from records.permissions import Actor
from records.services import accounts
from web import csrf
from web.app import db

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])

TOKEN_KEY = "auth"
ROLE_KEY = "role"
MUST_CHANGE_KEY = "must_change"

#: Each role's home page (endpoint) and the order in which a user holding several lands on one.
ROLE_HOMES: dict[Role, str] = {
    Role.ADMINISTRATOR: "admin.home",
    Role.PRINCIPAL: "home.principal",
    Role.VICE_PRINCIPAL: "home.vice_principal",
    Role.HEAD_OF_DEPARTMENT: "home.department",
    Role.HOMEROOM_TEACHER: "home.homeroom",
    Role.SUBJECT_TEACHER: "home.teacher",
    Role.OFFICE: "home.office",
    Role.INSPECTOR: "home.inspector",
}


class NotSignedIn(Exception):
    """A page that needs a signed-in user was asked for without one (answered by a redirect)."""


def roles_of(actor: Actor) -> list[Role]:
    """The actor's roles, in the order of ``ROLE_HOMES``."""
    held = {grant.role for grant in actor.grants}
    return [role for role in ROLE_HOMES if role in held]


def current_role() -> Role | None:
    """The role the signed-in user is working in (the last role home visited, else the first role)."""
    actor: Actor | None = g.get("actor")
    if actor is None:
        return None
    roles = roles_of(actor)
    chosen = session.get(ROLE_KEY)
    for role in roles:
        if role.value == chosen:
            return role
    return roles[0] if roles else None


def home_url(actor: Actor) -> str:
    """Where the actor lands after signing in."""
    role = current_role()
    if role is None:
        return url_for("home.no_role")
    return url_for(ROLE_HOMES[role])


def signed_in(view: F) -> F:
    """The page needs a signed-in user (otherwise: the sign-in page, then back here)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("actor") is None:
            raise NotSignedIn
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def role_page(*roles: Role) -> Callable[[F], F]:
    """The page belongs to these roles: others are refused (403); visiting it makes it the current role."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor: Actor | None = g.get("actor")
            if actor is None:
                raise NotSignedIn
            held = [role for role in roles_of(actor) if role in roles]
            if not held:
                names = ", ".join(ROLE_LABELS[r] for r in roles)
                raise PermissionDeniedError(f"Trang này chỉ dành cho: {names}.",
                                            f"{actor.username} may not open {request.path}")
            if session.get(ROLE_KEY) not in {r.value for r in held}:
                session[ROLE_KEY] = held[0].value
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _load_actor() -> None:
    g.actor = None
    token = session.get(TOKEN_KEY)
    if not token or request.endpoint == "static":
        return
    actor = accounts.resume(db(), token)
    db().commit()  # the last-seen time
    if actor is None:
        session.pop(TOKEN_KEY, None)
        session.pop(ROLE_KEY, None)
        g.session_ended = True
        return
    g.actor = actor
    if session.get(MUST_CHANGE_KEY) and request.endpoint not in {"auth.change_password", "auth.sign_out",
                                                                   "static"}:
        flash("Quản trị hệ thống đã đặt lại mật khẩu của bạn: hãy đổi mật khẩu mới trước khi làm việc.")
        return redirect(url_for("auth.change_password"))  # type: ignore[return-value]
    return None


@bp.route("/dang-nhap", methods=["GET", "POST"])
def sign_in() -> Any:
    """The sign-in page (fields ``username`` and ``password``)."""
    if request.method == "GET":
        if g.get("actor") is not None:
            return redirect(home_url(g.actor))
        return render_template("login.html", username="", next=request.args.get("next", ""))
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    target = _safe_next(request.form.get("next"))
    try:
        signed = accounts.sign_in(db(), username, password, address=request.remote_addr or "?",
                                  user_agent=request.user_agent.string)
    except (AuthenticationError, RateLimitedError) as error:
        db().commit()  # the refused attempt counts against the limits
        status = 429 if isinstance(error, RateLimitedError) else 401
        return render_template("login.html", username=username, next=target or "", error=error.message_vi), status
    db().commit()
    session.clear()
    session.permanent = True
    session[TOKEN_KEY] = signed.token
    csrf.rotate()
    g.actor = signed.actor
    if signed.must_change_password:
        session[MUST_CHANGE_KEY] = True
        return redirect(url_for("auth.change_password"))
    return redirect(target or home_url(signed.actor))


@bp.post("/dang-xuat")
def sign_out() -> Response:
    """End the session (the database row is kept, marked ended)."""
    accounts.sign_out(db(), session.get(TOKEN_KEY))
    db().commit()
    session.clear()
    csrf.rotate()
    flash("Bạn đã đăng xuất.")
    return redirect(url_for("auth.sign_in"))


@bp.route("/doi-mat-khau", methods=["GET", "POST"])
@signed_in
def change_password() -> Any:
    """Change one's own password (the current one is asked again)."""
    if request.method == "POST":
        new = request.form.get("new_password", "")
        if new != request.form.get("confirm_password", ""):
            flash("Hai lần nhập mật khẩu mới không khớp.")
            return render_template("change_password.html"), 400
        try:
            accounts.change_password(db(), g.actor, request.form.get("old_password", ""), new)
        except AuthenticationError as error:
            db().commit()
            flash(error.message_vi)
            return render_template("change_password.html"), 400
        db().commit()
        session.pop(MUST_CHANGE_KEY, None)
        flash("Đã đổi mật khẩu.")
        return redirect(home_url(g.actor))
    return render_template("change_password.html")


def register(app: Flask) -> None:
    """Load who is signed in before every request; mount the sign-in pages."""
    app.before_request(_load_actor)
    app.register_blueprint(bp)

    @app.context_processor
    def _who() -> dict[str, Any]:
        actor: Actor | None = g.get("actor")
        role = current_role()
        return {
            "actor": actor,
            "current_role": role,
            "role_links": [(r, ROLE_LABELS[r], url_for(ROLE_HOMES[r])) for r in roles_of(actor)] if actor else [],
        }
