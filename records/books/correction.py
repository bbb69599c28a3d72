"""A correction request's printable data: ``read_correction(session, actor, request_id)``.

``records.services.corrections.correction_document`` (the request, its decision, the witnesses, the
trace) plus what the correction record prints from the trace: the full names of the people who
acted, each ``correct`` entry's value before and after, and the regime of the class. The actor must
be allowed to read the request (``Action.RECORDS_READ``: the requester, the leadership, the board,
the office). ``layouts.correction`` builds the form and the record from the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records import audit
from records.books.owners import Owner
from records.errors import NotFoundError
from records.models import Class, CorrectionRequest, Enrolment, Grade, User
from records.permissions import Action, Actor, require


@dataclass(frozen=True)
class CorrectionRead:
    """The data of ``correction_document`` completed from the trace, and where an edition of it belongs."""

    data: dict[str, Any]
    owner: Owner


def read_correction(session: Session, actor: Actor, request_id: int) -> CorrectionRead:
    """The request's printable data (NotFoundError, PermissionDeniedError unless the actor may read it)."""
    request = session.get(CorrectionRequest, request_id)
    if request is None:
        raise NotFoundError(f"Không có đơn đề nghị sửa chữa số {request_id}.",
                            f"correction request {request_id} not found")
    require(session, actor, Action.RECORDS_READ, request)
    data = _correction_data(session, request)
    enrolment = session.get(Enrolment, request.enrolment_id)
    klass = session.get(Class, enrolment.class_id) if enrolment else None
    grade = session.get(Grade, klass.grade_id) if klass else None
    owner = Owner(request.school_id, student_id=enrolment.student_id if enrolment else None,
                  school_year_id=grade.school_year_id if grade else None)
    return CorrectionRead(data, owner)


def _correction_data(session: Session, request: CorrectionRequest) -> dict[str, Any]:
    """``correction_document`` plus what the record shows from the trace: each ``correct`` entry's before/after."""
    from records.services.corrections import correction_document

    # correction_document reads the people through relationships, which a flush does not refresh: in the
    # session that just approved or applied the request they would still be empty.
    session.flush()
    session.expire(request, ["requested_by", "decided_by", "applied_by", "witness_leader", "witness_board"])
    data = correction_document(request, session)
    entries = audit.entries(session, school_id=request.school_id, request_id=request.id)
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    names = {u.id: u.full_name for u in session.scalars(select(User).where(User.id.in_(actor_ids)))}
    by_id = {e.id: e for e in entries}
    for item in data.get("trace") or ():  # the trace keeps usernames; the record prints full names
        entry = by_id.get(item.get("id"))
        if entry is not None and entry.actor_id in names:
            item["actor_name"] = names[entry.actor_id]
    changes = []
    for entry in entries:
        if entry.entity != "mark" or entry.action != "correct":
            continue
        before, after = audit.state(entry.before) or {}, audit.state(entry.after)
        changes.append({"entry_id": entry.id, "before": before.get("value"),
                        "after": after.get("value") if after else "(xóa)"})
    data["changes"] = changes
    enrolment = session.get(Enrolment, request.enrolment_id)
    klass = session.get(Class, enrolment.class_id) if enrolment else None
    grade = session.get(Grade, klass.grade_id) if klass else None
    if grade is not None:
        data["regime"] = str(getattr(grade.regime, "value", grade.regime))
    return data




__all__ = ["CorrectionRead", "read_correction"]
