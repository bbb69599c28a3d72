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
from records.services.mark_entry import Grid, GridInvalid
from web import sheets
from web.app import db
from web.auth import role_page

bp = Blueprint("teacher", __name__)

_CELL = re.compile(r"^m-(\d{1,12})-((?:tx|dk|gk|ck)\d{1,2})$")
_COMMENT = re.compile(r"^c-(\d{1,12})$")

Cells = dict[tuple[int, str], str]
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
    """Typed values as the page shows them again (``sheets.echo``)."""
    return {k: sheets.echo(v) for k, v in (cells or {}).items()}


def field_name(enrolment_id: int, key: str) -> str:
    """The form field of a cell: ``m-<enrolment>-<column>``, or ``c-<enrolment>`` for a subject comment."""
    return f"c-{enrolment_id}" if key == "comment" else f"m-{enrolment_id}-{key}"


def _conflict(grid: Grid, columns: list[tuple[str, str]], mine: Mapping[tuple[int, str], str],
              version: int) -> sheets.Conflict:
    lines = [sheets.Line(field_name(row.enrolment_id, key), f"{row.roll_number}. {row.full_name}", label,
                         mine[(row.enrolment_id, key)], row.comment if key == "comment" else row.values.get(key, ""))
             for row in grid.rows for key, label in columns if (row.enrolment_id, key) in mine]
    return sheets.conflict(lines, {"version": version})


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
    conflict = _conflict(grid, sheet_columns, mine, version_now) if mine else None
    rows = {r.enrolment_id: r for r in grid.rows}
    stored = {(e, k): (row.comment if k == "comment" else row.values.get(k, "")) for (e, k) in (typed or {})
              if (row := rows.get(e))}
    typed_changed = " ".join(field_name(*k) for k, v in (typed or {}).items() if v != stored.get(k, ""))
    return render_template(template, grid=grid, typed=_echo(typed), invalid=invalid, conflict=conflict,
                           typed_changed=typed_changed, problems=problems, error=error, field_name=field_name,
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
    except StaleSheetError:
        db().rollback()
        grid = mark_entry.read_grid(db(), g.actor, assignment_id)
        kept = sheets.only_changed({field_name(*k): k for k in cells}, request.form).values()
        mine = mark_entry.unsaved(db(), grid, {k: cells[k] for k in kept})
        return _page(grid, template, mine=mine, error=sheets.stale_message(bool(mine)), status=409)
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

