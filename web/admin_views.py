"""The administrator's screens: the school, its years, classes, subjects, staff, assignments, roll-over.

Every screen goes through ``records.services`` (setup, accounts, reads): the same functions the
``sodientu setup`` commands call, so rights are checked and every change is traced either way.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

from records.models import Role
from records.services import reads
from web.app import db
from web.auth import role_page

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")


@bp.get("")
@role_page(Role.ADMINISTRATOR)
def home() -> Any:
    """The administrator's home page."""
    schools = reads.schools_of(db(), g.actor)
    return render_template("admin/home.html", schools=schools)
