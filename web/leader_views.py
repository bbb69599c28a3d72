"""The leadership's daily work (issue 12): lock and unlock decisions and their execution, correction
requests (filed by teachers, decided by the principal, applied by the administrator before witnesses),
the monthly inspection of entry progress, and the approval of the classes' results.

Reads go through ``records.services.leadership`` (and ``inspections.entry_progress``), writes through
``locks``, ``corrections``, ``inspections`` and ``results``: the services check the rights and trace.
The page guards only keep each page to the roles it is for; a button is shown only to whom the rights
table allows it, and the server refuses anyway.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal
from typing import Any

from flask import Blueprint, g, render_template, request, url_for
from werkzeug.wrappers import Response

from records.errors import (
    BookLockedError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from records.models import (
    Book,
    Class,
    CorrectionStatus,
    Grade,
    MarkKind,
    Period,
    Role,
    SchoolYear,
    Term,
)
from records.services import corrections, inspections, leadership, locks, reads, results
from records.services.sheets import refuse_unprintable
from web.app import db, today
from web.auth import current_role, role_page, signed_in
from web.forms import attempt, parse_date, text_field

bp = Blueprint("leader", __name__)

LEADERS = (Role.PRINCIPAL, Role.VICE_PRINCIPAL)
GOVERNANCE = (Role.PRINCIPAL, Role.VICE_PRINCIPAL, Role.ADMINISTRATOR)
NOTE_MAX = 2000  # characters of a decision note, findings, a reason
REFERENCE_MAX = 120  # characters of a lock decision's reference (the column's width)


def _school_id(roles: tuple[Role, ...]) -> int:
    """The school the actor works for in the current role (else in any of ``roles``)."""
    role = current_role()
    grants = [gr for gr in g.actor.grants if gr.school_id is not None and gr.role in roles]
    grants.sort(key=lambda gr: gr.role is not role)
    if not grants:
        raise PermissionDeniedError("Tài khoản chưa được giao trường nào.", f"{g.actor.username} has no school")
    return int(grants[0].school_id)


def _year_id(school_id: int) -> tuple[int, list[leadership.YearOption]]:
    """The year asked for (``?nam=``), else the current one; and the school's years for the picker."""
    years = leadership.school_years(db(), g.actor, school_id)
    asked = request.values.get("nam", type=int)
    if asked is not None:
        return asked, years
    if not years:
        raise NotFoundError("Trường chưa có năm học nào: quản trị hệ thống cần khai báo năm học trước.",
                            f"school {school_id} has no year")
    return next((y.id for y in years if y.current), years[0].id), years


def _get(model: type, ident: int | None, what_vi: str) -> Any:
    row = db().get(model, ident) if ident else None
    if row is None:
        raise ValidationError(f"Không tìm thấy {what_vi}.", f"{model.__name__} {ident} not found")
    return row


def _long_text(name: str, label: str, *, required: bool = True) -> str | None:
    """A multi-line text field (line breaks kept, other white space trimmed), bounded."""
    raw = unicodedata.normalize("NFC", request.form.get(name) or "").replace("\r\n", "\n").strip()
    text = "\n".join(" ".join(line.split()) for line in raw.split("\n")).strip()
    for line in text.split("\n"):
        refuse_unprintable(line, label.capitalize())
    if not text:
        if required:
            raise ValidationError(f"Cần nhập {label}.", f"{name} missing")
        return None
    if len(text) > NOTE_MAX:
        raise ValidationError(f"{label.capitalize()} dài quá {NOTE_MAX} kí tự.", f"{name} too long ({len(text)})")
    return text


