"""The archive: everything the school must keep, content-addressed, with its metadata in the database.

Interface (stable; see archive/README.md):

- ``archive.store``: ``Store`` (``put`` → ``Stored(sha256, size)``, ``open``, ``read``, ``exists``,
  ``size``, iteration, ``verify``), ``LocalStore`` (the embedded default), ``S3Store`` (boto3),
  ``open_store(location)``;
- ``deposit(session, actor, data, *, kind, school_id, …) -> ArchiveItem`` (rights checked, audited);
- ``issued_pdf(session, edition_id) -> bytes | None`` (the PDF of an edition as issued);
- ``install()``: every edition published from now on (``layouts.publish``) is deposited at issue;
- ``check``, ``delete_expired``/``purge``, ``store_for``/``use_store``.
"""

from __future__ import annotations

from archive.config import ARCHIVE_ENV, store_for, use_store
from archive.items import (
    CheckProblem,
    CheckReport,
    check,
    delete_expired,
    deposit,
    deposit_issued,
    issued_item,
    issued_pdf,
    purge,
    read_verified,
)
from archive.store import LocalStore, S3Store, Store, Stored, open_store
from records.models import ArchiveItem, ArchiveKind

ISSUE_LISTENER = "archive.items:deposit_issued"


def install() -> None:
    """Deposit every edition issued from now on, in this process and in print workers (idempotent)."""
    from archive import seals
    from layouts.publish import add_issue_listener

    add_issue_listener(ISSUE_LISTENER)
    seals.install()  # an archive in an object store keeps the audit seals too


__all__ = [
    "ARCHIVE_ENV",
    "ISSUE_LISTENER",
    "ArchiveItem",
    "ArchiveKind",
    "CheckProblem",
    "CheckReport",
    "LocalStore",
    "S3Store",
    "Store",
    "Stored",
    "check",
    "delete_expired",
    "deposit",
    "deposit_issued",
    "install",
    "issued_item",
    "issued_pdf",
    "open_store",
    "purge",
    "read_verified",
    "store_for",
    "use_store",
]
