"""``sodientu print …``: print books to PDF.

Subcommands here: ``transcript`` (Học bạ, one year or the bound volume) and ``register`` (Sổ
đăng bộ of a course). Other books add their subcommands to :data:`print_group`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from web.cli import db_option


@click.group("print")
def print_group() -> None:
    """In sổ sách ra tệp PDF: học bạ, sổ đăng bộ, sổ điểm."""


def _write(output: Path, pdf: bytes) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(pdf)
    click.echo(f"Đã in {output} ({len(pdf) // 1024} kB).")


@print_group.command("transcript")
@click.option("--student", "student_code", required=True, metavar="MÃ", help="Mã học sinh.")
@click.option("--year", default=None, metavar="NĂM", help="Chỉ in một năm học, ví dụ 2023-2024.")
@click.option("--volume", is_flag=True, help="In cả quyển (bìa, trang 1 và mọi năm học, lớp 6 đến 9).")
@click.option("--duplex", is_flag=True, help="In hai mặt: thêm trang trống để mỗi năm học bắt đầu ở mặt phải.")
@click.option("--copy", "copy_", is_flag=True, help="In bản sao (có chữ «BẢN SAO» trên bìa).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Tệp PDF sẽ ghi.")
@db_option
def transcript_cmd(engine: Engine, student_code: str, year: str | None, volume: bool, duplex: bool,
                   copy_: bool, output: Path) -> None:
    """In học bạ THCS của một học sinh."""
    from layouts.transcript import print_transcript

    with Session(engine) as session:
        pdf = print_transcript(session, student_code, year=year, volume=volume, duplex=duplex, copy=copy_)
    _write(output, pdf)


@print_group.command("register")
@click.option("--course", required=True, metavar="KHÓA", help="Khóa học, ví dụ 2022-2026.")
@click.option("--school", "school_code", default=None, metavar="MÃ",
              help="Mã trường (khi cơ sở dữ liệu có nhiều trường).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Tệp PDF sẽ ghi.")
@db_option
def register_cmd(engine: Engine, course: str, school_code: str | None, output: Path) -> None:
    """In sổ đăng bộ của một khóa học."""
    from layouts.register import print_register

    with Session(engine) as session:
        pdf = print_register(session, course, school_code=school_code, printed_on=dt.date.today())
    _write(output, pdf)


# ``mark-book``: the class mark book, published as a signed edition through ``layouts.publish``
# (QR on every page, PDF/A-3b with the book's JSON attached, recorded edition) unless ``--draft``.
_PAPERS = {"a4": "a4", "a3": "a3"}
_PARTS = {"term1": "term1", "year": "year", "all": "all"}


@print_group.command("mark-book")
@click.option("--class", "class_name", default=None, metavar="LỚP", help="Tên lớp, ví dụ 9A1.")
@click.option("--year", default=None, metavar="NĂM", help="Năm học, ví dụ 2025-2026.")
@click.option("--school", "school_code", default=None, metavar="MÃ",
              help="Mã trường (khi nhiều trường có lớp cùng tên).")
@click.option("--paper", default="a4", metavar="a4|a3", help="Khổ giấy: a4 (dọc) hoặc a3 (ngang). Mặc định a4.")
@click.option("--duplex", is_flag=True, help="In hai mặt: lề đóng gáy đối xứng, mỗi phần bắt đầu ở mặt phải.")
@click.option("--part", default="all", metavar="term1|year|all",
              help="Phần in: term1 (cuối học kỳ I), year (phần còn lại, cuối năm) hoặc all. Mặc định all.")
@click.option("--draft", is_flag=True, help="In bản nháp: không ký mã QR, không ghi nhận bản in.")
@click.option("--as", "username", default=None, metavar="TÊN_ĐĂNG_NHẬP",
              help="Người in (cán bộ văn phòng); cần khi in bản chính thức.")
@click.option("--key-dir", default=None, metavar="THƯ_MỤC", help="Thư mục khóa ký (mặc định: keys/ cạnh CSDL).")
@click.option("--passphrase-file", default=None, metavar="TỆP",
              help="Tệp chứa mật khẩu khóa ký (hoặc biến môi trường SODIENTU_KEY_PASSPHRASE).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tệp PDF sẽ ghi.")
@db_option
def mark_book_cmd(engine: Engine, class_name: str | None, year: str | None, school_code: str | None, paper: str,
                  duplex: bool, part: str, draft: bool, username: str | None, key_dir: str | None,
                  passphrase_file: str | None, output: Path | None) -> None:
    """In sổ gọi tên và ghi điểm (sổ theo dõi và đánh giá học sinh) của một lớp."""
    from web.cli import fail

    if not class_name or not class_name.strip():
        fail("Thiếu tên lớp: hãy ghi --class, ví dụ --class 9A1.", "--class missing")
    if not year or not year.strip():
        fail("Thiếu năm học: hãy ghi --year, ví dụ --year 2025-2026.", "--year missing")
    if output is None:
        fail("Thiếu tệp PDF sẽ ghi: hãy ghi -o TỆP.pdf.", "-o missing")
    paper_key = _PAPERS.get(paper.strip().lower())
    if paper_key is None:
        fail(f"Khổ giấy không hợp lệ: «{paper}». Chọn a4 hoặc a3.", f"bad --paper {paper!r}")
    part_key = _PARTS.get(part.strip().lower())
    if part_key is None:
        fail(f"Phần in không hợp lệ: «{part}». Chọn term1 (học kỳ I), year (cuối năm) hoặc all (cả sổ).",
             f"bad --part {part!r}")
    if not draft and not username:
        fail("In bản chính thức cần người in: hãy ghi --as TÊN_ĐĂNG_NHẬP (cán bộ văn phòng), "
             "hoặc in bản nháp với --draft.", "--as missing for a published print")
    assert class_name and year and output and paper_key and part_key  # for the type checker; fail() exits

    from layouts.markbook import PrintOptions, build_markbook
    from layouts.markbook_source import find_class, load_markbook_input
    from records.db import session_scope

    opts = PrintOptions(paper=paper_key, duplex=duplex, part=part_key)  # type: ignore[arg-type]
    with session_scope(engine) as session:
        klass = find_class(session, class_name, year, school_code=school_code)
        doc = build_markbook(load_markbook_input(session, klass.id), opts)
        if draft:
            from layouts.render import render_document

            pdf = render_document("markbook", doc)
            note = "bản nháp, không ghi nhận bản in"
        else:
            published = _publish_mark_book(session, engine, klass, doc, username or "", key_dir, passphrase_file)
            pdf = published.pdf
            from signing.payload import edition_short_id

            note = f"bản in {edition_short_id(published.edition.id)} đã ghi nhận"
    _write(output, pdf)
    click.echo(f"Sổ lớp {klass.name}, năm học {year.strip()}: {len(doc.pages)}/{doc.book.total_pages} trang ({note}).")


def _publish_mark_book(session: Session, engine: Engine, klass, doc, username: str,  # type: ignore[no-untyped-def]
                       key_dir: str | None, passphrase_file: str | None):
    """Sign every page's QR, render PDF/A-3b with the data attached and record the edition."""
    import os

    from layouts.publish import Scope, publish
    from records.models import KeyKind
    from records.permissions import Actor
    from records.services import editions as es
    from signing.keyfiles import (
        P12_NAME,
        PASSPHRASE_ENV,
        default_key_dir,
        private_key_path,
        read_passphrase_file,
    )
    from signing.keys import load_private_key
    from web.cli import fail

    actor = Actor.by_username(session, username)
    keys = es.active_keys(session, school_id=klass.school_id, kind=KeyKind.ED25519)
    if not keys:
        fail("Trường chưa có khóa ký mã QR: dùng «sodientu keys init» để tạo, hoặc in bản nháp với --draft.",
             f"no active signing key for school {klass.school_id}")
    folder = Path(key_dir) if key_dir else default_key_dir(engine.url.render_as_string(hide_password=False))
    key_file = private_key_path(folder, keys[-1].key_id)
    if not key_file.is_file():
        fail(f"Không thấy tệp khóa ký {key_file}. Chỉ rõ thư mục khóa với --key-dir, hoặc in bản nháp với --draft.",
             f"missing key file {key_file}")
    passphrase = read_passphrase_file(passphrase_file) if passphrase_file else os.environ.get(PASSPHRASE_ENV)
    if passphrase is None:
        passphrase = str(click.prompt("Mật khẩu khóa ký", hide_input=True))
    private_key = load_private_key(key_file, passphrase)
    signer = None
    if (folder / P12_NAME).is_file():
        from signing.pdfsign import load_p12

        signer = load_p12((folder / P12_NAME).read_bytes(), passphrase)
    year = klass.grade.school_year
    return publish(session, actor, doc, template="markbook",
                   scope=Scope(klass.school_id, class_id=klass.id, school_year_id=year.id),
                   private_key=private_key, pdf_signer=signer)


def register(cli: click.Group) -> None:
    cli.add_command(print_group)
