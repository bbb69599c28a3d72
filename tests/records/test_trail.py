"""Print only what the trail says (issue 10): a value changed behind the services' back is found and named."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from records.errors import IntegrityError
from records.models import AuditEntry, Mark, MarkKind, Period, Role, StudentResult
from records.services import conduct, marks, results, trail
from records.services.marks import MarkInput
from tests.records.factories_gov import IN_TERM1, make_world


@pytest.fixture
def world(session):
    world = make_world(session)
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    marks.save_marks(session, teacher, world.assignment1, [
        MarkInput(e.id, kind, slot, value) for e in world.enrolments
        for kind, slot, value in ((MarkKind.REGULAR, 1, "6"), (MarkKind.REGULAR, 2, "7.5"),
                                  (MarkKind.MIDTERM, 1, "8"), (MarkKind.FINAL, 1, "7"))], today=IN_TERM1)
    marks.save_marks(session, teacher, world.assignment1, [MarkInput(world.enrolments[2].id, MarkKind.REGULAR, 2,
                                                                     None)], today=IN_TERM1)  # a delete, traced
    conduct.save_conduct(session, world.actor(session, Role.HOMEROOM_TEACHER), world.klass, Period.TERM1,
                         {e.id: "Tốt" for e in world.enrolments}, today=IN_TERM1)
    results.compute_class(session, world.actor(session, Role.HOMEROOM_TEACHER), world.klass, Period.TERM1)
    session.flush()
    return world


def _ids(world):
    return [e.id for e in world.enrolments]


def test_values_written_by_the_services_are_the_trails(session, world) -> None:
    report = trail.require_traced(session, _ids(world))
    assert report.ok and report.values > 20 and report.entries > 10


def test_attack_mark_changed_with_sql_stops_the_print_and_is_named(session, world) -> None:
    student = world.enrolments[0].student.full_name
    session.execute(text("UPDATE mark SET score = 95 WHERE enrolment_id = :e AND kind = 'tx' AND slot = 1"),
                    {"e": world.enrolments[0].id})
    with pytest.raises(IntegrityError) as caught:
        trail.require_traced(session, _ids(world))
    message = caught.value.message_vi
    assert "9A1" in message and student in message and "Toán" in message and "ĐĐGtx1" in message
    assert "9.5" in message and "6" in message


def test_attack_rows_inserted_or_deleted_with_sql(session, world) -> None:
    mark = session.scalars(select(Mark).where(Mark.enrolment_id == world.enrolments[1].id)).first()
    session.execute(text("DELETE FROM mark WHERE id = :id"), {"id": mark.id})
    session.execute(text("INSERT INTO mark (enrolment_id, subject_id, term_id, kind, slot, score, entered_at) "
                         "VALUES (:e, :s, :t, 'tx', 3, 100, CURRENT_TIMESTAMP)"),
                    {"e": world.enrolments[2].id, "s": world.subject.id, "t": world.term1.id})
    report = trail.check_traced(session, _ids(world))
    columns = {(m.student, m.column, m.stored, m.traced) for m in report.mismatches}
    assert len(report.mismatches) == 2, columns
    assert any(m.stored == "(không có)" for m in report.mismatches)  # deleted: the trail still has it
    assert any("ĐĐGtx3" in m.column and m.traced == "(không có)" for m in report.mismatches)  # inserted


def test_attack_stale_average_and_result_edited_with_sql(session, world) -> None:
    session.execute(text("UPDATE student_result SET conduct = 'Khá' WHERE enrolment_id = :e"),
                    {"e": world.enrolments[0].id})
    session.execute(text("UPDATE subject_result SET average = 99 WHERE enrolment_id = :e AND subject_id = :s"),
                    {"e": world.enrolments[1].id, "s": world.subject.id})
    session.expire_all()
    report = trail.check_traced(session, _ids(world))
    assert {m.column.split(" (")[0] for m in report.mismatches} == {"rèn luyện / hạnh kiểm", "điểm trung bình môn"}


def test_attack_trail_entry_edited_to_match(session, world) -> None:
    """Editing the trace entry too (without re-hashing the chain) is refused: the entry fails its hash."""
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "mark").order_by(AuditEntry.seq)).first()
    session.execute(text("UPDATE mark SET score = 95 WHERE id = :id"), {"id": int(entry.entity_id)})
    session.execute(text("UPDATE audit_entry SET after = replace(after, '\"6.0\"', '\"9.5\"') WHERE id = :id"),
                    {"id": entry.id})
    with pytest.raises(IntegrityError, match="fail their hash"):
        trail.require_traced(session, _ids(world))


def test_the_replay_is_kept_and_extended(session, world) -> None:
    first = trail.check_traced(session, _ids(world))
    marks.save_marks(session, world.actor(session, Role.SUBJECT_TEACHER), world.assignment1,
                     [MarkInput(world.enrolments[0].id, MarkKind.REGULAR, 3, "5")], today=IN_TERM1)
    again = trail.check_traced(session, _ids(world))
    assert again.ok and again.values == first.values + 1
    assert session.scalars(select(StudentResult)).first() is not None


def test_one_verdict_for_a_run_and_a_value_changed_after_it_is_caught(session, world) -> None:
    """A print run checks all its enrolments once (``verify_enrolments``); a book then compares the values it
    reads with the verified ones by digest — a mark changed with SQL after the run's check is not printed."""
    ids = _ids(world)
    verdict = trail.verify_enrolments(session, ids)
    assert set(verdict.digests) == set(ids) and not verdict.failed and verdict.values > 20
    assert trail.unchanged_since(session, ids, verdict) == set()
    first = world.enrolments[0].id
    session.execute(text("UPDATE mark SET score = 95 WHERE enrolment_id = :e AND kind = 'tx' AND slot = 1"),
                    {"e": first})
    assert trail.unchanged_since(session, ids, verdict) == {first}  # the book of this student is checked alone
    with pytest.raises(IntegrityError, match="ĐĐGtx1"):
        trail.require_traced(session, [first])
    again = trail.verify_enrolments(session, ids)  # a run started now: the forged value fails its books only
    assert again.failed == {first} and set(again.digests) == set(ids) - {first}
    session.execute(text("UPDATE subject_result SET average = 99 WHERE enrolment_id = :e"),
                    {"e": world.enrolments[1].id})
    assert trail.unchanged_since(session, ids, again) == {first, world.enrolments[1].id}
    assert trail.unchanged_since(session, [*ids, 999_999], again) == {first, world.enrolments[1].id, 999_999}


