"""Copies of a lost transcript (cấp bản sao học bạ), following the directive's procedure.

A request (đơn đề nghị cấp bản sao học bạ: who asks, why, which identity document was checked)
is recorded; the copy is printed from the records with the current signers (a subject teacher who
has left is replaced by the head of their subject group, recorded in ``substitutions``); the
copy-issuance minutes are printed for signature; the signed request and minutes come back as scans.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import Date, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from records.models.base import Base, UTCDateTime, str_enum, utcnow


class CopyStatus(str, enum.Enum):
    """Where a copy request stands."""

    REQUESTED = "requested"  # recorded, identity checked
    ISSUED = "issued"  # copy and minutes printed (editions recorded)
    ARCHIVED = "archived"  # signed request and minutes scanned back into the archive
    REFUSED = "refused"


class CopyRequest(Base):
    """One request for a copy of a lost transcript and what was done about it."""

    __tablename__ = "copy_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)  # "03/2026/BSHB"
    requester_name: Mapped[str] = mapped_column(String(120))
    requester_relation: Mapped[str] = mapped_column(String(60))  # "Bản thân", "Cha", "Mẹ", "Người giám hộ"
    requester_address: Mapped[str] = mapped_column(String(300), default="")
    id_document: Mapped[str] = mapped_column(String(120))  # "CCCD số 001203004567, cấp ngày …"
    id_checked_by_name: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    received_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[CopyStatus] = mapped_column(str_enum(CopyStatus, 10), default=CopyStatus.REQUESTED)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    created_by_name: Mapped[str] = mapped_column(String(80))
    copy_edition_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("edition.id"))
    minutes_edition_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("edition.id"))
    substitutions: Mapped[str | None] = mapped_column(Text)  # JSON list, see archive.copies.Substitution
    issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    issued_by_name: Mapped[str | None] = mapped_column(String(80))
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    scans_found: Mapped[int] = mapped_column(Integer, default=0)  # pages of the request + minutes scanned back
