"""``sodientu print …``: print books to PDF.

Subcommands: ``transcript`` (Học bạ, one year or the bound volume), ``register`` (Sổ đăng bộ of a
course) and ``mark-book`` (the class mark book). Each publishes a signed edition through
``layouts.publish`` by default (QR on every page, PDF/A-3b with the book's JSON attached, recorded
edition), acting as an office user (``--as``) with the school's key (``--key-dir``, passphrase from
``--passphrase-file`` or ``SODIENTU_KEY_PASSPHRASE``), or prints a draft (``--draft``: no codes, no
edition, "BẢN NHÁP — không có giá trị" in every QR slot).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from web.cli import db_option, existing_folder
from web.passwords import key_passphrase, signed_in_actor

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from layouts.publish import Published
    from records.permissions import Actor
    from signing.pdfsign import PdfSigner


F = TypeVar("F", bound=Callable[..., Any])


@click.group("print")
def print_group() -> None:
    """In sổ sách ra tệp PDF: học bạ, sổ đăng bộ, sổ điểm."""


class _Staged:
    """The PDF of a print, written beside the output under a temporary name, renamed once committed.

    ``write`` (inside the transaction) puts the whole PDF in ``.<name>.tmp`` and fsyncs it: a failed
    write (full disk, no rights) rolls the edition back. Only after the edition is committed is the file
    renamed to the output name (``os.replace``, atomic). A process killed at any point thus leaves no
    PDF under the output name without its committed edition, and never half a PDF; the edition's PDF
    is in the archive in the same transaction as the edition (``archive.install``). Killed between the
    commit and the rename, the output is missing (the whole PDF is in the ``.tmp`` file and the archive).
    """

    def __init__(self, output: Path) -> None:
        from records.errors import ValidationError

        self.output = output
        self.tmp = output.with_name(f".{output.name}.tmp")
        self.written = False
        if not output.parent.is_dir():
            raise ValidationError(f"Không ghi được tệp {output}: thư mục {output.parent} không tồn tại (hãy tạo thư "
                                  "mục trước; lệnh không tự tạo thư mục).", f"output folder {output.parent} does not exist")
        if output.is_dir():
            raise ValidationError(f"{output} là một thư mục, không phải tệp PDF.", f"output {output} is a folder")

    def write(self, pdf: bytes) -> None:
        import os

        from records.errors import SodientuError

        try:
            with open(self.tmp, "wb") as fh:
                fh.write(pdf)
                fh.flush()
                os.fsync(fh.fileno())
            self.written = True
        except OSError as exc:
            self.discard()
            raise SodientuError(f"Không ghi được tệp {self.output} ({exc.strerror or exc}); bản in không được ghi "
                                "nhận.", f"cannot write {self.output}: {exc!r}; edition rolled back") from None

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.tmp.unlink(missing_ok=True)

    def publish(self) -> None:
        import os

        if not self.written:
            return
        os.replace(self.tmp, self.output)
        with contextlib.suppress(OSError):
            fd = os.open(self.output.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


@contextlib.contextmanager
def _staged(output: Path) -> Iterator[_Staged]:
    """Stage the output of a print; enter it BEFORE the transaction so the rename follows the commit."""
    staged = _Staged(output)
    try:
        yield staged
    except BaseException:
        staged.discard()
        raise
    staged.publish()


# Options shared by the printing commands: a published, signed edition by default (acting as an
# office user, with the school's key), or a draft. See :func:`_signing`.
def _edition_options(func: F) -> F:
    for option in reversed((
        click.option("--draft", is_flag=True,
                     help="In bản nháp: không ký mã QR, không ghi nhận bản in («BẢN NHÁP — không có giá trị»)."),
        click.option("--as", "username", default=None, metavar="TÊN_ĐĂNG_NHẬP",
                     help="Người in (cán bộ văn phòng); cần khi in bản chính thức."),
        click.option("--key-dir", default=None, metavar="THƯ_MỤC",
                     help="Thư mục khóa ký (mặc định: keys/ cạnh CSDL)."),
        click.option("--passphrase-file", default=None, metavar="TỆP",
                     help="Tệp chứa mật khẩu khóa ký (hoặc biến môi trường SODIENTU_KEY_PASSPHRASE)."),
    )):
        func = option(func)
    return func


def _require_printer(draft: bool, username: str | None) -> None:
    from web.cli import fail

    if not draft and not username:
        fail("In bản chính thức cần người in: hãy ghi --as TÊN_ĐĂNG_NHẬP (cán bộ văn phòng), "
             "hoặc in bản nháp với --draft.", "--as missing for a published print")


def _done(output: Path, pdf: bytes, what: str, published: Published | None) -> None:
    """Say what was printed (the PDF was written before the edition was committed)."""
    if published is None:
        note = "bản nháp, không ghi nhận bản in"
    else:
        from signing.payload import edition_short_id

        copy = "bản sao, " if published.edition.copy else ""
        note = f"{copy}bản in {edition_short_id(published.edition.id)} đã ghi nhận"
    click.echo(f"Đã in {output} ({len(pdf) // 1024} kB).")
    click.echo(f"{what} ({note}).")


@print_group.command("transcript")
@click.option("--student", "student_code", required=True, metavar="MÃ", help="Mã học sinh.")
@click.option("--year", default=None, metavar="NĂM", help="Chỉ in một năm học, ví dụ 2023-2024.")
@click.option("--volume", is_flag=True, help="In cả quyển (bìa, trang 1 và mọi năm học, lớp 6 đến 9).")
@click.option("--duplex", is_flag=True,
              help="In hai mặt: mỗi năm học là hai trang đối diện (trang trái, trang phải), trên các tờ riêng.")
@click.option("--copy", "copy_", is_flag=True, help="In bản sao (có chữ «BẢN SAO» trên bìa, ghi nhận là bản sao).")
@_edition_options
@click.option("-o", "--output", callback=existing_folder, type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Tệp PDF sẽ ghi.")
@db_option
def transcript_cmd(engine: Engine, student_code: str, year: str | None, volume: bool, duplex: bool,
                   copy_: bool, draft: bool, username: str | None, key_dir: str | None,
                   passphrase_file: str | None, output: Path) -> None:
    """In học bạ THCS của một học sinh (bản chính thức có mã QR, hoặc bản nháp với --draft)."""
    from layouts.batch import TRANSCRIPT, make_job
    from records.db import session_scope
    from records.errors import NotFoundError, ValidationError
    from records.models import Student

    _require_printer(draft, username)
    if year is not None and volume:
        raise ValidationError("Chọn một năm học (--year) hoặc cả quyển (--volume), không chọn cả hai.",
                              "--year and --volume are mutually exclusive")
    whole = volume or year is None  # no year: the whole volume
    job = make_job(TRANSCRIPT, student_code.strip(), year=None if whole else year.strip(),  # type: ignore[union-attr]
                   volume=whole, duplex=duplex, copy=copy_)
    with _staged(output) as staged, session_scope(engine) as session:
        school_id = session.scalar(select(Student.school_id).where(Student.code == student_code.strip()))
        if school_id is None:
            raise NotFoundError(f"Không tìm thấy học sinh có mã «{student_code}».",
                                f"no student with code {student_code!r}")
        book = _print_one(session, engine, job, school_id, draft, username, key_dir, passphrase_file)
        pdf, published = book.pdf, book.published
        staged.write(pdf)
    from layouts.render import page_count

    _done(output, pdf, f"Học bạ của học sinh {student_code}: {page_count(pdf)} trang", published)


@print_group.command("register")
@click.option("--course", required=True, metavar="KHÓA", help="Khóa học, ví dụ 2022-2026.")
@click.option("--school", "school_code", default=None, metavar="MÃ",
              help="Mã trường (khi cơ sở dữ liệu có nhiều trường).")
@click.option("--paper", type=click.Choice(["a3", "a4"]), default="a3", show_default=True,
              help="Khổ giấy (ngang): A3 là khổ của sổ; A4 in cùng các cột, chữ 7 pt.")
@click.option("--duplex", is_flag=True, help="In hai mặt (mặt sau bìa để trống).")
@_edition_options
@click.option("-o", "--output", callback=existing_folder, type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Tệp PDF sẽ ghi.")
@db_option
def register_cmd(engine: Engine, course: str, school_code: str | None, paper: str, duplex: bool, draft: bool,
                 username: str | None, key_dir: str | None, passphrase_file: str | None, output: Path) -> None:
    """In sổ đăng bộ của một khóa học (bản chính thức có mã QR, hoặc bản nháp với --draft)."""
    from layouts.batch import REGISTER, make_job
    from records.books.register import parse_course, register_school
    from records.db import session_scope

    _require_printer(draft, username)
    with _staged(output) as staged, session_scope(engine) as session:
        parse_course(course)
        school = register_school(session, course, school_code)
        job = make_job(REGISTER, course, school_code=school.code, paper=paper, duplex=duplex)
        book = _print_one(session, engine, job, school.id, draft, username, key_dir, passphrase_file)
        pdf, published = book.pdf, book.published
        staged.write(pdf)
    from layouts.render import page_count

    _done(output, pdf, f"Sổ đăng bộ khóa {course.strip()}: {page_count(pdf)} trang", published)


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
@click.option("--bind-with", "bind_with", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Bản in học kỳ I (tệp PDF) mà bản in cuối năm đóng cùng: giữ nguyên cách đánh số trang của nó.")
@_edition_options
@click.option("-o", "--output", callback=existing_folder, type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tệp PDF sẽ ghi.")
@db_option
def mark_book_cmd(engine: Engine, class_name: str | None, year: str | None, school_code: str | None, paper: str,
                  duplex: bool, part: str, bind_with: Path | None, draft: bool, username: str | None,
                  key_dir: str | None, passphrase_file: str | None, output: Path | None) -> None:
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
    _require_printer(draft, username)
    assert class_name and year and output and paper_key and part_key  # for the type checker; fail() exits

    from layouts.batch import MARKBOOK, make_job
    from layouts.markbook import plan_from_pdf
    from records.books.markbook import find_class
    from records.db import session_scope

    with _staged(output) as staged, session_scope(engine) as session:
        klass = find_class(session, class_name, year, school_code=school_code)
        plan = None
        if bind_with is not None:
            start = klass.grade.school_year.start_year
            plan = plan_from_pdf(bind_with.read_bytes(), klass.name, f"{start}-{start + 1}")
        job = make_job(MARKBOOK, klass.id, paper=paper_key, duplex=duplex, part=part_key,
                       plan=tuple(sorted(plan.items())) if plan else None)
        book = _print_one(session, engine, job, klass.school_id, draft, username, key_dir, passphrase_file)
        doc, pdf, published = book.document, book.pdf, book.published
        if plan and doc.book.total_pages != sum(plan.values()):
            click.echo(f"Chú ý: sổ nay có {doc.book.total_pages} trang, bản in học kỳ I đánh số cho "
                       f"{sum(plan.values())} trang; hãy in lại phần học kỳ I (--part term1) để đóng thành sổ.",
                       err=True)
        staged.write(pdf)
    _done(output, pdf, f"Sổ lớp {klass.name}, năm học {year.strip()}: {len(doc.pages)}/{doc.book.total_pages} trang",
          published)


def _print_one(session: Session, engine: Engine, job: Any, school_id: int, draft: bool, username: str | None,
               key_dir: str | None, passphrase_file: str | None) -> Any:
    """The one book of a single-book command, through ``layouts.batch.print_book`` (draft or signed)."""
    from layouts.batch import print_book

    if draft:  # read as the user named, else as the installation (the server's command line)
        from records.permissions import Actor

        actor = signed_in_actor(session, username) if username else Actor.system("in bản nháp bằng dòng lệnh")
        books = print_book(session, actor, job, draft=True)
    else:
        signing = _signing(session, engine, school_id, username or "", key_dir, passphrase_file)
        books = print_book(session, signing.actor, job, private_key=signing.private_key,
                           pdf_signer=signing.pdf_signer)
    return books[0]


@print_group.command("school")
@click.option("--year", required=True, metavar="NĂM", help="Năm học, ví dụ 2025-2026.")
@click.option("--school", "school_code", default=None, metavar="MÃ",
              help="Mã trường (khi cơ sở dữ liệu có nhiều trường).")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Thư mục ghi các sổ và manifest.json.")
@click.option("--workers", type=click.IntRange(0, 64), default=None,
              help="Số tiến trình in song song (mặc định: số lõi CPU; 0: in trong tiến trình này).")
@click.option("--reprint", is_flag=True,
              help="In lại mọi sổ (bản in mới thay bản cũ), kể cả các sổ một lượt in trước đã in xong.")
@click.option("--quiet", is_flag=True, help="Không hiện thanh tiến trình.")
@click.option("--queue", "queue_url", default=None, metavar="REDIS_URL",
              help="In qua hàng đợi (RQ trên Redis, ví dụ redis://127.0.0.1:6379/0): các máy chạy «sodientu worker» "
                   "nhận việc; không ghi thì in bằng các tiến trình của máy này.")
@click.option("--queue-name", default="sodientu-print", show_default=True, help="Tên hàng đợi in.")
@click.option("--as", "username", required=True, metavar="TÊN_ĐĂNG_NHẬP", help="Người in (cán bộ văn phòng).")
@click.option("--key-dir", default=None, metavar="THƯ_MỤC", help="Thư mục khóa ký (mặc định: keys/ cạnh CSDL).")
@click.option("--passphrase-file", default=None, metavar="TỆP",
              help="Tệp chứa mật khẩu khóa ký (hoặc biến môi trường SODIENTU_KEY_PASSPHRASE).")
@db_option
def school_cmd(engine: Engine, year: str, school_code: str | None, out_dir: Path, workers: int | None,
               reprint: bool, quiet: bool, queue_url: str | None, queue_name: str, username: str,
               key_dir: str | None, passphrase_file: str | None) -> None:
    """In mọi sổ của một năm học: sổ theo dõi và đánh giá của mọi lớp, học bạ năm học của mọi học sinh,
    học bạ toàn cấp của học sinh lớp 9, sổ đăng bộ; kèm manifest.json.

    Lượt in bị ngắt (Ctrl-C, mất điện…) được in tiếp khi chạy lại cùng lệnh: sổ đã in xong không
    được in lại và không sinh bản in thứ hai.
    """
    from layouts.batch import BatchConfig
    from layouts.printrun import print_run, school_year_jobs, write_run_manifest
    from records.db import session_scope
    from records.models import School
    from web.cli import fail

    with session_scope(engine) as session:
        code, start, jobs = school_year_jobs(session, school_code, year)
        school = session.scalars(select(School).where(School.code == code)).one()
        school_id, school_name = school.id, school.name
        _signing(session, engine, school_id, username, key_dir, passphrase_file)  # checks user, key, passphrase
        key = _key_files(session, engine, school_id, key_dir, passphrase_file)
    name = f"{start}-{start + 1}"
    config = BatchConfig(db_url=engine.url.render_as_string(hide_password=False), out_dir=str(out_dir),
                         key_file=str(key.key_file), passphrase=key.passphrase, username=username,
                         workers=workers, p12_file=str(key.p12_file) if key.p12_file else None)
    execute = None
    if queue_url:
        from layouts.printqueue import queued, settle_earlier_runs

        # an earlier queued run into this folder: its queued jobs are cancelled, its started ones finish first
        settle_earlier_runs(queue_url, str(out_dir), queue_name=queue_name)
        execute = queued(queue_url, queue_name=queue_name)
    bar = PrintProgress(jobs, quiet)
    try:
        report = print_run(config, jobs, progress=bar.update, reprint=reprint, on_resume=bar.resumed,
                           execute=execute)
    finally:
        bar.close()
    info = {"generator": "sodientu print school", "school": school_name, "school_code": code, "school_year": name}
    manifest = write_run_manifest(out_dir, report.files, info=info)
    click.echo(f"Đã in {len(report.files)} tệp PDF có ký ({report.pages} trang) của năm học {name} vào {out_dir}"
               + (f"; {report.skipped_jobs} sổ đã in xong ở lượt trước, không in lại" if report.skipped_jobs else "")
               + f". Danh sách tệp: {manifest}")
    if report.batch is not None:
        b = report.batch
        click.echo(f"Lượt này: {b.wall:.1f} giây với {b.workers} tiến trình (CPU {b.worker_cpu + b.check_cpu:.1f} giây, "
                   f"bộ nhớ tối đa mỗi tiến trình {b.worker_peak_rss_mb:.0f} MB).")
    if report.interrupted:
        fail("Đã dừng lượt in. Chạy lại cùng lệnh để in tiếp các sổ còn lại.", "print run interrupted", code=130)
    if report.failures:
        for outcome in report.failures[:20]:
            click.secho(f"  {outcome.error_vi}", fg="red", err=True)
        fail(f"{len(report.failures)} sổ không in được (xem các dòng trên); các sổ khác đã in và có trong "
             f"{manifest.name}. Chạy lại cùng lệnh để in lại các sổ lỗi.", f"{len(report.failures)} print jobs failed")


class PrintProgress:
    """A progress bar weighted by the books' pages, with an ETA (tqdm); ``update`` per finished job."""

    def __init__(self, jobs: Any, quiet: bool, desc: str = "In sổ") -> None:
        import sys

        from tqdm import tqdm

        from layouts.printrun import job_key, job_weight

        self._weights = {job_key(j): job_weight(j) for j in jobs}
        self._key = job_key
        self.pages = 0
        self.bar = tqdm(total=sum(self._weights.values()), desc=desc, unit="", file=sys.stderr, disable=quiet,
                        leave=True, dynamic_ncols=True,
                        bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix} [{elapsed}<{remaining}]")

    def resumed(self, resumed: Any) -> None:
        """Count the books an earlier run finished."""
        done = sum(self._weights.get(k, 0) for k in resumed.done)
        if done:  # the bar and its ETA count this run's books only
            self.bar.reset(total=max(1, self.bar.total - done))
            self.bar.set_postfix_str(f"{len(resumed.done)} sổ đã in ở lượt trước", refresh=True)

    def update(self, outcome: Any) -> None:
        self.pages += sum(f.pages for f in outcome.files)
        self.bar.set_postfix_str(f"{self.pages} trang", refresh=False)
        self.bar.update(self._weights.get(self._key(outcome.job), 1))

    def close(self) -> None:
        self.bar.close()


