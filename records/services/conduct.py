"""Conduct / training results and homeroom comments, by the homeroom teacher (CV §2.2.2 c)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.errors import ValidationError
from records.models import Class, Conduct, Enrolment, Grade, HomeroomComment, Period, Term
from records.permissions import Action, Actor, require
from records.rules import ruleset
from records.services import locks, versions
from records.services.limits import HOMEROOM_COMMENT_MAX, check_length
from records.services.marks import SaveResult
from records.services.sheets import clean_text, save_values


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
                 *, today: dt.date | None = None, expected_version: int | None = None) -> SaveResult:
    """Record conduct (TT58/TT26 hạnh kiểm) or training results (TT22 rèn luyện) of a class for a period.

    ``expected_version``: the sheet's version the writer read; a stale save raises ``StaleSheetError``.
    """
    period = Period(period)
    require(session, actor, Action.CONDUCT_WRITE, klass, today=today)
    version = versions.claim(session, [versions.conduct_sheet(klass.id, period)], school_id=klass.school_id,
                             expected_version=expected_version)
    locks.ensure_open(session, "conduct", klass.id, _period_term_id(session, klass, period))
    grade = session.get(Grade, klass.grade_id)
    assert grade is not None
    rules = ruleset(grade.regime)
    _on_roll(session, klass, set(levels))
    existing = {c.enrolment_id: c for c in session.scalars(select(Conduct).where(
        Conduct.enrolment_id.in_(list(levels)), Conduct.period == period))}
    def touch(row: Conduct) -> None:
        row.proposed_by_id, row.approved_by_id = actor.user_id, None  # a changed level needs approval again

    return save_values(
        session, actor, entity="conduct", field="level", existing=existing,
        wanted={e: (rules.normalize_conduct(raw) if raw else None) for e, raw in levels.items()},
        make=lambda e, level: Conduct(enrolment_id=e, period=period, level=level, proposed_by_id=actor.user_id),
        touch=touch, key=lambda e: {"enrolment_id": e, "period": period.value}, school_id=klass.school_id, version=version)


def save_homeroom_comments(session: Session, actor: Actor, klass: Class, period: Period,
                           comments: Mapping[int, str | None], *, today: dt.date | None = None,
                           expected_version: int | None = None) -> SaveResult:
    """Record the homeroom teacher's comments (printed in the transcript) for a period.

    ``expected_version`` as in ``save_conduct``.
    """
    period = Period(period)
    require(session, actor, Action.HOMEROOM_COMMENTS_WRITE, klass, today=today)
    for raw in comments.values():
        check_length("homeroom_comment", " ".join((raw or "").split()), HOMEROOM_COMMENT_MAX,
                     label_vi="Nhận xét của giáo viên chủ nhiệm")
    version = versions.claim(session, [versions.homeroom_comment_sheet(klass.id, period)],
                             school_id=klass.school_id, expected_version=expected_version)
    locks.ensure_open(session, "homeroom_comment", klass.id, _period_term_id(session, klass, period))
    _on_roll(session, klass, set(comments))
    existing = {c.enrolment_id: c for c in session.scalars(select(HomeroomComment).where(
        HomeroomComment.enrolment_id.in_(list(comments)), HomeroomComment.period == period))}
    def touch(row: HomeroomComment) -> None:
        row.teacher_id = actor.user_id

    return save_values(
        session, actor, entity="homeroom_comment", field="text", existing=existing,
        wanted={e: clean_text(raw) for e, raw in comments.items()},
        make=lambda e, text: HomeroomComment(enrolment_id=e, period=period, text=text, teacher_id=actor.user_id),
        touch=touch, key=lambda e: {"enrolment_id": e, "period": period.value}, school_id=klass.school_id, version=version)
