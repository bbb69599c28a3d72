"""Who may do what: actors, actions and the one table of rights (``POLICY``).

Every service calls ``require(session, actor, action, target)`` before it touches anything. The
target is a model instance (School, SchoolYear, Term, Class, Enrolment, Student, TeachingAssignment,
Mark, …) or a ``Scope``; the school, class, subject and term it concerns are derived from it, and
the rules of ``POLICY[action]`` are tried in turn — one that holds is enough.

Sources: CV hướng dẫn sử dụng sổ điện tử §2.2.2 (responsibilities of the principal, homeroom and
subject teachers, the administrator) and §2.2.3 (corrections, printing by the office).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from records.errors import NotFoundError, PermissionDeniedError
from records.models import (
    ArchiveItem,
    Attendance,
    Class,
    Conduct,
    CorrectionRequest,
    Enrolment,
    Grade,
    GradeSubject,
    HomeroomComment,
    Inspection,
    InspectorAccess,
    LockDecision,
    Mark,
    Period,
    Role,
    RoleGrant,
    School,
    SchoolYear,
    Student,
    StudentResult,
    Subject,
    SubjectComment,
    SubjectResult,
    TeachingAssignment,
    Term,
    User,
)
from records.services.context import today as _today

SYSTEM_USERNAME = "system"


class Action(StrEnum):
    """Every checked action, '<area>:<resource>:<verb>'. Keep sorted."""

    ACCOUNTS_MANAGE = "records:accounts:manage"
    ARCHIVE_DELETE = "archive:items:delete"
    ARCHIVE_EXPORT = "archive:items:export"
    ARCHIVE_READ = "archive:items:read"
    ARCHIVE_WRITE = "archive:books:write"
    ASSIGNMENTS_WRITE = "records:assignments:write"
    ATTENDANCE_WRITE = "records:attendance:write"
    AUDIT_READ = "records:audit:read"
    AUDIT_SEAL = "records:audit:seal"
    BOOKS_PRINT = "layouts:books:print"
    COMMENTS_WRITE = "records:comments:write"
    CONDUCT_WRITE = "records:conduct:write"
    COPIES_ISSUE = "archive:copies:issue"
    COPIES_REQUEST = "archive:copies:request"
    CORRECTION_APPLY = "records:corrections:apply"
    CORRECTION_APPROVE = "records:corrections:approve"
    CORRECTION_REQUEST = "records:corrections:request"
    CORRECTION_WITNESS = "records:corrections:witness"
    DATA_BACKUP = "records:data:backup"
    EDITIONS_READ = "signing:editions:read"
    EDITIONS_REVOKE = "signing:editions:revoke"
    ENROLMENT_WRITE = "records:enrolment:write"
    HOMEROOM_COMMENTS_WRITE = "records:homeroom_comments:write"
    INSPECTION_RECORD = "records:inspections:record"
    INSPECTORS_GRANT = "archive:inspectors:grant"
    LOCK_DECIDE = "records:locks:decide"
    LOCK_EXECUTE = "records:locks:execute"
    MARKS_WRITE = "records:marks:write"
    RECORDS_READ = "records:records:read"
    RESULTS_APPROVE = "records:results:approve"
    RESULTS_COMPUTE = "records:results:compute"
    RIGHTS_GRANT = "records:rights:grant"
    SCHOOL_SETUP = "records:school:setup"
    STUDENTS_WRITE = "records:students:write"

    @property
    def label_vi(self) -> str:
        """What the action is, in Vietnamese (used in refusals)."""
        return ACTION_LABELS[self]


ACTION_LABELS: Mapping[Action, str] = MappingProxyType({
    Action.ARCHIVE_DELETE: "hủy hồ sơ lưu trữ đã hết thời hạn bảo quản",
    Action.ARCHIVE_EXPORT: "xuất hồ sơ lưu trữ",
    Action.ARCHIVE_READ: "xem hồ sơ lưu trữ",
    Action.ACCOUNTS_MANAGE: "quản lí tài khoản (đặt lại mật khẩu, khóa, mở khóa)",
    Action.ARCHIVE_WRITE: "lưu trữ sổ sách",
    Action.ASSIGNMENTS_WRITE: "ghi phân công giảng dạy",
    Action.ATTENDANCE_WRITE: "ghi điểm danh (kiểm diện)",
    Action.AUDIT_READ: "xem nhật kí lưu vết",
    Action.AUDIT_SEAL: "niêm phong nhật kí lưu vết",
    Action.BOOKS_PRINT: "in sổ",
    Action.COMMENTS_WRITE: "ghi nhận xét môn học",
    Action.CONDUCT_WRITE: "ghi xếp loại hạnh kiểm / rèn luyện",
    Action.COPIES_ISSUE: "cấp bản sao học bạ (in bản sao, lập biên bản)",
    Action.COPIES_REQUEST: "tiếp nhận đơn đề nghị cấp bản sao học bạ",
    Action.CORRECTION_APPLY: "thực hiện sửa chữa đã duyệt",
    Action.CORRECTION_APPROVE: "duyệt đơn đề nghị sửa chữa",
    Action.CORRECTION_REQUEST: "lập đơn đề nghị sửa chữa",
    Action.CORRECTION_WITNESS: "chứng kiến việc sửa chữa",
    Action.DATA_BACKUP: "sao lưu và khôi phục toàn bộ dữ liệu",
    Action.EDITIONS_READ: "xem danh sách bản in",
    Action.EDITIONS_REVOKE: "thu hồi bản in",
    Action.ENROLMENT_WRITE: "ghi tiếp nhận, chuyển lớp, chuyển trường của học sinh",
    Action.HOMEROOM_COMMENTS_WRITE: "ghi nhận xét của giáo viên chủ nhiệm",
    Action.INSPECTION_RECORD: "lập biên bản kiểm tra",
    Action.INSPECTORS_GRANT: "cấp quyền truy cập hồ sơ lưu trữ cho thanh tra",
    Action.LOCK_DECIDE: "quyết định khóa / mở sổ",
    Action.LOCK_EXECUTE: "thực hiện khóa / mở sổ",
    Action.MARKS_WRITE: "nhập điểm",
    Action.RECORDS_READ: "xem hồ sơ",
    Action.RESULTS_APPROVE: "phê duyệt kết quả đánh giá, xếp loại",
    Action.RESULTS_COMPUTE: "tính kết quả đánh giá, xếp loại",
    Action.RIGHTS_GRANT: "phân quyền",
    Action.SCHOOL_SETUP: "khai báo dữ liệu nhà trường",
    Action.STUDENTS_WRITE: "cập nhật danh sách lớp và sơ yếu lí lịch học sinh",
})


@dataclass(frozen=True)
class Grant:
    """A role held in one school (``school_id``) or across a district (``district``)."""

    role: Role
    school_id: int | None
    district: str | None = None


@dataclass(frozen=True)
class Actor:
    """Who acts: a user with their active role grants, or the installation itself (``system``)."""

    user_id: int | None
    username: str
    full_name: str
    grants: tuple[Grant, ...] = ()
    reason: str | None = None  # why the installation acts (system actor only)
    session_id: int | None = None  # the authenticated session (web or command line) acting, if any

    @classmethod
    def load(cls, session: Session, user_id: int) -> Actor:
        """The actor of a user, with their grants that are not revoked."""
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError("Không tìm thấy người dùng.", f"user {user_id} not found")
        return cls._of(session, user)

    @classmethod
    def by_username(cls, session: Session, username: str) -> Actor:
        """The actor of a user named by their login name."""
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None:
            raise NotFoundError(f"Không có người dùng “{username}”.", f"no user {username!r}")
        return cls._of(session, user)

    @classmethod
    def _of(cls, session: Session, user: User) -> Actor:
        if not user.active:
            raise PermissionDeniedError(
                f"Tài khoản {user.username} đã bị khóa.", f"user {user.username} is inactive"
            )
        rows = session.scalars(
            select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.revoked_at.is_(None))
            .order_by(RoleGrant.id)
        )
        grants = tuple(Grant(g.role, g.school_id, g.district) for g in rows)
        return cls(user.id, user.username, user.full_name, grants)

    @classmethod
    def system(cls, reason: str) -> Actor:
        """The installation itself (set-up, migrations, demo bootstrap); traced as 'system'."""
        return cls(None, SYSTEM_USERNAME, f"Hệ thống ({reason})", (), reason)

    @property
    def is_system(self) -> bool:
        """True for the installation actor."""
        return self.user_id is None

    def roles_in(self, school_id: int | None, district: str | None = None) -> frozenset[Role]:
        """Roles this actor holds over a school (its own grants, or district-wide ones)."""
        return frozenset(
            g.role for g in self.grants
            if (school_id is not None and g.school_id == school_id)
            or (g.district is not None and district is not None and g.district == district)
        )


@dataclass(frozen=True)
class Scope:
    """What a target concerns: its school (and district), year, term, class, subject, student."""

    school_id: int | None = None
    district: str | None = None
    school_year_id: int | None = None
    term_id: int | None = None
    class_id: int | None = None
    subject_id: int | None = None
    student_id: int | None = None
    teacher_id: int | None = None  # the teacher of a teaching assignment
    homeroom_teacher_id: int | None = None
    description_vi: str = "hồ sơ"


@dataclass(frozen=True)
class Check:
    """Everything a rule looks at."""

    session: Session
    actor: Actor
    scope: Scope
    today: dt.date


@dataclass(frozen=True)
class Condition:
    """A condition on the actor and target beyond holding the role (``holds(check)``)."""

    name: str
    description_vi: str
    holds: Callable[[Check], bool] = field(compare=False)


@dataclass(frozen=True)
class Rule:
    """Allowed when the actor holds ``role`` over the target's school and the condition holds.

    ``role=None`` is the installation's rule: only the system actor matches it.
    """

    role: Role | None
    condition: Condition | None = None

    def allows(self, check: Check) -> bool:
        """Does this rule allow the check?"""
        if self.role is None:
            return check.actor.is_system
        if check.actor.is_system or check.scope.school_id is None:
            return False
        if self.role not in check.actor.roles_in(check.scope.school_id, check.scope.district):
            return False
        return self.condition is None or self.condition.holds(check)

    @property
    def description_vi(self) -> str:
        """Who this rule lets act, in Vietnamese."""
        who = "Hệ thống (cài đặt)" if self.role is None else self.role.label_vi
        return f"{who} ({self.condition.description_vi})" if self.condition else who


# --- conditions -------------------------------------------------------------------------------


def _term_is_current(check: Check, term_id: int | None) -> bool:
    term = check.session.get(Term, term_id) if term_id is not None else None
    return term is not None and term.starts_on <= check.today <= term.ends_on


def _teaches(check: Check, *, current: bool) -> bool:
    s = check.scope
    uid = check.actor.user_id
    if s.teacher_id is not None:  # the target is a teaching assignment
        return s.teacher_id == uid and (not current or _term_is_current(check, s.term_id))
    if s.class_id is None or s.subject_id is None or s.term_id is None:
        return False
    found = check.session.scalar(select(exists().where(
        TeachingAssignment.teacher_id == uid, TeachingAssignment.class_id == s.class_id,
        TeachingAssignment.subject_id == s.subject_id, TeachingAssignment.term_id == s.term_id,
    )))
    return bool(found) and (not current or _term_is_current(check, s.term_id))


def _teaches_class(check: Check) -> bool:
    s = check.scope
    if s.class_id is None:
        return False
    return bool(check.session.scalar(select(exists().where(
        TeachingAssignment.teacher_id == check.actor.user_id, TeachingAssignment.class_id == s.class_id,
    ))))


def _same_department(check: Check) -> bool:
    s = check.scope
    if s.teacher_id is None:
        return False
    me = check.session.get(User, check.actor.user_id)
    teacher = check.session.get(User, s.teacher_id)
    return bool(me and teacher and me.department and me.department == teacher.department)


OWN_ASSIGNMENT_CURRENT_TERM = Condition(
    "own_assignment_current_term", "môn, lớp được phân công giảng dạy, trong học kì hiện tại",
    lambda c: _teaches(c, current=True),
)
OWN_ASSIGNMENT = Condition(
    "own_assignment", "môn, lớp, học kì được phân công giảng dạy", lambda c: _teaches(c, current=False)
)
OWN_HOMEROOM = Condition(
    "own_homeroom", "lớp mình chủ nhiệm",
    lambda c: c.scope.homeroom_teacher_id is not None and c.scope.homeroom_teacher_id == c.actor.user_id,
)
TEACHES_CLASS = Condition("teaches_class", "lớp mình giảng dạy", _teaches_class)
OWN_DEPARTMENT = Condition("own_department", "giáo viên thuộc tổ chuyên môn của mình", _same_department)



def _inspection_window(check: Check) -> bool:
    """An access window granted to this inspector covers the target's school and year today."""
    s = check.scope
    if s.school_id is None or check.actor.user_id is None:
        return False
    year = (InspectorAccess.school_year_id.is_(None) if s.school_year_id is None
            else or_(InspectorAccess.school_year_id.is_(None), InspectorAccess.school_year_id == s.school_year_id))
    return bool(check.session.scalar(select(exists().where(
        InspectorAccess.user_id == check.actor.user_id, InspectorAccess.school_id == s.school_id, year,
        InspectorAccess.starts_on <= check.today, InspectorAccess.ends_on >= check.today,
        InspectorAccess.revoked_at.is_(None),
    ))))


