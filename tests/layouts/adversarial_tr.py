"""Adversarial transcript and register inputs: the longest plausible Vietnamese names, places,
addresses and occupations, guardian-only students, transfers in and out during a year, long
correction notes and comments, every text at (or near) the longest the records accept.

Names are built from real family names (including the rare compound ones of the old royal family
and of ethnic minorities), several middle names and long given names; places and addresses follow
the administrative shapes of real ones (thôn/bản/tổ dân phố, xã/phường/thị trấn, huyện/quận/thị xã,
tỉnh/thành phố). Everything is deterministic from the seed.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from layouts.register import RegisterInput, RegisterLine, YearTrack
from layouts.transcript import CorrectionNote, Identity, Place, SubjectLine, TranscriptInput, YearRecord
from tests.layouts.transcript_samples import TEACHERS, TT22_COMMENT, TT22_NAMES, TT58_COMMENT, TT58_NAMES

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
          "Hồ", "Ngô", "Dương", "Lý", "Quàng", "Lường", "Cầm", "Giàng", "Thào", "Sùng", "Tòng")
COMPOUND_FAMILY = ("Công Tằng Tôn Nữ", "Tôn Thất", "Tôn Nữ", "Âu Dương", "Hoàng Phủ", "Nguyễn Phúc",
                   "Lương Thị Hoàng")
MIDDLE = ("Thị", "Văn", "Đức", "Hữu", "Ngọc", "Thanh", "Hoàng", "Phương", "Quỳnh", "Xuân", "Thượng",
          "Khánh", "Nguyễn", "Minh", "Bảo", "Diệp")
GIVEN = ("Nguyệt", "Thưởng", "Hương", "Trường", "Khuyến", "Nghiêng", "Huyền", "Quỳnh", "Dũng",
         "Ước", "Thuyết", "Phượng", "Hoàng Anh", "Thảo Nguyên", "Khánh Huyền", "Thiện Nhân")
COMMUNES = ("Chiềng Khoong", "Quảng Phú Cầu", "Nghĩa Đô", "Phiêng Khoài", "Huổi Một", "Mường Chanh",
            "Nậm Ty", "Thượng Thanh", "Trường Xuân", "Hướng Phùng")
DISTRICTS = ("huyện Sông Mã", "huyện Ứng Hòa", "quận Cầu Giấy", "huyện Yên Châu", "thị xã Phú Mỹ",
             "huyện Hướng Hóa", "huyện Thuận Châu")
PROVINCES = ("tỉnh Sơn La", "thành phố Hà Nội", "tỉnh Bà Rịa - Vũng Tàu", "tỉnh Quảng Trị",
             "thành phố Hồ Chí Minh", "tỉnh Thừa Thiên Huế")
OCCUPATIONS = (
    "Công nhân vận hành, Công ty Thủy điện Sơn La",
    "Làm nông nghiệp kết hợp buôn bán nhỏ tại chợ trung tâm huyện",
    "Giáo viên Trường Phổ thông dân tộc bán trú Tiểu học Chiềng Khoong",
    "Lao động tự do, làm thuê theo mùa vụ tại các tỉnh phía Nam",
    "Cán bộ Ủy ban nhân dân xã, phụ trách công tác văn hóa - xã hội",
)


def long_name(rng: random.Random) -> str:
    """A long, real-shaped full name (35 to 50 characters)."""
    while True:
        parts = [rng.choice(COMPOUND_FAMILY + FAMILY), *rng.sample(MIDDLE, rng.randint(2, 4)), rng.choice(GIVEN)]
        name = " ".join(parts)
        if 35 <= len(name) <= 50:
            return name


def long_place(rng: random.Random) -> str:
    """A place of birth: hospital or commune, district, province (about 90-140 characters)."""
    commune, district, province = rng.choice(COMMUNES), rng.choice(DISTRICTS), rng.choice(PROVINCES)
    if rng.random() < 0.5:
        return f"Bệnh viện Đa khoa khu vực {commune}, xã {commune}, {district}, {province}"
    return f"Bản {rng.choice(COMMUNES)} Thượng, xã {commune}, {district}, {province}"


def long_address(rng: random.Random) -> str:
    """A current address of 150-200 characters (the records accept 300)."""
    commune, district, province = rng.choice(COMMUNES), rng.choice(DISTRICTS), rng.choice(PROVINCES)
    return (f"Số nhà {rng.randint(100, 999)}, ngõ {rng.randint(10, 99)}/{rng.randint(10, 99)}, "
            f"đường Nguyễn Văn Cừ kéo dài, tổ dân phố số {rng.randint(10, 30)}, tiểu khu {commune}, "
            f"phường {commune}, {district}, {province}")


def long_occupation(rng: random.Random) -> str:
    """A parent's occupation as written by the family."""
    return rng.choice(OCCUPATIONS)


