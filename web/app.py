"""The Flask application factory: configuration, the database, sign-in, CSRF, the error table, blueprints.

Every request gets one database session (``web.app.db()``), closed at the end of the request; views
call services with it and ``g.actor`` (None when nobody is signed in), then commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from records.db import default_url, make_engine, session_factory
from records.services import context

log = logging.getLogger(__name__)

SECRET_ENV = "SODIENTU_SECRET_KEY"
#: A fixed "today" for the whole application (ISO date): demos, training sessions and browser tests run a
#: school year as of that day (marks before the cut-off, the current term). Unset in production.
TODAY_ENV = "SODIENTU_TODAY"


def create_app(db_url: str | None = None, **config: Any) -> Flask:
    """Create the web application on the given database (default: ``SODIENTU_DB`` / SQLite)."""
    app = Flask(__name__)
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        # Without a configured key, sessions last as long as the process (documented in README: Serving).
        secret = secrets.token_hex(32)
    app.config.update(
        SECRET_KEY=secret,
        SODIENTU_DB=db_url or default_url(),
        SESSION_COOKIE_NAME="sodientu",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("SODIENTU_SECURE_COOKIES", "") == "1",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.config.update(config)
    fixed = app.config.get("SODIENTU_TODAY") or os.environ.get(TODAY_ENV)
    if isinstance(fixed, str):
        fixed = dt.date.fromisoformat(fixed)
    app.config["SODIENTU_TODAY"] = fixed
    engine = make_engine(app.config["SODIENTU_DB"])
    app.extensions["sodientu.engine"] = engine
    app.extensions["sodientu.sessions"] = session_factory(engine)

    import archive
    from web import auth, csrf, errors, views

    archive.install()  # every edition published through the app is archived at issue
    errors.register(app)
    csrf.register(app)
    auth.register(app)
    views.register(app)
    from web import navigation

    navigation.register(app)  # each role's pages in base.html's navigation bar
    from web import security

    security.register(app)  # CSP, frame-ancestors, nosniff, referrer policy (web/security.py)

    @app.before_request
    def _fix_today() -> None:
        if app.config["SODIENTU_TODAY"] is not None:
            g.today_token = context.fix_today(app.config["SODIENTU_TODAY"])

    @app.teardown_request
    def _close_db(_error: BaseException | None) -> None:
        token = g.pop("today_token", None)
        if token is not None:
            context.unfix_today(token)
        session = g.pop("db", None)
        if session is not None:
            session.close()

    return app


def today() -> dt.date:
    """The day the application acts on (``SODIENTU_TODAY`` when set, else the local date)."""
    return context.today()


def db() -> Session:
    """The request's database session (opened on first use, closed when the request ends)."""
    if "db" not in g:
        g.db = current_app.extensions["sodientu.sessions"]()
    return g.db  # type: ignore[no-any-return]
