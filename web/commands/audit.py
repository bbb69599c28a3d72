"""Governance commands: ``audit verify|seal``, ``lock decide|execute|status``, ``correction request|approve|
reject|apply|show|print``. Acting commands take ``--as USERNAME`` and that user's password (prompted, or
``SODIENTU_PASSWORD``; witnesses ``SODIENTU_PASSWORD_<USERNAME>``): the service checks that user's rights."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import click
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from records.db import session_scope
from records.errors import NotFoundError
from records.models import (
    Book,
    Class,
    CorrectionRequest,
    Enrolment,
    Grade,
    MarkKind,
    School,
    SchoolYear,
    Student,
    Subject,
    Term,
)
from records.permissions import Action, require
from records.services import lookups
from records.services.context import vn_time
from web.cli import db_option, existing_folder, fail
from web.passwords import key_passphrase, signed_in_actor

as_option = click.option("--as", "username", required=True, metavar="USERNAME", help="Tên đăng nhập của người thực hiện.")


def _school(session: Session, code: str) -> School:
    return lookups.school_by_code(session, code)


def _year(session: Session, school: School, start_year: int) -> SchoolYear:
    return lookups.year_of(session, school, start_year)


def _term(session: Session, year: SchoolYear, number: int | None) -> Term | None:
    if number is None:
        return None
    term = session.scalars(select(Term).where(Term.school_year_id == year.id, Term.number == number)).one_or_none()
    if term is None:
        raise NotFoundError(f"Năm học {year.name} không có học kì {number}.", f"no term {number}")
    return term


def _class(session: Session, year: SchoolYear, name: str | None) -> Class | None:
    if name is None:
        return None
    klass = session.scalars(select(Class).join(Grade, Grade.id == Class.grade_id)
                            .where(Grade.school_year_id == year.id, Class.name == name)).one_or_none()
    if klass is None:
        raise NotFoundError(f"Năm học {year.name} không có lớp {name}.", f"no class {name}")
    return klass


def _load_key(key_file: str, passphrase_file: str | None):  # type: ignore[no-untyped-def]
    """The school's Ed25519 key from its PEM file; the passphrase is asked only for an encrypted file."""
    from pathlib import Path

    from signing.keys import load_private_key

    pem = Path(key_file).read_bytes()
    if b"ENCRYPTED" not in pem:
        click.secho(f"Cảnh báo: tệp khóa {key_file} không được mã hóa; hãy giữ khóa bí mật trong tệp có mật khẩu "
                    "(«sodientu keys init»).", fg="yellow", err=True)
        return load_private_key(pem)
    return load_private_key(pem, key_passphrase(passphrase_file))


def _verifier_from(public_key_file: str | None) -> Callable[[bytes, str, bytes], bool] | None:
    if not public_key_file:
        return None
    from cryptography.exceptions import InvalidSignature

    from signing.keys import key_id, load_public_key

    with open(public_key_file, "rb") as handle:
        public = load_public_key(handle.read())
    expected_id = key_id(public)

    def verify(payload: bytes, kid: str, signature: bytes) -> bool:
        if kid != expected_id:
            return False
        try:
            public.verify(signature, payload)
        except InvalidSignature:
            return False
        return True

    return verify


# --- audit ------------------------------------------------------------------------------------


@click.group("audit")
def audit_group() -> None:
    """Nhật kí lưu vết: kiểm tra toàn vẹn, niêm phong."""


