"""Reading form fields: dates (dd/mm/yyyy or the ISO of date inputs), whole numbers, required text.

A bad value raises ``ValidationError`` with a Vietnamese message; the error table answers it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, request
from werkzeug.wrappers import Response

from records.errors import ConflictError, NotFoundError, ValidationError
from web.app import db


def parse_date(text: str | None) -> dt.date | None:
    """A date written dd/mm/yyyy or yyyy-mm-dd ("" → None)."""
    if not text or not text.strip():
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"Ngày “{text}” không hợp lệ (viết dd/mm/yyyy).", f"bad date {text!r}")


def date_field(name: str, label: str) -> dt.date:
    """A required date of the posted form."""
    value = parse_date(request.form.get(name))
    if value is None:
        raise ValidationError(f"Cần nhập {label}.", f"{name} missing")
    return value


def int_field(name: str, label: str) -> int:
    """A required whole number of the posted form."""
    raw = (request.form.get(name) or "").strip()
    if not raw.lstrip("-").isdigit():
        raise ValidationError(f"{label} phải là một số.", f"{name}={raw!r} is not a number")
    return int(raw)


def text_field(name: str, label: str) -> str:
    """A required, non-blank text field."""
    value = " ".join((request.form.get(name) or "").split())
    if not value:
        raise ValidationError(f"Cần nhập {label}.", f"{name} missing")
    return value


def attempt(change: Callable[[], Any], done_vi: str, back: str) -> Response:
    """Make a change and commit; a refused value or a conflict is shown on the page it came from.

    Permission refusals are not caught: the error table answers them (403).
    """
    try:
        change()
    except (ValidationError, ConflictError, NotFoundError) as error:
        db().rollback()
        flash(error.message_vi)
        return redirect(back, code=303)
    db().commit()
    flash(done_vi)
    return redirect(back, code=303)
