"""The streamed workbook: bytes come out as rows go in, and what openpyxl reads back is what was written — numbers
as numbers, text escaped (control characters dropped, spaces and line breaks kept), empty cells keeping the columns
in place, a bold frozen header, every sheet in order."""

from __future__ import annotations

import io
import zipfile

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
        book.add(0, [[3, "  前后有空格  ", 2.5], [4, "第一行\n第二行", 1]])
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
        (4, "第一行\n第二行", 1),
    ]
    assert list(notes.values) == [("编号", "备注"), (1, "第一条")]
    assert tickets["A1"].font.b and not tickets["A2"].font.b
    assert tickets.freeze_panes == "A2" and tickets.column_dimensions["B"].width == 40


def test_only_texts_that_need_it_keep_their_spaces_marked() -> None:
    with StreamedBook([Columns("工单", ["编号", "内容"], [8, 40])]) as book:
        book.add(0, [[1, "楼道灯不亮"], [2, " 前有空格"], [3, "后有空格 "], [4, "两\n行"], [5, "a & b"]])
        content = book.finish()
    with zipfile.ZipFile(io.BytesIO(content)) as written:
        sheet = written.read("xl/worksheets/sheet1.xml").decode()
    assert "<t>楼道灯不亮</t>" in sheet
    assert sheet.count('xml:space="preserve"') == 2 + 4  # the header's two, then every text but the plain one


def test_column_letters_are_excels() -> None:
    from openpyxl.utils import get_column_letter

    assert [column_letter(i) for i in range(1, 1500)] == [get_column_letter(i) for i in range(1, 1500)]
