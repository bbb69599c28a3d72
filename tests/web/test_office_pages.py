"""The office's pages through the Flask test client: print jobs (in the request and in the background),
editions (list, archive download, revocation), the import upload (preview, apply, hostile files), rights."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import time
import uuid
import zipfile
from pathlib import Path

import pikepdf
import pytest
from sqlalchemy import func, select

from records.db import make_engine, session_scope
from records.errors import NotFoundError, PermissionDeniedError
from records.models import Edition, EditionStatus, PrintJob, PrintJobStatus, Role, Student, utcnow
from records.permissions import Actor
from records.services import print_jobs
from tests.web.conftest import LOGIN_OF, csrf_of

KEY_PASSPHRASE = "mat-khau-khoa-kiem-thu"


def _token(client, path: str = "/van-phong/in") -> str:
    return csrf_of(client.get(path).get_data(as_text=True))


def _post(client, path: str, data: dict, *, form_page: str = "/doi-mat-khau", **kw):
    return client.post(path, data={"csrf_token": _token(client, form_page), **data}, **kw)


def _job_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    return int(re.search(r"/van-phong/in/(\d+)", response.location).group(1))


def _pdf_pages(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


@pytest.fixture(scope="module")
def school_key(web_school):
    """The test school's QR signing key (as «sodientu keys init» would make it), beside the database."""
    import os

    from signing.keyfiles import PASSPHRASE_ENV
    from web.commands.demo import create_demo_key

    engine = make_engine(web_school.url)
    old = os.environ.get(PASSPHRASE_ENV)
    os.environ[PASSPHRASE_ENV] = KEY_PASSPHRASE
    try:
        key = create_demo_key(engine, "WEB01", None, dt.date(2025, 9, 1))
    finally:
        if old is None:
            os.environ.pop(PASSPHRASE_ENV, None)
        else:
            os.environ[PASSPHRASE_ENV] = old
    engine.dispose()
    return key


def _print(client, **fields):
    data = {"book": "markbook", "edition": "draft", "part": "all", "paper": "a4", **fields}
    return _post(client, "/van-phong/in", data, form_page="/van-phong/in")


def _year_id(web_school) -> int:
    return web_school.year_id


# --- printing ----------------------------------------------------------------------------------


def test_print_page_offers_the_classes_and_is_the_office_s(login_as, web_school):
    office = login_as(Role.OFFICE)
    html = office.get("/van-phong/in").get_data(as_text=True)
    assert "Lớp 6A1" in html and "Cả khối 6" in html and 'name="passphrase"' in html
    assert "Chưa có lệnh in nào" in html
    for role in (Role.SUBJECT_TEACHER, Role.HOMEROOM_TEACHER, Role.PRINCIPAL):
        assert login_as(role).get("/van-phong/in").status_code == 403


def test_a_draft_of_one_class_prints_within_the_request(login_as, web_school):
    office = login_as(Role.OFFICE)
    job_id = _job_id(_print(office, year_id=web_school.year_id, scope=f"class:{web_school.class_id}"))
    html = office.get(f"/van-phong/in/{job_id}").get_data(as_text=True)
    assert 'data-status="done"' in html and "http-equiv=\"refresh\"" not in html
    state = office.get(f"/van-phong/in/{job_id}/trang-thai").get_json()
    assert state["status"] == "done" and state["done"] == state["total"] == 1 and state["files"] == 1
    [link] = re.findall(r'href="(/van-phong/in/\d+/tep/[^"]+)"', html)
    assert "ban-nhap/so-diem/2025-2026/6A1.pdf" in link
    pdf = office.get(link)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and _pdf_pages(pdf.data) > 3
    # only the job's own files are served
    assert office.get(f"/van-phong/in/{job_id}/tep/..%2F..%2Fweb.sqlite").status_code == 404
    assert office.get(f"/van-phong/in/{job_id}/tep/ban-nhap/khac.pdf").status_code == 404
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(Edition.id))) == 0  # a draft records no edition
    engine.dispose()


