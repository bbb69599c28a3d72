"""The subject teacher's daily work: the mark-entry grid of an assignment and its subject comments.

``/giao-vien/phan-cong/<id>`` shows the grid (``records.services.mark_entry``) and takes the whole sheet
back as one form with the version it was read at. Outcomes of a save:

- saved: committed, back to the grid with a summary (303);
- some cells bad: nothing saved, the grid again with the typed values and each bad cell marked (400);
- someone saved in between (``StaleSheetError``): nothing saved, the grid with the server's current
  values and, beside each cell that differs, what this user typed, which they can re-apply (409);
- the book is locked or the cut-off has passed: nothing saved, the typed values kept, the refusal (423);
- not the assigned teacher: the error page (403).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request

from records.errors import BookLockedError, CutoffPassedError, StaleSheetError, ValidationError
from records.models import Role
from records.services import mark_entry
from records.services.limits import SUBJECT_COMMENT_MAX
from records.services.mark_entry import Grid, GridInvalid
from web.app import db
from web.auth import role_page

bp = Blueprint("teacher", __name__)

_CELL = re.compile(r"^m-(\d{1,12})-((?:tx|dk|gk|ck)\d{1,2})$")
_COMMENT = re.compile(r"^c-(\d{1,12})$")

Cells = dict[tuple[int, str], str]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ECHO_MAX = 2 * SUBJECT_COMMENT_MAX
GRID, COMMENTS = "teacher/grid.html", "teacher/comments.html"


def _version() -> int:
    raw = (request.form.get("version") or "").strip()
    if not raw.isdigit() or len(raw) > 12:
        raise ValidationError("Biểu mẫu thiếu phiên bản của bảng: hãy tải lại trang.", f"bad version {raw[:20]!r}")
    return int(raw)


#: Form fields a sheet may post: a 60-student class with every TT58 column (17) is 1,020 cells, over Flask's
#: default of 1,000 parts.
MAX_SHEET_FIELDS = 4000


def _posted_cells() -> Cells:
    request.max_form_parts = MAX_SHEET_FIELDS
    cells: Cells = {}
    for name, value in request.form.items():
        found = _CELL.match(name)
        if found:
            cells[(int(found.group(1)), found.group(2))] = value
    return cells


def _posted_comments() -> dict[int, str]:
    request.max_form_parts = MAX_SHEET_FIELDS
    return {int(found.group(1)): value for name, value in request.form.items() if (found := _COMMENT.match(name))}


def _echo(cells: Mapping[tuple[int, str], str] | None) -> dict[tuple[int, str], str]:
    """Typed values as the page shows them again: control characters made visible, at most
    ``ECHO_MAX`` characters (a mark cell is never that long; a comment is refused beyond it anyway)."""
    return {k: _CONTROL.sub("\ufffd", v[:ECHO_MAX]) for k, v in (cells or {}).items()}


def _page(grid: Grid, template: str, *, typed: Mapping[tuple[int, str], str] | None = None,
          invalid: Mapping[tuple[int, str], str] | None = None, mine: Mapping[tuple[int, str], str] | None = None,
          error: str = "", status: int = 200, read_at: int | None = None) -> Any:
    """The sheet's page. ``read_at``: the version the typed values were read at, which the form presents
    again when they are shown back (a bad cell, a refusal), so that saving them later cannot silently
    overwrite what someone else saved meanwhile; without typed values the form presents the current one."""
    if template == COMMENTS:
        sheet_columns, version_now = [("comment", "Nhận xét")], grid.comment_version
    else:
        sheet_columns, version_now = [(c.key, c.label) for c in grid.columns], grid.version
    invalid = invalid or {}
    labels = dict(sheet_columns)
    names = {r.enrolment_id: f"{r.roll_number}. {r.full_name}" for r in grid.rows}
    order = {(r.enrolment_id, key): i for i, (r, key) in enumerate((r, k) for r in grid.rows for k in labels)}
    problems = [f"{names.get(e, 'Học sinh không thuộc lớp')}, {labels.get(k, k)}: {why}"
                for (e, k), why in sorted(invalid.items(), key=lambda item: order.get(item[0], len(order)))]
    return render_template(template, grid=grid, typed=_echo(typed), invalid=invalid, mine=_echo(mine),
                           problems=problems, error=error, sheet_columns=sheet_columns,
                           version_now=version_now,
                           form_version=version_now if read_at is None else read_at), status


def _save(template: str, cells: Mapping[tuple[int, str], str], save: Any, done: Any) -> Any:
    assignment_id = request.view_args["assignment_id"]  # type: ignore[index]
    version = _version()
    try:
        result = save(version)
    except GridInvalid as bad:
        db().rollback()
        grid = mark_entry.read_grid(db(), g.actor, assignment_id)
        return _page(grid, template, typed=cells, invalid=bad.cells, error=bad.message_vi, status=400,
                     read_at=version)
    except StaleSheetError as stale:
        db().rollback()
        grid = mark_entry.read_grid(db(), g.actor, assignment_id)
        mine = mark_entry.unsaved(db(), grid, cells)
        told = (f"Bảng này vừa được lưu từ một trang khác (phiên bản {stale.expected} → {stale.current}); "
                "lần lưu của bạn chưa được ghi. ")
        told += ("Các giá trị bạn nhập vẫn còn, ở bên dưới." if mine else
                 "Mọi giá trị bạn gửi đều trùng với dữ liệu hiện có: không còn gì phải lưu.")
        return _page(grid, template, mine=mine, error=told, status=409)
    except (BookLockedError, CutoffPassedError) as refused:
        db().rollback()
        grid = mark_entry.read_grid(db(), g.actor, assignment_id)
        return _page(grid, template, typed=cells, error=refused.message_vi, status=423, read_at=version)
    except ValidationError as bad:  # a value the services refused (checked again there)
        db().rollback()
        grid = mark_entry.read_grid(db(), g.actor, assignment_id)
        return _page(grid, template, typed=cells, error=bad.message_vi, status=400, read_at=version)
    db().commit()
    flash(done(result))
    return redirect(request.path, code=303)


def _summary(result: mark_entry.SaveResult, what: str) -> str:
    if not (result.created or result.updated or result.deleted):
        return f"Đã lưu: không có {what} nào thay đổi."
    return (f"Đã lưu {what}: {result.created} mới, {result.updated} sửa, {result.deleted} xóa "
            f"(phiên bản bảng {result.version}).")


@bp.get("/giao-vien/phan-cong/<int:assignment_id>")
@role_page(Role.SUBJECT_TEACHER)
def grid(assignment_id: int) -> Any:
    """The mark-entry grid of one class, subject and term."""
    return _page(mark_entry.read_grid(db(), g.actor, assignment_id), GRID)


@bp.post("/giao-vien/phan-cong/<int:assignment_id>")
@role_page(Role.SUBJECT_TEACHER)
def save_grid(assignment_id: int) -> Any:
    """Save the whole grid (fields ``m-<enrolment id>-<column>``, ``version``)."""
    cells = _posted_cells()
    return _save(GRID, cells,
                 lambda version: mark_entry.save_grid(db(), g.actor, assignment_id, cells, expected_version=version),
                 lambda result: _summary(result, "điểm"))


@bp.get("/giao-vien/phan-cong/<int:assignment_id>/nhan-xet")
@role_page(Role.SUBJECT_TEACHER)
def comments(assignment_id: int) -> Any:
    """The subject comments (nhận xét môn học) of the assignment's class for its term."""
    return _page(mark_entry.read_grid(db(), g.actor, assignment_id), COMMENTS)


@bp.post("/giao-vien/phan-cong/<int:assignment_id>/nhan-xet")
@role_page(Role.SUBJECT_TEACHER)
def save_comments(assignment_id: int) -> Any:
    """Save the subject comments (fields ``c-<enrolment id>``, ``version``)."""
    texts = _posted_comments()
    cells = {(e, "comment"): t for e, t in texts.items()}
    return _save(COMMENTS, cells,
                 lambda version: mark_entry.save_comment_sheet(db(), g.actor, assignment_id, texts,
                                                               expected_version=version),
                 lambda result: _summary(result, "nhận xét"))


def home_progress() -> list[mark_entry.Progress]:
    """The signed-in teacher's assignments with their entry progress (for the home page)."""
    return mark_entry.progress_of(db(), g.actor)

