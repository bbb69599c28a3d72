"""``sodientu backup -o FILE`` and ``sodientu restore FILE --db URL``: the whole installation in one file.

The archive takes part through a plug-in: ``archive.backup`` provides ``backup_source(engine)`` and
``restore_sink(engine)`` (see docs/DATA-EXCHANGE.md); its index (and with ``--with-files`` its files) go into
the backup. Without an archive configured the backup holds the database and the keys' public parts, and says
so; after a restore with files, every archived item is re-hashed in the restored store.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine

from records.permissions import Actor
from web.cli import db_option, existing_folder, fail

_PUBLIC_NAMES = ("trust.json",)
_PUBLIC_SUFFIXES = (".pub.pem", ".crt", ".cert.pem")


def _archive_plugin() -> Any | None:
    try:
        return importlib.import_module("archive.backup")
    except ModuleNotFoundError:
        return None


def _public_files(key_dir: Path) -> list[tuple[str, bytes]]:
    """The public key files and the trust list of the key folder (never a private key)."""
    if not key_dir.is_dir():
        return []
    return [(p.name, p.read_bytes()) for p in sorted(key_dir.iterdir())
            if p.is_file() and (p.name in _PUBLIC_NAMES or p.name.endswith(_PUBLIC_SUFFIXES))]


def _trust_verifier(session: Any) -> Any:
    """Checks a checkpoint's signature with the restored trust list (Ed25519 keys of ``signing_key``)."""
    from cryptography.exceptions import InvalidSignature

    from signing.trust import DbTrustList

    trust = DbTrustList(session)

    def verify(payload: bytes, kid: str, signature: bytes) -> bool:
        entry = trust.lookup(kid)
        if entry is None:
            return False
        try:
            entry.public_key.verify(signature, payload)
        except InvalidSignature:
            return False
        return True

    return verify


def _key_dir(engine: Engine, key_dir: Path | None) -> Path:
    from signing.keyfiles import default_key_dir

    return key_dir or default_key_dir(engine.url.render_as_string(hide_password=False))


@click.command("backup")
@click.option("-o", "--output", callback=existing_folder, type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Tệp sao lưu sẽ ghi (ví dụ sodientu-2026-06-15.sdtbak).")
@click.option("--with-files", is_flag=True, help="Kèm cả các tệp đã lưu trữ (bản quét, bản in), không chỉ mục lục.")
@click.option("--key-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Thư mục khóa (chỉ lấy phần công khai; mặc định: keys/ cạnh CSDL SQLite hoặc ./keys).")
@db_option
def backup_cmd(engine: Engine, output: Path, with_files: bool, key_dir: Path | None) -> None:
    """Sao lưu toàn bộ dữ liệu vào một tệp: CSDL, phần công khai của khóa, mục lục lưu trữ."""
    from records.interop.backup import backup

    plugin = _archive_plugin()
    source = plugin.backup_source(engine) if plugin is not None else None
    if with_files and source is None:
        click.secho("Chưa có kho lưu trữ: bản sao lưu chỉ gồm CSDL và khóa công khai.", fg="yellow", err=True)
    partial = output.with_name(output.name + ".part")
    try:
        with partial.open("wb") as handle:
            summary = backup(engine, Actor.system("sao lưu bằng dòng lệnh"), handle,
                             public_files=_public_files(_key_dir(engine, key_dir)), archive=source,
                             with_files=with_files)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    rows = sum(summary.tables.values())
    click.echo(f"Đã sao lưu vào {output} ({summary.size / 1e6:.1f} MB): {len(summary.tables)} bảng, {rows} dòng, "
               f"{len(summary.key_files)} tệp khóa công khai, {summary.archive_entries} mục lưu trữ, "
               f"{summary.archive_files} tệp lưu trữ. SHA-256 {summary.sha256}.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Nơi ghi lại các khóa công khai và danh sách tin cậy.")
@db_option(create=True)
def restore_cmd(engine: Engine, file: Path, key_dir: Path | None) -> None:
    """Khôi phục một bản sao lưu vào CSDL trống (--db), SQLite hoặc PostgreSQL; kiểm tra nhật kí lưu vết."""
    from records.interop.backup import restore

    plugin = _archive_plugin()
    sink = plugin.restore_sink(engine) if plugin is not None else None
    if sink is None:
        click.secho("Chưa cấu hình kho lưu trữ (SODIENTU_ARCHIVE): phần lưu trữ của bản sao lưu không được khôi phục.",
                    fg="yellow", err=True)
    summary = restore(file, engine, Actor.system("khôi phục bằng dòng lệnh"), key_dir=_key_dir(engine, key_dir),
                      archive=sink, verifier=_trust_verifier)
    rows = sum(summary.tables.values())
    click.echo(f"Đã khôi phục bản sao lưu ngày {summary.created_at}: {len(summary.tables)} bảng, {rows} dòng, "
               f"{len(summary.key_files)} tệp khóa công khai, {summary.archive_entries} mục lưu trữ, "
               f"{summary.archive_files} tệp lưu trữ.")
    if sink is not None and summary.archive_entries:
        _check_archive(engine, sink, with_files=bool(summary.archive_files))
    report = summary.audit
    if not report.ok:
        bad = report.first_bad
        assert bad is not None
        fail(f"Nhật kí lưu vết sau khi khôi phục KHÔNG toàn vẹn: {bad.reason_vi}.", f"restored audit broken: {bad.reason}")
    click.echo(f"Nhật kí lưu vết toàn vẹn: {report.entries} mục, {report.chains} chuỗi, {report.checkpoints} điểm "
               f"niêm phong, {report.signatures_checked} chữ kí đã kiểm tra.")


def _check_archive(engine: Engine, sink: Any, *, with_files: bool) -> None:
    """Re-hash every archived item of the restored database in the restored store."""
    from sqlalchemy.orm import Session

    import archive

    with Session(engine) as session:
        report = archive.check(session, store=sink.store)
    if report.ok:
        click.echo("Kho lưu trữ toàn vẹn: mọi tệp của các mục lưu trữ có mặt và đúng mã băm.")
    elif with_files:
        fail(f"Kho lưu trữ sau khi khôi phục thiếu hoặc hỏng {len(report.problems)} tệp "
             "(chạy «sodientu archive check» để xem).", f"restored archive: {len(report.problems)} problems")
    else:
        click.secho(f"Bản sao lưu không kèm tệp lưu trữ (--with-files) và kho lưu trữ ở máy này thiếu "
                    f"{len(report.problems)} tệp: hãy chép kho lưu trữ cũ sang ({sink.store.location}), rồi chạy "
                    "«sodientu archive check».", fg="yellow", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(backup_cmd)
    cli.add_command(restore_cmd)
