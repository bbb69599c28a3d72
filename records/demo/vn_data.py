"""Plain Vietnamese data for the demo school in Mộc Châu district, Sơn La province.

Everything here is a constant: tuples of strings, or of ``(value, weight)`` pairs where the
weight is a relative frequency (an ``int``, meant for ``random.Random(seed).choices``). The
module holds no randomness; the demo generator draws from these lists with its own seeded
generator, so the demo school is the same on every run.

Caveats:
- Weights are realistic approximations for a lower-secondary school in Mộc Châu / Vân Hồ,
  not census figures.
- Administrative units are those *before* the 2025 reorganisation (district level still in
  place), matching school years up to 2024-2025. Village (bản / tiểu khu) names and the
  neighbouring schools are plausible demo values, not a verified register; ethnicity names
  are display forms and are **not** the CSDL ngành code list (BOOKS.md section 6).
- Every string is NFC-normalised; ``tests/records/test_vn_data.py`` checks it.
"""

from __future__ import annotations

Weighted = tuple[tuple[str, int], ...]

PROVINCE = "Sơn La"
DISTRICT = "Mộc Châu"
SCHOOL_NAME = "Trường THCS Chiềng Sơn"
SCHOOL_COMMUNE = "xã Chiềng Sơn"
SCHOOL_ADDRESS = "Bản Pa Kha, xã Chiềng Sơn, huyện Mộc Châu, tỉnh Sơn La"
GOVERNING_BODY = "Phòng Giáo dục và Đào tạo huyện Mộc Châu"

# --- ethnicities -------------------------------------------------------------------------------

ETHNICITIES: Weighted = (
    ("Thái", 330),
    ("Kinh", 300),
    ("Mông", 220),
    ("Mường", 80),
    ("Dao", 35),
    ("Khơ Mú", 12),
    ("Xinh Mun", 10),
    ("Tày", 5),
    ("Kháng", 3),
    ("La Ha", 2),
    ("Lào", 2),
    ("Hoa", 1),
)
"""Ethnic groups of Sơn La with their approximate share (per mille) in a Mộc Châu school."""

# --- family names (họ) ---------------------------------------------------------------------------

FAMILY_NAMES_BY_ETHNICITY: dict[str, Weighted] = {
    "Kinh": (
        ("Nguyễn", 380),
        ("Trần", 110),
        ("Lê", 95),
        ("Phạm", 70),
        ("Hoàng", 50),
        ("Vũ", 40),
        ("Phan", 30),
        ("Đặng", 21),
        ("Bùi", 20),
        ("Đỗ", 14),
        ("Hồ", 13),
        ("Ngô", 13),
        ("Dương", 10),
        ("Võ", 8),
        ("Đinh", 8),
        ("Đào", 7),
        ("Trịnh", 6),
        ("Lương", 6),
        ("Mai", 5),
        ("Lý", 5),
        ("Hà", 5),
        ("Tạ", 3),
        ("Cao", 3),
        ("Quách", 2),
        ("Ưng", 1),
    ),
    "Thái": (
        ("Lò", 160),
        ("Lường", 120),
        ("Quàng", 100),
        ("Cầm", 80),
        ("Tòng", 80),
        ("Hà", 70),
        ("Vì", 60),
        ("Lù", 40),
        ("Điêu", 35),
        ("Bạc", 30),
        ("Lự", 25),
        ("Sa", 20),
        ("Mè", 15),
        ("Hoàng", 15),
        ("Lê", 10),
    ),
    "Mông": (
        ("Giàng", 180),
        ("Sùng", 150),
        ("Thào", 140),
        ("Vàng", 110),
        ("Mùa", 90),
        ("Lầu", 80),
        ("Hờ", 60),
        ("Lý", 50),
        ("Tráng", 40),
        ("Hạng", 30),
        ("Vừ", 30),
        ("Lù", 20),
    ),
    "Mường": (
        ("Đinh", 250),
        ("Hà", 200),
        ("Bùi", 150),
        ("Xa", 120),
        ("Quách", 80),
        ("Phạm", 60),
        ("Sa", 40),
    ),
    "Dao": (
        ("Bàn", 300),
        ("Triệu", 250),
        ("Đặng", 200),
        ("Phùng", 120),
        ("Lý", 80),
        ("Chảo", 50),
    ),
    "Khơ Mú": (("Lò", 300), ("Vì", 250), ("Quàng", 200), ("Lường", 150), ("Cầm", 100)),
    "Xinh Mun": (("Lò", 300), ("Vì", 300), ("Lường", 200), ("Quàng", 200)),
    "Tày": (("Hoàng", 300), ("Nông", 250), ("Ma", 200), ("Lục", 150), ("Vi", 100)),
    "Kháng": (("Lò", 400), ("Quàng", 300), ("Vì", 300)),
    "La Ha": (("Lò", 400), ("Quàng", 300), ("Lường", 300)),
    "Lào": (("Lò", 400), ("Lường", 300), ("Vì", 300)),
    "Hoa": (("Lý", 400), ("Trương", 300), ("Lâm", 300)),
}
"""Family names per ethnic group with relative frequencies."""

