"""Issuing a copy of a lost transcript (the directive's procedure, CV §3 d), end to end.

``issue_copy``: the request (recorded by ``records.services.copies.record_request``) is answered by

1. the copy: the student's whole transcript printed from the records as an edition of its own
   (copy flag in every code, "BẢN SAO" and the request's number on the cover), with the *current*
   signers: the current principal in every year, and for a teacher who has left the school the head
   of their subject group, printed "… (ký thay)" and recorded (``copy_signers``);
2. the papers: the request form filled from the request and the copy-issuance minutes
   (``layouts.copies``), published as one edition (kind ``copy_minutes``) so that every signed page
   comes back through ``sodientu scans ingest`` by its code;
3. the request moves to *issued*, with both editions and the substitutions (audited).

The issued PDFs are deposited in the archive at issue (``archive.install`` listener); the signed
papers come back with ``scans.copies.file_signed_papers``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from layouts.copies import TEMPLATE, CopyPapers, Substitute, build_copy_papers
from layouts.publish import Published, Scope, publish
from layouts.transcript import TranscriptInput, publish_transcript
from records.errors import ValidationError
from records.models import CopyRequest, CopyStatus, EditionKind, School, Student
from records.permissions import Action, Actor, require
from records.services.context import today
from records.services.copies import Substitution, copy_signers, get_request, record_issue
from signing.payload import edition_short_id
from signing.pdfsign import PdfSigner

SIGNS_FOR = " (ký thay)"


@dataclass(frozen=True)
class IssuedCopy:
    """The answer to a request: the copy, the papers to sign, the request as recorded."""

    request: CopyRequest
    copy: Published
    papers: Published
    substitutions: tuple[Substitution, ...]


def copy_reference(request: CopyRequest) -> str:
    """What the copy's cover says about the request it answers."""
    d = request.received_on
    return f"Bản sao cấp theo đơn đề nghị số {request.number} ngày {d.day:02d}/{d.month:02d}/{d.year}"


def with_current_signers(inp: TranscriptInput, principal: str, subs: list[Substitution]) -> TranscriptInput:
    """The transcript input with the copy's signers: the current principal; substitutes for those who left."""
    by_year: dict[str, dict[str, str]] = {}
    for s in subs:
        if s.role != "Hiệu trưởng":
            by_year.setdefault(s.year, {})[s.original] = s.substitute + SIGNS_FOR

    def names(year: str, text: str) -> str:
        table = by_year.get(year, {})
        return ", ".join(table.get(n.strip(), n.strip()) for n in text.split(",")) if text else text

    years = tuple(
        replace(y, principal=principal, homeroom_teacher=names(y.name, y.homeroom_teacher),
                subjects=tuple(replace(s, teacher=names(y.name, s.teacher)) for s in y.subjects))
        for y in inp.years)
    return replace(inp, principal=principal, years=years)


def issue_copy(session: Session, actor: Actor, request_ref: str | int, *, private_key: Ed25519PrivateKey,
               duplex: bool = False, pdf_signer: PdfSigner | None = None) -> IssuedCopy:
    """Print the copy and the papers for a recorded request (the caller commits)."""
    request = get_request(session, request_ref)
    student = session.get(Student, request.student_id)
    school = session.get(School, request.school_id)
    assert student is not None and school is not None
    require(session, actor, Action.COPIES_ISSUE, student)
    if request.status is not CopyStatus.REQUESTED:
        raise ValidationError(f"Đơn {request.number} đã được xử lý ({request.status.value}); không in lại bản sao.",
                              f"copy request {request.number} is {request.status.value}")
    subs = copy_signers(session, request)
    principal = (school.principal_name or "").strip()
    issued = today()
    copy = publish_transcript(session, actor, student.code, private_key=private_key, volume=True, duplex=duplex,
                              copy=True, issued_on=issued, copy_ref=copy_reference(request), pdf_signer=pdf_signer,
                              adjust=lambda inp: with_current_signers(inp, principal, subs))
    years = sorted({e.class_.grade.school_year.start_year: e.class_.name for e in student.enrolments}.items())
    span = (f"{years[0][0]}-{years[0][0] + 1} đến {years[-1][0]}-{years[-1][0] + 1} "
            f"(lớp {years[0][1]} – {years[-1][1]})") if years else ""
    papers_doc = build_copy_papers(CopyPapers(
        number=request.number, school=school.name, agency=f"Phòng Giáo dục và Đào tạo {school.district}",
        district=school.district, province=school.province, principal=principal,
        clerk=request.id_checked_by_name, requester=request.requester_name, relation=request.requester_relation,
        id_document=request.id_document, address=request.requester_address, reason=request.reason,
        received_on=request.received_on, student=student.full_name, date_of_birth=student.date_of_birth,
        years=span, class_name=years[-1][1] if years else "", register_number=student.register_number or "",
        issued_on=issued, copy_code=edition_short_id(copy.edition.id), copy_pages=copy.edition.page_count,
        substitutes=tuple(Substitute(s.year, s.role, s.original, s.substitute, s.substitute_role) for s in subs),
    ), duplex=duplex)
    papers = publish(session, actor, papers_doc, template=TEMPLATE, private_key=private_key, issued_on=issued,
                     scope=Scope(school.id, student_id=student.id, part=request.number),
                     kind=EditionKind.COPY_MINUTES, pdf_signer=pdf_signer,
                     title=f"Đơn và biên bản cấp bản sao học bạ {request.number} — {student.full_name}")
    record_issue(session, actor, request, copy_edition_id=copy.edition.id, minutes_edition_id=papers.edition.id,
                 substitutions=subs)
    return IssuedCopy(request, copy, papers, tuple(subs))
