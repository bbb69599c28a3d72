"""The whole copy procedure for a lost transcript: request, copy with current signers, minutes,
signed papers scanned back into the archive (CV §3 d)."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

import archive
from archive.copies import issue_copy
from records.errors import PermissionDeniedError, ValidationError
from records.models import (
    AuditEntry,
    CopyStatus,
    EditionKind,
)
from records.services.copies import CopyRequestForm, get_request, record_request, substitutions_of
from scans.copies import file_signed_papers
from signing.payload import edition_short_id
from signing.trust import DbTrustList
from signing.verify import PageStatus, verify_file
from tests.scans import scanbook
from tests.scans.conftest import kept
from tests.scans.copy_world import make_lost_student

pytestmark = pytest.mark.slow


def _texts(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


@pytest.fixture
def lost(session):
    """A former student whose Toán teacher of grade 6 has left the school; the group's head is there."""
    return make_lost_student(session)


def _form(student, **kw) -> CopyRequestForm:
    values = {"student_code": student.code, "requester_name": "Quàng Văn Bố", "requester_relation": "Cha",
              "id_document": "CCCD số 014085001234 cấp ngày 10/04/2021", "reason": "Học bạ bị mất khi chuyển nhà.",
              "requester_address": "Bản Pa Khôm, xã Chiềng Khoa"}
    values.update(kw)
    return CopyRequestForm(**values)


def test_the_whole_copy_procedure(session, lost, archive_store, tmp_path) -> None:
    student, office = lost["student"], lost["office"]
    # 1. the request: only the office takes it, with an identity document and a reason
    with pytest.raises(PermissionDeniedError):
        record_request(session, lost["teacher"], _form(student))
    with pytest.raises(ValidationError):
        record_request(session, office, _form(student, id_document="  "))
    request = record_request(session, office, _form(student))
    assert request.number.startswith("01/") and request.status is CopyStatus.REQUESTED
    assert request.id_checked_by_name == "Cầm Thị Văn Phòng"

    # 2. the copy and the papers, two signed editions
    with pytest.raises(PermissionDeniedError):
        issue_copy(session, lost["teacher"], request.number, private_key=lost["key"])
    issued = issue_copy(session, office, request.number, private_key=lost["key"])
    copy, papers = issued.copy.edition, issued.papers.edition
    assert copy.copy and copy.kind is EditionKind.TRANSCRIPT and copy.student_id == student.id
    assert papers.kind is EditionKind.COPY_MINUTES and papers.part == request.number
    assert [(s.year, s.original, s.substitute) for s in issued.substitutions] == [
        ("2022-2023", "Phạm Văn Cũ", "Đinh Thị Tổ")]

    # the copy says it is a copy and which request it answers, and who signs now
    texts = _texts(issued.copy.pdf)
    assert "BẢN SAO" in texts[0] and f"đơn đề nghị số {request.number}" in texts[0]
    body = "\n".join(texts)
    assert "Đinh Thị Tổ (ký thay)" in body and "Phạm Văn Cũ" not in body
    assert "Vì Văn Còn" in body and "Hà Văn Thắng" in body
    # verifiable by its code, flagged as a copy in every code
    report = verify_file(issued.copy.pdf, DbTrustList(session), session)
    assert report.ok and all(p.status is PageStatus.GENUINE for p in report.pages)
    assert all(p.fields is not None and p.fields.copy and p.fields.edition_id == copy.id for p in report.pages)

    # the papers: the request form, then the minutes naming the copy and the substitute
    ptexts = _texts(issued.papers.pdf)
    assert "ĐƠN ĐỀ NGHỊ CẤP BẢN SAO HỌC BẠ" in ptexts[0] and "Quàng Văn Bố" in ptexts[0]
    assert "CCCD số 014085001234" in ptexts[0]
    minutes = "\n".join(ptexts[1:])
    assert "BIÊN BẢN CẤP BẢN SAO HỌC BẠ" in minutes and edition_short_id(copy.id) in minutes
    assert "Phạm Văn Cũ" in minutes and "Đinh Thị Tổ" in minutes and request.number in minutes
    assert verify_file(issued.papers.pdf, DbTrustList(session), session).ok

    request = get_request(session, request.number)
    assert request.status is CopyStatus.ISSUED and request.copy_edition_id == copy.id
    assert [s.substitute for s in substitutions_of(request)] == ["Đinh Thị Tổ"]
    with pytest.raises(ValidationError):
        issue_copy(session, office, request.number, private_key=lost["key"])  # one copy per request

    # 3. the signed papers scanned back: request form and minutes filed, the request closed
    for published in (issued.copy, issued.papers):
        archive.deposit_issued(session, office, published)  # what the issue listener does in the app
    scan = scanbook.as_pdf(scanbook.signed_and_stamped(issued.papers.pdf))
    path = tmp_path / "don-va-bien-ban-da-ky.pdf"
    path.write_bytes(scan)
    ingest_report, request = file_signed_papers(session, office, request.number, [path])
    assert request.status is CopyStatus.ARCHIVED and request.scans_found == len(papers.pages)
    [rep] = ingest_report.editions
    assert rep.missing == () and rep.no_signature == () and rep.no_stamp == ()
    kinds = sorted((i.kind.value, i.edition_id) for i in kept(session) if i.edition_id)
    assert kinds == [("copy_minutes", papers.id), ("copy_request", papers.id)]
    assert {i.kind.value for i in kept(session, issued=True) if i.edition_id == copy.id} == {"issued_edition"}

    trail = [e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.entity == "copy_request")
                                                .order_by(AuditEntry.seq))]
    assert trail == ["copy_request", "copy_issue", "copy_archive"]


def test_a_teacher_who_left_without_a_group_head_stops_the_copy(session, lost) -> None:
    lost["head"].active = False  # nobody can sign for the Toán teacher of grade 6
    session.flush()
    request = record_request(session, lost["office"], _form(lost["student"]))
    with pytest.raises(ValidationError) as err:
        issue_copy(session, lost["office"], request.number, private_key=lost["key"])
    assert "Phạm Văn Cũ" in err.value.message_vi and "tổ trưởng" in err.value.message_vi
    assert get_request(session, request.number).status is CopyStatus.REQUESTED
