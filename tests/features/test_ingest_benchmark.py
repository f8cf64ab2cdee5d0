"""The ingest benchmark, tiny (the figures come from `python benchmarks/ingest.py`): the evening's mix goes through
the real handlers and the naive bot on the same database, and both leave what they should."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.ingest import TOKEN, Linli, application, measure, prepare
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


async def test_a_confirm_and_an_rsvp_press_cost_no_more_statements_than_measured(database_url: str) -> None:
    """Load-independent evidence for the ingest figures (decision 0019): what a 确认 on a ticket card and a 报名 on an
    event card cost beyond what the inbox spends on any update (a chatter message, which costs no statement of its
    own). Fewer is welcome (lower the bounds); more fails."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    statements = Statements(engine)
    postgres = engine.dialect.name == "postgresql"
    try:
        async with LocalBotApi(token=TOKEN, can_read_all_group_messages=True) as api:
            app = await application(api.base_url)
            linli = Linli(sessions, app, ChatTurns(engine) if postgres else None)
            evening = await prepare(sessions, linli, groups=2)
            group = evening.groups[0]
            chatter = await cost(linli, statements, evening.message(group, group.residents[1], "收到"))
            confirm = await cost(linli, statements, evening.press(group, group.head, "ticket")) - chatter
            rsvp = await cost(linli, statements, evening.press(group, group.residents[2], "event")) - chatter
            await linli.inbox.stop()
            await app.shutdown()
    finally:
        await engine.dispose()
    print(f"statements beyond the inbox's own: 确认 {confirm}, 报名 {rsvp}")
    assert confirm <= (20 if postgres else 19)  # 34 before the ledger's upserts, one write of the ticket, a known head
    # and (SQLite) the outbox rows of an update in one statement
    assert rsvp <= 7  # 10 before the RSVPs were read once
