"""Exports of the board: the tickets any filter shows, with their history, as CSV (one row per ticket, its history
in one column) or Excel (a sheet of tickets and a sheet of their events).

Both are streamed: the matching numbers come from the board's index, then the tickets are read BATCH at a time
(a column at a time, with their events and the names in them, one statement a batch) and each batch is written out
as it comes, while the database reads the next (`read_ahead`) — so the first bytes leave while the
rest is still being read and memory stays flat however large the export."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing, suppress
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from handlers.common.sheets import Cell
from handlers.common.ticket_places import with_location
from handlers.common.times import LocalStamps
from handlers.common.xlsx_stream import Columns, StreamedBook
from handlers.console.board import Filters, ticket_query
from handlers.console.scope import Viewer
from handlers.core.desk import Desk
from models.base import AsyncSession
from models.console import ExportBatch, export_batch, plan_for_the_values, ticket_numbers

EXPORT_LIMIT = 100_000
FIRST_BATCH, BATCH = 100, 2_000
"""A small first batch, so the first bytes leave soon; then larger ones, for fewer round trips (`batched`)."""
TICKET_COLUMNS = (
    "number", "category", "place", "text", "status", "urgent", "tier", "reporter", "assignee", "created", "due",
    "resolved_at", "closed_at", "stars", "timeline",
)  # fmt: skip
TICKET_WIDTHS = [8, 10, 18, 40, 10, 6, 10, 12, 12, 18, 18, 18, 18, 6, 60]
EVENT_COLUMNS = ("number", "when", "actions", "who", "status", "note")
EVENT_WIDTHS = [8, 18, 10, 12, 10, 40]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    chunks: AsyncGenerator[bytes]
    """The file's bytes, a batch of tickets at a time (read from the database as they are asked for). Close it
    (`contextlib.aclosing`) if it is not read to its end, so the read under way ends with it."""


Table = list[Sequence[Cell]]
"""Rows of cells kept as columns, each a sequence of one cell per row."""


@dataclass(frozen=True)
class Batch:
    """Some tickets of the export as the columns of the tickets sheet, and their events as the events sheet's."""

    tickets: Table
    events: Table


async def batches(desk: Desk, viewer: Viewer, filters: Filters, words: dict[str, str]) -> AsyncGenerator[Batch]:
    """The tickets the filters show, newest first, a batch at a time (at most EXPORT_LIMIT)."""
    query = await ticket_query(desk, viewer, filters)
    await plan_for_the_values(desk.session)
    numbers = await ticket_numbers(desk.session, query=query, limit=EXPORT_LIMIT)
    rows = Rows(LocalStamps(desk.config.timezone), words)
    async with aclosing(read_ahead(desk.session, batched(numbers))) as read:
        async for tickets, (_, *events), names in read:
            rows.names.update(names.items())
            steps = rows.events(events)
            yield Batch(rows.tickets(tickets, timelines(steps)), steps)


def batched(numbers: list[int]) -> list[list[int]]:
    """The numbers in batches: FIRST_BATCH, then BATCH at a time (the events sheet holds each batch's events in
    the order they happened, so these bounds are part of the file)."""
    first = numbers[:FIRST_BATCH]
    return [first] * bool(first) + [numbers[at : at + BATCH] for at in range(FIRST_BATCH, len(numbers), BATCH)]


async def read_ahead(session: AsyncSession, chunks: list[list[int]]) -> AsyncGenerator[ExportBatch]:
    """Each chunk's `export_batch`, the next one's statement sent before this one is handed out, so the database
    reads it while the export writes this one out (a month's exports spent a third of their time waiting for it).
    The session is never used by two at once: the next read starts once this one has arrived, and is awaited before
    anything else runs on the session — also when the export stops early, so no read outlives it. On SQLite too:
    a batch's statement is a long read (`models.base.long_read`), which runs on the connection's worker thread
    while this thread writes out the batch before (a month's Excel export on SQLite ~15 % sooner)."""
    reading: asyncio.Task[ExportBatch] | None = None
    try:
        for at, chunk in enumerate(chunks):
            arrived = await (reading or export_batch(session, numbers=chunk))
            reading = None
            if at + 1 < len(chunks):
                reading = asyncio.create_task(export_batch(session, numbers=chunks[at + 1]))
                await asyncio.sleep(0)  # the task sends its statement before this batch is written out
            yield arrived
    finally:
        if reading is not None:
            with suppress(Exception):  # the export has stopped: what the read found no longer matters
                await reading


NOTHING: dict[object, Cell] = {None: ""}
"""A missing note or number shows as an empty cell: ``NOTHING.get(value, value)``."""