INSPECTION_WINDOW = Condition(
    "inspection_window", "trong phạm vi trường, năm học và thời hạn được cấp", _inspection_window
)

R = Role
POLICY: Mapping[Action, tuple[Rule, ...]] = MappingProxyType({
    # Destroying an archived item whose retention ended is the head's decision (like locking a book).
    Action.ARCHIVE_DELETE: (Rule(R.PRINCIPAL),),
    Action.ARCHIVE_EXPORT: (Rule(R.PRINCIPAL), Rule(R.INSPECTOR, INSPECTION_WINDOW)),
    Action.ARCHIVE_READ: (
        Rule(R.PRINCIPAL), Rule(R.VICE_PRINCIPAL), Rule(R.ADMINISTRATOR), Rule(R.OFFICE),
        Rule(R.INSPECTOR, INSPECTION_WINDOW),
    ),
    Action.ACCOUNTS_MANAGE: (Rule(None), Rule(R.ADMINISTRATOR)),
    Action.ARCHIVE_WRITE: (Rule(R.OFFICE),),
    Action.ASSIGNMENTS_WRITE: (
        Rule(R.ADMINISTRATOR), Rule(R.VICE_PRINCIPAL), Rule(R.HEAD_OF_DEPARTMENT, OWN_DEPARTMENT),
    ),
    Action.ATTENDANCE_WRITE: (Rule(R.HOMEROOM_TEACHER, OWN_HOMEROOM),),
    Action.AUDIT_READ: (Rule(R.PRINCIPAL), Rule(R.VICE_PRINCIPAL), Rule(R.ADMINISTRATOR), Rule(R.INSPECTOR)),
    Action.AUDIT_SEAL: (Rule(None), Rule(R.ADMINISTRATOR)),
    Action.BOOKS_PRINT: (Rule(R.OFFICE),),
    Action.COMMENTS_WRITE: (Rule(R.SUBJECT_TEACHER, OWN_ASSIGNMENT_CURRENT_TERM),),
    Action.CONDUCT_WRITE: (Rule(R.HOMEROOM_TEACHER, OWN_HOMEROOM),),
    # CV §3 d: "các bộ phận, cá nhân có thẩm quyền tổ chức in học bạ từ phần mềm": the office receives
    # the request (checks the identity document) and prints; the principal signs on paper.
    Action.COPIES_ISSUE: (Rule(R.OFFICE),),
    Action.COPIES_REQUEST: (Rule(R.OFFICE),),
    Action.CORRECTION_APPLY: (Rule(R.ADMINISTRATOR),),
    Action.CORRECTION_APPROVE: (Rule(R.PRINCIPAL),),
    Action.CORRECTION_REQUEST: (Rule(R.SUBJECT_TEACHER, OWN_ASSIGNMENT),),
    Action.CORRECTION_WITNESS: (Rule(R.PRINCIPAL), Rule(R.VICE_PRINCIPAL), Rule(R.ADMINISTRATOR)),
    # A backup holds every school of the installation and a restore replaces the whole database: the
    # installation's operator (the command line on the server), not a school's user.
    Action.DATA_BACKUP: (Rule(None),),
    # Withdrawing a printed edition is a leadership decision, like locking a book or approving a
    # correction (CV §2.2.2 a: the principal "quyết định, xác nhận thời điểm, nội dung sửa chữa"); the
    # directive gives the vice principal no such right, so the principal alone (the office prints).
    Action.EDITIONS_READ: (
        Rule(R.PRINCIPAL), Rule(R.VICE_PRINCIPAL), Rule(R.ADMINISTRATOR), Rule(R.OFFICE), Rule(R.INSPECTOR),
    ),
    Action.EDITIONS_REVOKE: (Rule(R.PRINCIPAL),),
    Action.ENROLMENT_WRITE: (Rule(R.ADMINISTRATOR),),
    Action.HOMEROOM_COMMENTS_WRITE: (Rule(R.HOMEROOM_TEACHER, OWN_HOMEROOM),),
    Action.INSPECTION_RECORD: (Rule(R.PRINCIPAL), Rule(R.VICE_PRINCIPAL)),
    Action.INSPECTORS_GRANT: (Rule(R.ADMINISTRATOR),),
    Action.LOCK_DECIDE: (Rule(R.PRINCIPAL),),
    Action.LOCK_EXECUTE: (Rule(R.ADMINISTRATOR),),
    Action.MARKS_WRITE: (Rule(R.SUBJECT_TEACHER, OWN_ASSIGNMENT_CURRENT_TERM),),
    # The installation reads every record: drafts printed on the server's command line without a user
    # (``sodientu print … --draft``) read through the same checked services as everyone else.
    Action.RECORDS_READ: (
        Rule(None), Rule(R.PRINCIPAL), Rule(R.VICE_PRINCIPAL), Rule(R.ADMINISTRATOR), Rule(R.HEAD_OF_DEPARTMENT),
        Rule(R.OFFICE), Rule(R.INSPECTOR), Rule(R.HOMEROOM_TEACHER, OWN_HOMEROOM),
        Rule(R.SUBJECT_TEACHER, TEACHES_CLASS),
    ),
    Action.RESULTS_APPROVE: (Rule(R.PRINCIPAL),),
    Action.RESULTS_COMPUTE: (
        Rule(R.PRINCIPAL), Rule(R.VICE_PRINCIPAL), Rule(R.ADMINISTRATOR), Rule(R.HOMEROOM_TEACHER, OWN_HOMEROOM),
    ),
    Action.RIGHTS_GRANT: (Rule(None), Rule(R.ADMINISTRATOR)),
    Action.SCHOOL_SETUP: (Rule(None), Rule(R.ADMINISTRATOR)),
    Action.STUDENTS_WRITE: (Rule(R.HOMEROOM_TEACHER, OWN_HOMEROOM), Rule(R.ADMINISTRATOR)),
})
del R


