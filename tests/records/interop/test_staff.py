"""Teachers and teaching assignments from spreadsheets."""

from __future__ import annotations

from sqlalchemy import select

from records.interop.common import ImportOptions
from records.interop.staff import import_assignments, import_teachers, username_for
from records.models import Role, RoleGrant, TeachingAssignment, User
from tests.records.interop.messy import csv_file, nfd, xlsx
from tests.records.school_setup import set_up_school


def test_username_from_a_vietnamese_name() -> None:
    taken = {"annv"}
    assert username_for("Nguyễn Văn An", taken) == "annv2"
    assert username_for("Đặng Thị Đào", taken) == "daodt"


def test_teachers_then_assignments_imported_once(session) -> None:
    s = set_up_school(session)
    year = s.year(2025)
    s.klass(year, 6, "6A1")
    teachers = xlsx([["STT", "Họ và tên", "Tổ chuyên môn", "Chức vụ"],
                     [1, nfd("Hà Thị  Thu"), "Tổ Toán - Tin", "Giáo viên bộ môn"],
                     [2, "Lường Văn Dũng", "Tổ Văn - Sử", "GVBM, Tổ trưởng chuyên môn"],
                     [3, "=cmd", None, None]], title="DANH SÁCH GIÁO VIÊN NĂM HỌC 2025-2026")
    opts = ImportOptions(school_id=s.school.id)
    bad = import_teachers(session, s.actor(), teachers, opts)
    assert [i.text_vi()[:24] for i in bad.errors] == ["Dòng 6, cột «Họ và tên» "]
    teachers = xlsx([["STT", "Họ và tên", "Tổ chuyên môn", "Chức vụ"],
                     [1, nfd("Hà Thị  Thu"), "Tổ Toán - Tin", "Giáo viên bộ môn"],
                     [2, "Lường Văn Dũng", "Tổ Văn - Sử", "GVBM, Tổ trưởng chuyên môn"]])
    report = import_teachers(session, s.actor(), teachers, opts)
    assert report.written and report.counts() == {"create": 2}
    dung = session.scalars(select(User).where(User.username == "dunglv")).one()
    assert {g.role for g in session.scalars(select(RoleGrant).where(RoleGrant.user_id == dung.id))} == {
        Role.SUBJECT_TEACHER, Role.HEAD_OF_DEPARTMENT}
    assert import_teachers(session, s.actor(), teachers, opts).counts() == {"unchanged": 2}
    plan = csv_file([["Giáo viên", "Lớp", "Môn", "Học kì"], ["thuht", "6A1", "Toán", "Cả năm"],
                     ["Lường Văn Dũng", "6a1", "Ngữ văn", "I"], ["Không Ai", "6A1", "Toán", "II"]])
    bad = import_assignments(session, s.actor(), plan, ImportOptions(school_id=s.school.id, start_year=2025))
    assert [i.text_vi() for i in bad.errors] == [
        "Dòng 4, cột «Giáo viên» (A4): Không tìm thấy giáo viên «Không Ai» của trường."]
    plan = csv_file([["Giáo viên", "Lớp", "Môn", "Học kì"], ["thuht", "6A1", "Toán", "Cả năm"],
                     ["Lường Văn Dũng", "6a1", "Ngữ văn", "I"]])
    report = import_assignments(session, s.actor(), plan, ImportOptions(school_id=s.school.id, start_year=2025))
    assert report.written and report.counts() == {"assign": 3}
    again = import_assignments(session, s.actor(), plan, ImportOptions(school_id=s.school.id, start_year=2025))
    assert again.counts() == {"unchanged": 3}
    assert len(session.scalars(select(TeachingAssignment).where(
        TeachingAssignment.teacher_id == dung.id)).all()) == 1
