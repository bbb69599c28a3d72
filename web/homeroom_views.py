"""The homeroom teacher's pages (``/chu-nhiem/…``): the roll and personal data, the student photo, monthly
attendance, conduct and comments, the class results and the check before the books are locked.

Reads go through ``records.services.homeroom`` (it refuses anyone but the class's homeroom teacher), writes
through the services. A refused save of a grid (someone saved the sheet in between, a value refused, a locked
book) answers with the same grid filled with what was typed, so nothing is lost.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from records.errors import BookLockedError, ConflictError, CutoffPassedError, StaleSheetError, ValidationError
from records.models import Class, Role, Student
from records.services import attendance, conduct, homeroom, photos, results, students
from records.services.attendance import Absence
from records.services.context import today as service_today
from records.services.limits import FIELD_LABELS_VI
from web import sheets
from web.app import db
from web.auth import role_page
from web.forms import attempt, parse_date

bp = Blueprint("homeroom", __name__, url_prefix="/chu-nhiem")
page = role_page(Role.HOMEROOM_TEACHER)
LABELS = FIELD_LABELS_VI
#: Refusals answered on the page the user typed in (StaleSheetError is a ConflictError).
REFUSED = (ValidationError, ConflictError, BookLockedError, CutoffPassedError)


def _class(class_id: int) -> Class:
    klass = db().get(Class, class_id)
    assert klass is not None  # the read service has already answered 404
    return klass


def _student(student_id: int) -> Student:
    pupil = db().get(Student, student_id)
    assert pupil is not None  # the read service has already answered 404
    return pupil


# --- the roll and the student's personal data ---------------------------------------------------


@bp.get("/lop/<int:class_id>")
@page
def roll(class_id: int) -> Any:
    """The class roll in roll order, transfers and photos shown."""
    klass = homeroom.homeroom_class(db(), g.actor, class_id)
    return render_template("homeroom/class.html", klass=klass, lines=homeroom.roll(db(), g.actor, class_id))


@bp.get("/hoc-sinh/<int:student_id>")
@page
def student(student_id: int) -> Any:
    """A student's personal data (sơ yếu lí lịch), to edit, and their photo."""
    form = homeroom.student_form(db(), g.actor, student_id)
    return render_template("homeroom/student.html", form=form, fields=homeroom.FORM_FIELDS, labels=LABELS,
                           posted=None, limits=photos)


@bp.post("/hoc-sinh/<int:student_id>")
@page
def save_student(student_id: int) -> Any:
    """Save the personal data; a refused value shows the form again with what was typed."""
    form = homeroom.student_form(db(), g.actor, student_id)  # rights first
    posted = {name: request.form.get(name, "") for name in homeroom.FORM_FIELDS if name in request.form}
    try:
        changes: dict[str, Any] = dict(posted)
        if "date_of_birth" in changes:
            changes["date_of_birth"] = parse_date(changes["date_of_birth"])
        students.update_student(db(), g.actor, _student(student_id), **changes)
    except REFUSED as error:
        db().rollback()
        return render_template("homeroom/student.html", form=form, fields=homeroom.FORM_FIELDS, labels=LABELS,
                               posted=posted, error=error.message_vi, limits=photos), 400
    db().commit()
    flash("Đã lưu thông tin học sinh.")
    return redirect(url_for("homeroom.student", student_id=student_id), code=303)


def _crop_box() -> photos.CropBox | None:
    raw = [request.form.get(k, "").strip() for k in ("crop_left", "crop_top", "crop_width")]
    if not any(raw):
        return None
    try:
        left, top, width = (round(float(v)) for v in raw)
    except (ValueError, OverflowError):
        raise ValidationError("Khung cắt ảnh không hợp lệ.", f"crop box {raw!r}") from None
    return photos.CropBox(left, top, width)


@bp.post("/hoc-sinh/<int:student_id>/anh")
@page
def upload_photo(student_id: int) -> Any:
    """Upload the student's photo (JPEG/PNG), cropped to 3×4 (centred, or the box chosen in the browser)."""
    homeroom.student_form(db(), g.actor, student_id)  # rights first
    back = url_for("homeroom.student", student_id=student_id)
    upload = request.files.get("photo")
    data = upload.read(photos.MAX_BYTES + 1) if upload else b""

    def change() -> None:
        photos.set_photo(db(), g.actor, _student(student_id), data, _crop_box())

    return attempt(change, "Đã lưu ảnh của học sinh (cắt 3×4).", back)