# --- targets ----------------------------------------------------------------------------------


def _year_scope(session: Session, year_id: int | None, **kw: object) -> Scope:
    year = session.get(SchoolYear, year_id) if year_id is not None else None
    school = session.get(School, year.school_id) if year else None
    return Scope(school_id=school.id if school else None, district=school.district if school else None,
                 school_year_id=year_id, **kw)  # type: ignore[arg-type]


def _class_scope(session: Session, class_id: int | None, **kw: object) -> Scope:
    klass = session.get(Class, class_id) if class_id is not None else None
    if klass is None:
        return Scope(**kw)  # type: ignore[arg-type]
    grade = session.get(Grade, klass.grade_id)
    year = session.get(SchoolYear, grade.school_year_id) if grade else None
    school = session.get(School, klass.school_id)
    kw.setdefault("description_vi", f"lớp {klass.name}" + (f" năm học {year.name}" if year else ""))
    return Scope(school_id=klass.school_id, district=school.district if school else None,
                 school_year_id=year.id if year else None, class_id=klass.id,
                 homeroom_teacher_id=klass.homeroom_teacher_id, **kw)  # type: ignore[arg-type]


def _term_of_period(session: Session, class_id: int, period: Period | str) -> int | None:
    """The term a period's entries belong to: HK1 → term 1; HK2 and the year → term 2."""
    scope = _class_scope(session, class_id)
    number = 1 if Period(period) is Period.TERM1 else 2
    return session.scalar(select(Term.id).where(Term.school_year_id == scope.school_year_id,
                                                Term.number == number))