@dataclass(frozen=True)
class _Signer:
    """Who prints and with which keys (``_signing``)."""

    actor: Actor
    private_key: Ed25519PrivateKey
    pdf_signer: PdfSigner | None


def _signing(session: Session, engine: Engine, school_id: int, username: str, key_dir: str | None,
             passphrase_file: str | None) -> _Signer:
    """The office user printing and the school's active signing key (+ PDF certificate when present).

    The key file is ``<key dir>/<key id>.key.pem`` (``--key-dir``, default ``keys/`` beside a SQLite
    database); the passphrase comes from ``--passphrase-file``, else ``SODIENTU_KEY_PASSPHRASE``,
    else a prompt. ``keys/school-cert.p12``, when present, PAdES-signs the PDF.
    """
    from signing.keys import load_private_key

    actor = signed_in_actor(session, username)
    key = _key_files(session, engine, school_id, key_dir, passphrase_file)
    private_key = load_private_key(key.key_file, key.passphrase)
    signer = None
    if key.p12_file is not None:
        from signing.pdfsign import load_p12

        signer = load_p12(key.p12_file.read_bytes(), key.passphrase)
    return _Signer(actor, private_key, signer)


@dataclass(frozen=True)
class _KeyFiles:
    """The school's active key file, its passphrase and the PDF certificate file if any."""

    key_file: Path
    passphrase: str
    p12_file: Path | None


