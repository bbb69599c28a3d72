"""Printed editions of the books, their pages' digests, and the school's signing keys (trust list).

An *edition* is one print of a book (mark book of a class, transcript of a student, …): what was
printed, when, by whom, how many pages, and for every page the digest signed into its QR code.
Reprinting gives a new edition; the earlier one is then *superseded* (never overwritten). An
edition can be *revoked* (a transcript reported stolen) and is marked *outdated* when a correction
changes its data after printing. See ``records.services.editions`` and ``signing/FORMAT.md``.

``SigningKey`` is the trust list: public keys only (the Ed25519 keys of the QR codes, and the X.509
certificates of the PDF signatures). Private keys live in encrypted files outside the database.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.models.base import Base, UTCDateTime, str_enum, utcnow


class EditionKind(str, enum.Enum):
    """What an edition prints; the values match the doc types of the QR payload (FORMAT.md §2.1)."""

    MARK_BOOK = "mark_book"
    TRANSCRIPT = "transcript"
    REGISTER = "register"
    CORRECTION_RECORD = "correction_record"
    COPY_MINUTES = "copy_minutes"
    OTHER = "other"

    @property
    def label_vi(self) -> str:
        """Vietnamese name of the printed document."""
        return _KIND_LABELS[self.value]


_KIND_LABELS = {
    "mark_book": "Sổ theo dõi và đánh giá học sinh",
    "transcript": "Học bạ",
    "register": "Sổ đăng bộ",
    "correction_record": "Biên bản sửa chữa",
    "copy_minutes": "Biên bản cấp bản sao",
    "other": "Hồ sơ khác",
}


class EditionStatus(str, enum.Enum):
    """Where an edition stands (``outdated`` = a correction changed its data after printing)."""

    CURRENT = "current"
    OUTDATED = "outdated"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"


class Edition(Base):
    """One print of a book: scope, part, copy or original, who and when, pages, status."""

    __tablename__ = "edition"
    __table_args__ = (
        Index("ix_edition_scope", "school_id", "kind", "class_id", "student_id", "school_year_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[EditionKind] = mapped_column(str_enum(EditionKind, 20))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("class_.id"))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id"), index=True)
    school_year_id: Mapped[int | None] = mapped_column(ForeignKey("school_year.id"))
    part: Mapped[str] = mapped_column(String(20), default="all")  # "term1" | "year" | "all" | "2024-2025"
    copy: Mapped[bool] = mapped_column(default=False)  # bản sao
    title: Mapped[str] = mapped_column(String(300))  # "Sổ theo dõi và đánh giá học sinh — 9A1 — 2025-2026"
    issued_on: Mapped[dt.date] = mapped_column(Date)  # the date signed into the QR codes
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    created_by_name: Mapped[str] = mapped_column(String(80))
    page_count: Mapped[int] = mapped_column(Integer)  # physical pages of this print
    book_pages: Mapped[int] = mapped_column(Integer)  # N of "page n/N": pages of the full book
    key_id: Mapped[str] = mapped_column(String(16))  # the Ed25519 key that signed the QR codes
    document_sha256: Mapped[str] = mapped_column(String(64))  # of the attached JSON document
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))  # of the PDF as delivered
    pdf_signed: Mapped[bool] = mapped_column(default=False)  # carries a PAdES signature
    status: Mapped[EditionStatus] = mapped_column(str_enum(EditionStatus, 12), default=EditionStatus.CURRENT)
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("edition.id"))
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outdated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outdated_by_request_id: Mapped[int | None] = mapped_column(Integer)  # correction request
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_by_name: Mapped[str | None] = mapped_column(String(80))
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    pages: Mapped[list[EditionPage]] = relationship(
        back_populates="edition", order_by="EditionPage.position", cascade="all, delete-orphan"
    )
    superseded_by: Mapped[Edition | None] = relationship(remote_side=[id])


class EditionPage(Base):
    """One physical page of an edition: its number in the full book and the digest of its data."""

    __tablename__ = "edition_page"
    __table_args__ = (UniqueConstraint("edition_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1.. within this print
    number: Mapped[int] = mapped_column(Integer)  # n of "page n/N" (full-book numbering)
    kind: Mapped[str] = mapped_column(String(40))  # page kind of the layout ("marks", "cover", …)
    digest: Mapped[str] = mapped_column(String(32))  # hex of the 16-byte page digest

    edition: Mapped[Edition] = relationship(back_populates="pages")


class KeyKind(str, enum.Enum):
    """Kinds of trusted public keys."""

    ED25519 = "ed25519"  # signs the QR codes (key id: 8 hex characters)
    X509 = "x509"  # certificate of the PDF (PAdES) signatures (key id: SHA-256 fingerprint, 16 hex)


class KeyState(str, enum.Enum):
    """Life cycle of a trusted key (same meaning as ``signing.keys.KeyStatus``)."""

    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"


class SigningKey(Base):
    """A public key of the school's trust list, with its status and dates (never a private key)."""

    __tablename__ = "signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[KeyKind] = mapped_column(str_enum(KeyKind, 10))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    public_pem: Mapped[str] = mapped_column(Text)  # SubjectPublicKeyInfo PEM, or the certificate PEM
    label: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[KeyState] = mapped_column(str_enum(KeyState, 10), default=KeyState.ACTIVE)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    retired_on: Mapped[dt.date | None] = mapped_column(Date)
    revoked_on: Mapped[dt.date | None] = mapped_column(Date)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