# --- register ---------------------------------------------------------------------------------


def adversarial_register(n: int = 48, seed: int = 5, course: str = "2022-2026") -> RegisterInput:
    """A register volume of ``n`` students, every text long, with guardian-only students, students
    who left or arrived during a year (long reasons and school names), repeaters and many notes."""
    rng = random.Random(seed)
    start = int(course[:4])
    lines = []
    for i in range(n):
        tracks = [YearTrack(6 + k, f"{6 + k}A{1 + i % 5}", f"{start + k}-{start + k + 1}",
                            "Lên lớp" if k < 3 else "Được xét công nhận tốt nghiệp THCS") for k in range(4)]
        father = f"{long_name(rng)} ({long_occupation(rng)})"
        mother = f"{long_name(rng)} ({long_occupation(rng)})"
        guardian = ""
        left_on, reason, entry_from, entry_date, entry_class = None, "", "", dt.date(start, 9, 5), f"6A{1 + i % 5}"
        notes = ""
        if i % 6 == 2:  # guardian only (orphan, or parents working far away)
            father, mother = "", ""
            guardian = f"{long_name(rng)} (ông ngoại; {long_occupation(rng)})"
        if i % 7 == 3:  # left during grade 7
            tracks = tracks[:2]
            tracks[1] = YearTrack(7, tracks[1].class_name, tracks[1].year, f"Chuyển đi 12/01/{start + 2}")
            left_on = dt.date(start + 2, 1, 12)
            reason = ("Chuyển trường theo gia đình vào làm việc tại khu công nghiệp: chuyển đến Trường "
                      "Trung học cơ sở Nguyễn Bỉnh Khiêm, thị xã Phú Mỹ, tỉnh Bà Rịa - Vũng Tàu")
        if i % 9 == 4 and not left_on:  # arrived during grade 8
            entry_from = "Trường Phổ thông dân tộc bán trú Trung học cơ sở Chiềng Khoong, huyện Sông Mã"
            entry_date, entry_class = dt.date(start + 2, 2, 20), "8A1"
            other = "Trường PTDTBT THCS Chiềng Khoong"
            tracks = [YearTrack(6, "6A", f"{start}-{start + 1}", "Lên lớp", school=other),
                      YearTrack(7, "7A", f"{start + 1}-{start + 2}", "Lên lớp", school=other),
                      YearTrack(8, "8B", f"{start + 2}-{start + 3}", "Chuyển đi 10/02/" + str(start + 3), school=other),
                      YearTrack(8, "8A1", f"{start + 2}-{start + 3}", "Lên lớp"), tracks[3]]
        if i % 11 == 5:  # repeated grade 7
            tracks = [tracks[0], YearTrack(7, "7A2", f"{start + 1}-{start + 2}", "Ở lại lớp"),
                      YearTrack(7, "7A1", f"{start + 2}-{start + 3}", "Lên lớp"),
                      YearTrack(8, "8A1", f"{start + 3}-{start + 4}", "Đang học")]
            notes = "Lưu ban"
        lines.append(RegisterLine(
            number=f"{i + 1}/THCS", full_name=long_name(rng), student_code=f"{start}{i:04d}",
            date_of_birth=dt.date(start - 11, 1 + i % 12, 1 + i % 28), gender="Nữ" if i % 2 else "Nam",
            ethnicity=rng.choice(("Thái", "Kinh", "Mông", "Khơ Mú", "Xinh Mun", "Kháng")),
            place_of_birth=long_place(rng), address=long_address(rng),
            father=father, mother=mother, guardian=guardian,
            entry_date=entry_date, entry_class=entry_class, entry_from=entry_from,
            tracks=tuple(tracks), left_on=left_on, left_reason=reason, notes=notes,
            moet_id=f"14102{i:05d}" if i % 4 == 1 else "",
        ))
    holder = Place("Trường Phổ thông dân tộc bán trú THCS Chiềng Khoong", "Sông Mã", "Sơn La")
    return RegisterInput(course=course, school=holder, principal="Công Tằng Tôn Nữ Khánh Huyền",
                         lines=tuple(lines), printed_on=dt.date(start + 4, 6, 10))


# --- transcript -----------------------------------------------------------------------------