def test_a_grade_runs_in_the_background_with_progress_and_a_zip(login_as, web_school):
    office = login_as(Role.OFFICE)
    job_id = _job_id(_print(office, year_id=web_school.year_id, scope="grade:6", part="term1"))
    first = office.get(f"/van-phong/in/{job_id}").get_data(as_text=True)
    assert "Lệnh in số" in first
    deadline = time.monotonic() + 240
    state = {}
    while time.monotonic() < deadline:
        state = office.get(f"/van-phong/in/{job_id}/trang-thai").get_json()
        if state["finished"]:
            break
        assert state["status"] in ("queued", "running")
        time.sleep(0.5)
    assert state["status"] == "done" and state["total"] == 2 and state["files"] == 2, state
    archive = office.get(f"/van-phong/in/{job_id}/tat-ca.zip")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.data)) as z:
        names = sorted(z.namelist())
        assert names == ["ban-nhap/so-diem/2025-2026/6A1-term1.pdf", "ban-nhap/so-diem/2025-2026/6A2-term1.pdf"]
        assert all(_pdf_pages(z.read(n)) > 0 for n in names)
    assert f"/van-phong/in/{job_id}" in office.get("/van-phong/in").get_data(as_text=True)


def test_a_job_left_running_by_a_dead_process_shows_as_interrupted(login_as, web_school):
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        office = Actor.by_username(session, LOGIN_OF[Role.OFFICE])
        req = print_jobs.PrintRequest(web_school.school_id, web_school.year_id, "markbook", "school", False)
        job = print_jobs.request_print(session, office, req, out_root="/nonexistent")
        print_jobs.start_job(session, job.id, "other-host:1234:dead")
        job.heartbeat_at = utcnow() - dt.timedelta(minutes=5)
        job_id = job.id
    engine.dispose()
    client = login_as(Role.OFFICE)
    html = client.get(f"/van-phong/in/{job_id}").get_data(as_text=True)
    assert "bị gián đoạn" in html and 'data-status="interrupted"' in html and 'http-equiv="refresh"' not in html
    assert client.get(f"/van-phong/in/{job_id}/trang-thai").get_json()["status"] == "interrupted"


def test_official_print_needs_the_key_and_its_passphrase(login_as, web_school, school_key):
    office = login_as(Role.OFFICE)
    wrong = _print(office, year_id=web_school.year_id, scope=f"class:{web_school.class_id}", edition="official",
                   passphrase="sai-mat-khau")
    assert wrong.status_code == 400 and "Sai mật khẩu khóa ký" in wrong.get_data(as_text=True)
    missing = _print(office, year_id=web_school.year_id, scope=f"class:{web_school.class_id}", edition="official")
    assert missing.status_code == 400 and "Cần nhập mật khẩu khóa ký" in missing.get_data(as_text=True)
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(PrintJob.id)).where(PrintJob.official.is_(True))) == 0
    engine.dispose()


def test_official_edition_listed_downloaded_and_revoked_by_the_principal(login_as, web_school, school_key):
    office = login_as(Role.OFFICE)
    job_id = _job_id(_print(office, year_id=web_school.year_id, scope=f"class:{web_school.class_id}",
                            edition="official", passphrase=KEY_PASSPHRASE))
    state = office.get(f"/van-phong/in/{job_id}/trang-thai").get_json()
    assert state["status"] == "done" and state["files"] == 1, state
    html = office.get("/van-phong/ban-in?sach=mark_book").get_data(as_text=True)
    [edition_id] = re.findall(r'data-edition="([0-9a-f-]{36})" data-status="current"', html)
    assert "còn hiệu lực" in html and "Thu hồi bản in là quyết định của Hiệu trưởng" in html
    assert 'class="inline revoke"' not in html  # the office does not get the revoke form
    pdf = office.get(f"/van-phong/ban-in/{edition_id}/pdf")
    assert pdf.status_code == 200 and _pdf_pages(pdf.data) > 3
    assert office.get(f"/van-phong/ban-in/{edition_id}/pdf").data == pdf.data
    # filters
    assert edition_id not in office.get("/van-phong/ban-in?sach=transcript").get_data(as_text=True)
    assert edition_id not in office.get(f"/van-phong/ban-in?lop={web_school.other_class_id}").get_data(as_text=True)
    assert edition_id in office.get(f"/van-phong/ban-in?lop={web_school.class_id}&tinh_trang=current").get_data(
        as_text=True)
    assert office.get("/van-phong/ban-in?tinh_trang=khong-co").status_code == 400
    # the office may not revoke (the principal's decision); a teacher sees no list
    refused = _post(office, f"/van-phong/ban-in/{edition_id}/thu-hoi", {"reason": "mất"})
    assert refused.status_code == 403
    assert login_as(Role.SUBJECT_TEACHER).get("/van-phong/ban-in").status_code == 403
    principal = login_as(Role.PRINCIPAL)
    page = principal.get("/van-phong/ban-in").get_data(as_text=True)
    assert 'class="inline revoke"' in page
    no_reason = _post(principal, f"/van-phong/ban-in/{edition_id}/thu-hoi", {"reason": "  "},
                      form_page="/van-phong/ban-in")
    assert no_reason.status_code == 303
    assert "Cần ghi lý do thu hồi" in principal.get("/van-phong/ban-in").get_data(as_text=True)
    done = _post(principal, f"/van-phong/ban-in/{edition_id}/thu-hoi",
                 {"reason": "Sổ bị thất lạc khi chuyển", "back": "/van-phong/ban-in?sach=mark_book"},
                 form_page="/van-phong/ban-in")
    assert done.status_code == 303 and done.location.endswith("/van-phong/ban-in?sach=mark_book")
    after = principal.get("/van-phong/ban-in?tinh_trang=revoked").get_data(as_text=True)
    assert f'data-edition="{edition_id}" data-status="revoked"' in after and "Sổ bị thất lạc khi chuyển" in after
    again = _post(principal, f"/van-phong/ban-in/{edition_id}/thu-hoi", {"reason": "lần nữa"},
                  form_page="/van-phong/ban-in")
    assert again.status_code == 303
    assert "đã bị thu hồi" in principal.get("/van-phong/ban-in").get_data(as_text=True)
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        assert session.get(Edition, uuid.UUID(edition_id)).status is EditionStatus.REVOKED
    engine.dispose()


