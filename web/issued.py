"""Where the verifier finds the PDF of an edition as issued (to show and compare the genuine page).

The archive keeps every issued edition's PDF (``archive.issued_pdf(session, edition_id)``, deposited at
issue). An edition printed before the archive was installed has none: the verifier then says that no
genuine page can be shown. Tests pass their own source (``SODIENTU_ISSUED_PDF`` in the app config).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from records.errors import SodientuError

log = logging.getLogger(__name__)

IssuedPdf = Callable[[uuid.UUID], bytes | None]


def issued_pdf_source(session: Session) -> IssuedPdf | None:
    """The archive's issued PDFs, read with ``session``; None when no archive is installed."""
    try:
        from archive import issued_pdf  # type: ignore[attr-defined]
    except ImportError:
        return None

    def lookup(edition_id: uuid.UUID) -> bytes | None:
        try:
            return issued_pdf(session, edition_id)  # type: ignore[no-any-return]
        except SodientuError as exc:  # recorded but missing or corrupted in the store: no page to show
            log.error("issued PDF of edition %s unreadable: %s", edition_id, exc.message_en)
            return None

    return lookup