FAMILY_NAMES: Weighted = (
    ("Nguyễn", 114),
    ("Lò", 62),
    ("Lường", 45),
    ("Giàng", 40),
    ("Hà", 40),
    ("Quàng", 35),
    ("Trần", 33),
    ("Sùng", 33),
    ("Lê", 32),
    ("Thào", 31),
    ("Cầm", 27),
    ("Tòng", 26),
    ("Phạm", 26),
    ("Vì", 24),
    ("Vàng", 24),
    ("Đinh", 23),
    ("Hoàng", 22),
    ("Mùa", 20),
    ("Lầu", 18),
    ("Bùi", 18),
    ("Lù", 17),
    ("Lý", 17),
    ("Hờ", 13),
    ("Đặng", 13),
    ("Vũ", 12),
    ("Điêu", 12),
    ("Bạc", 10),
    ("Xa", 10),
    ("Bàn", 10),
    ("Sa", 10),
    ("Phan", 9),
    ("Tráng", 9),
    ("Triệu", 9),
    ("Lự", 8),
    ("Quách", 7),
    ("Hạng", 7),
    ("Vừ", 7),
    ("Mè", 5),
    ("Đỗ", 4),
    ("Hồ", 4),
    ("Ngô", 4),
    ("Phùng", 4),
    ("Dương", 3),
    ("Võ", 2),
    ("Đào", 2),
    ("Trịnh", 2),
    ("Lương", 2),
    ("Mai", 2),
    ("Chảo", 2),
    ("Tạ", 1),
    ("Cao", 1),
    ("Nông", 1),
    ("Ưng", 1),
    ("Ma", 1),
    ("Lục", 1),
    ("Vi", 1),
    ("Trương", 1),
    ("Lâm", 1),
)
"""All family names of the demo area mixed, roughly following ETHNICITIES (relative weights)."""

# --- middle names (tên đệm) ----------------------------------------------------------------------

MIDDLE_NAMES_MALE: Weighted = (
    ("Văn", 500),
    ("Đức", 60),
    ("Minh", 60),
    ("Hữu", 40),
    ("Quang", 35),
    ("Xuân", 30),
    ("Công", 30),
    ("Tiến", 25),
    ("Thành", 25),
    ("Ngọc", 20),
    ("Mạnh", 20),
    ("Trung", 20),
    ("Anh", 20),
    ("Đình", 20),
    ("Quốc", 20),
    ("Gia", 15),
    ("Thế", 15),
    ("Bá", 10),
    ("Duy", 10),
    ("Hoàng", 10),
    ("Văn Minh", 8),
    ("Đức Anh", 7),
)
MIDDLE_NAMES_FEMALE: Weighted = (
    ("Thị", 500),
    ("Ngọc", 50),
    ("Thu", 40),
    ("Minh", 35),
    ("Thanh", 35),
    ("Thùy", 30),
    ("Hồng", 30),
    ("Phương", 30),
    ("Kim", 25),
    ("Bích", 20),
    ("Hải", 15),
    ("Diệu", 15),
    ("Quỳnh", 15),
    ("Khánh", 15),
    ("Bảo", 15),
    ("Mai", 15),
    ("Hoài", 10),
    ("Thị Thu", 10),
    ("Thị Ngọc", 10),
    ("Thị Minh", 10),
    ("Huyền", 5),
    ("Lan", 5),
)
"""Middle names by gender; Kinh, Thái, Mường, Dao and Khơ Mú families mostly use Văn / Thị."""