@bp.post("/hoc-sinh/<int:student_id>/anh/xoa")
@page
def remove_photo(student_id: int) -> Any:
    """Remove the student's photo."""
    homeroom.student_form(db(), g.actor, student_id)
    return attempt(lambda: photos.remove_photo(db(), g.actor, _student(student_id)), "Đã xóa ảnh.",
                   url_for("homeroom.student", student_id=student_id))


@bp.get("/hoc-sinh/<int:student_id>/anh.jpg")
@page
def photo(student_id: int) -> Response:
    """The stored photo (JPEG, never cached by a shared proxy)."""
    data = homeroom.student_photo(db(), g.actor, student_id)
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "private, no-store",
                                                          "X-Content-Type-Options": "nosniff"})


# --- attendance -----------------------------------------------------------------------------------


def _month(class_id: int) -> tuple[homeroom.HomeroomClass, int, int]:
    klass = homeroom.homeroom_class(db(), g.actor, class_id)
    year, month = homeroom.parse_month(request.args.get("thang"), klass, service_today())
    return klass, year, month


def _grid(sheet: homeroom.AttendanceMonth, typed: dict[tuple[int, int], str] | None) -> list[tuple[Any, list[Any]]]:
    """Each row with its cells (column, input name or None, value shown, stored value) for the template."""
    lines = []
    for row in sheet.rows:
        cells = []
        for column, day in enumerate(sheet.days):
            stored = row.cells.get(day, "")
            value = sheets.echo(typed.get((row.enrolment_id, day), stored)) if typed else stored
            name = f"d-{row.enrolment_id}-{day}" if day in row.open_days else None
            cells.append((column, name, value, stored))
        lines.append((row, cells))
    return lines


def _typed_changed(sheet: homeroom.AttendanceMonth, typed: dict[tuple[int, int], str] | None) -> str:
    """The cells whose typed value (shown back after a refusal) differs from the stored one (``data-changed``)."""
    rows = {r.enrolment_id: r for r in sheet.rows}
    return " ".join(f"d-{e}-{d}" for (e, d), v in (typed or {}).items()
                    if e in rows and v != rows[e].cells.get(d, ""))


def _attendance(sheet: homeroom.AttendanceMonth, typed: dict[tuple[int, int], str] | None, version: int,
                error: str = "", conflict: sheets.Conflict | None = None) -> str:
    return render_template("homeroom/attendance.html", sheet=sheet, lines=_grid(sheet, typed), version=version,
                           error=error, conflict=conflict, typed_changed=_typed_changed(sheet, typed))


def _attendance_conflict(sheet: homeroom.AttendanceMonth, posted: dict[tuple[int, int], str]) -> sheets.Conflict:
    """The cells the user changed that differ from the month now stored."""
    mine = sheets.only_changed({f"d-{e}-{d}": v for (e, d), v in posted.items()}, request.form)
    lines = [sheets.Line(name, f"{row.roll_number}. {row.full_name}", f"Ngày {day}/{sheet.month}", mine[name],
                         row.cells.get(day, ""))
             for row in sheet.rows for day in sorted(row.open_days)
             if (name := f"d-{row.enrolment_id}-{day}") in mine and mine[name] != row.cells.get(day, "")]
    return sheets.conflict(lines, {"version": sheet.version})


@bp.get("/lop/<int:class_id>/diem-danh")
@page
def attendance_page(class_id: int) -> Any:
    """A month of attendance: students × school days, each cell empty, P or K."""
    _, year, month = _month(class_id)
    sheet = homeroom.attendance_month(db(), g.actor, class_id, year, month)
    return _attendance(sheet, None, sheet.version)


