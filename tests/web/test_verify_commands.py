"""``sodientu keys …``, ``sodientu verify``, ``sodientu edition revoke`` and the public page ``/xac-thuc``."""

from __future__ import annotations

import io
import os
import stat

import pytest
from click.testing import CliRunner

from layouts.publish import Scope, publish
from records.db import make_engine, session_scope
from records.models import Base, Role
from records.permissions import Actor
from signing.keys import load_private_key
from signing.payload import edition_short_id
from signing.testing import simulate_scan
from tests.factories import make_class, make_school, make_user, make_year
from tests.signing.helpers import replace_text_run, small_markbook
from web.cli import cli

PASSPHRASE = "mat-khau-du-dai-123"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'school.sqlite'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with session_scope(engine) as session:
        school = make_school(session, name="Trường THCS Tô Hiệu")
        year = make_year(session, school)
        klass = make_class(session, year, 9, "9A1")
        clerk = make_user(session, school, [Role.OFFICE], username="vanphong")
        make_user(session, school, [Role.PRINCIPAL], username="hieutruong")
        ids = {"school": school.id, "year": year.id, "class": klass.id, "clerk": clerk.id}
    (tmp_path / "pw.txt").write_text(PASSPHRASE + "\n")
    yield {"url": url, "engine": engine, "ids": ids, "dir": tmp_path, "pw": str(tmp_path / "pw.txt")}
    engine.dispose()


def _publish(db, numbers=(1, 25)) -> tuple[bytes, str]:
    keys = db["dir"] / "keys"
    (key_file,) = keys.glob("*.key.pem") if len(list(keys.glob("*.key.pem"))) == 1 else sorted(
        keys.glob("*.key.pem"), key=os.path.getmtime)[-1:]
    key = load_private_key(key_file, PASSPHRASE)
    ids = db["ids"]
    with session_scope(db["engine"]) as session:
        pub = publish(session, Actor.load(session, ids["clerk"]), small_markbook(numbers), template="markbook",
                      scope=Scope(ids["school"], class_id=ids["class"], school_year_id=ids["year"]), private_key=key)
        return pub.pdf, str(pub.edition.id)


def test_keys_publish_verify_revoke_rotate(db) -> None:
    url, folder = db["url"], db["dir"]
    r = run("keys", "init", "--db", url, "--passphrase-file", db["pw"])
    assert r.exit_code == 0, r.output
    keys = folder / "keys"
    (key_file,) = keys.glob("*.key.pem")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and b"ENCRYPTED" in key_file.read_bytes()
    assert stat.S_IMODE((keys / "school-cert.p12").stat().st_mode) == 0o600
    assert run("keys", "init", "--db", url, "--passphrase-file", db["pw"]).exit_code == 1  # only once

    pdf, edition_id = _publish(db)
    good = folder / "so-diem.pdf"
    good.write_bytes(pdf)
    r = run("verify", str(good), "--db", url)
    assert r.exit_code == 0, r.output
    assert "Hợp lệ" in r.output and "TẤT CẢ CÁC TRANG HỢP LỆ" in r.output

    # offline, a PDF without a PAdES signature cannot be proven identical to the issued file: compare (2)
    r = run("verify", str(good), "--offline", "--trust", str(keys / "trust.json"))
    assert r.exit_code == 2 and "ngoại tuyến" in r.output and "CẦN ĐỐI CHIẾU" in r.output

    bad = folder / "so-diem-sua.pdf"
    bad.write_bytes(replace_text_run(pdf, 1, "5,5", "8,5"))
    r = run("verify", str(bad), "--db", url)
    assert r.exit_code == 1 and "Đã bị sửa đổi" in r.output and "Traceback" not in r.output

    junk = folder / "rac.png"
    junk.write_bytes(b"not an image")
    r = run("verify", str(junk), "--db", url)
    assert r.exit_code == 1 and "Traceback" not in r.output

    short = edition_short_id(__import__("uuid").UUID(edition_id))
    r = run("edition", "revoke", short, "--reason", "Bản in bị thất lạc", "--as", "vanphong", "--db", url)
    assert r.exit_code == 1 and "thu hồi bản in" in r.output and "Traceback" not in r.output  # the office prints
    assert run("verify", str(good), "--db", url).exit_code == 0
    r = run("edition", "revoke", short, "--reason", "Bản in bị thất lạc", "--as", "hieutruong", "--db", url)
    assert r.exit_code == 0, r.output
    r = run("verify", str(good), "--db", url)
    assert r.exit_code == 1 and "Đã thu hồi" in r.output

    old_kid = key_file.name.split(".")[0]
    assert run("keys", "rotate", "--db", url, "--passphrase-file", db["pw"]).exit_code == 0
    r = run("keys", "list", "--db", url)
    assert "đã thôi dùng" in r.output and "đang dùng" in r.output
    pdf2, _ = _publish(db, (1,))
    second = folder / "in-lai.pdf"
    second.write_bytes(pdf2)
    assert run("verify", str(second), "--db", url).exit_code == 0
    r = run("keys", "revoke", old_kid, "--reason", "lộ khóa", "--db", url)
    assert r.exit_code == 0, r.output
    assert run("verify", str(second), "--db", url).exit_code == 0  # signed by the new key
    r = run("verify", str(good), "--offline", "--trust", str(keys / "trust.json"))
    assert r.exit_code == 1 and "thu hồi" in r.output


