"""Crash campaign for the durable intake: the bot (a real `python -m bot run` process) is killed with SIGKILL at random
moments while a stream of ticket-creating group messages, awards-by-reply and a broadcast flows in, and restarted;
afterwards tickets, ledger entries, cards, award lines and the broadcast are counted: nothing lost, nothing twice.

Usage: python benchmarks/crash_intake.py [--mode polling|webhook|both] [--groups N] [--awards N] [--kills N]
                                         [--database-url URL]   (default: a temporary SQLite file per mode;
                                         a PostgreSQL URL names a database the campaign may wipe)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlmodel import col, func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.processes import free_port, start_bot_process
from bot.db import SessionFactory, create_engine, session_factory, unit_of_work
from bot.migrate import upgrade
from handlers.announce.delivery import dispatch
from handlers.core.context import FeatureConfig, Work
from handlers.core.outbox import enqueue
from models.announcements import Announcement
from models.base import utcnow
from models.inbox import InboxStatus, InboxUpdate
from models.outbox import UNFINISHED, OutboxMessage, OutboxStatus
from models.passbook import LedgerEntry
from models.tickets import Ticket
from sandbox.demo import seed_bound_buildings
from sandbox.server import LocalBotApi

TOKEN = "123456:TEST-token-for-the-local-server"
SECRET = "crash-campaign-webhook-secret-0123456789"
REPORT = "3单元电梯坏了，好几天了"
NOTICE = "周六上午9点停水检修，请提前储水"
STAFF_ID = 1


@dataclass
class Tally:
    """What one kind of thing came to: how many of each expected item exist (delivered, credited …)."""

    expected: int
    counts: Counter[str] = field(default_factory=Counter)
    uncertain: int = 0  # sends the bot was killed in the middle of: not resent, so never twice

    @property
    def duplicated(self) -> int:
        return sum(n - 1 for n in self.counts.values() if n > 1)

    @property
    def lost(self) -> int:
        return max(0, self.expected - len(self.counts) - self.uncertain)

    def line(self, name: str) -> str:
        extra = f", {self.uncertain} uncertain (killed on the wire)" if self.uncertain else ""
        return f"  {name:<14} expected {self.expected:4}  lost {self.lost}  duplicated {self.duplicated}{extra}"


@dataclass
class Result:
    mode: str
    kills: int
    updates: int
    seconds: float
    tallies: dict[str, Tally]
    inbox: Counter[str]

    @property
    def clean(self) -> bool:
        return all(t.lost == 0 and t.duplicated == 0 for t in self.tallies.values()) and not self.inbox.get(
            InboxStatus.SET_ASIDE
        )

    def report(self) -> str:
        head = f"{self.mode}: {self.kills} kills -9 during {self.updates} updates, {self.seconds:.0f} s"
        lines = [head, *(t.line(name) for name, t in self.tallies.items()), f"  inbox          {dict(self.inbox)}"]
        return "\n".join(lines)


def start_bot(
    api: LocalBotApi, database_url: str, workdir: Path, mode: str, port: int, n: int
) -> subprocess.Popen[bytes]:
    settings = {"PASSBOOK_CAP_STAFF": "100000"}
    if mode == "webhook":
        settings["TELEGRAM_WEBHOOK_URL"] = "https://linli.example/telegram/webhook"
        settings["TELEGRAM_WEBHOOK_SECRET"] = SECRET
    log = workdir / f"{mode}-{n}.log"
    return start_bot_process(api, database_url, cwd=workdir, port=port, log=log, settings=settings)


async def seed(sessions: SessionFactory, api: LocalBotApi, groups: int) -> list[int]:
    """`groups` bound building groups (one report each) and an announcement to all of them, queued."""
    chat_ids = [-1004000000000 - n for n in range(groups)]
    for n, chat_id in enumerate(chat_ids):
        api.group(chat_id, f"{n}号楼业主群")
    async with unit_of_work(sessions) as session:
        staff, community = await seed_bound_buildings(
            session, platform="telegram", group_chat_ids=[str(c) for c in chat_ids], now=utcnow()
        )
        draft = Announcement(
            author_id=staff.id or 0,
            author_platform="telegram",
            author_chat_id=str(STAFF_ID),
            scope_ids=[community.id or 0],
            text=NOTICE,
        )
        session.add(draft)
        await session.flush()
        work = Work(session=session, config=FeatureConfig(bot_username=""), now=utcnow())
        await dispatch(work, draft)
        await enqueue(session, work.effects.items)
    return chat_ids


async def stream(api: LocalBotApi, chat_ids: list[int], awards: int, seconds: float) -> int:
    """Residents report a problem in every group; in the first `awards` groups staff award one by reply."""
    staff = api.user(STAFF_ID, "张社工")
    items: list[tuple[int, int]] = [(n, 0) for n in range(len(chat_ids))] + [(n, 1) for n in range(awards)]
    random.shuffle(items)
    pause = seconds / max(1, len(items))
    sent = 0
    for n, kind in items:
        group, resident = api.chat(chat_ids[n]), api.user(8200000 + n, f"居民{n}")
        if kind == 0:
            api.inject_message(group, resident, REPORT)
            sent += 1
        else:
            said = api.inject_message(group, resident, f"收到 {n}")
            api.inject_message(group, staff, f"加分 1 扫雪{n}", reply_to_message_id=said["message"]["message_id"])
            sent += 2
        await asyncio.sleep(pause)
    return sent


async def unfinished(sessions: SessionFactory) -> int:
    async with sessions() as session:
        outbox = await session.exec(
            select(func.count()).where(col(OutboxMessage.status).in_(UNFINISHED))  # type: ignore[arg-type]
        )
        inbox = await session.exec(select(func.count()).where(InboxUpdate.status == InboxStatus.PENDING))
        return int(outbox.one()) + int(inbox.one())


async def drained(sessions: SessionFactory, api: LocalBotApi, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while api.pending_update_count or await unfinished(sessions):
        if time.monotonic() > deadline:
            raise AssertionError(f"not drained after {timeout:.0f} s: {await unfinished(sessions)} rows unfinished")
        await asyncio.sleep(0.2)
    await api.wait_idle(quiet=1.0, timeout=60)


async def campaign(
    database_url: str, workdir: Path, *, mode: str, groups: int, awards: int, kills: int, life: tuple[float, float]
) -> Result:
    """Run the stream with `kills` SIGKILLs `life` seconds apart (random), then one clean run to the end."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    port = free_port()
    started = time.monotonic()
    try:
        async with LocalBotApi(token=TOKEN, can_read_all_group_messages=True) as api:
            if mode == "webhook":
                api.webhook_redirect = f"http://127.0.0.1:{port}/telegram/webhook"
            chat_ids = await seed(sessions, api, groups)
            injecting = asyncio.create_task(stream(api, chat_ids, awards, seconds=kills * sum(life) / 2))
            for n in range(kills):
                bot = start_bot(api, database_url, workdir, mode, port, n)
                await asyncio.sleep(random.uniform(*life))
                bot.send_signal(signal.SIGKILL)
                bot.wait(10)
            updates = await injecting
            bot = start_bot(api, database_url, workdir, mode, port, kills)
            try:
                await drained(sessions, api, timeout=240)
            finally:
                bot.send_signal(signal.SIGTERM)
                bot.wait(30)
            tallies = await count(sessions, api, chat_ids, awards)
            async with sessions() as session:
                rows = (await session.exec(select(InboxUpdate.status))).all()
    finally:
        await engine.dispose()
    return Result(mode, kills, updates, time.monotonic() - started, tallies, Counter(rows))


