"""Scanned pages that came back to the office: one row per ingested file and per page.

The page images themselves are in the archive (content-addressed, ``sha256``); these rows say
what each page is (which edition, which page), how it was normalised, and what the office must
still do (assign unreadable pages by hand, chase missing stamps and signatures).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import Float, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.models.base import Base, UTCDateTime, str_enum, utcnow


class ScanPageStatus(str, enum.Enum):
    """What a scanned page turned out to be."""

    MATCHED = "matched"  # code read and verified, page of a recorded edition
    DUPLICATE = "duplicate"  # same edition page already came back (kept, not counted twice)
    FOREIGN = "foreign"  # a page of another book than the one(s) being scanned, or of no known edition
    UNREADABLE = "unreadable"  # no readable code: waits for matching by hand
    ASSIGNED = "assigned"  # matched by hand after being unreadable


class InkCheck(str, enum.Enum):
    """Result of looking for stamp or signature ink in a zone."""

    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"  # cannot tell (grey-scale scan for stamp ink, page not aligned)
    NONE = "none"  # the page has no such zone


class ScanBatch(Base):
    """One file given to ``sodientu scans ingest`` (its bytes are archived as they came)."""

    __tablename__ = "scan_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    page_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    created_by_name: Mapped[str] = mapped_column(String(80))

    pages: Mapped[list[ScanPage]] = relationship(back_populates="batch", order_by="ScanPage.index")


class ScanPage(Base):
    """One page of an ingested file: where it belongs, how it was turned, what ink it carries."""

    __tablename__ = "scan_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("scan_batch.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)  # 0-based page / frame of the file
    item_sha256: Mapped[str] = mapped_column(String(64))  # archived file holding the normalised page
    item_page: Mapped[int] = mapped_column(Integer, default=1)  # its page in that file (1-based)
    status: Mapped[ScanPageStatus] = mapped_column(str_enum(ScanPageStatus, 12))
    edition_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("edition.id"), index=True)
    page_number: Mapped[int | None] = mapped_column(Integer)  # n of "page n/N"
    rotation: Mapped[float] = mapped_column(Float, default=0.0)  # degrees turned to make the page upright
    stamp: Mapped[InkCheck] = mapped_column(str_enum(InkCheck, 8), default=InkCheck.UNKNOWN)
    signatures: Mapped[InkCheck] = mapped_column(str_enum(InkCheck, 8), default=InkCheck.UNKNOWN)
    signature_zones: Mapped[int] = mapped_column(Integer, default=0)
    signed_zones: Mapped[int] = mapped_column(Integer, default=0)
    qr_text: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(300))  # why unreadable / foreign, in Vietnamese
    assigned_by_name: Mapped[str | None] = mapped_column(String(80))
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    batch: Mapped[ScanBatch] = relationship(back_populates="pages")
