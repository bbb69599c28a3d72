"""Seeded generation of the demo school's people and of what happens to them (no database here).

Everything is drawn from ``random.Random`` generators seeded from the demo seed and a stable key
(``rng(seed, "marks", student, subject, term)``), so a value does not depend on the order in which
other values were drawn: the same seed gives the same school, whatever is built first.

Marks follow a simple model: a student's ability (normal), a subject's difficulty, the student's
affinity for the subject and noise per assessment; regular marks are mostly whole numbers, mid-term
and end-of-term marks have one decimal. Comment subjects are "Đ" nearly always.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from records.demo import vn_data as vn

__all__ = [
    "DIFFICULTY",
    "Person",
    "Pupil",
    "Traits",
    "absences",
    "adult_name",
    "comment_grade",
    "conduct_level",
    "homeroom_comment",
    "make_pupil",
    "rng",
    "school_days",
    "score",
    "subject_comment",
    "subject_mean",
    "username_for",
]


def rng(seed: int, *key: object) -> random.Random:
    """A generator for one purpose, seeded from the demo seed and a stable key (strings hash stably)."""
    return random.Random(":".join(str(k) for k in (seed, *key)))


def _pick(r: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return r.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


# --- people -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A name split as it is written: family, middle, given."""

    family: str
    middle: str
    given: str
    male: bool

    @property
    def full_name(self) -> str:
        """"Lò Thị Hằng"."""
        return " ".join(p for p in (self.family, self.middle, self.given) if p)


def _person(r: random.Random, ethnicity: str, male: bool, family: str | None = None) -> Person:
    family = family or _pick(r, vn.FAMILY_NAMES_BY_ETHNICITY.get(ethnicity, vn.FAMILY_NAMES))
    if ethnicity == "Mông":
        middle = _pick(r, vn.MIDDLE_NAMES_MONG_MALE if male else vn.MIDDLE_NAMES_MONG_FEMALE)
        given = r.choice(vn.GIVEN_NAMES_MONG_MALE if male else vn.GIVEN_NAMES_MONG_FEMALE)
    else:
        middle = _pick(r, vn.MIDDLE_NAMES_MALE if male else vn.MIDDLE_NAMES_FEMALE)
        given = r.choice(vn.GIVEN_NAMES_MALE if male else vn.GIVEN_NAMES_FEMALE)
    return Person(family, middle, given, male)


def adult_name(r: random.Random, male: bool) -> Person:
    """A teacher's or parent's name (Kinh or Thái most often)."""
    ethnicity = _pick(r, (("Kinh", 60), ("Thái", 30), ("Mường", 6), ("Mông", 4)))
    return _person(r, ethnicity, male)


@dataclass(frozen=True)
class Traits:
    """What drives a student's results: ability, conduct, attendance (all standard-normal-ish)."""

    ability: float
    behaviour: float
    absence_rate: float  # expected absences per school year


@dataclass(eq=False)
class Pupil:
    """A demo student: personal data (as ``add_students`` takes it) and traits; simulation state."""

    index: int
    personal: dict[str, object]
    traits: Traits
    ethnicity: str
    level: int  # grade the pupil is in (or goes to next)
    student_id: int | None = None
    enrolment_id: int | None = None
    class_index: int = -1  # class letter index this year (the class it continues in next year)
    left_on: dt.date | None = None  # left the school during the current year
    enrolled_on: dt.date | None = None  # joined the current class
    arrived_mid_year: bool = False
    history: list[int] = field(default_factory=list)  # enrolment ids, oldest first

    @property
    def name(self) -> str:
        """Full name."""
        p = self.personal
        return " ".join(str(x) for x in (p["family_name"], p["middle_name"], p["given_name"]) if x)


def _address(r: random.Random) -> str:
    if r.random() < 0.04:
        return r.choice(vn.LONG_ADDRESSES)
    if r.random() < 0.08:
        commune = r.choice(sorted(vn.NEIGHBOUR_COMMUNES))
        village, district = r.choice(vn.NEIGHBOUR_COMMUNES[commune]), "Vân Hồ"
    else:
        commune = _pick(r, tuple((c, 30 if c == vn.SCHOOL_COMMUNE else 8) for c in sorted(vn.COMMUNES)))
        village, district = r.choice(vn.COMMUNES[commune]), vn.DISTRICT
    return vn.ADDRESS_FORMAT.format(village=village, commune=commune, district=district, province=vn.PROVINCE)


