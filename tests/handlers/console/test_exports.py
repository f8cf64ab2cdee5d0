"""The ticket export stopped half-way (a download cut short): the read of the next batch it had under way ends
with it, and the session is free for the rest of the unit of work."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from sqlalchemy import text

import benchmarks.console as bench
from bot.config import Settings
from bot.db import create_engine, session_factory
from handlers.console.board import read_filters
from handlers.console.exports import FIRST_BATCH, export_tickets
from handlers.console.pages import page_words
from handlers.console.scope import viewer_of
from handlers.core.assembly import assemble
from handlers.core.context import FeatureConfig
from handlers.core.desk import Desk
from handlers.features import FEATURES
from models.base import on_postgres


async def test_an_export_closed_after_its_first_bytes_leaves_no_read_behind(database_url: str) -> None:
    await bench.generate(database_url, 3 * FIRST_BATCH, 10)
    config = assemble(FEATURES, base=FeatureConfig(bot_username="t"), env=Settings(_env_file=None)).config  # type: ignore[call-arg]
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        viewer = await viewer_of(session, person_id=1)
        assert viewer is not None
        desk = Desk(session=session, config=config, now=bench.NOW, person=viewer.person, grants=viewer.grants)
        before = asyncio.all_tasks()
        for fmt in ("csv", "xlsx"):
            made = await export_tickets(desk, viewer, read_filters({}), page_words("zh"), fmt)
            async with aclosing(made.chunks) as chunks:
                assert await anext(chunks)
                reading = asyncio.all_tasks() - before  # the next batch's read: under way on PostgreSQL (SQLite's
                assert len(reading) == on_postgres(session), fmt  # statements run inline: none is read ahead)
            assert asyncio.all_tasks() == before, fmt
            assert (await session.exec(text("SELECT count(*) FROM ticket"))).one() == (3 * FIRST_BATCH,)  # type: ignore[call-overload]
    await engine.dispose()
