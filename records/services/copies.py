"""Copies of a lost transcript (cấp bản sao học bạ, CV §3 d), the records side.

"Người bị mất học bạ phải có đơn đề nghị cấp bản sao học bạ … đóng dấu “Bản sao” trên trang bìa …
Đối với trường hợp giáo viên bộ môn không còn công tác tại nhà trường … tổ trưởng chuyên môn được
quyền ký thay … Quá trình cấp bản sao học bạ phải được lập thành biên bản … Hồ sơ lưu …: Đơn đề nghị
cấp bản sao học bạ; Biên bản cấp bản sao học bạ."

Here: the request (who asks, in what capacity, which identity document the office checked, why),
the signers of the copy (:func:`copy_signers`: the current principal for every year; a teacher who
has left the school — subject or homeroom — replaced by the head of their subject group), and the
request's life: requested → issued (copy and minutes printed, ``archive.copies``) → archived (the
signed request and minutes scanned back). Every step is checked (``Action.COPIES_*``) and traced.

Decision (docs/COPIES.md): the directive names subject teachers only; a homeroom teacher who has left
is replaced the same way (head of their subject group, checking against the school's records), since
the homeroom block is the same kind of confirmation.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records import audit
from records.errors import ConflictError, NotFoundError, ValidationError
from records.models import (
    CopyRequest,
    CopyStatus,
    Enrolment,
    Role,
    RoleGrant,
    School,
    Student,
    Subject,
    TeachingAssignment,
    User,
    utcnow,
)
from records.permissions import Action, Actor, require
from records.services.context import today

RELATIONS = ("Bản thân", "Cha", "Mẹ", "Người giám hộ", "Người được ủy quyền")


@dataclass(frozen=True)
class CopyRequestForm:
    """What the office takes down from the person asking (đơn đề nghị cấp bản sao học bạ)."""

    student_code: str
    requester_name: str
    requester_relation: str  # one of RELATIONS
    id_document: str  # "CCCD số 001203004567 cấp ngày 12/05/2021"
    reason: str
    requester_address: str = ""
    received_on: dt.date | None = None


@dataclass(frozen=True)
class Substitution:
    """A signer of the copy who is not the original one (recorded in the request and the minutes)."""

    year: str  # "2023-2024"
    role: str  # "Giáo viên bộ môn Toán", "Giáo viên chủ nhiệm", "Hiệu trưởng"
    original: str
    substitute: str
    substitute_role: str  # "Tổ trưởng chuyên môn tổ Toán - Tin", "Hiệu trưởng"


def _clean(value: str, what_vi: str, limit: int) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise ValidationError(f"Thiếu {what_vi}.", f"missing {what_vi}")
    if len(text) > limit:
        raise ValidationError(f"{what_vi.capitalize()} quá dài (tối đa {limit} ký tự).", f"{what_vi} too long")
    return text


def record_request(session: Session, actor: Actor, form: CopyRequestForm) -> CopyRequest:
    """Record a request after the office has checked the requester's identity document."""
    student = session.scalars(select(Student).where(Student.code == form.student_code)).one_or_none()
    if student is None:
        raise NotFoundError(f"Không tìm thấy học sinh có mã «{form.student_code}».",
                            f"no student {form.student_code!r}")
    require(session, actor, Action.COPIES_REQUEST, student)
    relation = _clean(form.requester_relation, "quan hệ với học sinh", 60)
    if relation not in RELATIONS:
        raise ValidationError(f"Quan hệ với học sinh phải là một trong: {', '.join(RELATIONS)}.",
                              f"bad relation {relation!r}")
    received = form.received_on or today()
    if received > today():
        raise ValidationError("Ngày nhận đơn không thể ở tương lai.", "received_on in the future")
    count = session.scalar(select(func.count()).select_from(CopyRequest).where(
        CopyRequest.school_id == student.school_id,
        CopyRequest.number.like(f"%/{received.year}/BSHB"))) or 0
    request = CopyRequest(
        school_id=student.school_id, student_id=student.id,
        number=f"{count + 1:02d}/{received.year}/BSHB",
        requester_name=_clean(form.requester_name, "họ tên người làm đơn", 120),
        requester_relation=relation,
        requester_address=" ".join((form.requester_address or "").split())[:300],
        id_document=_clean(form.id_document, "giấy tờ tùy thân đã kiểm tra", 120),
        id_checked_by_name=actor.full_name,
        reason=_clean(form.reason, "lý do đề nghị cấp bản sao", 1000),
        received_on=received, created_by_id=actor.user_id, created_by_name=actor.username,
    )
    session.add(request)
    session.flush()
    audit.append(session, actor, "copy_request", "copy_request", request.id, None, _snapshot(request),
                 school_id=request.school_id)
    return request


def _snapshot(r: CopyRequest) -> dict[str, object]:
    return {"number": r.number, "student_id": r.student_id, "requester": r.requester_name,
            "relation": r.requester_relation, "id_document": r.id_document, "reason": r.reason,
            "received_on": r.received_on.isoformat(), "status": r.status.value,
            "copy_edition": str(r.copy_edition_id) if r.copy_edition_id else None,
            "minutes_edition": str(r.minutes_edition_id) if r.minutes_edition_id else None}