def _term_of_day(session: Session, year_id: int | None, day: dt.date) -> int | None:
    return session.scalar(select(Term.id).where(Term.school_year_id == year_id, Term.starts_on <= day,
                                                Term.ends_on >= day))


def _subject_text(session: Session, subject_id: int | None, term_id: int | None) -> str:
    subject = session.get(Subject, subject_id) if subject_id is not None else None
    term = session.get(Term, term_id) if term_id is not None else None
    parts = [f"môn {subject.name}" if subject else "", term.name if term else ""]
    return ", ".join(p for p in parts if p)


def _enrolment_scope(session: Session, enrolment_id: int, subject_id: int | None = None,
                     term_id: int | None = None, what: str = "") -> Scope:
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise NotFoundError("Không tìm thấy học sinh trong lớp.", f"enrolment {enrolment_id} not found")
    student = session.get(Student, enrolment.student_id)
    base = _class_scope(session, enrolment.class_id)
    desc = ", ".join(p for p in (
        what, _subject_text(session, subject_id, term_id),
        f"học sinh {student.full_name}" if student else "", base.description_vi) if p)
    return Scope(school_id=base.school_id, district=base.district, school_year_id=base.school_year_id,
                 term_id=term_id, class_id=base.class_id, subject_id=subject_id,
                 student_id=enrolment.student_id, homeroom_teacher_id=base.homeroom_teacher_id,
                 description_vi=desc)


