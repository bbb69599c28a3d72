"""People: users and their roles, students, enrolments, teaching assignments."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.models.base import Base, UTCDateTime, str_enum, utcnow
from records.models.school import Class, School, Subject, Term


class Role(str, enum.Enum):
    """Roles a user may hold in a school (inspectors may hold theirs district-wide)."""

    PRINCIPAL = "principal"  # Hiệu trưởng
    VICE_PRINCIPAL = "vice_principal"  # Phó hiệu trưởng
    ADMINISTRATOR = "administrator"  # Quản trị hệ thống
    HEAD_OF_DEPARTMENT = "head_of_department"  # Tổ trưởng chuyên môn
    HOMEROOM_TEACHER = "homeroom_teacher"  # Giáo viên chủ nhiệm
    SUBJECT_TEACHER = "subject_teacher"  # Giáo viên bộ môn
    OFFICE = "office"  # Văn phòng
    INSPECTOR = "inspector"  # Thanh tra / kiểm tra

    @property
    def label_vi(self) -> str:
        """Vietnamese name of the role."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.PRINCIPAL: "Hiệu trưởng",
    Role.VICE_PRINCIPAL: "Phó hiệu trưởng",
    Role.ADMINISTRATOR: "Quản trị hệ thống",
    Role.HEAD_OF_DEPARTMENT: "Tổ trưởng chuyên môn",
    Role.HOMEROOM_TEACHER: "Giáo viên chủ nhiệm",
    Role.SUBJECT_TEACHER: "Giáo viên bộ môn",
    Role.OFFICE: "Văn phòng",
    Role.INSPECTOR: "Thanh tra",
}


class User(Base):
    """A person who logs in: teacher, leader, office staff, administrator, inspector."""

    __tablename__ = "user_"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)  # a disabled account keeps its history
    department: Mapped[str | None] = mapped_column(String(120))  # tổ chuyên môn
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    must_change_password: Mapped[bool] = mapped_column(default=False)  # after an administrator's reset
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    school: Mapped[School | None] = relationship()
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", foreign_keys="RoleGrant.user_id", order_by="RoleGrant.id"
    )


class RoleGrant(Base):
    """A role held by a user, in one school or (inspectors) district-wide."""

    __tablename__ = "role_grant"
    __table_args__ = (
        CheckConstraint("school_id IS NOT NULL OR district IS NOT NULL", name="scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_.id"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, 30))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    district: Mapped[str | None] = mapped_column(String(120))  # district-wide scope
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    school: Mapped[School | None] = relationship()


class Gender(str, enum.Enum):
    """Gender as the Ministry's forms record it."""

    MALE = "Nam"
    FEMALE = "Nữ"


class Student(Base):
    """A student and their personal data (sơ yếu lý lịch)."""

    __tablename__ = "student"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)  # school holding the record
    code: Mapped[str] = mapped_column(String(32), unique=True)  # Mã học sinh
    moet_id: Mapped[str | None] = mapped_column(String(32))  # Mã định danh Bộ GD&ĐT
    citizen_id: Mapped[str | None] = mapped_column(String(20))  # Số định danh cá nhân
    register_number: Mapped[str | None] = mapped_column(String(32))  # Số đăng bộ, "12/THCS"
    course: Mapped[str | None] = mapped_column(String(20))  # khóa học, "2022-2026"
    family_name: Mapped[str] = mapped_column(String(60))
    middle_name: Mapped[str] = mapped_column(String(60), default="")
    given_name: Mapped[str] = mapped_column(String(60))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    gender: Mapped[Gender] = mapped_column(str_enum(Gender, 5))
    ethnicity: Mapped[str] = mapped_column(String(40), default="Kinh")
    nationality: Mapped[str] = mapped_column(String(40), default="Việt Nam")
    place_of_birth: Mapped[str | None] = mapped_column(String(200))
    hometown: Mapped[str | None] = mapped_column(String(200))  # quê quán
    permanent_address: Mapped[str | None] = mapped_column(String(300))
    current_address: Mapped[str | None] = mapped_column(String(300))
    policy_category: Mapped[str | None] = mapped_column(String(120))  # đối tượng chính sách
    father_name: Mapped[str | None] = mapped_column(String(120))
    father_occupation: Mapped[str | None] = mapped_column(String(120))
    mother_name: Mapped[str | None] = mapped_column(String(120))
    mother_occupation: Mapped[str | None] = mapped_column(String(120))
    guardian_name: Mapped[str | None] = mapped_column(String(120))
    guardian_occupation: Mapped[str | None] = mapped_column(String(120))
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    photo_mime: Mapped[str | None] = mapped_column(String(40))
    entry_date: Mapped[dt.date | None] = mapped_column(Date)  # ngày vào trường
    entry_grade: Mapped[int | None] = mapped_column(Integer)
    entry_from_school: Mapped[str | None] = mapped_column(String(200))  # từ trường nào đến
    left_on: Mapped[dt.date | None] = mapped_column(Date)  # ngày rời trường
    left_reason: Mapped[str | None] = mapped_column(String(200))  # chuyển trường / bỏ học / hoàn thành
    left_to_school: Mapped[str | None] = mapped_column(String(200))

    school: Mapped[School] = relationship()
    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="student", order_by="Enrolment.id")

    @property
    def full_name(self) -> str:
        """Family, middle and given name, as written on every form."""
        return " ".join(p for p in (self.family_name, self.middle_name, self.given_name) if p)


class EnrolmentStatus(str, enum.Enum):
    """Where an enrolment stands."""

    ACTIVE = "active"
    TRANSFERRED_OUT = "transferred_out"  # chuyển đi
    DROPPED_OUT = "dropped_out"  # bỏ học


class Enrolment(Base):
    """A student in a class for a school year, with the roll number (STT) used on every page."""

    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("student_id", "class_id"),
        UniqueConstraint("class_id", "roll_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_.id"), index=True)
    roll_number: Mapped[int] = mapped_column(Integer)
    enrolled_on: Mapped[dt.date] = mapped_column(Date)
    transferred_in: Mapped[bool] = mapped_column(default=False)  # came from another school this year
    from_school: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[EnrolmentStatus] = mapped_column(
        str_enum(EnrolmentStatus, 20), default=EnrolmentStatus.ACTIVE
    )
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    to_school: Mapped[str | None] = mapped_column(String(200))
    repeating: Mapped[bool] = mapped_column(default=False)  # lưu ban: repeats the grade

    student: Mapped[Student] = relationship(back_populates="enrolments")
    class_: Mapped[Class] = relationship(back_populates="enrolments")


class TeachingAssignment(Base):
    """A teacher teaches a subject in a class during a term (several teachers may share one)."""

    __tablename__ = "teaching_assignment"
    __table_args__ = (UniqueConstraint("teacher_id", "class_id", "subject_id", "term_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("user_.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    note: Mapped[str | None] = mapped_column(Text)

    teacher: Mapped[User] = relationship(foreign_keys=[teacher_id])
    class_: Mapped[Class] = relationship()
    subject: Mapped[Subject] = relationship()
    term: Mapped[Term] = relationship()
