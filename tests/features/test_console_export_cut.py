"""A month's export cut short by the browser: the client reads the first bytes and drops the connection while the
server still reads batches (`handlers/console/exports.py`). The server must end the read with the request — no
traceback, no read left running, the database connection back in the pool — and answer the next requests at once."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import types
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http.client import HTTPConnection

import aiohttp
import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

import handlers.console.exports as exports
from models.base import AsyncSession
from models.console import ExportBatch
from models.tickets import Ticket
from tests.features.console_world import ConsoleClient, login_path, office
from tests.features.harness import running_bot

TICKETS = 6_200
"""Enough for several batches after the first (FIRST_BATCH, then BATCH at a time): the cut comes mid-export."""


async def copies_of_ticket_one(engine: AsyncEngine, count: int) -> None:
    """Ticket #1 as the bot filed it, inserted ``count`` times more in one statement (the cheapest large board)."""
    table = Ticket.__table__  # type: ignore[attr-defined]
    async with engine.begin() as conn:
        first = (await conn.execute(select(table).where(table.c.id == 1))).mappings().one()
        await conn.execute(insert(table), [{k: v for k, v in first.items() if k != "id"}] * count)


def first_bytes_then_drop(port: int, path: str, desk: ConsoleClient) -> bytes:
    """What a browser in its own process does when its user gives up: the first bytes of the download, then the
    connection closed with the rest unread. A thread, not the event loop: on SQLite the export reads on the loop's
    own thread, so a client on the loop would only run again once the whole file had been sent."""
    http = HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        http.request("GET", path, headers={"Cookie": f"linli_console={desk.cookie}"})
        with http.getresponse() as response:
            assert response.status == 200 and "attachment" in response.headers["Content-Disposition"]
            return response.read1(1024)
    finally:
        http.close()


@dataclass
class CountedReads:
    """`export_batch` as the export calls it, counted: how many batches were read, how many are still being read."""

    read: Callable[..., Awaitable[ExportBatch]]
    started: int = 0
    finished: int = 0

    async def __call__(self, session: AsyncSession, *, numbers: list[int]) -> ExportBatch:
        self.started += 1
        try:
            return await self.read(session, numbers=numbers)
        finally:
            self.finished += 1


def suspended_exports() -> list[types.AsyncGeneratorType[object, object]]:
    """The export's generators neither finished nor closed (still holding their read and their session)."""
    return [
        o
        for o in gc.get_objects()
        if isinstance(o, types.AsyncGeneratorType) and o.ag_code.co_filename == exports.__file__ and o.ag_frame
    ]


async def settled(engine: AsyncEngine, checked_out: int, reads: CountedReads) -> None:
    """Wait (at most 5 s) until the pool has its connections back, no batch is being read and no export is open."""
    for _ in range(500):
        pool_back = engine.pool.checkedout() == checked_out  # type: ignore[attr-defined]
        if pool_back and reads.started == reads.finished and not suspended_exports():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still out after 5 s: {engine.pool.status()}, {reads}, {suspended_exports()}")


async def test_a_download_dropped_mid_export_ends_its_read_and_frees_the_connection(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO)
    reads = CountedReads(exports.export_batch)
    monkeypatch.setattr(exports, "export_batch", reads)
    async with running_bot(database_url) as bot, aiohttp.ClientSession() as http:
        w = await office(bot)
        await w.resident.says(w.group, "3单元电梯坏了")
        await w.group.expect_message("📋 工单 #1")
        await copies_of_ticket_one(bot.runtime.engine, TICKETS)
        desk = ConsoleClient(http, f"http://127.0.0.1:{bot.runtime.web_port}")
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        await bot.settle()
        engine = bot.runtime.engine
        checked_out = engine.pool.checkedout()  # type: ignore[attr-defined]

        assert await asyncio.to_thread(first_bytes_then_drop, bot.runtime.web_port, "/console/export.csv", desk)
        await settled(engine, checked_out, reads)
        assert 0 < reads.finished < len(exports.batched(list(range(TICKETS + 1))))  # dropped mid-export

        start = time.monotonic()
        status, board = await desk.get("/console")
        assert status == 200 and "电梯" in board
        status, text = await desk.get("/console/export.csv")
        assert status == 200 and text.count("\r\n") == TICKETS + 2
        assert time.monotonic() - start < 5
        await settled(engine, checked_out, reads)  # the full export's unit of work ends just after its last byte
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert "console.export_dropped" in logged  # the server saw the download dropped mid-export
    for trouble in ("Traceback", "Error handling request", "exception was never retrieved", "was destroyed"):
        assert trouble not in logged
