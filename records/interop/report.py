"""The report an import returns: what it read, what it would change (or changed), and every problem
by sheet, row and column, in Vietnamese — the same object for the command line and the upload page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """A problem found in the file: ``cell`` ("C7") and ``column`` (its header) when known."""

    message_vi: str
    row: int | None = None
    column: str | None = None
    cell: str | None = None
    sheet: str | None = None
    severity: str = ERROR

    def text_vi(self) -> str:
        """"Dòng 5, cột «Ngày sinh» (C5): …"."""
        where = []
        if self.sheet:
            where.append(f"trang «{self.sheet}»")
        if self.row is not None:
            where.append(f"dòng {self.row}")
        if self.column:
            where.append(f"cột «{self.column}»" + (f" ({self.cell})" if self.cell else ""))
        elif self.cell:
            where.append(f"ô {self.cell}")
        prefix = ", ".join(where)
        prefix = prefix[:1].upper() + prefix[1:]
        label = "Cảnh báo: " if self.severity == WARNING else ""
        return f"{label}{prefix}: {self.message_vi}" if prefix else f"{label}{self.message_vi}"


@dataclass(frozen=True)
class Change:
    """One thing the import creates, changes or leaves (``action``: create, update, enrol, unchanged…)."""

    action: str
    description_vi: str
    row: int | None = None
    sheet: str | None = None


ACTION_LABELS = {
    "create": "tạo mới", "update": "cập nhật", "enrol": "xếp vào lớp", "unchanged": "không đổi",
    "create_class": "tạo lớp", "grant": "cấp quyền", "assign": "phân công",
}


@dataclass(frozen=True)
class ImportReport:
    """The outcome of an import: ``written`` is True only when the whole file was valid and stored."""

    kind: str
    file_name: str
    dry_run: bool
    rows_read: int
    changes: tuple[Change, ...] = ()
    issues: tuple[Issue, ...] = ()
    written: bool = False

    @property
    def errors(self) -> tuple[Issue, ...]:
        """The problems that stop the import."""
        return tuple(i for i in self.issues if i.severity == ERROR)

    @property
    def ok(self) -> bool:
        """True when no problem stops the import."""
        return not self.errors

    def counts(self) -> Counter[str]:
        """How many changes of each action."""
        return Counter(c.action for c in self.changes)

    def summary_vi(self) -> str:
        """One line: what was (or would be) done."""
        counts = self.counts()
        parts = [f"{ACTION_LABELS.get(a, a)}: {n}" for a, n in sorted(counts.items())]
        done = ("Đã ghi" if self.written else "Chạy thử, chưa ghi gì" if self.dry_run and self.ok
                else "KHÔNG ghi gì (tệp có lỗi)")
        return f"{done} — {self.file_name}: {self.rows_read} dòng dữ liệu; " + ("; ".join(parts) or "không có thay đổi")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON for the upload page)."""
        return {"kind": self.kind, "file": self.file_name, "dry_run": self.dry_run, "rows": self.rows_read,
                "written": self.written, "ok": self.ok, "counts": dict(self.counts()),
                "changes": [c.__dict__ for c in self.changes], "issues": [i.__dict__ for i in self.issues]}


@dataclass
class Collector:
    """Gathers issues and changes while an import reads its file."""

    sheet: str | None = None
    issues: list[Issue] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def error(self, message_vi: str, row: int | None = None, column: str | None = None,
              cell: str | None = None) -> None:
        """Record a problem that stops the import."""
        self.issues.append(Issue(message_vi, row, column, cell, self.sheet))

    def warn(self, message_vi: str, row: int | None = None, column: str | None = None,
             cell: str | None = None) -> None:
        """Record a remark that does not stop the import."""
        self.issues.append(Issue(message_vi, row, column, cell, self.sheet, WARNING))

    def change(self, action: str, description_vi: str, row: int | None = None) -> None:
        """Record what the import does."""
        self.changes.append(Change(action, description_vi, row, self.sheet))

    @property
    def has_errors(self) -> bool:
        """True once a problem stops the import."""
        return any(i.severity == ERROR for i in self.issues)

    def report(self, kind: str, file_name: str, dry_run: bool, rows_read: int, written: bool) -> ImportReport:
        """The frozen report."""
        return ImportReport(kind, file_name, dry_run, rows_read, tuple(self.changes), tuple(self.issues),
                            written and not self.has_errors)