def _key_files(session: Session, engine: Engine, school_id: int, key_dir: str | None,
               passphrase_file: str | None) -> _KeyFiles:
    """Find the school's active key file and its passphrase (see :func:`_signing`)."""
    from records.models import KeyKind
    from records.services import editions as es
    from signing.keyfiles import (
        P12_NAME,
        default_key_dir,
        private_key_path,
    )
    from web.cli import fail

    keys = es.active_keys(session, school_id=school_id, kind=KeyKind.ED25519)
    if not keys:
        fail("Trường chưa có khóa ký mã QR: dùng «sodientu keys init» để tạo, hoặc in bản nháp với --draft.",
             f"no active signing key for school {school_id}")
    folder = Path(key_dir) if key_dir else default_key_dir(engine.url.render_as_string(hide_password=False))
    key_file = private_key_path(folder, keys[-1].key_id)
    if not key_file.is_file():
        fail(f"Không thấy tệp khóa ký {key_file}. Chỉ rõ thư mục khóa với --key-dir, hoặc in bản nháp với --draft.",
             f"missing key file {key_file}")
    passphrase = key_passphrase(passphrase_file)
    p12 = folder / P12_NAME
    return _KeyFiles(key_file, passphrase, p12 if p12.is_file() else None)


def register(cli: click.Group) -> None:
    cli.add_command(print_group)
