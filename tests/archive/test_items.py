"""Deposits, the issued-edition hook, retention, deletion and ``check``: on the local folder and on S3."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

import archive
from archive import ArchiveKind, check, delete_expired, deposit, issued_pdf, purge
from archive.errors import RetentionError
from records import audit
from records.errors import PermissionDeniedError, ValidationError
from records.models import ArchiveItem, Role
from records.permissions import Actor
from records.services.context import on_date
from tests import factories as f
from tests.archive.conftest import corrupt, drop
from tests.signing.helpers import make_world, publish_small


@pytest.fixture
def world(session, archived):  # type: ignore[no-untyped-def]
    return make_world(session)


def _student(session, world):  # type: ignore[no-untyped-def]
    student = f.make_student(session, world.school)
    f.enrol(session, student, world.klass)
    return student


def test_deposit_keeps_bytes_and_metadata_and_traces_it(session, world, archived) -> None:
    student = _student(session, world)
    data = b"%PDF-1.7 don de nghi" * 100
    item = deposit(session, world.office, data, kind="correction_request", school_id=world.school.id,
                   class_id=world.klass.id, student_ids=[student.id], filename="C:\\scans\\don.pdf",
                   metadata={"request": 7})
    assert item.sha256 == hashlib.sha256(data).hexdigest() and item.size == len(data)
    assert (item.kind, item.school_year_id, item.class_id, item.student_ids) == (
        ArchiveKind.CORRECTION_REQUEST, world.year.id, world.klass.id, (student.id,))
    assert item.media_type == "application/pdf" and item.filename == "don.pdf"
    assert item.deposited_by_name == world.office.username and item.retain_until is None  # permanent
    assert archived.read(item.sha256) == data
    [entry] = audit.entries(session, entity="archive_item", entity_id=item.id)
    assert entry.action == "deposit" and item.sha256 in entry.after


def test_only_the_office_deposits_and_the_scope_must_hold(session, world) -> None:
    teacher = Actor.load(session, f.make_user(session, world.school, [Role.SUBJECT_TEACHER]).id)
    with pytest.raises(PermissionDeniedError) as refused:
        deposit(session, teacher, b"x", kind="other", school_id=world.school.id)
    assert "lưu trữ sổ sách" in refused.value.message_vi
    other = f.make_school(session, name="Trường THCS Khác")
    other_year = f.make_year(session, other)
    with pytest.raises(ValidationError):
        deposit(session, world.office, b"x", kind="other", school_id=world.school.id,
                school_year_id=other_year.id)
    with pytest.raises(ValidationError):
        deposit(session, world.office, b"x", kind="no-such-kind", school_id=world.school.id)
    assert session.query(ArchiveItem).count() == 0


def test_every_issued_edition_is_archived_at_issue(session, world, archived) -> None:
    archive.install()
    published = publish_small(session, world)
    assert issued_pdf(session, published.edition.id) == published.pdf
    item = archive.issued_item(session, published.edition.id)
    assert item is not None and item.kind is ArchiveKind.ISSUED_EDITION
    assert (item.class_id, item.school_year_id, item.retention) == (world.klass.id, world.year.id, "permanent")
    assert issued_pdf(session, "00000000-0000-0000-0000-000000000000") is None


def test_check_names_a_changed_byte_and_a_lost_object(session, world, archived) -> None:
    a = deposit(session, world.office, b"A" * 5000, kind="inspection_minutes", school_id=world.school.id)
    b = deposit(session, world.office, b"B" * 5000, kind="inspection_minutes", school_id=world.school.id)
    c = deposit(session, world.office, b"C" * 5000, kind="inspection_minutes", school_id=world.school.id)
    assert check(session).ok
    corrupt(archived, a.sha256, b"A" * 5000)
    drop(archived, b.sha256)
    report = check(session)
    assert not report.ok
    assert {(p.item_id, p.problem) for p in report.problems} == {(a.id, "corrupted"), (b.id, "missing")}
    assert c.id not in {p.item_id for p in report.problems}


def test_nothing_is_deleted_before_its_retention_ends_and_a_deletion_is_recorded(session, world, archived) -> None:
    principal = Actor.load(session, f.make_user(session, world.school, [Role.PRINCIPAL]).id)
    with on_date(dt.date(2026, 1, 10)):
        scan = deposit(session, world.office, b"so diem ca nhan", kind="teacher_markbook_scan",
                       school_id=world.school.id)
        kept = deposit(session, world.office, b"hoc ba", kind="issued_edition", school_id=world.school.id,
                       metadata={"book": "transcript"})
    assert scan.retain_until == dt.date(2031, 1, 10) and kept.retain_until is None
    with pytest.raises(PermissionDeniedError):
        delete_expired(session, world.office, scan.id, "hết hạn", today=dt.date(2032, 1, 1))
    with pytest.raises(RetentionError) as early:
        delete_expired(session, principal, scan.id, "hết hạn", today=dt.date(2031, 1, 10))
    assert "10/01/2031" in early.value.message_vi
    with pytest.raises(RetentionError):
        delete_expired(session, principal, kept.id, "hết hạn", today=dt.date(2099, 1, 1))
    delete_expired(session, principal, scan.id, "Quyết định hủy số 3/QĐ", today=dt.date(2031, 1, 11))
    assert scan.deleted_at is not None and scan.deleted_by_name == principal.username
    [entry] = [e for e in audit.entries(session, entity="archive_item", entity_id=scan.id) if e.action == "delete"]
    assert entry.reason == "Quyết định hủy số 3/QĐ"
    assert purge(session, archived) == [scan.sha256]
    assert not archived.exists(scan.sha256) and archived.exists(kept.sha256)
    assert check(session).ok