MIDDLE_NAMES_MONG_MALE: Weighted = (("A", 850), ("Văn", 150))
MIDDLE_NAMES_MONG_FEMALE: Weighted = (("Thị", 900), ("Y", 100))
"""Mông names are usually family + "A" (boys) or "Thị" (girls) + a one-syllable given name."""

# --- given names (tên) ---------------------------------------------------------------------------

GIVEN_NAMES_FEMALE: tuple[str, ...] = (
    "An", "Anh", "Ánh", "Bích", "Chi", "Châu", "Cúc", "Dung", "Duyên", "Diệp",
    "Diệu", "Điệp", "Đào", "Giang", "Hà", "Hạnh", "Hằng", "Hân", "Hiền", "Hoa",
    "Hòa", "Huệ", "Huyền", "Hương", "Hường", "Hồng", "Khánh", "Khuê", "Lan", "Liên",
    "Linh", "Loan", "Ly", "Mai", "My", "Mỹ", "Nga", "Ngân", "Ngọc", "Nguyệt",
    "Nhàn", "Nhi", "Nhung", "Oanh", "Phương", "Phượng", "Quỳnh", "Quyên", "Sen", "Tâm",
    "Thảo", "Thắm", "Thơ", "Thu", "Thùy", "Thủy", "Thư", "Thương", "Trang", "Trâm",
    "Tuyết", "Uyên", "Vân", "Vy", "Xuân", "Yến", "Ước", "Ngà", "Lụa", "Ỷ",
)  # fmt: skip
GIVEN_NAMES_MALE: tuple[str, ...] = (
    "An", "Anh", "Bảo", "Bình", "Cường", "Chiến", "Công", "Dũng", "Duy", "Đại",
    "Đạt", "Định", "Đông", "Đức", "Giang", "Hải", "Hào", "Hậu", "Hiếu", "Hiệp",
    "Hoàng", "Hùng", "Huy", "Hưng", "Khải", "Khang", "Khánh", "Khoa", "Kiên", "Kiệt",
    "Lâm", "Long", "Lộc", "Lợi", "Luân", "Lực", "Mạnh", "Minh", "Nam", "Nghĩa",
    "Nguyên", "Nhật", "Phong", "Phúc", "Quang", "Quân", "Quý", "Quyết", "Sang", "Sơn",
    "Tài", "Thái", "Thắng", "Thành", "Thiện", "Thịnh", "Toàn", "Trí", "Trọng", "Trung",
    "Tuấn", "Tùng", "Tú", "Vinh", "Việt", "Vũ", "Ưng", "Sỹ", "Tiến", "Vượng",
)  # fmt: skip
"""Given names by gender, Kinh and Thái usage, covering every letter mark and tone."""

GIVEN_NAMES_MONG_FEMALE: tuple[str, ...] = (
    "Mỷ", "Dua", "Pàng", "Chư", "Dợ", "Máy", "Lìa", "Xúa", "Dở", "Ca",
    "Sua", "Mai", "Say", "Phổng", "Nhía", "Dông", "Cở", "Sáy", "Vừ", "Chá",
)  # fmt: skip
GIVEN_NAMES_MONG_MALE: tuple[str, ...] = (
    "Páo", "Chư", "Dế", "Sềnh", "Tủa", "Lử", "Pó", "Chá", "Vàng", "Sính",
    "Dờ", "Xá", "Nhè", "Chứ", "Súa", "Lềnh", "Khua", "Tồng", "Chống", "Chinh",
)  # fmt: skip
"""Given names typical of Mông children in Mộc Châu and Vân Hồ."""

