"""Checks on a spreadsheet uploaded through the browser, before any import reads it.

The imports (``records.interop.students`` …) already refuse files over 20 MB, .xls, unknown
extensions and .xlsx files that inflate beyond 200 MB. A file sent by a browser is checked harder
(``check_upload``), each refusal with a Vietnamese message:

* the content must be what the name says: an .xlsx is a ZIP holding ``[Content_Types].xml`` and
  ``xl/workbook.xml``; a .csv is text (no NUL byte) — a PDF or an executable renamed is refused;
* zip bombs: at most ``MAX_MEMBERS`` members, ``MAX_INFLATED`` bytes once inflated, and no member
  inflating more than ``MAX_RATIO`` times (Excel's own files compress 5–20×);
* formulas: the import reads the value Excel computed and saved with the file (as ``sodientu import``
  does), so a list with an "STT" or age formula is taken as the values it shows. A formula cell with
  no saved value (a file written by a program that never computed it) is refused, naming the cell —
  the user opens and saves it in Excel, or pastes the values, and uploads again. In a .csv, text
  starting with "=" is refused: a name or a date never starts so.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from records.errors import ValidationError
from records.interop.sheets import MAX_FILE_BYTES, SpreadsheetFile, column_letter

MAX_MEMBERS = 2000
MAX_INFLATED = 100 * 1024 * 1024
MAX_RATIO = 200
EXTENSIONS = (".xlsx", ".csv")


def check_upload(source: SpreadsheetFile) -> None:
    """Raise ``ValidationError`` (Vietnamese) unless the file looks like an honest .xlsx or .csv."""
    suffix = Path(source.name).suffix.lower()
    if suffix not in EXTENSIONS:
        hint = " (Excel 97-2003: hãy lưu lại thành .xlsx)" if suffix == ".xls" else ""
        raise ValidationError(f"Chỉ nhận tệp .xlsx hoặc .csv{hint}; tệp «{source.name}» không phải.",
                              f"upload of type {suffix!r} refused")
    if not source.data:
        raise ValidationError("Tệp tải lên rỗng.", "empty upload")
    if len(source.data) > MAX_FILE_BYTES:
        raise ValidationError(f"Tệp lớn quá {MAX_FILE_BYTES // (1024 * 1024)} MB.", f"upload of {len(source.data)} bytes")
    if suffix == ".xlsx":
        _check_xlsx(source)
    else:
        _check_csv(source)


def _check_xlsx(source: SpreadsheetFile) -> None:
    wrong = ValidationError(f"Tệp «{source.name}» không phải là bảng tính Excel (.xlsx) thật.",
                            "upload named .xlsx is not an xlsx")
    if not source.data.startswith(b"PK\x03\x04"):
        raise wrong
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
    except (zipfile.BadZipFile, OSError, ValueError):
        raise wrong from None
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise wrong
    bomb = ValidationError("Tệp nén bất thường (giải nén ra quá lớn): không nhận tệp này.", "")
    if len(members) > MAX_MEMBERS:
        raise ValidationError(bomb.message_vi, f"xlsx with {len(members)} members")
    if sum(m.file_size for m in members) > MAX_INFLATED:
        raise ValidationError(bomb.message_vi, "xlsx inflates beyond the limit")
    for m in members:
        if m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * max(1, m.compress_size):
            raise ValidationError(bomb.message_vi, f"member {m.filename} ratio {m.file_size / max(1, m.compress_size):.0f}")
    _check_formulas(source)


def _check_formulas(source: SpreadsheetFile) -> None:
    from openpyxl import load_workbook

    try:
        formulas = load_workbook(io.BytesIO(source.data), read_only=True, data_only=False)
        values = load_workbook(io.BytesIO(source.data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise ValidationError(f"Tệp «{source.name}» không phải là bảng tính Excel (.xlsx) hợp lệ.",
                              f"openpyxl cannot read the upload: {exc!r}") from None
    try:
        for ws, saved in zip(formulas.worksheets, values.worksheets, strict=True):
            for r, (row, saved_row) in enumerate(zip(ws.iter_rows(), saved.iter_rows(), strict=False), 1):
                for c, (cell, value) in enumerate(zip(row, saved_row, strict=False), 1):
                    if getattr(cell, "data_type", None) == "f" and getattr(value, "value", None) is None:
                        raise ValidationError(
                            f"Trang «{ws.title}», ô {column_letter(c)}{r} chứa công thức chưa có giá trị đã tính. "
                            "Hãy mở tệp bằng Excel rồi lưu lại, hoặc sao chép và dán dạng giá trị "
                            "(Paste Special → Values), rồi tải lên lại.",
                            f"formula without a saved value in {ws.title}!{column_letter(c)}{r}")
    finally:
        formulas.close()
        values.close()


def _check_csv(source: SpreadsheetFile) -> None:
    if b"\x00" in source.data[:65536]:
        raise ValidationError(f"Tệp «{source.name}» không phải là tệp văn bản CSV.", "binary data in a .csv upload")
    from records.interop.sheets import read_sheets

    for sheet in read_sheets(source):
        for r, row in enumerate(sheet.rows, 1):
            for c, value in enumerate(row, 1):
                if isinstance(value, str) and value.startswith("="):
                    raise ValidationError(
                        f"Ô {column_letter(c)}{r} bắt đầu bằng «=» (công thức): hệ thống chỉ nhận giá trị.",
                        f"formula-like text in csv cell {column_letter(c)}{r}")


__all__ = ["EXTENSIONS", "MAX_INFLATED", "MAX_MEMBERS", "MAX_RATIO", "check_upload"]
