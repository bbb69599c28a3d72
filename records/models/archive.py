"""The archive's metadata: one row per deposited item, and the inspectors' time-boxed access.

The bytes live in a content-addressed store (``archive.store``: a local folder or S3) under their
SHA-256; the database says what each item is (kind, school, year, class, students, edition), who
deposited it and when, and how long it must be kept (``retention`` rule and ``retain_until``; NULL =
permanent). Items are never updated in place nor deleted before ``retain_until``; a deletion after
it keeps the row (``deleted_at``, who, why) and is traced in the audit chain. See archive/README.md
and docs/ARCHIVE.md.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.models.base import Base, UTCDateTime, str_enum, utcnow


class ArchiveKind(str, enum.Enum):
    """What an archived item is (retention is chosen by kind, see ``archive/retention.json``)."""

    ISSUED_EDITION = "issued_edition"  # the PDF of an edition as issued (written at issue)
    BOOK_SCAN = "book_scan"  # scanned pages of a signed and stamped book (matched to an edition)
    UNMATCHED_SCAN = "unmatched_scan"  # a scanned page whose code could not be read (to assign by hand)
    TEACHER_MARKBOOK_SCAN = "teacher_markbook_scan"  # a teacher's personal mark book, scanned
    CORRECTION_REQUEST = "correction_request"  # đơn đề nghị sửa chữa (signed, scanned)
    CORRECTION_RECORD = "correction_record"  # biên bản sửa chữa
    INSPECTION_MINUTES = "inspection_minutes"  # biên bản kiểm tra
    COPY_REQUEST = "copy_request"  # đơn xin cấp bản sao học bạ
    COPY_MINUTES = "copy_minutes"  # biên bản cấp bản sao học bạ
    AUDIT_SEAL = "audit_seal"  # a signed checkpoint of the audit trail
    EXPORT = "export"  # reserved: exports are logged, not kept
    OTHER = "other"

    @property
    def label_vi(self) -> str:
        """Vietnamese name of the kind."""
        return ARCHIVE_KIND_LABELS[self.value]


ARCHIVE_KIND_LABELS = {
    "issued_edition": "Bản in đã phát hành",
    "book_scan": "Bản quét sổ đã kí, đóng dấu",
    "unmatched_scan": "Trang quét chưa nhận diện",
    "teacher_markbook_scan": "Bản quét sổ điểm cá nhân của giáo viên",
    "correction_request": "Đơn đề nghị sửa chữa",
    "correction_record": "Biên bản sửa chữa",
    "inspection_minutes": "Biên bản kiểm tra",
    "copy_request": "Đơn đề nghị cấp bản sao học bạ",
    "copy_minutes": "Biên bản cấp bản sao học bạ",
    "audit_seal": "Niêm phong nhật kí lưu vết",
    "export": "Bản xuất",
    "other": "Hồ sơ khác",
}


class ArchiveItem(Base):
    """One deposited item: its content hash and size, what it is about, who put it there, how long it stays."""

    __tablename__ = "archive_item"
    __table_args__ = (
        Index("ix_archive_item_scope", "school_id", "school_year_id", "class_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[ArchiveKind] = mapped_column(str_enum(ArchiveKind, 30))
    media_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str | None] = mapped_column(String(255))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    school_year_id: Mapped[int | None] = mapped_column(ForeignKey("school_year.id"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("class_.id"))
    edition_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("edition.id"), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    extra: Mapped[str | None] = mapped_column(Text)  # canonical JSON of the caller's metadata
    deposited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    deposited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    deposited_by_name: Mapped[str] = mapped_column(String(80))
    retention: Mapped[str] = mapped_column(String(40))  # rule name of archive/retention.json
    retain_until: Mapped[dt.date | None] = mapped_column(Date)  # NULL: permanent
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deleted_by_name: Mapped[str | None] = mapped_column(String(80))
    deletion_reason: Mapped[str | None] = mapped_column(Text)

    students: Mapped[list[ArchiveItemStudent]] = relationship(
        back_populates="item", order_by="ArchiveItemStudent.student_id", cascade="all, delete-orphan"
    )

    @property
    def student_ids(self) -> tuple[int, ...]:
        """The students the item concerns."""
        return tuple(s.student_id for s in self.students)


class ArchiveItemStudent(Base):
    """A student an archived item concerns (a class's mark book concerns none by name; a transcript one)."""

    __tablename__ = "archive_item_student"

    item_id: Mapped[int] = mapped_column(ForeignKey("archive_item.id", ondelete="CASCADE"), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), primary_key=True, index=True)

    item: Mapped[ArchiveItem] = relationship(back_populates="students")


class InspectorAccess(Base):
    """An inspector's access to a school's archive: one school, one year (NULL: every year), a date window.

    Granted (and revoked) by the administrator through ``archive.inspectors``; the inspector must also
    hold the inspector role over the school (its own grant or a district grant).
    """

    __tablename__ = "inspector_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    school_year_id: Mapped[int | None] = mapped_column(ForeignKey("school_year.id"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)  # inclusive
    reason: Mapped[str] = mapped_column(Text)  # "Quyết định thanh tra số …"
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    granted_by_name: Mapped[str] = mapped_column(String(80))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_by_name: Mapped[str | None] = mapped_column(String(80))