# --- places --------------------------------------------------------------------------------------

COMMUNES: dict[str, tuple[str, ...]] = {
    "thị trấn Mộc Châu": ("Tiểu khu 1", "Tiểu khu 2", "Tiểu khu 4", "Tiểu khu 10", "Tiểu khu 14"),
    "thị trấn Nông trường Mộc Châu": (
        "Tiểu khu 19/5",
        "Tiểu khu 32",
        "Tiểu khu 34",
        "Tiểu khu 40",
        "Tiểu khu 70",
        "Tiểu khu Cơ khí",
        "Tiểu khu Vườn Đào",
        "Tiểu khu Bó Bun",
    ),
    "xã Chiềng Sơn": ("Bản Pa Kha", "Bản Nà Ngà", "Bản Lóng Phiêng", "Bản Sam Kha", "Bản Mòn"),
    "xã Đông Sang": ("Bản Áng", "Bản Pa Khen", "Bản Tự Nhiên", "Bản Co Sung", "Bản Pa Phách"),
    "xã Mường Sang": ("Bản Vặt", "Bản Nà Ka", "Bản Nà Bó", "Bản Lạnh Bừa", "Bản Tà Số"),
    "xã Chiềng Hắc": ("Bản Tà Phềnh", "Bản Nà Mường", "Bản Tà Làng", "Bản Suối Ngọt"),
    "xã Phiêng Luông": ("Bản Phiêng Luông", "Bản Suối Thín", "Bản Cáp Ngạn", "Bản Nà Dòn"),
    "xã Tân Lập": ("Bản Tà Phình", "Bản Nà Hiềng", "Bản Pa Phang", "Bản Lóng Sáng"),
    "xã Lóng Sập": ("Bản Pha Luông", "Bản Sam Quắn", "Bản Sồng Mà", "Bản Bó Hiềng"),
}
"""Communes of huyện Mộc Châu (pre-2025) with villages (bản) or street blocks (tiểu khu)."""

NEIGHBOUR_COMMUNES: dict[str, tuple[str, ...]] = {
    "xã Vân Hồ": ("Bản Hua Tạt", "Bản Bó Nhàng", "Bản Chiềng Đi 1", "Bản Suối Lìn"),
    "xã Chiềng Khoa": ("Bản Chiềng Khoa", "Bản Khoa", "Bản Mường Khoa", "Bản Hang Trùng"),
    "xã Lóng Luông": ("Bản Pà Khom", "Bản Lũng Xá", "Bản Co Chàm"),
    "xã Tô Múa": ("Bản Nà Tén", "Bản Suối Khem", "Bản Tà Dê"),
}
"""Communes of neighbouring huyện Vân Hồ, for transfers and parents living across the border."""

ADDRESS_FORMAT = "{village}, {commune}, huyện {district}, tỉnh {province}"
"""How a full address is written: "Bản Áng, xã Đông Sang, huyện Mộc Châu, tỉnh Sơn La"."""

LONG_ADDRESSES: tuple[str, ...] = (
    "Tiểu khu Vườn Đào, thị trấn Nông trường Mộc Châu, huyện Mộc Châu, tỉnh Sơn La",
    "Tổ dân phố 3, tiểu khu Cơ khí, thị trấn Nông trường Mộc Châu, huyện Mộc Châu, tỉnh Sơn La",
    "Số nhà 125, đường Hoàng Quốc Việt, tiểu khu 4, thị trấn Mộc Châu, huyện Mộc Châu, tỉnh Sơn La",
    "Bản Lóng Phiêng, xã Chiềng Sơn, huyện Mộc Châu, tỉnh Sơn La (nhà bà ngoại, gần trạm y tế xã)",
    "Số nhà 18, ngõ 7, đường Lò Văn Giá, tổ 2, phường Chiềng Lề, thành phố Sơn La, tỉnh Sơn La",
)
"""Addresses of 80-100 characters, to exercise line wrapping on printed forms."""

