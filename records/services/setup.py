"""Setting a school up: the school, its years (terms, grades and their regime), subjects and the
curriculum of each grade, classes, users, role grants and teaching assignments.

Every function takes the session (the caller commits) and the acting ``Actor``, checks
``records.permissions.require`` and leaves a trace (``records.audit``). A school is created by the
installation (``Actor.system``); everything inside it by its administrator (or the installation while
bootstrapping); teaching assignments also by the vice principal or a head of department.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from records import audit
from records.audit import AuditRecord
from records.errors import ConflictError, NotFoundError, ValidationError
from records.models import (
    Assessment,
    Class,
    Grade,
    GradeSubject,
    ProvinceCalendar,
    Role,
    RoleGrant,
    School,
    SchoolYear,
    Subject,
    TeachingAssignment,
    Term,
    User,
    utcnow,
)
from records.permissions import Action, Actor, Scope, require
from records.rules import regime_for

__all__ = [
    "ALL_SUBJECTS",
    "PROGRAMME_2006",
    "PROGRAMME_2018",
    "AssignmentSpec",
    "SubjectSpec",
    "assign_teacher",
    "assign_teachers",
    "copy_assignments",
    "create_class",
    "create_school",
    "create_school_year",
    "create_user",
    "curriculum_for",
    "ensure_subjects",
    "grant_role",
    "initialise_school",
    "programme_of",
    "province_cutoff",
    "remove_assignment",
    "revoke_role",
    "set_curriculum",
    "set_homeroom_teacher",
    "set_province_cutoff",
    "set_regime",
    "set_roles",
    "update_school_year",
]

LEVELS = (6, 7, 8, 9)


@dataclass(frozen=True)
class SubjectSpec:
    """A subject of the catalogue: code, name, how it is assessed, default lessons per year."""

    code: str
    name: str
    assessment: Assessment
    lessons_per_year: int
    short_name: str | None = None


S, C = Assessment.SCORE, Assessment.COMMENT

#: Every subject of both programmes. Codes shared by the two programmes (toan, ngu_van, ngoai_ngu,
#: gdcd, cong_nghe, tin_hoc) are one subject; a grade's lessons per year override the default.
ALL_SUBJECTS: tuple[SubjectSpec, ...] = (
    SubjectSpec("toan", "Toán", S, 140, "Toán"),
    SubjectSpec("ngu_van", "Ngữ văn", S, 140, "Văn"),
    SubjectSpec("ngoai_ngu", "Ngoại ngữ 1 (Tiếng Anh)", S, 105, "T.Anh"),
    SubjectSpec("gdcd", "Giáo dục công dân", S, 35, "GDCD"),
    SubjectSpec("ls_dl", "Lịch sử và Địa lí", S, 105, "LS&ĐL"),
    SubjectSpec("khtn", "Khoa học tự nhiên", S, 140, "KHTN"),
    SubjectSpec("cong_nghe", "Công nghệ", S, 35, "C.Nghệ"),
    SubjectSpec("tin_hoc", "Tin học", S, 35, "Tin"),
    SubjectSpec("gdtc", "Giáo dục thể chất", C, 70, "GDTC"),
    SubjectSpec("nghe_thuat", "Nghệ thuật (Âm nhạc, Mĩ thuật)", C, 70, "N.Thuật"),
    SubjectSpec("hdtn", "Hoạt động trải nghiệm, hướng nghiệp", C, 105, "HĐTN"),
    SubjectSpec("gddp", "Nội dung giáo dục của địa phương", C, 35, "GDĐP"),
    SubjectSpec("vat_li", "Vật lí", S, 35, "Lí"),
    SubjectSpec("hoa_hoc", "Hóa học", S, 70, "Hóa"),
    SubjectSpec("sinh_hoc", "Sinh học", S, 70, "Sinh"),
    SubjectSpec("lich_su", "Lịch sử", S, 52, "Sử"),
    SubjectSpec("dia_li", "Địa lí", S, 52, "Địa"),
    SubjectSpec("the_duc", "Thể dục", C, 70, "T.Dục"),
    SubjectSpec("am_nhac", "Âm nhạc", C, 35, "Nhạc"),
    SubjectSpec("my_thuat", "Mĩ thuật", C, 35, "M.Thuật"),
)
del S, C

Curriculum = tuple[tuple[str, int | None], ...]  # (subject code, lessons per year for the grade or None)

#: 2018 programme (TT32/2018), assessed under TT22: the same subjects in every grade; Công nghệ has 52
#: lessons in grades 8-9 (REGULATIONS.md §2.2 — lesson counts UNCERTAIN, read from here, not hard-coded).
PROGRAMME_2018: Mapping[int, Curriculum] = {
    level: (
        ("ngu_van", None), ("toan", None), ("ngoai_ngu", None), ("gdcd", None), ("ls_dl", None),
        ("khtn", None), ("cong_nghe", 52 if level >= 8 else None), ("tin_hoc", None), ("gdtc", None),
        ("nghe_thuat", None), ("hdtn", None), ("gddp", None),
    )
    for level in LEVELS
}

#: 2006 programme, assessed under TT58 / TT26. Lessons per year by grade (the 2006 teaching plan).
PROGRAMME_2006: Mapping[int, Curriculum] = {
    6: (("toan", 140), ("vat_li", 35), ("sinh_hoc", 70), ("ngu_van", 140), ("lich_su", 35),
        ("dia_li", 35), ("ngoai_ngu", 105), ("gdcd", 35), ("cong_nghe", 70), ("tin_hoc", 70),
        ("the_duc", 70), ("am_nhac", 35), ("my_thuat", 35)),
    7: (("toan", 140), ("vat_li", 35), ("sinh_hoc", 70), ("ngu_van", 140), ("lich_su", 70),
        ("dia_li", 70), ("ngoai_ngu", 105), ("gdcd", 35), ("cong_nghe", 52), ("tin_hoc", 70),
        ("the_duc", 70), ("am_nhac", 35), ("my_thuat", 35)),
    8: (("toan", 140), ("vat_li", 35), ("hoa_hoc", 70), ("sinh_hoc", 70), ("ngu_van", 140),
        ("lich_su", 52), ("dia_li", 52), ("ngoai_ngu", 105), ("gdcd", 35), ("cong_nghe", 52),
        ("tin_hoc", 70), ("the_duc", 70), ("am_nhac", 35), ("my_thuat", 35)),
    9: (("toan", 140), ("vat_li", 70), ("hoa_hoc", 70), ("sinh_hoc", 70), ("ngu_van", 175),
        ("lich_su", 52), ("dia_li", 52), ("ngoai_ngu", 70), ("gdcd", 35), ("cong_nghe", 35),
        ("tin_hoc", 70), ("the_duc", 70), ("am_nhac", 17), ("my_thuat", 17)),
}


def programme_of(regime: str) -> str:
    """The programme a regime assesses: "2018" (tt22) or "2006" (tt58, tt26)."""
    return "2018" if regime == "tt22" else "2006"


def curriculum_for(regime: str, level: int) -> Curriculum:
    """The default curriculum of a grade under a regime."""
    return (PROGRAMME_2018 if programme_of(regime) == "2018" else PROGRAMME_2006)[level]


def _school_scope(school: School, what: str | None = None) -> Scope:
    return Scope(school_id=school.id, district=school.district, description_vi=what or school.name)


def _trace(session: Session, actor: Actor, action: str, entity: str, entity_id: int | str,
           before: dict[str, object] | None, after: dict[str, object] | None, school_id: int | None,
           reason: str | None = None) -> None:
    audit.append(session, actor, action, entity, entity_id, before, after, school_id=school_id, reason=reason)


# --- schools and years --------------------------------------------------------------------------


def create_school(session: Session, actor: Actor, *, code: str, name: str, district: str, province: str,
                  commune: str | None = None, address: str | None = None, principal_name: str | None = None,
                  external: bool = False, managing_office: str | None = None) -> School:
    """Create a school (the installation does it; ``external``: a school whose records we only receive)."""
    require(session, actor, Action.SCHOOL_SETUP, Scope(district=district, description_vi=name))
    code, name = code.strip(), " ".join(name.split())
    if not code or not name:
        raise ValidationError("Cần nhập mã trường và tên trường.", "school code and name are required")
    if session.scalar(select(School.id).where(School.code == code)) is not None:
        raise ConflictError(f"Đã có trường mang mã {code}.", f"school code {code!r} exists")
    district, province = " ".join(district.split()), " ".join(province.split())
    if not district or not province:
        raise ValidationError("Cần nhập quận/huyện và tỉnh/thành phố của trường.", "district and province required")
    managing_office = " ".join((managing_office or f"Phòng Giáo dục và Đào tạo {district}").split())
    school = School(code=code, name=name, district=district, province=province, commune=commune,
                    address=address, principal_name=principal_name, external=external,
                    managing_office=managing_office)
    session.add(school)
    session.flush()
    _trace(session, actor, "create", "school", school.id, None,
           {"code": code, "name": name, "district": district, "province": province, "external": external,
            "managing_office": managing_office}, school.id)
    return school


def create_school_year(session: Session, actor: Actor, school: School, start_year: int, *,
                       starts_on: dt.date | None = None, term1_ends_on: dt.date | None = None,
                       ends_on: dt.date | None = None, mark_cutoff: dt.date | None = None,
                       curriculum: bool = True) -> SchoolYear:
    """Create a school year with its two terms and grades 6-9 (regime of each from ``regime_for``).

    With ``curriculum`` each grade gets the default subjects of its programme (``curriculum_for``).
    Default dates: 5 September, HK I to 15 January, year end and mark cut-off 31 May (CV 1540).
    """
    require(session, actor, Action.SCHOOL_SETUP, school)
    if session.scalar(select(SchoolYear.id).where(SchoolYear.school_id == school.id,
                                                  SchoolYear.start_year == start_year)) is not None:
        raise ConflictError(f"Năm học {start_year}-{start_year + 1} đã được khai báo.",
                            f"school year {start_year} exists for school {school.id}")
    starts_on = starts_on or dt.date(start_year, 9, 5)
    term1_ends_on = term1_ends_on or dt.date(start_year + 1, 1, 15)
    ends_on = ends_on or dt.date(start_year + 1, 5, 31)
    mark_cutoff = mark_cutoff or province_cutoff(session, school.province, start_year) or ends_on
    if not starts_on < term1_ends_on < ends_on:
        raise ValidationError("Ngày bắt đầu, kết thúc học kì I và kết thúc năm học không hợp lệ.",
                              "school year dates out of order")
    year = SchoolYear(school_id=school.id, start_year=start_year, starts_on=starts_on, ends_on=ends_on,
                      mark_cutoff=mark_cutoff)
    session.add(year)
    session.flush()
    session.add_all([
        Term(school_year_id=year.id, number=1, starts_on=starts_on, ends_on=term1_ends_on),
        Term(school_year_id=year.id, number=2, starts_on=term1_ends_on + dt.timedelta(days=1), ends_on=ends_on),
    ])
    grades = [Grade(school_year_id=year.id, level=level, regime=regime_for(start_year, level)) for level in LEVELS]
    session.add_all(grades)
    session.flush()
    _trace(session, actor, "create", "school_year", year.id, None,
           {"start_year": start_year, "starts_on": starts_on, "term1_ends_on": term1_ends_on,
            "ends_on": ends_on, "mark_cutoff": mark_cutoff,
            "regimes": {str(g.level): g.regime for g in grades}}, school.id)
    if curriculum:
        subjects = ensure_subjects(session, actor, school)
        for grade in grades:
            set_curriculum(session, actor, grade, curriculum_for(grade.regime, grade.level), subjects=subjects)
    return year


def ensure_subjects(session: Session, actor: Actor, school: School,
                    specs: Iterable[SubjectSpec] = ALL_SUBJECTS) -> dict[str, Subject]:
    """The school's subjects by code, creating the missing ones of ``specs``."""
    existing = {s.code: s for s in session.scalars(select(Subject).where(Subject.school_id == school.id))}
    missing = [spec for spec in specs if spec.code not in existing]
    if missing:
        require(session, actor, Action.SCHOOL_SETUP, school)
        for spec in missing:
            subject = Subject(school_id=school.id, code=spec.code, name=spec.name, short_name=spec.short_name,
                              assessment=spec.assessment, lessons_per_year=spec.lessons_per_year)
            session.add(subject)
            existing[spec.code] = subject
        session.flush()
        audit.append_many(session, actor, [
            AuditRecord("create", "subject", existing[spec.code].id, None,
                        {"code": spec.code, "name": spec.name, "assessment": spec.assessment,
                         "lessons_per_year": spec.lessons_per_year}, school.id)
            for spec in missing
        ])
    return existing


