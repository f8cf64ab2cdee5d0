"""One announcement to N bound groups through the local Bot API server with Telegram's limits enforced.

Prints the time taken, the lower bound N/30 s that 30 messages/second allows, their ratio (goal <= 1.1) and how
many 429s the server answered (goal 0). Usage: python benchmarks/broadcast.py [N] [DATABASE_URL]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import models
from bot.db import create_engine, session_factory, unit_of_work
from bot.outbox_sender import OutboxSender
from bot.telegram import TelegramTransport, build_application
from handlers.announce.delivery import dispatch
from handlers.core.context import FeatureConfig, Work
from handlers.core.outbox import enqueue
from models.announcements import Announcement
from models.outbox import OutboxStatus, count_by_status
from sandbox.demo import seed_bound_buildings
from sandbox.server import LocalBotApi

TOKEN = "1:broadcast-bench"
BOT_RATE = 30.0


def now() -> datetime:
    return datetime.now(UTC)


async def prepare(database_url: str, api: LocalBotApi, groups: int) -> int:
    """A community with `groups` buildings, each with its bound group; returns the announcement id."""
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(models.metadata.drop_all)
        await conn.run_sync(models.metadata.create_all)
    chat_ids = [str(-1002000000000 - n) for n in range(groups)]
    for n, chat_id in enumerate(chat_ids):
        api.group(int(chat_id), f"{n}号楼业主群")
    async with unit_of_work(session_factory(engine)) as session:
        staff, community = await seed_bound_buildings(session, platform="telegram", group_chat_ids=chat_ids, now=now())
        draft = Announcement(
            author_id=staff.id or 0,
            author_platform="telegram",
            author_chat_id="1",
            scope_ids=[community.id or 0],
            text="周六上午9点小集市",
            status="preview",
        )
        session.add(draft)
        await session.flush()
        announcement_id = draft.id or 0
    await engine.dispose()
    return announcement_id


async def broadcast(database_url: str, api: LocalBotApi, announcement_id: int, groups: int) -> tuple[float, float]:
    """Seconds until the announcement was queued, and until every group had it."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    application = build_application(token=TOKEN, base_url=api.base_url)
    await application.initialize()
    sender = OutboxSender(
        sessions=sessions,
        transports={"telegram": TelegramTransport(application.bot)},
        clock=now,
        bot_rate_per_second=BOT_RATE,
        lock_rows=engine.dialect.name == "postgresql",
    )
    await sender.start()
    start = time.perf_counter()
    async with unit_of_work(sessions) as session:
        draft = await session.get(Announcement, announcement_id)
        assert draft is not None
        work = Work(session=session, config=FeatureConfig(bot_username=""), now=now())
        await dispatch(work, draft)
        await enqueue(session, work.effects.items)
    queued = time.perf_counter() - start
    sender.wake()
    while True:
        async with sessions() as session:
            counts = await count_by_status(session)
        if counts.get(OutboxStatus.SENT, 0) + counts.get(OutboxStatus.FAILED, 0) >= groups:
            break
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - start
    await sender.stop()
    await application.shutdown()
    await engine.dispose()
    return queued, elapsed


async def main() -> None:
    groups = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{tmp}/broadcast.db"
        async with LocalBotApi(token=TOKEN, enforce_limits=True) as api:
            announcement_id = await prepare(url, api, groups)
            queued, elapsed = await broadcast(url, api, announcement_id, groups)
            delivered = len({c.params["chat_id"] for c in api.calls_of("sendMessage") if c.ok})
            throttled = api.throttled
    bound = groups / BOT_RATE
    print(f"groups: {groups}  database: {url.split(':')[0]}  delivered to {delivered} distinct groups")
    print(f"time to queue (outbox) : {queued:8.1f} s")
    print(f"time to deliver        : {elapsed:8.1f} s  (from 立即发送 to the last group)")
    print(f"lower bound (N / 30/s) : {bound:8.1f} s")
    print(f"ratio time / bound     : {elapsed / bound:8.3f}  (goal <= 1.1)")
    print(f"429 answers            : {throttled:8d}  (goal 0)")


if __name__ == "__main__":
    asyncio.run(main())
