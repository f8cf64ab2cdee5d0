"""The outbox under stress: kill -9 and restart (each queued row once), SIGTERM, bursts of edits."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections import Counter
from pathlib import Path

from sqlmodel import col, select

from benchmarks.processes import start_bot_process
from bot.db import SessionFactory, unit_of_work
from handlers.announce.delivery import dispatch
from handlers.core.context import FeatureConfig, Work
from handlers.core.outbox import enqueue
from handlers.core.types import Edit, Send
from models.announcements import Announcement
from models.base import utcnow
from models.outbox import UNFINISHED, OutboxMessage, OutboxStatus
from sandbox.demo import seed_bound_buildings
from sandbox.server import LocalBotApi
from tests.features.harness import TOKEN, running_bot

ROWS = 120


def start_bot(api: LocalBotApi, database_url: str, workdir: Path, log_name: str) -> subprocess.Popen[bytes]:
    log, settings = workdir / log_name, {"LOG_LEVEL": "INFO"}
    return start_bot_process(api, database_url, cwd=workdir, port=0, log=log, settings=settings)


async def queue_rows(sessions: SessionFactory, api: LocalBotApi) -> None:
    effects = []
    for i in range(ROWS):
        user = api.user(8100000 + i, f"居民{i}")
        chat = api.start_bot(user)
        effects.append(Send(platform="telegram", chat_id=str(chat.id), text=f"通知 #{i}"))
    async with unit_of_work(sessions) as session:
        await enqueue(session, effects)


async def statuses(sessions: SessionFactory) -> Counter[str]:
    async with sessions() as session:
        rows = (await session.exec(select(OutboxMessage.status).order_by(col(OutboxMessage.id)))).all()
    return Counter(rows)


async def wait_until(condition: object, timeout: float, what: str) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def kill_then_restart(
    api: LocalBotApi, database_url: str, sessions: SessionFactory, tmp_path: Path
) -> Counter[str]:
    """Run the bot, kill -9 it after 15 deliveries, restart it until every row has an outcome, SIGTERM it.

    Returns the outbox statuses at the moment of the kill.
    """
    first = start_bot(api, database_url, tmp_path, "first.log")
    try:
        await wait_until(lambda: sum(delivered(api).values()) >= 15, 60, "the first deliveries")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    at_kill = await statuses(sessions)
    assert at_kill[OutboxStatus.PENDING] > 0, f"nothing left queued to test the restart: {at_kill}"
    second = start_bot(api, database_url, tmp_path, "second.log")
    try:
        for _ in range(600):
            counts = await statuses(sessions)
            if not any(counts[status] for status in UNFINISHED):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the queue was not drained after the restart: {await statuses(sessions)}")
        await api.wait_idle(quiet=0.5)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0, (tmp_path / "second.log").read_text()
    return at_kill


def delivered(api: LocalBotApi) -> Counter[str]:
    return Counter(str(c.params["text"]) for c in api.calls_of("sendMessage") if c.ok)


async def test_kill_then_restart_delivers_each_queued_row_exactly_once(
    database_url: str, sessions: SessionFactory, tmp_path: Path
) -> None:
    async with LocalBotApi(token=TOKEN, latency=0.05) as api:
        await queue_rows(sessions, api)
        at_kill = await kill_then_restart(api, database_url, sessions, tmp_path)

    counts = delivered(api)
    assert max(counts.values()) == 1, f"a row was sent twice: {counts.most_common(3)}"
    final = await statuses(sessions)
    assert final[OutboxStatus.SENDING] == final[OutboxStatus.CLAIMED] == final[OutboxStatus.PENDING] == 0, final
    assert final[OutboxStatus.SENT] + final[OutboxStatus.UNCERTAIN] == ROWS, final
    assert final[OutboxStatus.UNCERTAIN] == at_kill[OutboxStatus.SENDING]
    assert len(counts) >= ROWS - final[OutboxStatus.UNCERTAIN]


GROUPS = 60


async def queue_announcement(sessions: SessionFactory, api: LocalBotApi) -> None:
    """An announcement to GROUPS bound building groups, dispatched the way 立即发送 does it."""
    chat_ids = [str(-1003000000000 - n) for n in range(GROUPS)]
    for n, chat_id in enumerate(chat_ids):
        api.group(int(chat_id), f"{n}号楼业主群")
    async with unit_of_work(sessions) as session:
        staff, community = await seed_bound_buildings(
            session, platform="telegram", group_chat_ids=chat_ids, now=utcnow()
        )
        draft = Announcement(
            author_id=staff.id or 0,
            author_platform="telegram",
            author_chat_id="1",
            scope_ids=[community.id or 0],
            text="周六上午9点小集市",
        )
        session.add(draft)
        await session.flush()
        work = Work(session=session, config=FeatureConfig(bot_username=""), now=utcnow())
        await dispatch(work, draft)
        await enqueue(session, work.effects.items)


async def test_kill_mid_broadcast_then_restart_every_group_gets_it_exactly_once(
    database_url: str, sessions: SessionFactory, tmp_path: Path
) -> None:
    """Every group whose copy was queued at the kill gets it exactly once; none gets it twice.

    A copy whose request was on the wire at the kill (left 'sending', then 'uncertain') may or may not have
    arrived: the Bot API has no idempotency key, so it is never resent (docs/decisions/0002).
    """
    async with LocalBotApi(token=TOKEN, latency=0.05, enforce_limits=True) as api:
        await queue_announcement(sessions, api)
        at_kill = await kill_then_restart(api, database_url, sessions, tmp_path)
    reached = groups_reached(api)
    assert set(reached.values()) == {1}, f"a group got it twice: {reached.most_common(3)}"
    final = await chat_statuses(sessions)
    assert {int(chat) for chat, status in final.items() if status == OutboxStatus.SENT} <= set(reached)
    uncertain = [chat for chat, status in final.items() if status == OutboxStatus.UNCERTAIN]
    assert len(uncertain) == at_kill[OutboxStatus.SENDING]
    assert len(reached) >= GROUPS - len(uncertain) and len(final) == GROUPS


async def chat_statuses(sessions: SessionFactory) -> dict[str, str]:
    async with sessions() as session:
        rows = (await session.exec(select(OutboxMessage.chat_id, OutboxMessage.status))).all()
    return dict(rows)


def groups_reached(api: LocalBotApi) -> Counter[int]:
    return Counter(int(c.params["chat_id"]) for c in api.calls_of("sendMessage") if c.ok)


async def test_a_burst_of_edits_of_one_message_sends_only_the_newest(
    database_url: str, sessions: SessionFactory
) -> None:
    async with LocalBotApi(token=TOKEN) as api, running_bot(database_url, api=api) as bot:
        group = bot.group("1号楼业主群")
        card = Send(platform="telegram", chat_id=str(group.id), text="👥 已报名 0 人", ref_key="card:1")
        edits = [Edit(text=f"👥 已报名 {n} 人", ref_key="card:1") for n in range(1, 11)]
        async with unit_of_work(sessions) as session:
            await enqueue(session, [card, *edits])
        bot.runtime.sender.wake()
        await group.expect_message("已报名 0 人")
        final = await group.expect_edit("已报名 10 人")
        await bot.settle()
        assert len(api.calls_of("editMessageText")) == 1 and final.text == "👥 已报名 10 人"