def get_request(session: Session, number_or_id: str | int) -> CopyRequest:
    """A request by its number ("03/2026/BSHB") or id."""
    text = str(number_or_id).strip()
    row = session.scalars(select(CopyRequest).where(CopyRequest.number == text)).one_or_none()
    if row is None and text.isdigit():
        row = session.get(CopyRequest, int(text))
    if row is None:
        raise NotFoundError(f"Không có đơn đề nghị cấp bản sao «{text}».", f"no copy request {text!r}")
    return row


def _has_left(user: User, school_id: int) -> bool:
    return not user.active or user.school_id != school_id


def _head_of(session: Session, school_id: int, department: str | None) -> User | None:
    if not department:
        return None
    return session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
            RoleGrant.role == Role.HEAD_OF_DEPARTMENT, RoleGrant.school_id == school_id,
            RoleGrant.revoked_at.is_(None), User.active.is_(True), User.school_id == school_id,
            User.department == department).order_by(User.id)).first()


def copy_signers(session: Session, request: CopyRequest) -> list[Substitution]:
    """Who signs the copy in place of whom: the current principal everywhere; for each teacher of the
    student's years who has left the school, the head of their subject group."""
    school = session.get(School, request.school_id)
    student = session.get(Student, request.student_id)
    assert school is not None and student is not None
    principal = (school.principal_name or "").strip()
    if not principal:
        raise ValidationError("Chưa khai báo hiệu trưởng hiện nay của trường; không thể cấp bản sao.",
                              "school has no principal name")
    out: list[Substitution] = []
    seen: set[tuple[str, str, str]] = set()

    def replace(year: str, role: str, teacher: User) -> None:
        if not _has_left(teacher, request.school_id) or (year, role, teacher.full_name) in seen:
            return
        seen.add((year, role, teacher.full_name))
        head = _head_of(session, request.school_id, teacher.department)
        if head is None:
            raise ValidationError(
                f"Giáo viên {teacher.full_name} ({role}, năm học {year}) không còn công tác tại trường và chưa có "
                f"tổ trưởng chuyên môn {teacher.department or '(chưa khai báo tổ)'} để ký thay. "
                "Hãy khai báo tổ chuyên môn và tổ trưởng trước khi cấp bản sao.",
                f"no head of department {teacher.department!r} to sign for {teacher.username}")
        out.append(Substitution(year, role, teacher.full_name, head.full_name,
                                f"Tổ trưởng chuyên môn {head.department}"))

    years: dict[str, set[str]] = {}
    for e in session.scalars(select(Enrolment).where(Enrolment.student_id == student.id).order_by(Enrolment.id)):
        klass = e.class_
        name = klass.grade.school_year.name
        years.setdefault(name, set()).add((klass.school.principal_name or "").strip())
        if klass.school_id != request.school_id:
            continue  # another school's years are certified by that school's records, copied as they are
        if klass.homeroom_teacher is not None:
            replace(name, "Giáo viên chủ nhiệm", klass.homeroom_teacher)
        for ta in session.scalars(select(TeachingAssignment).where(TeachingAssignment.class_id == klass.id)
                                  .order_by(TeachingAssignment.id)):
            subject = session.get(Subject, ta.subject_id)
            replace(name, f"Giáo viên bộ môn {subject.name if subject else ''}".strip(), ta.teacher)
    for name, principals in sorted(years.items()):
        for original in sorted(p for p in principals if p and p != principal):
            out.append(Substitution(name, "Hiệu trưởng", original, principal, "Hiệu trưởng"))
    return out


def substitutions_of(request: CopyRequest) -> list[Substitution]:
    """The substitutions recorded when the copy was issued."""
    return [Substitution(**s) for s in json.loads(request.substitutions or "[]")]


def record_issue(session: Session, actor: Actor, request: CopyRequest, *, copy_edition_id: object,
                 minutes_edition_id: object, substitutions: list[Substitution]) -> CopyRequest:
    """The copy and the minutes were printed as editions: note them and who signs in place of whom."""
    require(session, actor, Action.COPIES_ISSUE, session.get(Student, request.student_id))
    if request.status is not CopyStatus.REQUESTED:
        raise ConflictError(f"Đơn {request.number} đã được xử lý ({request.status.value}).",
                            f"copy request {request.number} is {request.status.value}")
    before = _snapshot(request)
    request.copy_edition_id = copy_edition_id  # type: ignore[assignment]
    request.minutes_edition_id = minutes_edition_id  # type: ignore[assignment]
    request.substitutions = json.dumps([asdict(s) for s in substitutions], ensure_ascii=False)
    request.status = CopyStatus.ISSUED
    request.issued_at, request.issued_by_name = utcnow(), actor.username
    session.flush()
    audit.append(session, actor, "copy_issue", "copy_request", request.id, before,
                 {**_snapshot(request), "substitutions": [asdict(s) for s in substitutions]},
                 school_id=request.school_id)
    return request


def record_archived(session: Session, actor: Actor, request: CopyRequest, *, pages_found: int) -> CopyRequest:
    """The signed request and minutes came back as scans and are in the archive."""
    require(session, actor, Action.COPIES_ISSUE, session.get(Student, request.student_id))
    if request.status is not CopyStatus.ISSUED:
        raise ConflictError(f"Đơn {request.number} chưa được cấp bản sao hoặc đã lưu trữ.",
                            f"copy request {request.number} is {request.status.value}")
    before = _snapshot(request)
    request.status, request.archived_at, request.scans_found = CopyStatus.ARCHIVED, utcnow(), pages_found
    session.flush()
    audit.append(session, actor, "copy_archive", "copy_request", request.id, before, _snapshot(request),
                 school_id=request.school_id)
    return request
