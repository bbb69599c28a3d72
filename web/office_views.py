"""The office's pages (home ``/van-phong``, in ``web.home_views``): print jobs, editions, import upload.

- ``/van-phong/in``: print any book (class / grade / school / student / course; part, paper, one- or
  two-sided; draft or official edition). One book prints within the request; more run in a background
  thread (``web.print_runner``) and ``/van-phong/in/<id>`` shows the progress (it refreshes itself;
  ``…/trang-thai`` gives it as JSON), then the PDFs and a zip of all.
- ``/van-phong/ban-in``: the editions with their status, filtered by book, class and status; the PDF as
  issued from the archive; revoking with a reason (the principal's right: ``editions.revoke_edition``).
- ``/van-phong/nhap-du-lieu``: upload a spreadsheet of students / teachers / assignments / marks, see the
  dry run (``records.interop``, as ``sodientu import --dry-run``), confirm to apply exactly that file.

Rights are the services' (print, read, revoke, import); the role guards only keep each page to the
people it is for.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.wrappers import Response

from records.errors import ConflictError, NotFoundError, ValidationError
from records.interop import IMPORT_KINDS, importer
from records.interop.common import ImportOptions
from records.interop.report import ACTION_LABELS
from records.interop.sheets import SpreadsheetFile
from records.interop.uploads import check_upload
from records.models import Role
from records.services import edition_list, editions, print_jobs, reads
from signing.errors import SigningKeyError
from web import print_runner
from web.app import db, today
from web.auth import role_page
from web.upload_store import UploadStore

bp = Blueprint("office", __name__)

EDITION_READERS = (Role.OFFICE, Role.PRINCIPAL, Role.VICE_PRINCIPAL, Role.ADMINISTRATOR, Role.INSPECTOR)
#: A job of at most this many books prints within the request.
IN_REQUEST_BOOKS = 1
IMPORT_LABELS = {"students": "Danh sách học sinh", "teachers": "Danh sách giáo viên",
                 "assignments": "Phân công giảng dạy", "marks": "Bảng điểm một môn của lớp"}


def _school_id() -> int:
    schools = reads.schools_of(db(), g.actor)
    wanted = request.values.get("truong", type=int)
    for school in schools:
        if wanted is None or school.id == wanted:
            return school.id
    raise NotFoundError("Bạn chưa thuộc trường nào.", f"{g.actor.username} has no school")


def _data_dir() -> Path:
    return print_runner.data_dir(current_app.config, current_app.config["SODIENTU_DB"])


# --- printing ----------------------------------------------------------------------------------


def _print_page(status: int = 200, **form: Any) -> Any:
    school_id = _school_id()
    choices = print_jobs.print_choices(db(), g.actor, school_id, request.values.get("nam", type=int))
    return render_template("office/print.html", choices=choices, jobs=print_jobs.jobs_of(db(), g.actor, school_id),
                           form=form or request.form, school_id=school_id,
                           passphrase_needed=not _configured_passphrase()), status


def _configured_passphrase() -> str | None:
    from signing.keyfiles import PASSPHRASE_ENV

    return current_app.config.get("SODIENTU_KEY_PASSPHRASE") or os.environ.get(PASSPHRASE_ENV)


@bp.get("/van-phong/in")
@role_page(Role.OFFICE)
def print_form() -> Any:
    """The print page: what to print, and the latest jobs."""
    return _print_page()


def _request_from_form(school_id: int) -> print_jobs.PrintRequest:
    form = request.form
    book = form.get("book", "")
    scope = form.get("scope", "")
    class_id = level = None
    if scope.startswith("class:"):
        scope, class_id = "class", _int(scope[6:])
    elif scope.startswith("grade:"):
        scope, level = "grade", _int(scope[6:])
    if book == print_jobs.TRANSCRIPT and (form.get("student_code") or "").strip():
        scope = "student"
    if book == print_jobs.REGISTER:
        scope = "course"
    year_id = _int(form.get("year_id", ""))
    if year_id is None:
        raise ValidationError("Hãy chọn năm học.", "year_id missing")
    return print_jobs.PrintRequest(
        school_id=school_id, year_id=year_id, book=book, scope=scope, official=form.get("edition") == "official",
        class_id=class_id, level=level, student_code=form.get("student_code"), course=form.get("course"),
        part=form.get("part", "all"), paper=form.get("paper", "a4"), duplex=form.get("duplex") == "1",
        volume=form.get("transcript") == "volume")


def _int(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


@bp.post("/van-phong/in")
@role_page(Role.OFFICE)
def print_submit() -> Any:
    """Record the job, then print it here (one book) or in the background (more)."""
    school_id = _school_id()
    try:
        req = _request_from_form(school_id)
        signing = None
        if req.official:
            from signing.keyfiles import default_key_dir

            key_dir = current_app.config.get("SODIENTU_KEY_DIR") or os.environ.get(print_runner.KEY_DIR_ENV)
            folder = Path(key_dir) if key_dir else default_key_dir(current_app.config["SODIENTU_DB"])
            signing = print_runner.signing_for(db(), school_id, folder,
                                               _configured_passphrase() or request.form.get("passphrase"))
        job = print_jobs.request_print(db(), g.actor, req, out_root=str(_data_dir() / "print-jobs"))
    except (ValidationError, NotFoundError, ConflictError, SigningKeyError) as error:
        db().rollback()  # a bad choice, a wrong key passphrase: said on the form, nothing recorded
        flash(error.message_vi)
        return _print_page(400)
    db().commit()
    ctx = print_runner.RunContext(current_app.extensions["sodientu.sessions"], current_app.config["SODIENTU_DB"],
                                  g.actor.user_id, signing, today(), current_app.config.get("SODIENTU_PRINT_WORKERS"))
    if job.total <= IN_REQUEST_BOOKS:
        print_runner.run(job.id, ctx, in_request=True)
    else:
        print_runner.start_background(job.id, ctx)
    return redirect(url_for("office.print_job", job_id=job.id), code=303)


@bp.get("/van-phong/in/<int:job_id>")
@role_page(Role.OFFICE)
def print_job(job_id: int) -> Any:
    """A job's progress (the page refreshes itself until the job ends), then its files."""
    return render_template("office/job.html", view=print_jobs.view(db(), g.actor, job_id))


