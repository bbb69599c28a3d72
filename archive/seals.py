"""Audit seals published into an archive kept in an object store (issue 10: seals outside the database).

A local archive folder keeps the seal log as a file (``records.audit.seal_log_path``: one JSON line per
seal, appended, never rewritten). An S3 bucket has no append: each seal is an object of its own,
``<prefix>seals/<chain>/<seq>-<hash>.json`` holding the same JSON line. Keys are never reused (a seal's
chain position and hash name it), so the set of objects is the append-only log; the last seal of a chain
is its highest sequence number. ``sodientu audit verify`` reads them when no seal file is given.

Registered by ``archive.install()`` (``records.audit.add_seal_publisher``); print workers register it
when they first deposit an issued edition.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from records import audit
from records.audit import PublishedSeal

log = logging.getLogger(__name__)

PREFIX = "seals/"


def _s3_store(session: Session):  # type: ignore[no-untyped-def]
    from archive.config import store_for
    from archive.errors import ArchiveConfigError
    from archive.store import S3Store

    try:
        store = store_for(session)
    except ArchiveConfigError:
        return None
    return store if isinstance(store, S3Store) else None


def publish(session: Session, seals: list[PublishedSeal]) -> bool:
    """Put each seal into the archive's bucket; False (the seal log file's turn) for any other archive."""
    store = _s3_store(session)
    if store is None:
        return False
    for sealed in seals:
        key = f"{store.prefix}{PREFIX}{sealed.chain:06d}/{sealed.seq:012d}-{sealed.hash}.json"
        store.client.put_object(Bucket=store.bucket, Key=key, Body=(sealed.to_json() + "\n").encode(),
                                ContentType="application/json")
    return True


def published(session: Session) -> tuple[dict[int, PublishedSeal], str] | None:
    """The last seal of each chain kept in the archive's bucket, and where (None: not an S3 archive)."""
    store = _s3_store(session)
    if store is None:
        return None
    last: dict[int, str] = {}
    paginator = store.client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=store.bucket, Prefix=f"{store.prefix}{PREFIX}"):
        for obj in page.get("Contents", []):
            parts = obj["Key"][len(store.prefix) + len(PREFIX):].split("/")
            if len(parts) != 2 or not parts[0].isdigit():
                continue
            chain = int(parts[0])
            if chain not in last or parts[1] > last[chain].rsplit("/", 1)[1]:
                last[chain] = obj["Key"]
    seals: dict[int, PublishedSeal] = {}
    for chain, key in last.items():
        line = store.client.get_object(Bucket=store.bucket, Key=key)["Body"].read().decode("utf-8")
        try:
            found = audit.seal_from_line(line)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            from records.errors import IntegrityError

            raise IntegrityError(f"Điểm niêm phong {key} trong kho lưu trữ bị hỏng.", f"bad seal object {key}: {exc!r}") \
                from None
        if found.chain != chain:
            continue
        seals[chain] = found
    return seals, f"{store.location}{PREFIX}"


def install() -> None:
    """Publish seals into the archive's bucket from now on (idempotent)."""
    audit.add_seal_publisher(publish)
