"""Domain errors of the records layer.

Every error carries a Vietnamese message for the user (``message_vi``) and an English one
for the logs (``message_en``). The web layer and the CLI turn them into answers; nothing
below them prints a traceback to a user.
"""

from __future__ import annotations


class SodientuError(Exception):
    """Base of every error the project raises on purpose."""

    def __init__(self, message_vi: str, message_en: str | None = None) -> None:
        super().__init__(message_en or message_vi)
        self.message_vi = message_vi
        self.message_en = message_en or message_vi

    def __str__(self) -> str:  # English in logs and tracebacks
        return self.message_en


class ValidationError(SodientuError):
    """A value a user typed or imported is not acceptable (bad mark, bad date, …)."""


class NotFoundError(SodientuError):
    """A record that the caller named does not exist (or is not visible to them)."""


class PermissionDeniedError(SodientuError):
    """The actor may not perform this action on this object."""


class BookLockedError(SodientuError):
    """The book (mark book or transcripts of a term/year) is locked."""


class CutoffPassedError(SodientuError):
    """The yearly cut-off date for mark changes has passed."""


class ConflictError(SodientuError):
    """The request conflicts with the current state (duplicate, already exists, …)."""


class StaleSheetError(ConflictError):
    """A save presented the version of a sheet it read, and someone else saved the sheet since."""

    def __init__(self, sheet: str, expected: int, current: int) -> None:
        super().__init__("Bảng này vừa được người khác thay đổi. Vui lòng tải lại trang rồi nhập lại; "
                         "dữ liệu của bạn chưa được lưu.",
                         f"sheet {sheet} is at version {current}, the save presented {expected}")
        self.sheet, self.expected, self.current = sheet, expected, current


class DatabaseError(SodientuError):
    """The database refused or failed an operation (mapped from SQLAlchemy by ``records.db.db_error``)."""


class IntegrityError(SodientuError):
    """Stored data fails an integrity check (audit chain, signatures, digests)."""


class AuthenticationError(SodientuError):
    """A sign-in failed (wrong user name or password), or the session has ended: sign in again."""


class RateLimitedError(SodientuError):
    """Too many attempts in a short time (sign-in guessing): try again later."""