def set_curriculum(session: Session, actor: Actor, grade: Grade, entries: Sequence[tuple[str, int | None]], *,
                   subjects: Mapping[str, Subject] | None = None) -> list[GradeSubject]:
    """Set the subjects a grade studies in its year, in book order, with lessons per year if not the default."""
    year = session.get(SchoolYear, grade.school_year_id)
    assert year is not None
    school = session.get(School, year.school_id)
    assert school is not None
    require(session, actor, Action.SCHOOL_SETUP, grade)
    if subjects is None:
        subjects = {s.code: s for s in session.scalars(select(Subject).where(Subject.school_id == school.id))}
    unknown = [code for code, _ in entries if code not in subjects]
    if unknown:
        raise NotFoundError(f"Chưa khai báo môn học: {', '.join(unknown)}.", f"unknown subjects {unknown}")
    current = {gs.subject_id: gs for gs in session.scalars(select(GradeSubject).where(
        GradeSubject.grade_id == grade.id))}
    before: dict[str, object] = {str(gs.subject_id): gs.lessons_per_year for gs in current.values()}
    wanted: dict[int, GradeSubject] = {}
    for position, (code, lessons) in enumerate(entries):
        subject = subjects[code]
        if lessons is not None and lessons <= 0:
            raise ValidationError(f"Số tiết của môn {subject.name} phải lớn hơn 0.", f"bad lessons for {code}")
        override = None if lessons == subject.lessons_per_year else lessons
        gs = current.get(subject.id)
        if gs is None:
            gs = GradeSubject(grade_id=grade.id, subject_id=subject.id, position=position, lessons_per_year=override)
            session.add(gs)
        else:
            gs.position, gs.lessons_per_year = position, override
        wanted[subject.id] = gs
    for subject_id, gs in current.items():
        if subject_id not in wanted:
            session.delete(gs)
    session.flush()
    _trace(session, actor, "update", "curriculum", grade.id, before or None,
           {code: lessons or subjects[code].lessons_per_year for code, lessons in entries}, school.id)
    return [wanted[subjects[code].id] for code, _ in entries]


