"""A report table and its two file forms: CSV (UTF-8 with BOM, so Excel shows Chinese) and Excel (openpyxl).

openpyxl is imported where a workbook is made, not at start: it costs ~0.1 s and ~6 MB in every process."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Cell = str | int | float


@dataclass(frozen=True)
class Sheet:
    """Header, rows and an optional bold total line at the bottom."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]] = field(default_factory=list)
    total: Sequence[Cell] | None = None

    def lines(self) -> list[list[Cell]]:
        total = [list(self.total)] if self.total is not None else []
        return [list[Cell](self.header), *(list(row) for row in self.rows), *total]


def to_csv(sheet: Sheet) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(sheet.lines())
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(sheet: Sheet) -> bytes:
    """One worksheet: bold frozen header, numbers as numbers, columns wide enough for Chinese text."""
    return to_xlsx_book([sheet])


def to_xlsx_book(sheets: list[Sheet]) -> bytes:
    """One workbook with a worksheet per sheet, each shaped as `to_xlsx` describes."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets:
        fill_worksheet(workbook.create_sheet(sheet.title[:31]), sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def fill_worksheet(worksheet: Any, sheet: Sheet) -> None:
    from openpyxl.styles import Font

    for row in sheet.lines():
        worksheet.append(row)
    bold = Font(bold=True)
    for cell in worksheet[1]:
        cell.font = bold
    if sheet.total is not None:
        for cell in worksheet[worksheet.max_row]:
            cell.font = bold
    worksheet.freeze_panes = "A2"
    for index, column in enumerate(zip(*sheet.lines(), strict=True), start=1):
        widest = max(display_width(str(value)) for value in column)
        worksheet.column_dimensions[column_letter(index)].width = min(60, widest + 2)


def display_width(text: str) -> int:
    """Chinese characters take two columns."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def column_letter(index: int) -> str:
    """Excel's name of the ``index``-th column, from 1: A … Z, AA, AB …"""
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
