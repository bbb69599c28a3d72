"""Build the demo school: four years of a lower-secondary school in Mộc Châu, Sơn La, through the services.

Every write goes through ``records.services`` acting as the person who would make it (the
administrator sets up the year and the rolls, each teacher saves the marks of their own classes,
homeroom teachers record attendance, conduct and comments and compute results, the principal
approves and decides locks, …), on the simulated date (``records.services.context.on_date``), so
rights, cut-offs and locks are checked and the trace is written as in real use. The bulk paths
(a whole mark sheet, a class's absences) keep it fast.

What is built, from ``DemoConfig.seed``:
- the school, an ``external`` neighbour school holding the earlier years of students who transfer in,
  staff (principal, vice principal, administrator, office, ~33 teachers in two departments) and a
  district inspector;
- four school years ending with the one that contains ``today`` (default 15 June 2026), each with
  grades 6–9 under the regime of ``records.rules.regime_for`` (so 2022-23 and 2023-24 have TT26 grades),
  classes, homeroom teachers, teaching assignments per term (KHTN and Nghệ thuật shared by two teachers
  in some classes);
- students with personal data, marks, absences, conduct, comments; results, approvals, summer
  re-assessment and training, promotion, repeaters, transfers in and out, dropping out, graduation;
- locks of each finished year's books, monthly inspections, and corrections (request → approve →
  apply before witnesses) after the current year's cut-off.

Nothing is dated after ``today``: what would happen later (a departure, an arrival, a term's results,
a lock, the June corrections, the summer) is not built, and the term under way holds the marks whose
columns are due by ``today`` and the absences up to it (entered that day). Every stamp — the audit
trail, entered / computed / decided times — is the simulated day's (``records.models.base.stamping_with``),
not the wall clock's. ``tests/test_demo_as_of.py`` builds the demo as of 10 March 2026 and checks it.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import math
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from records.db import is_initialised, upgrade
from records.demo import generator as gen
from records.demo import vn_data as vn
from records.errors import ConflictError
from records.models import (
    AuditEntry,
    Base,
    Book,
    Class,
    Conduct,
    Enrolment,
    Grade,
    Mark,
    MarkKind,
    Period,
    Role,
    School,
    SchoolYear,
    Student,
    StudentResult,
    Subject,
    TeachingAssignment,
    Term,
    User,
)
from records.models.base import stamping_with
from records.permissions import Actor
from records.rules import Promotion, ruleset
from records.services import (
    accounts,
    attendance,
    conduct,
    corrections,
    inspections,
    locks,
    marks,
    results,
    setup,
    students,
)
from records.services.context import on_date, simulated_now

log = logging.getLogger(__name__)

__all__ = [
    "DEMO_SCHOOL_CODE",
    "DemoConfig",
    "DemoExistsError",
    "DemoSummary",
    "build_demo",
    "demo_present",
    "planned_steps",
    "prepare_database",
    "refuse_if_present",
    "rollback_journal",
]

DEMO_SCHOOL_CODE = "MC-CHIENGSON"
EXTERNAL_SCHOOL_CODE = "VH-CHIENGKHOA"
EXTERNAL_SCHOOL_NAME = "Trường THCS Chiềng Khoa"
DEPT_SCIENCE = "Tổ Khoa học tự nhiên"
DEPT_HUMANITIES = "Tổ Khoa học xã hội"

#: Tết (lunar new year) of each school year, for the holiday without school days.
TET = {2019: dt.date(2020, 1, 25), 2020: dt.date(2021, 2, 12), 2021: dt.date(2022, 2, 1),
       2022: dt.date(2023, 1, 22), 2023: dt.date(2024, 2, 10), 2024: dt.date(2025, 1, 29),
       2025: dt.date(2026, 2, 17), 2026: dt.date(2027, 2, 6), 2027: dt.date(2028, 1, 26)}

#: Teacher pools: (pool, department, number of teachers when the school has 4 classes per grade).
TEACHER_POOLS: tuple[tuple[str, str, int], ...] = (
    ("toan", DEPT_SCIENCE, 5), ("khtn_ly", DEPT_SCIENCE, 2), ("khtn_hoa", DEPT_SCIENCE, 2),
    ("khtn_sinh", DEPT_SCIENCE, 2), ("tin_hoc", DEPT_SCIENCE, 2), ("cong_nghe", DEPT_SCIENCE, 1),
    ("gdtc", DEPT_SCIENCE, 3), ("ngu_van", DEPT_HUMANITIES, 5), ("ngoai_ngu", DEPT_HUMANITIES, 4),
    ("ls_dl", DEPT_HUMANITIES, 3), ("gdcd", DEPT_HUMANITIES, 2), ("am_nhac", DEPT_HUMANITIES, 1),
    ("my_thuat", DEPT_HUMANITIES, 1),
)

#: Which pool teaches a subject (first pool) and, when shared, the second teacher's pool.
SUBJECT_POOLS: dict[str, tuple[str, ...]] = {
    "toan": ("toan",), "ngu_van": ("ngu_van",), "ngoai_ngu": ("ngoai_ngu",), "gdcd": ("gdcd",),
    "ls_dl": ("ls_dl",), "lich_su": ("ls_dl",), "dia_li": ("ls_dl",), "gddp": ("ls_dl",),
    "khtn": ("khtn_ly", "khtn_hoa", "khtn_sinh"), "vat_li": ("khtn_ly",), "hoa_hoc": ("khtn_hoa",),
    "sinh_hoc": ("khtn_sinh",), "cong_nghe": ("cong_nghe", "khtn_sinh"), "tin_hoc": ("tin_hoc",),
    "gdtc": ("gdtc",), "the_duc": ("gdtc",), "nghe_thuat": ("am_nhac", "my_thuat"), "am_nhac": ("am_nhac",),
    "my_thuat": ("my_thuat",),
}


class DemoExistsError(ConflictError):
    """The database already holds data; the demo refuses to add a second school over it."""


@dataclass(frozen=True)
class DemoConfig:
    """What to build: how many students, from which seed, as of which day."""

    students: int = 600
    seed: int = 2026
    classes_per_grade: int | None = None  # default: about 37 students a class, 1 to 4 classes
    today: dt.date = dt.date(2026, 6, 15)
    years: int = 4

    @property
    def per_grade(self) -> int:
        """Classes per grade."""
        if self.classes_per_grade:
            return self.classes_per_grade
        return max(1, min(4, round(self.students / 4 / 37)))

    @property
    def current_year(self) -> int:
        """Start year of the school year that contains ``today`` (a year starts in August)."""
        return self.today.year if self.today.month >= 8 else self.today.year - 1

    @property
    def first_year(self) -> int:
        """Start year of the oldest school year built."""
        return self.current_year - self.years + 1

    @property
    def scale(self) -> float:
        """Size relative to the 600-student school."""
        return self.students / 600


#: The one documented password of every demo account (README: after the demo).
DEMO_PASSWORD = "sodientu-demo"


@dataclass(frozen=True)
class DemoSummary:
    """What was built, with the time each phase took (seconds)."""

    school_id: int
    school_code: str
    school_name: str
    school_years: tuple[str, ...]
    students: int
    enrolments: int
    marks: int
    audit_entries: int
    corrections: int
    timings: dict[str, float] = field(compare=False)


def demo_present(session: Session) -> bool:
    """True when the database holds any school (the demo's or real data)."""
    return session.scalar(select(func.count()).select_from(School)) != 0


def refuse_if_present(session: Session) -> None:
    """Raise ``DemoExistsError`` when the database already holds a school (never build over data)."""
    if demo_present(session):
        raise DemoExistsError(
            "Cơ sở dữ liệu này đã có dữ liệu (trường mẫu hoặc dữ liệu thật) nên không tạo thêm trường mẫu. "
            "Dùng «sodientu demo --reset» để xóa toàn bộ và tạo lại, hoặc chọn cơ sở dữ liệu khác bằng --db.",
            "database already holds a school; refusing to build the demo (use --reset)")


def planned_steps(config: DemoConfig) -> int:
    """Number of progress steps ``build_demo`` reports (for a progress bar)."""
    return 2 + config.years * _steps_per_year(config)


def _steps_per_year(config: DemoConfig) -> int:
    # rolls; marks and results of each class in each term; closing the year
    return 1 + 4 * config.per_grade * 2 * 2 + 1


# --- the simulation -----------------------------------------------------------------------------


@dataclass
class _Staff:
    principal: User
    vice: User
    admin: User
    office: User
    inspector: User
    ext_admin: User
    teachers: list[User]
    pools: dict[str, list[User]]


@dataclass
class _ClassRun:
    klass: Class
    index: int  # 0-based class letter index within the grade
    level: int
    regime: str
    pupils: list[gen.Pupil]


@dataclass
class _Year:
    start: int
    year: SchoolYear
    terms: dict[int, Term]
    grades: dict[int, Grade]
    classes: list[_ClassRun]
    days: list[dt.date]

    @property
    def name(self) -> str:
        return f"{self.start}-{self.start + 1}"


class _Builder:
    def __init__(self, session: Session, config: DemoConfig, progress: Callable[[str, int], None] | None) -> None:
        self.s = session
        self.cfg = config
        self.seed = config.seed
        self._progress = progress
        self.timings: dict[str, float] = defaultdict(float)
        self._actors: dict[int, Actor] = {}
        self.subjects: dict[str, Subject] = {}
        self.ext_subjects: dict[str, Subject] = {}
        self.pupil_count = 0
        self.codes_per_year: dict[int, int] = defaultdict(int)
        self.register_no: dict[str, int] = defaultdict(int)
        self.next_level: dict[int, int] = {}  # pupil index -> level next year
        self.active: list[gen.Pupil] = []  # pupils on our rolls (for next year's placement)
        self.ext_years: dict[int, SchoolYear] = {}
        self.corrections = 0
        self.system = Actor.system("dựng trường mẫu (sodientu demo)")
        # The session's identity map holds objects weakly: keep the rows the services look up again
        # and again (classes, terms, enrolments, assignments, users …) alive, so that ``session.get``
        # finds them without a query.
        self._keep: list[object] = []
        self.steps_done = 0

    # --- helpers ----------------------------------------------------------------------------

    def step(self, what: str, n: int = 1) -> None:
        self.steps_done += n
        if self._progress is not None:
            self._progress(what, n)

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.timings[phase] += time.perf_counter() - start
            self.timings[f"{phase} (cpu)"] += time.process_time() - cpu

    def actor(self, user: User) -> Actor:
        found = self._actors.get(user.id)
        if found is None:
            found = self._actors[user.id] = Actor.load(self.s, user.id)
        return found

    def keep(self, objects: object) -> None:
        if isinstance(objects, list | tuple):
            self._keep.extend(objects)
        else:
            self._keep.append(objects)

    def forget_actors(self) -> None:
        self._actors.clear()

    def new_code(self, entry_year: int) -> str:
        self.codes_per_year[entry_year] += 1
        return f"CS{entry_year % 100:02d}{self.codes_per_year[entry_year]:04d}"

    def new_pupil(self, *, level: int, start_year: int, course_start: int) -> gen.Pupil:
        self.pupil_count += 1
        course = f"{course_start}-{course_start + 4}"
        pupil = gen.make_pupil(self.seed, self.pupil_count, birth_year=start_year - level - 5, level=level,
                               code=self.new_code(start_year), course=course)
        self.register_no[course] += 1
        pupil.personal["register_number"] = f"{self.register_no[course]}/THCS"
        return pupil

    # --- staff and schools --------------------------------------------------------------------

    def build_school(self) -> None:
        sys_actor = self.system
        self.school = setup.create_school(
            self.s, sys_actor, code=DEMO_SCHOOL_CODE, name=vn.SCHOOL_NAME, district=vn.DISTRICT,
            province=vn.PROVINCE, commune=vn.SCHOOL_COMMUNE, address=vn.SCHOOL_ADDRESS)
        self.external = setup.create_school(
            self.s, sys_actor, code=EXTERNAL_SCHOOL_CODE, name=EXTERNAL_SCHOOL_NAME, district="Vân Hồ",
            province=vn.PROVINCE, commune="xã Chiềng Khoa",
            address="Bản Chiềng Khoa, xã Chiềng Khoa, huyện Vân Hồ, tỉnh Sơn La", external=True)
        r = gen.rng(self.seed, "staff")
        taken: set[str] = set()
        female = list(vn.TEACHER_NAMES_FEMALE)
        male = list(vn.TEACHER_NAMES_MALE)
        r.shuffle(female)
        r.shuffle(male)

        def next_name() -> str:
            pool = female if (r.random() < 0.62 and female) or not male else male
            if pool:
                return pool.pop()
            person = gen.adult_name(r, r.random() < 0.4)
            return person.full_name

        # argon2id once, reused for every account; a fixed salt keeps the demo identical from build to build
        # (the password is public anyway).
        password_hash = accounts.shared_hash(DEMO_PASSWORD, salt=b"sodientu-demo-salt")

        def user(full: str, school: School | None, roles: Sequence[Role], dept: str | None = None,
                 district: str | None = None) -> User:
            made = setup.create_user(self.s, sys_actor, username=gen.username_for(full, taken), full_name=full,
                                     school=school, department=dept, roles=roles, district=district)
            accounts.set_password(self.s, sys_actor, made, DEMO_PASSWORD, password_hash=password_hash)
            return made

        principal = user(next_name(), self.school, [Role.PRINCIPAL])
        vice = user(next_name(), self.school, [Role.VICE_PRINCIPAL])
        admin = user(next_name(), self.school, [Role.ADMINISTRATOR], "Tổ Văn phòng")
        # the office clerk also sits on the management board: the board witness of a correction must be
        # someone other than the administrator applying it
        office = user(next_name(), self.school, [Role.OFFICE, Role.ADMINISTRATOR], "Tổ Văn phòng")
        inspector = user(gen.adult_name(r, True).full_name, None, [Role.INSPECTOR], district=vn.DISTRICT)
        ext_admin = user(gen.adult_name(r, False).full_name, self.external, [Role.ADMINISTRATOR])
        self.school.principal_name = principal.full_name
        pools: dict[str, list[User]] = {}
        teachers: list[User] = []
        for pool, dept, count in TEACHER_POOLS:
            n = max(1, math.ceil(count * self.cfg.per_grade / 4))
            pools[pool] = []
            for _ in range(n):
                t = user(next_name(), self.school, [Role.SUBJECT_TEACHER], dept)
                pools[pool].append(t)
                teachers.append(t)
        heads = {DEPT_SCIENCE: pools["toan"][0], DEPT_HUMANITIES: pools["ngu_van"][0]}
        for head in heads.values():
            setup.grant_role(self.s, sys_actor, head, Role.HEAD_OF_DEPARTMENT, school=self.school)
        self.staff = _Staff(principal, vice, admin, office, inspector, ext_admin, teachers, pools)
        self.subjects = setup.ensure_subjects(self.s, self.actor(admin), self.school)
        self.ext_subjects = setup.ensure_subjects(self.s, self.actor(ext_admin), self.external)
        self.keep([self.school, self.external, principal, vice, admin, office, inspector, ext_admin, *teachers,
                   *self.subjects.values(), *self.ext_subjects.values()])
        self.s.flush()

    # --- a school year ------------------------------------------------------------------------

    def open_year(self, start: int) -> _Year:
        admin = self.actor(self.staff.admin)
        with on_date(dt.date(start, 8, 15)):
            year = setup.create_school_year(self.s, admin, self.school, start)
        terms = {t.number: t for t in self.s.scalars(select(Term).where(Term.school_year_id == year.id))}
        grades = {g.level: g for g in self.s.scalars(select(Grade).where(Grade.school_year_id == year.id))}
        self.keep([year, *terms.values(), *grades.values()])
        homeroom_order = sorted(self.staff.teachers, key=lambda u: gen.rng(self.seed, "homeroom", u.id).random())
        classes: list[_ClassRun] = []
        for level in (6, 7, 8, 9):
            for i in range(self.cfg.per_grade):
                name = f"{level}A{i + 1}" if self.cfg.per_grade > 1 else f"{level}A"
                cohort = (start - (level - 6) - self.cfg.first_year + 3) * self.cfg.per_grade + i
                teacher = homeroom_order[cohort % len(homeroom_order)]
                klass = setup.create_class(self.s, admin, grades[level], name, homeroom_teacher=teacher)
                classes.append(_ClassRun(klass, i, level, grades[level].regime, []))
                self.keep(klass)
        self.forget_actors()  # homeroom roles were granted
        days = gen.school_days(year.starts_on, year.ends_on, TET[start])
        self.assign_teachers(start, classes, terms)
        return _Year(start, year, terms, grades, classes, days)

    def teachers_for(self, start: int, run: _ClassRun, code: str, term: int) -> list[User]:
        if code == "hdtn":
            teacher = self.s.get(User, run.klass.homeroom_teacher_id)
            assert teacher is not None
            return [teacher]
        pools = SUBJECT_POOLS[code]
        r = gen.rng(self.seed, "assign", start, run.klass.name, code)
        first_pool = self.staff.pools[pools[0] if code != "khtn" else pools[r.randrange(2)]]
        k = (run.index + run.level * 3 + (start if code in ("toan", "ngu_van") else 0)) % len(first_pool)
        first = first_pool[k]
        if term == 2 and len(first_pool) > 1 and gen.rng(self.seed, "swap", start, run.klass.name, code).random() < 0.03:
            first = first_pool[(k + 1) % len(first_pool)]  # a change of teacher in HK II (leave, rota)
        shared = (code == "nghe_thuat") or (code == "khtn" and r.random() < 0.5)
        if shared:
            second = self.staff.pools[pools[-1]][k % len(self.staff.pools[pools[-1]])]
            if second.id != first.id:
                return [first, second]
        return [first]

    def assign_teachers(self, start: int, classes: list[_ClassRun], terms: dict[int, Term]) -> None:
        specs = []
        for run in classes:
            codes = [c for c, _ in setup.curriculum_for(run.regime, run.level)]
            for term_no, term in terms.items():
                for code in codes:
                    for n, teacher in enumerate(self.teachers_for(start, run, code, term_no)):
                        specs.append(setup.AssignmentSpec(
                            teacher.id, run.klass.id, self.subjects[code].id, term.id,
                            note="Dạy chung, phụ trách một phần nội dung" if n else None))
        with on_date(dt.date(start, 8, 20)):
            self.keep(setup.assign_teachers(self.s, self.actor(self.staff.vice), specs))

    # --- rolls ----------------------------------------------------------------------------------

    def place(self, y: _Year) -> None:
        """Put this year's pupils on the rolls: intake, promoted, repeaters; numbered in name order."""
        admin = self.actor(self.staff.admin)
        r = gen.rng(self.seed, "place", y.start)
        by_level: dict[int, list[tuple[int, gen.Pupil]]] = defaultdict(list)  # (preferred class index, pupil)
        new: list[gen.Pupil] = []
        if y.start == self.cfg.first_year:
            for level in (6, 7, 8, 9):
                for _ in range(self._cohort_size(r)):
                    pupil = self.new_pupil(level=level, start_year=y.start, course_start=y.start - (level - 6))
                    new.append(pupil)
                    by_level[level].append((-1, pupil))
        else:
            for pupil in self.active:
                goes_to = self.next_level.get(pupil.index)
                if goes_to is None:
                    continue
                repeating = goes_to == pupil.level
                pupil.level = goes_to
                by_level[goes_to].append((-1 if repeating else pupil.class_index, pupil))
            for _ in range(self._cohort_size(r)):
                pupil = self.new_pupil(level=6, start_year=y.start, course_start=y.start)
                new.append(pupil)
                by_level[6].append((-1, pupil))
        if new:
            with on_date(dt.date(y.start, 8, 25)):
                created = students.add_students(self.s, admin, self.school, [p.personal for p in new])
            self.keep(created)
            for pupil, student in zip(new, created, strict=True):
                pupil.student_id = student.id
        runs = {(run.level, run.index): run for run in y.classes}
        for level, entries in by_level.items():
            placed: dict[int, list[gen.Pupil]] = defaultdict(list)
            floating: list[gen.Pupil] = []
            for pref, pupil in entries:
                (placed[pref] if pref >= 0 and (level, pref) in runs else floating).append(pupil)
            r.shuffle(floating)
            for pupil in floating:
                target = min(range(self.cfg.per_grade), key=lambda i: (len(placed[i]), i))
                placed[target].append(pupil)
            for i in range(self.cfg.per_grade):
                runs[(level, i)].pupils = placed[i]
        student_rows: dict[int | None, Student] = {s.id: s for s in self.s.scalars(select(Student).where(
            Student.id.in_([p.student_id for run in y.classes for p in run.pupils])))}
        with on_date(y.year.starts_on):
            for run in y.classes:
                enrolled = students.enrol_class(self.s, admin, run.klass, [student_rows[p.student_id]
                                                                          for p in run.pupils])
                self.keep(enrolled)
                by_student: dict[int | None, Enrolment] = {e.student_id: e for e in enrolled}
                for pupil in run.pupils:
                    pupil.enrolment_id = by_student[pupil.student_id].id
                    pupil.enrolled_on = y.year.starts_on
                    pupil.left_on = None
                    pupil.history.append(pupil.enrolment_id)
                    pupil.class_index = run.index
        self.active = [p for run in y.classes for p in run.pupils]

    def _cohort_size(self, r: gen.random.Random) -> int:
        base = self.cfg.students / 4
        return max(4, int(base + r.gauss(0, max(1.0, base * 0.03)) + 0.5))

    # --- transfers ----------------------------------------------------------------------------

    def transfers_in(self, y: _Year) -> None:
        """Students arriving from other schools in September (some with earlier years at the external school)."""
        r = gen.rng(self.seed, "transfer_in", y.start)
        count = max(1, round(7 * self.cfg.scale))
        admin = self.actor(self.staff.admin)
        arrivals: list[tuple[gen.Pupil, int, dt.date, str]] = []
        with_history: list[tuple[gen.Pupil, int]] = []
        for n in range(count):
            level = 9 if n == 0 else r.choice((6, 7, 7, 8, 8, 9))
            has_history = level > 6 and y.start > self.cfg.first_year and (n == 0 or r.random() < 0.6)
            pupil = self.new_pupil(level=level, start_year=y.start, course_start=y.start - (level - 6))
            pupil.traits = gen.Traits(max(pupil.traits.ability, -0.8), max(pupil.traits.behaviour, -0.5),
                                      pupil.traits.absence_rate)
            day = y.year.starts_on + dt.timedelta(days=r.randint(3, 18))
            if day > self.cfg.today:  # not arrived yet
                continue
            if has_history:
                pupil.personal["code"] = f"CK{str(pupil.personal['code'])[2:]}"
                with_history.append((pupil, level))
                source = EXTERNAL_SCHOOL_NAME
            else:
                source = r.choice([s for s in vn.NEIGHBOUR_SCHOOLS if s not in (vn.SCHOOL_NAME, EXTERNAL_SCHOOL_NAME)])
                with on_date(day):
                    pupil.student_id = students.add_students(self.s, admin, self.school, [pupil.personal])[0].id
            arrivals.append((pupil, level, day, source))
        if with_history:
            self.external_history(with_history, y.start)
        for pupil, level, day, source in sorted(arrivals, key=lambda a: (a[2], a[0].index)):
            run = min((c for c in y.classes if c.level == level), key=lambda c: (len(c.pupils), c.index))
            student = self.s.get(Student, pupil.student_id)
            assert student is not None
            with on_date(day):
                enrolment = students.transfer_in(self.s, admin, run.klass, student, on=day, from_school=source)
            self.keep([enrolment, student])
            pupil.enrolment_id = enrolment.id
            pupil.enrolled_on = day
            pupil.history.append(enrolment.id)
            pupil.class_index = run.index
            pupil.level = level
            run.pupils.append(pupil)
            self.active.append(pupil)

    def external_history(self, arrivals: Sequence[tuple[gen.Pupil, int]], start: int) -> None:
        """The transfer students' earlier years at the external school, as its administrator recorded them."""
        ext = self.actor(self.staff.ext_admin)
        first = min(start - (level - 6) for _, level in arrivals)
        with on_date(dt.date(max(first, self.cfg.first_year), 8, 20)):
            created = students.add_students(self.s, ext, self.external, [p.personal for p, _ in arrivals])
        self.keep(created)
        for (pupil, _), student in zip(arrivals, created, strict=True):
            pupil.student_id = student.id
        for yr in range(max(first, self.cfg.first_year), start):
            if yr not in self.ext_years:
                with on_date(dt.date(yr, 8, 15)):
                    self.ext_years[yr] = setup.create_school_year(self.s, ext, self.external, yr)
            sy = self.ext_years[yr]
            groups: dict[int, list[gen.Pupil]] = defaultdict(list)
            for pupil, level in arrivals:
                if start - (level - 6) <= yr:
                    groups[level - (start - yr)].append(pupil)
            for lvl, pupils in sorted(groups.items()):
                grade = self.s.scalars(select(Grade).where(Grade.school_year_id == sy.id, Grade.level == lvl)).one()
                taken = set(self.s.scalars(select(Class.name).where(Class.grade_id == grade.id)))
                name = next(f"{lvl}A{k}" for k in range(1, 100) if f"{lvl}A{k}" not in taken)
                with on_date(sy.starts_on - dt.timedelta(days=10)):
                    klass = setup.create_class(self.s, ext, grade, name)
                self.keep([klass, grade, sy])
                with on_date(sy.starts_on):
                    roll = [self.s.get(Student, p.student_id) for p in pupils]
                    enrolled = students.enrol_class(self.s, ext, klass, [st for st in roll if st is not None])
                self.keep(enrolled)
                by_student = {e.student_id: e.id for e in enrolled}
                for pupil in pupils:
                    pupil.history.append(by_student[pupil.student_id])  # type: ignore[index]
                    self.import_year(pupil, by_student[pupil.student_id], grade.regime, lvl, yr, sy)  # type: ignore[index]

    def import_year(self, pupil: gen.Pupil, enrolment_id: int, regime: str, level: int, start: int,
                    sy: SchoolYear) -> None:
        rs = ruleset(regime)
        r = gen.rng(self.seed, "ext_results", pupil.index, start)
        per: dict[str, dict[str, object]] = {"hk1": {}, "hk2": {}, "cn": {}}
        for code, _ in setup.curriculum_for(regime, level):
            subject = self.ext_subjects[code]
            if subject.assessment.value == "comment":
                per["hk1"][code] = per["hk2"][code] = per["cn"][code] = "Đ"
                continue
            mean = gen.subject_mean(self.seed, pupil, code, start) + 0.3
            t1, t2 = (gen.score(r, mean, whole=False, spread=0.5) for _ in range(2))
            per["hk1"][code], per["hk2"][code] = t1, t2
            per["cn"][code] = rs.year_average(t1, t2)
        levels = rs.conduct_levels
        conduct_levels = {"hk1": levels[0] if r.random() < 0.8 else levels[1],
                          "hk2": levels[0] if r.random() < 0.8 else levels[1]}
        conduct_levels["cn"] = rs.year_conduct(conduct_levels["hk1"], conduct_levels["hk2"])
        absent = r.randint(0, 6)
        with on_date(sy.ends_on):
            results.import_results(self.s, self.actor(self.staff.ext_admin), enrolment_id, subjects=per,
                                   conduct=conduct_levels,
                                   days_absent={"hk1": (absent // 2, 0), "hk2": (absent - absent // 2, 0),
                                                "cn": (absent, 0)})

    def leavers(self, y: _Year) -> dict[int, dt.date]:
        """Students who transfer out or drop out during the year: pupil index -> last day."""
        r = gen.rng(self.seed, "leavers", y.start)
        pool = sorted((p for run in y.classes for p in run.pupils), key=lambda p: p.index)
        out_count = max(1, round(6 * self.cfg.scale))
        drop_count = max(1, round(3 * self.cfg.scale))
        chosen = r.sample(pool, min(len(pool), out_count + drop_count))
        admin = self.actor(self.staff.admin)
        left: dict[int, dt.date] = {}
        for n, pupil in enumerate(chosen):
            day = y.year.starts_on + dt.timedelta(days=r.randint(40, 230))
            if day in (TET[y.start],):
                day += dt.timedelta(days=10)
            if day > self.cfg.today:  # has not happened yet: the student is still on the roll
                continue
            left[pupil.index] = day
            enrolment = self.s.get(Enrolment, pupil.enrolment_id)
            assert enrolment is not None
            with on_date(day):
                if n < out_count:
                    students.transfer_out(self.s, admin, enrolment, on=day,
                                          to_school=r.choice([s for s in vn.NEIGHBOUR_SCHOOLS
                                                              if s != vn.SCHOOL_NAME]))
                else:
                    students.drop_out(self.s, admin, enrolment, on=day,
                                      reason=r.choice(("gia đình chuyển đi làm ăn xa", "hoàn cảnh gia đình khó khăn",
                                                       "nghỉ học đi làm")))
        for run in y.classes:
            for pupil in run.pupils:
                pupil.left_on = left.get(pupil.index)
        self.active = [p for p in self.active if p.index not in left]
        return left

    def mid_year_arrival(self, y: _Year) -> gen.Pupil | None:
        """A student arriving at the start of HK II with their HK I results from the previous school."""
        if self.cfg.students < 200:
            return None
        r = gen.rng(self.seed, "mid_year", y.start)
        level = r.choice((7, 8))
        pupil = self.new_pupil(level=level, start_year=y.start, course_start=y.start - (level - 6))
        pupil.traits = gen.Traits(max(pupil.traits.ability, -0.5), max(pupil.traits.behaviour, 0.0), 2.0)
        pupil.arrived_mid_year = True
        source = r.choice(("Trường THCS Thảo Nguyên", "Trường THCS 19/5", "Trường THCS Đông Sang"))
        day = y.terms[2].starts_on + dt.timedelta(days=3)
        admin = self.actor(self.staff.admin)
        run = min((c for c in y.classes if c.level == level), key=lambda c: (len(c.pupils), c.index))
        with on_date(day):
            pupil.student_id = students.add_students(self.s, admin, self.school, [pupil.personal])[0].id
            student = self.s.get(Student, pupil.student_id)
            assert student is not None
            enrolment = students.transfer_in(self.s, admin, run.klass, student, on=day, from_school=source)
            self.keep([enrolment, student])
            pupil.enrolment_id = enrolment.id
            pupil.enrolled_on = day
            pupil.history.append(enrolment.id)
            pupil.class_index = run.index
            rs = ruleset(run.regime)
            hk1: dict[str, object] = {}
            for code, _ in setup.curriculum_for(run.regime, level):
                if self.subjects[code].assessment.value == "comment":
                    hk1[code] = "Đ"
                else:
                    hk1[code] = gen.score(r, gen.subject_mean(self.seed, pupil, code, y.start), whole=False,
                                          spread=0.5)
            results.import_results(self.s, admin, enrolment.id, subjects={"hk1": hk1},
                                   conduct={"hk1": rs.conduct_levels[0]}, days_absent={"hk1": (1, 0)})
        run.pupils.append(pupil)
        self.active.append(pupil)
        return pupil

    # --- a term of marks ----------------------------------------------------------------------

    def column_dates(self, term: Term, n_regular: int) -> dict[tuple[MarkKind, int], dt.date]:
        span = (term.ends_on - term.starts_on).days
        first = term.starts_on + dt.timedelta(days=23)
        out = {}
        for k in range(n_regular):
            out[(MarkKind.REGULAR, k + 1)] = first + dt.timedelta(days=int((span - 40) * k / max(n_regular, 1)))
        out[(MarkKind.MIDTERM, 1)] = term.starts_on + dt.timedelta(days=span // 2)
        out[(MarkKind.FINAL, 1)] = term.ends_on - dt.timedelta(days=12)
        return out

    def enter_marks(self, y: _Year, run: _ClassRun, term_no: int, missing: set[tuple[int, str, int]],
                    until: dt.date | None = None) -> None:
        """Each teacher of the class saves their whole mark sheet for the term (one batch for the class);
        ``until``: the term is under way, only the columns assessed by that day are entered (that day)."""
        term = y.terms[term_no]
        rs = ruleset(run.regime)
        day = term.ends_on - dt.timedelta(days=4) if until is None else min(until, term.ends_on - dt.timedelta(days=4))
        assignments = list(self.s.scalars(select(TeachingAssignment).where(
            TeachingAssignment.class_id == run.klass.id, TeachingAssignment.term_id == term.id)
            .order_by(TeachingAssignment.id)))
        by_subject: dict[int, list[TeachingAssignment]] = defaultdict(list)
        for ta in assignments:
            by_subject[ta.subject_id].append(ta)
        batch: list[marks.MarkSheet] = []
        for code, lessons in setup.curriculum_for(run.regime, run.level):
            subject = self.subjects[code]
            comment = subject.assessment.value == "comment"
            required = rs.required_regular_count(lessons or subject.lessons_per_year, comment=comment)
            extra = 1 if not comment and gen.rng(self.seed, "extra", y.start, run.klass.name, code,
                                                   term_no).random() < 0.15 else 0
            n_regular = required + extra
            dates = {k: when for k, when in self.column_dates(term, n_regular).items()
                     if until is None or when <= until}
            tas = by_subject[subject.id]
            sheets: list[list[marks.MarkInput]] = [[] for _ in tas]
            for pupil in run.pupils:
                arrived = pupil.enrolled_on
                assert arrived is not None
                left_on = pupil.left_on
                r = gen.rng(self.seed, "marks", pupil.index, y.start, code, term_no)
                mean = gen.subject_mean(self.seed, pupil, code, y.start)
                for (kind, slot), when in dates.items():
                    if when < arrived or (left_on is not None and when >= left_on):
                        continue
                    if (pupil.index, code, term_no) in missing and kind is MarkKind.REGULAR and slot == 2:
                        continue
                    if comment:
                        value: Decimal | str = gen.comment_grade(r, pupil)
                    else:
                        value = gen.score(r, mean + (0.3 if kind is MarkKind.REGULAR else 0.0),
                                          whole=kind is MarkKind.REGULAR)
                    # a shared subject: the second teacher enters the later regular columns
                    who = 1 if len(tas) > 1 and kind is MarkKind.REGULAR and slot > (n_regular + 1) // 2 else 0
                    sheets[who].append(marks.MarkInput(pupil.enrolment_id, kind, slot, value,  # type: ignore[arg-type]
                                                       assessed_on=when))
            for ta, sheet in zip(tas, sheets, strict=True):
                if not sheet:
                    continue
                teacher = self.s.get(User, ta.teacher_id)
                assert teacher is not None
                batch.append(marks.MarkSheet(self.actor(teacher), ta, sheet))
        with on_date(day):
            marks.save_mark_sheets(self.s, batch)  # the class's sheets of the term, as saved one after another

    def subject_comments(self, y: _Year, run: _ClassRun, outcomes: Sequence[results.StudentOutcome]) -> None:
        """TT22: subject teachers write a year comment for some students (the column may be filled selectively)."""
        if run.regime != "tt22":
            return
        term = y.terms[2]
        tas = {ta.subject_id: ta for ta in self.s.scalars(select(TeachingAssignment).where(
            TeachingAssignment.class_id == run.klass.id, TeachingAssignment.term_id == term.id)
            .order_by(TeachingAssignment.id.desc()))}
        by_enrolment = {o.enrolment_id: o for o in outcomes}
        with on_date(term.ends_on - dt.timedelta(days=3)):
            for code in ("toan", "ngu_van", "ngoai_ngu", "khtn"):
                ta = tas[self.subjects[code].id]
                r = gen.rng(self.seed, "subject_comment", y.start, run.klass.name, code)
                comments = {}
                for pupil in run.pupils:
                    o = by_enrolment.get(pupil.enrolment_id)  # type: ignore[arg-type]
                    if o is None or r.random() > 0.35:
                        continue
                    value = o.subjects[code].value if code in o.subjects else None
                    comments[pupil.enrolment_id] = gen.subject_comment(r, value)
                teacher = self.s.get(User, ta.teacher_id)
                assert teacher is not None
                marks.save_comments(self.s, self.actor(teacher), ta, Period.YEAR, comments)  # type: ignore[arg-type]

    # --- the homeroom teacher's work ------------------------------------------------------------

    def homeroom_term(self, y: _Year, run: _ClassRun, term_no: int, heavy: set[int],
                      until: dt.date | None = None) -> None:
        """Absences and conduct of the term; ``until``: the term is under way, absences up to that day only."""
        term = y.terms[term_no]
        teacher = self.s.get(User, run.klass.homeroom_teacher_id)
        assert teacher is not None
        actor = self.actor(teacher)
        last = term.ends_on if until is None else min(until, term.ends_on)
        days = [d for d in y.days if term.starts_on <= d <= last]
        rs = ruleset(run.regime)
        items = []
        for pupil in run.pupils:
            arrived = pupil.enrolled_on
            assert arrived is not None
            left_on = pupil.left_on
            mine = [d for d in days if d >= arrived and (left_on is None or d < left_on)]
            r = gen.rng(self.seed, "absences", pupil.index, y.start, term_no)
            for day, excused, reason in gen.absences(r, pupil, mine, heavy=pupil.index in heavy):
                items.append(attendance.Absence(pupil.enrolment_id, day, excused, reason))  # type: ignore[arg-type]
        if until is not None:
            with on_date(last):
                attendance.save_absences(self.s, actor, run.klass, items)
            return
        end = term.ends_on - dt.timedelta(days=2)
        with on_date(end):
            attendance.save_absences(self.s, actor, run.klass, items)
            levels: dict[int, str] = {}
            for pupil in run.pupils:
                if not self._present_at(pupil, end):
                    continue
                r = gen.rng(self.seed, "conduct", pupil.index, y.start, term_no)
                levels[pupil.enrolment_id] = gen.conduct_level(r, pupil, run.regime)  # type: ignore[index]
            period = Period.TERM1 if term_no == 1 else Period.TERM2
            conduct.save_conduct(self.s, actor, run.klass, period, levels)  # type: ignore[arg-type]
            if term_no == 2:
                first = dict(self.s.execute(select(Conduct.enrolment_id, Conduct.level).where(
                    Conduct.enrolment_id.in_(list(levels)), Conduct.period == Period.TERM1)).all())
                year_levels = {e: rs.year_conduct(first[e], lv) for e, lv in levels.items() if e in first}
                conduct.save_conduct(self.s, actor, run.klass, Period.YEAR, year_levels)

    def _present_at(self, pupil: gen.Pupil, day: dt.date) -> bool:
        left_on = pupil.left_on
        return left_on is None or left_on > day

    def compute(self, y: _Year, run: _ClassRun, period: Period) -> list[results.StudentOutcome]:
        teacher = self.s.get(User, run.klass.homeroom_teacher_id)
        assert teacher is not None
        term = y.terms[1 if period is Period.TERM1 else 2]
        day = term.ends_on + dt.timedelta(days=1 if period is Period.TERM1 else 2)
        with on_date(day):
            outcomes = results.compute_class(self.s, self.actor(teacher), run.klass, period)
        complete = all(o.learning is not None for o in outcomes)
        if complete:
            with on_date(day + dt.timedelta(days=1)):
                results.approve_class(self.s, self.actor(self.staff.principal), run.klass, period)
        if period is Period.YEAR:
            r = gen.rng(self.seed, "homeroom_comment", y.start, run.klass.name)
            comments = {o.enrolment_id: gen.homeroom_comment(r, o.learning, o.conduct) for o in outcomes}
            with on_date(day):
                conduct.save_homeroom_comments(self.s, self.actor(teacher), run.klass, Period.YEAR, comments)
        return outcomes

    # --- the end of a year ----------------------------------------------------------------------

    def summer(self, y: _Year, run: _ClassRun, outcomes: Sequence[results.StudentOutcome]) -> None:
        teacher = self.s.get(User, run.klass.homeroom_teacher_id)
        assert teacher is not None
        rs = ruleset(run.regime)
        by_enrolment = {p.enrolment_id: p for p in run.pupils}
        with on_date(dt.date(y.start + 1, 7, 28)):
            for o in outcomes:
                if o.promotion is None or Promotion(o.promotion).final:
                    continue
                pupil = by_enrolment[o.enrolment_id]
                r = gen.rng(self.seed, "summer", pupil.index, y.start)
                training = None
                if o.promotion == Promotion.SUMMER_TRAINING:
                    training = r.random() < 0.85
                retakes: dict[str, object] = {}
                reassess = o.promotion == Promotion.REASSESS or (
                    training and rs.promotion(learning=o.learning, conduct=rs.conduct_after_training,
                                              days_absent=o.days_absent) == Promotion.REASSESS)
                if reassess:
                    values = {c: s.value for c, s in o.subjects.items()}
                    for code in rs.retake_eligible(values):
                        if isinstance(values[code], str):
                            retakes[code] = "Đ" if r.random() < 0.9 else "CĐ"
                        else:
                            # students prepare all summer: most pass the re-assessment
                            mean = max(gen.subject_mean(self.seed, pupil, code, y.start) + 1.5, 6.0)
                            retakes[code] = gen.score(r, mean, whole=False, spread=0.7)
                results.record_summer(self.s, self.actor(teacher), o.enrolment_id, retakes=retakes,
                                      training_passed=training)

    def close_year(self, y: _Year, finals: dict[int, str | None]) -> None:
        """Next year's grade of each pupil; graduates leave."""
        admin = self.actor(self.staff.admin)
        graduates = []
        self.next_level = {}
        active = {p.index for p in self.active}
        for run in y.classes:
            for pupil in run.pupils:
                if pupil.index not in active:
                    continue
                decision = finals.get(pupil.enrolment_id)  # type: ignore[arg-type]
                if decision == Promotion.PROMOTED:
                    if run.level == 9:
                        graduates.append(pupil)
                    else:
                        self.next_level[pupil.index] = run.level + 1
                elif decision == Promotion.REPEAT:
                    self.next_level[pupil.index] = run.level
        if graduates:
            enrolments = list(self.s.scalars(select(Enrolment).where(
                Enrolment.id.in_([p.enrolment_id for p in graduates])).order_by(Enrolment.id)))
            with on_date(dt.date(y.start + 1, 8, 5)):
                students.complete_programme(self.s, admin, enrolments)
        self.active = [p for p in self.active if p.index in self.next_level]

    def lock_year(self, y: _Year, *, term_only: int | None = None, day: dt.date) -> None:
        principal, admin = self.actor(self.staff.principal), self.actor(self.staff.admin)
        books = (Book.MARK_BOOK,) if term_only else (Book.MARK_BOOK, Book.TRANSCRIPTS)
        term = y.terms[term_only] if term_only else None
        with on_date(day):
            for n, book in enumerate(books):
                ref = f"Quyết định số {(y.start % 100) * 10 + (term_only or 3) + n}/QĐ-THCS ngày {day:%d/%m/%Y}"
                decision = locks.decide(self.s, principal, book=book, school_year=y.year, lock=True,
                                        decision_ref=ref, term=term)
                locks.execute(self.s, admin, decision)

    def inspect(self, y: _Year) -> None:
        """Monthly inspections of the mark book by the leadership (Sơn La: minutes instead of a page)."""
        # the current year's book shows both terms' minutes; earlier years keep the end-of-year one
        months = [(y.start, 12), (y.start + 1, 5)] if y.start == self.cfg.current_year else [(y.start + 1, 5)]
        for n, (cal_year, month) in enumerate(months):
            day = dt.date(cal_year, month, 25)
            if day > self.cfg.today:
                continue
            who = self.staff.principal if n % 2 == 0 else self.staff.vice
            with on_date(day):
                inspections.record_inspection(
                    self.s, self.actor(who), y.year, cal_year, month,
                    findings="Giáo viên nhập điểm đúng tiến độ, đủ số lần kiểm tra, đánh giá thường xuyên.",
                    conclusion="Đạt yêu cầu.", inspected_on=day)

    def corrections_after_cutoff(self, y: _Year, missing: set[tuple[int, str, int]]) -> None:
        """Corrections in June: a mark entered wrongly and a missing regular mark, each through the workflow."""
        principal, vice, admin, office = self.staff.principal, self.staff.vice, self.staff.admin, self.staff.office
        r = gen.rng(self.seed, "corrections", y.start)
        day = dt.date(y.start + 1, 6, 8)
        targets: list[tuple[int, Subject, Term, MarkKind, int, Decimal, str]] = []
        for pupil_index, code, term_no in sorted(missing):
            pupil = next(p for run in y.classes for p in run.pupils if p.index == pupil_index)
            value = gen.score(r, gen.subject_mean(self.seed, pupil, code, y.start), whole=True)
            assert pupil.enrolment_id is not None
            targets.append((pupil.enrolment_id, self.subjects[code], y.terms[term_no], MarkKind.REGULAR,
                            2, value, "Học sinh ốm, đã kiểm tra bù ngày 20/5 nhưng giáo viên chưa nhập điểm."))
        rows = list(self.s.execute(
            select(Mark.enrolment_id, Mark.subject_id, Mark.term_id, Mark.kind, Mark.slot, Mark.score)
            .join(Enrolment, Enrolment.id == Mark.enrolment_id)
            .where(Enrolment.class_id.in_([run.klass.id for run in y.classes]), Mark.score.is_not(None),
                   Mark.kind == MarkKind.FINAL, Mark.term_id == y.terms[2].id)
            .order_by(Mark.id).limit(400)))
        for enrolment_id, subject_id, term_id, kind, slot, old_score in r.sample(rows, min(2, len(rows))):
            assert old_score is not None
            old: Decimal = old_score
            new = (old + Decimal("1.0")) if old <= Decimal("9.0") else old - Decimal("1.0")
            subject = self.s.get(Subject, subject_id)
            term = self.s.get(Term, term_id)
            assert subject is not None and term is not None
            targets.append((enrolment_id, subject, term, kind, slot, new,
                            f"Nhập nhầm điểm bài kiểm tra cuối kì ({old} thay vì {new}), đối chiếu bài làm gốc."))
        touched: set[int] = set()
        for enrolment_id, subject, term, kind, slot, value, reason in targets:
            enrolment = self.s.get(Enrolment, enrolment_id)
            assert enrolment is not None
            ta = self.s.scalars(select(TeachingAssignment).where(
                TeachingAssignment.class_id == enrolment.class_id, TeachingAssignment.subject_id == subject.id,
                TeachingAssignment.term_id == term.id).order_by(TeachingAssignment.id)).first()
            assert ta is not None
            teacher = self.s.get(User, ta.teacher_id)
            assert teacher is not None
            with on_date(day):
                request = corrections.request_correction(
                    self.s, self.actor(teacher), enrolment_id=enrolment_id, subject_id=subject.id, term_id=term.id,
                    kind=kind, slot=slot, new_value=value, reason=reason)  # type: ignore[arg-type]
            with on_date(day + dt.timedelta(days=1)):
                corrections.approve(self.s, self.actor(principal), request, "Đồng ý cho sửa.")
            with on_date(day + dt.timedelta(days=2)):
                corrections.apply(self.s, self.actor(admin), request, leader=vice, board=office,
                                  requester_present=True)
            self.corrections += 1
            touched.add(enrolment.class_id)
        # classes whose results were incomplete before the corrections are approved now
        for run in y.classes:
            if run.klass.id not in touched:
                continue
            for period in (Period.TERM2, Period.YEAR):
                pending = self.s.scalar(select(func.count()).select_from(StudentResult).join(
                    Enrolment, Enrolment.id == StudentResult.enrolment_id).where(
                    Enrolment.class_id == run.klass.id, StudentResult.period == period,
                    StudentResult.approved_at.is_(None)))
                if pending:
                    with on_date(day + dt.timedelta(days=3)):
                        results.approve_class(self.s, self.actor(principal), run.klass, period)

    # --- a whole year ---------------------------------------------------------------------------

    def run_year(self, start: int) -> None:
        today = self.cfg.today
        steps_before = self.steps_done
        current = start == self.cfg.current_year
        with self.timed("setup"):
            y = self.open_year(start)
        with self.timed("rolls"):
            self.place(y)
            self.transfers_in(y)
            left = self.leavers(y)
        self.step(f"{y.name}: lớp và học sinh")
        r = gen.rng(self.seed, "heavy", start)
        pool = sorted(p.index for run in y.classes for p in run.pupils if p.index not in left)
        heavy = set(r.sample(pool, min(len(pool), max(1, round(2 * self.cfg.scale)))))
        missing: set[tuple[int, str, int]] = set()
        if current and pool:
            pupil_index = r.choice(pool)
            run = next(run for run in y.classes if any(p.index == pupil_index for p in run.pupils))
            missing.add((pupil_index, "toan" if run.regime == "tt22" else "ngu_van", 2))
        finals: dict[int, str | None] = {}
        for term_no in (1, 2):
            term = y.terms[term_no]
            if term.ends_on + dt.timedelta(days=3) > today:  # its results are not approved yet
                if term.starts_on < today:  # under way: the marks and absences due so far
                    for run in y.classes:
                        with self.timed("marks"):
                            self.enter_marks(y, run, term_no, missing, until=today)
                        with self.timed("attendance, conduct"):
                            self.homeroom_term(y, run, term_no, heavy, until=today)
                        self.step(f"{y.name}: điểm {term.name} lớp {run.klass.name}")
                break
            for run in y.classes:
                with self.timed("marks"):
                    self.enter_marks(y, run, term_no, missing)
                self.step(f"{y.name}: điểm {term.name} lớp {run.klass.name}")
            for run in y.classes:
                with self.timed("attendance, conduct"):
                    self.homeroom_term(y, run, term_no, heavy)
                with self.timed("results"):
                    if term_no == 1:
                        self.compute(y, run, Period.TERM1)
                    else:
                        self.compute(y, run, Period.TERM2)
                        outcomes = self.compute(y, run, Period.YEAR)
                        with self.timed("comments"):
                            self.subject_comments(y, run, outcomes)
                        finals.update({o.enrolment_id: o.final_promotion for o in outcomes})
                        if dt.date(start + 1, 7, 28) <= today:
                            self.summer(y, run, outcomes)
                self.step(f"{y.name}: kết quả {term.name} lớp {run.klass.name}")
            if term_no == 1 and y.terms[2].starts_on + dt.timedelta(days=3) <= today:
                with self.timed("rolls"):
                    self.mid_year_arrival(y)
            if term_no == 1 and term.ends_on + dt.timedelta(days=10) <= today:
                with self.timed("locks, inspections, corrections"):
                    self.lock_year(y, term_only=1, day=term.ends_on + dt.timedelta(days=10))
        with self.timed("locks, inspections, corrections"):
            self.inspect(y)
            if current and dt.date(start + 1, 6, 11) <= today:  # requested 8 June, approved by the 11th
                self.corrections_after_cutoff(y, missing)
        if dt.date(start + 1, 8, 10) <= today:
            with self.timed("results"):
                finals = self._final_decisions(y)
                self.close_year(y, finals)
            with self.timed("locks, inspections, corrections"):
                self.lock_year(y, day=dt.date(start + 1, 8, 10))
        # phases after ``today`` were skipped: count them so the bar ends full
        self.step(f"{y.name}: khóa sổ", max(1, _steps_per_year(self.cfg) - (self.steps_done - steps_before)))

    def _final_decisions(self, y: _Year) -> dict[int, str | None]:
        ids = [p.enrolment_id for run in y.classes for p in run.pupils]
        rows = self.s.execute(select(StudentResult.enrolment_id, StudentResult.final_promotion)
                              .where(StudentResult.enrolment_id.in_(ids), StudentResult.period == Period.YEAR))
        return dict(rows.all())  # type: ignore[arg-type]


def build_demo(session: Session, config: DemoConfig | None = None, *,
               progress: Callable[[str, int], None] | None = None) -> DemoSummary:
    """Build the demo school in the session's database (the caller commits). Refuses a non-empty database."""
    config = config or DemoConfig()
    refuse_if_present(session)
    if session.get_bind().dialect.name == "sqlite":
        # The whole build is one transaction of ~200 MB: with SQLite's default 2 MB page cache, dirty
        # pages spill to the file mid-transaction (each spill syncs the journal). Keep them in memory.
        session.execute(text("PRAGMA cache_size=-524288"))  # KiB: up to 512 MB, used only as needed
    builder = _Builder(session, config, progress)
    started, cpu = time.perf_counter(), time.process_time()
    # The cyclic garbage collector is paused for the build (as ``marks.save_mark_sheets`` does for a
    # class): the session keeps the school's objects alive, and each collection walks them all; the
    # build leaves little cyclic garbage (bench/README.md, "Building the demo data, again").
    paused = gc.isenabled()
    gc.disable()
    try:
        # every stamp (the trail, entered / computed / decided times) on the simulated day, never after today
        with stamping_with(lambda: simulated_now(config.today)):
            with builder.timed("setup"):
                builder.build_school()
            builder.step("Trường, cán bộ, giáo viên")
            for start in range(config.first_year, config.current_year + 1):
                builder.run_year(start)
            session.flush()
    finally:
        if paused:
            gc.enable()
    builder.step("Hoàn tất")
    builder.timings["total"] = time.perf_counter() - started
    builder.timings["total (cpu)"] = time.process_time() - cpu

    def count(model: type) -> int:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)

    years = tuple(f"{y}-{y + 1}" for y in range(config.first_year, config.current_year + 1))
    return DemoSummary(builder.school.id, builder.school.code, builder.school.name, years, count(Student),
                       count(Enrolment), count(Mark), count(AuditEntry), builder.corrections, dict(builder.timings))


# --- the database -------------------------------------------------------------------------------


def prepare_database(engine: Engine, *, reset: bool = False) -> None:
    """Create (or, with ``reset``, drop everything and recreate) the schema the demo writes into."""
    if reset:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        Base.metadata.drop_all(engine)
    if not is_initialised(engine):
        upgrade(engine)
    # tables added to the models after the newest migration (development databases)
    Base.metadata.create_all(engine, checkfirst=True)


@contextmanager
def rollback_journal(engine: Engine) -> Iterator[None]:
    """A SQLite file in rollback-journal mode for the block (the demo's one big transaction), WAL again after.

    The demo writes its new database (~170 MB) in one transaction. In WAL mode its commit writes every
    page to the log, syncs it, then copies the pages into the database file and syncs again (the
    checkpoint); with a rollback journal the pages are written once (the journal keeps only the few
    pages the new database had before). Just as atomic: a failed build rolls back, a killed one leaves a
    hot journal that the next connection rolls back. The mode is the file's: while another connection
    has the file open (a server on it), SQLite refuses the change and the block runs in WAL, only
    slower. Other databases (PostgreSQL, in memory) are left as they are.
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        yield
        return
    changed = _journal_mode(engine, "wal", "delete")
    try:
        yield
    finally:
        if changed:
            try:
                _journal_mode(engine, "delete", "wal")
            except (sqlite3.Error, SQLAlchemyError) as exc:
                # e.g. Ctrl-C inside a statement: its connection still holds the lock. The block's own
                # outcome (its error, the interrupt) is what the user must see; the file is set to WAL
                # again by the next connection (records.db.make_engine).
                log.warning("journal mode of %s not set back to WAL (the next connection does): %s",
                            engine.url.database, exc)


def _journal_mode(engine: Engine, old: str, new: str) -> bool:
    """Change the SQLite journal mode from ``old`` to ``new`` outside any transaction (driver level).

    False, changing nothing, when the file is in another mode or the change is refused (another
    connection is reading it): the build then runs in the mode the file has, only slower.
    """
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        if str(driver.execute("PRAGMA journal_mode").fetchone()[0]).lower() != old:
            return False
        timeout = driver.execute("PRAGMA busy_timeout").fetchone()[0]
        driver.execute("PRAGMA busy_timeout=0")  # a reader holds the file: do not wait for it
        try:
            now = str(driver.execute(f"PRAGMA journal_mode={new}").fetchone()[0]).lower()
        except sqlite3.OperationalError as exc:  # locked by another connection
            log.info("journal mode of %s left %s: %s", engine.url.database, old, exc)
            return False
        finally:
            driver.execute(f"PRAGMA busy_timeout={int(timeout)}")
        return now == new
    finally:
        raw.close()
