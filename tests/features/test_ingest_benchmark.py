"""The ingest benchmark, tiny (the figures come from `python benchmarks/ingest.py`): the evening's mix goes through
the real handlers and the naive bot on the same database, and both leave what they should."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.ingest import TOKEN, Evening, Linli, application, measure, prepare
from bot.db import create_engine, session_factory
from bot.locks import ChatTurns
from sandbox.server import LocalBotApi


async def test_the_evening_replays_through_linli_and_the_naive_bot(database_url: str) -> None:
    figures = await measure(database_url, 300, groups=10)
    print(figures.line())
    assert set(figures.kinds) == {"chatter", "request", "confirm", "rsvp", "command"}
    assert figures.inbox == {"done": 10 * 12 + 10 + 300 + 300}  # first words, a report a group, warm-up, evening
    assert figures.tickets > 10 and figures.outbox > figures.tickets
    assert figures.naive_rows == 300 + 300
    assert figures.linli > 0 and figures.naive > 0


class Statements:
    """Every statement the engine sends, counted."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self.seen)

    def seen(self, *_: object) -> None:
        self.count += 1


async def cost(linli: Linli, statements: Statements, update: dict[str, Any]) -> int:
    """Statements to store and process one update, as its own batch."""
    before = statements.count
    await linli.ingest([update])
    return statements.count - before


@asynccontextmanager
async def counted_evening(database_url: str) -> AsyncIterator[tuple[Linli, Statements, Evening]]:
    """The benchmark's world in two groups, with every statement of the engine counted."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    statements = Statements(engine)
    try:
        async with LocalBotApi(token=TOKEN, can_read_all_group_messages=True) as api:
            app = await application(api.base_url)
            postgres = engine.dialect.name == "postgresql"
            linli = Linli(sessions, app, ChatTurns(engine) if postgres else None)
            yield linli, statements, await prepare(sessions, linli, groups=2)
            await linli.inbox.stop()
            await app.shutdown()
    finally:
        await engine.dispose()


async def test_a_confirm_and_an_rsvp_press_cost_no_more_statements_than_measured(database_url: str) -> None:
    """Load-independent evidence for the ingest figures (decision 0019): what a 确认 on a ticket card and a 报名 on an
    event card cost beyond what the inbox spends on any update (a chatter message, which costs no statement of its
    own). Fewer is welcome (lower the bounds); more fails."""
    async with counted_evening(database_url) as (linli, statements, evening):
        group = evening.groups[0]
        chatter = await cost(linli, statements, evening.message(group, group.residents[1], "收到"))
        confirm = await cost(linli, statements, evening.press(group, group.head, "ticket")) - chatter
        rsvp = await cost(linli, statements, evening.press(group, group.residents[2], "event")) - chatter
    print(f"statements beyond the inbox's own: 确认 {confirm}, 报名 {rsvp}")
    postgres = database_url.startswith("postgres")
    assert confirm <= (20 if postgres else 19)  # 34 before the ledger's upserts, one write of the ticket, a known head
    # and (SQLite) the outbox rows of an update in one statement
    assert rsvp <= 7  # 10 before the RSVPs were read once


async def test_a_request_and_a_points_command_cost_no_more_statements_than_measured(database_url: str) -> None:
    """As above for a request that opens a ticket, the same request from a neighbour (asked whether it is the same
    problem: the +1), and 积分."""
    async with counted_evening(database_url) as (linli, statements, evening):
        group = evening.groups[0]
        chatter = await cost(linli, statements, evening.message(group, group.residents[1], "收到"))
        opens = await cost(linli, statements, evening.message(group, group.residents[3], "2单元楼道灯不亮了")) - chatter
        again = await cost(linli, statements, evening.message(group, group.residents[4], "2单元楼道灯不亮了")) - chatter
        points = await cost(linli, statements, evening.message(group, group.residents[5], "积分")) - chatter
    print(f"statements beyond the inbox's own: a request opening {opens}, its +1 {again}, 积分 {points}")
    assert opens <= 6  # 9 before: a just-opened ticket's dispatch, whistles and +1s are not read, nor its building
    assert again <= 3  # the open tickets compared, the question's offer, the question
    assert points <= 3  # 4 before the command's pace was one upsert