def scope_of(session: Session, target: object) -> Scope:
    """What the target concerns (school, year, term, class, subject, student), for the rules."""
    if target is None:
        return Scope(description_vi="hệ thống")
    if isinstance(target, Scope):
        return target
    if isinstance(target, School):
        return Scope(school_id=target.id, district=target.district, description_vi=target.name)
    if isinstance(target, SchoolYear):
        return _year_scope(session, target.id, description_vi=f"năm học {target.name}")
    if isinstance(target, Term):
        year = session.get(SchoolYear, target.school_year_id)
        return _year_scope(session, target.school_year_id, term_id=target.id,
                           description_vi=f"{target.name} năm học {year.name if year else ''}")
    if isinstance(target, Grade):
        return _year_scope(session, target.school_year_id, description_vi=f"khối {target.level}")
    if isinstance(target, GradeSubject):
        grade = session.get(Grade, target.grade_id)
        return _year_scope(session, grade.school_year_id if grade else None, subject_id=target.subject_id,
                           description_vi=_subject_text(session, target.subject_id, None))
    if isinstance(target, Class):
        return _class_scope(session, target.id)
    if isinstance(target, Subject):
        school = session.get(School, target.school_id)
        return Scope(school_id=target.school_id, district=school.district if school else None,
                     subject_id=target.id, description_vi=f"môn {target.name}")
    if isinstance(target, TeachingAssignment):
        base = _class_scope(session, target.class_id)
        teacher = session.get(User, target.teacher_id)
        desc = f"{_subject_text(session, target.subject_id, target.term_id)}, {base.description_vi}"
        if teacher:
            desc += f" (giáo viên {teacher.full_name})"
        return Scope(school_id=base.school_id, district=base.district, school_year_id=base.school_year_id,
                     term_id=target.term_id, class_id=target.class_id, subject_id=target.subject_id,
                     teacher_id=target.teacher_id, homeroom_teacher_id=base.homeroom_teacher_id,
                     description_vi=desc)
    if isinstance(target, Enrolment):
        if target.id is None:
            return _class_scope(session, target.class_id)
        return _enrolment_scope(session, target.id)
    if isinstance(target, Student):
        return _student_scope(session, target)
    if isinstance(target, Mark):
        return _enrolment_scope(session, target.enrolment_id, target.subject_id, target.term_id, "điểm")
    if isinstance(target, (SubjectComment, SubjectResult)):
        enrolment = session.get(Enrolment, target.enrolment_id)
        term_id = _term_of_period(session, enrolment.class_id, target.period) if enrolment else None
        return _enrolment_scope(session, target.enrolment_id, target.subject_id, term_id)
    if isinstance(target, Attendance):
        base = _enrolment_scope(session, target.enrolment_id, what="điểm danh")
        term_id = _term_of_day(session, base.school_year_id, target.day)
        return Scope(**{**base.__dict__, "term_id": term_id})
    if isinstance(target, (Conduct, HomeroomComment, StudentResult)):
        enrolment = session.get(Enrolment, target.enrolment_id)
        term_id = _term_of_period(session, enrolment.class_id, target.period) if enrolment else None
        return _enrolment_scope(session, target.enrolment_id, None, term_id)
    if isinstance(target, User):
        school = session.get(School, target.school_id) if target.school_id is not None else None
        return Scope(school_id=target.school_id, district=school.district if school else None,
                     description_vi=f"người dùng {target.full_name}")
    if isinstance(target, RoleGrant):
        school = session.get(School, target.school_id) if target.school_id is not None else None
        return Scope(school_id=target.school_id, district=school.district if school else None,
                     description_vi=f"quyền {Role(target.role).label_vi}")
    if isinstance(target, CorrectionRequest):
        return _enrolment_scope(session, target.enrolment_id, target.subject_id, target.term_id,
                                f"đơn đề nghị sửa chữa số {target.id}" if target.id else "đơn đề nghị sửa chữa")
    if isinstance(target, LockDecision):
        if target.class_id is not None:
            return _class_scope(session, target.class_id, term_id=target.term_id)
        return _year_scope(session, target.school_year_id, term_id=target.term_id, description_vi="toàn trường")
    if isinstance(target, Inspection):
        if target.class_id is not None:
            return _class_scope(session, target.class_id)
        return _year_scope(session, target.school_year_id, description_vi="toàn trường")
    if isinstance(target, ArchiveItem):
        return _archive_scope(session, target)
    if isinstance(target, InspectorAccess):
        school = session.get(School, target.school_id)
        return Scope(school_id=target.school_id, district=school.district if school else None,
                     school_year_id=target.school_year_id,
                     description_vi=f"hồ sơ lưu trữ của {school.name if school else 'trường'}")
    raise TypeError(f"no permission scope for {type(target).__name__}")


