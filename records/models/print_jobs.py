"""Print jobs asked for in the browser: what to print, who asked, how far the run got, where the PDFs are.

A job is recorded when the office asks for it (``records.services.print_jobs.request_print`` checks the
rights and traces it); a runner (the web process, ``web.print_runner``) prints it and writes its progress
here. ``runner`` names the process running it and ``heartbeat_at`` is refreshed while it runs: a job left
"running" whose heartbeat stopped belongs to a process that died, and is shown as interrupted.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from records.models.base import Base, UTCDateTime, str_enum, utcnow


class PrintJobStatus(str, enum.Enum):
    """Where a print job stands (``interrupted`` is also derived from a stale heartbeat)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"  # every book printed
    FAILED = "failed"  # some or all books failed (the errors say which)
    INTERRUPTED = "interrupted"  # the process running it ended before it finished

    @property
    def label_vi(self) -> str:
        """Vietnamese label."""
        return {"queued": "đang chờ", "running": "đang in", "done": "đã xong", "failed": "có lỗi",
                "interrupted": "bị gián đoạn"}[self.value]


class PrintJob(Base):
    """One print run asked for in the browser (one or many books)."""

    __tablename__ = "print_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))  # "Sổ theo dõi và đánh giá — khối 6 — bản chính thức"
    official: Mapped[bool] = mapped_column(Boolean)  # a published edition (else a draft)
    spec: Mapped[str] = mapped_column(Text)  # JSON: the books, [{"kind", "ids", "options", "label"}]
    status: Mapped[PrintJobStatus] = mapped_column(str_enum(PrintJobStatus, 12), default=PrintJobStatus.QUEUED)
    total: Mapped[int] = mapped_column(Integer, default=0)  # books to print
    done: Mapped[int] = mapped_column(Integer, default=0)  # books finished (printed or failed)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    files: Mapped[str] = mapped_column(Text, default="[]")  # JSON: [{"path", "pages", "edition_id", "sha256"}]
    errors: Mapped[str] = mapped_column(Text, default="[]")  # JSON: Vietnamese messages, one per failed book
    out_dir: Mapped[str] = mapped_column(String(500), default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_.id"))
    requested_by_name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    runner: Mapped[str | None] = mapped_column(String(120))  # "host:pid:token" of the process running it
