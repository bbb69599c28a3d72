"""``sodientu print transcript|register|mark-book`` end to end: signed editions by default, drafts with
``--draft``; on a SQLite file and, with ``SODIENTU_TEST_DATABASE_URL``, in a throw-away PostgreSQL schema."""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlalchemy.orm import Session

from layouts.render import extract_page_texts
from records.db import make_engine, session_scope
from records.models import Base, KeyKind, Period, Role, StudentResult
from records.permissions import Actor
from records.services import editions as es
from signing.qr import read_qr_codes
from signing.trust import DbTrustList
from signing.verify import FileReport, PageStatus, verify_file
from tests.conftest import TEST_DB_ENV
from tests.factories import enrol, make_class, make_school, make_student, make_user, make_year, trace_stored
from web.cli import cli

PASSPHRASE = "mat-khau-thu"
DRAFT = "BẢN NHÁP — không có giá trị"


@dataclass
class PrintDb:
    """A committed school for the commands: its URL, student, key folder and passphrase file."""

    url: str
    student: str
    school_id: int
    keys: Path
    passphrase_file: Path

    def signed(self) -> list[str]:
        """The options of a published print."""
        return ["--as", "vanphong", "--key-dir", str(self.keys), "--passphrase-file", str(self.passphrase_file),
                "--db", self.url]


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s)


@pytest.fixture(params=["sqlite", "postgresql"])
def print_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PrintDb]:
    """A student of the course 2022-2026 with two years (2022-23 approved, 2023-24 not), an office
    user and the school's registered key with its encrypted key file."""
    from signing.keyfiles import private_key_path
    from signing.keys import generate_private_key, key_id, public_key_pem, save_private_key

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'school.sqlite'}"
        cleanup = None
    else:
        base = os.environ.get(TEST_DB_ENV, "")
        if not base.startswith("postgresql"):
            pytest.skip(f"{TEST_DB_ENV} is not a PostgreSQL URL")
        schema = f"print_cli_{uuid.uuid4().hex[:10]}"
        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{schema}"

        def cleanup() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    engine = make_engine(url)
    Base.metadata.create_all(engine)
    key = generate_private_key()
    with session_scope(engine) as session:
        school = make_school(session, name="Trường THCS Tô Hiệu", principal_name="Hà Văn Thắng")
        c6 = make_class(session, make_year(session, school, 2022), 6, "6A1")
        c7 = make_class(session, make_year(session, school, 2023), 7, "7A1")
        student = make_student(session, school, family_name="Lò", middle_name="Thị", given_name="Mai",
                               course="2022-2026", register_number="1/THCS")
        e6, e7 = enrol(session, student, c6), enrol(session, student, c7)
        # 2022-23 approved on 27/05/2023 in Vietnam (20:30 UTC the day before); 2023-24 not approved
        session.add(StudentResult(enrolment_id=e6.id, period=Period.YEAR, regime="tt22", learning="Tốt",
                                  conduct="Tốt", promotion="promoted",
                                  approved_at=dt.datetime(2023, 5, 26, 20, 30, tzinfo=dt.UTC)))
        session.add(StudentResult(enrolment_id=e7.id, period=Period.YEAR, regime="tt22", learning="Khá",
                                  conduct="Tốt", promotion="promoted"))
        trace_stored(session, [e6.id, e7.id])  # the print checks every value against the trail
        make_user(session, school, [Role.OFFICE], username="vanphong", full_name="Cán Bộ Văn Phòng")
        es.register_key(session, Actor.system("test"), key_id=key_id(key), kind=KeyKind.ED25519,
                        public_pem=public_key_pem(key), school_id=school.id)
        code, school_id = student.code, school.id
    engine.dispose()
    keys = tmp_path / "keys"
    keys.mkdir()
    save_private_key(key, private_key_path(keys, key_id(key)), PASSPHRASE)
    (tmp_path / "pw").write_text(PASSPHRASE + "\n")
    try:
        yield PrintDb(url, code, school_id, keys, tmp_path / "pw")
    finally:
        if cleanup:
            cleanup()


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def _verify(db: PrintDb, path: Path) -> FileReport:
    engine = make_engine(db.url)
    try:
        with Session(engine) as session:
            return verify_file(path, DbTrustList(session), session)
    finally:
        engine.dispose()