def test_values_changed_by_the_services_while_a_book_prints_are_not_taken_as_printed(session, world) -> None:
    """``confirm_printed``: the values verified now must be those the book read (its digests), else refused."""
    from records.errors import ConflictError

    ids = _ids(world)
    printed = trail.stored_digests(session, ids)
    assert trail.confirm_printed(session, printed).ok
    marks.save_marks(session, world.actor(session, Role.SUBJECT_TEACHER), world.assignment1,
                     [MarkInput(world.enrolments[0].id, MarkKind.REGULAR, 3, "5")], today=IN_TERM1)  # traced
    with pytest.raises(ConflictError, match="changed while") as caught:
        trail.confirm_printed(session, printed)
    assert "in lại" in caught.value.message_vi
    assert trail.confirm_printed(session, trail.stored_digests(session, ids)).ok
    session.execute(text("UPDATE mark SET score = 95 WHERE enrolment_id = :e AND kind = 'tx' AND slot = 1"),
                    {"e": world.enrolments[1].id})
    with pytest.raises(IntegrityError, match="ĐĐGtx1"):
        trail.confirm_printed(session, trail.stored_digests(session, ids))


def test_attack_state_with_text_after_it_is_refused_even_rehashed(session, world) -> None:
    """A traced state is decoded as ``json.loads`` decodes it: text after the JSON value is refused, not read
    as the value before it (here the entry is re-hashed: only the published seals would tell)."""
    from records.audit import entry_hash

    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "mark").order_by(AuditEntry.seq)).first()
    row = {name: getattr(entry, name) for name in ("chain", "seq", "at", "school_id", "actor_id", "actor_name",
                                                   "action", "entity", "entity_id", "before", "after", "reason",
                                                   "request_id", "prev_hash")}
    row["after"] = entry.after + ' {"value":"9.5"}'
    session.execute(text("UPDATE audit_entry SET after = :after, hash = :hash WHERE id = :id"),
                    {"after": row["after"], "hash": entry_hash(row), "id": entry.id})
    trail.forget()
    with pytest.raises(ValueError, match="[Ee]xtra data"):
        trail.check_traced(session, _ids(world))
