"""The homeroom teacher's pages through the Flask test client: rights, stale sheets, hostile photos, refused values."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zlib
from collections.abc import Iterator

import pytest
from PIL import Image
from sqlalchemy import func, select

from records.db import make_engine, session_scope
from records.models import (
    Attendance,
    AuditEntry,
    Class,
    Conduct,
    Enrolment,
    HomeroomComment,
    Role,
    Student,
    StudentResult,
)
from records.permissions import Actor
from records.rules import ruleset
from records.services import photos, students
from tests.web.conftest import WebSchool, build_school, csrf_of
from web.app import create_app

TODAY = dt.date(2025, 10, 20)
NAMES = [("Nguyễn", "Văn", "An"), ("Trần", "Thị", "Bình"), ("Lê", "Hoàng", "Cường"), ("Phạm", "Thị Ngọc", "Dung")]


@pytest.fixture(scope="module")
def web_school(tmp_path_factory: pytest.TempPathFactory) -> WebSchool:
    """The access walk's school, with more students in 6A1 (one arrived, one left) and one in 6A2."""
    school = build_school(f"sqlite:///{tmp_path_factory.mktemp('homeroom') / 'web.sqlite'}")
    engine = make_engine(school.url)
    with session_scope(engine) as session:
        admin = Actor.by_username(session, "quantri")
        klass, other = session.get(Class, school.class_id), session.get(Class, school.other_class_id)
        from records.models import School
        home = session.get(School, school.school_id)
        rows = [{"code": f"HR{i:03d}", "family_name": f, "middle_name": m, "given_name": g,
                 "date_of_birth": dt.date(2014, 1, 1 + i), "gender": "Nam" if i % 2 else "Nữ"}
                for i, (f, m, g) in enumerate(NAMES)]
        made = students.add_students(session, admin, home, rows)
        # 6A1 already has its numbered roll (one pupil): the others arrive by transfer
        for i, pupil in enumerate(made[:3]):
            students.transfer_in(session, admin, klass, pupil, on=dt.date(2025, 9, 8 + i), from_school="THCS Chiềng Sơn")
        leaving = session.scalars(select(Enrolment).where(Enrolment.student_id == made[2].id)).one()
        students.transfer_out(session, admin, leaving, on=dt.date(2025, 10, 10), to_school="THCS Tô Hiệu")
        students.enrol_class(session, admin, other, [made[3]])
    engine.dispose()
    return school


@pytest.fixture
def app(web_school: WebSchool) -> Iterator[object]:
    application = create_app(web_school.url, TESTING=True, SODIENTU_TODAY=TODAY)
    yield application
    application.extensions["sodientu.engine"].dispose()


def _db(web_school):  # type: ignore[no-untyped-def]
    return session_scope(make_engine(web_school.url))


def _trail(web_school) -> int:  # type: ignore[no-untyped-def]
    with _db(web_school) as session:
        return int(session.scalar(select(func.count(AuditEntry.id))) or 0)


def _post(client, url, data, **kw):  # type: ignore[no-untyped-def]
    page = client.get(kw.pop("form_url", url))
    return client.post(url, data={"csrf_token": csrf_of(page.get_data(as_text=True)), **data}, **kw)


def _enrolments(web_school) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with _db(web_school) as session:
        return {s.given_name: e.id for e, s in session.execute(
            select(Enrolment, Student).join(Student).where(Enrolment.class_id == web_school.class_id))}


# --- rights -----------------------------------------------------------------------------------------


def test_the_homeroom_teacher_sees_the_roll_in_order_with_transfers(login_as, web_school):
    html = login_as(Role.HOMEROOM_TEACHER).get(f"/chu-nhiem/lop/{web_school.class_id}").get_data(as_text=True)
    names = re.findall(r'/chu-nhiem/hoc-sinh/\d+">([^<]+)<', html)
    assert names == ["Lò Thị Mai", "Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường"]
    assert "Chuyển đến 08/09/2025 từ THCS Chiềng Sơn" in html and "Chuyển đi 10/10/2025 đến THCS Tô Hiệu" in html


@pytest.mark.parametrize("path", ["/chu-nhiem/lop/{other}", "/chu-nhiem/lop/{other}/diem-danh",
                                  "/chu-nhiem/lop/{other}/hanh-kiem", "/chu-nhiem/lop/{other}/ket-qua",
                                  "/chu-nhiem/lop/{other}/kiem-tra"])