# --- classes ------------------------------------------------------------------------------------


def create_class(session: Session, actor: Actor, grade: Grade, name: str,
                 homeroom_teacher: User | None = None) -> Class:
    """Create a class of a grade (e.g. "9A1"), optionally with its homeroom teacher."""
    year = session.get(SchoolYear, grade.school_year_id)
    assert year is not None
    require(session, actor, Action.SCHOOL_SETUP, grade)
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Cần nhập tên lớp.", "class name required")
    if session.scalar(select(Class.id).where(Class.grade_id == grade.id, Class.name == name)) is not None:
        raise ConflictError(f"Lớp {name} đã có trong năm học {year.name}.", f"class {name} exists")
    klass = Class(school_id=year.school_id, grade_id=grade.id, name=name)
    session.add(klass)
    session.flush()
    _trace(session, actor, "create", "class", klass.id, None,
           {"name": name, "grade": grade.level, "school_year": year.name}, year.school_id)
    if homeroom_teacher is not None:
        set_homeroom_teacher(session, actor, klass, homeroom_teacher)
    return klass


def set_homeroom_teacher(session: Session, actor: Actor, klass: Class, teacher: User) -> Class:
    """Make a teacher the homeroom teacher of a class (granting the role in the school if needed)."""
    require(session, actor, Action.SCHOOL_SETUP, klass)
    if teacher.school_id != klass.school_id:
        raise ValidationError(f"{teacher.full_name} không thuộc trường của lớp {klass.name}.",
                              f"teacher {teacher.id} is not of school {klass.school_id}")
    before = klass.homeroom_teacher_id
    klass.homeroom_teacher_id = teacher.id
    session.flush()
    _trace(session, actor, "update", "class", klass.id, {"homeroom_teacher_id": before},
           {"homeroom_teacher_id": teacher.id}, klass.school_id)
    school = session.get(School, klass.school_id)
    assert school is not None
    if not _holds(session, teacher, Role.HOMEROOM_TEACHER, school.id):
        grant_role(session, actor, teacher, Role.HOMEROOM_TEACHER, school=school)
    return klass