def _genuine(report: FileReport) -> None:
    assert report.kind == "published-pdf", report
    assert report.ok and report.pages, [(p.status, p.message_en) for p in report.pages] + list(report.problems_vi)
    assert all(p.status is PageStatus.GENUINE for p in report.pages)


def test_transcript_and_register_publish_signed_editions(print_db: PrintDb, tmp_path: Path) -> None:
    db = print_db
    year_pdf = tmp_path / "hb-2022.pdf"
    r = _run("print", "transcript", "--student", db.student, "--year", "2022-2023", "-o", str(year_pdf),
             *db.signed())
    assert r.exit_code == 0, r.output
    assert "đã ghi nhận" in r.output and "bản sao" not in r.output
    report = _verify(db, year_pdf)
    _genuine(report)
    assert all(not p.fields.copy and p.fields.facts is not None for p in report.pages)
    texts = [_squash(t) for t in extract_page_texts(year_pdf.read_bytes())]
    assert len(texts) == 4  # cover, identity (first year of the book), subjects, results
    # the principal's approval: the day recorded for the year's results, in Vietnam time
    assert "Vân Hồ, ngày 27 tháng 5 năm 2023" in texts[-1]
    assert DRAFT not in " ".join(texts)

    copy_pdf = tmp_path / "hb-ban-sao.pdf"
    r = _run("print", "transcript", "--student", db.student, "--volume", "--duplex", "--copy", "-o", str(copy_pdf),
             *db.signed())
    assert r.exit_code == 0, r.output
    assert "bản sao, bản in" in r.output
    report = _verify(db, copy_pdf)
    _genuine(report)
    assert all(p.fields.copy for p in report.pages)  # the copy flag is in every page's code
    texts = [_squash(t) for t in extract_page_texts(copy_pdf.read_bytes())]
    assert "BẢN SAO" in texts[0]
    (results_2023,) = [t for t in texts if "Năm học: 2023-2024" in t and "PHÊ DUYỆT" in t]
    assert "Vân Hồ, ngày …… tháng …… năm" in results_2023  # not approved: left blank for handwriting
    today = dt.date.today()
    assert f"ngày {today.day:02d} tháng {today.month} năm {today.year}" not in " ".join(texts)
    _genuine(_verify(db, year_pdf))  # a copy supersedes nothing

    register_pdf = tmp_path / "sdb.pdf"
    env = {"SODIENTU_KEY_PASSPHRASE": PASSPHRASE}  # the passphrase from the environment this time
    r = _run("print", "register", "--course", "2022-2026", "-o", str(register_pdf), "--as", "vanphong",
             "--key-dir", str(db.keys), "--db", db.url, env=env)
    assert r.exit_code == 0, r.output
    _genuine(_verify(db, register_pdf))

    engine = make_engine(db.url)
    with Session(engine) as session:
        editions = es.list_editions(session, school_id=db.school_id)
        kinds = sorted((e.kind.value, e.copy, e.part) for e in editions)
        assert kinds == [("register", False, "2022-2026"), ("transcript", False, "all"),
                         ("transcript", True, "all")]
        assert all(e.status.value == "current" for e in editions)
    engine.dispose()

    # a new original of the same year supersedes the first one
    again = tmp_path / "hb-2022-lan-2.pdf"
    r = _run("print", "transcript", "--student", db.student, "--year", "2022-2023", "-o", str(again), *db.signed())
    assert r.exit_code == 0, r.output
    _genuine(_verify(db, again))
    assert {p.status for p in _verify(db, year_pdf).pages} == {PageStatus.SUPERSEDED}


def test_drafts_are_marked_and_not_recorded(print_db: PrintDb, tmp_path: Path) -> None:
    db = print_db
    runs = {
        "hb.pdf": ("transcript", "--student", db.student, "--volume", "--duplex", "--copy"),
        "sdb.pdf": ("register", "--course", "2022-2026"),
        "sdb-a4.pdf": ("register", "--course", "2022-2026", "--paper", "a4", "--duplex"),
        "so.pdf": ("mark-book", "--class", "6A1", "--year", "2022-2023"),
    }
    for name, args in runs.items():
        out = tmp_path / name
        r = _run("print", *args, "--draft", "-o", str(out), "--db", db.url)
        assert r.exit_code == 0, (name, r.output)
        assert "bản nháp" in r.output
        pdf = out.read_bytes()
        texts = [_squash(t) for t in extract_page_texts(pdf)]
        assert texts and all(DRAFT in t for t in texts), name  # in every page's QR slot
        assert read_qr_codes(pdf, dpi=100) == []
        report = _verify(db, out)
        assert not report.ok and {p.status for p in report.pages} == {PageStatus.NO_CODE}
    engine = make_engine(db.url)
    with Session(engine) as session:
        assert es.list_editions(session, school_id=db.school_id) == []
    engine.dispose()


