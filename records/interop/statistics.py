"""Results for the Ministry's statistics (and the district's reports): one row per student, and a summary.

``statistics(session, actor, school, year, term)`` reads the stored results of a period (term I, term
II, or the year when ``term`` is None) and returns a ``StatisticsExport``: its rows (identifiers, class,
subject averages or Đ/CĐ levels, learning result, conduct / training result, title, promotion, days
absent) and the summary counts (by grade, result level, gender, ethnicity). ``to_xlsx`` and
``to_json`` write it; the layout is documented in docs/STATISTICS-EXPORT.md (a test keeps the column
list there equal to ``ROW_COLUMNS``).

Students who left during the year (transferred, dropped out) are listed with their status; the
summary counts the students on the roll at the end of the period only.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from records.interop.sheets import SafeWorkbook
from records.models import (
    Class,
    Enrolment,
    EnrolmentStatus,
    Gender,
    Grade,
    GradeSubject,
    Period,
    School,
    SchoolYear,
    Student,
    StudentResult,
    Subject,
    SubjectResult,
)
from records.permissions import Action, Actor, require
from records.rules import Promotion

SCHEMA = "sodientu-statistics"
SCHEMA_VERSION = 1

#: (JSON key, column header) of the row columns before and after the subject columns.
ROW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("number", "STT"),
    ("code", "Mã học sinh"),
    ("moet_id", "Mã định danh Bộ GD&ĐT"),
    ("citizen_id", "Số định danh cá nhân"),
    ("full_name", "Họ và tên"),
    ("date_of_birth", "Ngày sinh"),
    ("gender", "Giới tính"),
    ("ethnicity", "Dân tộc"),
    ("grade", "Khối"),
    ("class_name", "Lớp"),
    ("status", "Tình trạng"),
    ("subjects", "<một cột mỗi môn: điểm trung bình hoặc Đ/CĐ>"),
    ("overall_average", "ĐTB các môn"),
    ("learning", "Học lực / Kết quả học tập"),
    ("conduct", "Hạnh kiểm / Kết quả rèn luyện"),
    ("title", "Danh hiệu"),
    ("promotion", "Lên lớp"),
    ("days_absent_excused", "Nghỉ có phép"),
    ("days_absent_unexcused", "Nghỉ không phép"),
    ("days_absent", "Tổng số buổi nghỉ"),
)
_STATUS = {EnrolmentStatus.ACTIVE: "Đang học", EnrolmentStatus.TRANSFERRED_OUT: "Chuyển đi",
           EnrolmentStatus.DROPPED_OUT: "Bỏ học"}
#: Result levels in report order (both regulations); other values follow in the order met.
LEVEL_ORDER = ("Giỏi", "Tốt", "Khá", "Trung bình", "Đạt", "Yếu", "Chưa đạt", "Kém")


@dataclass(frozen=True)
class StatisticsExport:
    """The rows and summary of one period; ``subjects`` are (code, header) of the subject columns."""

    school: School
    year: SchoolYear
    period: Period
    subjects: tuple[tuple[str, str], ...]
    rows: tuple[dict[str, Any], ...]

    def summary(self) -> dict[str, Any]:
        """Counts of the students on the roll: by grade (total, girls, ethnic minority), result levels,
        conduct levels, titles, and by ethnicity."""
        active = [r for r in self.rows if r["status"] == _STATUS[EnrolmentStatus.ACTIVE]]
        grades = sorted({r["grade"] for r in active})
        by_grade: dict[str, dict[str, Any]] = {}
        for key in [*map(str, grades), "total"]:
            rows = active if key == "total" else [r for r in active if str(r["grade"]) == key]
            by_grade[key] = {
                "students": len(rows),
                "female": sum(r["gender"] == "Nữ" for r in rows),
                "ethnic_minority": sum(r["ethnicity"] != "Kinh" for r in rows),
                "female_ethnic_minority": sum(r["gender"] == "Nữ" and r["ethnicity"] != "Kinh" for r in rows),
                "learning": _ordered(Counter(r["learning"] or "Chưa xếp loại" for r in rows)),
                "conduct": _ordered(Counter(r["conduct"] or "Chưa xếp loại" for r in rows)),
                "title": dict(sorted(Counter(r["title"] for r in rows if r["title"]).items())),
            }
        ethnicity: dict[str, dict[str, int]] = defaultdict(dict)
        for r in active:
            cell = ethnicity[r["ethnicity"]]
            cell[str(r["grade"])] = cell.get(str(r["grade"]), 0) + 1
            cell["total"] = cell.get("total", 0) + 1
        gender = {g: dict(Counter(str(r["grade"]) for r in active if r["gender"] == g)) | {
            "total": sum(r["gender"] == g for r in active)} for g in ("Nam", "Nữ")}
        return {"by_grade": by_grade, "by_gender": gender, "by_ethnicity": dict(sorted(ethnicity.items()))}

    def to_json(self) -> bytes:
        """The JSON document (schema ``sodientu-statistics`` version 1)."""
        doc = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION,
               "school": {"code": self.school.code, "name": self.school.name, "district": self.school.district,
                          "province": self.school.province},
               "school_year": self.year.name, "period": self.period.value, "period_label": self.period.label_vi,
               "subjects": [{"code": c, "name": n} for c, n in self.subjects],
               "students": [_plain(r) for r in self.rows], "summary": self.summary()}
        return json.dumps(doc, ensure_ascii=False, indent=1).encode()

    def to_xlsx(self) -> bytes:
        """The workbook: sheet "Học sinh" (one row per student) and sheet "Tổng hợp" (the counts)."""
        book = SafeWorkbook()
        ws = book.sheet("Học sinh")
        header = [label for key, label in ROW_COLUMNS if key != "subjects"]
        split = [k for k, _ in ROW_COLUMNS].index("subjects")
        header[split:split] = [name for _, name in self.subjects]
        heading = f"{self.school.name} — Năm học {self.year.name} — {self.period.label_vi}"
        book.title(ws, 1, "DỮ LIỆU THỐNG KÊ KẾT QUẢ ĐÁNH GIÁ HỌC SINH", len(header))
        book.title(ws, 2, heading, len(header))
        book.put_row(ws, 4, header, bold=True)
        keys = [k for k, _ in ROW_COLUMNS if k != "subjects"]
        for r, row in enumerate(self.rows, start=5):
            values = [row[k] for k in keys]
            values[split:split] = [row["subjects"].get(code) for code, _ in self.subjects]
            book.put_row(ws, r, values)
        ws.freeze_panes = "F5"
        ws.column_dimensions["E"].width = 28
        self._summary_sheet(book, heading)
        return book.to_bytes()

    def _summary_sheet(self, book: SafeWorkbook, heading: str) -> None:
        ws = book.sheet("Tổng hợp")
        summary = self.summary()
        by_grade = summary["by_grade"]
        learning = _levels(by_grade["total"]["learning"])
        conduct = _levels(by_grade["total"]["conduct"])
        titles = list(by_grade["total"]["title"])
        header = ["Khối", "Tổng số", "Nữ", "Dân tộc", "Nữ dân tộc", *(f"HL/KQHT: {x}" for x in learning),
                  *(f"HK/KQRL: {x}" for x in conduct), *titles]
        book.title(ws, 1, "TỔNG HỢP SỐ LIỆU", len(header))
        book.title(ws, 2, heading, len(header))
        book.put_row(ws, 4, header, bold=True)
        r = 5
        for key, counts in by_grade.items():
            book.put_row(ws, r, [f"Khối {key}" if key != "total" else "Toàn trường", counts["students"],
                                 counts["female"], counts["ethnic_minority"], counts["female_ethnic_minority"],
                                 *(counts["learning"].get(x, 0) for x in learning),
                                 *(counts["conduct"].get(x, 0) for x in conduct),
                                 *(counts["title"].get(x, 0) for x in titles)], bold=key == "total")
            r += 1
        r += 1
        grades = [k for k in by_grade if k != "total"]
        book.put_row(ws, r, ["Dân tộc", *(f"Khối {g}" for g in grades), "Toàn trường"], bold=True)
        for name, counts in summary["by_ethnicity"].items():
            r += 1
            book.put_row(ws, r, [name, *(counts.get(g, 0) for g in grades), counts["total"]])
        r += 2
        book.put_row(ws, r, ["Giới tính", *(f"Khối {g}" for g in grades), "Toàn trường"], bold=True)
        for name, counts in summary["by_gender"].items():
            r += 1
            book.put_row(ws, r, [name, *(counts.get(g, 0) for g in grades), counts["total"]])
        ws.column_dimensions["A"].width = 16


#: What each row column holds (docs/STATISTICS-EXPORT.md embeds ``columns_markdown()``; a test keeps them equal).
COLUMN_NOTES: dict[str, str] = {
    "number": "Row number in the file (grade, class, roll number order).",
    "code": "The school's student code (mã học sinh).",
    "moet_id": "The Ministry's student identifier (mã định danh Bộ GD&ĐT), when recorded.",
    "citizen_id": "Personal identification number (số định danh cá nhân), when recorded.",
    "full_name": "Family, middle and given name, NFC.",
    "date_of_birth": "Date of birth (xlsx: a date cell, dd/mm/yyyy; JSON: ISO yyyy-mm-dd).",
    "gender": "\"Nam\" or \"Nữ\".",
    "ethnicity": "Ethnicity (dân tộc) as recorded, e.g. \"Kinh\", \"Thái\", \"Mông\".",
    "grade": "Grade level 6-9.",
    "class_name": "Class name, e.g. \"6A1\".",
    "status": "\"Đang học\", \"Chuyển đi\" or \"Bỏ học\" (left during the year; not counted in the summary).",
    "subjects": "One column per subject of the year's curricula (header: subject name; JSON: object keyed by "
                "subject code): the period average (one decimal) or Đ/CĐ; after a summer re-assessment, its result.",
    "overall_average": "Average of the subjects (TT58/TT26 only; empty under TT22).",
    "learning": "Học lực (TT58/TT26) or kết quả học tập (TT22); after the summer, the re-assessed level.",
    "conduct": "Hạnh kiểm (TT58/TT26) or kết quả rèn luyện (TT22); after the summer, the retrained level.",
    "title": "Danh hiệu (title), when awarded.",
    "promotion": "Year only: \"Lên lớp\", \"Ở lại lớp\", \"Kiểm tra lại\", \"Rèn luyện trong kì nghỉ hè\" "
                 "(the final decision once taken).",
    "days_absent_excused": "Sessions absent with leave in the period.",
    "days_absent_unexcused": "Sessions absent without leave in the period.",
    "days_absent": "All sessions absent in the period.",
}


def columns_markdown() -> str:
    """The row columns as a Markdown table (header, JSON key, content)."""
    lines = ["| # | Column header (xlsx) | JSON key | Content |", "|---|---|---|---|"]
    for n, (key, label) in enumerate(ROW_COLUMNS, start=1):
        lines.append(f"| {n} | {label} | `{key}` | {COLUMN_NOTES[key]} |")
    return "\n".join(lines)


def _ordered(counts: Counter[str]) -> dict[str, int]:
    return {k: counts[k] for k in sorted(counts, key=lambda x: (LEVEL_ORDER.index(x) if x in LEVEL_ORDER
                                                               else len(LEVEL_ORDER), x))}


def _levels(counts: dict[str, int]) -> list[str]:
    return list(counts)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    def conv(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: conv(v) for k, v in value.items()}
        return value

    return {k: conv(v) for k, v in row.items()}


def statistics(session: Session, actor: Actor, school: School, year: SchoolYear, term: int | None = None
               ) -> StatisticsExport:
    """The statistics of a period: term 1, term 2, or the whole year (``term`` None)."""
    require(session, actor, Action.RECORDS_READ, year)
    period = {1: Period.TERM1, 2: Period.TERM2, None: Period.YEAR}[term]
    rows_db = list(session.execute(
        select(Enrolment, Student, Class, Grade).join(Student, Student.id == Enrolment.student_id)
        .join(Class, Class.id == Enrolment.class_id).join(Grade, Grade.id == Class.grade_id)
        .where(Grade.school_year_id == year.id, Class.school_id == school.id)
        .order_by(Grade.level, Class.name, Enrolment.roll_number)))
    ids = [e.id for e, *_ in rows_db]
    subjects = list(session.execute(
        select(Subject.id, Subject.code, Subject.name, Subject.short_name, GradeSubject.position, Grade.level)
        .join(GradeSubject, GradeSubject.subject_id == Subject.id).join(Grade, Grade.id == GradeSubject.grade_id)
        .where(Grade.school_year_id == year.id).order_by(Grade.level, GradeSubject.position)))
    columns: dict[int, tuple[str, str]] = {}
    for sid, code, name, _short, _pos, _level in subjects:
        columns.setdefault(sid, (code, name))
    subject_values: dict[int, dict[str, Any]] = defaultdict(dict)
    overall: dict[int, StudentResult] = {}
    for chunk in _chunks(ids):
        for r in session.scalars(select(SubjectResult).where(SubjectResult.enrolment_id.in_(chunk),
                                                             SubjectResult.period == period)):
            value = r.reassessed_score if r.reassessed_score is not None else (r.reassessed_grade or r.value)
            subject_values[r.enrolment_id][columns[r.subject_id][0]] = value
        for s in session.scalars(select(StudentResult).where(StudentResult.enrolment_id.in_(chunk),
                                                             StudentResult.period == period)):
            overall[s.enrolment_id] = s
    rows = []
    for n, (enrolment, student, klass, grade) in enumerate(rows_db, start=1):
        res = overall.get(enrolment.id)
        promotion = (res.final_promotion or res.promotion) if res else None
        rows.append({
            "number": n, "code": student.code, "moet_id": student.moet_id, "citizen_id": student.citizen_id,
            "full_name": student.full_name, "date_of_birth": student.date_of_birth,
            "gender": Gender(student.gender).value, "ethnicity": student.ethnicity, "grade": grade.level,
            "class_name": klass.name, "status": _STATUS[EnrolmentStatus(enrolment.status)],
            "subjects": subject_values.get(enrolment.id, {}),
            "overall_average": res.overall_average if res else None,
            "learning": (res.learning_after_summer or res.learning) if res else None,
            "conduct": (res.conduct_after_summer or res.conduct) if res else None,
            "title": res.title if res else None,
            "promotion": _promotion_label(promotion),
            "days_absent_excused": res.days_absent_excused if res else None,
            "days_absent_unexcused": res.days_absent_unexcused if res else None,
            "days_absent": res.days_absent if res else None,
        })
    return StatisticsExport(school, year, period, tuple(columns.values()), tuple(rows))


def _promotion_label(value: str | None) -> str | None:
    try:
        return Promotion(value).label_vi if value else None
    except ValueError:
        return value


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]
