"""Marks in and out: a platform's mark sheet, per-cell errors, the marks service's rules, round trip."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import func, select

from records import audit
from records.interop.class_export import export_class
from records.interop.common import ImportOptions
from records.interop.marks import import_marks
from records.interop.sheets import SpreadsheetFile
from records.models import AuditEntry, Mark, MarkKind, Role
from records.services import marks
from records.services.context import on_date
from records.services.marks import MarkInput
from tests.records.factories_gov import IN_TERM1, IN_TERM2, make_world
from tests.records.interop.messy import nfd, xlsx


def _marks(session, world) -> dict[tuple[str, str, int], Decimal | str]:
    return {(m.enrolment.student.given_name, MarkKind(m.kind).value, m.slot): m.value
            for m in session.scalars(select(Mark).where(Mark.enrolment_id.in_([e.id for e in world.enrolments])))}


def _platform_sheet(world, rows: list[list[object]]) -> SpreadsheetFile:
    """vnEdu-like: title rows, a merged group header "ĐĐGtx" over numbered columns, ĐĐGgk, ĐĐGck, ĐTBmhk."""
    header1 = ["STT", "Mã học sinh", "Họ và tên", "ĐĐGtx", "ĐĐGtx", "ĐĐGtx", "ĐĐGgk", "ĐĐGck", "ĐTBmhk"]
    header2 = ["", "", "", "1", "2", "3", "", "", ""]
    return xlsx([["BẢNG ĐIỂM MÔN: TOÁN - HỌC KÌ I"], [f"Lớp {world.klass.name} Năm học 2025-2026"],
                 header1, header2, *rows], title="SỞ GIÁO DỤC VÀ ĐÀO TẠO", name="bang_diem.xlsx")


def test_platform_sheet_is_imported_per_cell_through_the_service(session) -> None:
    world = make_world(session)
    a, b, c = (e.student for e in world.enrolments)
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    rows = [[1, a.code, a.full_name, 8, "7,5", None, 6, 9, 7.9],
            [2, b.code, nfd(b.full_name), 10, 9, 8, 7, 8, None],
            [3, c.code, c.full_name, 5, None, None, None, None, None]]
    with on_date(IN_TERM1):
        dry = import_marks(session, teacher, _platform_sheet(world, rows),
                           ImportOptions(school_id=world.school.id, dry_run=True))
        assert dry.ok and not dry.written and dry.counts() == {"create": 10}, [i.text_vi() for i in dry.issues]
        assert not _marks(session, world)
        report = import_marks(session, teacher, _platform_sheet(world, rows), ImportOptions(school_id=world.school.id))
    assert report.written
    got = _marks(session, world)
    assert got[(a.given_name, "tx", 2)] == Decimal("7.5") and got[(b.given_name, "ck", 1)] == Decimal("8.0")
    assert len(got) == 10
    assert any("ĐTBmhk" in i.message_vi for i in report.issues)  # averages are computed, not imported
    entries = audit.entries(session, school_id=world.school.id, entity="mark")
    assert len(entries) == 10 and all(e.actor_name == teacher.username for e in entries)
    with on_date(IN_TERM1):
        again = import_marks(session, teacher, _platform_sheet(world, rows), ImportOptions(school_id=world.school.id))
    assert again.counts() == {"unchanged": 10}
    assert len(audit.entries(session, school_id=world.school.id, entity="mark")) == 10


def test_bad_cells_are_reported_and_nothing_is_saved(session) -> None:
    world = make_world(session)
    a, b, _ = (e.student for e in world.enrolments)
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    rows = [[1, a.code, a.full_name, 8, 11, None, 6, 9, None],
            [2, b.code, b.full_name, "=1+1", 9, 8, 7, "tám", None],
            [3, "KHONGCO", "Ai Đó", 5, None, None, None, None, None]]
    with on_date(IN_TERM1):
        report = import_marks(session, teacher, _platform_sheet(world, rows), ImportOptions(school_id=world.school.id))
    texts = [i.text_vi() for i in report.errors]
    assert not report.written and len(texts) == 4, texts
    assert texts[0].startswith("Dòng 7, cột «ĐĐGtx 2» (E7): Điểm môn Toán không hợp lệ")
    assert texts[1].startswith("Dòng 8, cột «ĐĐGtx 1» (D8)") and texts[2].startswith("Dòng 8, cột «ĐĐGck» (H8)")
    assert texts[3] == "Dòng 9, cột «Mã học sinh» (B9): Không có học sinh mã KHONGCO trong lớp."
    assert not _marks(session, world)


def test_rights_cutoff_and_locks_come_from_the_marks_service(session) -> None:
    world = make_world(session)
    a = world.enrolments[0].student
    rows = [[1, a.code, a.full_name, 8, None, None, None, None, None]]
    other = world.user_actor(session, world.other_teacher)
    with on_date(IN_TERM1):
        refused = import_marks(session, other, _platform_sheet(world, rows), ImportOptions(school_id=world.school.id))
    assert not refused.written and "không có quyền nhập điểm" in refused.errors[0].message_vi
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    with on_date(IN_TERM2):  # term I is over: its marks change only through a correction
        late = import_marks(session, teacher, _platform_sheet(world, rows), ImportOptions(school_id=world.school.id))
    assert not late.written and late.errors
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "mark")) == 0


def test_class_export_then_import_gives_the_same_marks(session) -> None:
    world = make_world(session)
    teacher = world.actor(session, Role.SUBJECT_TEACHER)
    e = [x.id for x in world.enrolments]
    with on_date(IN_TERM1):
        marks.save_marks(session, teacher, world.assignment1, [
            MarkInput(e[0], MarkKind.REGULAR, 1, "8.5"), MarkInput(e[0], MarkKind.REGULAR, 5, "7"),
            MarkInput(e[1], MarkKind.MIDTERM, 1, "6"), MarkInput(e[2], MarkKind.FINAL, 1, "10")])
        marks.save_marks(session, teacher, world.comment_assignment, [
            MarkInput(e[0], MarkKind.REGULAR, 1, "Đ"), MarkInput(e[1], MarkKind.FINAL, 1, "CĐ")])
    world.enrolments[1].student.family_name = "=HYPERLINK(\"x\")"  # hostile data stays text in the export
    session.flush()
    before = _marks(session, world)
    principal = world.actor(session, Role.PRINCIPAL)
    data = export_class(session, principal, world.klass, 1)
    book = load_workbook(io.BytesIO(data))
    toan = book["Toán"]
    assert [c.value for c in toan[5]][:12] == ["STT", "Mã học sinh", "Họ và tên", "Ngày sinh", "TX1", "TX2", "TX3",
                                              "TX4", "TX5", "GK", "CK", "ĐTBmhk"]
    formulas = [c.coordinate for ws in book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    assert toan["C7"].value.startswith("=HYPERLINK") and toan["C7"].data_type == "s" and toan["C7"].quotePrefix
    with on_date(IN_TERM1):
        report = import_marks(session, teacher, SpreadsheetFile("lop.xlsx", data),
                              ImportOptions(school_id=world.school.id, term=1))
    assert report.ok, [i.text_vi() for i in report.errors]
    assert report.counts() == {"unchanged": 6}
    assert _marks(session, world) == before
    # one changed cell in the exported file changes exactly that mark
    toan["I6"] = 9
    buffer = io.BytesIO()
    book.save(buffer)
    with on_date(IN_TERM1):
        report = import_marks(session, teacher, SpreadsheetFile("lop.xlsx", buffer.getvalue()),
                              ImportOptions(school_id=world.school.id, term=1))
    assert report.counts() == {"unchanged": 5, "update": 1}
    assert _marks(session, world)[(world.enrolments[0].student.given_name, "tx", 5)] == Decimal("9.0")