def test_public_page_reveals_only_the_code(db) -> None:
    from web.app import create_app

    run("keys", "init", "--db", db["url"], "--passphrase-file", db["pw"], "--no-pdf-cert")
    pdf, _ = _publish(db, (25,))
    import pikepdf

    from signing.manifest import MANIFEST_NAME, read_manifest
    from signing.trust import DbTrustList

    with session_scope(db["engine"]) as session:
        with pikepdf.open(io.BytesIO(pdf)) as doc:  # keep the Pdf alive while reading its attachment
            raw = doc.attachments[MANIFEST_NAME].get_file().read_bytes()
        code = read_manifest(raw, DbTrustList(session)).manifest.pages[0].qr

    app = create_app(db["url"], SODIENTU_ISSUED_PDF=lambda _session, _edition_id: pdf)
    client = app.test_client()
    assert client.get("/xac-thuc").status_code == 200
    page = client.post("/xac-thuc", data={"code": code}).get_data(as_text=True)
    assert "Hợp lệ" in page and "25/68" in page
    assert "9A1" not in page and "Phạm Đức Chiến" not in page and "<script" not in page and "http" not in page
    assert "Mã không hợp lệ" in client.post("/xac-thuc", data={"code": "xin chào"}).get_data(as_text=True)
    assert client.post("/xac-thuc", data={}).status_code == 400

    from signing.payload import payload_to_url

    url = payload_to_url(code, "https://truong.example/v/")
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert "Hợp lệ" in client.get("/" + path).get_data(as_text=True)
    assert "Mã không hợp lệ" in client.get("/v/ABC").get_data(as_text=True)

    from layouts.render import render_page_images

    paper = render_page_images(pdf, dpi=600, pages=[0])[0].convert("L")
    paper.info["dpi"] = (600, 600)
    photo = io.BytesIO()
    simulate_scan(paper, dpi=200, angle=3.0, jpeg_quality=60).save(photo, "JPEG", quality=60)
    photo.seek(0)
    page = client.post("/xac-thuc", data={"file": (photo, "anh.jpg")}, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    # a photo is never "genuine" by its code: the genuine page is shown beside it to compare
    assert page.status_code == 200 and "Mã thật — cần đối chiếu" in html and "<img" in html

    # the short code printed under the QR, typed by hand, reaches the same page (and its image)
    from signing.payload import decode_payload, human_code

    fields = decode_payload(code)
    typed = human_code(fields.edition_id, fields.page, fields.pages)
    for text in (typed, typed.replace(" · ", " ").lower(), typed.split(" ")[0] + " 25"):
        html = client.post("/xac-thuc", data={"code": text}).get_data(as_text=True)
        assert "Mã thật — cần đối chiếu" in html and "Mã không hợp lệ" not in html, text
    image = html.split('<img src="')[1].split('"')[0]
    got = client.get(image)
    assert got.status_code == 200 and got.mimetype == "image/png" and got.data[:4] == b"\x89PNG"
    short = typed.split(" ")[0]
    assert client.get(f"/xac-thuc/trang/{short}/1.png").status_code == 404  # only the page the code names
    assert "Không có trang" in client.post("/xac-thuc", data={"code": "ZZZZ-ZZZZ · 1/2"}).get_data(as_text=True)
