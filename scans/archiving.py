"""The one door from ``scans`` (and the copy procedure) to the archive package.

Everything scans keeps goes through :func:`keep`; the issued PDF an edition was printed from comes
through :func:`issued`. Both follow ``archive``'s interface (``archive.deposit``,
``archive.issued_pdf``), so a change there is absorbed here.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from records.permissions import Actor

BOOK_SCAN = "book_scan"
UNMATCHED_SCAN = "unmatched_scan"
COPY_REQUEST = "copy_request"
COPY_MINUTES = "copy_minutes"


def keep(session: Session, actor: Actor, data: bytes, *, kind: str, school_id: int, filename: str, title: str,
         media_type: str, edition_id: uuid.UUID | None = None, student_ids: Iterable[int] = (),
         school_year_id: int | None = None, class_id: int | None = None,
         metadata: Mapping[str, Any] | None = None) -> str:
    """Deposit bytes in the archive (rights checked and audited there); returns their SHA-256."""
    import archive

    item = archive.deposit(session, actor, data, kind=kind, school_id=school_id, school_year_id=school_year_id,
                           class_id=class_id, student_ids=tuple(student_ids), edition_id=edition_id,
                           filename=filename, title=title, media_type=media_type, metadata=dict(metadata or {}))
    return str(getattr(item, "sha256", None) or hashlib.sha256(data).hexdigest())


def issued(session: Session, edition_id: uuid.UUID) -> bytes | None:
    """The PDF of an edition as it was issued, or None when the archive does not hold it."""
    import archive

    return archive.issued_pdf(session, edition_id)
