"""Adversarial mark-book classes: the data that breaks layouts, not the demo's.

``adversarial_markbook_input(n_students=45, seed=…)`` starts from the synthetic class of
``tests.layouts.factories`` and makes it hostile: the longest plausible Vietnamese names (several
given names, compound family names such as "Công Tằng Tôn Nữ"), places of birth and addresses near
the 200/300-character limits of the schema, long occupations, guardian-only students (no parents),
six students who transferred out and three who transferred in during the year (notes under their
names), and a dropped-out student. Deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

from layouts.markbook import MarkBookInput, StudentInput, YearOutcome
from tests.layouts.factories import make_markbook_input

# Family names, including compound ones that exist in Vietnam (royal lineage, double family names).
LONG_FAMILIES = ("Công Tằng Tôn Nữ", "Tôn Thất", "Nguyễn Phước", "Hoàng Phủ", "Âu Dương", "Lường", "Quàng",
                 "Nguyễn Trần", "Giàng", "Trương Nguyễn")
LONG_MIDDLES_F = ("Thị Thanh Hoàng", "Thị Ngọc Bích", "Huyền Tôn Nữ Diệu", "Thị Thùy Dương", "Ngọc Khánh")
LONG_MIDDLES_M = ("Văn Hoàng Quốc", "Đức Trường", "Phước Bửu", "Hữu Nguyên Khôi", "Quang Vĩnh")
LONG_GIVENS_F = ("Phương Uyển Nhiên", "Nguyệt Quỳnh", "Hoàng Yến Nhi", "Thủy Tiên", "Diễm Hương", "Khánh Ngọc")
LONG_GIVENS_M = ("Nguyên Khôi Vỹ", "Trường Thịnh", "Quốc Huỳnh Đức", "Thiên Khải", "Ngọc Trưởng")
HAMLETS = ("Bản Huổi Tèo Khơ Mú", "Bản Suối Lìn Thượng", "Bản Nà Bai Phiêng Luông", "Tiểu khu Chiềng Đi Hai",
           "Bản Mường Khoa Cha Lạn")
COMMUNES = ("xã Chiềng Khoa", "xã Tân Xuân", "xã Lóng Luông", "xã Mường Men", "xã Quang Minh",
            "thị trấn Nông trường Mộc Châu")
DISTRICTS = ("huyện Vân Hồ", "huyện Mộc Châu", "huyện Bắc Yên", "huyện Quỳnh Nhai", "thành phố Sơn La")
PROVINCES = ("tỉnh Sơn La", "tỉnh Điện Biên", "tỉnh Lai Châu", "Thành phố Hồ Chí Minh")
LONG_JOBS = ("Cán bộ Ủy ban nhân dân xã, kiêm Chủ tịch Hội Cựu chiến binh",
             "Công nhân kỹ thuật vận hành máy tại Công ty cổ phần Giống bò sữa Mộc Châu",
             "Giáo viên Trường Phổ thông dân tộc bán trú Tiểu học và Trung học cơ sở",
             "Lao động tự do, làm thuê theo mùa vụ tại các tỉnh miền xuôi",
             "Nhân viên Trạm Y tế xã, phụ trách chương trình tiêm chủng mở rộng")


def long_name(rng: random.Random, female: bool) -> str:
    """A long but real-looking full name, 30–45 characters."""
    middles, givens = (LONG_MIDDLES_F, LONG_GIVENS_F) if female else (LONG_MIDDLES_M, LONG_GIVENS_M)
    return f"{rng.choice(LONG_FAMILIES)} {rng.choice(middles)} {rng.choice(givens)}"


def long_place(rng: random.Random, limit: int = 200) -> str:
    """A place (hamlet, commune, district, province) with its landmark, at most ``limit`` characters."""
    parts = [rng.choice(HAMLETS), f"tổ {rng.randint(1, 30)}", rng.choice(COMMUNES), rng.choice(DISTRICTS),
             rng.choice(PROVINCES)]
    text = ", ".join(parts) + ", gần Trạm Y tế và Trường Phổ thông dân tộc bán trú Trung học cơ sở của xã"
    return text[:limit].rstrip(" ,")


def long_job(rng: random.Random) -> str:
    """An occupation as clerks write it in full (up to 120 characters, the schema's limit)."""
    return rng.choice(LONG_JOBS)[:120]


TRANSFERS_OUT = (3, 9, 17, 24, 31, 40)  # roll numbers that moved away during the year
GUARDIAN_ONLY = (5, 12, 28)  # roll numbers cared for by a guardian, no parents recorded
DROPPED_OUT = 36


def adversarial_markbook_input(n_students: int = 45, *, seed: int = 7, regime: str = "tt22",
                               transfers_in: int = 3) -> MarkBookInput:
    """A class of ``n_students`` (+ ``transfers_in`` arrivals) with everything long and every status."""
    base = make_markbook_input(seed, n_students=n_students, regime=regime)
    rng = random.Random(seed)
    students: list[StudentInput] = []
    used: set[str] = set()
    arrivals = [s for s in base.students if s.status == "transferred_in"]
    for s in base.students:
        if s.status == "transferred_in":
            continue
        name = long_name(rng, s.female)
        while name in used:
            name = long_name(rng, s.female)
        used.add(name)
        status, when = "active", None
        if s.no in TRANSFERS_OUT:
            status, when = "transferred_out", date(base.year_start + (1 if s.no % 2 else 0), 1 if s.no % 2 else 11,
                                                   5 + s.no % 20)
        elif s.no == DROPPED_OUT:
            status, when = "dropped_out", date(base.year_start + 1, 3, 3)
        guardian_only = s.no in GUARDIAN_ONLY
        students.append(replace(
            s, full_name=name, birth_place=long_place(rng), address=long_place(rng, 300),
            father="" if guardian_only else long_name(rng, False),
            father_job="" if guardian_only else long_job(rng),
            mother="" if guardian_only else long_name(rng, True),
            mother_job="" if guardian_only else long_job(rng),
            guardian=long_name(rng, rng.random() < 0.5) if guardian_only else "",
            guardian_job=long_job(rng) if guardian_only else "",
            status=status, status_date=when))  # type: ignore[arg-type]
    template = arrivals[0] if arrivals else students[-1]
    outcomes = {o.student_no: o for o in base.outcomes}
    for k in range(transfers_in):
        no = len(students) + 1
        name = long_name(rng, k % 2 == 0)
        while name in used:
            name = long_name(rng, k % 2 == 0)
        used.add(name)
        students.append(replace(template, no=no, full_name=name, female=k % 2 == 0, birth_place=long_place(rng),
                                address=long_place(rng, 300), status="transferred_in",
                                status_date=date(base.year_start + (0 if k == 0 else 1), 10 if k == 0 else 2, 2 + k)))
        outcomes.setdefault(no, YearOutcome(no, "Lên lớp"))
    # keep the synthetic marks of the first arrival for every arrival (the rows must carry data)
    first_in = template.no
    extra_marks = tuple(replace(m, student_no=s.no) for s in students[len(students) - transfers_in:]
                        for m in base.marks if m.student_no == first_in)
    extra_rows = tuple(replace(r, student_no=s.no) for s in students[len(students) - transfers_in:]
                       for r in base.summaries if r.student_no == first_in)
    marks = tuple(m for m in base.marks if m.student_no != first_in) + extra_marks
    summaries = tuple(r for r in base.summaries if r.student_no != first_in) + extra_rows
    return replace(base, students=tuple(students), marks=marks, summaries=summaries,
                   outcomes=tuple(sorted((o for o in outcomes.values() if o.student_no <= len(students)),
                                         key=lambda o: o.student_no)),
                   homeroom_teacher="Công Tằng Tôn Nữ Thị Thanh Hoàng Yến", principal="Trương Nguyễn Hữu Nguyên Khôi")
