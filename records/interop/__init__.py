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