def test_another_class_is_refused(login_as, web_school, path):
    response = login_as(Role.HOMEROOM_TEACHER).get(path.format(other=web_school.other_class_id))
    assert response.status_code == 403
    assert "chủ nhiệm" in response.get_data(as_text=True)


def test_another_class_student_and_its_writes_are_refused(login_as, web_school):
    client = login_as(Role.HOMEROOM_TEACHER)
    with _db(web_school) as session:
        dung = session.scalars(select(Student.id).where(Student.code == "HR003")).one()
    before = _trail(web_school)
    assert client.get(f"/chu-nhiem/hoc-sinh/{dung}").status_code == 403
    token = csrf_of(client.get("/doi-mat-khau").get_data(as_text=True))
    for url, data in [(f"/chu-nhiem/hoc-sinh/{dung}", {"given_name": "X"}),
                      (f"/chu-nhiem/lop/{web_school.other_class_id}/diem-danh?thang=2025-10", {"version": "0"}),
                      (f"/chu-nhiem/lop/{web_school.other_class_id}/hanh-kiem?ky=hk1", {"conduct_version": "0"}),
                      (f"/chu-nhiem/lop/{web_school.other_class_id}/ket-qua?ky=hk1", {})]:
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert _trail(web_school) == before


def test_a_subject_teacher_is_refused(login_as, web_school):
    assert login_as(Role.SUBJECT_TEACHER).get(f"/chu-nhiem/lop/{web_school.class_id}").status_code == 403


# --- personal data -----------------------------------------------------------------------------------


