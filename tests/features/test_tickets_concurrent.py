"""Ticket buttons pressed at the same moment in different chats, as two workers on one PostgreSQL database process
them: each press reads the ticket only once the other's change is committed, so the last 已解决 closes it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.db import create_engine, session_factory
from bot.dispatcher import Dispatcher
from handlers.core.assembly import assemble
from handlers.core.context import Context, FeatureConfig
from handlers.core.types import ChatKind, ChatRef, IncomingCallback, Sender
from handlers.features import FEATURES
from handlers.tickets import lifecycle
from models.tickets import Ticket, TicketEvent, TicketStatus
from sandbox.state import StoredMessage
from tests.conftest import ON_POSTGRES
from tests.features.harness import BotUnderTest, ManualClock, Participant, bot_settings, running_bot
from tests.features.tickets_world import building

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="concurrent transactions need PostgreSQL (SQLite serves one process, its writes in turn)"
)

WAITING_FOR_A_LOCK = text(
    "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"
)


async def resolved_for_two(bot: BotUnderTest) -> list[tuple[Participant, StoredMessage]]:
    """Ticket #1, reported by one resident and +1'd by a neighbour, marked 已处理: each has been asked 修好了吗？
    privately."""
    w = await building(bot)
    await w.resident.says(w.group, "3单元电梯坏了，好几天了")
    card = await w.group.expect_message("📋 工单 #1")
    await w.neighbour.says(w.group, "3单元电梯又坏了，还是不能用")
    await w.neighbour.presses(w.group, await w.group.expect_message("是同一个问题吗？"), "+1")
    await w.group.expect_edit("另有 1 位邻居")
    await w.head.presses(w.group, card, "确认")
    await w.group.expect_edit("已确认")
    await w.head.presses(w.group, card, "派单")
    await w.head.presses(w.group, await w.group.expect_message("派给谁"), "陈志愿")
    assigned = bot.private(w.volunteer)
    job = await assigned.expect_message("您有新的派单：工单 #1")
    await w.volunteer.presses(assigned, job, "开始处理")
    await w.group.expect_edit("处理中")
    await w.volunteer.presses(assigned, job, "已处理")
    asked = [(who, await bot.private(who).expect_message_with("修好了吗？")) for who in (w.resident, w.neighbour)]
    await bot.delivered()
    return asked


def worker(engine: AsyncEngine, database_url: str) -> Dispatcher:
    """What one worker process runs an update through (its own connections; its effects stay in the outbox)."""
    assembly = assemble(FEATURES, base=FeatureConfig(bot_username="linli_bot"), env=bot_settings(database_url))
    return Dispatcher(
        sessions=session_factory(engine),
        router=assembly.router,
        config=assembly.config,
        clock=ManualClock(),
        on_outbox=lambda: None,
    )


def pressed(who: Participant, question: StoredMessage, label: str) -> IncomingCallback:
    data = next(d for text, d in question.buttons if label in text and d is not None)
    return IncomingCallback(
        update_key=f"race:{who.user.id}",
        chat=ChatRef(platform="telegram", platform_chat_id=str(who.user.id), kind=ChatKind.PRIVATE),
        sender=Sender(platform_user_id=str(who.user.id), display_name=who.user.display_name),
        callback_id=f"race-{who.user.id}",
        data=data,
        message_id=str(question.message_id),
    )


def reading_together(watcher: AsyncEngine, presses: int) -> Callable[[Context, Ticket], Awaitable[set[int]]]:
    """`still_to_answer` that, once it has read, waits until every press has read too — or until another press
    waits for a lock (the ticket's): then it goes on alone, as it must."""
    original, read = lifecycle.still_to_answer, list[int | None]()

    async def still_to_answer(ctx: Context, ticket: Ticket) -> set[int]:
        waiting = await original(ctx, ticket)
        read.append(ctx.person.id)
        for _ in range(500):
            async with watcher.connect() as connection:
                blocked = (await connection.execute(WAITING_FOR_A_LOCK)).scalar_one()
            if len(read) == presses or blocked:
                return waiting
            await asyncio.sleep(0.02)
        raise AssertionError("the other press neither read the ticket nor waited for its lock")

    return still_to_answer


async def test_the_last_of_two_fixed_pressed_at_once_in_two_chats_closes_the_ticket(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_bot(database_url) as bot:
        asked = await resolved_for_two(bot)
    engines = [create_engine(database_url) for _ in range(3)]
    try:
        monkeypatch.setattr(lifecycle, "still_to_answer", reading_together(engines[2], len(asked)))
        workers = [worker(engine, database_url) for engine in engines[:2]]
        presses = [pressed(who, question, "已解决") for who, question in asked]
        assert all(await asyncio.gather(*(w.process(p) for w, p in zip(workers, presses, strict=True))))
        async with session_factory(engines[2])() as session:
            ticket = await session.get(Ticket, 1)
            events = (await session.exec(select(TicketEvent).where(TicketEvent.action == "verify"))).all()
    finally:
        for engine in engines:
            await engine.dispose()
    assert ticket is not None and ticket.status == TicketStatus.VERIFIED and ticket.closed_at is not None
    assert [e.to_status for e in sorted(events, key=lambda e: e.id or 0)] == [None, TicketStatus.VERIFIED]
    assert len({e.actor_id for e in events}) == 2  # each resident's own 已解决
