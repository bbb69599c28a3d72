"""The mark sheets of a class and term saved in one call (``marks.save_mark_sheets``): the same checks,
changes and trail as one save after another, all or nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from records import audit
from records.errors import BookLockedError, PermissionDeniedError, StaleSheetError, ValidationError
from records.models import AuditEntry, Book, Mark, MarkKind, Role, SheetVersion
from records.permissions import Actor
from records.services import locks, marks, trail, versions
from records.services.marks import MarkInput, MarkSheet
from tests import factories as f
from tests.records.factories_gov import IN_TERM1, make_world


def _world(session):
    """The subject teacher's Toán and GDTC, and another teacher's Ngữ văn, in 9A1 term 1."""
    world = make_world(session)
    literature = next(gs.subject for gs in world.klass.grade.subjects if gs.subject.code == "ngu_van")
    world.literature = f.assign(session, world.other_teacher, world.klass, literature, world.term1)
    return world


def _sheets(session, world, *, round_: int = 0):
    a, b, c = (e.id for e in world.enrolments)
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    other = Actor.load(session, world.other_teacher.id)
    day = dt.date(2025, 10, 1)
    if round_ == 0:
        return [
            MarkSheet(teacher, world.assignment1, [MarkInput(a, MarkKind.REGULAR, 1, "7.5", day),
                                                   MarkInput(b, MarkKind.REGULAR, 1, 8, day),
                                                   MarkInput(c, MarkKind.REGULAR, 1, None)]),
            MarkSheet(other, world.literature, [MarkInput(a, MarkKind.REGULAR, 1, "6"),
                                                MarkInput(c, MarkKind.MIDTERM, 1, "9.5")]),
            MarkSheet(teacher, world.comment_assignment, [MarkInput(a, MarkKind.REGULAR, 1, "Đ"),
                                                          MarkInput(b, MarkKind.REGULAR, 1, "cđ")]),
        ]
    return [  # changes and removals of the first round, new marks too
        MarkSheet(other, world.literature, [MarkInput(a, MarkKind.REGULAR, 1, "6.5"),
                                            MarkInput(c, MarkKind.MIDTERM, 1, None),
                                            MarkInput(b, MarkKind.FINAL, 1, "4")]),
        MarkSheet(teacher, world.assignment1, [MarkInput(a, MarkKind.REGULAR, 1, "7.5"),
                                               MarkInput(b, MarkKind.REGULAR, 1, 9),
                                               MarkInput(c, MarkKind.REGULAR, 2, "10")]),
    ]


def _state(session, school_id):
    """Every mark and every trail entry (time stamps and hashes left out) and the sheet versions."""
    session.flush()
    stored = [(m.id, m.enrolment_id, m.subject_id, m.term_id, MarkKind(m.kind).value, m.slot, m.score, m.grade,
               m.assessed_on, m.entered_by_id) for m in session.scalars(select(Mark).order_by(Mark.id))]
    entries = [(e.seq, e.actor_id, e.actor_name, e.action, e.entity, e.entity_id, e.before, e.after, e.reason)
               for e in audit.entries(session, school_id=school_id)]
    sheet_versions = sorted(session.execute(select(SheetVersion.sheet, SheetVersion.version)).all())
    return stored, entries, sheet_versions


def _normalised(session, state, world):
    """The state with the ids of this world's rows replaced by what they name (a rolled back world's
    ids are not reused on PostgreSQL)."""
    stored, entries, sheet_versions = state
    mark_no: dict[int, int] = {}  # every mark the trail names (removed ones too), numbered as they appear
    for entry in entries:
        if entry[4] == "mark":
            mark_no.setdefault(int(entry[5]), len(mark_no))
    enrolment_no = {e.id: n for n, e in enumerate(world.enrolments)}
    subject_code = {gs.subject.id: gs.subject.code for gs in world.klass.grade.subjects}
    term_no = {world.term1.id: 1, world.term2.id: 2}
    user_name = {u.id: u.full_name for u in [*world.users.values(), world.other_teacher]}

    def traced(text):
        value = audit.state(text)
        if value is None:
            return None
        value = dict(value)
        value["enrolment_id"] = enrolment_no[value["enrolment_id"]]
        value["subject_id"] = subject_code[value["subject_id"]]
        value["term_id"] = term_no[value["term_id"]]
        return value

    marks_ = [(mark_no[i], enrolment_no[e], subject_code[s], term_no[t], *rest[:-1], user_name[rest[-1]])
              for i, e, s, t, *rest in stored]
    first_seq = entries[0][0]
    trail_ = [(seq - first_seq, user_name[actor], action, entity, mark_no[int(entity_id)] if entity == "mark" else entity_id,
               traced(before), traced(after), reason)
              for seq, actor, _name, action, entity, entity_id, before, after, reason in entries]  # names: a counter
    versions_ = []
    for sheet, version in sheet_versions:
        _kind, _class, subject, term = sheet.split(":")
        versions_.append((subject_code[int(subject)], term_no[int(term)], version))
    return marks_, trail_, sorted(versions_)


def _run(session, *, batched):
    world = _world(session)
    results = []
    for round_ in (0, 1):
        sheets = _sheets(session, world, round_=round_)
        if batched:
            results.append(marks.save_mark_sheets(session, sheets, today=IN_TERM1, reason="nhập điểm"))
        else:
            results.append([marks.save_marks(session, s.actor, s.assignment, s.inputs, today=IN_TERM1,
                                             reason="nhập điểm") for s in sheets])
    assert audit.verify(session, world.school.id).ok
    assert trail.check_traced(session, [e.id for e in world.enrolments]).ok  # the replay gives the stored marks
    return results, _normalised(session, _state(session, world.school.id), world)


def test_one_call_equals_one_save_after_another(session):
    """The same world saved one sheet after another, then (rolled back, built again) in one call per round:
    the same results, marks (in the same id order), trail entries in the same order, sheet versions."""
    results_0, state_0 = _run(session, batched=False)
    session.rollback()
    results_1, state_1 = _run(session, batched=True)
    assert results_1 == results_0
    assert [[(r.created, r.updated, r.deleted, r.unchanged, r.version) for r in round_] for round_ in results_1] == [
        [(2, 0, 0, 1, 1), (2, 0, 0, 0, 1), (2, 0, 0, 0, 1)], [(1, 1, 1, 0, 2), (1, 1, 0, 1, 2)]]
    marks_1, trail_1, _versions = state_1
    assert len(marks_1) == 7 and [e[2] for e in trail_1 if e[3] == "mark"].count("create") == 8
    for part_1, part_0 in zip(state_1, state_0, strict=True):
        assert len(part_1) == len(part_0)
        for row_1, row_0 in zip(part_1, part_0, strict=True):
            assert row_1 == row_0


def _nothing_written(session, world, before):
    assert session.scalar(select(func.count(Mark.id))) == 0
    assert session.scalar(select(func.count(AuditEntry.id))) == before
    assert session.scalar(select(func.count()).select_from(SheetVersion)) == 0


def test_a_subject_not_assigned_to_its_teacher_refuses_the_whole_batch(session):
    world = _world(session)
    before = session.scalar(select(func.count(AuditEntry.id)))
    sheets = _sheets(session, world)
    teacher = sheets[0].actor
    # the subject teacher saves the other teacher's Ngữ văn, last in the batch
    stolen = MarkSheet(teacher, world.literature, [MarkInput(world.enrolments[0].id, MarkKind.FINAL, 1, "10")])
    with pytest.raises(PermissionDeniedError) as refused:
        marks.save_mark_sheets(session, [*sheets, stolen], today=IN_TERM1)
    with pytest.raises(PermissionDeniedError) as alone:
        marks.save_marks(session, teacher, world.literature, stolen.inputs, today=IN_TERM1)
    assert str(refused.value) == str(alone.value)  # the single save's error
    _nothing_written(session, world, before)


def test_a_locked_book_refuses_the_batch(session):
    world = _world(session)
    decision = locks.decide(session, world.actor(session, Role.PRINCIPAL), book=Book.MARK_BOOK,
                            school_year=world.year, term=world.term1, klass=world.klass, lock=True,
                            decision_ref="QĐ số 12/QĐ-THCS", decided_on=IN_TERM1)
    locks.execute(session, world.actor(session, Role.ADMINISTRATOR), decision)
    before = session.scalar(select(func.count(AuditEntry.id)))
    with pytest.raises(BookLockedError), session.begin_nested():  # the caller's transaction, rolled back
        marks.save_mark_sheets(session, _sheets(session, world), today=IN_TERM1)
    _nothing_written(session, world, before)


def test_a_stale_sheet_refuses_the_batch(session):
    world = _world(session)
    sheets = _sheets(session, world)
    marks.save_mark_sheets(session, sheets, today=IN_TERM1)
    stored = _state(session, world.school.id)
    current = versions.version_of(session, versions.mark_sheet(world.literature))
    assert current == 1
    again = [MarkSheet(s.actor, s.assignment, s.inputs, expected_version=1) for s in _sheets(session, world, round_=1)]
    again[1] = MarkSheet(again[1].actor, again[1].assignment, again[1].inputs, expected_version=0)  # read before
    with pytest.raises(StaleSheetError) as stale:
        marks.save_mark_sheets(session, again, today=IN_TERM1)
    assert stale.value.sheet == versions.mark_sheet(world.assignment1) and stale.value.current == 1
    assert _state(session, world.school.id) == stored  # nothing of the batch written
    again[1] = MarkSheet(again[1].actor, again[1].assignment, again[1].inputs, expected_version=1)
    assert [r.version for r in marks.save_mark_sheets(session, again, today=IN_TERM1)] == [2, 2]


def test_one_column_of_a_shared_subject_in_two_sheets_is_refused(session):
    world = _world(session)
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    second = f.assign(session, world.other_teacher, world.klass, world.subject, world.term1)  # Toán shared
    other = Actor.load(session, world.other_teacher.id)
    a = world.enrolments[0].id
    results = marks.save_mark_sheets(session, [
        MarkSheet(teacher, world.assignment1, [MarkInput(a, MarkKind.REGULAR, 1, "7")]),
        MarkSheet(other, second, [MarkInput(a, MarkKind.REGULAR, 2, "8")])], today=IN_TERM1)
    assert [(r.created, r.version) for r in results] == [(1, 1), (1, 2)]  # one sheet, bumped twice
    with pytest.raises(ValidationError):
        marks.save_mark_sheets(session, [
            MarkSheet(teacher, world.assignment1, [MarkInput(a, MarkKind.REGULAR, 3, "7")]),
            MarkSheet(other, second, [MarkInput(a, MarkKind.REGULAR, 3, "8")])], today=IN_TERM1)
    assert sorted(m.score for m in session.scalars(select(Mark))) == [Decimal("7.0"), Decimal("8.0")]


def test_sheets_of_two_classes_are_refused(session):
    world = _world(session)
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    elsewhere = f.assign(session, world.users[Role.SUBJECT_TEACHER], world.other_class, world.subject, world.term1)
    a = world.enrolments[0].id
    with pytest.raises(ValidationError):
        marks.save_mark_sheets(session, [
            MarkSheet(teacher, world.assignment1, [MarkInput(a, MarkKind.REGULAR, 1, "7")]),
            MarkSheet(teacher, elsewhere, [MarkInput(a, MarkKind.REGULAR, 1, "8")])], today=IN_TERM1)
    assert session.scalar(select(func.count(Mark.id))) == 0
    assert marks.save_mark_sheets(session, [], today=IN_TERM1) == []
