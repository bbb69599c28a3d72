"""Messy spreadsheets as schools send them, made by the tests (merged titles, text dates, NFD, spaces)."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence

from openpyxl import Workbook

from records.interop.sheets import SpreadsheetFile


def nfd(text: str) -> str:
    """The decomposed form, as some Mac and legacy tools save Vietnamese."""
    return unicodedata.normalize("NFD", text)


def xlsx(rows: Sequence[Sequence[object]], *, title: str | None = None, merge_title: int = 8,
         name: str = "danh_sach.xlsx", sheet: str = "Sheet1") -> SpreadsheetFile:
    """An .xlsx file: an optional merged title row and a blank row, then ``rows`` (header first)."""
    book = Workbook()
    ws = book.active
    ws.title = sheet
    r = 1
    if title is not None:
        ws.cell(row=1, column=1, value=title)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=merge_title)
        r = 3
    for values in rows:
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # a hostile "=…" stays the text a school typed
        r += 1
    buffer = io.BytesIO()
    book.save(buffer)
    return SpreadsheetFile(name, buffer.getvalue())


def csv_file(rows: Sequence[Sequence[object]], *, name: str = "danh_sach.csv", delimiter: str = ";",
             encoding: str = "utf-8-sig") -> SpreadsheetFile:
    """A .csv file as Excel saves it."""
    text = "\r\n".join(delimiter.join("" if v is None else str(v) for v in row) for row in rows)
    return SpreadsheetFile(name, text.encode(encoding))
