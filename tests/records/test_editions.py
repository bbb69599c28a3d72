"""The editions service: rights, audit, supersede rules, revocation, correction hook, trust list."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from types import SimpleNamespace

import pytest

from records import audit
from records.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from records.models import EditionKind, EditionStatus, Enrolment, KeyKind, KeyState, Role, SigningKey, Student
from records.permissions import Actor, scope_of, student_scopes
from records.services import corrections
from records.services import editions as es
from tests.factories import enrol, make_class, make_school, make_student, make_user, make_year


@pytest.fixture
def ctx(session):
    school = make_school(session)
    year = make_year(session, school)
    klass = make_class(session, year, 9, "9A1")
    office = Actor.load(session, make_user(session, school, [Role.OFFICE]).id)
    principal = Actor.load(session, make_user(session, school, [Role.PRINCIPAL]).id)
    return SimpleNamespace(school=school, year=year, klass=klass, office=office, principal=principal)


def draft(ctx, *, copy: bool = False, student_id: int | None = None, part: str = "all") -> es.EditionDraft:
    kind = EditionKind.TRANSCRIPT if student_id else EditionKind.MARK_BOOK
    return es.EditionDraft(
        edition_id=uuid.uuid4(), kind=kind, school_id=ctx.school.id, title="Sổ — 9A1", issued_on=dt.date(2026, 5, 30),
        book_pages=10, pages=(es.PrintedPage(1, "cover", b"\x01" * 16), es.PrintedPage(2, "marks", b"\x02" * 16)),
        key_id="0badc0de", document_sha256="0" * 64, class_id=None if student_id else ctx.klass.id,
        student_id=student_id, school_year_id=ctx.year.id, part=part, copy=copy)


def test_create_is_audited_and_needs_the_print_right(session, ctx) -> None:
    teacher = Actor.load(session, make_user(session, ctx.school, [Role.SUBJECT_TEACHER]).id)
    with pytest.raises(PermissionDeniedError):
        es.create_edition(session, teacher, draft(ctx))
    e = es.create_edition(session, ctx.office, draft(ctx))
    assert e.status is EditionStatus.CURRENT and e.page_count == 2 and e.created_by_name == ctx.office.username
    entries = audit.entries(session, entity="edition", entity_id=str(e.id))
    assert [x.action for x in entries] == ["print"]
    assert audit.state(entries[0].after)["pages"] == [[1, "01" * 16], [2, "02" * 16]]
    with pytest.raises(ConflictError):
        es.create_edition(session, ctx.office, replace(draft(ctx), edition_id=e.id))


def test_reprint_supersedes_originals_of_the_same_scope_only(session, ctx) -> None:
    first = es.create_edition(session, ctx.office, draft(ctx))
    other_part = es.create_edition(session, ctx.office, draft(ctx, part="term1"))
    copy = es.create_edition(session, ctx.office, draft(ctx, copy=True))
    second = es.create_edition(session, ctx.office, draft(ctx))
    assert first.status is EditionStatus.SUPERSEDED and first.superseded_by_id == second.id
    assert other_part.status is EditionStatus.CURRENT and copy.status is EditionStatus.CURRENT
    another_copy = es.create_edition(session, ctx.office, draft(ctx, copy=True))
    assert copy.status is EditionStatus.CURRENT and another_copy.status is EditionStatus.CURRENT
    state = es.edition_state(session, first.id)
    assert state.superseded_by == second.id and state.digests == {1: "01" * 16, 2: "02" * 16}
    assert es.edition_state(session, uuid.uuid4()) is None


def test_revoke_needs_a_reason_and_happens_once(session, ctx) -> None:
    e = es.create_edition(session, ctx.office, draft(ctx))
    with pytest.raises(ValidationError):
        es.revoke_edition(session, ctx.principal, e.id, "")
    es.revoke_edition(session, ctx.principal, str(e.id), "Báo mất")
    assert e.status is EditionStatus.REVOKED and e.revoked_reason == "Báo mất"
    assert e.revoked_by_name == ctx.principal.username
    with pytest.raises(ConflictError):
        es.revoke_edition(session, ctx.principal, e.id, "lần nữa")
    assert [x.action for x in audit.entries(session, entity="edition", entity_id=str(e.id))] == ["print", "revoke"]
    assert es.find_editions(session, e.id.hex[:10]) == [e]


def test_revoking_is_the_principals_decision_not_the_offices(session, ctx) -> None:
    book = es.create_edition(session, ctx.office, draft(ctx))
    student = make_student(session, ctx.school)
    transcript = es.create_edition(session, ctx.office, draft(ctx, student_id=student.id))
    vice = Actor.load(session, make_user(session, ctx.school, [Role.VICE_PRINCIPAL]).id)
    for who in (ctx.office, vice):
        for edition in (book, transcript):
            with pytest.raises(PermissionDeniedError) as refused:
                es.revoke_edition(session, who, edition.id, "Báo mất")
            assert "thu hồi bản in" in refused.value.message_vi and "Hiệu trưởng" in refused.value.message_vi
            assert edition.status is EditionStatus.CURRENT
    assert [x.action for x in audit.entries(session, entity="edition", entity_id=str(book.id))] == ["print"]
    other_school = make_school(session, name="Trường THCS Khác")
    stranger = Actor.load(session, make_user(session, other_school, [Role.PRINCIPAL]).id)
    with pytest.raises(PermissionDeniedError):
        es.revoke_edition(session, stranger, book.id, "Báo mất")
    for edition in (book, transcript):
        es.revoke_edition(session, ctx.principal, edition.id, "Báo mất")
        assert edition.status is EditionStatus.REVOKED


def test_applied_correction_outdates_the_mark_book_and_the_transcript(session, ctx) -> None:
    student = make_student(session, ctx.school)
    enrolment = enrol(session, student, ctx.klass)
    book = es.create_edition(session, ctx.office, draft(ctx))
    transcript = es.create_edition(session, ctx.office, draft(ctx, student_id=student.id))
    other = make_student(session, ctx.school)
    unrelated = es.create_edition(session, ctx.office, draft(ctx, student_id=other.id))
    assert es._correction_subscriber in corrections.on_correction_applied
    es._correction_subscriber(session, SimpleNamespace(request_id=42, enrolment_id=enrolment.id))
    assert book.status is EditionStatus.OUTDATED and transcript.status is EditionStatus.OUTDATED
    assert book.outdated_by_request_id == 42 and unrelated.status is EditionStatus.CURRENT
    again = es.create_edition(session, ctx.office, draft(ctx))  # the reprint supersedes the outdated one
    assert book.status is EditionStatus.SUPERSEDED and book.superseded_by_id == again.id


def test_trust_list_rotation_and_revocation(session, ctx) -> None:
    system = Actor.system("test")
    a = es.register_key(session, system, key_id="aaaa0001", kind=KeyKind.ED25519, public_pem="A",
                        school_id=ctx.school.id)
    b = es.register_key(session, system, key_id="bbbb0002", kind=KeyKind.ED25519, public_pem="B",
                        school_id=ctx.school.id)
    cert = es.register_key(session, system, key_id="cccccccc00000003", kind=KeyKind.X509, public_pem="C",
                           school_id=ctx.school.id)
    assert (a.status, b.status, cert.status) == (KeyState.RETIRED, KeyState.ACTIVE, KeyState.ACTIVE)
    assert es.active_keys(session, school_id=ctx.school.id, kind=KeyKind.ED25519) == [b]
    with pytest.raises(PermissionDeniedError):
        es.revoke_key(session, ctx.office, "bbbb0002", "thử")
    es.revoke_key(session, system, "BBBB0002", "lộ khóa")
    assert b.status is KeyState.REVOKED and b.revoked_reason == "lộ khóa"
    with pytest.raises(ConflictError):
        es.retire_key(session, system, "bbbb0002")
    with pytest.raises(ConflictError):
        es.register_key(session, system, key_id="aaaa0001", kind=KeyKind.ED25519, public_pem="A",
                        school_id=ctx.school.id)
    assert [k.key_id for k in es.list_keys(session, kind=KeyKind.ED25519)] == ["aaaa0001", "bbbb0002"]
    assert {x.action for x in audit.entries(session, entity="signing_key")} == {"register", "retire", "revoke"}


def test_editions_recorded_in_bulk_follow_the_same_rules(session, ctx) -> None:
    """``create_editions`` (a print run's task): rights per draft, pages checked, ids unique, reprints supersede
    (also within the batch), the same audit entries as one by one, and a refused draft leaves the others."""
    first = es.create_edition(session, ctx.office, draft(ctx))
    student = make_student(session, ctx.school)
    enrol(session, student, ctx.klass)
    bad_pages = replace(draft(ctx, part="term1"), pages=(es.PrintedPage(11, "marks", b"\x01" * 16),))
    taken = replace(draft(ctx, part="year"), edition_id=first.id)
    reprint, transcript, again = draft(ctx), draft(ctx, student_id=student.id), draft(ctx, student_id=student.id)
    copy = draft(ctx, copy=True)
    out = es.create_editions(session, ctx.office, [reprint, bad_pages, transcript, taken, again, copy])
    assert isinstance(out[1], ValidationError) and isinstance(out[3], ConflictError)
    made = [out[0], out[2], out[4], out[5]]
    assert [e.id for e in made] == [reprint.edition_id, transcript.edition_id, again.edition_id, copy.edition_id]
    session.expire_all()
    assert es.edition_state(session, first.id).status is EditionStatus.SUPERSEDED
    assert es.edition_state(session, first.id).superseded_by == reprint.edition_id
    assert es.edition_state(session, transcript.edition_id).superseded_by == again.edition_id  # within the batch
    assert es.edition_state(session, again.edition_id).status is EditionStatus.CURRENT
    assert es.edition_state(session, copy.edition_id).status is EditionStatus.CURRENT
    assert es.edition_state(session, reprint.edition_id).digests == {1: "01" * 16, 2: "02" * 16}
    printed = audit.entries(session, entity="edition", entity_id=str(reprint.edition_id))
    alone = es.create_edition(session, ctx.office, draft(ctx, part="term2"))
    single = audit.entries(session, entity="edition", entity_id=str(alone.id))
    assert [x.action for x in printed] == ["print"] and audit.state(printed[0].after).keys() == \
        audit.state(single[0].after).keys()
    assert audit.state(printed[0].after)["pages"] == [[1, "01" * 16], [2, "02" * 16]]
    assert [x.action for x in audit.entries(session, entity="edition", entity_id=str(first.id))] == \
        ["print", "supersede"]
    teacher = Actor.load(session, make_user(session, ctx.school, [Role.SUBJECT_TEACHER]).id)
    (refused,) = es.create_editions(session, teacher, [draft(ctx)])
    assert isinstance(refused, PermissionDeniedError)
    assert audit.verify(session, ctx.school.id).ok


def _statements(session):
    """A list that grows with every SQL statement the session's connection runs (a context manager)."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        seen: list[str] = []
        connection = session.connection()

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(connection, "before_cursor_execute", count)
        try:
            yield seen
        finally:
            event.remove(connection, "before_cursor_execute", count)
    return counting()


def test_print_rights_of_a_task_decide_as_authorize_print_with_its_students_read_at_once(session, ctx) -> None:
    """``PrintRights`` (a print task's read transaction): the same decision as ``authorize_print`` for every book
    (class, student, year, school; allowed and refused; a missing student), the task's students read in a few
    statements whatever their number, not ~6 each."""
    other = make_school(session)
    other_year = make_year(session, other)
    moved = make_student(session, ctx.school)
    enrol(session, moved, make_class(session, other_year, 9, "9B"))  # last enrolment in another school
    students = [make_student(session, ctx.school) for _ in range(6)]
    for student in students:
        enrol(session, student, ctx.klass)
    students += [moved, make_student(session, ctx.school)]  # ... and one never enrolled
    teacher = Actor.load(session, make_user(session, ctx.school, [Role.SUBJECT_TEACHER]).id)
    ids = [s.id for s in students]
    targets = [{"school_id": ctx.school.id, "student_id": i, "school_year_id": ctx.year.id} for i in ids]
    targets += [{"school_id": ctx.school.id, "student_id": i} for i in ids]  # the volumes
    targets += [{"school_id": ctx.school.id, "class_id": ctx.klass.id, "school_year_id": ctx.year.id},
                {"school_id": ctx.school.id, "school_year_id": ctx.year.id}, {"school_id": ctx.school.id}]
    session.commit()
    session.expunge_all()  # as after a task's load: the rows the rights need are not in the session
    assert student_scopes(session, ids + [10**9]) == {i: scope_of(session, session.get(Student, i)) for i in ids}
    session.expunge_all()
    for actor in (ctx.office, teacher):
        rights = es.PrintRights(session, actor, ids + [10**9])
        for target in targets:
            expected = None
            try:
                es.authorize_print(session, actor, **target)
            except PermissionDeniedError as exc:
                expected = exc
            try:
                rights.authorize(**target)
                got = None
            except PermissionDeniedError as exc:
                got = exc
            assert (expected is None) == (got is None), target
            assert got is None or got.message_vi == expected.message_vi
        if actor is teacher:
            for _ in range(2):  # a refusal is decided again, never remembered as allowed
                with pytest.raises(PermissionDeniedError):
                    rights.authorize(**targets[0])
    session.commit()
    session.expunge_all()
    rights = es.PrintRights(session, ctx.office, ids)
    with _statements(session) as seen:
        for target in targets[:2 * len(ids)]:
            rights.authorize(**target)
    assert len(seen) <= 8, seen  # per book (authorize_print): at least 2 statements a student
    with pytest.raises(NotFoundError):
        es.PrintRights(session, ctx.office, [10**9]).authorize(school_id=ctx.school.id, student_id=10**9)


def test_print_rights_remember_nothing_across_transactions(session, ctx) -> None:
    """What a ``PrintRights`` decided or read in one transaction is not used in the next: a student moved to
    another school since is refused (a memo that outlived its transaction would allow it)."""
    other = make_school(session)
    student = make_student(session, ctx.school)
    enrol(session, student, ctx.klass)
    session.commit()
    rights = es.PrintRights(session, ctx.office, [student.id])
    rights.authorize(school_id=ctx.school.id, student_id=student.id)  # allowed: read and remembered
    assert rights.find_key("ab12") is None
    session.commit()  # the transaction ends
    session.query(Enrolment).filter_by(student_id=student.id).delete()
    session.query(Student).filter_by(id=student.id).update({"school_id": other.id})
    session.add(SigningKey(key_id="ab12", kind=KeyKind.ED25519, school_id=ctx.school.id, public_pem="-",
                           valid_from=dt.date(2025, 9, 1)))
    session.commit()
    session.expunge_all()
    with pytest.raises(PermissionDeniedError):
        rights.authorize(school_id=ctx.school.id, student_id=student.id)
    assert rights.find_key("ab12") is not None
