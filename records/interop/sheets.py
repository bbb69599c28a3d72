"""Spreadsheets as schools make them: reading .xlsx / .csv into clean cells, writing .xlsx safely.

Reading is tolerant of what real files carry: title rows above the header (merged or not), the header
found by its Vietnamese names wherever it is (``find_header``), merged cells (the value is spread over
the merged range), decomposed Unicode (every text is NFC), stray and non-breaking spaces, dates typed
as text ("05/09/2014", "5-9-2014", "2014-09-05") or stored as dates, and CSV files saved by Excel
(UTF-8 with or without BOM, or Windows-1258; comma, semicolon or tab).

Writing (``SafeWorkbook``) never produces a formula: a text that starts with = + - @ (or a tab or
carriage return) is stored as a text cell with Excel's quote prefix, so a hostile name in the data
cannot run when a teacher opens the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from records.errors import ValidationError

CellValue = str | int | Decimal | dt.date | dt.datetime | bool | None

#: How far down a sheet the header row is looked for.
HEADER_SEARCH_ROWS = 30
#: Characters that make a spreadsheet cell a formula (OWASP "CSV injection" list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- text -------------------------------------------------------------------------------------


def clean_text(value: object) -> str | None:
    """NFC, every run of white space (non-breaking and zero-width included) one space, trimmed; None if empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value)).replace("\u200b", "").replace("\ufeff", "")
    text = " ".join(text.split())
    return text or None


def fold(text: str) -> str:
    """A comparison key: no tone or letter marks, đ → d, lower case, letters and digits only.

    "Họ và tên" → "hovaten"; "Ngày, tháng, năm sinh" → "ngaythangnamsinh".
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).lower()


def column_letter(index: int) -> str:
    """Excel column letters of a 1-based column number (1 → A, 28 → AB)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- values -----------------------------------------------------------------------------------

_DATE_PATTERNS = (
    re.compile(r"^(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T]00:00(?::00)?)?$"),
)


def parse_date(value: CellValue) -> dt.date:
    """A date typed in a cell: a date/datetime, or text dd/mm/yyyy (also - or .) or yyyy-mm-dd.

    Raises ``ValidationError`` with a Vietnamese message naming what is wrong (31/02/2014 does not exist).
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean_text(value)
    if text is None:
        raise ValidationError("Thiếu ngày.", "date missing")
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            day, month, year = int(match["d"]), int(match["m"]), int(match["y"])
            try:
                return dt.date(year, month, day)
            except ValueError:
                raise ValidationError(f"Ngày «{text}» không có thật (ngày {day} tháng {month} năm {year}).",
                                      f"impossible date {text!r}") from None
    raise ValidationError(f"«{text}» không phải là ngày (viết theo dạng ngày/tháng/năm, ví dụ 05/09/2014).",
                          f"not a date {text!r}")


def parse_number(value: CellValue) -> Decimal | None:
    """A number typed in a cell (8, 8.5, "8,5"), or None when the cell is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = clean_text(value)
    if text is None:
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpreadsheetFile:
    """An uploaded or given file: its name (for the extension and messages) and its bytes."""

    name: str
    data: bytes

    @classmethod
    def from_path(cls, path: str | Path) -> SpreadsheetFile:
        """Read a file from disk."""
        path = Path(path)
        try:
            return cls(path.name, path.read_bytes())
        except OSError as exc:
            raise ValidationError(f"Không đọc được tệp {path}.", f"cannot read {path}: {exc}") from exc


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name and its rows of cell values (row 1 is ``rows[0]``), cleaned."""

    name: str
    rows: tuple[tuple[CellValue, ...], ...]

    def value(self, row: int, column: int) -> CellValue:
        """The value at a 1-based row and column (None outside the data)."""
        if row < 1 or row > len(self.rows):
            return None
        cells = self.rows[row - 1]
        return cells[column - 1] if 0 < column <= len(cells) else None

    def text(self, row: int, column: int) -> str | None:
        """The cell as clean text."""
        value = self.value(row, column)
        if isinstance(value, (dt.date, dt.datetime)):
            return f"{value:%d/%m/%Y}"
        return clean_text(value)


def _clean_value(value: object) -> CellValue:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else Decimal(repr(value))
    if isinstance(value, dt.time):
        return None
    return value  # type: ignore[return-value]


def _read_xlsx(data: bytes) -> list[Sheet]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationError("Tệp không phải là bảng tính Excel (.xlsx) hợp lệ.", f"bad xlsx: {exc}") from exc
    sheets = []
    for ws in workbook.worksheets:
        grid = [[_clean_value(v) for v in row] for row in ws.iter_rows(values_only=True)]
        for merged in ws.merged_cells.ranges:  # spread a merged value over its range
            top = grid[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(grid) else None
            for r in range(merged.min_row, min(merged.max_row, len(grid)) + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    if c - 1 < len(grid[r - 1]):
                        grid[r - 1][c - 1] = top
        sheets.append(Sheet(ws.title, tuple(tuple(row) for row in grid)))
    workbook.close()
    return sheets


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError("Không đọc được bảng mã của tệp CSV (hãy lưu dưới dạng CSV UTF-8).", "undecodable csv")


def _read_csv(data: bytes, name: str) -> list[Sheet]:
    text = _decode_csv(data)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [tuple(clean_text(v) for v in row) for row in csv.reader(io.StringIO(text), dialect)]
    return [Sheet(Path(name).stem, tuple(rows))]


def read_sheets(source: SpreadsheetFile) -> list[Sheet]:
    """The sheets of an .xlsx file, or the one sheet of a .csv file."""
    suffix = Path(source.name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(source.data)
    if suffix in (".csv", ".txt"):
        return _read_csv(source.data, source.name)
    if suffix == ".xls":
        raise ValidationError("Tệp .xls (Excel 97-2003) chưa được hỗ trợ: hãy lưu lại thành .xlsx hoặc .csv.",
                              "xls not supported")
    raise ValidationError(f"Không nhận dạng được loại tệp «{source.name}» (cần .xlsx hoặc .csv).",
                          f"unsupported file {source.name!r}")


# --- headers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A column the import understands: its name in the report and the header texts that name it."""

    key: str
    label_vi: str
    aliases: tuple[str, ...]

    @property
    def folded(self) -> frozenset[str]:
        """The header keys (``fold``) that name this column."""
        return frozenset(fold(a) for a in (self.label_vi, *self.aliases))