def test_a_teacher_cannot_print_an_official_edition(login_as, web_school, school_key):
    teacher = login_as(Role.HOMEROOM_TEACHER)
    response = _post(teacher, "/van-phong/in", {"book": "markbook", "edition": "official", "year_id": web_school.year_id,
                                                "scope": f"class:{web_school.class_id}", "passphrase": KEY_PASSPHRASE})
    assert response.status_code == 403
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        actor = Actor.by_username(session, LOGIN_OF[Role.HOMEROOM_TEACHER])
        req = print_jobs.PrintRequest(web_school.school_id, web_school.year_id, "markbook", "class", True,
                                      class_id=web_school.class_id)
        with pytest.raises(PermissionDeniedError):
            print_jobs.request_print(session, actor, req, out_root="/tmp/x")
        # a draft of their own class is theirs to check; of another class it is not
        title, books = print_jobs.plan(session, actor, print_jobs.PrintRequest(
            web_school.school_id, web_school.year_id, "markbook", "class", False, class_id=web_school.class_id))
        assert len(books) == 1 and "bản nháp" in title
        with pytest.raises(PermissionDeniedError):
            print_jobs.plan(session, actor, print_jobs.PrintRequest(
                web_school.school_id, web_school.year_id, "markbook", "class", False,
                class_id=web_school.other_class_id))
        session.rollback()
    engine.dispose()



def test_a_teacher_draft_reads_the_book_as_the_teacher(web_school):
    """The draft runner reads through records/books as the job's user: their own class, not another."""
    from web.print_runner import _draft_pdf

    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        teacher = Actor.by_username(session, LOGIN_OF[Role.HOMEROOM_TEACHER])
        name, pdf = _draft_pdf(session, teacher, print_jobs.BookSpec(print_jobs.MARKBOOK, (web_school.class_id,),
                                                                     {"part": "term1"}), dt.date(2026, 1, 10))
        assert name.startswith("so-diem/") and name.endswith("-term1.pdf") and pdf.startswith(b"%PDF")
        with pytest.raises(PermissionDeniedError):
            _draft_pdf(session, teacher, print_jobs.BookSpec(print_jobs.MARKBOOK, (web_school.other_class_id,)),
                       dt.date(2026, 1, 10))
        session.rollback()
    engine.dispose()

def test_bad_choices_are_said_on_the_form(login_as, web_school):
    office = login_as(Role.OFFICE)
    for fields, message in (
        ({"book": "nothing"}, "Hãy chọn loại sổ"),
        ({"paper": "a5"}, "Khổ giấy phải là A4 hoặc A3"),
        ({"book": "transcript", "student_code": "KHONG-CO"}, "Không có học sinh mã «KHONG-CO»"),
        ({"book": "register", "course": "1999-2003"}, "Trường không có khóa học «1999-2003»"),
        ({"scope": "class:999999"}, "Không có lớp nào để in"),
    ):
        response = _print(office, year_id=web_school.year_id, scope=fields.pop("scope", "school"), **fields)
        assert response.status_code == 400 and message in response.get_data(as_text=True), message
    assert "Traceback" not in response.get_data(as_text=True)


