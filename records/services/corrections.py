"""Corrections of marks after locking or after the cut-off (CV §2.2.3 a).

"Giáo viên có nguyện vọng điều chỉnh các sai sót … phải có đơn đề nghị; Hiệu trưởng phải phê duyệt
vào đơn; đơn được lưu trong hồ sơ của Ban quản trị; việc sửa chữa sẽ được lưu vết trên hệ thống. Khi
sửa dữ liệu phải có sự chứng kiến của đại diện Ban giám hiệu, Ban quản trị và người đề nghị."

request → approve / reject (principal) → apply (administrator, with a leadership witness, a board
witness and the requester present). Applying writes the mark with the trace action ``correct`` and the
request id, recomputes the student's results, and tells ``on_correction_applied`` subscribers (the
signing layer flags printed editions that showed the old value as superseded).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from records import audit
from records.errors import ConflictError, NotFoundError, ValidationError
from records.models import (
    AuditEntry,
    Class,
    CorrectionRequest,
    CorrectionStatus,
    Enrolment,
    Grade,
    MarkKind,
    Role,
    School,
    SchoolYear,
    Student,
    Subject,
    Term,
    User,
    utcnow,
)
from records.permissions import Action, Actor, allowed, require
from records.services import marks as marks_service
from records.services.marks import MarkKey

KIND_LABELS = {MarkKind.REGULAR: "ĐĐGtx", MarkKind.PERIODIC: "Định kì", MarkKind.MIDTERM: "ĐĐGgk",
               MarkKind.FINAL: "ĐĐGck"}
# Thông tư 58 books name the columns by weight (hệ số), not by TT22's kinds.
KIND_LABELS_TT58 = {MarkKind.REGULAR: "Hệ số 1, cột ", MarkKind.PERIODIC: "Hệ số 2, cột ",
                    MarkKind.MIDTERM: "Giữa kì", MarkKind.FINAL: "KT học kì"}


def column_label(kind: MarkKind, slot: int, regime: str) -> str:
    """The mark-book column a mark stands in, named as that year's regulation names it."""
    numbered = kind in (MarkKind.REGULAR, MarkKind.PERIODIC)
    if regime == "tt58":
        return KIND_LABELS_TT58[kind] + (str(slot) if numbered else "")
    return KIND_LABELS[kind] + (str(slot) if numbered else "")


@dataclass(frozen=True)
class CorrectionApplied:
    """What subscribers of ``on_correction_applied`` receive (after the change, same transaction)."""

    request_id: int
    school_id: int
    enrolment_id: int
    student_id: int
    class_id: int
    subject_id: int
    term_id: int
    kind: str
    slot: int
    old_value: str | None
    new_value: str | None
    applied_by_id: int | None = None


# Subscribers: ``callback(session, event)``. The signing layer registers one that flags printed
# editions showing the old value as superseded. Called inside the unit of work; an exception aborts it.
on_correction_applied: list[Callable[[Session, CorrectionApplied], None]] = []
# Modules that subscribe on import; imported before the event fires so that a command-line or web
# caller that never imported them still outdates printed editions.
SUBSCRIBER_MODULES = ("records.services.editions",)


def _load_subscribers() -> None:
    for name in SUBSCRIBER_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as missing:
            if missing.name != name:
                raise


def _display(value: Decimal | str | None) -> str | None:
    return None if value is None else str(value)


def _get(session: Session, request: CorrectionRequest | int) -> CorrectionRequest:
    if isinstance(request, CorrectionRequest):
        return request
    found = session.get(CorrectionRequest, request)
    if found is None:
        raise NotFoundError(f"Không có đơn đề nghị sửa chữa số {request}.", f"correction request {request} not found")
    return found


def _state(r: CorrectionRequest) -> dict[str, Any]:
    return {"enrolment_id": r.enrolment_id, "subject_id": r.subject_id, "term_id": r.term_id, "kind": r.kind,
            "slot": r.slot, "old_value": r.old_value, "new_value": r.new_value, "reason": r.reason,
            "status": r.status, "requested_by_id": r.requested_by_id, "decided_by_id": r.decided_by_id,
            "decision_note": r.decision_note, "applied_by_id": r.applied_by_id,
            "witness_leader_id": r.witness_leader_id, "witness_board_id": r.witness_board_id,
            "requester_present": r.requester_present}


def _key(r: CorrectionRequest) -> MarkKey:
    return MarkKey(r.enrolment_id, r.subject_id, r.term_id, MarkKind(r.kind), r.slot)


