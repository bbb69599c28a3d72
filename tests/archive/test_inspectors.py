"""Inspectors: scoped and time-boxed access granted by the administrator; every search, read and export traced."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import bagit
import pytest

import archive
from archive import deposit
from archive.errors import InspectorAccessError
from archive.inspectors import export_bag, find, grant_access, open_item, revoke_access
from records import audit
from records.errors import PermissionDeniedError, ValidationError
from records.models import Role
from records.permissions import Actor
from tests import factories as f
from tests.signing.helpers import make_world, publish_small

DURING = dt.date(2026, 6, 10)
WINDOW = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))


@pytest.fixture
def w(session, archived):  # type: ignore[no-untyped-def]
    archive.install()
    world = make_world(session)
    world.admin = Actor.load(session, f.make_user(session, world.school, [Role.ADMINISTRATOR]).id)
    inspector = f.make_user(session, None, [Role.INSPECTOR], full_name="Thanh Tra Phòng")
    inspector.grants[0].district = world.school.district
    session.flush()
    world.inspector_user = inspector
    world.inspector = Actor.load(session, inspector.id)
    world.student = f.make_student(session, world.school)
    f.enrol(session, world.student, world.klass)
    world.edition = publish_small(session, world).edition
    world.scan = deposit(session, world.office, b"%PDF-1.7 don de nghi sua diem", kind="correction_request",
                         school_id=world.school.id, class_id=world.klass.id, student_ids=[world.student.id])
    world.old_year = f.make_year(session, world.school, 2024)
    world.old = deposit(session, world.office, b"%PDF-1.7 bien ban kiem tra 2024", kind="inspection_minutes",
                        school_id=world.school.id, school_year_id=world.old_year.id)
    return world


def _grant(session, w, **kw):  # type: ignore[no-untyped-def]
    values = {"inspector_id": w.inspector_user.id, "school_id": w.school.id, "school_year_id": w.year.id,
              "starts_on": WINDOW[0], "ends_on": WINDOW[1], "reason": "Quyết định thanh tra số 12/QĐ-PGDĐT"}
    values.update(kw)
    return grant_access(session, w.admin, **values)


def test_without_a_window_the_inspector_is_refused_in_vietnamese(session, w) -> None:
    with pytest.raises(InspectorAccessError) as refused:
        find(session, w.inspector, school_id=w.school.id, today=DURING)
    assert "chưa được cấp quyền" in refused.value.message_vi and w.school.name in refused.value.message_vi


def test_only_the_administrator_grants_and_only_to_an_inspector(session, w) -> None:
    with pytest.raises(PermissionDeniedError):
        grant_access(session, w.office, inspector_id=w.inspector_user.id, school_id=w.school.id,
                     starts_on=WINDOW[0], ends_on=WINDOW[1], reason="x")
    clerk_id = w.office.user_id
    with pytest.raises(ValidationError):
        _grant(session, w, inspector_id=clerk_id)
    with pytest.raises(ValidationError):
        _grant(session, w, starts_on=WINDOW[1], ends_on=WINDOW[0])
    access = _grant(session, w)
    [entry] = audit.entries(session, entity="inspector_access", entity_id=access.id)
    assert entry.action == "grant" and entry.actor_name == w.admin.username


def test_inside_the_window_the_inspector_finds_and_opens_and_every_read_is_traced(session, w) -> None:
    _grant(session, w)
    found = find(session, w.inspector, school_id=w.school.id, today=DURING)
    assert {i.id for i in found.items} >= {w.scan.id, archive.issued_item(session, w.edition.id).id}
    assert w.old.id not in {i.id for i in found.items}  # another year: not granted
    assert [e.id for e in found.editions] == [w.edition.id]
    by_student = find(session, w.inspector, school_id=w.school.id, student_id=w.student.id, today=DURING)
    assert [i.id for i in by_student.items] == [w.scan.id]
    item, data = open_item(session, w.inspector, w.scan.id, today=DURING)
    assert data == b"%PDF-1.7 don de nghi sua diem" and item.id == w.scan.id
    trail = [(e.action, e.actor_name) for e in audit.entries(session, school_id=w.school.id)
             if e.entity in ("archive_item", "archive_search") and e.actor_name == w.inspector.username]
    assert trail == [("search", w.inspector.username), ("search", w.inspector.username),
                     ("read", w.inspector.username)]


def test_outside_the_year_the_school_or_the_dates_the_inspector_is_refused(session, w) -> None:
    access = _grant(session, w)
    with pytest.raises(InspectorAccessError) as other_year:
        open_item(session, w.inspector, w.old.id, today=DURING)
    assert "chỉ được cấp quyền" in other_year.value.message_vi and "2025-2026" in other_year.value.message_vi
    with pytest.raises(InspectorAccessError) as expired:
        open_item(session, w.inspector, w.scan.id, today=dt.date(2026, 7, 1))
    assert "đã hết hạn ngày 30/06/2026" in expired.value.message_vi
    with pytest.raises(InspectorAccessError) as early:
        open_item(session, w.inspector, w.scan.id, today=dt.date(2026, 5, 31))
    assert "có hiệu lực từ ngày 01/06/2026" in early.value.message_vi
    elsewhere = f.make_school(session, name="Trường THCS Khác", district=w.school.district)
    with pytest.raises(InspectorAccessError):
        find(session, w.inspector, school_id=elsewhere.id, today=DURING)
    revoke_access(session, w.admin, access.id)
    with pytest.raises(InspectorAccessError) as revoked:
        open_item(session, w.inspector, w.scan.id, today=DURING)
    assert "đã bị thu hồi" in revoked.value.message_vi
    reads = [e for e in audit.entries(session, school_id=w.school.id) if e.action == "read"]
    assert reads == []  # refused reads give nothing and trace nothing


def test_a_bagit_export_validates_and_is_traced(session, w, tmp_path) -> None:
    _grant(session, w)
    export = export_bag(session, w.inspector, tmp_path / "bag", school_id=w.school.id, class_id=w.klass.id,
                        today=DURING)
    bag = bagit.Bag(str(export.path))
    bag.validate()  # raises on any mismatch
    assert export.items == 2 and bag.info["Source-Organization"] == w.school.name
    items = json.loads((export.path / "data" / "metadata" / "items.json").read_text(encoding="utf-8"))
    for row in items:
        assert hashlib.sha256((export.path / row["file"]).read_bytes()).hexdigest() == row["sha256"]
    editions = json.loads((export.path / "data" / "metadata" / "editions.json").read_text(encoding="utf-8"))
    assert [e["id"] for e in editions] == [str(w.edition.id)]
    [entry] = [e for e in audit.entries(session, school_id=w.school.id) if e.action == "export"]
    assert entry.actor_name == w.inspector.username and export.oxum in entry.after
    # a changed byte in the bag is caught by the bag's own manifest
    victim = export.path / items[0]["file"]
    victim.write_bytes(victim.read_bytes() + b"!")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(export.path)).validate()


def test_the_office_reads_its_school_but_does_not_export(session, w, tmp_path) -> None:
    _, data = open_item(session, w.office, w.scan.id)
    assert data.startswith(b"%PDF")
    with pytest.raises(PermissionDeniedError):
        export_bag(session, w.office, tmp_path / "bag", school_id=w.school.id)