# --- import upload -----------------------------------------------------------------------------

STUDENTS_CSV = ("DANH SÁCH HỌC SINH LỚP 6A2 NĂM HỌC 2025-2026\n"
                "STT,Họ và tên,Ngày sinh,Giới tính,Dân tộc\n"
                "1,Nguyễn Văn An,05/09/2014,Nam,Kinh\n"
                "2,Trần Thị Bình,12/01/2014,Nữ,Tày\n").encode()


def _upload(client, name: str, data: bytes, kind: str = "students", **fields):
    return _post(client, "/van-phong/nhap-du-lieu", {"kind": kind, "year": "2025", **fields,
                                                      "file": (io.BytesIO(data), name)},
                 form_page="/van-phong/nhap-du-lieu", content_type="multipart/form-data")


def _students(web_school) -> int:
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        count = session.scalar(select(func.count(Student.id)))
    engine.dispose()
    return int(count or 0)


def test_import_preview_then_apply_exactly_that_file(login_as, web_school):
    admin = login_as(Role.ADMINISTRATOR)
    before = _students(web_school)
    preview = _upload(admin, "lop6a2.csv", STUDENTS_CSV)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'data-ok="yes"' in html and "Chạy thử, chưa ghi gì" in html
    assert "Nguyễn Văn An" in html and "tạo mới" in html
    assert _students(web_school) == before  # the preview wrote nothing
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', html).group(1)
    # another user cannot apply it; a changed digest is unknown
    other = login_as(Role.OFFICE)
    assert _post(other, "/van-phong/nhap-du-lieu/ap-dung", {"digest": digest},
                 form_page="/van-phong/nhap-du-lieu").status_code == 404
    assert _post(admin, "/van-phong/nhap-du-lieu/ap-dung", {"digest": "0" * 64},
                 form_page="/van-phong/nhap-du-lieu").status_code == 404
    applied = _post(admin, "/van-phong/nhap-du-lieu/ap-dung", {"digest": digest}, form_page="/van-phong/nhap-du-lieu")
    text = applied.get_data(as_text=True)
    assert applied.status_code == 200 and 'data-written="yes"' in text and "Đã ghi" in text
    assert _students(web_school) == before + 2
    # the kept file is gone once applied; the same file again changes nothing
    assert _post(admin, "/van-phong/nhap-du-lieu/ap-dung", {"digest": digest},
                 form_page="/van-phong/nhap-du-lieu").status_code == 404
    again = _upload(admin, "lop6a2.csv", STUDENTS_CSV).get_data(as_text=True)
    assert "không đổi: 2" in again