def request_correction(session: Session, actor: Actor, *, enrolment_id: int, subject_id: int, term_id: int,
                       kind: MarkKind | str, slot: int, new_value: Decimal | str | int | None, reason: str,
                       today: dt.date | None = None) -> CorrectionRequest:
    """A teacher files a request (đơn đề nghị) to correct one mark of their own assignment."""
    enrolment = session.get(Enrolment, enrolment_id)
    subject = session.get(Subject, subject_id)
    term = session.get(Term, term_id)
    if enrolment is None or subject is None or term is None:
        raise NotFoundError("Không tìm thấy học sinh, môn học hoặc học kì cần sửa.", "missing correction target")
    klass = session.get(Class, enrolment.class_id)
    assert klass is not None
    request = CorrectionRequest(school_id=klass.school_id, enrolment_id=enrolment_id, subject_id=subject_id,
                                term_id=term_id, kind=MarkKind(kind).value, slot=slot, reason=(reason or "").strip(),
                                status=CorrectionStatus.PENDING, requested_by_id=actor.user_id)
    require(session, actor, Action.CORRECTION_REQUEST, request, today=today)
    grade = session.get(Grade, klass.grade_id)
    assert grade is not None
    if term.school_year_id != grade.school_year_id:
        raise ValidationError("Học kì không thuộc năm học của lớp.", "term of another year")
    marks_service.check_kind(grade.regime, kind, slot)
    if not request.reason:
        raise ValidationError("Đơn đề nghị sửa chữa phải ghi rõ lí do.", "a correction needs a reason")
    new = marks_service.parse_value(subject, new_value)
    current = marks_service.find_mark(session, _key(request))
    old = _display(current.value) if current is not None else None
    if _display(new) == old:
        raise ValidationError(f"Giá trị mới ({old or 'trống'}) trùng với giá trị hiện tại.",
                              "the new value equals the current one")
    pending = session.scalar(select(CorrectionRequest.id).where(
        CorrectionRequest.enrolment_id == enrolment_id, CorrectionRequest.subject_id == subject_id,
        CorrectionRequest.term_id == term_id, CorrectionRequest.kind == request.kind,
        CorrectionRequest.slot == slot,
        CorrectionRequest.status.in_([CorrectionStatus.PENDING, CorrectionStatus.APPROVED])))
    if pending is not None:
        raise ConflictError(f"Đã có đơn đề nghị số {pending} cho điểm này đang chờ xử lí.",
                            f"correction request {pending} still open for this mark")
    request.old_value, request.new_value = old, _display(new)
    session.add(request)
    session.flush()
    audit.append(session, actor, "request", "correction_request", request.id, None, _state(request),
                 school_id=request.school_id, reason=request.reason, request_id=request.id)
    return request


def _decide(session: Session, actor: Actor, request: CorrectionRequest | int, status: CorrectionStatus,
            note: str | None, today: dt.date | None) -> CorrectionRequest:
    request = _get(session, request)
    require(session, actor, Action.CORRECTION_APPROVE, request, today=today)
    if request.status is not CorrectionStatus.PENDING:
        raise ConflictError(f"Đơn số {request.id} đã được xử lí ({CorrectionStatus(request.status).label_vi}).",
                            f"correction request {request.id} is {request.status}")
    before = _state(request)
    request.status = status
    request.decided_by_id, request.decided_at, request.decision_note = actor.user_id, utcnow(), note
    session.flush()
    audit.append(session, actor, "approve" if status is CorrectionStatus.APPROVED else "reject",
                 "correction_request", request.id, before, _state(request), school_id=request.school_id,
                 reason=note, request_id=request.id)
    return request


def approve(session: Session, actor: Actor, request: CorrectionRequest | int, note: str | None = None, *,
            today: dt.date | None = None) -> CorrectionRequest:
    """The principal approves the request (phê duyệt vào đơn); nothing changes until it is applied."""
    return _decide(session, actor, request, CorrectionStatus.APPROVED, note, today)


def reject(session: Session, actor: Actor, request: CorrectionRequest | int, note: str | None = None, *,
           today: dt.date | None = None) -> CorrectionRequest:
    """The principal rejects the request; the mark stays as it is."""
    return _decide(session, actor, request, CorrectionStatus.REJECTED, note, today)


def _witness(session: Session, user: User | int, school_id: int, roles: set[Role], what_vi: str) -> User:
    found = session.get(User, user) if isinstance(user, int) else user
    if found is None:
        raise NotFoundError(f"Không tìm thấy {what_vi}.", f"witness {user} not found")
    witness = Actor.load(session, found.id)
    school = session.get(School, school_id)
    if not (witness.roles_in(school_id, school.district if school else None) & roles) or not allowed(
            session, witness, Action.CORRECTION_WITNESS, school):
        names = ", ".join(r.label_vi for r in sorted(roles, key=lambda r: r.value))
        raise ValidationError(f"{found.full_name} không thể là {what_vi} (cần: {names}).",
                              f"user {found.id} cannot witness as {what_vi}")
    return found