# --- users and rights ---------------------------------------------------------------------------


def _holds(session: Session, user: User, role: Role, school_id: int | None, district: str | None = None) -> bool:
    return session.scalar(select(RoleGrant.id).where(
        RoleGrant.user_id == user.id, RoleGrant.role == role, RoleGrant.revoked_at.is_(None),
        RoleGrant.school_id == school_id if school_id is not None else RoleGrant.district == district,
    ).limit(1)) is not None


def create_user(session: Session, actor: Actor, *, username: str, full_name: str, school: School | None,
                department: str | None = None, roles: Iterable[Role] = (),
                district: str | None = None) -> User:
    """Create a user of a school (or, with ``district``, a district-wide user) holding ``roles``."""
    username, full_name = username.strip().lower(), " ".join(full_name.split())
    if not username or not full_name:
        raise ValidationError("Cần nhập tên đăng nhập và họ tên.", "username and full name required")
    scope = (_school_scope(school, f"người dùng của {school.name}") if school is not None
             else Scope(district=district, description_vi=f"người dùng cấp huyện {district or ''}".strip()))
    require(session, actor, Action.RIGHTS_GRANT, scope)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"Tên đăng nhập {username} đã được dùng.", f"username {username!r} exists")
    user = User(username=username, full_name=full_name, school_id=school.id if school else None,
                department=department)
    session.add(user)
    session.flush()
    _trace(session, actor, "create", "user", user.id, None,
           {"username": username, "full_name": full_name, "department": department},
           school.id if school else None)
    for role in roles:
        grant_role(session, actor, user, role, school=school, district=None if school else district)
    return user


