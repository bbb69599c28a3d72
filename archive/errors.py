"""Errors of the archive layer (store, deposits, retention, inspectors' access)."""

from __future__ import annotations

from records.errors import ConflictError, IntegrityError, PermissionDeniedError, SodientuError


class ArchiveConfigError(SodientuError):
    """No archive store is configured, or its location cannot be understood."""


class ArchiveStoreError(SodientuError):
    """The store could not be written or read (disk full, permissions, S3 server down)."""


class ObjectMissingError(IntegrityError):
    """An object the metadata names is not in the store."""

    def __init__(self, sha256: str) -> None:
        super().__init__(f"Kho lưu trữ không còn tệp {sha256[:12]}….", f"object {sha256} missing from the store")
        self.sha256 = sha256


class ObjectCorruptedError(IntegrityError):
    """An object's content no longer hashes to its name."""

    def __init__(self, sha256: str) -> None:
        super().__init__(f"Tệp lưu trữ {sha256[:12]}… đã bị thay đổi (mã băm không khớp).",
                         f"object {sha256} does not hash to its name")
        self.sha256 = sha256


class RetentionError(ConflictError):
    """An item cannot be deleted: its retention period has not ended (or it is kept permanently)."""


class InspectorAccessError(PermissionDeniedError):
    """An inspector acted outside the schools, years or dates of their access."""
