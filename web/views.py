"""Blueprints of the web application (screens come with the web issue)."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register every blueprint."""
    from web import verify_views  # the public verification page: /xac-thuc, /v/<code>

    verify_views.register(app)

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        return "ok", 200