def grant_role(session: Session, actor: Actor, user: User, role: Role, *, school: School | None = None,
               district: str | None = None) -> RoleGrant:
    """Grant a role in a school, or district-wide (inspectors)."""
    if (school is None) == (district is None):
        raise ValidationError("Quyền phải gắn với một trường hoặc một huyện.",
                              "a grant needs exactly one of school or district")
    if district is not None and role is not Role.INSPECTOR:
        raise ValidationError("Chỉ quyền thanh tra được cấp trên phạm vi cả huyện.",
                              f"role {role.value} cannot be district-wide")
    grant = RoleGrant(user_id=user.id, role=role, school_id=school.id if school else None, district=district,
                      granted_by_id=actor.user_id)
    require(session, actor, Action.RIGHTS_GRANT, grant)
    if _holds(session, user, role, grant.school_id, district):
        raise ConflictError(f"{user.full_name} đã có quyền {role.label_vi}.", f"user {user.id} holds {role.value}")
    session.add(grant)
    session.flush()
    _trace(session, actor, "grant", "role_grant", grant.id, None,
           {"user_id": user.id, "role": role, "school_id": grant.school_id, "district": district},
           grant.school_id)
    return grant


def revoke_role(session: Session, actor: Actor, grant: RoleGrant) -> RoleGrant:
    """Revoke a role grant (kept, with the time of revocation)."""
    require(session, actor, Action.RIGHTS_GRANT, grant)
    if grant.revoked_at is not None:
        return grant
    grant.revoked_at = utcnow()
    session.flush()
    _trace(session, actor, "revoke", "role_grant", grant.id, {"revoked_at": None},
           {"revoked_at": grant.revoked_at}, grant.school_id)
    return grant


