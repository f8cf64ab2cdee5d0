"""The streamed workbook: bytes come out as rows go in, and what openpyxl reads back is what was written — numbers
as numbers, text escaped (control characters dropped), empty cells keeping the columns in place, a bold frozen
header, every sheet in order."""

from __future__ import annotations

import io

import openpyxl

from handlers.common.sheets import column_letter
from handlers.common.xlsx_stream import Columns, StreamedBook


def test_a_streamed_book_reads_back_as_written() -> None:
    sheets = [Columns("工单", ["编号", "内容", "星级"], [8, 40, 6]), Columns("记录", ["编号", "备注"], [8, 20])]
    parts = []
    with StreamedBook(sheets) as book:
        book.add(0, [[1, "电梯<坏了> & 漏水", 5], [2, "", ""]])
        book.add(1, [[1, "第一\x07条"]])
        parts.append(book.take())
        book.add(0, [[3, "  前后有空格  ", 2.5]])
        parts.append(book.take())
        parts.append(book.finish())
    assert parts[0].startswith(b"PK")  # the zip has begun before the last rows are in
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(parts)))
    tickets, notes = workbook.worksheets
    assert workbook.sheetnames == ["工单", "记录"]
    assert list(tickets.values) == [
        ("编号", "内容", "星级"),
        (1, "电梯<坏了> & 漏水", 5),
        (2, None, None),
        (3, "  前后有空格  ", 2.5),
    ]
    assert list(notes.values) == [("编号", "备注"), (1, "第一条")]
    assert tickets["A1"].font.b and not tickets["A2"].font.b
    assert tickets.freeze_panes == "A2" and tickets.column_dimensions["B"].width == 40


def test_column_letters_are_excels() -> None:
    from openpyxl.utils import get_column_letter

    assert [column_letter(i) for i in range(1, 1500)] == [get_column_letter(i) for i in range(1, 1500)]
