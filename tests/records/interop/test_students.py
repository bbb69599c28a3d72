"""Importing class lists: messy files, errors by row and column, all or nothing, idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from records.interop.common import ImportOptions
from records.interop.students import import_students
from records.models import AuditEntry, Enrolment, Student
from tests.records.interop.messy import csv_file, nfd, xlsx
from tests.records.school_setup import set_up_school

HEADER = ["STT", "  Họ và  tên ", nfd("Ngày sinh"), "Giới tính", "Dân tộc", "Nơi sinh", "Địa chỉ thường trú"]


def _rows() -> list[list[object]]:
    return [
        HEADER,
        [1, nfd("Nguyễn Thị  Minh Anh"), "05/09/2014", "Nữ", "Kinh", "Hà Nội", "Bản Lướt, Vân Hồ"],
        [2, "Lò Văn Bình", dt.datetime(2014, 3, 2), "nam", "Thái", "Sơn La", "=HYPERLINK(\"http://x\",\"y\")"],
        [3, " Vàng   A  Páo ", "2014-11-30", "Nam", "Mông", nfd("Mộc Châu"), None],
        [None, "Tổng số: 3 học sinh", None, None, None, None, None],
    ]


def _counts(session) -> tuple[int, int, int]:
    return (session.scalar(select(func.count()).select_from(Student)),
            session.scalar(select(func.count()).select_from(Enrolment)),
            session.scalar(select(func.count()).select_from(AuditEntry)))


def test_messy_list_is_imported_once(session) -> None:
    s = set_up_school(session)
    year = s.year(2025)
    klass = s.klass(year, 6, "6A1")
    source = xlsx(_rows(), title="DANH SÁCH HỌC SINH LỚP 6A1 NĂM HỌC 2025-2026")
    dry = import_students(session, s.actor(), source, ImportOptions(school_id=s.school.id, dry_run=True))
    assert dry.ok and not dry.written, [i.text_vi() for i in dry.issues]
    assert dry.counts() == {"create": 3, "enrol": 3}
    before = _counts(session)
    report = import_students(session, s.actor(), source, ImportOptions(school_id=s.school.id))
    assert report.written and report.rows_read == 3
    assert before[:2] == (0, 0) or _counts(session)[0] == before[0] + 3
    roll = list(session.scalars(select(Enrolment).where(Enrolment.class_id == klass.id)
                                .order_by(Enrolment.roll_number)))
    names = [(e.student.family_name, e.student.middle_name, e.student.given_name) for e in roll]
    # NFC, spaces collapsed, split as the collation needs, numbered in Vietnamese name order
    assert names == [("Nguyễn", "Thị Minh", "Anh"), ("Lò", "Văn", "Bình"), ("Vàng", "A", "Páo")]
    binh = roll[1].student
    assert binh.date_of_birth == dt.date(2014, 3, 2) and binh.gender.value == "Nam"
    assert binh.permanent_address == '=HYPERLINK("http://x","y")'  # kept as text, exported as text
    assert roll[2].student.place_of_birth == "Mộc Châu"
    after_first = _counts(session)
    again = import_students(session, s.actor(), source, ImportOptions(school_id=s.school.id))
    assert again.ok and again.counts() == {"unchanged": 3}
    assert _counts(session) == after_first  # nothing written, not even a trace


def test_errors_by_row_and_column_and_nothing_written(session) -> None:
    s = set_up_school(session)
    year = s.year(2025)
    s.klass(year, 6, "6A2")
    rows = _rows()[:4]
    rows[2][2] = "31/02/2014"  # row 5 of the sheet (title, blank, header, rows 4…)
    rows.append([4, "=cmd|' /C calc'!A0", "01/01/2014", "Nam", "Kinh", None, None])
    rows.append([5, nfd("Nguyễn Thị Minh Anh"), "5/9/2014", "Nữ", "Kinh", None, None])  # duplicate of row 4
    source = xlsx(rows, title="DANH SÁCH HỌC SINH LỚP 6A2 NĂM HỌC 2025-2026")
    before = _counts(session)
    report = import_students(session, s.actor(), source, ImportOptions(school_id=s.school.id))
    assert not report.ok and not report.written
    texts = [i.text_vi() for i in report.errors]
    assert any(t.startswith("Dòng 5, cột «Ngày sinh» (C5): Ngày «31/02/2014» không có thật") for t in texts), texts
    assert any(t.startswith("Dòng 7, cột «Họ và tên» (B7)") for t in texts), texts
    assert any(t.startswith("Dòng 8: Học sinh Nguyễn Thị Minh Anh trùng với dòng 4") for t in texts), texts
    assert _counts(session) == before


def test_csv_with_class_column_and_split_names(session) -> None:
    s = set_up_school(session)
    year = s.year(2025)
    s.klass(year, 7, "7A1")
    rows = [["Mã học sinh", "Họ và đệm", "Tên", "Ngày sinh", "Nữ", "Lớp", "Dân tộc"],
            ["HS001", "Đinh Thị", "Hoa", "12/12/2013", "x", "7A1", "Mường"],
            ["HS002", "Hà", "Duy", "01/02/2013", "", "7a1", "Thái"],
            ["HS003", "Tráng Seo", "Chứ", "01/03/2013", "", "7A9", "Mông"]]
    report = import_students(session, s.actor(), csv_file(rows), ImportOptions(school_id=s.school.id,
                                                                                start_year=2025))
    assert [i.text_vi() for i in report.errors] == [
        "Dòng 4, cột «Lớp»: Lớp «7A9» chưa có trong năm học 2025-2026; hãy tạo lớp trước hoặc chọn tạo lớp khi nhập."]
    report = import_students(session, s.actor(), csv_file(rows),
                             ImportOptions(school_id=s.school.id, start_year=2025, create_classes=True))
    assert report.written, [i.text_vi() for i in report.issues]
    hoa = session.scalars(select(Student).where(Student.code == "HS001")).one()
    assert (hoa.family_name, hoa.middle_name, hoa.given_name, hoa.gender.value) == ("Đinh", "Thị", "Hoa", "Nữ")
    duy = session.scalars(select(Student).where(Student.code == "HS002")).one()
    assert (duy.family_name, duy.middle_name) == ("Hà", "")
    # a changed cell updates the student, traced
    rows[1][6] = "Thái"
    report = import_students(session, s.actor(), csv_file(rows),
                             ImportOptions(school_id=s.school.id, start_year=2025))
    assert report.counts() == {"update": 1, "unchanged": 2}
    session.refresh(hoa)
    assert hoa.ethnicity == "Thái"


def test_teacher_without_the_right_gets_a_report_not_a_traceback(session) -> None:
    s = set_up_school(session)
    year = s.year(2025)
    s.klass(year, 6, "6A3")
    report = import_students(session, s.actor(s.teacher), xlsx(_rows(), title="LỚP 6A3 NĂM HỌC 2025-2026"),
                             ImportOptions(school_id=s.school.id))
    assert not report.written and "không có quyền" in report.errors[0].message_vi
    assert session.scalar(select(func.count()).select_from(Student).where(Student.school_id == s.school.id)) == 0