#: A subject teacher's comment of the longest length the records accept
#: (``records.services.limits.SUBJECT_COMMENT_MAX``).
LONG_SUBJECT_COMMENT = (
    "Có nhiều tiến bộ rõ rệt trong học kì II, tích cực phát biểu xây dựng bài, biết vận dụng kiến thức "
    "vào giải quyết các tình huống thực tiễn; trình bày bài còn chưa khoa học, cần rèn thêm kĩ năng "
    "đọc hiểu đề, tính toán cẩn thận và tự học ở nhà. "
)
LONG_HOMEROOM_COMMENT = (
    "Ngoan, lễ phép với thầy cô, hòa nhã với bạn bè; có ý thức tự giác trong học tập và rèn luyện, "
    "tham gia tích cực các hoạt động của lớp, của Liên đội và của nhà trường; hoàn thành tốt nhiệm vụ "
    "lớp phó học tập. Cần phát huy hơn nữa tinh thần tự học, mạnh dạn trao đổi với thầy cô khi gặp khó "
    "khăn và giữ gìn sức khỏe trong mùa thi. "
)


def _year(rng: random.Random, start: int, grade: int, regime: str, place: Place, klass: str,
          comment: str, homeroom: str, corrections: CorrectionNote) -> YearRecord:
    tt22 = regime == "tt22"
    names, comment_names = (TT22_NAMES, TT22_COMMENT) if tt22 else (TT58_NAMES, TT58_COMMENT)
    lines = []
    for i, name in enumerate(names):
        if name in comment_names:
            t1: Decimal | str = "Đ"
            t2: Decimal | str = "Đ"
            cn: Decimal | str = "Đ"
        else:
            t1, t2 = Decimal(rng.randint(50, 98)) / 10, Decimal(rng.randint(50, 98)) / 10
            cn = ((t1 + 2 * t2) / 3).quantize(Decimal("0.1"))
        lines.append(SubjectLine(name, t1, t2, cn, None, comment, f"{TEACHERS[i % len(TEACHERS)]}, {long_name(rng)}"))
    overall = (None, None, None) if tt22 else (Decimal("7.6"), Decimal("8.1"), Decimal("8.0"))
    return YearRecord(
        start_year=start, grade=grade, class_name=klass, regime=regime, place=place, subjects=tuple(lines),
        overall=overall, conduct=("Tốt", "Tốt", "Tốt"), learning=("Khá", "Tốt", "Tốt") if tt22 else ("Khá", "Giỏi", "Giỏi"),
        days_absent=3, promotion="promoted", title="Học sinh Xuất sắc" if tt22 else "Học sinh Giỏi",
        homeroom_comment=homeroom, homeroom_teacher=long_name(rng), principal="Công Tằng Tôn Nữ Khánh Huyền",
        approved_on=dt.date(start + 1, 5, 28), corrections=corrections,
    )


def adversarial_transcript(seed: int = 9, *, comment_repeat: int = 2, years: int = 4,
                           regime: str = "tt22") -> TranscriptInput:
    """A grade-6-to-9 transcript: longest name, guardian only, long place, address and occupation,
    a year spent partly at another school, long comments (``comment_repeat`` × a 240-character
    comment per subject) and a correction note naming many subjects."""
    rng = random.Random(seed)
    here = Place("Trường Phổ thông dân tộc bán trú THCS Chiềng Khoong", "Sông Mã", "Sơn La")
    other = Place("Trường Trung học cơ sở Nguyễn Bỉnh Khiêm", "thị xã Phú Mỹ", "Bà Rịa - Vũng Tàu")
    comment = (LONG_SUBJECT_COMMENT * comment_repeat).strip()
    homeroom = (LONG_HOMEROOM_COMMENT * comment_repeat).strip()
    many = CorrectionNote(6, ("Ngữ văn", "Toán", "Ngoại ngữ 1 (Tiếng Anh)", "Khoa học tự nhiên",
                              "Lịch sử và Địa lí", "Hoạt động trải nghiệm, hướng nghiệp"))
    recs = []
    for k in range(years):
        start = 2022 + k
        place = other if k == 1 else here
        recs.append(_year(rng, start, 6 + k, regime, place, f"{6 + k}A{k + 1}", comment, homeroom,
                          many if k in (0, 3) else CorrectionNote()))
    name = "Công Tằng Tôn Nữ Phương Thảo Nguyên Hoàng Quỳnh Hương"
    return TranscriptInput(
        student_code="HS990001", register_number="1234/THCS",
        identity=Identity(
            full_name=name, gender="Nữ", date_of_birth=dt.date(2011, 3, 14), place_of_birth=long_place(rng),
            ethnicity="Xinh Mun", policy_category="Con hộ nghèo; học sinh dân tộc thiểu số ở xã đặc biệt khó khăn",
            current_address=long_address(rng),
            guardian_name=long_name(rng), guardian_occupation=long_occupation(rng),
        ),
        holder=here, principal="Công Tằng Tôn Nữ Khánh Huyền", created_on=dt.date(2022, 9, 5),
        years=tuple(recs), remaining_grades=tuple(range(6 + years, 10)),
    )
