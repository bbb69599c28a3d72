"""Data in and out the way schools already work: spreadsheets in (students, teachers, assignments,
marks), spreadsheets out (statistics for the Ministry, a class's marks for teachers), backup and restore.

- ``sheets``: reading .xlsx/.csv into clean cells (headers found by their Vietnamese names wherever
  the header row is, NFC, spaces, text dates) and writing .xlsx safely (no formula ever).
- ``report``: the report every import returns (per row / column messages in Vietnamese, the plan).
- ``students``, ``staff``, ``marks``: the imports, each ``import_x(session, actor, source, options)``;
  they plan first, write nothing unless the whole file is valid, and write through the services.
- ``statistics``, ``class_export``: the exports.
- ``backup``: one file with the database content, the keys' public parts and the archive index.

See docs/DATA-EXCHANGE.md.
"""

from collections.abc import Callable
from typing import Any

#: The imports, by the name the command and the upload page use.
IMPORT_KINDS = ("students", "teachers", "assignments", "marks")


def importer(kind: str) -> Callable[..., Any]:
    """The import function of a kind: ``import_x(session, actor, source, options) -> ImportReport``."""
    from records.errors import ValidationError
    from records.interop import marks, staff, students

    functions = {"students": students.import_students, "teachers": staff.import_teachers,
                 "assignments": staff.import_assignments, "marks": marks.import_marks}
    if kind not in functions:
        raise ValidationError("Loại dữ liệu nhập không hợp lệ.", f"unknown import kind {kind!r}")
    return functions[kind]
