"""The upload page for imports (issue 13): ``/nhap-du-lieu``, the same imports as ``sodientu import``.

A student list, teachers, teaching assignments or a class's mark sheet (.xlsx, .csv) goes through the
same ``records.interop`` function as the command: the whole file is checked first, errors are listed
by row and column, and nothing is written unless the whole file is valid. "Xem trước" (checked by
default) is the dry run: the report says what would be created or changed. Rights are the services'
(``require`` inside the imports): anyone signed in may open the page; a teacher importing a list gets a
report of refusals, not a write.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from records.errors import SodientuError
from records.interop.common import ImportOptions
from records.interop.report import ACTION_LABELS, ImportReport
from records.interop.sheets import SpreadsheetFile
from records.services import reads
from web.app import db
from web.auth import signed_in

bp = Blueprint("nhap", __name__)

KINDS = {"students": "Danh sách học sinh", "teachers": "Danh sách giáo viên",
         "assignments": "Phân công giảng dạy", "marks": "Bảng điểm của một lớp, một môn"}


def _importer(kind: str) -> Any:
    from records.interop import marks, staff, students

    return {"students": students.import_students, "teachers": staff.import_teachers,
            "assignments": staff.import_assignments, "marks": marks.import_marks}[kind]


def _page(report: ImportReport | None = None, error: str = "", status: int = 200) -> Any:
    form = request.form if request.method == "POST" else {}
    return render_template("imports/form.html", kinds=KINDS, schools=reads.schools_of(db(), g.actor), form=form,
                           report=report, error=error, actions=ACTION_LABELS), status


def _optional_int(name: str, low: int, high: int) -> int | None:
    text = (request.form.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(name)
    return int(text)


@bp.get("/nhap-du-lieu")
@signed_in
def form() -> Any:
    """The upload form."""
    return _page()


@bp.post("/nhap-du-lieu")
@signed_in
def upload() -> Any:
    """Check (preview) or import the uploaded file; the report lists every change and every error."""
    try:
        upload = request.files.get("file")
        kind = request.form.get("kind", "")
    except RequestEntityTooLarge:
        return _page(error="Tệp quá lớn (tối đa 16 MB).", status=413)
    if kind not in KINDS:
        return _page(error="Hãy chọn loại dữ liệu cần nhập.", status=400)
    if upload is None or not upload.filename:
        return _page(error="Hãy chọn tệp .xlsx hoặc .csv.", status=400)
    schools = {s.id: s for s in reads.schools_of(db(), g.actor)}
    try:
        school_id = int(request.form.get("school") or (next(iter(schools)) if len(schools) == 1 else 0))
        year, term = _optional_int("year", 2000, 2100), _optional_int("term", 1, 2)
    except (ValueError, StopIteration):
        return _page(error="Năm học hoặc học kì không hợp lệ.", status=400)
    if school_id not in schools:
        return _page(error="Hãy chọn trường.", status=400)
    options = ImportOptions(school_id=school_id, start_year=year,
                            class_name=(request.form.get("class_name") or "").strip() or None,
                            dry_run=request.form.get("preview") == "1",
                            create_classes=request.form.get("create_classes") == "1",
                            subject=(request.form.get("subject") or "").strip() or None, term=term)
    session = db()
    try:
        report = _importer(kind)(session, g.actor, SpreadsheetFile(upload.filename, upload.read()), options)
    except SodientuError as exc:  # a file that cannot be read at all, a school year that does not exist, …
        session.rollback()
        return _page(error=exc.message_vi, status=400)
    if report.written:
        session.commit()
    else:
        session.rollback()
    return _page(report, status=200 if report.ok else 400)
