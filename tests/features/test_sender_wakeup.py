"""Senders claim new rows at once, not at their next poll: the code that commits rows wakes this process's sender,
and on PostgreSQL announces them (NOTIFY) to the senders listening elsewhere. The poll (30 s here) stays the
fallback, so each wait below is bounded well under it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import create_engine, session_factory, unit_of_work
from bot.outbox_sender import OutboxSender
from bot.outbox_signal import OutboxAnnouncer, OutboxListener
from bot.telegram import TelegramTransport, build_application
from handlers.core.outbox import enqueue
from handlers.core.types import Send
from models.base import utcnow
from sandbox.server import LocalBotApi
from tests.conftest import ON_POSTGRES
from tests.features.harness import TOKEN, running_bot

POLL_SECONDS = 30.0
AT_ONCE_SECONDS = 5.0  # generous for a loaded machine, and still a sixth of the poll


async def test_a_reply_goes_out_at_once_not_at_the_next_poll(database_url: str) -> None:
    async with running_bot(database_url, poll_seconds=POLL_SECONDS) as bot:
        resident = bot.person("王小明")
        private = bot.private(resident)
        for _ in range(3):
            asked = time.monotonic()
            await resident.says(private, "/help")
            answer = await bot.api.wait_for_call(lambda c: c.method == "sendMessage" and c.ok, AT_ONCE_SECONDS)
            print(f"reply {answer.at - asked:.3f} s after the message")  # the server's clock is time.monotonic
            assert answer.at - asked < AT_ONCE_SECONDS


@dataclass(frozen=True)
class Listening:
    writer: AsyncEngine
    heard: asyncio.Event
    announcer: OutboxAnnouncer


@contextlib.asynccontextmanager
async def listening(database_url: str) -> AsyncIterator[Listening]:
    """A listener on one engine and an announcer on another, the listener's first wake-up (on starting to listen)
    heard and cleared."""
    writer, reader = create_engine(database_url), create_engine(database_url)
    heard = asyncio.Event()
    listener, announcer = OutboxListener(reader, heard.set), OutboxAnnouncer(writer)
    listener.start()
    announcer.start()
    try:
        await asyncio.wait_for(heard.wait(), 30)
        heard.clear()
        yield Listening(writer, heard, announcer)
    finally:
        await announcer.stop()
        await listener.stop()
        await writer.dispose()
        await reader.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="NOTIFY is PostgreSQL's; on SQLite one process holds every part")
async def test_a_listener_hears_rows_announced_on_another_connection(database_url: str) -> None:
    async with listening(database_url) as it:
        it.announcer.announce()
        await asyncio.wait_for(it.heard.wait(), AT_ONCE_SECONDS)


@pytest.mark.skipif(not ON_POSTGRES, reason="NOTIFY is PostgreSQL's; on SQLite one process holds every part")
async def test_a_listener_whose_connection_is_killed_listens_again(database_url: str) -> None:
    async with listening(database_url) as it:
        async with it.writer.connect() as connection:
            killed = await connection.scalar(text(KILL_LISTENERS))
        assert killed == 1
        await asyncio.wait_for(it.heard.wait(), 30)  # connected and listening again: it wakes once, then hears
        it.heard.clear()
        it.announcer.announce()
        await asyncio.wait_for(it.heard.wait(), AT_ONCE_SECONDS)


KILL_LISTENERS = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
)


@pytest.mark.skipif(not ON_POSTGRES, reason="NOTIFY is PostgreSQL's; on SQLite one process holds every part")
async def test_a_sender_elsewhere_sends_an_announced_row_at_once(database_url: str) -> None:
    async with LocalBotApi(token=TOKEN) as api:
        group = api.group(-1005000000001, "1号楼业主群")
        writer, reader = create_engine(database_url), create_engine(database_url)
        application = build_application(token=TOKEN, base_url=api.base_url)
        await application.initialize()
        sender = OutboxSender(
            sessions=session_factory(reader),
            transports={"telegram": TelegramTransport(application.bot)},
            clock=utcnow,
            poll_seconds=POLL_SECONDS,
        )
        listening = asyncio.Event()

        def heard() -> None:
            listening.set()
            sender.wake()

        listener, announcer = OutboxListener(reader, heard), OutboxAnnouncer(writer)
        await sender.start()
        listener.start()
        announcer.start()
        try:
            await asyncio.wait_for(listening.wait(), 30)
            for n in range(3):
                queued = time.monotonic()
                async with unit_of_work(session_factory(writer)) as session:
                    await enqueue(session, [Send(platform="telegram", chat_id=str(group.id), text=f"通知 {n}")])
                announcer.announce()
                call = await api.wait_for_call(lambda c: c.method == "sendMessage" and c.ok, AT_ONCE_SECONDS)
                print(f"sent {call.at - queued:.3f} s after the commit began")
                assert call.at - queued < AT_ONCE_SECONDS
        finally:
            await announcer.stop()
            await listener.stop()
            await sender.stop()
            await application.shutdown()
            await writer.dispose()
            await reader.dispose()
