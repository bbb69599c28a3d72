"""The Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask

from records.db import default_url, make_engine, session_factory


def create_app(db_url: str | None = None, **config: Any) -> Flask:
    """Create the web application on the given database (default: ``SODIENTU_DB`` / SQLite)."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="dev-only-change-me", SODIENTU_DB=db_url or default_url())
    app.config.update(config)
    engine = make_engine(app.config["SODIENTU_DB"])
    app.extensions["sodientu.engine"] = engine
    app.extensions["sodientu.sessions"] = session_factory(engine)

    import archive
    from web import errors, views

    archive.install()  # every edition published through the app is archived at issue
    errors.register(app)
    views.register(app)
    return app