# --- teaching assignments -----------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentSpec:
    """One teaching assignment to declare: a teacher teaches a subject in a class during a term."""

    teacher_id: int
    class_id: int
    subject_id: int
    term_id: int
    note: str | None = None


def assign_teacher(session: Session, actor: Actor, klass: Class, subject: Subject, term: Term, teacher: User,
                   note: str | None = None) -> TeachingAssignment:
    """Declare that a teacher teaches a subject in a class during a term (several may share one)."""
    return assign_teachers(session, actor, [AssignmentSpec(teacher.id, klass.id, subject.id, term.id, note)])[0]


def assign_teachers(session: Session, actor: Actor, specs: Sequence[AssignmentSpec]) -> list[TeachingAssignment]:
    """Declare many teaching assignments at once (each checked; one bulk trace)."""
    if not specs:
        return []
    class_ids = {s.class_id for s in specs}
    classes = {c.id: c for c in session.scalars(select(Class).where(Class.id.in_(class_ids)))}
    terms = {t.id: t for t in session.scalars(select(Term).where(Term.id.in_({s.term_id for s in specs})))}
    grades = {g.id: g for g in session.scalars(select(Grade).where(Grade.id.in_({c.grade_id for c in classes.values()})))}
    teachers = {u.id: u for u in session.scalars(select(User).where(User.id.in_({s.teacher_id for s in specs})))}
    taught = {(gs.grade_id, gs.subject_id) for gs in session.scalars(select(GradeSubject).where(
        GradeSubject.grade_id.in_(grades)))}
    checked: set[tuple[int, int, int]] = set()
    for spec in specs:
        klass, term, teacher = classes.get(spec.class_id), terms.get(spec.term_id), teachers.get(spec.teacher_id)
        if klass is None or term is None or teacher is None:
            raise NotFoundError("Không tìm thấy lớp, học kì hoặc giáo viên được phân công.",
                                f"assignment refers to missing rows: {spec}")
        if term.school_year_id != grades[klass.grade_id].school_year_id:
            raise ValidationError(f"Học kì không thuộc năm học của lớp {klass.name}.", "term of another year")
        if (klass.grade_id, spec.subject_id) not in taught:
            raise ValidationError(f"Lớp {klass.name} không học môn này trong năm học.",
                                  f"subject {spec.subject_id} not in the curriculum of class {klass.id}")
        if teacher.school_id != klass.school_id:
            raise ValidationError(f"{teacher.full_name} không thuộc trường của lớp {klass.name}.",
                                  "teacher of another school")
        key = (spec.teacher_id, spec.class_id, spec.subject_id)
        if key not in checked:  # a head of department's right depends on the teacher, the class and subject
            require(session, actor, Action.ASSIGNMENTS_WRITE, TeachingAssignment(
                teacher_id=spec.teacher_id, class_id=spec.class_id, subject_id=spec.subject_id,
                term_id=spec.term_id))
            checked.add(key)
    rows = [{"teacher_id": s.teacher_id, "class_id": s.class_id, "subject_id": s.subject_id, "term_id": s.term_id,
             "declared_by_id": actor.user_id, "note": s.note} for s in specs]
    ids = list(session.scalars(insert(TeachingAssignment).returning(TeachingAssignment.id, sort_by_parameter_order=True),
                               rows))
    school_id = classes[specs[0].class_id].school_id
    audit.append_many(session, actor, [
        AuditRecord("create", "teaching_assignment", ta_id, None, row, school_id) for ta_id, row in zip(ids, rows)
    ])
    return list(session.scalars(select(TeachingAssignment).where(TeachingAssignment.id.in_(ids))
                                .order_by(TeachingAssignment.id)))


# --- first run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Initialised:
    """What ``initialise_school`` did: the school and its first administrator, or nothing (``existed``)."""

    school: School
    admin: User | None
    existed: bool