def _absences(sheet: homeroom.AttendanceMonth) -> tuple[list[Absence], dict[tuple[int, int], str]]:
    items: list[Absence] = []
    posted: dict[tuple[int, int], str] = {}
    bad: list[str] = []
    for row in sheet.rows:
        for day in sorted(row.open_days):
            key = f"d-{row.enrolment_id}-{day}"
            if key not in request.form:
                continue
            raw = request.form[key].strip().upper()
            posted[(row.enrolment_id, day)] = raw
            if raw not in ("", "P", "K"):
                bad.append(f"{row.full_name} ngày {day}: “{raw[:5]}”")
                continue
            items.append(Absence(row.enrolment_id, dt.date(sheet.year, sheet.month, day), excused=raw == "P",
                                 present=raw == ""))
    if bad:
        raise _Refused(ValidationError("Chỉ ghi P (nghỉ có phép), K (nghỉ không phép) hoặc để trống: "
                                       + "; ".join(bad[:5]) + ("…" if len(bad) > 5 else ""),
                                       f"{len(bad)} bad attendance cells"), posted)
    return items, posted


def _version(name: str) -> int:
    """The sheet version the form was read at (a save without one would skip the conflict check)."""
    value = request.form.get(name, type=int)
    if value is None or value < 0:
        raise ValidationError("Biểu mẫu thiếu số phiên bản của bảng; hãy tải lại trang rồi nhập lại.",
                              f"{name} missing or not a number")
    return value


class _Refused(Exception):
    def __init__(self, error: ValidationError, posted: dict[Any, str]) -> None:
        super().__init__(error.message_en)
        self.error, self.posted = error, posted


def _status(error: Exception) -> int:
    return 409 if isinstance(error, StaleSheetError) else 423 if isinstance(error, BookLockedError) else 400




@bp.post("/lop/<int:class_id>/diem-danh")
@page
def save_attendance(class_id: int) -> Any:
    """Save the month presenting the version read; a conflict or a refusal shows the typed grid again."""
    _, year, month = _month(class_id)
    sheet = homeroom.attendance_month(db(), g.actor, class_id, year, month)
    version = _version("version")
    try:
        items, posted = _absences(sheet)
        saved = attendance.save_absences(db(), g.actor, _class(class_id), items, expected_version=version)
    except _Refused as refused:
        return _attendance(sheet, refused.posted, version, refused.error.message_vi), 400
    except StaleSheetError:
        db().rollback()
        fresh = homeroom.attendance_month(db(), g.actor, class_id, year, month)
        conflict = _attendance_conflict(fresh, posted)
        return _attendance(fresh, None, fresh.version, sheets.stale_message(bool(conflict.lines)), conflict), 409
    except REFUSED as error:
        db().rollback()
        fresh = homeroom.attendance_month(db(), g.actor, class_id, year, month)
        return _attendance(fresh, posted, version, error.message_vi), _status(error)
    db().commit()
    flash(f"Đã lưu điểm danh tháng {month}/{year}: {saved.created} ô ghi mới, {saved.updated} ô sửa, "
          f"{saved.deleted} ô xóa.")
    return redirect(url_for("homeroom.attendance_page", class_id=class_id, thang=f"{year}-{month:02d}"), code=303)


# --- conduct and homeroom comments ---------------------------------------------------------------


@bp.get("/lop/<int:class_id>/hanh-kiem")
@page
def conduct_page(class_id: int) -> Any:
    """Conduct / training levels and the homeroom teacher's comments for a period (``?ky=hk1|hk2|cn``)."""
    sheet = homeroom.conduct_sheet(db(), g.actor, class_id, homeroom.parse_period(request.args.get("ky")))
    return render_template("homeroom/conduct.html", sheet=sheet, posted=None, conflict=None, typed_changed="",
                           versions=(sheet.conduct_version, sheet.comment_version))