def test_personal_data_saved_and_over_long_values_refused_keeping_what_was_typed(login_as, web_school):
    client = login_as(Role.HOMEROOM_TEACHER)
    url = f"/chu-nhiem/hoc-sinh/{web_school.student_id}"
    long_place = "Bản Nà Hừm, " * 20  # 240 characters: the column keeps 200
    response = _post(client, url, {"place_of_birth": long_place, "hometown": "Mộc Châu"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Nơi sinh" in html and "tối đa 200" in html
    assert "Bản Nà Hừm, Bản Nà Hừm" in html  # what was typed is still in the form
    assert _post(client, url, {"date_of_birth": "31/02/2014"}).status_code == 400
    assert _post(client, url, {"gender": "Khác"}).status_code == 400
    response = _post(client, url, {"place_of_birth": "Bản Nà Hừm, xã Chiềng Sơn", "hometown": "Mộc Châu, Sơn La",
                                   "date_of_birth": "02/03/2014", "gender": "Nữ"})
    assert response.status_code == 303
    with _db(web_school) as session:
        pupil = session.get(Student, web_school.student_id)
        assert (pupil.place_of_birth, pupil.hometown) == ("Bản Nà Hừm, xã Chiềng Sơn", "Mộc Châu, Sơn La")


# --- the photo -----------------------------------------------------------------------------------------


def _jpeg(size=(900, 1000), color=(200, 120, 90)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    image.paste((20, 40, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: shows where the crop went
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _png(size=(600, 800)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 10, 255)).save(out, "PNG")
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb_png() -> bytes:
    """A 60 000 × 60 000 PNG of a few kilobytes: a decompression bomb."""
    header = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * 60_000
    data = zlib.compress(row * 50, 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


def _hidden_bomb_png() -> bytes:
    """A PNG whose declared size passes the limits but whose zlib stream is cut (undecodable)."""
    header = struct.pack(">IIBBBBB", 5000, 6000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 999)[:-4]) \
        + _png_chunk(b"IEND", b"")


def _with_comment(jpeg: bytes, text: bytes) -> bytes:
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text + jpeg[2:]


HOSTILE = {
    "decompression bomb": (_bomb_png(), "quá lớn"),
    "cut zlib stream": (_hidden_bomb_png(), "hỏng"),
    "JPEG + ZIP polyglot": (_jpeg() + b"PK\x03\x04" + b"\x00" * 40 + b"PK\x05\x06" + b"\x00" * 18, "dữ liệu lạ"),
    "PNG + HTML after IEND": (_png() + b"<html><script>alert(1)</script></html>", "dữ liệu lạ"),
    "script in a JPEG comment": (_with_comment(_jpeg(), b"<script>alert(document.cookie)</script>"), "mã lệnh"),
    "GIF": (b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 20, "JPEG"),
    "SVG named .jpg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "JPEG"),
    "PDF": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF", "JPEG"),
    "truncated JPEG": (_jpeg()[:3000], "bị cắt dở"),
    "JPEG header, garbage body": (b"\xff\xd8\xff\xe0" + b"\x13" * 5000 + b"\xff\xd9", "hỏng"),
    "tiny": (_jpeg((40, 50)), "quá nhỏ"),
    "empty": (b"", "Chưa chọn"),
    "over 8 MB": (_jpeg() + b"\x00" * (9 * 1024 * 1024), "quá mức"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_photo_files_are_refused_in_vietnamese(login_as, web_school, name):
    data, words = HOSTILE[name]
    client = login_as(Role.HOMEROOM_TEACHER)
    url = f"/chu-nhiem/hoc-sinh/{web_school.student_id}"
    before = _trail(web_school)
    response = _post(client, url + "/anh", {"photo": (io.BytesIO(data), "anh.jpg")}, form_url=url,
                     content_type="multipart/form-data")
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    flashes = re.findall(r'<div class="flash">([^<]+)</div>', page)
    assert flashes and words in flashes[0], (name, flashes)
    assert _trail(web_school) == before, "a refused photo wrote something"


def test_a_photo_is_cropped_to_3x4_stored_as_plain_jpeg_and_traced(login_as, web_school):
    client = login_as(Role.HOMEROOM_TEACHER)
    url = f"/chu-nhiem/hoc-sinh/{web_school.student_id}"
    exif = Image.Exif()
    exif[0x010E] = "bí mật"  # ImageDescription: metadata must not survive
    src = io.BytesIO()
    Image.open(io.BytesIO(_jpeg())).save(src, "JPEG", exif=exif)
    response = _post(client, url + "/anh", {"photo": (io.BytesIO(src.getvalue()), "anh.jpeg"), "crop_left": "0",
                                            "crop_top": "0", "crop_width": "450"},
                     form_url=url, content_type="multipart/form-data")
    assert response.status_code == 303
    with _db(web_school) as session:
        stored = session.get(Student, web_school.student_id).photo
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert (entry.entity, entry.action) == ("student_photo", "update")
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == photos.STORED_PX
        assert not image.getexif()
        r, _, b = image.convert("RGB").getpixel((170, 230))
        assert b > 150 and r < 80  # the chosen box is the left (blue) half
    shown = client.get(url + "/anh.jpg")
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg" and shown.data == stored
    # a box outside the image is refused; the centred default needs no box
    response = _post(client, url + "/anh", {"photo": (io.BytesIO(_png()), "a.png"), "crop_left": "500",
                                            "crop_top": "0", "crop_width": "450"}, form_url=url,
                     content_type="multipart/form-data")
    assert "ngoài ảnh" in client.get(url).get_data(as_text=True)
    assert _post(client, url + "/anh", {"photo": (io.BytesIO(_png()), "a.png")}, form_url=url,
                 content_type="multipart/form-data").status_code == 303
    with _db(web_school) as session, Image.open(io.BytesIO(session.get(Student, web_school.student_id).photo)) as image:
        assert image.size == photos.STORED_PX and image.getpixel((100, 100))[1] > 150


# --- attendance ----------------------------------------------------------------------------------------


def _version(html: str, name: str = "version") -> str:
    found = re.search(rf'name="{name}" value="(\d+)"', html)
    assert found
    return found.group(1)


def test_attendance_month_saved_with_its_version_and_a_stale_save_shown_without_loss(login_as, web_school):
    ids = _enrolments(web_school)
    client, tab2 = login_as(Role.HOMEROOM_TEACHER), login_as(Role.HOMEROOM_TEACHER)
    url = f"/chu-nhiem/lop/{web_school.class_id}/diem-danh?thang=2025-10"
    html = client.get(url).get_data(as_text=True)
    assert f'name="d-{ids["An"]}-5"' not in html  # 5 October 2025 is a Sunday: not a school day
    assert f'name="d-{ids["Cường"]}-13"' not in html  # Cường left on the 10th
    old = _version(html)
    stale_page = tab2.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_of(html), "version": old, f"d-{ids['An']}-6": "P",
                                      f"d-{ids['An']}-7": "k", f"d-{ids['Bình']}-6": ""})
    assert response.status_code == 303
    with _db(web_school) as session:
        rows = {(a.enrolment_id, a.day.day): a.excused for a in session.scalars(select(Attendance))}
    assert rows == {(ids["An"], 6): True, (ids["An"], 7): False}
    # the second tab still presents the old version: refused, nothing written; the grid shows the server's values,
    # what tab 2 typed under its cell (data-mine, "Bạn: K") and in the conflict table, with a form to save it
    before = _trail(web_school)
    stale = {"csrf_token": csrf_of(stale_page), "version": _version(stale_page), f"d-{ids['Bình']}-8": "K",
             f"d-{ids['An']}-6": ""}  # An's 6th: tab 2's stale copy of a cell it never touched
    response = tab2.post(url, data={**stale, "changed": f"d-{ids['Bình']}-8"})  # grid.js names what was changed
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "CHƯA được lưu" in html
    assert re.search(rf'name="d-{ids["Bình"]}-8" value=""[^>]*data-mine="K"', html)
    an6 = re.search(rf'<input name="d-{ids["An"]}-6"[^>]*>', html).group(0)  # type: ignore[union-attr]
    assert 'value="P"' in an6 and "data-mine" not in an6
    assert "Bạn: K" in html and 'id="conflict-table"' in html
    assert f'<input type="hidden" name="d-{ids["Bình"]}-8" value="K">' in html
    assert f'<input type="hidden" name="d-{ids["An"]}-6"' not in html  # not offered back: it would undo tab 1
    assert int(_version(html)) > int(old)  # saving again now overwrites knowingly
    assert _trail(web_school) == before
    without_script = tab2.post(url, data=stale).get_data(as_text=True)  # no "changed": every difference offered
    assert f'<input type="hidden" name="d-{ids["An"]}-6" value="">' in without_script
    response = tab2.post(url, data={"csrf_token": csrf_of(html), "version": _version(html),
                                    f"d-{ids['Bình']}-8": "K"})  # the "save mine now" form
    assert response.status_code == 303
    # a value that is not P, K or blank is refused and shown back
    html = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_of(html), "version": _version(html),
                                      f"d-{ids['An']}-9": "X"})
    assert response.status_code == 400 and "Chỉ ghi P" in response.get_data(as_text=True)
    assert client.get(f"/chu-nhiem/lop/{web_school.class_id}/diem-danh?thang=2027-01").status_code == 400


# --- conduct and comments ----------------------------------------------------------------------------


def test_conduct_levels_come_from_the_regulation_and_a_wrong_level_is_refused(login_as, web_school):
    ids = _enrolments(web_school)
    client = login_as(Role.HOMEROOM_TEACHER)
    url = f"/chu-nhiem/lop/{web_school.class_id}/hanh-kiem?ky=hk1"
    html = client.get(url).get_data(as_text=True)
    levels = ruleset("tt22").conduct_levels
    for level in levels:
        assert f"<option>{level}</option>" in html
    data = {"csrf_token": csrf_of(html), "conduct_version": _version(html, "conduct_version"),
            "comment_version": _version(html, "comment_version")}
    response = client.post(url, data={**data, f"level-{ids['An']}": "Xuất sắc", f"comment-{ids['An']}": "Chăm ngoan"})
    assert response.status_code == 400 and "Mức kết quả rèn luyện" in response.get_data(as_text=True)
    assert "Chăm ngoan" in response.get_data(as_text=True)
    response = client.post(url, data={**data, f"level-{ids['An']}": levels[0], f"level-{ids['Bình']}": levels[2],
                                      f"comment-{ids['An']}": "Chăm ngoan, lễ phép."})
    assert response.status_code == 303
    with _db(web_school) as session:
        assert {c.enrolment_id: c.level for c in session.scalars(select(Conduct))} == {
            ids["An"]: levels[0], ids["Bình"]: levels[2]}
        assert session.scalars(select(HomeroomComment.text)).all() == ["Chăm ngoan, lễ phép."]
    response = client.post(url, data={**data, f"level-{ids['An']}": levels[1]})  # the versions read before
    assert response.status_code == 409
    html = response.get_data(as_text=True)  # the stored level selected, the one typed beside it
    assert re.search(rf'name="level-{ids["An"]}"[^>]*data-mine="{levels[1]}"[^>]*><option value="">—</option>'
                     rf'(<option>[^<]*</option>)*<option selected>{levels[0]}</option>', html)
    assert f"Bạn: {levels[1]}" in html and 'id="conflict-table"' in html
    too_long = "x" * 2001
    html = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_of(html), "conduct_version": _version(html, "conduct_version"),
                                      "comment_version": _version(html, "comment_version"),
                                      f"comment-{ids['An']}": too_long})
    assert response.status_code == 400 and "tối đa 2000" in response.get_data(as_text=True)