def initialise_school(session: Session, *, code: str, name: str, district: str, province: str,
                      admin_username: str, admin_full_name: str, admin_password: str,
                      managing_office: str | None = None, password_hash: str | None = None) -> Initialised:
    """Create a school with its managing office and first administrator (the installation acts).

    A school already holding this code is left exactly as it is (``existed``): running the first-run
    command twice changes nothing.
    """
    from records.services import accounts

    found = session.scalars(select(School).where(School.code == code.strip())).one_or_none()
    if found is not None:
        return Initialised(found, None, True)
    accounts.check_password(admin_password, admin_username)
    system = Actor.system("khởi tạo trường")
    school = create_school(session, system, code=code, name=name, district=district, province=province,
                           managing_office=managing_office)
    admin = create_user(session, system, username=admin_username, full_name=admin_full_name, school=school,
                        roles=(Role.ADMINISTRATOR,))
    accounts.set_password(session, system, admin, admin_password, password_hash=password_hash)
    return Initialised(school, admin, False)


# --- the calendar -------------------------------------------------------------------------------


def province_cutoff(session: Session, province: str, start_year: int) -> dt.date | None:
    """The mark cut-off day a province set for its schools' year ``start_year`` (None: not set)."""
    row = session.scalars(select(ProvinceCalendar).where(ProvinceCalendar.province == province)).one_or_none()
    if row is None:
        return None
    return dt.date(start_year + 1, row.cutoff_month, row.cutoff_day)


def set_province_cutoff(session: Session, actor: Actor, province: str, month: int, day: int) -> ProvinceCalendar:
    """Set the province's default mark cut-off day (31 May by CV 1540 unless the province decides)."""
    require(session, actor, Action.SCHOOL_SETUP, Scope(description_vi=f"tỉnh {province}"))
    try:
        dt.date(2001, month, day)
    except ValueError as exc:
        raise ValidationError("Ngày khóa điểm không hợp lệ.", f"bad cut-off day {month}-{day}") from exc
    if month not in (4, 5, 6, 7):
        raise ValidationError("Ngày khóa điểm phải trong khoảng tháng 4 đến tháng 7.", f"cut-off month {month}")
    row = session.scalars(select(ProvinceCalendar).where(ProvinceCalendar.province == province)).one_or_none()
    before = None if row is None else {"month": row.cutoff_month, "day": row.cutoff_day}
    if row is None:
        row = ProvinceCalendar(province=province)
        session.add(row)
    row.cutoff_month, row.cutoff_day = month, day
    session.flush()
    _trace(session, actor, "update", "province_calendar", row.id, before, {"month": month, "day": day}, None)
    return row


def update_school_year(session: Session, actor: Actor, year: SchoolYear, *, starts_on: dt.date,
                       term1_ends_on: dt.date, ends_on: dt.date, mark_cutoff: dt.date) -> SchoolYear:
    """Change a year's dates: start, end of term I (term II starts the next day), end, mark cut-off."""
    require(session, actor, Action.SCHOOL_SETUP, year)
    if not starts_on < term1_ends_on < ends_on:
        raise ValidationError("Ngày bắt đầu, kết thúc học kì I và kết thúc năm học không hợp lệ.",
                              "school year dates out of order")
    if not starts_on < mark_cutoff <= ends_on + dt.timedelta(days=62):
        raise ValidationError("Ngày khóa điểm phải sau ngày bắt đầu năm học.", "cut-off out of the year")
    terms = {t.number: t for t in session.scalars(select(Term).where(Term.school_year_id == year.id))}
    before = {"starts_on": year.starts_on, "term1_ends_on": terms[1].ends_on, "ends_on": year.ends_on,
              "mark_cutoff": year.mark_cutoff}
    year.starts_on, year.ends_on, year.mark_cutoff = starts_on, ends_on, mark_cutoff
    terms[1].starts_on, terms[1].ends_on = starts_on, term1_ends_on
    terms[2].starts_on, terms[2].ends_on = term1_ends_on + dt.timedelta(days=1), ends_on
    session.flush()
    _trace(session, actor, "update", "school_year", year.id, before,
           {"starts_on": starts_on, "term1_ends_on": term1_ends_on, "ends_on": ends_on,
            "mark_cutoff": mark_cutoff}, year.school_id)
    return year


