"""Sample transcript and register inputs (no database) for layout tests, previews and benches."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from layouts.transcript import CorrectionNote, Identity, Place, SubjectLine, TranscriptInput, YearRecord

TT22_NAMES = (
    "Ngữ văn", "Toán", "Ngoại ngữ 1 (Tiếng Anh)", "Giáo dục công dân", "Lịch sử và Địa lí",
    "Khoa học tự nhiên", "Công nghệ", "Tin học", "Giáo dục thể chất", "Nghệ thuật",
    "Hoạt động trải nghiệm, hướng nghiệp", "Nội dung giáo dục của địa phương",
)
TT22_COMMENT = {"Giáo dục thể chất", "Nghệ thuật", "Hoạt động trải nghiệm, hướng nghiệp",
                "Nội dung giáo dục của địa phương"}
TT58_NAMES = (
    "Toán", "Vật lí", "Hóa học", "Sinh học", "Ngữ văn", "Lịch sử", "Địa lí", "Tiếng Anh",
    "Giáo dục công dân", "Công nghệ", "Tin học", "Thể dục", "Âm nhạc", "Mỹ thuật",
)
TT58_COMMENT = {"Thể dục", "Âm nhạc", "Mỹ thuật"}
TEACHERS = ("Lò Thị Mai", "Quàng Văn Sơn", "Nguyễn Thị Thu Hương", "Hà Văn Điện", "Đinh Thị Ngọc Ánh",
            "Cầm Văn Thắng", "Vì Thị Lan", "Lường Đức Toàn")
COMMENTS = (
    "Có tiến bộ rõ trong học kì II, tích cực phát biểu xây dựng bài.",
    "Nắm vững kiến thức cơ bản; cần rèn thêm kĩ năng trình bày.",
    "Chăm chỉ, hoàn thành tốt các nhiệm vụ học tập.",
    "",
)
HOLDER = Place("Trường THCS Chiềng Sơn", "Mộc Châu", "Sơn La")


def _score(rng: random.Random, lo: float = 5.0) -> Decimal:
    return Decimal(str(round(rng.uniform(lo, 9.8), 1)))


def sample_year(rng: random.Random, start: int, grade: int, regime: str, place: Place = HOLDER,
                corrections: CorrectionNote | None = None, klass: str | None = None) -> YearRecord:
    """One plausible year of results under ``regime``."""
    tt22 = regime == "tt22"
    names, comment_names = (TT22_NAMES, TT22_COMMENT) if tt22 else (TT58_NAMES, TT58_COMMENT)
    lines = []
    for i, name in enumerate(names):
        if name in comment_names:
            t1, t2 = "Đ", "Đ"
            cn: Decimal | str = "Đ"
        else:
            t1, t2 = _score(rng), _score(rng)
            cn = ((t1 + 2 * t2) / 3).quantize(Decimal("0.1"))
        lines.append(SubjectLine(name, t1, t2, cn, None, rng.choice(COMMENTS), TEACHERS[i % len(TEACHERS)]))
    if tt22:
        conduct = ("Tốt", "Tốt", "Tốt")
        learning = ("Khá", "Tốt", "Tốt")
        overall: tuple = (None, None, None)
        title = "Học sinh Giỏi"
    else:
        conduct = ("Tốt", "Khá", "Tốt")
        learning = ("Khá", "Giỏi", "Giỏi")
        overall = (Decimal("7.6"), Decimal("8.1"), Decimal("8.0"))
        title = "Học sinh Giỏi"
    return YearRecord(
        start_year=start, grade=grade, class_name=klass or f"{grade}A1", regime=regime, place=place,
        subjects=tuple(lines), overall=overall, conduct=conduct, learning=learning,
        days_absent=rng.randint(0, 6), promotion="promoted", title=title,
        homeroom_comment="Ngoan, lễ phép, có ý thức tự giác trong học tập; tham gia tích cực các hoạt động "
                         "của lớp và của trường. Cần phát huy hơn nữa tinh thần tự học.",
        homeroom_teacher="Lò Văn Khánh", principal="Nguyễn Văn Bình",
        approved_on=dt.date(start + 1, 5, 28), corrections=corrections or CorrectionNote(),
    )


def sample_input(seed: int = 1, years: int = 4, first_start: int = 2021, photo: bytes | None = None,
                 name: str = "Lò Thị Hương Giang") -> TranscriptInput:
    """A grade-6-to-9 student starting in ``first_start`` (regimes from the roadmap)."""
    rng = random.Random(seed)
    recs = []
    for k in range(years):
        start, grade = first_start + k, 6 + k
        regime = "tt22" if start >= 2021 + (grade - 6) else ("tt26" if start >= 2020 else "tt58")
        recs.append(sample_year(rng, start, grade, regime))
    return TranscriptInput(
        student_code=f"HS{seed:06d}", register_number=f"{seed}/THCS",
        identity=Identity(
            full_name=name, gender="Nữ", date_of_birth=dt.date(first_start - 11, 3, 14),
            place_of_birth="Xã Chiềng Sơn, huyện Mộc Châu, tỉnh Sơn La", ethnicity="Thái",
            policy_category="Con hộ nghèo", current_address="Bản Pa Kha, xã Chiềng Sơn, huyện Mộc Châu, tỉnh Sơn La",
            father_name="Lò Văn Thành", father_occupation="Làm ruộng", mother_name="Quàng Thị Ơn",
            mother_occupation="Làm ruộng",
        ),
        holder=HOLDER, principal="Nguyễn Văn Bình", created_on=dt.date(first_start, 9, 5), photo=photo,
        years=tuple(recs), remaining_grades=tuple(range(6 + years, 10)),
    )


def mixed_input(seed: int = 7) -> TranscriptInput:
    """A student who repeated grade 6 across the switch: 2020-21 under TT26, 2021-22 under TT22,
    then grade 7 at another school (2022-23) and back here for grades 8-9."""
    rng = random.Random(seed)
    other = Place("Trường PTDTBT THCS Tân Xuân", "Vân Hồ", "Sơn La")
    first = sample_year(rng, 2020, 6, "tt26")
    first = YearRecord(**{**first.__dict__, "promotion": "repeat", "title": None,
                          "learning": ("Yếu", "Yếu", "Yếu"), "conduct": ("Khá", "Khá", "Khá")})
    years = (
        first,
        sample_year(rng, 2021, 6, "tt22", klass="6A2",
                    corrections=CorrectionNote(2, ("Toán", "Khoa học tự nhiên"))),
        sample_year(rng, 2022, 7, "tt22", place=other, klass="7B"),
        sample_year(rng, 2023, 8, "tt22"),
        sample_year(rng, 2024, 9, "tt22", klass="9A3"),
    )
    base = sample_input(seed)
    return TranscriptInput(**{**base.__dict__, "years": years, "remaining_grades": (),
                              "created_on": dt.date(2020, 9, 5)})


LONG_ADDRESS = "Tiểu khu Bó Bun, thị trấn Nông trường Mộc Châu, huyện Mộc Châu, tỉnh Sơn La (gần chợ)"


def sample_register(n: int = 150, seed: int = 3):
    """A course register with long names, 80-character addresses, arrivals, departures and a repeater."""
    from layouts.register import RegisterInput, RegisterLine, YearTrack

    rng = random.Random(seed)
    given = ("Hương", "Thưởng", "Ước", "Nguyệt", "Dũng", "Ánh", "Trường", "Ỷ", "Ửng", "Khải")
    family = ("Nguyễn", "Lò", "Quàng", "Cầm", "Vì", "Giàng", "Đinh", "Tòng")
    lines = []
    for i in range(n):
        name = f"{rng.choice(family)} {rng.choice(('Thị', 'Văn', 'Thị Thanh', 'Đức'))} {rng.choice(given)}"
        if i == 1:
            name = "Tòng Thị Phương Thảo Nguyên Hoàng Quỳnh Hương"
        klass = f"6A{1 + i % 4}"
        tracks = [YearTrack(6 + k, f"{6 + k}A{1 + i % 4}", f"{2022 + k}-{2023 + k}",
                            "Lên lớp" if k < 3 else "Hoàn thành CT THCS") for k in range(4)]
        left_on, reason, entry_from, entry_date = None, "", "", dt.date(2022, 9, 5)
        if i % 37 == 5:  # left in grade 7
            tracks = tracks[:2]
            tracks[1] = YearTrack(7, tracks[1].class_name, tracks[1].year, "Chuyển đi 12/01/2024")
            left_on, reason = dt.date(2024, 1, 12), "Chuyển trường theo gia đình: chuyển đến Trường THCS Quyết Thắng"
        if i % 41 == 7:  # arrived in grade 8
            entry_from, entry_date = "Trường PTDTBT THCS Tân Xuân, huyện Vân Hồ", dt.date(2024, 9, 3)
            tracks = [YearTrack(6, "6A", "2022-2023", "Lên lớp", school="Trường PTDTBT THCS Tân Xuân"),
                      YearTrack(7, "7A", "2023-2024", "Lên lớp", school="Trường PTDTBT THCS Tân Xuân"),
                      *tracks[2:]]
        if i == 9:  # repeated grade 7
            tracks = [tracks[0], YearTrack(7, "7A2", "2023-2024", "Ở lại lớp"),
                      YearTrack(7, "7A1", "2024-2025", "Lên lớp"), YearTrack(8, "8A1", "2025-2026", "Đang học")]
        lines.append(RegisterLine(
            number=f"{i + 1}/THCS", full_name=name, student_code=f"2022{i:04d}",
            date_of_birth=dt.date(2011, 1 + i % 12, 1 + i % 28), gender="Nữ" if i % 2 else "Nam",
            ethnicity=rng.choice(("Thái", "Kinh", "Mông", "Khơ Mú")),
            place_of_birth="Xã Chiềng Sơn, huyện Mộc Châu, tỉnh Sơn La",
            address=LONG_ADDRESS if i % 3 == 0 else "Bản Pa Kha, xã Chiềng Sơn, huyện Mộc Châu, tỉnh Sơn La",
            father="Lò Văn Thành (Làm ruộng)", mother="Quàng Thị Ơn (Buôn bán nhỏ tại chợ trung tâm)",
            entry_date=entry_date, entry_class=klass if not entry_from else "8A1", entry_from=entry_from,
            tracks=tuple(tracks), left_on=left_on, left_reason=reason,
            notes="Lưu ban" if i == 9 else "",
        ))
    return RegisterInput(course="2022-2026", school=HOLDER, principal="Nguyễn Văn Bình",
                         lines=tuple(lines), printed_on=dt.date(2026, 6, 10))