# --- results and the check -----------------------------------------------------------------------------


def test_results_computed_by_the_homeroom_teacher_and_the_check_lists_what_is_missing(login_as, web_school):
    client = login_as(Role.HOMEROOM_TEACHER)
    base = f"/chu-nhiem/lop/{web_school.class_id}"
    html = client.get(base + "/kiem-tra?ky=hk1").get_data(as_text=True)
    assert "Chưa tính kết quả Học kì I" in html and "Chưa ghi điểm danh tháng 9/2025" in html
    assert "Toán" in html and "Người giaovien" in html  # the marks each teacher still owes
    assert "Nhận xét của GVCN" not in html  # the transcript prints only the year's homeroom comment
    year = client.get(base + "/kiem-tra?ky=cn").get_data(as_text=True)
    assert "Nhận xét của GVCN" in year and "Chưa ghi điểm danh tháng 9/2025" in year
    assert _post(client, base + "/ket-qua?ky=hk1", {}).status_code == 303
    with _db(web_school) as session:
        assert session.scalar(select(func.count(StudentResult.id))) >= 3
    page = client.get(base + "/ket-qua?ky=hk1").get_data(as_text=True)
    assert "Tính lúc" in page and "thiếu điểm" in page
    html = client.get(base + "/kiem-tra?ky=hk1").get_data(as_text=True)
    assert "Chưa tính kết quả" not in html and "chưa được xếp loại" in html and "cần tính lại" not in html
    # an absence recorded after the computation makes the term's results outdated
    month = client.get(base + "/diem-danh?thang=2025-11").get_data(as_text=True)
    cell = re.findall(r'name="(d-\d+-\d+)"', month)[0]
    assert client.post(base + "/diem-danh?thang=2025-11", data={
        "csrf_token": csrf_of(month), "version": _version(month), cell: "K"}).status_code == 303
    assert "cần tính lại" in client.get(base + "/kiem-tra?ky=hk1").get_data(as_text=True)
    assert 'id="stale"' in client.get(base + "/ket-qua?ky=hk1").get_data(as_text=True)
    assert client.get(base + "/ket-qua?ky=cn").status_code == 200
    assert client.get(base + "/kiem-tra?ky=xx").status_code == 400


