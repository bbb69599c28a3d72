"""The one table that turns domain errors into HTTP answers and Vietnamese messages."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request

from records.errors import (
    BookLockedError,
    ConflictError,
    CutoffPassedError,
    IntegrityError,
    NotFoundError,
    PermissionDeniedError,
    SodientuError,
    ValidationError,
)

log = logging.getLogger(__name__)

STATUS: dict[type[SodientuError], int] = {
    ValidationError: 400,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    BookLockedError: 423,
    CutoffPassedError: 423,
    IntegrityError: 500,
}


def status_for(error: SodientuError) -> int:
    """HTTP status of a domain error (most specific class wins)."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 400


def register(app: Flask) -> None:
    """Install the error handler on the app."""

    @app.errorhandler(SodientuError)
    def _domain_error(error: SodientuError):  # type: ignore[no-untyped-def]
        log.warning("%s %s: %s", request.method, request.path, error.message_en)
        return jsonify(error=error.message_vi), status_for(error)