class Words(dict[object, str]):
    """The page's word for each key of a column (``prefix + key``), looked up once per export: a column is mapped
    through the dictionary at C speed; only a key seen for the first time calls `__missing__`."""

    def __init__(
        self,
        words: dict[str, str],
        prefix: str,
        unknown: Callable[[object], str] | None = None,
        known: dict[object, str] | None = None,
    ) -> None:
        """``unknown`` gives the cell of a key the page has no word for (without it: a KeyError); ``known`` holds
        cells decided beforehand."""
        super().__init__(known or {})
        self.words, self.prefix, self.unknown = words, prefix, unknown

    def __missing__(self, key: object) -> str:
        name = f"{self.prefix}{key}"
        found = self[key] = self.words[name] if self.unknown is None or name in self.words else self.unknown(key)
        return found


class Rows:
    """The cells of the export's rows, from the columns the database gives, built and kept a column at a time (a
    month has a quarter of a million cells: each column is mapped through a word table or a function in one pass,
    not a cell at a time in Python, and is written to the sheet as a column too). Words and stamps are looked up once
    per export, not once per cell."""

    def __init__(self, stamp: LocalStamps, words: dict[str, str]) -> None:
        self.stamp = stamp
        self.urgent: dict[object, str] = {True: words["urgent"], False: "", None: ""}
        self.categories = Words(words, "category_")
        self.statuses = Words(words, "status_")
        self.actions = Words(words, "action_", unknown=str)
        self.steps = Words(words, "status_", unknown=lambda _: "", known={None: "", "": ""})
        self.names: dict[object, str] = {None: ""}
        """The name of each person met so far in the export (`batches` reads the new ones); none for no one."""

    def tickets(self, columns: list[list[Any]], history: dict[int, str]) -> Table:
        """The tickets sheet's columns (and the CSV's) from `export_lines`' columns, each ticket with its history
        from `timelines`."""
        number, category, building, location, text, status, urgent, tier, reporter, assignee, *times, rating = columns
        return [
            number,
            list(map(self.categories.__getitem__, category)),
            list(map(with_location, building, location)),
            text,
            list(map(self.statuses.__getitem__, status)),
            list(map(self.urgent.__getitem__, urgent)),
            tier,
            list(map(self.names.__getitem__, reporter)),
            list(map(self.names.__getitem__, assignee)),
            *map(self.stamp.column, times),
            list(map(NO_STARS.get, rating, rating)),
            list(map(history.get, number, repeat(""))),
        ]

    def events(self, columns: list[list[Any]]) -> Table:
        """The events sheet's columns (from `export_events`' after the events' own numbers): number, when, what,
        who, the status it led to, the note."""
        number, created, action, actor, to_status, note = columns
        return [
            number,
            self.stamp.column(created),
            list(map(self.actions.__getitem__, action)),
            list(map(self.names.__getitem__, actor)),
            list(map(self.steps.__getitem__, to_status)),
            list(map(NOTHING.get, note, note)),
        ]


NO_STARS: dict[object, Cell] = {None: "", 0: ""}


def timelines(steps: Table) -> dict[int, str]:
    """Each ticket's history in one line: its events' `step_line`s, in order, joined by ；."""
    lines: dict[int, list[str]] = {}
    number, when, what, who = steps[:4]
    for ticket, line in zip(number, map(step_line, when, what, who), strict=True):
        lines.setdefault(int(ticket), []).append(line)
    return {ticket: "；".join(shown) for ticket, shown in lines.items()}


def step_line(when: Cell, what: Cell, who: Cell) -> str:
    """2026-02-12 10:00 派单 张社工 (when, what and who of a row of the events sheet)"""
    return f"{when} {what} {who}" if who else f"{when} {what}"


async def csv_chunks(rows: AsyncGenerator[Batch], header: list[str]) -> AsyncGenerator[bytes]:
    """UTF-8 with a BOM (so Excel shows Chinese), the header, then each batch's tickets."""
    buffer = io.StringIO("\ufeff")
    buffer.seek(0, io.SEEK_END)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    async with aclosing(rows):
        async for batch in rows:
            writer.writerows(zip(*batch.tickets, strict=True))
            yield drained(buffer)
    yield drained(buffer)


def drained(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


async def xlsx_chunks(rows: AsyncGenerator[Batch], tickets: Columns, events: Columns) -> AsyncGenerator[bytes]:
    async with aclosing(rows):
        with StreamedBook([tickets, events]) as book:
            async for batch in rows:
                book.add_columns(0, batch.tickets)
                book.add_columns(1, batch.events)
                yield book.take()
            yield book.finish()


async def export_tickets(desk: Desk, viewer: Viewer, filters: Filters, words: dict[str, str], fmt: str) -> Export:
    name = f"tickets_{desk.now.astimezone(desk.config.timezone):%Y%m%d_%H%M}"
    rows = batches(desk, viewer, filters, words)
    header = [words[c] for c in TICKET_COLUMNS]
    if fmt == "csv":
        return Export(f"{name}.csv", "text/csv", csv_chunks(rows, header))
    tickets = Columns(words["board"], header, TICKET_WIDTHS)
    events = Columns(words["timeline"], [words[c] for c in EVENT_COLUMNS], EVENT_WIDTHS)
    return Export(f"{name}.xlsx", XLSX, xlsx_chunks(rows, tickets, events))
