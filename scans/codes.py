"""The one place where scans read what a page's QR code says (signing's public decode and verify).

The QR text format belongs to ``signing`` (FORMAT.md; it may wrap the code in a URL): this module
only calls ``signing.payload.verify_payload`` and keeps what matching needs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.models import Edition
from signing.errors import SigningError
from signing.payload import VerdictStatus, edition_short_id, verify_payload
from signing.trust import DbTrustList


@dataclass(frozen=True)
class PageCode:
    """What a verified page code names."""

    edition_id: uuid.UUID
    page: int  # n of "page n/N"
    pages: int
    digest_hex: str
    copy: bool
    doc_type: int


@dataclass(frozen=True)
class CodeReading:
    """A code read from a scan: the page it names, or why it cannot be used (Vietnamese)."""

    code: PageCode | None
    problem_vi: str = ""


class CodeReader:
    """Verifies page codes against the school's trust list (one instance per ingest)."""

    def __init__(self, session: Session) -> None:
        self._trust = DbTrustList(session)

    def read(self, text: str) -> CodeReading:
        """Decode and verify one QR text; a forged, unknown-key or foreign code gives a problem."""
        try:
            verdict = verify_payload(text, self._trust)
        except SigningError as exc:  # verify_payload reports problems as verdicts; be safe anyway
            return CodeReading(None, exc.message_vi)
        fields = verdict.fields
        if fields is None or verdict.status not in (VerdictStatus.GENUINE, VerdictStatus.KEY_REVOKED):
            return CodeReading(None, verdict.message_vi)
        return CodeReading(PageCode(fields.edition_id, fields.page, fields.pages, fields.digest.hex(),
                                    fields.copy, int(fields.doc_type)))


def editions_by_code(session: Session, text: str) -> list[Edition]:
    """Editions named by their printed code ("WDGP-ZZKA", "WDGP-ZZKA · 3/68") or a UUID / hex prefix."""
    t = text.strip().split("·")[0].strip().upper().replace(" ", "")
    rows = list(session.scalars(select(Edition).order_by(Edition.created_at)))
    hit = [e for e in rows if edition_short_id(e.id) == t or edition_short_id(e.id).replace("-", "") == t]
    if hit:
        return hit
    hexpart = t.replace("-", "").lower()
    if not hexpart or any(c not in "0123456789abcdef" for c in hexpart):
        return []
    return [e for e in rows if e.id.hex.startswith(hexpart)]
