"""One announcement to N bound groups through the local Bot API server with Telegram's limits enforced, delivered
by sender processes (`python -m bot run --role sender`) sharing the database's limits.

Prints the time taken, the lower bound N/30 s that 30 messages/second allows, their ratio (goal <= 1.1), how many
429s the server answered (goal 0) and how many groups got the notice twice (goal 0).
Usage: python benchmarks/broadcast.py [N] [DATABASE_URL] [--senders K]
(default 2000 groups; two senders on PostgreSQL; on SQLite, which serves one process, one sender in this process)
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import models
from benchmarks.processes import free_port, start_bot_process, stop_processes, wait_ready
from bot.db import SessionFactory, create_engine, session_factory, unit_of_work
from bot.outbox_sender import OutboxSender
from bot.telegram import TelegramTransport, build_application
from handlers.announce.delivery import dispatch
from handlers.core.context import FeatureConfig, Work
from handlers.core.outbox import enqueue
from models.announcements import Announcement
from models.outbox import OutboxStatus, announce_rows, count_by_status
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


def start_sender(api: LocalBotApi, database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    settings = {"BOT_RATE_PER_SECOND": str(BOT_RATE)}
    return start_bot_process(api, database_url, cwd=log.parent, port=port, log=log, role="sender", settings=settings)


async def queue_announcement(sessions: SessionFactory, announcement_id: int) -> None:
    async with unit_of_work(sessions) as session:
        draft = await session.get(Announcement, announcement_id)
        assert draft is not None
        work = Work(session=session, config=FeatureConfig(bot_username=""), now=now())
        await dispatch(work, draft)
        await enqueue(session, work.effects.items)
        if session.bind.dialect.name == "postgresql":  # as a web process does: the senders elsewhere wake at once
            await announce_rows(await session.connection())


async def wait_delivered(sessions: SessionFactory, groups: int) -> None:
    while True:
        async with sessions() as session:
            counts = await count_by_status(session)
        if counts.get(OutboxStatus.SENT, 0) + counts.get(OutboxStatus.FAILED, 0) >= groups:
            return
        await asyncio.sleep(0.05)


async def broadcast_by_processes(
    database_url: str, api: LocalBotApi, announcement_id: int, groups: int, senders: int, workdir: Path
) -> tuple[float, float]:
    """Seconds until the announcement was queued, and until every group had it, with `senders` sender processes
    (started and ready before the clock starts)."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    ports = [free_port() for _ in range(senders)]
    processes = [start_sender(api, database_url, port, workdir / f"sender{n}.log") for n, port in enumerate(ports)]
    try:
        await asyncio.gather(*(wait_ready(port) for port in ports))
        start = time.perf_counter()
        await queue_announcement(sessions, announcement_id)
        queued = time.perf_counter() - start
        await wait_delivered(sessions, groups)
        elapsed = time.perf_counter() - start
    finally:
        stop_processes(processes)
        await engine.dispose()
    return queued, elapsed


async def broadcast_in_process(
    database_url: str, api: LocalBotApi, announcement_id: int, groups: int
) -> tuple[float, float]:
    """The same with one sender in this process (SQLite serves one process)."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    application = build_application(token=TOKEN, base_url=api.base_url)
    await application.initialize()
    sender = OutboxSender(
        sessions=sessions,
        transports={"telegram": TelegramTransport(application.bot)},
        clock=now,
        bot_rate_per_second=BOT_RATE,
    )
    await sender.start()
    start = time.perf_counter()
    await queue_announcement(sessions, announcement_id)
    queued = time.perf_counter() - start
    sender.wake()
    await wait_delivered(sessions, groups)
    elapsed = time.perf_counter() - start
    await sender.stop()
    await application.shutdown()
    await engine.dispose()
    return queued, elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("groups", nargs="?", type=int, default=2000)
    parser.add_argument("database_url", nargs="?", default="")
    parser.add_argument("--senders", type=int, default=0, help="sender processes (default 2 on PostgreSQL)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/broadcast.db"
        postgres = url.startswith("postgres")
        senders = (args.senders or 2) if postgres else 1
        async with LocalBotApi(token=TOKEN, enforce_limits=True) as api:
            announcement_id = await prepare(url, api, args.groups)
            if postgres:
                queued, elapsed = await broadcast_by_processes(
                    url, api, announcement_id, args.groups, senders, Path(tmp)
                )
            else:
                queued, elapsed = await broadcast_in_process(url, api, announcement_id, args.groups)
            per_group = Counter(c.params["chat_id"] for c in api.calls_of("sendMessage") if c.ok)
            throttled = api.throttled
    bound = args.groups / BOT_RATE
    where = f"{senders} sender process(es)" if postgres else "one sender in this process"
    print(f"groups: {args.groups}  database: {url.split(':')[0]}  {where}  delivered to {len(per_group)} groups")
    print(f"time to queue (outbox) : {queued:8.1f} s")
    print(f"time to deliver        : {elapsed:8.1f} s  (from 立即发送 to the last group)")
    print(f"lower bound (N / 30/s) : {bound:8.1f} s")
    print(f"ratio time / bound     : {elapsed / bound:8.3f}  (goal <= 1.1)")
    print(f"429 answers            : {throttled:8d}  (goal 0)")
    print(f"groups sent it twice   : {sum(n > 1 for n in per_group.values()):8d}  (goal 0)")


if __name__ == "__main__":
    asyncio.run(main())