@pytest.mark.parametrize("field", ["ethnicity", "nationality", "family_name", "given_name"])
def test_a_required_personal_field_left_blank_is_refused(login_as, web_school, field):
    client = login_as(Role.HOMEROOM_TEACHER)
    response = _post(client, f"/chu-nhiem/hoc-sinh/{web_school.student_id}", {field: "  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Thiếu thông tin bắt buộc" in html and field not in html.split("error")[1][:200]


@pytest.fixture(scope="module")
def big_class(web_school) -> int:  # type: ignore[no-untyped-def]
    """6A3: 45 students with the longest names the records keep, two of them leaving mid-month."""
    from records.models import Grade, School, User
    from records.services import setup

    with _db(web_school) as session:
        admin = Actor.by_username(session, "quantri")
        grade = session.scalars(select(Grade).where(Grade.school_year_id == web_school.year_id, Grade.level == 6)).one()
        teacher = session.scalars(select(User).where(User.username == "chunhiem")).one()
        klass = setup.create_class(session, admin, grade, "6A3", homeroom_teacher=teacher)
        rows = [{"code": f"BIG{i:03d}", "family_name": "Nguyễn Huỳnh" + "ễ" * 48, "middle_name": "Thị Ngọc" + "ữ" * 52,
                 "given_name": f"Quỳnh{i:02d}" + "ỹ" * 53, "date_of_birth": dt.date(2014, 1 + i % 12, 1 + i % 28),
                 "gender": "Nữ", "place_of_birth": "Bản " + "Pá " * 65} for i in range(45)]
        made = students.add_students(session, admin, session.get(School, web_school.school_id), rows)
        enrolments = students.enrol_class(session, admin, klass, made)
        for e in enrolments[:2]:
            students.transfer_out(session, admin, e, on=dt.date(2025, 10, 15), to_school="THCS " + "Mường " * 30)
        return klass.id


def test_a_45_student_class_with_the_longest_names_saves_a_whole_month(login_as, web_school, big_class):
    client = login_as(Role.HOMEROOM_TEACHER)
    url = f"/chu-nhiem/lop/{big_class}/diem-danh?thang=2025-10"
    html = client.get(url).get_data(as_text=True)
    cells = re.findall(r'name="(d-\d+-\d+)"', html)
    assert len(cells) == 43 * 27 + 2 * 13  # Monday–Saturday of October 2025: 27 days; the two who left: 13
    data = {"csrf_token": csrf_of(html), "version": _version(html)}
    data |= {c: "PK "[i % 3].strip() for i, c in enumerate(cells)}
    data["d-999999-6"] = "K"  # a forged cell of a student of no class: ignored
    response = client.post(url, data=data)
    assert response.status_code == 303
    with _db(web_school) as session:
        ids = set(session.scalars(select(Enrolment.id).where(Enrolment.class_id == big_class)))
        stored = session.scalar(select(func.count(Attendance.id)).where(Attendance.enrolment_id.in_(ids)))
    assert stored == sum(1 for i in range(len(cells)) if i % 3 != 2)
    page = client.get(url).get_data(as_text=True)
    assert len(re.findall(r'<input name="d-\d+-\d+" value="[PK]"', page)) == stored
    # a save without its version is refused: it would skip the conflict check
    response = client.post(url, data={"csrf_token": csrf_of(page), cells[0]: "K"})
    assert response.status_code == 400 and "phiên bản" in response.get_data(as_text=True)
    roll = client.get(f"/chu-nhiem/lop/{big_class}").get_data(as_text=True)
    assert roll.count("Chuyển đi 15/10/2025") == 2


def test_the_year_lists_name_the_subjects_to_re_assess(login_as, web_school):
    from decimal import Decimal

    from records.models import Assessment, GradeSubject, Period, Subject, SubjectResult
    from records.rules import Promotion

    ids = _enrolments(web_school)
    with _db(web_school) as session:
        klass = session.get(Class, web_school.class_id)
        subjects = session.scalars(select(Subject).join(GradeSubject, GradeSubject.subject_id == Subject.id)
                                   .where(GradeSubject.grade_id == klass.grade_id)).all()
        for name, promotion in (("An", Promotion.REASSESS), ("Bình", Promotion.PROMOTED)):
            for s in subjects:
                weak = name == "An" and s.code in ("toan", "ngu_van")
                comment = s.assessment == Assessment.COMMENT
                session.add(SubjectResult(enrolment_id=ids[name], subject_id=s.id, period=Period.YEAR,
                                          average=None if comment else Decimal("3.5" if weak else "7.0"),
                                          grade="Đ" if comment else None))
            session.add(StudentResult(enrolment_id=ids[name], period=Period.YEAR, regime="tt22",
                                      learning="Chưa đạt" if name == "An" else "Khá", conduct="Tốt",
                                      promotion=promotion.value))
    html = login_as(Role.HOMEROOM_TEACHER).get(f"/chu-nhiem/lop/{web_school.class_id}/ket-qua?ky=cn").get_data(as_text=True)
    lists = html[html.index("Danh sách theo quyết định cuối năm"):]
    assert re.search(r"Nguyễn Văn An — kiểm tra lại: <b>Ngữ văn, Toán</b>", lists), lists[:1500]
    assert "Trần Thị Bình</li>" in lists and "Lên lớp (1)" in lists


def test_every_comment_of_a_45_student_class_at_its_maximum_is_saved(login_as, web_school, big_class):
    client = login_as(Role.HOMEROOM_TEACHER)
    url = f"/chu-nhiem/lop/{big_class}/hanh-kiem?ky=cn"
    html = client.get(url).get_data(as_text=True)
    rows = re.findall(r'name="comment-(\d+)"', html)
    assert len(rows) == 45
    longest = ("Em chăm ngoan, lễ phép, tích cực tham gia hoạt động tập thể; cần rèn luyện thêm chữ viết. " * 30)[:2000]
    data = {"csrf_token": csrf_of(html), "conduct_version": _version(html, "conduct_version"),
            "comment_version": _version(html, "comment_version")}
    data |= {f"comment-{e}": longest for e in rows}
    response = client.post(url, data=data)  # about 1.7 MB once form-encoded
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    with _db(web_school) as session:
        texts = session.scalars(select(HomeroomComment.text).where(
            HomeroomComment.enrolment_id.in_([int(e) for e in rows]))).all()
    assert len(texts) == 45 and all(len(t) == len(" ".join(longest.split())) for t in texts)