def apply(session: Session, actor: Actor, request: CorrectionRequest | int, *, leader: User | int,
          board: User | int, requester_present: bool, today: dt.date | None = None) -> CorrectionRequest:
    """Apply an approved request before its witnesses; traced as ``correct`` with the request id."""
    request = _get(session, request)
    require(session, actor, Action.CORRECTION_APPLY, request, today=today)
    if request.status is not CorrectionStatus.APPROVED:
        raise ConflictError(
            f"Đơn số {request.id} chưa được Hiệu trưởng phê duyệt ({CorrectionStatus(request.status).label_vi}): "
            "không được sửa.", f"correction request {request.id} is {request.status}, not approved")
    leader_user = _witness(session, leader, request.school_id, {Role.PRINCIPAL, Role.VICE_PRINCIPAL},
                           "đại diện Ban giám hiệu chứng kiến")
    board_user = _witness(session, board, request.school_id, {Role.ADMINISTRATOR}, "đại diện Ban quản trị chứng kiến")
    if leader_user.id == board_user.id:
        raise ValidationError("Đại diện Ban giám hiệu và đại diện Ban quản trị phải là hai người khác nhau.",
                              "the two witnesses must differ")
    if actor.user_id in (leader_user.id, board_user.id):
        raise ValidationError("Người thực hiện sửa chữa không được tự làm người chứng kiến: cần một người khác "
                              "của Ban quản trị (và của Ban giám hiệu) chứng kiến.",
                              "the person applying the correction cannot be one of its witnesses")
    if not requester_present:
        raise ValidationError("Người đề nghị sửa chữa phải có mặt khi sửa dữ liệu.", "the requester must be present")
    key = _key(request)
    current = marks_service.find_mark(session, key)
    if (_display(current.value) if current is not None else None) != request.old_value:
        raise ConflictError(f"Điểm đã thay đổi kể từ khi lập đơn số {request.id}; cần lập đơn mới.",
                            f"mark changed since correction request {request.id} was filed")
    subject = session.get(Subject, request.subject_id)
    assert subject is not None
    new = marks_service.parse_value(subject, request.new_value)
    marks_service.store_mark(session, actor, key, new, action="correct", school_id=request.school_id,
                             reason=request.reason, request_id=request.id)
    before = _state(request)
    request.status = CorrectionStatus.APPLIED
    request.applied_by_id, request.applied_at = actor.user_id, utcnow()
    request.witness_leader_id, request.witness_board_id = leader_user.id, board_user.id
    request.requester_present = True
    session.flush()
    audit.append(session, actor, "apply", "correction_request", request.id, before, _state(request),
                 school_id=request.school_id, reason=request.reason, request_id=request.id)
    recompute_results(session, actor, request)
    enrolment = session.get(Enrolment, request.enrolment_id)
    assert enrolment is not None
    event = CorrectionApplied(request.id, request.school_id, request.enrolment_id, enrolment.student_id,
                              enrolment.class_id, request.subject_id, request.term_id, request.kind, request.slot,
                              request.old_value, request.new_value, actor.user_id)
    _load_subscribers()
    for subscriber in on_correction_applied:
        subscriber(session, event)
    return request


def recompute_results(session: Session, actor: Actor, request: CorrectionRequest) -> None:
    """Recompute the student's results already computed (``records.services.results.recompute``)."""
    from records.services import results

    results.recompute(session, actor, request.enrolment_id)


# --- reading: the note in the transcript, the printable documents ------------------------------


@dataclass(frozen=True)
class CorrectionNote:
    """The transcript's footer: "Trong bảng này có sửa chữa ở: … chỗ, thuộc các môn học: …"."""

    count: int
    subjects: tuple[str, ...]

    @property
    def text_vi(self) -> str:
        """The footer line, as printed."""
        if not self.count:
            return "Trong bảng này có sửa chữa ở: 0 chỗ."
        return f"Trong bảng này có sửa chữa ở: {self.count} chỗ, thuộc các môn học: {', '.join(self.subjects)}."


