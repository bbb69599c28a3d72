"""Statistics export: one row per student, the summary counts, JSON, and the documented layout."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from records.interop.common import ImportOptions
from records.interop.sheets import SpreadsheetFile
from records.interop.statistics import columns_markdown, statistics
from records.interop.students import import_students
from records.models import EnrolmentStatus, Gender, Period, Role, StudentResult, SubjectResult
from tests.records.factories_gov import make_world


def _results(session, world) -> None:
    """Stored year results (as the results service leaves them) for the three students."""
    levels = [("Tốt", "Tốt", "Học sinh Xuất sắc"), ("Khá", "Tốt", None), ("Chưa đạt", "Đạt", None)]
    for enrolment, (learning, conduct, title), avg in zip(world.enrolments, levels, ("9.1", "7.5", "4.0"),
                                                          strict=True):
        session.add(StudentResult(enrolment_id=enrolment.id, period=Period.YEAR, regime="tt22", learning=learning,
                                  conduct=conduct, title=title, days_absent_excused=2, days_absent_unexcused=1,
                                  promotion="promoted" if learning != "Chưa đạt" else "reassess"))
        session.add(SubjectResult(enrolment_id=enrolment.id, subject_id=world.subject.id, period=Period.YEAR,
                                  average=Decimal(avg)))
        session.add(SubjectResult(enrolment_id=enrolment.id, subject_id=world.comment_subject.id,
                                  period=Period.YEAR, grade="Đ"))
    for enrolment, gender, ethnicity in zip(world.enrolments, ("Nữ", "Nam", "Nữ"), ("Thái", "Kinh", "Mông"),
                                            strict=True):
        enrolment.student.gender, enrolment.student.ethnicity = Gender(gender), ethnicity
    world.enrolments[2].status = EnrolmentStatus.DROPPED_OUT
    session.flush()


def test_rows_and_summary(session) -> None:
    world = make_world(session)
    _results(session, world)
    export = statistics(session, world.actor(session, Role.OFFICE), world.school, world.year)
    rows = {r["full_name"].split()[-1]: r for r in export.rows}
    assert len(export.rows) == 3
    an = rows["An"]
    assert an["subjects"] == {"toan": Decimal("9.1"), "gdtc": "Đ"} and an["learning"] == "Tốt"
    assert an["promotion"] == "Lên lớp" and an["days_absent"] == 3 and an["class_name"] == "9A1"
    assert rows["Chi"]["status"] == "Bỏ học"
    summary = export.summary()
    total = summary["by_grade"]["total"]
    assert (total["students"], total["female"], total["ethnic_minority"]) == (2, 1, 1)
    assert total["learning"] == {"Tốt": 1, "Khá": 1} and total["title"] == {"Học sinh Xuất sắc": 1}
    assert summary["by_ethnicity"]["Thái"] == {"9": 1, "total": 1}
    doc = json.loads(export.to_json())
    assert doc["schema"] == "sodientu-statistics" and doc["period"] == "cn"
    assert doc["students"][0]["subjects"]["toan"] in ("9.1", "7.5", "4.0")
    book = load_workbook(io.BytesIO(export.to_xlsx()))
    assert book.sheetnames == ["Học sinh", "Tổng hợp"]
    header = [c.value for c in book["Học sinh"][4]]
    assert header[:11] == [label for _, label in [
        ("", "STT"), ("", "Mã học sinh"), ("", "Mã định danh Bộ GD&ĐT"), ("", "Số định danh cá nhân"),
        ("", "Họ và tên"), ("", "Ngày sinh"), ("", "Giới tính"), ("", "Dân tộc"), ("", "Khối"), ("", "Lớp"),
        ("", "Tình trạng")]]
    assert "Toán" in header and "Giáo dục thể chất" in header


def test_export_then_import_of_the_students_changes_nothing(session) -> None:
    world = make_world(session)
    _results(session, world)
    export = statistics(session, world.actor(session, Role.PRINCIPAL), world.school, world.year)
    admin = world.actor(session, Role.ADMINISTRATOR)
    report = import_students(session, admin, SpreadsheetFile("thong_ke.xlsx", export.to_xlsx()),
                             ImportOptions(school_id=world.school.id, start_year=2025))
    assert report.ok, [i.text_vi() for i in report.errors]
    assert report.counts() == {"unchanged": 3}


def test_documented_columns_match_the_code() -> None:
    doc = (Path(__file__).parents[3] / "docs" / "STATISTICS-EXPORT.md").read_text(encoding="utf-8")
    assert columns_markdown() in doc, "regenerate the table in docs/STATISTICS-EXPORT.md from columns_markdown()"