@bp.get("/van-phong/in/<int:job_id>/trang-thai")
@role_page(Role.OFFICE)
def print_job_state(job_id: int) -> Any:
    """A job's progress as JSON (done/total, ETA, status)."""
    return jsonify(print_jobs.view(db(), g.actor, job_id).to_dict())


@bp.get("/van-phong/in/<int:job_id>/tep/<path:path>")
@role_page(Role.OFFICE)
def print_file(job_id: int, path: str) -> Any:
    """One PDF of a job (only the files the job recorded)."""
    view = print_jobs.view(db(), g.actor, job_id)
    if path not in {f["path"] for f in view.files}:
        raise NotFoundError("Lệnh in này không có tệp đó.", f"job {job_id} has no file {path!r}")
    target = Path(view.job.out_dir) / path
    if not target.is_file():
        raise NotFoundError("Tệp PDF không còn trên máy chủ.", f"missing {target}")
    return send_file(target, mimetype="application/pdf", as_attachment=True, download_name=Path(path).name)


@bp.get("/van-phong/in/<int:job_id>/tat-ca.zip")
@role_page(Role.OFFICE)
def print_zip(job_id: int) -> Any:
    """Every PDF of a job in one zip (stored, not compressed: PDFs are compressed already)."""
    view = print_jobs.view(db(), g.actor, job_id)
    present = [f["path"] for f in view.files if (Path(view.job.out_dir) / f["path"]).is_file()]
    if not present:
        raise NotFoundError("Lệnh in này chưa có tệp nào.", f"job {job_id} has no file")
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115 - send_file closes it
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_STORED) as archive:
        for path in present:
            archive.write(Path(view.job.out_dir) / path, path)
    spool.seek(0)
    return send_file(spool, mimetype="application/zip", as_attachment=True, download_name=f"lenh-in-{job_id}.zip")


# --- editions ----------------------------------------------------------------------------------


@bp.get("/van-phong/ban-in")
@role_page(*EDITION_READERS)
def edition_list_page() -> Any:
    """The editions with their status, filtered by book, class and status."""
    school_id = _school_id()
    book, status = request.args.get("sach") or "", request.args.get("tinh_trang") or ""
    class_id = request.args.get("lop", type=int)
    filters: dict[str, Any] = {"sach": book, "lop": class_id, "tinh_trang": status}
    listing = edition_list.list_editions(db(), g.actor, school_id, book=book or None, class_id=class_id,
                                         status=status or None)
    choices = print_jobs.print_choices(db(), g.actor, school_id, request.args.get("nam", type=int))
    return render_template("office/editions.html", listing=listing, filters=filters, choices=choices,
                           statuses=edition_list.STATUS_LABELS, back=request.full_path.rstrip("?"))


def _back() -> str:
    target = request.form.get("back") or ""
    return target if target.startswith("/van-phong/ban-in") and "//" not in target else url_for(
        "office.edition_list_page")


@bp.post("/van-phong/ban-in/<edition_id>/thu-hoi")
@role_page(Role.PRINCIPAL)
def revoke(edition_id: str) -> Response:
    """Withdraw an edition, with the reason (the principal's decision; traced)."""
    back = _back()
    try:
        edition = editions.revoke_edition(db(), g.actor, edition_id, request.form.get("reason", ""))
    except (ValidationError, ConflictError) as error:
        db().rollback()
        flash(error.message_vi)
        return redirect(back, code=303)
    db().commit()
    flash(f"Đã thu hồi bản in {edition.id.hex[:8].upper()} ({edition.title}).")
    return redirect(back, code=303)