def _archive_scope(session: Session, item: ArchiveItem) -> Scope:
    """An archived item's scope is its own metadata (school, year, class, first student), not today's class."""
    school = session.get(School, item.school_id)
    year = session.get(SchoolYear, item.school_year_id) if item.school_year_id is not None else None
    klass = session.get(Class, item.class_id) if item.class_id is not None else None
    desc = f"hồ sơ lưu trữ số {item.id}" if item.id is not None else "hồ sơ lưu trữ"
    desc += "".join(part for part in (f", lớp {klass.name}" if klass else "",
                                      f", năm học {year.name}" if year else "") if part)
    student_ids = item.student_ids
    return Scope(school_id=item.school_id, district=school.district if school else None,
                 school_year_id=item.school_year_id, class_id=item.class_id,
                 student_id=student_ids[0] if student_ids else None,
                 homeroom_teacher_id=klass.homeroom_teacher_id if klass else None, description_vi=desc)


_ASK = object()


def _student_scope(session: Session, student: Student, last_class_id: Any = _ASK) -> Scope:
    """``last_class_id``: the class of the student's last enrolment (highest id; None: none), if already read."""
    school = session.get(School, student.school_id) if student.school_id is not None else None
    desc = f"học sinh {student.full_name}"
    if student.id is not None:
        if last_class_id is _ASK:
            enrolment = session.scalars(select(Enrolment).where(Enrolment.student_id == student.id)
                                        .order_by(Enrolment.id.desc()).limit(1)).first()
            last_class_id = enrolment.class_id if enrolment is not None else None
        if last_class_id is not None:
            base = _class_scope(session, last_class_id)
            if base.school_id == student.school_id:
                return Scope(school_id=base.school_id, district=base.district,
                             school_year_id=base.school_year_id, class_id=base.class_id,
                             student_id=student.id, homeroom_teacher_id=base.homeroom_teacher_id,
                             description_vi=f"{desc}, {base.description_vi}")
    return Scope(school_id=student.school_id, district=school.district if school else None,
                 student_id=student.id, description_vi=desc)


