"""Blueprints of the web application, mounted in one place."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register every blueprint (sign-in is mounted by ``web.auth``)."""
    from web import admin_views, home_views, records_views, verify_views

    verify_views.register(app)  # the public verification page: /xac-thuc, /v/<code> (no sign-in)
    app.register_blueprint(home_views.bp)
    app.register_blueprint(records_views.bp)
    app.register_blueprint(admin_views.bp)
    from web import import_views

    app.register_blueprint(import_views.bp)  # /nhap-du-lieu: spreadsheets in (rights: the services')

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        return "ok", 200
