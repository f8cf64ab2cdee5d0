"""An Excel workbook written as its rows come, for exports too large to build in memory first.

openpyxl builds the whole file before the first byte can be sent (about 60 µs a cell here, write-only mode
included), so a month of tickets took seconds. This writes the SpreadsheetML by hand into a zip that is handed out
as it grows (entries carry data descriptors, so nothing already sent is rewritten). The first sheet streams; the
others are kept in a temporary file until the first is complete (a zip holds one entry after another). Cells are
numbers or inline strings; the header row is bold and frozen; column widths are given up front."""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO
from xml.sax.saxutils import escape

from handlers.common.sheets import Cell

SPOOL_IN_MEMORY = 8 * 1024 * 1024
NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
STYLES = (
    f'<styleSheet xmlns="{MAIN}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


@dataclass(frozen=True)
class Columns:
    """A worksheet's title, header and column widths (in characters)."""

    title: str
    header: list[str]
    widths: list[int]


class Outgoing:
    """The zip's destination: keeps what was written until it is taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        """Nothing to release (part of what a zip's destination must offer)."""

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


NEEDS_ESCAPING = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
NEEDS_CARE = re.compile(r"[&<>\x00-\x1f\ufffe\uffff]")
"""What a cell's text must not hold to be written as it is, without xml:space="preserve": something to escape or
drop, or a tab or line break (nor may it begin or end with a space, which Excel would trim)."""
PLAIN_CELL, TEXT_CELL = '<c t="inlineStr"><is><t>', '<c t="inlineStr"><is><t xml:space="preserve">'
TEXT_END = "</t></is></c>"


def text_xml(value: str) -> str:
    """``value`` as XML text: &, < and > escaped, the characters XML cannot hold dropped."""
    return escape(NOT_IN_XML.sub("", value)) if NEEDS_ESCAPING.search(value) else value


def rows_xml(first: int, rows: list[list[Cell]]) -> bytes:
    """Rows numbered from ``first``, encoded, a column at a time: each column of the batch gets one cell template,
    chosen from what it holds (`column_cells`), and each row is its row template filled in once, as bytes — a
    month's cells are a quarter of a million, and deciding each one's form in Python took most of the sheet's time.
    Cells carry no reference (A2): each stands in the column after the one before, as the format allows. Rows of
    different lengths go one by one."""
    if len({len(cells) for cells in rows}) != 1:
        return "".join([row_xml(first + i, cells) for i, cells in enumerate(rows)]).encode()
    return columns_xml(first, list(zip(*rows, strict=True)))


def columns_xml(first: int, columns: Sequence[Sequence[Cell]]) -> bytes:
    """The rows numbered from ``first`` whose cells are given a column at a time (each column one cell a row), as
    `rows_xml` writes them: a batch kept as columns is written without being turned into rows and back."""
    if not columns or not columns[0]:
        return b""
    templates, cells = zip(*map(column_cells, columns), strict=True)
    row = b'<row r="%d">' + b"".join(templates) + b"</row>"
    return b"".join(map(row.__mod__, zip(range(first, first + len(columns[0])), *cells, strict=True)))


NUMBER_TEMPLATE = b"<c><v>%r</v></c>"
"""An int's or a float's repr is its str, as the one-by-one way writes it."""
PLAIN_TEMPLATE, OWN_TEMPLATE = f"{PLAIN_CELL}%s{TEXT_END}".encode(), b"%s"
EMPTY_CELL = {b"": b"<c/>"}
FEW = 4
"""A column whose distinct values are at most a FEWth of its cells is written from a table of their XML. Ints and
texts only: no two of them are equal (1 and True, or 1 and 1.0, are, and are written differently)."""
APART = "\x7f"
"""Between a column's texts while they are checked and encoded at once: not something XML escapes, so the texts'
own characters are found as they are, and a space next to it is a text's first or last."""


def column_cells(values: Sequence[Cell]) -> tuple[bytes, Sequence[Cell] | list[bytes]]:
    """A column of a batch as a cell template and what goes into it: numbers (ints and floats only) into <v>; a
    column of few distinct texts and ints (statuses, categories, stars, names) as each distinct value's XML, made
    once and looked up a cell at a time (no new object a cell); texts that all go as they are (`plain_texts`) into
    an inline string, an empty one as <c/>; any other column as each cell's own XML."""
    kinds = set(map(type, values))
    if kinds <= {int, float}:
        return NUMBER_TEMPLATE, values
    if kinds <= {int, str} and len(distinct := set(values)) * FEW <= len(values):
        cells = {value: cell_xml(value).encode() for value in distinct}
        return OWN_TEMPLATE, list(map(cells.__getitem__, values))
    texts = plain_texts(values) if kinds == {str} else None  # type: ignore[arg-type]
    if texts is None:
        return OWN_TEMPLATE, [cell_xml(value).encode() for value in values]
    if b"" in texts:
        return OWN_TEMPLATE, list(map(EMPTY_CELL.get, texts, map(PLAIN_TEMPLATE.__mod__, texts)))
    return PLAIN_TEMPLATE, texts


def plain_texts(values: Sequence[str]) -> list[bytes] | None:
    """The texts encoded, if none needs care (nothing to escape, no tab or line break, no space at either end, no
    APART of its own); None otherwise. Checked, encoded and split in one string: a few passes in C, not a call a
    text."""
    joined = APART.join(values)
    if NEEDS_CARE.search(joined):
        return None
    encoded = joined.encode()
    texts = encoded.split(APART.encode())
    edges = encoded[:1] == b" " or encoded[-1:] == b" " or b"\x7f " in encoded or b" \x7f" in encoded
    return None if edges or len(texts) != len(values) else texts


def row_xml(number: int, cells: list[Cell]) -> str:
    """One row of cells, each written by `cell_xml`."""
    return f'<row r="{number}">{"".join(map(cell_xml, cells))}</row>'


def cell_xml(value: Cell) -> str:
    """One cell: a number, <c/> for an empty text, or an inline string. Texts that need no care go without
    xml:space="preserve": 21 bytes a cell less to encode and compress (a third of a sheet)."""
    if not isinstance(value, str):
        return f"<c><v>{value}</v></c>"
    if not value:
        return "<c/>"
    if NEEDS_CARE.search(value) or value[0] == " " or value[-1] == " ":
        return f"{TEXT_CELL}{text_xml(value)}{TEXT_END}"
    return f"{PLAIN_CELL}{value}{TEXT_END}"


def header_xml(header: list[str]) -> str:
    """The first row, in the bold style (1)."""
    cells = "".join(f'<c s="1" t="inlineStr"><is><t xml:space="preserve">{text_xml(h)}</t></is></c>' for h in header)
    return f'<row r="1">{cells}</row>'


def sheet_opening(columns: Columns) -> str:
    widths = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(columns.widths, start=1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" xmlns:r="{RELS}">'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        'state="frozen"/></sheetView></sheetViews>'
        f"<cols>{widths}</cols><sheetData>{header_xml(columns.header)}"
    )


SHEET_CLOSING = "</sheetData></worksheet>"


class StreamedBook:
    """A workbook of several sheets; `add` rows to any of them, `take` the bytes ready so far, `finish` once. Use it
    in a `with` block, so the sheets kept aside are dropped if the export stops half-way."""

    def __init__(self, sheets: list[Columns]) -> None:
        self._sheets = sheets
        self._out = Outgoing()
        self._zip = zipfile.ZipFile(self._out, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._next_row = [2 for _ in sheets]
        self._first: IO[bytes] = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._first.write(sheet_opening(sheets[0]).encode())
        self._kept = ExitStack()  # closes the spools when the book's `with` block ends
        spools = [tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) for _ in sheets[1:]]  # noqa: SIM115
        self._later = [self._kept.enter_context(spool) for spool in spools]
        for spool, columns in zip(self._later, sheets[1:], strict=True):
            spool.write(sheet_opening(columns).encode())

    def __enter__(self) -> StreamedBook:
        return self

    def __exit__(self, *_: object) -> None:
        self._kept.close()

    def add(self, sheet: int, rows: list[list[Cell]]) -> None:
        start = self._next_row[sheet]
        self._write(sheet, rows_xml(start, rows) if rows else b"", len(rows))

    def add_columns(self, sheet: int, columns: Sequence[Sequence[Cell]]) -> None:
        """Add rows given a column at a time (every column as long as the others)."""
        self._write(sheet, columns_xml(self._next_row[sheet], columns), len(columns[0]) if columns else 0)

    def _write(self, sheet: int, xml: bytes, rows: int) -> None:
        self._next_row[sheet] += rows
        (self._first if sheet == 0 else self._later[sheet - 1]).write(xml)

    def take(self) -> bytes:
        return self._out.take()

    def finish(self) -> bytes:
        """Close every sheet and write the workbook's parts; returns the last bytes."""
        self._first.write(SHEET_CLOSING.encode())
        self._first.close()
        for number, spool in enumerate(self._later, start=2):
            spool.write(SHEET_CLOSING.encode())
            spool.seek(0)
            with self._zip.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as entry:
                while block := spool.read(1024 * 1024):
                    entry.write(block)
        for name, content in self.parts():
            self._zip.writestr(name, content)
        self._zip.close()
        return self._out.take()

    def parts(self) -> list[tuple[str, str]]:
        count = len(self._sheets)
        sheets = "".join(
            f'<sheet name="{escape(s.title[:31], {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
            for i, s in enumerate(self._sheets, start=1)
        )
        relations = "".join(
            f'<Relationship Id="rId{i}" Type="{RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, count + 1)
        )
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
            for i in range(1, count + 1)
        )
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        return [
            (
                "[Content_Types].xml",
                head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                f"{overrides}</Types>",
            ),
            (
                "_rels/.rels",
                head + f'<Relationships xmlns="{PACKAGE_RELS}">'
                f'<Relationship Id="rId1" Type="{OFFICE_DOC}" Target="xl/workbook.xml"/></Relationships>',
            ),
            (
                "xl/workbook.xml",
                head + f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>{sheets}</sheets></workbook>',
            ),
            (
                "xl/_rels/workbook.xml.rels",
                head + f'<Relationships xmlns="{PACKAGE_RELS}">{relations}'
                f'<Relationship Id="rId{count + 1}" Type="{RELS}/styles" Target="styles.xml"/></Relationships>',
            ),
            ("xl/styles.xml", head + STYLES),
        ]
