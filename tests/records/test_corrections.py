"""Corrections: request → principal approves or rejects → applied before witnesses; traced, noted, recomputed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from records import audit
from records.errors import BookLockedError, ConflictError, PermissionDeniedError, ValidationError
from records.models import AuditEntry, Book, CorrectionStatus, Mark, MarkKind, Period, Role, SubjectResult
from records.services import corrections, locks, marks, results
from records.services.marks import MarkInput, MarkKey
from tests.records.factories_gov import IN_TERM1, IN_TERM2, make_world


def _full_term(session, world):
    """Complete Toán marks of term 1 for every student (4 regular, mid-term, end-of-term)."""
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    inputs = []
    for e in world.enrolments:
        inputs += [MarkInput(e.id, MarkKind.REGULAR, s, "8") for s in (1, 2, 3, 4)]
        inputs += [MarkInput(e.id, MarkKind.MIDTERM, 1, "7"), MarkInput(e.id, MarkKind.FINAL, 1, "6")]
    marks.save_marks(session, teacher, world.assignment1, inputs, today=IN_TERM1)


def _locked_world(session):
    world = make_world(session)
    _full_term(session, world)
    results.compute_class(session, world.actor(session, Role.ADMINISTRATOR), world.klass, Period.TERM1)
    decision = locks.decide(session, world.actor(session, Role.PRINCIPAL), book=Book.MARK_BOOK,
                            school_year=world.year, term=world.term1, lock=True, decision_ref="QĐ 20/QĐ-THCS")
    locks.execute(session, world.actor(session, Role.ADMINISTRATOR), decision)
    return world


def _request(session, world, new_value="9", slot=2, reason="Nhập nhầm điểm bài kiểm tra 15 phút"):
    return corrections.request_correction(
        session, world.actor(session, Role.SUBJECT_TEACHER), enrolment_id=world.enrolments[0].id,
        subject_id=world.subject.id, term_id=world.term1.id, kind=MarkKind.REGULAR, slot=slot,
        new_value=new_value, reason=reason, today=IN_TERM2)


def _value(session, world, slot=2):
    mark = marks.find_mark(session, MarkKey(world.enrolments[0].id, world.subject.id, world.term1.id,
                                            MarkKind.REGULAR, slot))
    return mark.score if mark else None


def _average(session, world):
    session.expire_all()
    return session.scalar(select(SubjectResult.average).where(
        SubjectResult.enrolment_id == world.enrolments[0].id, SubjectResult.subject_id == world.subject.id,
        SubjectResult.period == Period.TERM1))


def _apply(session, world, request):
    return corrections.apply(session, world.actor(session, Role.ADMINISTRATOR), request,
                             leader=world.users[Role.VICE_PRINCIPAL], board=world.board_witness,
                             requester_present=True)


def test_approved_correction_changes_mark_results_trace_and_note(session):
    world = _locked_world(session)
    assert _average(session, world) == Decimal("7.1")  # (8·4 + 7·2 + 6·3) / 9 = 7.11
    with pytest.raises(BookLockedError):  # the ordinary way is closed
        marks.save_marks(session, world.actor(session, Role.SUBJECT_TEACHER), world.assignment1,
                         [MarkInput(world.enrolments[0].id, MarkKind.REGULAR, 2, "9")], today=IN_TERM1)
    seen = []

    def subscriber(_session, event):
        seen.append(event)

    corrections.on_correction_applied.append(subscriber)
    try:
        request = _request(session, world, "10")
        assert request.old_value == "8.0" and request.new_value == "10.0"
        assert request.status is CorrectionStatus.PENDING
        with pytest.raises(ConflictError):  # not approved yet
            _apply(session, world, request)
        corrections.approve(session, world.actor(session, Role.PRINCIPAL), request, "Đồng ý")
        assert _value(session, world) == Decimal("8.0")  # approval alone changes nothing
        _apply(session, world, request)
    finally:
        corrections.on_correction_applied.remove(subscriber)
    assert _value(session, world) == Decimal("10.0")
    assert _average(session, world) == Decimal("7.3")  # (8·3 + 10 + 7·2 + 6·3) / 9 = 7.33
    assert request.status is CorrectionStatus.APPLIED
    assert request.witness_leader_id == world.users[Role.VICE_PRINCIPAL].id
    assert request.witness_board_id == world.board_witness.id and request.requester_present
    assert [e.old_value for e in seen] == ["8.0"] and seen[0].new_value == "10.0"
    trail = audit.entries(session, school_id=world.school.id, request_id=request.id)
    assert [(e.entity, e.action) for e in trail] == [
        ("correction_request", "request"), ("correction_request", "approve"), ("mark", "correct"),
        ("correction_request", "apply")]
    assert audit.state(trail[2].before)["value"] == "8.0" and audit.state(trail[2].after)["value"] == "10.0"
    note = corrections.correction_note(session, world.enrolments[0].id)
    assert note.count == 1 and note.subjects == ("Toán",)
    assert note.text_vi == "Trong bảng này có sửa chữa ở: 1 chỗ, thuộc các môn học: Toán."
    same = corrections.correction_note(session, student_id=world.enrolments[0].student_id,
                                       school_year_id=world.year.id)
    assert same == note
    assert corrections.correction_note(session, world.enrolments[1].id).count == 0
    assert audit.verify(session, world.school.id).ok
    document = corrections.correction_document(request)
    assert document["title"] == "BIÊN BẢN SỬA CHỮA ĐIỂM SỐ" and document["old_value"] == "8.0"
    assert document["column"] == "ĐĐGtx2" and document["subject"] == "Toán"
    assert [w["name"] for w in document["witnesses"]] == [
        world.users[Role.VICE_PRINCIPAL].full_name, world.board_witness.full_name,
        world.users[Role.SUBJECT_TEACHER].full_name]
    assert len(document["trace"]) == 4
    assert document["decision"]["by"] == world.users[Role.PRINCIPAL].full_name
    assert document["application"]["by"]  # names resolve in the session that decided, without a refresh


def test_column_labels_follow_the_year_regulation():
    assert corrections.column_label(MarkKind.REGULAR, 2, "tt22") == "ĐĐGtx2"
    assert corrections.column_label(MarkKind.FINAL, 1, "tt26") == "ĐĐGck"
    assert corrections.column_label(MarkKind.REGULAR, 3, "tt58") == "Hệ số 1, cột 3"
    assert corrections.column_label(MarkKind.PERIODIC, 1, "tt58") == "Hệ số 2, cột 1"
    assert corrections.column_label(MarkKind.FINAL, 1, "tt58") == "KT học kì"


def test_rejected_correction_changes_nothing(session):
    world = _locked_world(session)
    request = _request(session, world)
    corrections.reject(session, world.actor(session, Role.PRINCIPAL), request, "Không có căn cứ")
    session.flush()
    marks_before = session.scalars(select(Mark.score).order_by(Mark.id)).all()
    average_before = _average(session, world)
    with pytest.raises(ConflictError):
        _apply(session, world, request)
    with pytest.raises(ConflictError):  # decided once
        corrections.approve(session, world.actor(session, Role.PRINCIPAL), request)
    assert session.scalars(select(Mark.score).order_by(Mark.id)).all() == marks_before
    assert _average(session, world) == average_before
    assert corrections.correction_note(session, world.enrolments[0].id).count == 0
    assert corrections.correction_document(request)["status_vi"] == "Không duyệt"


def test_who_may_request_approve_and_apply(session):
    world = _locked_world(session)
    with pytest.raises(PermissionDeniedError):  # not their assignment
        corrections.request_correction(
            session, world.user_actor(session, world.other_teacher), enrolment_id=world.enrolments[0].id,
            subject_id=world.subject.id, term_id=world.term1.id, kind=MarkKind.REGULAR, slot=2, new_value="9",
            reason="x")
    request = _request(session, world)
    for role in (Role.VICE_PRINCIPAL, Role.ADMINISTRATOR, Role.SUBJECT_TEACHER):
        with pytest.raises(PermissionDeniedError):
            corrections.approve(session, world.actor(session, role), request)
    corrections.approve(session, world.actor(session, Role.PRINCIPAL), request)
    with pytest.raises(PermissionDeniedError):
        corrections.apply(session, world.actor(session, Role.PRINCIPAL), request,
                          leader=world.users[Role.PRINCIPAL], board=world.board_witness,
                          requester_present=True)


def test_witnesses_are_checked(session):
    world = _locked_world(session)
    request = _request(session, world)
    corrections.approve(session, world.actor(session, Role.PRINCIPAL), request)
    admin = world.actor(session, Role.ADMINISTRATOR)
    bad = [
        {"leader": world.users[Role.OFFICE], "board": world.users[Role.ADMINISTRATOR], "requester_present": True},
        {"leader": world.users[Role.PRINCIPAL], "board": world.users[Role.SUBJECT_TEACHER], "requester_present": True},
        {"leader": world.users[Role.PRINCIPAL], "board": world.users[Role.ADMINISTRATOR], "requester_present": False},
    ]
    for kwargs in bad:
        with pytest.raises(ValidationError):
            corrections.apply(session, admin, request, **kwargs)
    assert _value(session, world) == Decimal("8.0")
    corrections.apply(session, admin, request, leader=world.users[Role.PRINCIPAL].id,
                      board=world.board_witness.id, requester_present=True)
    assert _value(session, world) == Decimal("9.0")


def test_request_validation(session):
    world = _locked_world(session)
    with pytest.raises(ValidationError):
        _request(session, world, "8")  # same as the current value
    with pytest.raises(ValidationError):
        _request(session, world, "11")
    with pytest.raises(ValidationError):
        _request(session, world, "9", reason="  ")
    _request(session, world, "9")
    with pytest.raises(ConflictError):  # one open request per mark
        _request(session, world, "9.5")


def test_a_correction_may_add_a_missing_mark_after_the_cutoff(session):
    world = _locked_world(session)
    request = _request(session, world, "7", slot=5)
    assert request.old_value is None
    corrections.approve(session, world.actor(session, Role.PRINCIPAL), request)
    _apply(session, world, request)
    assert _value(session, world, slot=5) == Decimal("7.0")
    assert corrections.correction_document(request)["old_value"] == "(trống)"


def test_stale_request_is_refused(session):
    world = _locked_world(session)
    first = _request(session, world, "9")
    corrections.approve(session, world.actor(session, Role.PRINCIPAL), first)
    _apply(session, world, first)
    # A second request filed against the corrected value, then the value is corrected again under it.
    second = _request(session, world, "9.5")
    corrections.approve(session, world.actor(session, Role.PRINCIPAL), second)
    count = session.scalar(select(func.count(AuditEntry.id)))
    mark = session.scalars(select(Mark).where(Mark.slot == 2, Mark.enrolment_id == world.enrolments[0].id)).one()
    mark.score = Decimal(5)  # changed behind the services' back
    session.flush()
    with pytest.raises(ConflictError):
        _apply(session, world, second)
    assert session.scalar(select(func.count(AuditEntry.id))) == count


def test_attack_applier_names_herself_as_board_witness(session):
    """Issue 10: the administrator applying a correction cannot be its board witness."""
    world = _locked_world(session)
    request = _request(session, world)
    corrections.approve(session, world.actor(session, Role.PRINCIPAL), request)
    with pytest.raises(ValidationError, match="applying the correction"):
        corrections.apply(session, world.actor(session, Role.ADMINISTRATOR), request,
                          leader=world.users[Role.PRINCIPAL], board=world.users[Role.ADMINISTRATOR],
                          requester_present=True)
    assert _value(session, world) == Decimal("8.0")