def correction_note(session: Session, enrolment_id: int | None = None, *, student_id: int | None = None,
                    school_year_id: int | None = None) -> CorrectionNote:
    """Corrections of a student's year (an enrolment, or a student and school year), read from the trace."""
    if enrolment_id is not None:
        enrolment_ids = [enrolment_id]
    else:
        if student_id is None or school_year_id is None:
            raise ValueError("give enrolment_id, or student_id and school_year_id")
        enrolment_ids = list(session.scalars(
            select(Enrolment.id).join(Class, Class.id == Enrolment.class_id).join(Grade, Grade.id == Class.grade_id)
            .where(Enrolment.student_id == student_id, Grade.school_year_id == school_year_id)))
    if not enrolment_ids:
        return CorrectionNote(0, ())
    request_ids = list(session.scalars(select(CorrectionRequest.id).where(
        CorrectionRequest.enrolment_id.in_(enrolment_ids))))
    if not request_ids:
        return CorrectionNote(0, ())
    corrected = session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "mark", AuditEntry.action == "correct", AuditEntry.request_id.in_(request_ids))
        .order_by(AuditEntry.chain, AuditEntry.seq)).all()
    subject_ids: list[int] = []
    for entry in corrected:
        state = audit.state(entry.after) or audit.state(entry.before) or {}
        subject_id = state.get("subject_id")
        if subject_id is not None and subject_id not in subject_ids:
            subject_ids.append(int(subject_id))
    names = {s.id: s.name for s in session.scalars(select(Subject).where(Subject.id.in_(subject_ids)))}
    return CorrectionNote(len(corrected), tuple(names[s] for s in subject_ids if s in names))


def _person(session: Session, user_id: int | None) -> str | None:
    # By id, not through the relationship: right after a decision the relationship may not be loaded yet.
    user = session.get(User, user_id) if user_id is not None else None
    return user.full_name if user else None


def _when(at: dt.datetime | None) -> str | None:
    return at.astimezone(dt.UTC).strftime("%d/%m/%Y %H:%M UTC") if at else None


def correction_document(request: CorrectionRequest, session: Session | None = None) -> dict[str, Any]:
    """The request form (đơn đề nghị) and, once applied, the correction record (biên bản), as plain data."""
    session = session or object_session(request)
    assert session is not None
    enrolment = session.get(Enrolment, request.enrolment_id)
    assert enrolment is not None
    student = session.get(Student, enrolment.student_id)
    klass = session.get(Class, enrolment.class_id)
    grade = session.get(Grade, klass.grade_id) if klass else None
    year = session.get(SchoolYear, grade.school_year_id) if grade else None
    school = session.get(School, request.school_id)
    subject = session.get(Subject, request.subject_id)
    term = session.get(Term, request.term_id)
    kind = MarkKind(request.kind)
    column = column_label(kind, request.slot, grade.regime if grade else "tt22")
    trace = [{"id": e.id, "seq": e.seq, "at": _when(e.at), "actor": e.actor_name, "action": e.action,
              "entity": e.entity, "hash": e.hash} for e in audit.entries(session, school_id=request.school_id,
                                                                          request_id=request.id)]
    status = CorrectionStatus(request.status)
    return {
        "schema_version": 1,
        "type": "correction",
        "title": "ĐƠN ĐỀ NGHỊ ĐIỀU CHỈNH ĐIỂM SỐ" if status is not CorrectionStatus.APPLIED
        else "BIÊN BẢN SỬA CHỮA ĐIỂM SỐ",
        "number": request.id,
        "school": {"name": school.name if school else None, "district": school.district if school else None,
                   "province": school.province if school else None},
        "school_year": year.name if year else None,
        "student": {"name": student.full_name if student else None, "code": student.code if student else None,
                    "class": klass.name if klass else None, "roll_number": enrolment.roll_number},
        "subject": subject.name if subject else None,
        "term": term.name if term else None,
        "column": column,
        "old_value": request.old_value or "(trống)",
        "new_value": request.new_value or "(xóa)",
        "reason": request.reason,
        "requested_by": _person(session, request.requested_by_id),
        "requested_at": _when(request.requested_at),
        "status": status.value,
        "status_vi": status.label_vi,
        "decision": {"by": _person(session, request.decided_by_id), "at": _when(request.decided_at),
                     "note": request.decision_note},
        "application": {"by": _person(session, request.applied_by_id), "at": _when(request.applied_at)},
        "witnesses": [
            {"role_vi": "Đại diện Ban giám hiệu", "name": _person(session, request.witness_leader_id)},
            {"role_vi": "Đại diện Ban quản trị", "name": _person(session, request.witness_board_id)},
            {"role_vi": "Người đề nghị", "name": _person(session, request.requested_by_id),
             "present": request.requester_present},
        ],
        "trace": trace,
    }


def requests(session: Session, school_id: int, status: CorrectionStatus | None = None) -> list[CorrectionRequest]:
    """Correction requests of a school (optionally in one status), oldest first."""
    query = select(CorrectionRequest).where(CorrectionRequest.school_id == school_id)
    if status is not None:
        query = query.where(CorrectionRequest.status == status)
    return list(session.scalars(query.order_by(CorrectionRequest.id)))
