"""The last step of a transcript copy: the signed request form and minutes come back as a scan."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from records.errors import ValidationError
from records.models import CopyRequest, CopyStatus, Edition
from records.permissions import Actor
from records.services.copies import get_request, record_archived
from scans.ingest import IngestReport, edition_report, ingest


def file_signed_papers(session: Session, actor: Actor, request_ref: str | int,
                       paths: Sequence[str | Path]) -> tuple[IngestReport, CopyRequest]:
    """Ingest the scanned, signed papers of a copy request; the request is archived once every page
    of its papers (request form and minutes) is back. The caller commits."""
    request = get_request(session, request_ref)
    if request.status is not CopyStatus.ISSUED or request.minutes_edition_id is None:
        raise ValidationError(f"Đơn {request.number} chưa được cấp bản sao (hoặc đã lưu trữ xong).",
                              f"copy request {request.number} is {request.status.value}")
    report = ingest(session, actor, paths, school_id=request.school_id, expected=[request.minutes_edition_id])
    papers = session.get(Edition, request.minutes_edition_id)
    assert papers is not None
    state = edition_report(session, papers)
    if not report.refused and not state.missing:
        record_archived(session, actor, request, pages_found=len(state.pages))
    return report, request
