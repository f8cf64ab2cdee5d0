"""The ticket export reads its next batch while it writes out the one before, on both databases (on SQLite the
batch's statement runs on the connection's worker thread, everything else on the loop's); stopped half-way (a
download cut short), the read it had under way ends with it, and the session is free for the rest of the unit of
work."""

from __future__ import annotations

import asyncio
import threading
from contextlib import aclosing

import pytest
from sqlalchemy import text

import benchmarks.console as bench
from bot.config import Settings
from bot.db import create_engine, session_factory
from handlers.console.board import read_filters
from handlers.console.exports import FIRST_BATCH, export_tickets
from handlers.console.pages import page_words
from handlers.console.scope import Viewer, viewer_of
from handlers.core.assembly import assemble
from handlers.core.context import FeatureConfig
from handlers.core.desk import Desk
from handlers.features import FEATURES
from models.base import LONG_READ, AsyncSession


async def desk_of_the_first_person(session: AsyncSession) -> tuple[Desk, Viewer]:
    config = assemble(FEATURES, base=FeatureConfig(bot_username="t"), env=Settings(_env_file=None)).config  # type: ignore[call-arg]
    viewer = await viewer_of(session, person_id=1)
    assert viewer is not None
    return Desk(session=session, config=config, now=bench.NOW, person=viewer.person, grants=viewer.grants), viewer


async def test_on_sqlite_only_the_batches_are_read_off_the_loops_thread(database_url: str) -> None:
    if database_url.startswith("postgres"):
        pytest.skip("SQLite's statements run on the loop's thread; PostgreSQL's are sent over the network")
    await bench.generate(database_url, 3 * FIRST_BATCH, 10)
    engine = create_engine(database_url)
    ran: list[tuple[bool, str]] = []
    async with session_factory(engine)() as session:
        desk, viewer = await desk_of_the_first_person(session)
        raw = (await (await session.connection()).get_raw_connection()).driver_connection
        on_loops_thread = threading.main_thread
        raw._conn.set_trace_callback(lambda sql: ran.append((threading.current_thread() is on_loops_thread(), sql)))
        made = await export_tickets(desk, viewer, read_filters({}), page_words("zh"), "xlsx")
        assert b"".join([chunk async for chunk in made.chunks])[:2] == b"PK"
    await engine.dispose()
    batches = [on_loop for on_loop, sql in ran if LONG_READ in sql]
    others = [on_loop for on_loop, sql in ran if LONG_READ not in sql and sql.lstrip().startswith(("SELECT", "WITH"))]
    assert batches == [False, False]  # the first 100 tickets, then the other 200: each on the worker thread
    assert others and all(others)  # the numbers and the viewer's scope: on the loop's thread, as every statement


async def test_an_export_closed_after_its_first_bytes_leaves_no_read_behind(database_url: str) -> None:
    await bench.generate(database_url, 3 * FIRST_BATCH, 10)
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        desk, viewer = await desk_of_the_first_person(session)
        before = asyncio.all_tasks()
        for fmt in ("csv", "xlsx"):
            made = await export_tickets(desk, viewer, read_filters({}), page_words("zh"), fmt)
            async with aclosing(made.chunks) as chunks:
                assert await anext(chunks)
                reading = asyncio.all_tasks() - before
                assert len(reading) == 1, fmt  # the next batch's read, under way
            assert asyncio.all_tasks() == before, fmt
            assert (await session.exec(text("SELECT count(*) FROM ticket"))).one() == (3 * FIRST_BATCH,)  # type: ignore[call-overload]
    await engine.dispose()
