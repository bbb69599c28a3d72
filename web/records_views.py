"""Reading pages: a class roll, a mark sheet, a student's record, a school's trail and editions.

Each page is open to anyone signed in; the read service decides (rights table) and refuses with 403.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request

from records.services import reads
from web.app import db
from web.auth import signed_in

bp = Blueprint("records", __name__)


@bp.get("/lop/<int:class_id>")
@signed_in
def class_roll(class_id: int) -> Any:
    """The roll of a class, with links to its mark sheets."""
    return render_template("records/class.html", roll=reads.class_roll(db(), g.actor, class_id))


@bp.get("/lop/<int:class_id>/diem")
@signed_in
def class_marks(class_id: int) -> Any:
    """The marks of one subject and term in a class (``?mon=<subject id>&hk=<term id>``)."""
    subject_id = request.args.get("mon", type=int) or 0
    term_id = request.args.get("hk", type=int) or 0
    sheet = reads.class_marks(db(), g.actor, class_id, subject_id, term_id)
    return render_template("records/marks.html", sheet=sheet)


@bp.get("/hoc-sinh/<int:student_id>")
@signed_in
def student(student_id: int) -> Any:
    """A student's record."""
    return render_template("records/student.html", record=reads.student_record(db(), g.actor, student_id))


@bp.get("/truong/<int:school_id>/nhat-ki")
@signed_in
def trail(school_id: int) -> Any:
    """The latest entries of a school's audit trail."""
    return render_template("records/trail.html", lines=reads.audit_trail(db(), g.actor, school_id))


@bp.get("/truong/<int:school_id>/ban-in")
@signed_in
def editions(school_id: int) -> Any:
    """The printed editions of a school."""
    return render_template("records/editions.html", editions=reads.editions_of(db(), g.actor, school_id))