def student_scopes(session: Session, student_ids: Iterable[int]) -> dict[int, Scope]:
    """``scope_of`` of many students (by id) at once: the students, their last enrolments and the classes,
    grades, years and schools these name read in one query each (per 500 students) instead of ~6 a student;
    the same ``Scope`` as ``scope_of(session, student)`` for each. Ids without a student are left out."""
    ids = sorted(set(student_ids))
    held: list[Any] = []  # the rows read, kept alive while the scopes are built (the session's map is weak)
    last: dict[int, tuple[int, int]] = {}  # student id -> (enrolment id, class id) of the highest enrolment id
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        held += session.scalars(select(Student).where(Student.id.in_(chunk)))
        for student_id, enrolment_id, class_id in session.execute(
                select(Enrolment.student_id, Enrolment.id, Enrolment.class_id).where(Enrolment.student_id.in_(chunk))):
            if student_id not in last or enrolment_id > last[student_id][0]:
                last[student_id] = (enrolment_id, class_id)
    students = [row for row in held if isinstance(row, Student)]
    class_ids = sorted({class_id for _eid, class_id in last.values()})
    for i in range(0, len(class_ids), 500):
        classes = list(session.scalars(select(Class).where(Class.id.in_(class_ids[i:i + 500]))))
        grades = list(session.scalars(select(Grade).where(Grade.id.in_({c.grade_id for c in classes}))))
        held += classes + grades
        held += session.scalars(select(SchoolYear).where(SchoolYear.id.in_({g.school_year_id for g in grades})))
    school_ids = {s.school_id for s in students} | {c.school_id for c in held if isinstance(c, Class)}
    held += session.scalars(select(School).where(School.id.in_({i for i in school_ids if i is not None})))
    return {s.id: _student_scope(session, s, last[s.id][1] if s.id in last else None) for s in students}


# --- the checks -------------------------------------------------------------------------------


def allowed(session: Session, actor: Actor, action: Action, target: object, *,
            today: dt.date | None = None) -> bool:
    """True when one rule of ``POLICY[action]`` lets the actor act on the target today."""
    check = Check(session, actor, scope_of(session, target), _today(today))
    return any(rule.allows(check) for rule in POLICY[action])


def require(session: Session, actor: Actor, action: Action, target: object, *,
            today: dt.date | None = None) -> None:
    """Raise ``PermissionDeniedError`` (naming the action and the object) unless the actor may act."""
    scope = scope_of(session, target)
    check = Check(session, actor, scope, _today(today))
    if any(rule.allows(check) for rule in POLICY[action]):
        return
    who = "; ".join(rule.description_vi for rule in POLICY[action])
    raise PermissionDeniedError(
        f"{actor.full_name} ({actor.username}) không có quyền {action.label_vi} đối với "
        f"{scope.description_vi}. Quyền này thuộc về: {who}.",
        f"{actor.username} may not {action.value} on {type(target).__name__} "
        f"(school={scope.school_id}, class={scope.class_id}, subject={scope.subject_id}, term={scope.term_id})",
    )
