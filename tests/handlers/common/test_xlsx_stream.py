"""The streamed workbook: bytes come out as rows go in, and what openpyxl reads back is what was written — numbers
as numbers, text escaped (control characters dropped, spaces and line breaks kept), empty cells keeping the columns
in place, a bold frozen header, every sheet in order."""

from __future__ import annotations

import io
import zipfile

import openpyxl

from handlers.common.sheets import column_letter
from handlers.common.xlsx_stream import Columns, StreamedBook, row_xml, rows_xml


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


AWKWARD = [
    "楼道灯不亮",
    "",
    "电梯<坏了> & 漏水",
    "a\x07b\x00c",
    " 前有空格",
    "后有空格 ",
    "两\n行\t制表",
    "中\x7f间",
    "\ufffe非字符",
    "长" * 40_000,
]


def test_a_batch_written_a_column_at_a_time_is_written_as_cell_by_cell() -> None:
    plain = ["楼道灯不亮", "3号楼 · 2单元501", "2026-11-30 09:00", "长" * 40_000]
    batches = [
        [[n, text, 2.5, ""] for n, text in enumerate(plain)],  # plain texts only, and an empty column
        *(
            [[n, text, n * 1.5, "备注"] for n, text in enumerate([*plain[:2], awkward, *plain[2:]])]
            for awkward in AWKWARD
        ),
        [[1, 5, "a"], [2, "", "b"], [3, True, "c"]],  # a column of numbers and empty texts; a bool
        [[n, AWKWARD[n % 8], n % 3 or "", [1, 1.0, True][n % 3]] for n in range(40)],  # few distinct values
        [[1, "短"], [2, "长行", 3]],  # rows of different lengths
    ]
    for rows in batches:
        assert rows_xml(7, rows) == "".join(row_xml(7 + i, cells) for i, cells in enumerate(rows)).encode()


def test_awkward_texts_read_back_as_openpyxl_reads_them() -> None:
    with StreamedBook([Columns("工单", ["编号", "内容", "星级"], [8, 40, 6])]) as book:
        book.add(0, [[n, text, n if n % 3 else ""] for n, text in enumerate(AWKWARD, start=1)])
        content = book.finish()
    values = list(openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].values)[1:]
    kept = [text.translate(dict.fromkeys([0, 7, 0xFFFE])) or None for text in AWKWARD]
    assert values == [(n, text, n if n % 3 else None) for n, text in enumerate(kept, start=1)]
