"""Ticket buttons pressed at the same moment in different chats, as two workers on one PostgreSQL database process
them: each press reads the ticket only once the other's change is committed, so the last 已解决 closes it; and the
timers leave alone a ticket a press is changing (decision 0025)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.db import create_engine, session_factory
from bot.dispatcher import Dispatcher
from bot.scheduler import Sweeper
from handlers.core.assembly import Assembly, assemble
from handlers.core.context import Context, FeatureConfig, Work
from handlers.core.types import ChatKind, ChatRef, IncomingCallback, Sender
from handlers.features import FEATURES
from handlers.organisations import holds
from handlers.tickets import lifecycle
from models.organisations import TicketHold
from models.tickets import Ticket, TicketEvent, TicketStatus
from sandbox.state import StoredMessage
from tests.conftest import ON_POSTGRES
from tests.features.harness import BotUnderTest, ChatView, ManualClock, Participant, bot_settings, running_bot
from tests.features.orgs_world import asked_for_a_hold, dispatched, org_world
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


def features(database_url: str) -> Assembly:
    return assemble(FEATURES, base=FeatureConfig(bot_username="linli_bot"), env=bot_settings(database_url))


def worker(engine: AsyncEngine, database_url: str, clock: ManualClock) -> Dispatcher:
    """What one worker process runs an update through (its own connections; its effects stay in the outbox)."""
    assembly = features(database_url)
    return Dispatcher(
        sessions=session_factory(engine),
        router=assembly.router,
        config=assembly.config,
        clock=clock,
        on_outbox=lambda: None,
    )


def pressed(who: Participant, question: StoredMessage, label: str, group: ChatView | None = None) -> IncomingCallback:
    """`who` presses the button `label` of the bot's message, in their private chat or in `group`."""
    data = next(d for text, d in question.buttons if label in text and d is not None)
    where = ChatRef(platform="telegram", platform_chat_id=str(who.user.id), kind=ChatKind.PRIVATE)
    if group is not None:
        where = ChatRef(platform="telegram", platform_chat_id=str(group.id), kind=ChatKind.GROUP, title="1号楼业主群")
    return IncomingCallback(
        update_key=f"race:{who.user.id}",
        chat=where,
        sender=Sender(platform_user_id=str(who.user.id), display_name=who.user.display_name),
        callback_id=f"race-{who.user.id}",
        data=data,
        message_id=str(question.message_id),
    )


async def until_one_waits_for_a_lock(watcher: AsyncEngine, done: Callable[[], bool]) -> None:
    """Until `done()`, or until a transaction waits for a lock (the ticket's, which the caller holds)."""
    for _ in range(500):
        async with watcher.connect() as connection:
            if done() or (await connection.execute(WAITING_FOR_A_LOCK)).scalar_one():
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the other transaction neither went on nor waited for a lock")


def reading_together(watcher: AsyncEngine, presses: int) -> Callable[[Context, Ticket], Awaitable[set[int]]]:
    """`still_to_answer` that, once it has read, waits until every press has read too — or until another press
    waits for the ticket's lock: then it goes on alone, as it must."""
    original, read = lifecycle.still_to_answer, list[int | None]()

    async def still_to_answer(ctx: Context, ticket: Ticket) -> set[int]:
        waiting = await original(ctx, ticket)
        read.append(ctx.person.id)
        await until_one_waits_for_a_lock(watcher, lambda: len(read) == presses)
        return waiting

    return still_to_answer


async def test_the_last_of_two_fixed_pressed_at_once_in_two_chats_closes_the_ticket(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_bot(database_url) as bot:
        asked = await resolved_for_two(bot)
    engines = [create_engine(database_url) for _ in range(3)]
    try:
        monkeypatch.setattr(lifecycle, "still_to_answer", reading_together(engines[2], len(asked)))
        workers = [worker(engine, database_url, ManualClock()) for engine in engines[:2]]
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


def timers(engine: AsyncEngine, database_url: str, clock: ManualClock) -> Sweeper:
    """What the leading sweeper runs (its own connections; its effects stay in the outbox)."""
    assembly = features(database_url)
    return Sweeper(
        sessions=session_factory(engine), sweeps=assembly.sweeps, config=assembly.config, clock=clock, on_outbox=list
    )


async def test_a_not_fixed_pressed_while_the_timers_run_is_not_undone_by_the_auto_verification(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        (resident, question), _ = await resolved_for_two(bot)
    clock.advance(days=30)  # long past the time a ticket nobody answered is verified by itself
    engines = [create_engine(database_url) for _ in range(3)]
    try:
        sweeper = timers(engines[1], database_url, clock)
        sweeps: list[asyncio.Task[int]] = []
        original = lifecycle.close_other_revisits

        async def then_the_timers(ctx: Context, ticket: Ticket, words: str) -> None:
            """The 没解决 is written but not committed when the timers run."""
            await original(ctx, ticket, words)
            sweeps.append(asyncio.create_task(sweeper.run_once()))
            await until_one_waits_for_a_lock(engines[2], sweeps[0].done)

        monkeypatch.setattr(lifecycle, "close_other_revisits", then_the_timers)
        assert await worker(engines[0], database_url, clock).process(pressed(resident, question, "没解决"))
        await sweeps[0]
        async with session_factory(engines[2])() as session:
            ticket = await session.get(Ticket, 1)
            events = (await session.exec(select(TicketEvent).where(TicketEvent.ticket_id == 1))).all()
    finally:
        for engine in engines:
            await engine.dispose()
    assert ticket is not None and ticket.status == TicketStatus.REOPENED and ticket.closed_at is None
    assert [e.action for e in sorted(events, key=lambda e: e.id or 0)][-2:] == ["resolve", "reopen"]


async def test_a_hold_resumed_by_hand_while_the_timers_end_it_ends_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await org_world(bot)
        await asked_for_a_hold(bot, w, await dispatched(bot, w, "3单元电梯又坏了", "迅达电梯维保", w.lift))
        await w.lift.says(bot.private(w.lift), "等电梯配件 12月10日")
        await w.grid_worker.presses(w.group, await w.group.expect_edit("申请挂账：等电梯配件"), "批准挂账")
        card = await w.group.expect_edit("⏸ 挂账中")
        await bot.delivered()
    clock.advance(days=30)  # past the expected date: the timers end the hold by themselves
    engines = [create_engine(database_url) for _ in range(3)]
    try:
        sweeper = timers(engines[1], database_url, clock)
        sweeps: list[asyncio.Task[int]] = []
        original = holds.end_hold

        async def then_the_timers(work: Work, ticket: Ticket, hold: TicketHold, *, actor_id: int | None) -> None:
            """恢复处理 is written but not committed when the timers run."""
            await original(work, ticket, hold, actor_id=actor_id)
            if actor_id is not None:
                sweeps.append(asyncio.create_task(sweeper.run_once()))
                await until_one_waits_for_a_lock(engines[2], sweeps[0].done)

        monkeypatch.setattr(holds, "end_hold", then_the_timers)
        press = pressed(w.grid_worker, card, "恢复处理", group=w.group)
        assert await worker(engines[0], database_url, clock).process(press)
        await sweeps[0]
        async with session_factory(engines[2])() as session:
            events = (await session.exec(select(TicketEvent).where(TicketEvent.action == "resume"))).all()
    finally:
        for engine in engines:
            await engine.dispose()
    assert len(events) == 1 and events[0].actor_id is not None  # by hand, and not once more by the timers