@bp.post("/lop/<int:class_id>/hanh-kiem")
@page
def save_conduct(class_id: int) -> Any:
    """Save both sheets in one transaction, each presenting the version read."""
    period = homeroom.parse_period(request.args.get("ky"))
    sheet = homeroom.conduct_sheet(db(), g.actor, class_id, period)
    levels = {r.enrolment_id: request.form.get(f"level-{r.enrolment_id}", "") or None
              for r in sheet.rows if f"level-{r.enrolment_id}" in request.form}
    comments = {r.enrolment_id: request.form.get(f"comment-{r.enrolment_id}", "")
                for r in sheet.rows if f"comment-{r.enrolment_id}" in request.form}
    posted = {"levels": levels, "comments": comments}
    kept = (_version("conduct_version"), _version("comment_version"))
    klass = _class(class_id)
    try:
        a = conduct.save_conduct(db(), g.actor, klass, period, levels, expected_version=kept[0]) if levels else None
        b = conduct.save_homeroom_comments(db(), g.actor, klass, period, comments,
                                           expected_version=kept[1]) if comments else None
    except StaleSheetError:
        db().rollback()
        fresh = homeroom.conduct_sheet(db(), g.actor, class_id, period)
        conflict = _conduct_conflict(fresh, levels, comments)
        return render_template("homeroom/conduct.html", sheet=fresh, posted=None, conflict=conflict, typed_changed="",
                               versions=(fresh.conduct_version, fresh.comment_version),
                               error=sheets.stale_message(bool(conflict.lines))), 409
    except REFUSED as error:
        db().rollback()
        fresh = homeroom.conduct_sheet(db(), g.actor, class_id, period)
        return render_template("homeroom/conduct.html", sheet=fresh, posted=posted, versions=kept, conflict=None,
                               typed_changed=_conduct_changed(fresh, levels, comments),
                               error=error.message_vi), _status(error)
    db().commit()
    changed = sum(x.created + x.updated + x.deleted for x in (a, b) if x is not None)
    flash(f"Đã lưu {sheet.klass.conduct_kind_vi.lower()} và nhận xét {period.label_vi}: {changed} thay đổi.")
    return redirect(url_for("homeroom.conduct_page", class_id=class_id, ky=period.value), code=303)


def _text(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").strip()


def _conduct_differences(sheet: homeroom.ConductSheet, levels: dict[int, str | None],
                         comments: dict[int, str]) -> list[sheets.Line]:
    """Each posted level or comment that differs from the stored sheet."""
    lines = []
    for row in sheet.rows:
        who, eid = f"{row.roll_number}. {row.full_name}", row.enrolment_id
        if eid in levels and (levels[eid] or "") != (row.level or ""):
            lines.append(sheets.Line(f"level-{eid}", who, sheet.klass.conduct_kind_vi, levels[eid] or "", row.level or ""))
        if eid in comments and _text(comments[eid]) != _text(row.comment):
            lines.append(sheets.Line(f"comment-{eid}", who, "Nhận xét", comments[eid], row.comment or ""))
    return lines


def _conduct_conflict(sheet: homeroom.ConductSheet, levels: dict[int, str | None],
                      comments: dict[int, str]) -> sheets.Conflict:
    mine = sheets.only_changed({line.name: line for line in _conduct_differences(sheet, levels, comments)},
                               request.form)
    return sheets.conflict(mine.values(), {"conduct_version": sheet.conduct_version,
                                           "comment_version": sheet.comment_version})


def _conduct_changed(sheet: homeroom.ConductSheet, levels: dict[int, str | None], comments: dict[int, str]) -> str:
    return " ".join(line.name for line in _conduct_differences(sheet, levels, comments))


# --- results and the check before locking ---------------------------------------------------------


@bp.get("/lop/<int:class_id>/ket-qua")
@page
def results_page(class_id: int) -> Any:
    """The class results of a period; for the year, the promotion and summer re-assessment lists."""
    view = homeroom.class_results(db(), g.actor, class_id, homeroom.parse_period(request.args.get("ky")))
    return render_template("homeroom/results.html", view=view)


@bp.post("/lop/<int:class_id>/ket-qua")
@page
def compute_results(class_id: int) -> Any:
    """Compute (again) and store the class results of the period (a write: rights checked by the service)."""
    period = homeroom.parse_period(request.args.get("ky"))
    homeroom.homeroom_class(db(), g.actor, class_id)

    def change() -> None:
        results.compute_class(db(), g.actor, _class(class_id), period)

    return attempt(change, f"Đã tính kết quả {period.label_vi}.",
                   url_for("homeroom.results_page", class_id=class_id, ky=period.value))


@bp.get("/lop/<int:class_id>/kiem-tra")
@page
def check_page(class_id: int) -> Any:
    """Kiểm tra trước khi khóa sổ: everything still missing for the period."""
    check = homeroom.pre_lock_check(db(), g.actor, class_id, homeroom.parse_period(request.args.get("ky")))
    return render_template("homeroom/check.html", check=check)
