"""Schools, school years, terms, grades, classes and subjects."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.models.base import Base, str_enum


class School(Base):
    """A school. One database may hold every school of a district (or province)."""

    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))  # "Trường THCS Tô Hiệu"
    district: Mapped[str] = mapped_column(String(120))  # Huyện/Quận/Thị xã/Thành phố
    province: Mapped[str] = mapped_column(String(120))  # Tỉnh/Thành phố
    commune: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(300))
    principal_name: Mapped[str | None] = mapped_column(String(120))
    managing_office: Mapped[str | None] = mapped_column(String(200))  # "Phòng GD&ĐT huyện …" (cơ quan quản lí)
    # A school of the district that keeps its records elsewhere (we hold only what it sent us).
    external: Mapped[bool] = mapped_column(default=False)

    years: Mapped[list[SchoolYear]] = relationship(back_populates="school", order_by="SchoolYear.start_year")


class ProvinceCalendar(Base):
    """A province's defaults for its schools' years: the mark cut-off day (31 May unless it decides)."""

    __tablename__ = "province_calendar"

    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(120), unique=True)
    cutoff_month: Mapped[int] = mapped_column(Integer, default=5)
    cutoff_day: Mapped[int] = mapped_column(Integer, default=31)


class SchoolYear(Base):
    """A school year of one school, e.g. 2025-2026 (start_year = 2025)."""

    __tablename__ = "school_year"
    __table_args__ = (UniqueConstraint("school_id", "start_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    start_year: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    # After this date nobody changes a mark except through an approved correction (CV 1540: 31/5).
    mark_cutoff: Mapped[dt.date] = mapped_column(Date)

    school: Mapped[School] = relationship(back_populates="years")
    terms: Mapped[list[Term]] = relationship(back_populates="school_year", order_by="Term.number")
    grades: Mapped[list[Grade]] = relationship(back_populates="school_year", order_by="Grade.level")

    @property
    def name(self) -> str:
        """Display name, "2025-2026"."""
        return f"{self.start_year}-{self.start_year + 1}"


class Term(Base):
    """Học kì I (number 1) or Học kì II (number 2) of a school year."""

    __tablename__ = "term"
    __table_args__ = (
        UniqueConstraint("school_year_id", "number"),
        CheckConstraint("number IN (1, 2)", name="number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)

    school_year: Mapped[SchoolYear] = relationship(back_populates="terms")

    @property
    def name(self) -> str:
        """"Học kì I" / "Học kì II"."""
        return "Học kì I" if self.number == 1 else "Học kì II"


class Grade(Base):
    """A grade (khối 6–9) in a school year, with the regulation that assesses it that year."""

    __tablename__ = "grade"
    __table_args__ = (
        UniqueConstraint("school_year_id", "level"),
        CheckConstraint("level BETWEEN 6 AND 9", name="level"),
        CheckConstraint("regime IN ('tt58', 'tt26', 'tt22')", name="regime"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    regime: Mapped[str] = mapped_column(String(8))

    school_year: Mapped[SchoolYear] = relationship(back_populates="grades")
    classes: Mapped[list[Class]] = relationship(back_populates="grade", order_by="Class.name")
    subjects: Mapped[list[GradeSubject]] = relationship(
        back_populates="grade", order_by="GradeSubject.position"
    )


class Class(Base):
    """A class (lớp) of a grade in a school year, e.g. 9A1."""

    __tablename__ = "class_"
    __table_args__ = (UniqueConstraint("grade_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grade.id"), index=True)
    name: Mapped[str] = mapped_column(String(20))
    homeroom_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))

    school: Mapped[School] = relationship()
    grade: Mapped[Grade] = relationship(back_populates="classes")
    homeroom_teacher: Mapped[User | None] = relationship()  # noqa: F821
    enrolments: Mapped[list[Enrolment]] = relationship(  # noqa: F821
        back_populates="class_", order_by="Enrolment.roll_number"
    )

    @property
    def school_year(self) -> SchoolYear:
        """The school year the class belongs to."""
        return self.grade.school_year


class Assessment(str, enum.Enum):
    """How a subject is assessed: by score (0–10) or by comment (Đ/CĐ)."""

    SCORE = "score"
    COMMENT = "comment"


class Subject(Base):
    """A subject (môn học / hoạt động giáo dục) of a school's curriculum.

    Codes singled out by the rules: ``toan``, ``ngu_van``, ``ngoai_ngu``.
    """

    __tablename__ = "subject"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    short_name: Mapped[str | None] = mapped_column(String(40))
    assessment: Mapped[Assessment] = mapped_column(str_enum(Assessment, 10))
    lessons_per_year: Mapped[int] = mapped_column(Integer, default=35)


class GradeSubject(Base):
    """A subject studied by a grade in a school year (the curriculum of that year and grade)."""

    __tablename__ = "grade_subject"
    __table_args__ = (UniqueConstraint("grade_id", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grade.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Lessons per year for this grade, when it differs from the subject's default (Công nghệ 8–9: 52).
    lessons_per_year: Mapped[int | None] = mapped_column(Integer)

    grade: Mapped[Grade] = relationship(back_populates="subjects")
    subject: Mapped[Subject] = relationship()

    @property
    def lessons(self) -> int:
        """Lessons per year that count for this grade."""
        return self.lessons_per_year or self.subject.lessons_per_year