def test_import_errors_by_row_and_column_and_rights_of_the_office(login_as, web_school):
    admin = login_as(Role.ADMINISTRATOR)
    bad = STUDENTS_CSV.replace(b"12/01/2014", b"31/02/2014")
    html = _upload(admin, "sai.csv", bad).get_data(as_text=True)
    assert 'data-ok="no"' in html and "không có thật" in html and "Ngày sinh" in html and 'id="apply"' not in html
    # the office may upload, but adding students is the administrator's or the homeroom teacher's right
    office_html = _upload(login_as(Role.OFFICE), "lop6a2.csv", STUDENTS_CSV.replace(b"An,", b"Anh,")).get_data(
        as_text=True)
    assert 'data-ok="no"' in office_html and 'id="apply"' not in office_html
    assert login_as(Role.SUBJECT_TEACHER).get("/van-phong/nhap-du-lieu").status_code == 403


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (150 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(("name", "make", "message"), [
    ("bang.xlsx", lambda: b"%PDF-1.7\n" + b"x" * 100, "không phải là bảng tính Excel"),
    ("bang.xlsx", _zip_bomb, "giải nén ra quá lớn"),
    ("bang.xlsx", lambda: _xlsx([["Họ và tên", "Ngày sinh"], ["=HYPERLINK(\"http://x\")", "01/01/2014"]]),
     "ô A2 chứa công thức"),
    ("bang.xls", lambda: b"\xd0\xcf\x11\xe0" + b"\0" * 100, "Excel 97-2003"),
    ("virus.exe", lambda: b"MZ" + b"\0" * 100, "Chỉ nhận tệp .xlsx hoặc .csv"),
    ("bang.csv", lambda: b"Ho va ten\n=cmd|' /C calc'!A0\n", "Ô A2 bắt đầu bằng «=»"),
    ("bang.csv", lambda: b"MZ\x00\x00binary", "không phải là tệp văn bản CSV"),
    ("rong.csv", lambda: b"", "Tệp tải lên rỗng"),
])
def test_hostile_uploads_are_refused_in_vietnamese(login_as, web_school, name, make, message):
    admin = login_as(Role.ADMINISTRATOR)
    response = _upload(admin, name, make())
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and 'id="refused"' in html
    assert "Traceback" not in html and 'name="digest"' not in html


def test_a_huge_upload_is_refused(login_as, web_school):
    admin = login_as(Role.ADMINISTRATOR)
    response = _upload(admin, "to.csv", b"a" * (17 * 1024 * 1024))
    assert response.status_code == 413 and "Tệp gửi lên quá lớn" in response.get_data(as_text=True)


def test_kept_uploads_live_in_the_data_dir(app, web_school):
    folder = Path(web_school.url.removeprefix("sqlite:///")).parent / "sodientu-data" / "uploads"
    from records.interop.sheets import SpreadsheetFile
    from web.upload_store import UploadStore

    store = UploadStore(folder)
    digest = store.keep(SpreadsheetFile("a.csv", b"x"), 1, {"kind": "students"})
    assert store.load(digest, 1).meta["options"] == {"kind": "students"}
    (folder / f"{digest}.upload").write_bytes(b"y")  # changed on disk after the preview: refused
    with pytest.raises(NotFoundError) as refused:
        store.load(digest, 1)
    assert "không còn trên máy chủ" in refused.value.message_vi
    assert json.loads((folder / f"{digest}.json").read_text())["name"] == "a.csv"
    assert PrintJobStatus.INTERRUPTED.label_vi == "bị gián đoạn"


def test_a_student_s_transcript_draft_and_official(login_as, web_school, school_key):
    office = login_as(Role.OFFICE)
    draft = _job_id(_print(office, book="transcript", year_id=web_school.year_id, scope="school",
                           student_code="WEB0001"))
    state = office.get(f"/van-phong/in/{draft}/trang-thai").get_json()
    assert state["status"] == "done" and state["files"] == 1, state
    html = office.get(f"/van-phong/in/{draft}").get_data(as_text=True)
    [link] = re.findall(r'href="(/van-phong/in/\d+/tep/[^"]+)"', html)
    assert link.endswith("ban-nhap/hoc-ba/2025-2026/WEB0001.pdf") and _pdf_pages(office.get(link).data) >= 2
    official = _job_id(_print(office, book="transcript", year_id=web_school.year_id, scope="school",
                              student_code="WEB0001", edition="official", passphrase=KEY_PASSPHRASE))
    html = office.get(f"/van-phong/in/{official}").get_data(as_text=True)
    assert 'data-status="done"' in html and "hoc-ba/2025-2026/WEB0001.pdf" in html, html[-3000:]
    listed = office.get("/van-phong/ban-in?sach=transcript").get_data(as_text=True)
    assert "Mai (WEB0001)" in listed and "còn hiệu lực" in listed


def test_an_official_grade_runs_in_the_background_through_the_batch_workers(app, login_as, web_school, school_key):
    app.config["SODIENTU_PRINT_WORKERS"] = 1  # one spawned worker process, as a server runs it
    office = login_as(Role.OFFICE)
    job_id = _job_id(_print(office, year_id=web_school.year_id, scope="grade:6", edition="official",
                            part="term1", passphrase=KEY_PASSPHRASE))
    deadline = time.monotonic() + 300
    state = {}
    while time.monotonic() < deadline:
        state = office.get(f"/van-phong/in/{job_id}/trang-thai").get_json()
        if state["finished"]:
            break
        time.sleep(0.5)
    assert state["status"] == "done" and state["files"] == 2, state
    html = office.get(f"/van-phong/in/{job_id}").get_data(as_text=True)
    assert "so-diem/2025-2026/6A1-term1.pdf" in html and "so-diem/2025-2026/6A2-term1.pdf" in html
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        job = session.get(PrintJob, job_id)
        assert job.status is PrintJobStatus.DONE and job.failed == 0 and job.finished_at is not None
        editions = session.scalars(select(Edition).where(Edition.part == "term1")).all()
        assert len(editions) == 2 and all(e.created_by_name == LOGIN_OF[Role.OFFICE] for e in editions)
    engine.dispose()


def test_a_book_that_fails_is_named_on_the_job_page_and_the_others_print(app, login_as, web_school):
    from web import print_runner

    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        office = Actor.by_username(session, LOGIN_OF[Role.OFFICE])
        req = print_jobs.PrintRequest(web_school.school_id, web_school.year_id, "markbook", "class", False,
                                      class_id=web_school.class_id)
        job = print_jobs.request_print(session, office, req, out_root=str(Path(web_school.url[10:]).parent / "jobs"))
        spec = json.loads(job.spec)
        job.spec = json.dumps([*spec, {**spec[0], "ids": [999999], "label": "sổ của lớp đã xóa"}])
        job.total = 2
        job_id, user_id = job.id, office.user_id
    engine.dispose()
    ctx = print_runner.RunContext(app.extensions["sodientu.sessions"], web_school.url, user_id, None,
                                  dt.date(2025, 10, 1), 0)
    print_runner.run(job_id, ctx)
    client = login_as(Role.OFFICE)
    state = client.get(f"/van-phong/in/{job_id}/trang-thai").get_json()
    assert state["status"] == "failed" and state["done"] == 2 and state["files"] == 1
    assert state["errors"] and state["errors"][0].startswith("Không in được sổ của lớp đã xóa")
    html = client.get(f"/van-phong/in/{job_id}").get_data(as_text=True)
    assert "có lỗi" in html and "sổ của lớp đã xóa" in html and "6A1.pdf" in html


def test_a_course_register_draft_on_a3_two_sided(login_as, web_school):
    engine = make_engine(web_school.url)
    with session_scope(engine) as session:
        session.get(Student, web_school.student_id).course = "2025-2029"
        office = Actor.by_username(session, LOGIN_OF[Role.OFFICE])
        title, [book] = print_jobs.plan(session, office, print_jobs.PrintRequest(
            web_school.school_id, web_school.year_id, "register", "course", False, course="2025-2029",
            paper="a3", duplex=True))
        assert title == "Sổ đăng bộ — khóa 2025-2029, A3, hai mặt — bản nháp"
        assert book.options == {"school_code": "WEB01", "paper": "a3", "duplex": True}
    engine.dispose()
    office = login_as(Role.OFFICE)
    job_id = _job_id(_print(office, book="register", year_id=web_school.year_id, course="2025-2029", paper="a3",
                            duplex="1"))
    state = office.get(f"/van-phong/in/{job_id}/trang-thai").get_json()
    assert state["status"] == "done" and state["files"] == 1, state
    html = office.get(f"/van-phong/in/{job_id}").get_data(as_text=True)
    [link] = re.findall(r'href="(/van-phong/in/\d+/tep/[^"]+)"', html)
    assert link.endswith("ban-nhap/so-dang-bo/2025-2029.pdf")
    with pikepdf.open(io.BytesIO(office.get(link).data)) as pdf:
        width, height = (float(v) for v in pdf.pages[0].mediabox[2:])
        assert max(width, height) > 1150  # A3 (1191 pt), not A4 (842 pt)


def _with_saved_values(xlsx: bytes, saved: dict[str, str]) -> bytes:
    """The workbook as Excel saves it: each formula cell named in ``saved`` carries its computed value."""
    import re

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for ref, value in saved.items():
                    text = re.sub(rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)(\s*<v\s*/>|\s*<v>[^<]*</v>)?',
                                  rf"\1<v>{value}</v>", text)
                data = text.encode()
            dst.writestr(item, data)
    return out.getvalue()


def test_a_list_whose_formulas_excel_computed_is_read_as_its_values(login_as, web_school):
    rows = [["DANH SÁCH HỌC SINH LỚP 6A2 NĂM HỌC 2025-2026"], ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc"],
            ["=ROW()-2", "Lò Văn Cường", "05/09/2014", "Nam", "Thái"],
            ["=A3+1", "Quàng Thị Dung", "12/01/2014", "Nữ", "Thái"]]
    admin = login_as(Role.ADMINISTRATOR)
    refused = _upload(admin, "lop6a2.xlsx", _xlsx(rows))  # never computed: the cell is named
    assert refused.status_code == 400 and "ô A3 chứa công thức chưa có giá trị" in refused.get_data(as_text=True)
    response = _upload(admin, "lop6a2.xlsx", _with_saved_values(_xlsx(rows), {"A3": "1", "A4": "2"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert 'id="refused"' not in html and "Quàng Thị Dung" in html
