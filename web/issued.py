"""Where the verifier finds the PDF of an edition as issued (to show and compare the genuine page).

The archive keeps every issued edition's PDF (``archive.issued_pdf(session, edition_id)``). Until an
installation has it, ``issued_pdf_source`` answers None and the verifier says that no genuine page
can be shown; tests and other deployments pass their own source.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

IssuedPdf = Callable[[uuid.UUID], bytes | None]


def issued_pdf_source(session: Session) -> IssuedPdf | None:
    """The archive's issued PDFs, read with ``session``; None when no archive is installed."""
    try:
        from archive import issued_pdf  # type: ignore[attr-defined]
    except ImportError:
        return None

    def lookup(edition_id: uuid.UUID) -> bytes | None:
        return issued_pdf(session, edition_id)  # type: ignore[no-any-return]

    return lookup