@dataclass(frozen=True)
class Header:
    """Where the header is: its row, the columns of known fields, and the header texts not understood."""

    row: int
    columns: Mapping[str, int]
    labels: Mapping[int, str]
    unknown: tuple[tuple[int, str], ...]

    def cell(self, field: str, row: int) -> str:
        """"C7": the cell of a field on a row (for messages)."""
        return f"{column_letter(self.columns[field])}{row}"


def find_header(sheet: Sheet, fields: Sequence[Field], *, required_any: Iterable[Iterable[str]] = ()) -> Header | None:
    """The row among the first ones that names the most known fields (at least two), or None.

    ``required_any``: groups of field keys of which the header must hold at least one each (a name column:
    "Họ và tên", or "Họ" and "Tên"…).
    """
    lookup = {key: f.key for f in fields for key in f.folded}
    best: Header | None = None
    for r in range(1, min(len(sheet.rows), HEADER_SEARCH_ROWS) + 1):
        columns: dict[str, int] = {}
        labels: dict[int, str] = {}
        unknown: list[tuple[int, str]] = []
        for c, _ in enumerate(sheet.rows[r - 1], start=1):
            text = sheet.text(r, c)
            if text is None:
                continue
            key = lookup.get(fold(text))
            if key is not None and key not in columns:
                columns[key] = c
                labels[c] = text
            elif key is None:
                unknown.append((c, text))
        if len(columns) < 2 or not all(any(k in columns for k in group) for group in required_any):
            continue
        if best is None or len(columns) > len(best.columns):
            best = Header(r, columns, labels, tuple(unknown))
    return best


def title_text(sheet: Sheet, header_row: int) -> str:
    """All text above the header row (titles), joined."""
    parts: list[str] = []
    for r in range(1, header_row):
        for c in range(1, len(sheet.rows[r - 1]) + 1):
            text = sheet.text(r, c)
            if text and text not in parts:
                parts.append(text)
    return " ".join(parts)


_CLASS_IN_TITLE = re.compile(r"\bLOP\s*:?\s*([6-9]\s*[A-Z0-9]{0,6})\b")
_YEAR_IN_TITLE = re.compile(r"NAM\s*HOC\s*:?\s*(20\d\d)\s*[-–/]\s*(20\d\d)")


def _upper_folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def class_in_title(title: str) -> str | None:
    """The class named by a title ("DANH SÁCH HỌC SINH LỚP 6A1 NĂM HỌC …" → "6A1")."""
    match = _CLASS_IN_TITLE.search(_upper_folded(title))
    return match.group(1).replace(" ", "") if match else None


def year_in_title(title: str) -> int | None:
    """The first year of "NĂM HỌC 2025-2026" in a title."""
    match = _YEAR_IN_TITLE.search(_upper_folded(title))
    if match and int(match.group(2)) == int(match.group(1)) + 1:
        return int(match.group(1))
    return None


def is_blank_row(sheet: Sheet, row: int) -> bool:
    """True when the row has no value at all."""
    return all(v is None for v in sheet.rows[row - 1])


# --- writing ----------------------------------------------------------------------------------


class SafeWorkbook:
    """An openpyxl workbook whose ``put`` never writes a formula (see the module docstring)."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self.book = Workbook()
        self._first = True

    def sheet(self, title: str) -> Any:
        """A new sheet (the workbook's first sheet is reused for the first call)."""
        if self._first:
            self._first = False
            ws = self.book.active
            ws.title = title[:31]
            return ws
        return self.book.create_sheet(title[:31])

    @staticmethod
    def put(ws: Any, row: int, column: int, value: CellValue, *, bold: bool = False) -> Any:
        """Write one value: numbers and dates as such, every text as text (never a formula)."""
        cell = ws.cell(row=row, column=column)
        if isinstance(value, str):
            cell.value = value
            cell.data_type = "s"
            if value.startswith(FORMULA_STARTS):
                cell.quotePrefix = True
        elif isinstance(value, dt.datetime):
            cell.value = value.replace(tzinfo=None)
        elif isinstance(value, dt.date):
            cell.value = value
            cell.number_format = "DD/MM/YYYY"
        else:
            cell.value = value
        if bold:
            from openpyxl.styles import Font

            cell.font = Font(bold=True)
        return cell

    def put_row(self, ws: Any, row: int, values: Sequence[CellValue], *, bold: bool = False, start: int = 1) -> None:
        """Write a row of values from column ``start``."""
        for offset, value in enumerate(values):
            self.put(ws, row, start + offset, value, bold=bold)

    def title(self, ws: Any, row: int, text: str, width: int) -> None:
        """A bold title merged over ``width`` columns."""
        self.put(ws, row, 1, text, bold=True)
        if width > 1:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)

    def to_bytes(self) -> bytes:
        """The .xlsx file."""
        buffer = io.BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()