def make_pupil(seed: int, index: int, *, birth_year: int, level: int, code: str,
               course: str | None = None) -> Pupil:
    """A student with plausible personal data, born in ``birth_year`` (a few a year older)."""
    r = rng(seed, "pupil", index)
    ethnicity = _pick(r, vn.ETHNICITIES)
    male = r.random() < 0.51
    child = _person(r, ethnicity, male)
    late = r.random() < (0.10 if ethnicity == "Mông" else 0.03)
    born = dt.date(birth_year - (1 if late else 0), 1, 1) + dt.timedelta(days=r.randrange(365))
    father = _person(r, ethnicity, True, family=child.family)
    mother = _person(r, ethnicity if r.random() < 0.8 else _pick(r, vn.ETHNICITIES), False)
    address = _address(r)
    personal: dict[str, object] = {
        "code": code,
        "moet_id": f"{1400000000 + (index * 7919) % 99999999:010d}",
        "citizen_id": f"014{(1 if birth_year < 2000 else 3) if male else (0 if birth_year < 2000 else 2)}"
                      f"{born.year % 100:02d}{(index * 104729) % 1000000:06d}",
        "course": course,
        "family_name": child.family, "middle_name": child.middle, "given_name": child.given,
        "date_of_birth": born, "gender": "Nam" if male else "Nữ", "ethnicity": ethnicity,
        "place_of_birth": _pick(r, vn.PLACES_OF_BIRTH),
        "hometown": address.split(", ", 1)[1] if r.random() < 0.7 else _pick(r, vn.PLACES_OF_BIRTH),
        "permanent_address": address,
        "current_address": address if r.random() < 0.9 else _address(r),
        "policy_category": ("Con hộ nghèo" if r.random() < 0.12 else
                            ("Dân tộc thiểu số ở xã đặc biệt khó khăn" if ethnicity == "Mông" and r.random() < 0.5
                             else None)),
    }
    if r.random() < 0.95:
        personal["father_name"] = father.full_name
        personal["father_occupation"] = _pick(r, vn.OCCUPATIONS)
    if r.random() < 0.97:
        personal["mother_name"] = mother.full_name
        personal["mother_occupation"] = _pick(r, vn.OCCUPATIONS)
    if "father_name" not in personal or r.random() < 0.03:
        grand = _person(r, ethnicity, r.random() < 0.4)
        personal["guardian_name"] = grand.full_name
        personal["guardian_occupation"] = _pick(r, vn.OCCUPATIONS)
    traits = Traits(
        ability=r.gauss(0.0, 1.0) - (0.25 if ethnicity == "Mông" else 0.0),
        behaviour=r.gauss(0.0, 1.0),
        absence_rate=r.expovariate(1 / 3.5),
    )
    return Pupil(index, personal, traits, ethnicity, level)


def username_for(full_name: str, taken: set[str]) -> str:
    """"Nguyễn Thị Thu Hằng" → "hangntt" (ASCII, unique within ``taken``)."""
    ascii_words = [unicodedata.normalize("NFD", w.replace("Đ", "D").replace("đ", "d")).encode("ascii", "ignore")
                   .decode().lower() for w in full_name.split()]
    base = ascii_words[-1] + "".join(w[0] for w in ascii_words[:-1] if w)
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


# --- marks --------------------------------------------------------------------------------------

#: How hard each subject is (positive: lower marks).
DIFFICULTY: dict[str, float] = {
    "toan": 0.45, "ngu_van": 0.15, "ngoai_ngu": 0.5, "khtn": 0.3, "vat_li": 0.35, "hoa_hoc": 0.4,
    "sinh_hoc": 0.1, "ls_dl": 0.05, "lich_su": 0.0, "dia_li": 0.0, "gdcd": -0.6, "cong_nghe": -0.45,
    "tin_hoc": -0.25,
}


@functools.lru_cache(maxsize=65536)
def _affinity(seed: int, index: int, code: str) -> float:
    return rng(seed, "affinity", index, code).gauss(0.0, 0.45)


@functools.lru_cache(maxsize=16384)
def _drift(seed: int, index: int, start_year: int) -> float:
    return rng(seed, "drift", index, start_year).gauss(0.0, 0.25)


def subject_mean(seed: int, pupil: Pupil, code: str, start_year: int) -> float:
    """The mark a student typically gets in a subject during a year."""
    return (7.0 + 1.15 * pupil.traits.ability - DIFFICULTY.get(code, 0.0) + _affinity(seed, pupil.index, code)
            + _drift(seed, pupil.index, start_year))