async def count(sessions: SessionFactory, api: LocalBotApi, chat_ids: list[int], awards: int) -> dict[str, Tally]:
    async with sessions() as session:
        tickets = (await session.exec(select(Ticket.building_id))).all()
        ledger = (await session.exec(select(LedgerEntry.reason))).all()
        uncertain = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.UNCERTAIN))
        ).all()
    sends = [c for c in api.calls_of("sendMessage") if c.ok]

    def delivered(marker: str, expected: int) -> Tally:
        tally = Tally(expected, Counter(str(c.params["chat_id"]) for c in sends if marker in str(c.params["text"])))
        tally.uncertain = sum(
            1 for row in uncertain if marker in str(row.payload.get("text", "")) and row.chat_id not in tally.counts
        )
        return tally

    return {
        "tickets": Tally(len(chat_ids), Counter(str(b) for b in tickets)),
        "ledger": Tally(awards, Counter(str(r) for r in ledger)),
        "ticket cards": delivered("📋 工单", len(chat_ids)),
        "award lines": delivered("👏", awards),
        "broadcast": delivered(NOTICE, len(chat_ids)),
    }


async def empty_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("polling", "webhook", "both"), default="both")
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--awards", type=int, default=80)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    logging.getLogger("sandbox").setLevel(logging.ERROR)  # the stand-in's "webhook delivery failed" while killed
    modes = ("polling", "webhook") if args.mode == "both" else (args.mode,)
    clean = True
    with tempfile.TemporaryDirectory() as tmp:
        for mode in modes:
            url = args.database_url or f"sqlite:///{tmp}/{mode}.db"
            if url.startswith("postgres"):
                asyncio.run(empty_postgres(url))
            upgrade(url)
            result = asyncio.run(
                campaign(
                    url, Path(tmp), mode=mode, groups=args.groups, awards=args.awards, kills=args.kills, life=(2.5, 5)
                )
            )
            print(result.report(), flush=True)
            clean = clean and result.clean
    sys.exit(0 if clean else 1)


if __name__ == "__main__":
    main()