def set_regime(session: Session, actor: Actor, grade: Grade, regime: str) -> Grade:
    """Set the regulation that assesses a grade in its year (tt58, tt26 or tt22), before marks exist."""
    from records.models import Enrolment, Mark

    require(session, actor, Action.SCHOOL_SETUP, grade)
    if regime not in ("tt58", "tt26", "tt22"):
        raise ValidationError("Thông tư đánh giá phải là TT58, TT26 hoặc TT22.", f"unknown regime {regime!r}")
    if regime == grade.regime:
        return grade
    has_marks = session.scalar(select(Mark.id).join(Enrolment, Enrolment.id == Mark.enrolment_id)
                               .join(Class, Class.id == Enrolment.class_id)
                               .where(Class.grade_id == grade.id).limit(1))
    if has_marks is not None:
        raise ConflictError(f"Khối {grade.level} đã có điểm: không đổi được thông tư đánh giá.",
                            f"grade {grade.id} has marks")
    before = grade.regime
    grade.regime = regime
    session.flush()
    year = session.get(SchoolYear, grade.school_year_id)
    _trace(session, actor, "update", "grade", grade.id, {"regime": before}, {"regime": regime},
           year.school_id if year else None)
    return grade


# --- teaching assignments between terms -----------------------------------------------------------


def remove_assignment(session: Session, actor: Actor, assignment: TeachingAssignment) -> None:
    """Withdraw a teaching assignment that has no marks yet (a changed plan); the trace keeps it."""
    from records.models import Enrolment, Mark

    require(session, actor, Action.ASSIGNMENTS_WRITE, assignment)
    used = session.scalar(select(Mark.id).join(Enrolment, Enrolment.id == Mark.enrolment_id).where(
        Enrolment.class_id == assignment.class_id, Mark.subject_id == assignment.subject_id,
        Mark.term_id == assignment.term_id, Mark.entered_by_id == assignment.teacher_id).limit(1))
    if used is not None:
        raise ConflictError("Giáo viên đã nhập điểm theo phân công này: không xóa được phân công.",
                            f"assignment {assignment.id} has marks")
    klass = session.get(Class, assignment.class_id)
    state = {"teacher_id": assignment.teacher_id, "class_id": assignment.class_id,
             "subject_id": assignment.subject_id, "term_id": assignment.term_id}
    session.delete(assignment)
    session.flush()
    _trace(session, actor, "delete", "teaching_assignment", assignment.id, state, None,
           klass.school_id if klass else None)


def copy_assignments(session: Session, actor: Actor, source: Term, target: Term) -> list[TeachingAssignment]:
    """Carry the assignments of a term over to another term of the same year (those not declared yet)."""
    if source.school_year_id != target.school_year_id or source.id == target.id:
        raise ValidationError("Chỉ chép phân công giữa hai học kì của cùng năm học.", "terms of another year")
    have = {(a.teacher_id, a.class_id, a.subject_id) for a in session.scalars(
        select(TeachingAssignment).where(TeachingAssignment.term_id == target.id))}
    specs = [AssignmentSpec(a.teacher_id, a.class_id, a.subject_id, target.id, a.note)
             for a in session.scalars(select(TeachingAssignment).where(TeachingAssignment.term_id == source.id)
                                      .order_by(TeachingAssignment.id))
             if (a.teacher_id, a.class_id, a.subject_id) not in have]
    return assign_teachers(session, actor, specs)


def set_roles(session: Session, actor: Actor, user: User, roles: Iterable[Role]) -> None:
    """Make the user's roles in their school exactly ``roles`` (grants added, others revoked; all traced)."""
    school = session.get(School, user.school_id) if user.school_id is not None else None
    if school is None:
        raise ValidationError("Tài khoản cấp huyện do hệ thống cấp quyền.", f"user {user.id} has no school")
    wanted = set(roles)
    live = list(session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.school_id == school.id,
                                                        RoleGrant.revoked_at.is_(None))))
    for grant in live:
        if Role(grant.role) not in wanted:
            revoke_role(session, actor, grant)
    held = {Role(grant.role) for grant in live}
    for role in Role:
        if role in wanted and role not in held:
            grant_role(session, actor, user, role, school=school)
