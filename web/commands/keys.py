"""``sodientu keys init|rotate|revoke|list``: the school's signing keys and the trust list."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from web.cli import db_option, fail
from web.passwords import key_passphrase, signed_in_actor


def _passphrase(passphrase_file: str | None, *, confirm: bool) -> str:
    return key_passphrase(passphrase_file, confirm=confirm, prompt="Mật khẩu bảo vệ khóa ký")


def _school(session: Session, code: str | None):  # type: ignore[no-untyped-def]
    from records.models import School

    if code:
        school = session.scalar(select(School).where(School.code == code))
        if school is None:
            fail(f"Không có trường mã «{code}».", f"no school {code!r}")
        return school
    schools = list(session.scalars(select(School).where(School.external.is_(False))))
    if len(schools) != 1:
        fail("Cơ sở dữ liệu có nhiều trường (hoặc chưa có trường nào): hãy chỉ rõ --school MÃ.",
             f"{len(schools)} schools; --school needed")
    return schools[0]


def _actor(session: Session, username: str | None):  # type: ignore[no-untyped-def]
    from records.permissions import Actor

    return signed_in_actor(session, username) if username else Actor.system("quản trị khóa ký bằng dòng lệnh")


def _key_dir(engine: Engine, key_dir: str | None) -> Path:
    from signing.keyfiles import default_key_dir, ensure_key_dir

    return ensure_key_dir(Path(key_dir) if key_dir else default_key_dir(str(engine.url.render_as_string(False))))


def _write_trust(engine: Engine, folder: Path, school_code: str) -> Path:
    """Write ``trust.json`` from the database, atomically, AFTER the change is committed.

    The trust list is derived from the database: a process killed between the commit and this write
    leaves the previous (whole) list, which the next ``sodientu keys`` command (``list`` included)
    brings up to date (``_refresh_trust``).
    """
    from records.db import session_scope
    from records.services import editions as es
    from signing.keyfiles import TRUST_NAME, replace_file
    from signing.trust import trust_rows_to_json

    path = folder / TRUST_NAME
    with session_scope(engine) as session:
        replace_file(path, trust_rows_to_json(es.list_keys(session), school_code))
    return path


def _refresh_trust(engine: Engine, folder: Path) -> bool:
    """Rewrite ``trust.json`` when it is missing its newest state (an interrupted command); True if rewritten."""
    import json

    from records.db import session_scope
    from records.services import editions as es
    from signing.keyfiles import TRUST_NAME
    from signing.trust import trust_rows_to_json

    path = folder / TRUST_NAME
    if not folder.is_dir():
        return False
    with session_scope(engine) as session:
        rows = es.list_keys(session)
        if not rows:
            return False
        try:
            held = json.loads(path.read_bytes())
        except (OSError, ValueError):
            held = {}
        school = str(held.get("school", "")) if isinstance(held, dict) else ""
        expected = json.loads(trust_rows_to_json(rows, school))
    if held == expected:
        return False
    _write_trust(engine, folder, school)
    return True


def _new_key(session: Session, engine: Engine, school, actor, folder: Path, passphrase: str,  # type: ignore[no-untyped-def]
             label: str) -> str:
    from records.models import KeyKind
    from records.services import editions as es
    from signing.keyfiles import private_key_path, write_private_file
    from signing.keys import generate_private_key, key_id, private_key_to_pem, public_key_pem

    key = generate_private_key()
    kid = key_id(key)
    write_private_file(private_key_path(folder, kid), private_key_to_pem(key, passphrase))
    es.register_key(session, actor, key_id=kid, kind=KeyKind.ED25519, public_pem=public_key_pem(key),
                    school_id=school.id, label=label or f"Khóa ký mã QR — {school.name}")
    return kid


common = [
    click.option("--school", "school_code", default=None, metavar="MÃ", help="Mã trường (khi có nhiều trường)."),
    click.option("--key-dir", default=None, metavar="THƯ_MỤC", help="Thư mục khóa (mặc định: keys/ cạnh CSDL)."),
    click.option("--passphrase-file", default=None, metavar="TỆP",
                 help="Tệp chứa mật khẩu (hoặc biến môi trường SODIENTU_KEY_PASSPHRASE)."),
    click.option("--as", "username", default=None, metavar="TÊN_ĐĂNG_NHẬP", help="Người thực hiện (mặc định: hệ thống)."),
]


def _with_common(func):  # type: ignore[no-untyped-def]
    for opt in reversed(common):
        func = opt(func)
    return func


@click.group("keys")
def keys_group() -> None:
    """Khóa ký của nhà trường: tạo, thay khóa, thu hồi, liệt kê."""


@keys_group.command("init")
@_with_common
@click.option("--pdf-cert/--no-pdf-cert", default=True, help="Tạo kèm chứng thư tự ký để ký PDF (bản demo).")
@db_option
def init_cmd(engine: Engine, school_code: str | None, key_dir: str | None, passphrase_file: str | None,
             username: str | None, pdf_cert: bool) -> None:
    """Tạo cặp khóa ký mã QR đầu tiên của trường (khóa bí mật được mã hóa bằng mật khẩu)."""
    from records.db import session_scope
    from records.models import KeyKind
    from records.services import editions as es

    with session_scope(engine) as session:
        school = _school(session, school_code)
        if es.active_keys(session, school_id=school.id, kind=KeyKind.ED25519):
            fail("Trường đã có khóa ký đang dùng; dùng «sodientu keys rotate» để thay khóa.", "active key exists")
        folder = _key_dir(engine, key_dir)
        passphrase = _passphrase(passphrase_file, confirm=True)
        actor = _actor(session, username)
        kid = _new_key(session, engine, school, actor, folder, passphrase, "")
        click.echo(f"Đã tạo khóa ký mã QR {kid}; khóa bí mật (đã mã hóa): {folder / (kid + '.key.pem')}")
        if pdf_cert:
            from signing.keyfiles import P12_NAME, write_private_file
            from signing.pdfsign import load_p12, make_self_signed_p12

            p12 = make_self_signed_p12(school.name, school.name, passphrase, locality=school.district)
            write_private_file(folder / P12_NAME, p12)
            signer = load_p12(p12, passphrase)
            es.register_key(session, actor, key_id=signer.fingerprint, kind=KeyKind.X509,
                            public_pem=signer.certificate_pem, school_id=school.id,
                            label=f"Chứng thư tự ký (demo) — {school.name}")
            click.echo(f"Đã tạo chứng thư số tự ký để ký PDF {signer.fingerprint}: {folder / P12_NAME}")
        code = school.code
    trust = _write_trust(engine, folder, code)
    click.echo(f"Danh sách khóa công khai (cho người kiểm tra ngoại tuyến): {trust}")
    click.echo("Lưu ý: giữ kín thư mục khóa và mật khẩu; không đưa vào kho mã nguồn.")


@keys_group.command("rotate")
@_with_common
@db_option
def rotate_cmd(engine: Engine, school_code: str | None, key_dir: str | None, passphrase_file: str | None,
               username: str | None) -> None:
    """Thay khóa ký: tạo khóa mới; khóa cũ thôi ký nhưng các bản in cũ vẫn kiểm tra được."""
    from records.db import session_scope

    with session_scope(engine) as session:
        school = _school(session, school_code)
        folder = _key_dir(engine, key_dir)
        passphrase = _passphrase(passphrase_file, confirm=True)
        kid = _new_key(session, engine, school, _actor(session, username), folder, passphrase, "")
        code = school.code
    _write_trust(engine, folder, code)
    click.echo(f"Đã thay khóa: khóa mới {kid} đang dùng; khóa cũ chuyển sang «đã thôi dùng».")


@keys_group.command("revoke")
@click.argument("key_id")
@click.option("--reason", required=True, help="Lý do thu hồi (mất, lộ khóa…).")
@click.option("--key-dir", default=None, metavar="THƯ_MỤC")
@click.option("--as", "username", default=None, metavar="TÊN_ĐĂNG_NHẬP")
@db_option
def revoke_cmd(engine: Engine, key_id: str, reason: str, key_dir: str | None, username: str | None) -> None:
    """Thu hồi một khóa: mọi trang do khóa này ký không còn được công nhận."""
    from records.db import session_scope
    from records.models import School
    from records.services import editions as es

    with session_scope(engine) as session:
        row = es.revoke_key(session, _actor(session, username), key_id, reason)
        school = session.get(School, row.school_id) if row.school_id else None
        code, revoked = (school.code if school else ""), row.key_id
    _write_trust(engine, _key_dir(engine, key_dir), code)
    click.echo(f"Đã thu hồi khóa {revoked}.")


@keys_group.command("list")
@click.option("--key-dir", default=None, metavar="THƯ_MỤC", help="Thư mục khóa (mặc định: keys/ cạnh CSDL).")
@db_option
def list_cmd(engine: Engine, key_dir: str | None) -> None:
    """Liệt kê các khóa trong danh sách tin cậy (và cập nhật trust.json nếu lần trước bị ngắt giữa chừng)."""
    from records.db import session_scope
    from records.services import editions as es
    from signing.keyfiles import default_key_dir

    folder = Path(key_dir) if key_dir else default_key_dir(str(engine.url.render_as_string(False)))
    if _refresh_trust(engine, folder):
        click.echo(f"Đã cập nhật danh sách khóa công khai {folder / 'trust.json'} (lần trước bị ngắt giữa chừng).")

    labels = {"active": "đang dùng", "retired": "đã thôi dùng", "revoked": "ĐÃ THU HỒI"}
    with session_scope(engine) as session:
        rows = es.list_keys(session)
        if not rows:
            click.echo("Chưa có khóa nào. Dùng «sodientu keys init».")
        for r in rows:
            dates = f"từ {r.valid_from:%d/%m/%Y}"
            if r.retired_on:
                dates += f", thôi dùng {r.retired_on:%d/%m/%Y}"
            if r.revoked_on:
                dates += f", thu hồi {r.revoked_on:%d/%m/%Y} ({r.revoked_reason})"
            click.echo(f"{r.key_id:<16}  {r.kind.value:<7}  {labels[r.status.value]:<12}  {dates}  {r.label}")


def register(cli: click.Group) -> None:
    """Add the command group to the CLI."""
    cli.add_command(keys_group)
