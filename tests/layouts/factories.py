"""Synthetic, deterministic mark-book inputs: 45 students, 15 subjects, long names, 80-character
addresses, one student transferred out and one transferred in (46 rows in all)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from layouts.markbook import (
    Absence,
    Inspection,
    InspectionLine,
    MarkBookInput,
    StudentInput,
    SubjectInput,
    SubjectMarks,
    SummaryRow,
    YearOutcome,
)
from records.names import name_sort_key, split_full_name

FAMILY = ["Nguyễn", "Lò", "Lường", "Quàng", "Cầm", "Hà", "Vì", "Giàng", "Đinh", "Phạm", "Trần", "Lê",
          "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Mùa", "Sồng", "Tòng"]
MIDDLE_F = ["Thị", "Thị Thanh", "Thị Ngọc", "Thị Thu", "Thị Hồng", "Thị Mỹ", "Thị Diệu", "Khánh", "Thị Bích"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quốc", "Bá", "Hữu", "Xuân", "Trọng", "A", "Thế"]
GIVEN_F = ["Hương", "Diễm", "Hường", "Nguyệt", "Ánh", "Thủy", "Ngọc", "Yến", "Quỳnh", "Trâm", "Uyên", "Nhung",
           "Huyền", "Ỷ", "Lụa", "Mẩy", "Ơn", "Ửng"]
GIVEN_M = ["Thưởng", "Thước", "Dũng", "Khải", "Hưng", "Quyết", "Sơn", "Tuấn", "Lực", "Đạt", "Chiến", "Ước",
           "Trường", "Nghĩa", "Vượng", "Dự", "Ngữ"]
ETHNIC = ["Thái", "Kinh", "Mông", "Mường", "Dao", "Khơ Mú"]
BANS = ["Nà Bai", "Suối Lìn", "Pà Cò", "Chiềng Yên", "Mường Khoa", "Bó Nhàng", "Tà Phình", "Hua Tạt"]
COMMUNES = ["Chiềng Khoa", "Vân Hồ", "Lóng Luông", "Mường Men", "Chiềng Xuân", "Quang Minh", "Tô Múa"]
JOBS = ["Làm ruộng", "Giáo viên", "Công nhân", "Buôn bán", "Cán bộ xã", "Lái xe", "Y sĩ"]

SUBJECTS_TT22: list[tuple[str, str, str, str, int]] = [
    # code, name, short name, assessment, number of regular assessments
    ("VAN", "Ngữ văn", "Ngữ văn", "score", 4),
    ("TOAN", "Toán", "Toán", "score", 4),
    ("ANH", "Ngoại ngữ 1 (Tiếng Anh)", "Tiếng Anh", "score", 4),
    ("GDCD", "Giáo dục công dân", "GDCD", "score", 2),
    ("LSDL", "Lịch sử và Địa lí", "LS và ĐL", "score", 4),
    ("KHTN", "Khoa học tự nhiên", "KHTN", "score", 4),
    ("CNGH", "Công nghệ", "Công nghệ", "score", 3),
    ("TIN", "Tin học", "Tin học", "score", 2),
    ("THAI", "Tiếng dân tộc thiểu số (Tiếng Thái)", "Tiếng Thái", "score", 2),
    ("NN2", "Ngoại ngữ 2 (Tiếng Trung)", "Ngoại ngữ 2", "score", 3),
    ("GDTC", "Giáo dục thể chất", "GDTC", "comment", 2),
    ("AN", "Nghệ thuật (Âm nhạc)", "Âm nhạc", "comment", 2),
    ("MT", "Nghệ thuật (Mĩ thuật)", "Mĩ thuật", "comment", 2),
    ("HDTN", "Hoạt động trải nghiệm, hướng nghiệp", "HĐTN, HN", "comment", 2),
    ("GDDP", "Nội dung giáo dục của địa phương", "GDĐP", "comment", 2),
]

LONG_NAME = "Nguyễn Thị Thanh Hương Giang"
TEACHERS = ["Lò Văn Thưởng", "Nguyễn Thị Hằng", "Quàng Thị Diệu Linh", "Phạm Đức Mạnh", "Cầm Thị Ngọc Ánh",
            "Hoàng Văn Quyết", "Đỗ Thị Thu Hường", "Lường Văn Khải", "Vũ Thị Bích Ngọc", "Trần Quốc Tuấn",
            "Bùi Thị Nguyệt", "Tòng Văn Ước", "Đinh Thị Huyền Trang", "Lê Minh Đức", "Hà Thị Yến"]


def _q(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _address(rng: random.Random) -> str:
    """An address of exactly 80 characters."""
    parts = [f"Bản {rng.choice(BANS)}", f"xã {rng.choice(COMMUNES)}", "huyện Vân Hồ", "tỉnh Sơn La",
             f"tổ {rng.randint(1, 30)}", f"tiểu khu {rng.choice(BANS)}", "gần trường tiểu học"]
    text = ", ".join(parts)
    return text[:80].rstrip(" ,").ljust(80, ".")


def _name(rng: random.Random, female: bool) -> str:
    if female:
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"


def make_markbook_input(
    seed: int = 1,
    *,
    n_students: int = 45,
    regime: str = "tt22",
    class_name: str = "9A1",
    year_start: int = 2025,
    school: str = "Trường THCS Tô Hiệu",
) -> MarkBookInput:
    """A complete year of a class: roll, marks, attendance, summaries, outcomes, inspections."""
    rng = random.Random(seed)
    people = []
    used: set[str] = set()
    for i in range(n_students):
        female = i % 2 == 0
        name = LONG_NAME if i == 3 else _name(rng, female)
        while name in used:
            name = _name(rng, female)
        used.add(name)
        born = date(year_start - 14, 1, 1) + timedelta(days=rng.randint(0, 364))
        people.append((name, female, born))
    people.sort(key=lambda p: name_sort_key(*split_full_name(p[0]), p[2]))
    student_names = {p[0] for p in people} | {"Mùa Thị Diễm Quỳnh"}

    def parent(female: bool) -> str:  # never a student's name: text tests find rows by name
        while True:
            n = _name(rng, female)
            if n not in student_names:
                return n

    students = []
    out_no = 17
    for no, (name, female, born) in enumerate(people, 1):
        students.append(
            StudentInput(
                no=no, full_name=name, birth_date=born, female=female, ethnicity=rng.choice(ETHNIC),
                birth_place=f"Xã {rng.choice(COMMUNES)}, huyện Vân Hồ, tỉnh Sơn La",
                address=_address(rng),
                father=parent(False), father_job=rng.choice(JOBS),
                mother=parent(True), mother_job=rng.choice(JOBS),
                status="transferred_out" if no == out_no else "active",
                status_date=date(year_start + 1, 1, 12) if no == out_no else None,
            )
        )
    in_name = "Mùa Thị Diễm Quỳnh"
    students.append(
        StudentInput(
            no=len(students) + 1, full_name=in_name, birth_date=date(year_start - 14, 5, 20), female=True,
            ethnicity="Mông", birth_place="Xã Tô Múa, huyện Vân Hồ, tỉnh Sơn La", address=_address(rng),
            father="Mùa A Dế", father_job="Làm ruộng", mother="Giàng Thị Mỷ", mother_job="Làm ruộng",
            status="transferred_in", status_date=date(year_start + 1, 1, 19),
        )
    )
    subjects = []
    for k, (code, name, short, assessment, tx) in enumerate(SUBJECTS_TT22[: 15]):
        t1 = (TEACHERS[k % len(TEACHERS)],)
        t2 = t1 if k != 2 else (TEACHERS[(k + 5) % len(TEACHERS)],)
        req: tuple[tuple[str, int], ...]
        if regime == "tt58":
            req = (("m", 2), ("v15", 3), ("v45", 2 if tx >= 3 else 1), ("hk", 1))
        else:
            req = (("tx", tx), ("gk", 1), ("ck", 1))
        subjects.append(SubjectInput(code=code, name=name, short_name=short, assessment=assessment,  # type: ignore[arg-type]
                                     required=req, teachers_term1=t1, teachers_term2=t2))

    def present(s: StudentInput, term: int) -> bool:
        if s.status == "transferred_out":
            return term == 1
        if s.status == "transferred_in":
            return term == 2
        return True

    marks: list[SubjectMarks] = []
    summaries: list[SummaryRow] = []
    outcomes: list[YearOutcome] = []
    for s in students:
        level = rng.uniform(4.0, 9.5)
        term_avgs: dict[int, list[Decimal]] = {1: [], 2: []}
        comment_ok = {1: True, 2: True}
        for subj in subjects:
            avgs: dict[int, Decimal | str] = {}
            for term in (1, 2):
                if not present(s, term):
                    continue
                got: list[tuple[str, tuple[Decimal | str, ...]]] = []
                if subj.assessment == "comment":
                    for kind, n in subj.required:
                        got.append((kind, tuple("Đ" if rng.random() < 0.93 else "CĐ" for _ in range(n))))
                    res = "Đ" if all(v == "Đ" for _, vals in got for v in vals) else "CĐ"
                    comment_ok[term] &= res == "Đ"
                    avgs[term] = res
                else:
                    total, weight = Decimal(0), 0
                    for kind, n in subj.required:
                        w = {"tx": 1, "gk": 2, "ck": 3, "m": 1, "v15": 1, "v45": 2, "hk": 3}[kind]
                        vals: list[Decimal | str] = []
                        for _ in range(n):
                            v = Decimal(max(0, min(20, round((level + rng.uniform(-2.5, 2)) * 2)))) / 2
                            if kind in ("tx", "m", "v15"):
                                v = v.quantize(Decimal(1), rounding=ROUND_HALF_UP)
                            vals.append(v)
                            total += w * v
                            weight += w
                        got.append((kind, tuple(vals)))
                    avgs[term] = _q(total / weight)
                    term_avgs[term].append(avgs[term])  # type: ignore[arg-type]
                year = None
                if term == 2:
                    a1, a2 = avgs.get(1), avgs[2]
                    if subj.assessment == "comment":
                        year = a2
                    elif isinstance(a1, Decimal) and isinstance(a2, Decimal):
                        year = _q((a1 + 2 * a2) / 3)
                    else:
                        year = a2
                marks.append(SubjectMarks(student_no=s.no, subject=subj.code, term=term, marks=tuple(got),
                                          average=avgs[term], year_average=year))
        for period, term in (("hk1", 1), ("hk2", 2), ("cn", 2)):
            if not present(s, term):
                continue
            avg = _q(sum(term_avgs[term], Decimal(0)) / len(term_avgs[term])) if term_avgs[term] else None
            if regime == "tt22":
                learning = "Tốt" if avg and avg >= 8 else "Khá" if avg and avg >= 6.5 else "Đạt" if avg and avg >= 5 else "Chưa đạt"
                conduct = rng.choice(["Tốt", "Tốt", "Khá", "Đạt"])
                title = ("Học sinh Xuất sắc" if avg and avg >= 9 else "Học sinh Giỏi") if (
                    period == "cn" and learning == "Tốt" and conduct == "Tốt") else ""
            else:
                learning = "Giỏi" if avg and avg >= 8 else "Khá" if avg and avg >= 6.5 else "Trung bình" if avg and avg >= 5 else "Yếu"
                conduct = rng.choice(["Tốt", "Tốt", "Khá", "Trung bình"])
                title = "Học sinh Giỏi" if learning == "Giỏi" and conduct == "Tốt" else (
                    "Học sinh Tiên tiến" if learning in ("Giỏi", "Khá") and conduct in ("Tốt", "Khá") else "")
            summaries.append(SummaryRow(
                student_no=s.no, period=period, overall_average=None if regime == "tt22" else avg,  # type: ignore[arg-type]
                learning=learning, conduct=conduct, absent_excused=rng.randint(0, 4),
                absent_unexcused=rng.choice([0, 0, 0, 1, 2]), title=title))
        if present(s, 2):
            last = summaries[-1]
            if last.learning in ("Chưa đạt", "Yếu"):
                low = [(subj.code, Decimal("5.5")) for subj in subjects[:2]]
                outcomes.append(YearOutcome(s.no, "Kiểm tra lại", reassess=tuple(low), final="Lên lớp"))
            elif s.no % 23 == 5:
                outcomes.append(YearOutcome(s.no, "Rèn luyện hè", summer_training="Đạt", final="Lên lớp"))
            else:
                outcomes.append(YearOutcome(s.no, "Lên lớp"))

    absences = []
    day = date(year_start, 9, 5)
    end = date(year_start + 1, 5, 31)
    while day <= end:
        if day.weekday() < 6:
            for s in students:
                if rng.random() < 0.012:
                    absences.append(Absence(s.no, day, excused=rng.random() < 0.7))
        day += timedelta(days=1)

    inspections = []
    for month in (9, 10, 11, 12, 1, 2, 3):
        yr = year_start if month >= 9 else year_start + 1
        lines = tuple(
            InspectionLine(subject=subj.code, teacher=subj.teachers_term1[0], expected=46 * 2,
                           entered=46 * 2 - (rng.randint(0, 6) if rng.random() < 0.3 else 0),
                           late=rng.choice([0, 0, 0, 1, 3]),
                           note="Đủ, đúng hạn" if rng.random() < 0.7 else "Còn thiếu điểm ĐĐGtx")
            for subj in subjects
        )
        inspections.append(Inspection(
            month=month, held_on=date(yr, month, 28),
            inspectors=(("Nguyễn Văn Hiệu", "Hiệu trưởng"), ("Lường Thị Phương", "Phó Hiệu trưởng")),
            lines=lines,
            findings="Giáo viên cập nhật điểm kịp thời; một số môn còn thiếu điểm đánh giá thường xuyên.",
            requests="Hoàn thành nhập đủ điểm trước ngày 05 của tháng sau.",
        ))
    return MarkBookInput(
        school=school, district="Huyện Vân Hồ", province="Tỉnh Sơn La", class_name=class_name,
        year_start=year_start, regime=regime,  # type: ignore[arg-type]
        homeroom_teacher="Quàng Thị Diệu Linh", principal="Nguyễn Văn Hiệu",
        students=tuple(students), subjects=tuple(subjects), marks=tuple(marks), absences=tuple(absences),
        summaries=tuple(summaries), outcomes=tuple(outcomes), inspections=tuple(inspections),
        place="Vân Hồ", grade=9,
    )
