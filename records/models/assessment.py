"""What is recorded about a student during a year: marks, comments, attendance, conduct, results."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.models.base import Base, Tenths, UTCDateTime, str_enum, utcnow
from records.models.people import Enrolment, User
from records.models.school import Subject, Term


class MarkKind(str, enum.Enum):
    """Kinds of marks, with their weight in the term average."""

    REGULAR = "tx"  # thường xuyên (TT58: miệng, 15 phút) — weight 1
    PERIODIC = "dk"  # TT58 định kì (1 tiết, hệ số 2) — weight 2, several
    MIDTERM = "gk"  # TT26/TT22 giữa kì — weight 2, one
    FINAL = "ck"  # cuối kì / học kì — weight 3, one

    @property
    def weight(self) -> int:
        """Weight (hệ số) of this kind in the term average."""
        return {"tx": 1, "dk": 2, "gk": 2, "ck": 3}[self.value]


COMMENT_GRADES = ("Đ", "CĐ")


class Period(str, enum.Enum):
    """Periods results are given for."""

    TERM1 = "hk1"
    TERM2 = "hk2"
    YEAR = "cn"

    @property
    def label_vi(self) -> str:
        """"Học kì I", "Học kì II", "Cả năm"."""
        return {"hk1": "Học kì I", "hk2": "Học kì II", "cn": "Cả năm"}[self.value]


class Mark(Base):
    """One mark of a student in a subject and term: a score (tenths, exact) or a comment grade."""

    __tablename__ = "mark"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "subject_id", "term_id", "kind", "slot"),
        CheckConstraint("(score IS NULL) <> (grade IS NULL)", name="one_value"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
        CheckConstraint("grade IS NULL OR grade IN ('Đ', 'CĐ')", name="grade_value"),
        CheckConstraint("slot >= 1", name="slot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    kind: Mapped[MarkKind] = mapped_column(str_enum(MarkKind, 4))
    slot: Mapped[int] = mapped_column(Integer, default=1)  # column within the kind (TX1, TX2, …)
    score: Mapped[Decimal | None] = mapped_column(Tenths)
    grade: Mapped[str | None] = mapped_column(String(3))
    assessed_on: Mapped[dt.date | None] = mapped_column(Date)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrolment: Mapped[Enrolment] = relationship()
    subject: Mapped[Subject] = relationship()
    term: Mapped[Term] = relationship()

    @property
    def value(self) -> Decimal | str:
        """The score, or the comment grade."""
        return self.score if self.score is not None else self.grade  # type: ignore[return-value]


class SubjectComment(Base):
    """A subject teacher's comment on a student for a term or the year (TT22 nhận xét)."""

    __tablename__ = "subject_comment"
    __table_args__ = (UniqueConstraint("enrolment_id", "subject_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    period: Mapped[Period] = mapped_column(str_enum(Period, 4))
    text: Mapped[str] = mapped_column(Text)
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))


class Attendance(Base):
    """An absence of a student on a school day, excused (có phép) or not."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("enrolment_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    excused: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))


class Conduct(Base):
    """Conduct (hạnh kiểm, TT58) or training result (kết quả rèn luyện, TT22) for a period."""

    __tablename__ = "conduct"
    __table_args__ = (UniqueConstraint("enrolment_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    period: Mapped[Period] = mapped_column(str_enum(Period, 4))
    level: Mapped[str] = mapped_column(String(20))  # label of the regime: "Tốt", "Khá", …
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))


class HomeroomComment(Base):
    """The homeroom teacher's comment on a student for a period (printed in the transcript)."""

    __tablename__ = "homeroom_comment"
    __table_args__ = (UniqueConstraint("enrolment_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    period: Mapped[Period] = mapped_column(str_enum(Period, 4))
    text: Mapped[str] = mapped_column(Text)
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))


class SubjectResult(Base):
    """A student's computed result in a subject for a period: average or Đ/CĐ."""

    __tablename__ = "subject_result"
    __table_args__ = (UniqueConstraint("enrolment_id", "subject_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    period: Mapped[Period] = mapped_column(str_enum(Period, 4))
    average: Mapped[Decimal | None] = mapped_column(Tenths)
    grade: Mapped[str | None] = mapped_column(String(3))
    # Summer re-assessment (kiểm tra / đánh giá lại) result that replaces the year result.
    reassessed_score: Mapped[Decimal | None] = mapped_column(Tenths)
    reassessed_grade: Mapped[str | None] = mapped_column(String(3))
    # Why no average could be computed (missing marks), for the teacher.
    incomplete_reason: Mapped[str | None] = mapped_column(String(300))
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    subject: Mapped[Subject] = relationship()

    @property
    def value(self) -> Decimal | str | None:
        """The average, or the comment grade."""
        return self.average if self.average is not None else self.grade


class StudentResult(Base):
    """A student's overall result for a period: learning, conduct, title, absences, promotion."""

    __tablename__ = "student_result"
    __table_args__ = (UniqueConstraint("enrolment_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    period: Mapped[Period] = mapped_column(str_enum(Period, 4))
    regime: Mapped[str] = mapped_column(String(8))
    overall_average: Mapped[Decimal | None] = mapped_column(Tenths)  # TT58/TT26 only
    learning: Mapped[str | None] = mapped_column(String(20))  # học lực / kết quả học tập
    learning_adjusted: Mapped[bool] = mapped_column(default=False)
    conduct: Mapped[str | None] = mapped_column(String(20))  # hạnh kiểm / kết quả rèn luyện
    title: Mapped[str | None] = mapped_column(String(40))
    days_absent_excused: Mapped[int] = mapped_column(Integer, default=0)
    days_absent_unexcused: Mapped[int] = mapped_column(Integer, default=0)
    promotion: Mapped[str | None] = mapped_column(String(20))  # Promotion value (year only)
    # After the summer: re-assessed learning / retrained conduct and the final decision.
    learning_after_summer: Mapped[str | None] = mapped_column(String(20))
    conduct_after_summer: Mapped[str | None] = mapped_column(String(20))
    final_promotion: Mapped[str | None] = mapped_column(String(20))
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    enrolment: Mapped[Enrolment] = relationship()
    approved_by: Mapped[User | None] = relationship()

    @property
    def days_absent(self) -> int:
        """All sessions missed, excused or not."""
        return self.days_absent_excused + self.days_absent_unexcused
