"""Conduct / training results and homeroom comments, by the homeroom teacher (CV §2.2.2 c)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from records import audit
from records.audit import AuditRecord
from records.errors import ValidationError
from records.models import Class, Conduct, Enrolment, Grade, HomeroomComment, Period, Term
from records.permissions import Action, Actor, require
from records.rules import ruleset
from records.services import locks
from records.services.marks import SaveResult


def _period_term_id(session: Session, klass: Class, period: Period) -> int:
    grade = session.get(Grade, klass.grade_id)
    assert grade is not None
    number = 1 if period is Period.TERM1 else 2
    term_id = session.scalar(select(Term.id).where(Term.school_year_id == grade.school_year_id,
                                                   Term.number == number))
    assert term_id is not None
    return term_id


def _on_roll(session: Session, klass: Class, ids: set[int]) -> None:
    found = set(session.scalars(select(Enrolment.id).where(Enrolment.class_id == klass.id, Enrolment.id.in_(ids))))
    if ids - found:
        raise ValidationError(f"Có học sinh không thuộc lớp {klass.name}.", "enrolments not in the class")


def save_conduct(session: Session, actor: Actor, klass: Class, period: Period, levels: Mapping[int, str | None],
                 *, today: dt.date | None = None) -> SaveResult:
    """Record conduct (TT58/TT26 hạnh kiểm) or training results (TT22 rèn luyện) of a class for a period."""
    period = Period(period)
    require(session, actor, Action.CONDUCT_WRITE, klass, today=today)
    locks.ensure_open(session, "conduct", klass.id, _period_term_id(session, klass, period))
    grade = session.get(Grade, klass.grade_id)
    assert grade is not None
    rules = ruleset(grade.regime)
    _on_roll(session, klass, set(levels))
    existing = {c.enrolment_id: c for c in session.scalars(select(Conduct).where(
        Conduct.enrolment_id.in_(list(levels)), Conduct.period == period))}
    records: list[AuditRecord] = []
    created = updated = deleted = unchanged = 0
    for enrolment_id, raw in levels.items():
        level = rules.normalize_conduct(raw) if raw else None
        current = existing.get(enrolment_id)
        key = {"enrolment_id": enrolment_id, "period": period.value}
        if current is None and level:
            current = Conduct(enrolment_id=enrolment_id, period=period, level=level, proposed_by_id=actor.user_id)
            session.add(current)
            session.flush()
            records.append(AuditRecord("create", "conduct", current.id, None, {**key, "level": level},
                                       klass.school_id))
            created += 1
        elif current is not None and not level:
            records.append(AuditRecord("delete", "conduct", current.id, {**key, "level": current.level}, None,
                                       klass.school_id))
            session.delete(current)
            deleted += 1
        elif current is not None and level is not None and level != current.level:
            records.append(AuditRecord("update", "conduct", current.id, {**key, "level": current.level},
                                       {**key, "level": level}, klass.school_id))
            current.level, current.proposed_by_id, current.approved_by_id = level, actor.user_id, None
            updated += 1
        else:
            unchanged += 1
    session.flush()
    audit.append_many(session, actor, records)
    return SaveResult(created, updated, deleted, unchanged)


def save_homeroom_comments(session: Session, actor: Actor, klass: Class, period: Period,
                           comments: Mapping[int, str | None], *, today: dt.date | None = None) -> SaveResult:
    """Record the homeroom teacher's comments (printed in the transcript) for a period."""
    period = Period(period)
    require(session, actor, Action.HOMEROOM_COMMENTS_WRITE, klass, today=today)
    locks.ensure_open(session, "homeroom_comment", klass.id, _period_term_id(session, klass, period))
    _on_roll(session, klass, set(comments))
    existing = {c.enrolment_id: c for c in session.scalars(select(HomeroomComment).where(
        HomeroomComment.enrolment_id.in_(list(comments)), HomeroomComment.period == period))}
    records: list[AuditRecord] = []
    created = updated = deleted = unchanged = 0
    for enrolment_id, raw in comments.items():
        text = " ".join((raw or "").split())
        current = existing.get(enrolment_id)
        key = {"enrolment_id": enrolment_id, "period": period.value}
        if current is None and text:
            current = HomeroomComment(enrolment_id=enrolment_id, period=period, text=text, teacher_id=actor.user_id)
            session.add(current)
            session.flush()
            records.append(AuditRecord("create", "homeroom_comment", current.id, None, {**key, "text": text},
                                       klass.school_id))
            created += 1
        elif current is not None and not text:
            records.append(AuditRecord("delete", "homeroom_comment", current.id, {**key, "text": current.text},
                                       None, klass.school_id))
            session.delete(current)
            deleted += 1
        elif current is not None and text != current.text:
            records.append(AuditRecord("update", "homeroom_comment", current.id, {**key, "text": current.text},
                                       {**key, "text": text}, klass.school_id))
            current.text, current.teacher_id = text, actor.user_id
            updated += 1
        else:
            unchanged += 1
    session.flush()
    audit.append_many(session, actor, records)
    return SaveResult(created, updated, deleted, unchanged)