def score(r: random.Random, mean: float, *, whole: bool, spread: float = 1.05) -> Decimal:
    """One mark around ``mean``: whole numbers (most regular marks) or one decimal."""
    x = min(10.0, max(0.0, r.gauss(mean, spread)))
    if whole:
        return Decimal(int(x + 0.5)) if r.random() < 0.75 else Decimal(int(x * 2 + 0.5)) / 2
    return (Decimal(int(x * 4 + 0.5)) / 4).quantize(Decimal("0.1"))


def comment_grade(r: random.Random, pupil: Pupil) -> str:
    """"Đ" nearly always; "CĐ" now and then for the weakest and least present."""
    risk = 0.002 + (0.04 if pupil.traits.ability < -1.9 else 0.0) + (0.03 if pupil.traits.absence_rate > 20 else 0.0)
    return "CĐ" if r.random() < risk else "Đ"


# --- conduct, attendance, comments --------------------------------------------------------------

_CONDUCT = {
    "tt22": ("Tốt", "Khá", "Đạt", "Chưa đạt"),
    "tt26": ("Tốt", "Khá", "Trung bình", "Yếu"),
    "tt58": ("Tốt", "Khá", "Trung bình", "Yếu"),
}


def conduct_level(r: random.Random, pupil: Pupil, regime: str) -> str:
    """Conduct / training level for a term: Tốt for most, rarely the lowest."""
    x = pupil.traits.behaviour + r.gauss(0.0, 0.6)
    levels = _CONDUCT[regime]
    if x > -0.7:
        return levels[0]
    if x > -1.7:
        return levels[1]
    if x > -2.9:
        return levels[2]
    return levels[3]


def school_days(start: dt.date, end: dt.date, tet: dt.date) -> list[dt.date]:
    """Teaching days (Monday to Saturday) between two dates, without the Tết holiday."""
    days, day = [], start
    while day <= end:
        if day.weekday() < 6 and not (tet - dt.timedelta(days=6) <= day <= tet + dt.timedelta(days=8)):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


_EXCUSES = ("Ốm", "Sốt", "Việc gia đình", "Đám cưới người thân", "Đi khám bệnh", "Nhà có việc", "Lũ, đường sạt lở")


def absences(r: random.Random, pupil: Pupil, days: Sequence[dt.date], *, heavy: bool = False
             ) -> list[tuple[dt.date, bool, str | None]]:
    """Days a student misses in a year: a few for most; ``heavy`` gives more than 45."""
    count = r.randint(46, 58) if heavy else min(int(r.expovariate(1 / max(pupil.traits.absence_rate, 0.1))), 30)
    chosen = sorted(r.sample(list(days), min(count, len(days))))
    out = []
    for day in chosen:
        excused = r.random() < 0.7
        out.append((day, excused, r.choice(_EXCUSES) if excused else None))
    return out


_STRENGTHS = ("chăm chỉ", "ngoan, lễ phép", "tích cực tham gia hoạt động của lớp", "có ý thức tự giác",
              "hòa đồng với bạn bè", "tiến bộ rõ rệt", "tham gia tốt phong trào văn nghệ, thể thao")
_WEAKNESSES = ("cần mạnh dạn phát biểu hơn", "cần chú ý nghe giảng", "cần đi học đều hơn",
               "cần cẩn thận khi làm bài", "cần rèn chữ viết", "cần chủ động hơn trong học tập")


def homeroom_comment(r: random.Random, learning: str | None, conduct: str | None) -> str:
    """A homeroom teacher's comment for the transcript."""
    strength = r.choice(_STRENGTHS)
    good = learning in ("Tốt", "Giỏi", "Khá") and conduct in ("Tốt", "Khá")
    if good:
        return f"Em {strength}, học tập tốt. Tiếp tục phát huy."
    return f"Em {strength}; {r.choice(_WEAKNESSES)}."


def subject_comment(r: random.Random, value: Decimal | str | None) -> str:
    """A subject teacher's comment on progress, strengths and weaknesses (TT22)."""
    if value == "Đ" or (isinstance(value, Decimal) and value >= Decimal("8.0")):
        return r.choice(("Nắm vững kiến thức, vận dụng tốt.", "Học tập tích cực, có nhiều tiến bộ.",
                         "Hoàn thành tốt các nhiệm vụ học tập."))
    if isinstance(value, Decimal) and value >= Decimal("6.5"):
        return r.choice(("Nắm được kiến thức cơ bản, cần luyện tập thêm.", "Có cố gắng, tiến bộ."))
    if isinstance(value, Decimal) and value >= Decimal("5.0"):
        return r.choice(("Cần chăm chỉ hơn, làm đủ bài tập.", "Kiến thức cơ bản còn chưa chắc."))
    return "Cần cố gắng nhiều, ôn lại kiến thức cơ bản."
