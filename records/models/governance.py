"""Governance: the audit trail, book locks, correction requests and monthly inspections.

These tables belong to ``records.audit`` and ``records.services.{locks,corrections,inspections}``;
see docs/GOVERNANCE.md for the semantics.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.models.base import Base, UTCDateTime, str_enum, utcnow
from records.models.people import User

INSTALLATION_CHAIN = 0  # the audit chain of entries that belong to no school (set-up, inspectors' grants)


class AuditEntry(Base):
    """One entry of the append-only, hash-chained audit log (one chain per school).

    ``hash`` is sha256 over the canonical JSON of the entry's fields and ``prev_hash``; see
    ``records.audit``. ``before``/``after`` hold canonical JSON text exactly as hashed.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_audit_entry_entity", "entity", "entity_id"),
        Index("ix_audit_entry_request_id", "request_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[int] = mapped_column(Integer)  # school id, or INSTALLATION_CHAIN
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … within the chain
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    actor_name: Mapped[str] = mapped_column(String(80))  # username, or "system"
    action: Mapped[str] = mapped_column(String(40))  # create, update, delete, correct, lock, …
    entity: Mapped[str] = mapped_column(String(40))  # mark, attendance, conduct, role_grant, …
    entity_id: Mapped[str] = mapped_column(String(80))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(Integer)  # correction request that allowed the write
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The last entry of each chain: the row writers lock, and the guard against a cut-off tail."""

    __tablename__ = "audit_chain_head"

    chain: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SheetVersion(Base):
    """The version of one editable sheet (marks of a class/subject/term, attendance of a class/month, …).

    Every save bumps it; a save that presents the version it read is refused when another save came
    in between (optimistic concurrency, ``records.services.versions``).
    """

    __tablename__ = "sheet_version"

    sheet: Mapped[str] = mapped_column(String(120), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditCheckpoint(Base):
    """A signed seal over a chain up to ``seq``: the signature covers (chain, seq, hash, at)."""

    __tablename__ = "audit_checkpoint"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[int] = mapped_column(Integer, index=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)  # base64
    sealed_by: Mapped[str] = mapped_column(String(80))


class Book(str, enum.Enum):
    """Books that open and lock: the mark book (sổ gọi tên và ghi điểm) and the transcripts (học bạ)."""

    MARK_BOOK = "mark_book"
    TRANSCRIPTS = "transcripts"

    @property
    def label_vi(self) -> str:
        """Vietnamese name of the book."""
        return {"mark_book": "Sổ gọi tên và ghi điểm", "transcripts": "Học bạ"}[self.value]


class LockDecision(Base):
    """The principal's decision to lock or open a book, and the administrator's execution of it.

    Scope: one book of a school year, for one term (``term_id``) or the whole year (NULL), for one
    class (``class_id``) or the whole school (NULL). Only executed decisions take effect; the latest
    executed decision of a scope gives its state.
    """

    __tablename__ = "lock_decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"), index=True)
    term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("class_.id"))
    book: Mapped[Book] = mapped_column(str_enum(Book, 20))
    locks: Mapped[bool] = mapped_column()  # True: lock; False: open
    decision_ref: Mapped[str] = mapped_column(String(120))  # "QĐ số 12/QĐ-THCS ngày …"
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_.id"))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    executed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    executed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id])
    executed_by: Mapped[User | None] = relationship(foreign_keys=[executed_by_id])


class CorrectionStatus(str, enum.Enum):
    """Where a correction request stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPLIED = "applied"

    @property
    def label_vi(self) -> str:
        """Vietnamese name of the status."""
        return {"pending": "Chờ duyệt", "approved": "Đã duyệt", "rejected": "Không duyệt",
                "applied": "Đã sửa"}[self.value]


class CorrectionRequest(Base):
    """A teacher's request (đơn đề nghị) to correct one mark, its decision and its application.

    The mark is named by its natural key (enrolment, subject, term, kind, slot), so a request may
    also add a missing mark or remove a mark entered by mistake (old or new value empty).
    """

    __tablename__ = "correction_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"))
    kind: Mapped[str] = mapped_column(String(4))  # MarkKind value
    slot: Mapped[int] = mapped_column(Integer)
    old_value: Mapped[str | None] = mapped_column(String(8))  # as displayed: "7.5", "Đ"; NULL: none
    new_value: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[CorrectionStatus] = mapped_column(
        str_enum(CorrectionStatus, 10), default=CorrectionStatus.PENDING
    )
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    applied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    witness_leader_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))  # Ban giám hiệu
    witness_board_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))  # Ban quản trị
    requester_present: Mapped[bool] = mapped_column(default=False)

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    applied_by: Mapped[User | None] = relationship(foreign_keys=[applied_by_id])
    witness_leader: Mapped[User | None] = relationship(foreign_keys=[witness_leader_id])
    witness_board: Mapped[User | None] = relationship(foreign_keys=[witness_board_id])


class Inspection(Base):
    """A monthly inspection of entry progress by the leadership (biên bản kiểm tra), with findings."""

    __tablename__ = "inspection"
    __table_args__ = (CheckConstraint("month BETWEEN 1 AND 12", name="month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("class_.id"), index=True)  # NULL: whole school
    year: Mapped[int] = mapped_column(Integer)  # calendar year of the inspected month
    month: Mapped[int] = mapped_column(Integer)
    inspected_on: Mapped[dt.date] = mapped_column(Date)
    inspected_by_id: Mapped[int] = mapped_column(ForeignKey("user_.id"))
    findings: Mapped[str] = mapped_column(Text)
    conclusion: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[str | None] = mapped_column(Text)  # JSON snapshot of the entry progress seen
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    inspected_by: Mapped[User] = relationship(foreign_keys=[inspected_by_id])
