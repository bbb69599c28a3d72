"""``sodientu edition revoke|list``: printed editions of the books."""

from __future__ import annotations

import click
from sqlalchemy import Engine

import records.services.editions  # noqa: F401  - registers the correction hook for every command
from records.services.context import vn_time
from web.cli import db_option, fail
from web.passwords import signed_in_actor

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _hex_prefix(text: str) -> str:
    """An edition given as UUID (or hex prefix) or as the printed code "WDGP-ZZKA" → hex prefix."""
    t = text.strip().upper().replace(" ", "")
    if "·" in t:
        t = t.split("·")[0]
    compact = t.replace("-", "")
    if len(compact) == 8 and all(c in CROCKFORD for c in compact):
        n = 0
        for c in compact:
            n = n * 32 + CROCKFORD.index(c)
        return f"{n:010x}"
    return compact.lower()


@click.group("edition")
def edition_group() -> None:
    """Các bản in (ấn bản) của sổ: liệt kê, thu hồi."""


@edition_group.command("revoke")
@click.argument("edition_id")
@click.option("--reason", required=True, help="Lý do thu hồi (ví dụ: học bạ báo mất).")
@click.option("--as", "username", required=True, metavar="TÊN_ĐĂNG_NHẬP",
              help="Người quyết định thu hồi (hiệu trưởng).")
@db_option
def revoke_cmd(engine: Engine, edition_id: str, reason: str, username: str) -> None:
    """Thu hồi một bản in (quyết định của hiệu trưởng): mọi trang của nó không còn được công nhận."""
    from records.db import session_scope
    from records.services import editions as es
    from signing.payload import edition_short_id

    with session_scope(engine) as session:
        found = es.find_editions(session, _hex_prefix(edition_id))
        if not found:
            fail(f"Không có bản in «{edition_id}».", f"no edition {edition_id!r}")
        if len(found) > 1:
            fail(f"Mã «{edition_id}» ứng với nhiều bản in; hãy ghi đầy đủ mã.", "ambiguous edition id")
        # The right (Action.EDITIONS_REVOKE, the principal's) is checked by the service on the edition.
        edition = es.revoke_edition(session, signed_in_actor(session, username), found[0].id, reason)
        click.echo(f"Đã thu hồi bản in {edition_short_id(edition.id)} ({edition.id}): {edition.title}.")


@edition_group.command("list")
@click.option("--limit", default=30, show_default=True)
@db_option
def list_cmd(engine: Engine, limit: int) -> None:
    """Liệt kê các bản in gần nhất."""
    from records.db import session_scope
    from records.services import editions as es
    from signing.payload import edition_short_id

    labels = {"current": "hiện hành", "outdated": "có sửa chữa sau in", "superseded": "đã thay thế",
              "revoked": "ĐÃ THU HỒI"}
    with session_scope(engine) as session:
        for e in es.list_editions(session, limit=limit):
            click.echo(f"{edition_short_id(e.id)}  {vn_time(e.created_at)}  {labels[e.status.value]:<18}  "
                       f"{e.page_count:>3} tr.  {e.title}")


def register(cli: click.Group) -> None:
    """Add the command group to the CLI."""
    cli.add_command(edition_group)