def test_a_published_print_needs_the_printer_and_the_key(print_db: PrintDb, tmp_path: Path) -> None:
    db = print_db
    out = str(tmp_path / "x.pdf")
    for args in (("transcript", "--student", db.student), ("register", "--course", "2022-2026")):
        r = _run("print", *args, "-o", out, "--db", db.url)
        assert r.exit_code == 1 and "--as" in r.output and "--draft" in r.output, r.output
        r = _run("print", *args, "-o", out, "--as", "vanphong", "--key-dir", str(tmp_path / "none"),
                 "--passphrase-file", str(db.passphrase_file), "--db", db.url)
        assert r.exit_code == 1 and "Không thấy tệp khóa ký" in r.output, r.output
        assert "Traceback" not in r.output
    r = _run("print", "transcript", "--student", "KHONG-CO", "-o", out, *db.signed())
    assert r.exit_code == 1 and "Không tìm thấy học sinh" in r.output
    r = _run("print", "transcript", "--student", "KHONG-CO", "--draft", "-o", out, "--db", db.url)
    assert r.exit_code == 1 and "Không tìm thấy học sinh" in r.output
    r = _run("print", "register", "--course", "2022-2025", "-o", out, *db.signed())
    assert r.exit_code == 1 and "Khóa học không hợp lệ" in r.output
    assert not Path(out).exists()


def test_attack_unwritable_output_commits_no_edition(print_db: PrintDb, tmp_path: Path) -> None:
    """Issue 10: ``-o`` at an unwritable place committed the edition (superseding the genuine one) with no PDF."""
    db = print_db
    good = tmp_path / "hb.pdf"
    assert _run("print", "transcript", "--student", db.student, "--year", "2022-2023", "-o", str(good),
                *db.signed()).exit_code == 0
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    r = _run("print", "transcript", "--student", db.student, "--year", "2022-2023",
             "-o", str(blocker / "hb.pdf"), *db.signed())
    assert r.exit_code == 1 and "Không ghi được tệp" in r.output and "Traceback" not in r.output, r.output
    engine = make_engine(db.url)
    with Session(engine) as session:
        assert len(es.list_editions(session, school_id=db.school_id)) == 1  # nothing new recorded
    engine.dispose()
    _genuine(_verify(db, good))  # the genuine edition is still the current one


def test_attack_value_changed_with_sql_is_not_signed(print_db: PrintDb, tmp_path: Path) -> None:
    """Issue 10: a result changed directly in the database was signed by the next print; now the print stops."""
    db = print_db
    engine = make_engine(db.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE student_result SET learning = 'Tốt' WHERE learning = 'Khá'"))
    engine.dispose()
    out = tmp_path / "hb.pdf"
    r = _run("print", "transcript", "--student", db.student, "--volume", "-o", str(out), *db.signed())
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    assert "7A1" in r.output and "Lò Thị Mai" in r.output and "kết quả học tập" in r.output, r.output
    assert not out.exists()


def test_a_typed_short_code_shows_the_archived_genuine_page(print_db: PrintDb, tmp_path: Path) -> None:
    """Issue 10, item 1: the archive keeps the issued PDF; the page shows that page beside the verdict."""
    from signing.payload import human_code
    from web.app import create_app

    db = print_db
    out = tmp_path / "hb.pdf"
    assert _run("print", "transcript", "--student", db.student, "--year", "2022-2023", "-o", str(out),
                *db.signed()).exit_code == 0
    report = _verify(db, out)
    fields = report.pages[2].fields
    typed = human_code(fields.edition_id, fields.page, fields.pages)
    client = create_app(db.url).test_client()
    html = client.post("/xac-thuc", data={"code": typed}).get_data(as_text=True)
    assert "Mã thật — cần đối chiếu" in html and "<img" in html, html[-2000:]
    assert "Kết quả in trên trang gốc" in html  # the subject results printed on that page
    image = html.split('<img src="')[1].split('"')[0]
    assert client.get(image).data[:4] == b"\x89PNG"