@bp.get("/van-phong/ban-in/<edition_id>/pdf")
@role_page(*EDITION_READERS)
def edition_pdf(edition_id: str) -> Any:
    """The PDF of an edition exactly as issued, from the archive."""
    import archive

    key = edition_list.require_archive_read(db(), g.actor, edition_id)
    pdf = archive.issued_pdf(db(), key)
    if pdf is None:
        raise NotFoundError("Kho lưu trữ không có tệp PDF của bản in này.", f"edition {edition_id} not archived")
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"ban-in-{key.hex[:8].upper()}.pdf")


# --- import upload -----------------------------------------------------------------------------


def _store() -> UploadStore:
    return UploadStore(_data_dir() / "uploads")


def _import_page(status: int = 200, **context: Any) -> Any:
    school_id = _school_id()
    choices = print_jobs.print_choices(db(), g.actor, school_id)
    return render_template("office/import.html", kinds=IMPORT_LABELS, choices=choices, actions=ACTION_LABELS,
                           form=request.form, **context), status


@bp.get("/van-phong/nhap-du-lieu")
@role_page(Role.OFFICE, Role.ADMINISTRATOR)
def import_form() -> Any:
    """The upload form."""
    return _import_page()


def _options(school_id: int, chosen: dict[str, Any], dry_run: bool) -> ImportOptions:
    return ImportOptions(school_id=school_id, start_year=chosen.get("start_year"),
                         class_name=chosen.get("class_name"), dry_run=dry_run,
                         create_classes=bool(chosen.get("create_classes")), subject=chosen.get("subject"),
                         term=chosen.get("term"))


@bp.post("/van-phong/nhap-du-lieu")
@role_page(Role.OFFICE, Role.ADMINISTRATOR)
def import_preview() -> Any:
    """Check the upload, keep it, and show the dry run: what would be created or changed, and every error."""
    school_id = _school_id()
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    try:
        if kind not in IMPORT_KINDS:
            raise ValidationError("Hãy chọn loại dữ liệu cần nhập.", f"bad kind {kind!r}")
        if upload is None or not upload.filename:
            raise ValidationError("Hãy chọn tệp .xlsx hoặc .csv để tải lên.", "no file")
        source = SpreadsheetFile(Path(upload.filename.replace("\\", "/")).name[:200], upload.read())
        check_upload(source)
        year = reads_year(request.form.get("year", ""))
        term = _int(request.form.get("term", ""))
        chosen = {"kind": kind, "start_year": year, "class_name": (request.form.get("class_name") or "").strip() or None,
                  "subject": (request.form.get("subject") or "").strip() or None, "term": term,
                  "create_classes": request.form.get("create_classes") == "1"}
    except ValidationError as error:
        return _import_page(400, refused=error.message_vi)
    digest = _store().keep(source, g.actor.user_id, chosen)
    report = importer(kind)(db(), g.actor, source, _options(school_id, chosen, dry_run=True))
    db().rollback()  # a dry run writes nothing
    return _import_page(200, report=report, digest=digest, chosen=chosen, kind_label=IMPORT_LABELS[kind])


def reads_year(text: str) -> int | None:
    """The start year chosen ("2025"), or None."""
    value = _int(text)
    if value is not None and not 2000 <= value <= 2100:
        raise ValidationError("Năm học không hợp lệ.", f"bad year {text!r}")
    return value


@bp.post("/van-phong/nhap-du-lieu/ap-dung")
@role_page(Role.OFFICE, Role.ADMINISTRATOR)
def import_apply() -> Any:
    """Apply exactly the previewed file with the previewed options (found by its digest)."""
    school_id = _school_id()
    store = _store()
    kept = store.load(request.form.get("digest", ""), g.actor.user_id)
    chosen = kept.meta["options"]
    report = importer(chosen["kind"])(db(), g.actor, kept.source, _options(school_id, chosen, dry_run=False))
    if report.written:
        db().commit()
        store.drop(kept.digest)
        flash(f"Đã nhập {kept.source.name}: {report.summary_vi()}")
        return _import_page(200, report=report, applied=True, chosen=chosen, kind_label=IMPORT_LABELS[chosen["kind"]])
    db().rollback()
    return _import_page(400, report=report, digest=kept.digest, chosen=chosen, kind_label=IMPORT_LABELS[chosen["kind"]])


def register(app: Any) -> None:
    """Mount the office's pages."""
    app.register_blueprint(bp)


__all__ = ["bp", "register"]