PLACES_OF_BIRTH: Weighted = (
    ("Mộc Châu, Sơn La", 400),
    ("Vân Hồ, Sơn La", 150),
    ("Thành phố Sơn La, Sơn La", 80),
    ("Yên Châu, Sơn La", 50),
    ("Mai Sơn, Sơn La", 40),
    ("Phù Yên, Sơn La", 25),
    ("Bắc Yên, Sơn La", 20),
    ("Thuận Châu, Sơn La", 15),
    ("Sông Mã, Sơn La", 10),
    ("Mai Châu, Hòa Bình", 40),
    ("Quan Hóa, Thanh Hóa", 20),
    ("Thanh Hóa", 20),
    ("Hà Nội", 40),
    ("Nam Định", 25),
    ("Thái Bình", 20),
    ("Hưng Yên", 15),
    ("Phú Thọ", 15),
    ("Điện Biên Phủ, Điện Biên", 10),
    ("Bệnh viện Đa khoa Mộc Châu, huyện Mộc Châu, tỉnh Sơn La", 5),
)
"""Places of birth as they are written on transcripts ("district, province" or longer)."""

# --- families ------------------------------------------------------------------------------------

OCCUPATIONS: Weighted = (
    ("Làm ruộng", 260),
    ("Làm nương", 90),
    ("Trồng chè", 60),
    ("Chăn nuôi bò sữa", 40),
    ("Trồng rau, hoa màu", 40),
    ("Công nhân", 70),
    ("Công nhân nông trường", 30),
    ("Buôn bán", 60),
    ("Kinh doanh tự do", 30),
    ("Lao động tự do", 60),
    ("Giáo viên", 35),
    ("Công chức", 30),
    ("Viên chức", 20),
    ("Cán bộ xã", 15),
    ("Lái xe", 20),
    ("Thợ xây", 20),
    ("Thợ may", 10),
    ("Thợ mộc", 10),
    ("Y sĩ", 8),
    ("Bộ đội", 8),
    ("Công an", 8),
    ("Nội trợ", 40),
    ("Hưu trí", 8),
    ("Làm thuê", 20),
)
"""Parents' occupations as written in the "nghề nghiệp" column."""

# --- schools and staff ---------------------------------------------------------------------------

NEIGHBOUR_SCHOOLS: tuple[str, ...] = (
    "Trường THCS Chiềng Khoa",
    "Trường THCS Tô Hiệu",
    "Trường THCS Thảo Nguyên",
    "Trường THCS 19/5",
    "Trường THCS Đông Sang",
    "Trường THCS Mường Sang",
    "Trường THCS Tân Lập",
    "Trường THCS Phiêng Luông",
    "Trường PTDTBT THCS Lóng Luông",
    "Trường PTDTBT THCS Tô Múa",
    "Trường THCS Vân Hồ",
    "Trường THCS Chiềng Hắc",
)
"""Other lower-secondary schools for transfers in and out (demo values)."""

TEACHER_NAMES_FEMALE: tuple[str, ...] = (
    "Nguyễn Thị Thu Hằng",
    "Trần Thị Hương",
    "Lê Thị Ngọc Ánh",
    "Phạm Thị Thanh Thủy",
    "Hoàng Thị Quỳnh",
    "Lò Thị Xuân",
    "Cầm Thị Hồng Nhung",
    "Đinh Thị Mỹ Linh",
    "Vũ Thị Phương Thảo",
    "Bùi Thị Lụa",
    "Đặng Thị Yến",
    "Quàng Thị Thơ",
    "Ngô Thị Kim Oanh",
    "Hà Thị Nguyệt",
)
TEACHER_NAMES_MALE: tuple[str, ...] = (
    "Nguyễn Văn Dũng",
    "Trần Đức Tuấn",
    "Lường Văn Hưng",
    "Lê Quang Khánh",
    "Phạm Hữu Nghĩa",
    "Tòng Văn Thắng",
    "Đỗ Minh Đức",
    "Giàng A Sềnh",
    "Vì Văn Lực",
    "Dương Công Thành",
)
"""Teachers of the demo school."""