def _form_int(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    return int(raw) if raw.isdigit() else None


# --- locks -------------------------------------------------------------------------------------


@bp.get("/khoa-so")
@role_page(*GOVERNANCE)
def lock_register() -> Any:
    """The year's lock decisions, their execution, and the state of every class's books."""
    year_id, years = _year_id(_school_id(GOVERNANCE))
    register = leadership.lock_register(db(), g.actor, year_id)
    return render_template("leader/locks.html", register=register, years=years, books=list(Book),
                           today=today())


def _reference() -> str:
    reference = unicodedata.normalize("NFC", text_field("decision_ref", "số, ngày của quyết định"))
    refuse_unprintable(reference, "Số, ngày của quyết định")
    if len(reference) > REFERENCE_MAX:
        raise ValidationError(f"Số, ngày của quyết định dài quá {REFERENCE_MAX} kí tự.", "decision_ref too long")
    return reference


@bp.post("/khoa-so")
@role_page(Role.PRINCIPAL)
def decide_lock() -> Response:
    """The principal decides to lock or open a book (for a term or the year, a class or the school)."""
    year = _get(SchoolYear, _form_int("nam"), "năm học")
    back = url_for("leader.lock_register", nam=year.id)

    def change() -> None:
        book_value = request.form.get("book", "")
        if book_value not in {b.value for b in Book}:
            raise ValidationError("Hãy chọn sổ cần khóa / mở.", f"bad book {book_value!r}")
        term = _get(Term, _form_int("term"), "học kì") if request.form.get("term") else None
        klass = _get(Class, _form_int("class"), "lớp") if request.form.get("class") else None
        locks.decide(db(), g.actor, book=Book(book_value), school_year=year, lock=request.form.get("lock") != "0",
                     decision_ref=_reference(), term=term, klass=klass,
                     decided_on=parse_date(request.form.get("decided_on")), note=_long_text("note", "ghi chú",
                                                                                            required=False))

    verb = "khóa" if request.form.get("lock") != "0" else "mở"
    return attempt(change, f"Đã ghi quyết định {verb} sổ; quản trị hệ thống sẽ thực hiện.", back)


@bp.post("/khoa-so/<int:decision_id>/thuc-hien")
@role_page(Role.ADMINISTRATOR)
def execute_lock(decision_id: int) -> Response:
    """The administrator executes a decision: from now on the scope is locked / open."""
    done: list[Any] = []

    def change() -> None:
        done.append(locks.execute(db(), g.actor, decision_id))

    response = attempt(change, "Đã thực hiện quyết định.", url_for("leader.lock_register"))
    if done:
        response.location = url_for("leader.lock_register", nam=done[0].school_year_id)
    return response


# --- corrections ------------------------------------------------------------------------------


STATUS_FILTERS = {"cho-duyet": CorrectionStatus.PENDING, "da-duyet": CorrectionStatus.APPROVED,
                  "khong-duyet": CorrectionStatus.REJECTED, "da-sua": CorrectionStatus.APPLIED}


@bp.get("/sua-diem")
@role_page(*GOVERNANCE)
def correction_list() -> Any:
    """The school's correction requests (``?tt=cho-duyet`` …), newest first."""
    shown = request.args.get("tt", "")
    rows = leadership.correction_requests(db(), g.actor, _school_id(GOVERNANCE), STATUS_FILTERS.get(shown))
    return render_template("leader/corrections.html", rows=rows, shown=shown, filters=STATUS_FILTERS)


@bp.get("/sua-diem/<int:request_id>")
@signed_in
def correction(request_id: int) -> Any:
    """One request: the mark, the reason, the decision, the application, its trail; the next step's form."""
    detail = leadership.correction_detail(db(), g.actor, request_id)
    leaders, board = (leadership.witnesses(db(), g.actor, detail.school_id) if detail.may_apply else ([], []))
    return render_template("leader/correction.html", d=detail, leaders=leaders, board=board)


@bp.get("/sua-diem/<int:request_id>/in")
@signed_in
def print_correction(request_id: int) -> Response:
    """The request form (and, once applied, the correction record) as a PDF for the board's files."""
    from layouts.correction import print_correction as render

    pdf = render(db(), request_id, g.actor)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="don-de-nghi-sua-diem-{request_id}.pdf"'
    return response


@bp.post("/sua-diem/<int:request_id>/duyet")
@role_page(Role.PRINCIPAL)
def decide_correction(request_id: int) -> Response:
    """The principal approves (``quyet-dinh=duyet``) or rejects (``khong-duyet``) a request, with a note."""
    decision = request.form.get("quyet-dinh", "")

    def change() -> None:
        if decision not in ("duyet", "khong-duyet"):
            raise ValidationError("Hãy chọn phê duyệt hoặc không duyệt.", f"bad decision {decision!r}")
        note = _long_text("note", "ý kiến của Hiệu trưởng", required=decision == "khong-duyet")
        decide = corrections.approve if decision == "duyet" else corrections.reject
        decide(db(), g.actor, request_id, note)

    done = "Đã phê duyệt đơn số {0}." if decision == "duyet" else "Đã ghi không duyệt đơn số {0}."
    return attempt(change, done.format(request_id), url_for("leader.correction", request_id=request_id))


@bp.post("/sua-diem/<int:request_id>/thuc-hien")
@role_page(Role.ADMINISTRATOR)
def apply_correction(request_id: int) -> Response:
    """The administrator applies an approved request before a leader and a board member, the requester present."""

    def change() -> None:
        leader, board = _form_int("leader"), _form_int("board")
        if leader is None or board is None:
            raise ValidationError("Hãy chọn người chứng kiến của Ban giám hiệu và của Ban quản trị.",
                                  "witness missing")
        corrections.apply(db(), g.actor, request_id, leader=leader, board=board,
                          requester_present=request.form.get("requester_present") == "1")

    return attempt(change, f"Đã sửa điểm theo đơn số {request_id}.",
                   url_for("leader.correction", request_id=request_id))


@bp.get("/giao-vien/de-nghi-sua-diem")
@role_page(Role.SUBJECT_TEACHER)
def correction_form() -> Any:
    """The teacher picks an assignment (``?pc=``), then the student, the column, the new value, the reason.

    A mark grid links one locked cell as ``?pc=<assignment>&hs=<enrolment>&cot=<kind>:<slot>`` (preselected).
    """
    assignments = reads.assignments_of(db(), g.actor)
    chosen = request.args.get("pc", type=int)
    form = sheet = None
    if chosen is not None:
        form = leadership.correction_form(db(), g.actor, chosen)
        sheet = reads.class_marks(db(), g.actor, form.class_id, form.subject_id, form.term_id)
    return render_template("leader/correction_form.html", assignments=assignments, chosen=chosen, form=form,
                           sheet=sheet, mine=leadership.my_correction_requests(db(), g.actor),
                           student=request.args.get("hs", type=int), column=request.args.get("cot", ""))


@bp.post("/giao-vien/de-nghi-sua-diem")
@role_page(Role.SUBJECT_TEACHER)
def file_correction() -> Response:
    """File the request (``records.services.corrections.request_correction``)."""
    form = leadership.correction_form(db(), g.actor, _form_int("pc") or 0)
    back = url_for("leader.correction_form", pc=form.assignment_id)
    filed: list[Any] = []

    def change() -> None:
        enrolment_id = _form_int("enrolment")
        if enrolment_id not in {e for e, _, _ in form.students}:
            raise ValidationError("Hãy chọn học sinh của lớp.", f"enrolment {enrolment_id} not in the class")
        column = request.form.get("column", "")
        if column not in {c for c, _ in form.columns}:
            raise ValidationError("Hãy chọn cột điểm cần sửa.", f"bad column {column!r}")
        kind, slot = column.split(":")
        value = (request.form.get("new_value") or "").strip().replace(",", ".")
        if len(value) > 8:
            raise ValidationError("Giá trị mới không hợp lệ.", f"new value too long {value!r}")
        new: Decimal | str | None = value or None
        filed.append(corrections.request_correction(
            db(), g.actor, enrolment_id=enrolment_id, subject_id=form.subject_id, term_id=form.term_id,
            kind=MarkKind(kind), slot=int(slot), new_value=new,
            reason=_long_text("reason", "lí do đề nghị sửa") or ""))

    response = attempt(change, "Đã gửi đơn đề nghị sửa điểm; Hiệu trưởng sẽ xem xét.", back)
    if filed:
        response.location = url_for("leader.correction", request_id=filed[0].id)
    return response


# --- the monthly inspection -------------------------------------------------------------------


def _month() -> tuple[int, int]:
    raw = (request.values.get("thang") or "").strip()
    if not raw:
        day = today()
        return day.year, day.month
    try:
        year, month = (int(part) for part in raw.split("-"))
        dt.date(year, month, 1)
    except ValueError:
        raise ValidationError(f"Tháng “{raw[:20]}” không hợp lệ (chọn tháng và năm).", f"bad month {raw!r}") from None
    return year, month


def _class_of_year(class_id: int | None, year: SchoolYear) -> Class | None:
    if not class_id:
        return None
    klass = db().get(Class, class_id)
    grade = db().get(Grade, klass.grade_id) if klass else None
    if klass is None or grade is None or grade.school_year_id != year.id:
        raise ValidationError("Lớp không thuộc năm học đã chọn.", f"class {class_id} not of year {year.id}")
    return klass


@bp.get("/kiem-tra-so")
@role_page(*LEADERS)
def inspection() -> Any:
    """Entry progress per teacher and class by the end of a month (``?thang=2026-03&lop=``), and the minutes."""
    year_id, years = _year_id(_school_id(LEADERS))
    cal_year, month = _month()
    year = db().get(SchoolYear, year_id)
    if year is None:
        raise NotFoundError("Không tìm thấy năm học.", f"school year {year_id} not found")
    klass = _class_of_year(request.args.get("lop", type=int), year)
    progress = inspections.entry_progress(db(), g.actor, year, cal_year, month, klass=klass)
    earlier = f"{cal_year - (month == 1):04d}-{(month - 2) % 12 + 1:02d}"
    later = f"{cal_year + (month == 12):04d}-{month % 12 + 1:02d}"
    return render_template("leader/inspection.html", years=years, year_id=year_id, progress=progress,
                           month_value=f"{cal_year:04d}-{month:02d}", klass=klass, earlier=earlier, later=later,
                           classes=leadership.year_classes(db(), g.actor, year_id),
                           recorded=leadership.inspections_of(db(), g.actor, year_id), today=today(),
                           only_late=request.args.get("thieu") == "1")


@bp.post("/kiem-tra-so")
@role_page(*LEADERS)
def record_inspection() -> Response:
    """Record the inspection with its findings (printed on the month's minutes page of the mark book)."""
    year = _get(SchoolYear, _form_int("nam"), "năm học")
    cal_year, month = _month()
    class_id = _form_int("lop")
    back = url_for("leader.inspection", nam=year.id, thang=f"{cal_year:04d}-{month:02d}", lop=class_id or None)

    def change() -> None:
        inspections.record_inspection(
            db(), g.actor, year, cal_year, month, klass=_class_of_year(class_id, year),
            findings=_long_text("findings", "nội dung kiểm tra, nhận xét") or "",
            conclusion=_long_text("conclusion", "kết luận", required=False),
            inspected_on=parse_date(request.form.get("inspected_on")))

    return attempt(change, f"Đã lập biên bản kiểm tra tháng {month}/{cal_year}; biên bản được in vào sổ.", back)


# --- approving results ------------------------------------------------------------------------


@bp.get("/phe-duyet-ket-qua")
@role_page(*LEADERS)
def results_overview() -> Any:
    """Every class of the year with the state of its results (term I, term II, year)."""
    year_id, years = _year_id(_school_id(LEADERS))
    return render_template("leader/results.html", years=years, year_id=year_id,
                           rows=leadership.results_overview(db(), g.actor, year_id))


def _period() -> Period:
    raw = request.values.get("ky", Period.YEAR.value)
    try:
        return Period(raw)
    except ValueError:
        raise ValidationError("Kì đánh giá không hợp lệ.", f"bad period {raw!r}") from None


@bp.get("/phe-duyet-ket-qua/lop/<int:class_id>")
@role_page(*LEADERS)
def class_results(class_id: int) -> Any:
    """A class's results of a period (``?ky=hk1|hk2|cn``): counts by level and every student, before approving."""
    summary = leadership.class_results(db(), g.actor, class_id, _period())
    return render_template("leader/class_results.html", r=summary, periods=leadership.PERIODS)


def _on_class_results(class_id: int, act: Any, done_vi: str) -> Response:
    """Call ``act(session, actor, klass, period)`` for the class and the posted period; back to its results."""
    period = _period()
    klass = db().get(Class, class_id)
    if klass is None:
        raise NotFoundError("Không tìm thấy lớp.", f"class {class_id} not found")

    def change() -> None:
        try:
            act(db(), g.actor, klass, period)
        except BookLockedError as locked:  # said on the page, like any refused value
            raise ConflictError(locked.message_vi, str(locked)) from locked

    return attempt(change, done_vi.format(period=period.label_vi, klass=klass.name),
                   url_for("leader.class_results", class_id=class_id, ky=period.value))


@bp.post("/phe-duyet-ket-qua/lop/<int:class_id>/tinh")
@role_page(*LEADERS)
def compute_results(class_id: int) -> Response:
    """Compute (again) the class's results of the period from the marks, before approving them."""
    return _on_class_results(class_id, results.compute_class, "Đã tính kết quả {period} của lớp {klass}.")


@bp.post("/phe-duyet-ket-qua/lop/<int:class_id>")
@role_page(Role.PRINCIPAL)
def approve_results(class_id: int) -> Response:
    """The principal approves the class's results of the period."""
    return _on_class_results(class_id, results.approve_class, "Đã phê duyệt kết quả {period} của lớp {klass}.")