@audit_group.command("verify")
@click.option("--school", "school_code", default=None, metavar="CODE", help="Chỉ kiểm tra chuỗi của một trường.")
@click.option("--public-key", "public_key", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Khóa công khai của trường (PEM) để kiểm tra chữ kí các điểm niêm phong.")
@click.option("--seal", "seal_file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Tệp niêm phong đã công bố (tệp Hiệu trưởng giữ, hoặc nhật kí niêm phong trong kho lưu trữ). "
                   "Mặc định: nhật kí niêm phong của kho lưu trữ, nếu có.")
@click.option("--seq", "seal_seq", default=None, type=click.IntRange(1), metavar="N",
              help="Số thứ tự của điểm niêm phong cuối đã công bố (cần --school).")
@db_option
def verify_cmd(engine: Engine, school_code: str | None, public_key: str | None, seal_file: str | None,
               seal_seq: int | None) -> None:
    """Kiểm tra chuỗi băm của nhật kí lưu vết và đối chiếu với điểm niêm phong đã công bố (mã thoát 1 khi hỏng)."""
    from pathlib import Path

    from records import audit

    if seal_seq is not None and not school_code:
        fail("--seq cần --school (số thứ tự thuộc chuỗi của một trường).", "--seq without --school")
    with session_scope(engine) as session:
        school_id = _school(session, school_code).id if school_code else None
        published: dict[int, Any] = {}
        source = seal_file
        kept = _archive_seals(session) if source is None and seal_seq is None else None
        if kept is not None:  # an archive in an object store keeps the seals (archive.seals)
            published.update(kept[0])
            source = kept[1]
        elif source is None and seal_seq is None:
            log_path = audit.seal_log_path(session)
            source = str(log_path) if log_path is not None and log_path.is_file() else None
        if source is not None and kept is None:
            published.update(audit.read_published_seals(Path(source)))
        if seal_seq is not None:
            published[audit.chain_of(school_id)] = seal_seq
        if school_id is not None:
            published = {c: v for c, v in published.items() if c == audit.chain_of(school_id)}
        total = audit.count_entries(session, school_id)
        with click.progressbar(length=total, label="Đang kiểm tra nhật kí lưu vết", file=sys.stderr,
                               show_pos=True, show_eta=True) as bar:
            report = audit.verify(session, school_id, verifier=_verifier_from(public_key), published=published,
                                  progress=bar.update)
    against = (f" Đã đối chiếu với điểm niêm phong đã công bố ({source or f'số thứ tự {seal_seq}'})."
               if published else " CHƯA đối chiếu với điểm niêm phong đã công bố (dùng --seal TỆP hoặc --seq N).")
    if report.ok:
        signed = (f", {report.signatures_checked} chữ kí hợp lệ" if report.signatures_checked
                  else " (chưa kiểm tra chữ kí: thiếu --public-key)" if report.checkpoints else "")
        click.echo(f"Nhật kí toàn vẹn: {report.entries} mục, {report.chains} chuỗi, "
                   f"{report.checkpoints} điểm niêm phong{signed}.{against}")
        return
    bad = report.first_bad
    assert bad is not None
    chain = f"chuỗi của trường số {bad.chain}" if bad.chain else "chuỗi của hệ thống"
    for problem in report.problems[1:]:
        click.echo(f"  cũng hỏng: chuỗi {problem.chain}: {problem.reason_vi}", err=True)
    fail(f"Nhật kí lưu vết KHÔNG toàn vẹn — {chain}, mục hỏng đầu tiên: {bad.reason_vi}.",
         f"audit log broken (chain {bad.chain}): first bad entry {bad.entry_id}: {bad.reason}")


def _archive_seals(session: Any) -> tuple[dict[int, Any], str] | None:
    """The seals kept in the archive's bucket (None: the archive keeps a seal log file, or there is none)."""
    from archive import seals

    return seals.published(session)


@audit_group.command("seal")
@click.option("--school", "school_code", required=True, metavar="CODE")
@click.option("--key", "key_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Tệp khóa ký của trường (PEM).")
@click.option("--passphrase-file", default=None, metavar="TỆP",
              help="Tệp chứa mật khẩu của tệp khóa (hoặc biến môi trường SODIENTU_KEY_PASSPHRASE; không thì được hỏi).")
@click.option("-o", "--output", callback=existing_folder, default=None, type=click.Path(dir_okay=False),
              help="Tệp niêm phong để Hiệu trưởng giữ (mặc định: niem-phong-<trường>-<số thứ tự>.json).")
@as_option
@db_option
def seal_cmd(engine: Engine, school_code: str, key_file: str, passphrase_file: str | None, output: str | None,
             username: str) -> None:
    """Niêm phong chuỗi nhật kí của trường bằng một điểm niêm phong có chữ kí; ghi tệp niêm phong để giữ riêng."""
    from pathlib import Path

    from sqlalchemy import select as select_

    from records import audit
    from records.models import AuditCheckpoint
    from signing.keys import key_id

    private = _load_key(key_file, passphrase_file)
    kid = key_id(private)
    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        school = _school(session, school_code)
        require(session, actor, Action.AUDIT_SEAL, school)
        checkpoint = audit.seal(session, actor, lambda payload: (kid, private.sign(payload)), school_id=school.id)
        message = (f"Đã niêm phong đến mục {checkpoint.seq} (khóa {kid})." if checkpoint
                   else "Không có mục mới để niêm phong.")
        last = checkpoint or session.scalars(select_(AuditCheckpoint).where(
            AuditCheckpoint.chain == audit.chain_of(school.id)).order_by(AuditCheckpoint.seq.desc())).first()
        sealed = audit.PublishedSeal.of(last, "principal") if last is not None else None
    click.echo(message)
    if sealed is None:
        return
    target = Path(output or f"niem-phong-{school_code}-{sealed.seq}.json")
    target.write_text(sealed.to_json() + "\n", "utf-8")
    click.echo(f"Tệp niêm phong: {target} — Hiệu trưởng giữ tệp này ngoài máy chủ; kiểm tra bằng "
               f"«sodientu audit verify --school {school_code} --seal {target}».")


# --- locks ------------------------------------------------------------------------------------


@click.group("lock")
def lock_group() -> None:
    """Khóa / mở sổ: Hiệu trưởng quyết định, quản trị thực hiện."""


def _scope_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--class", "class_name", default=None, help="Một lớp (mặc định: toàn trường).")(func)
    func = click.option("--term", type=click.IntRange(1, 2), default=None, help="Học kì (mặc định: cả năm).")(func)
    func = click.option("--year", "start_year", type=int, required=True, help="Năm bắt đầu năm học, ví dụ 2025.")(func)
    func = click.option("--school", "school_code", required=True, metavar="CODE")(func)
    func = click.option("--book", type=click.Choice([b.value for b in Book]), default=Book.MARK_BOOK.value)(func)
    return func


@lock_group.command("decide")
@_scope_options
@click.option("--open", "open_", is_flag=True, help="Quyết định mở sổ (mặc định: khóa).")
@click.option("--ref", "decision_ref", required=True, help="Số, ngày quyết định.")
@as_option
@db_option
def decide_cmd(engine: Engine, book: str, school_code: str, start_year: int, term: int | None,
               class_name: str | None, open_: bool, decision_ref: str, username: str) -> None:
    """Hiệu trưởng quyết định khóa (hoặc mở) sổ."""
    from records.services import locks

    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        school = _school(session, school_code)
        year = _year(session, school, start_year)
        decision = locks.decide(session, actor, book=Book(book), school_year=year, term=_term(session, year, term),
                                klass=_class(session, year, class_name), lock=not open_, decision_ref=decision_ref)
        text = f"Đã ghi quyết định số {decision.id}: {'mở' if open_ else 'khóa'} {locks.scope_text(session, decision)}."
    click.echo(text + " Quản trị thực hiện bằng: sodientu lock execute " + str(decision.id))


@lock_group.command("execute")
@click.argument("decision_id", type=int)
@as_option
@db_option
def execute_cmd(engine: Engine, decision_id: int, username: str) -> None:
    """Quản trị thực hiện quyết định khóa / mở sổ."""
    from records.services import locks

    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        decision = locks.execute(session, actor, decision_id)
        text = f"Đã {'khóa' if decision.locks else 'mở'} {locks.scope_text(session, decision)}."
    click.echo(text)


@lock_group.command("status")
@click.option("--school", "school_code", required=True, metavar="CODE")
@click.option("--year", "start_year", type=int, required=True)
@db_option
def status_cmd(engine: Engine, school_code: str, start_year: int) -> None:
    """Liệt kê các quyết định khóa / mở sổ của năm học."""
    from records.services import locks

    with session_scope(engine) as session:
        year = _year(session, _school(session, school_code), start_year)
        for d in locks.decisions(session, year):
            done = f"thực hiện {vn_time(d.executed_at)}" if d.executed_at else "CHƯA thực hiện"
            click.echo(f"#{d.id} {'Khóa' if d.locks else 'Mở'} {locks.scope_text(session, d)} — {d.decision_ref}, "
                       f"{done}")


# --- corrections ------------------------------------------------------------------------------


@click.group("correction")
def correction_group() -> None:
    """Đơn đề nghị sửa chữa điểm: lập, duyệt, thực hiện."""


@correction_group.command("request")
@click.option("--school", "school_code", required=True, metavar="CODE")
@click.option("--year", "start_year", type=int, required=True)
@click.option("--student", "student_code", required=True, help="Mã học sinh.")
@click.option("--subject", "subject_code", required=True, help="Mã môn, ví dụ toan.")
@click.option("--term", type=click.IntRange(1, 2), required=True)
@click.option("--kind", type=click.Choice([k.value for k in MarkKind]), required=True)
@click.option("--slot", type=int, default=1, show_default=True)
@click.option("--value", "new_value", required=True, help="Giá trị mới; để trống \"\" để xóa điểm.")
@click.option("--reason", required=True)
@as_option
@db_option
def request_cmd(engine: Engine, school_code: str, start_year: int, student_code: str, subject_code: str,
                term: int, kind: str, slot: int, new_value: str, reason: str, username: str) -> None:
    """Giáo viên lập đơn đề nghị sửa một điểm."""
    from records.services import corrections

    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        school = _school(session, school_code)
        year = _year(session, school, start_year)
        term_row = _term(session, year, term)
        assert term_row is not None
        enrolment = session.scalars(
            select(Enrolment).join(Student, Student.id == Enrolment.student_id)
            .join(Class, Class.id == Enrolment.class_id).join(Grade, Grade.id == Class.grade_id)
            .where(Student.code == student_code, Grade.school_year_id == year.id)
            .order_by(Enrolment.id.desc())).first()
        subject = session.scalars(select(Subject).where(Subject.school_id == school.id,
                                                        Subject.code == subject_code)).one_or_none()
        if enrolment is None or subject is None:
            raise NotFoundError("Không tìm thấy học sinh trong năm học hoặc môn học.", "student or subject not found")
        request = corrections.request_correction(
            session, actor, enrolment_id=enrolment.id, subject_id=subject.id, term_id=term_row.id, kind=kind,
            slot=slot, new_value=new_value or None, reason=reason)
        text = (f"Đã lập đơn số {request.id}: {request.old_value or '(trống)'} → {request.new_value or '(xóa)'}. "
                "Chờ Hiệu trưởng phê duyệt.")
    click.echo(text)


@correction_group.command("approve")
@click.argument("request_id", type=int)
@click.option("--note", default=None)
@click.option("--reject", is_flag=True, help="Không duyệt.")
@as_option
@db_option
def approve_cmd(engine: Engine, request_id: int, note: str | None, reject: bool, username: str) -> None:
    """Hiệu trưởng phê duyệt (hoặc --reject: không duyệt) đơn đề nghị."""
    from records.services import corrections

    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        decide = corrections.reject if reject else corrections.approve
        request = decide(session, actor, request_id, note)
        text = f"Đơn số {request.id}: {request.status.label_vi}."
    click.echo(text)


@correction_group.command("reject")
@click.argument("request_id", type=int)
@click.option("--note", default=None)
@as_option
@db_option
def reject_cmd(engine: Engine, request_id: int, note: str | None, username: str) -> None:
    """Hiệu trưởng không duyệt đơn đề nghị."""
    from records.services import corrections

    with session_scope(engine) as session:
        request = corrections.reject(session, signed_in_actor(session, username), request_id, note)
        text = f"Đơn số {request.id}: {request.status.label_vi}."
    click.echo(text)


@correction_group.command("apply")
@click.argument("request_id", type=int)
@click.option("--leader", required=True, metavar="USERNAME", help="Đại diện Ban giám hiệu chứng kiến.")
@click.option("--board", required=True, metavar="USERNAME", help="Đại diện Ban quản trị chứng kiến.")
@click.option("--requester-present", is_flag=True, help="Người đề nghị có mặt (bắt buộc).")
@as_option
@db_option
def apply_cmd(engine: Engine, request_id: int, leader: str, board: str, requester_present: bool,
              username: str) -> None:
    """Quản trị thực hiện sửa chữa đã duyệt, trước các người chứng kiến."""
    from records.services import corrections

    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        leader_actor, board_actor = signed_in_actor(session, leader), signed_in_actor(session, board)
        assert leader_actor.user_id is not None and board_actor.user_id is not None
        request = corrections.apply(session, actor, request_id, leader=leader_actor.user_id,
                                    board=board_actor.user_id, requester_present=requester_present)
        text = f"Đã sửa theo đơn số {request.id}: {request.old_value or '(trống)'} → {request.new_value or '(xóa)'}."
    click.echo(text)


def _json_default(value: object) -> str:
    if isinstance(value, (Decimal, dt.date)):
        return str(value)
    raise TypeError(type(value).__name__)


@correction_group.command("show")
@click.argument("request_id", type=int)
@as_option
@db_option
def show_cmd(engine: Engine, request_id: int, username: str) -> None:
    """In đơn đề nghị / biên bản sửa chữa dưới dạng JSON (để dàn trang)."""
    from records.services import corrections

    with session_scope(engine) as session:
        actor = signed_in_actor(session, username)
        request = session.get(CorrectionRequest, request_id)
        if request is None:
            raise NotFoundError(f"Không có đơn số {request_id}.", f"no correction request {request_id}")
        require(session, actor, Action.RECORDS_READ, request)
        document = corrections.correction_document(request, session)
    click.echo(json.dumps(document, ensure_ascii=False, indent=2, default=_json_default))


@correction_group.command("print")
@click.argument("request_id", type=int)
@click.option("-o", "--output", callback=existing_folder, type=click.Path(dir_okay=False), required=True, help="Tệp PDF sẽ ghi.")
@click.option("--only", type=click.Choice(["form", "record"]), default=None,
              help="Chỉ in đơn đề nghị (form) hoặc chỉ in biên bản chỉnh sửa dữ liệu (record).")
@click.option("--key", "key_file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Khóa ký của trường (PEM): in thành bản in có mã QR và ghi nhận (quyền của văn phòng).")
@click.option("--passphrase-file", default=None, metavar="TỆP",
              help="Tệp chứa mật khẩu của tệp khóa (hoặc biến môi trường SODIENTU_KEY_PASSPHRASE; không thì được hỏi).")
@as_option
@db_option
def print_cmd(engine: Engine, request_id: int, output: str, only: str | None, key_file: str | None,
              passphrase_file: str | None, username: str) -> None:
    """In đơn đề nghị chỉnh sửa điểm và biên bản chỉnh sửa dữ liệu (PDF) để lưu hồ sơ Ban quản trị."""
    from layouts.correction import print_correction

    private = None
    if key_file:

        private = _load_key(key_file, passphrase_file)
    with session_scope(engine) as session:
        pdf = print_correction(session, request_id, signed_in_actor(session, username),
                               part=only or "all", private_key=private)  # type: ignore[arg-type]
    with open(output, "wb") as handle:
        handle.write(pdf)
    click.echo(f"Đã in {output} ({len(pdf) // 1024} kB).")


def register(cli: click.Group) -> None:
    cli.add_command(audit_group)
    cli.add_command(lock_group)
    cli.add_command(correction_group)
