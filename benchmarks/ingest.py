"""Updates/s through Linli's whole intake and handlers vs a naive durable bot, on the same database, in one run.

A busy evening in 200 building groups is replayed: ~85% chatter, ~8% requests that open or +1 tickets, ~5% button
presses (a 楼栋长 confirming a ticket card, residents pressing 报名 on an event card), ~2% commands (积分, /tickets).
Linli: each batch of 100 is written to the inbox (as polling does), then processed by the real inbox processor,
dispatcher, router and features (every feature of `handlers/features.py`, the real classifier); the outbox rows
they write are left for a sender that does not run here. The naive durable bot: PTB `Application.process_update`
with one handler that opens an SQLAlchemy async session, inserts the update id and the message, and commits.

Usage: python benchmarks/ingest.py [N] [--groups G]   (default 4000 updates, 200 groups)
Databases: a temporary SQLite file, and PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL names one (a
database the benchmark may wipe). Prints `ingest <db>: linli N/s, naive durable M/s, ratio R` per database.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Column, MetaData, Table, Text, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from telegram import Bot, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import freeze_start_up_heap
from bot.config import Settings
from bot.db import SessionFactory, create_engine, session_factory, unit_of_work
from bot.dispatcher import Dispatcher
from bot.inbox import InboxProcessor
from bot.intake import arrival
from bot.locks import ChatTurns
from bot.logs import configure_logging
from bot.migrate import upgrade
from bot.telegram import TelegramAdapter, display_name
from handlers.core.assembly import assemble
from handlers.core.context import FeatureConfig, Work
from handlers.core.outbox import enqueue
from handlers.events.cards import publish
from handlers.features import FEATURES
from models.events import Event
from models.inbox import InboxUpdate
from models.outbox import OutboxMessage, OutboxStatus
from models.people import Role, ensure_person, grant_role
from models.places import place_by_id
from models.tickets import Ticket
from nlp.classifier import default_classifier
from sandbox.demo import seed_bound_buildings
from sandbox.server import LocalBotApi

TOKEN = "123456:bench-token-for-the-local-server"
BATCH = 100
INTERLEAVE = 500
WARM_UP = 300
EPOCH = 1_780_000_000
RESIDENTS_PER_GROUP = 12
CHATTER = (
    "今晚有人一起去广场散步吗？",
    "谁家的快递放在我门口了，蓝色盒子",
    "明天早上菜市场几点开门呀",
    "哈哈哈，小朋友们玩得真开心",
    "好的，谢谢大家",
    "周末有人拼车去超市吗",
    "楼下的桂花开了，好香",
    "大家晚安，早点休息",
    "刚做了包子，谁要尝尝",
    "我家猫又跑出去了，看到的说一声",
    "收到",
    "今天天气真不错",
    "请问物业电话是多少？",
    "孩子的作业写完了吗哈哈",
    "明天降温，大家多穿点",
)
REQUESTS = (
    "{unit}单元电梯坏了，好几天了",
    "{unit}单元楼道灯不亮了",
    "{unit}楼水管漏水，地上全是水",
    "垃圾好几天没人清理了，很臭",
    "{unit}单元门禁坏了，门关不上",
    "楼下有人乱停车，堵住消防通道了",
)
COMMANDS = ("积分", "/tickets")


@dataclass
class Group:
    """One bound building group: its residents, its 楼栋长, the ticket card and event card already on screen."""

    chat_id: int
    number: int
    residents: list[int]
    head: int
    cards: dict[str, tuple[int, str]] = field(default_factory=dict)  # "ticket"/"event" → (message id, data)


@dataclass
class Replay:
    """The evening: updates as the Bot API would deliver them, and what kind each one is."""

    updates: list[dict[str, Any]]
    kinds: Counter[str]


def user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "邻居", "last_name": str(user_id % 1000)}


def group_chat(group: Group) -> dict[str, Any]:
    return {"id": group.chat_id, "type": "supergroup", "title": f"{group.number}号楼业主群"}


class Evening:
    """Builds the updates of the replay, numbering updates and messages as Telegram would."""

    def __init__(self, groups: list[Group], seed: int = 18) -> None:
        self.groups, self.random = groups, random.Random(seed)
        self.update_id, self.message_id = 500_000, 1_000

    def message(self, group: Group, sender: int, text: str) -> dict[str, Any]:
        self.update_id += 1
        self.message_id += 1
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": EPOCH + self.update_id,
            "chat": group_chat(group),
            "from": user(sender),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        return {"update_id": self.update_id, "message": message}

    def press(self, group: Group, sender: int, card: str) -> dict[str, Any]:
        self.update_id += 1
        message_id, data = group.cards[card]
        shown = {"message_id": message_id, "date": EPOCH, "chat": group_chat(group), "from": bot_user(), "text": "…"}
        query = {
            "id": f"{self.update_id}",
            "from": user(sender),
            "message": shown,
            "chat_instance": str(group.chat_id),
            "data": data,
        }
        return {"update_id": self.update_id, "callback_query": query}

    def next(self) -> tuple[str, dict[str, Any]]:
        group = self.random.choice(self.groups)
        resident = self.random.choice(group.residents)
        roll = self.random.random()
        if roll < 0.85:
            return "chatter", self.message(group, resident, self.random.choice(CHATTER))
        if roll < 0.93:
            request = self.random.choice(REQUESTS).format(unit=self.random.randint(1, 4))
            return "request", self.message(group, resident, request)
        if roll < 0.98:
            if self.random.random() < 0.5:
                return "confirm", self.press(group, group.head, "ticket")
            return "rsvp", self.press(group, resident, "event")
        return "command", self.message(group, resident, self.random.choice(COMMANDS))

    def replay(self, n: int) -> Replay:
        kinds: Counter[str] = Counter()
        updates = []
        for _ in range(n):
            kind, update = self.next()
            kinds[kind] += 1
            updates.append(update)
        return Replay(updates, kinds)


def bot_user() -> dict[str, Any]:
    return {"id": int(TOKEN.split(":")[0]), "is_bot": True, "first_name": "邻里", "username": "linli_bench_bot"}


async def application(base_url: str) -> Application:
    """A PTB Application initialised against the local server (getMe); processing needs no network."""
    app = ApplicationBuilder().token(TOKEN).base_url(base_url).updater(None).build()
    await app.initialize()
    return app


class Linli:
    """The pipeline `bot/app.py` builds, without sender, scheduler or web server: inbox → dispatcher → features."""

    def __init__(self, sessions: SessionFactory, app: Application, turns: ChatTurns | None) -> None:
        settings = Settings(telegram_bot_token=TOKEN)
        classifier = default_classifier()
        me = app.bot.bot
        base = FeatureConfig(
            bot_username=me.username or "",
            reads_all_group_messages=True,
            default_locale=settings.locale,
            timezone=settings.tz,
            classify=classifier.classify,
            object_words=classifier.rules.term_words(),
        )
        assembly = assemble(FEATURES, base=base, env=settings)
        self.config = assembly.config
        dispatcher = Dispatcher(
            sessions=sessions, router=assembly.router, config=assembly.config, clock=utc_now, on_outbox=lambda: None
        )
        self.bot_id = me.id
        self.inbox = InboxProcessor(
            sessions=sessions,
            dispatcher=dispatcher,
            read=TelegramAdapter(app).read,
            clock=utc_now,
            turns=turns,
        )

    async def ingest(self, updates: Sequence[dict[str, Any]]) -> float:
        """Seconds to store and process these updates, a polling batch at a time."""
        start = time.perf_counter()
        for first in range(0, len(updates), BATCH):
            now = utc_now()
            await self.inbox.store([arrival(self.bot_id, u, now) for u in updates[first : first + BATCH]])
            while await self.inbox.run_once():
                pass
        return time.perf_counter() - start


def utc_now() -> datetime:
    return datetime.now(UTC)


NAIVE = MetaData()
NAIVE_UPDATE = Table(
    "naive_update",
    NAIVE,
    Column("update_id", BigInteger, primary_key=True),
    Column("chat_id", BigInteger),
    Column("text", Text),
)


class NaiveBot:
    """PTB `Application.process_update` with one handler: an SQLAlchemy async session per update that inserts the
    update id and the message, and commits."""

    def __init__(self, app: Application) -> None:
        self.app, self._bot = app, Bot(TOKEN)

    @classmethod
    async def start(cls, sessions: SessionFactory, base_url: str) -> NaiveBot:
        app = await application(base_url)

        async def store(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
            message = update.effective_message
            async with sessions() as session, session.begin():
                await session.exec(
                    insert(NAIVE_UPDATE).values(
                        update_id=update.update_id,
                        chat_id=update.effective_chat.id if update.effective_chat else None,
                        text=message.text if message is not None else None,
                    )
                )

        app.add_handler(TypeHandler(Update, store))
        return cls(app)

    async def ingest(self, updates: Sequence[dict[str, Any]]) -> float:
        """Seconds for PTB to read and process these updates."""
        start = time.perf_counter()
        for data in updates:
            await self.app.process_update(Update.de_json(data, self._bot))
        return time.perf_counter() - start


async def empty_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def seed_groups(sessions: SessionFactory, n: int) -> list[Group]:
    """`n` bound building groups, each with its residents and a 楼栋长."""
    groups = [
        Group(-1005000000000 - g, g, [7_000_000 + g * 100 + r for r in range(RESIDENTS_PER_GROUP)], 8_000_000 + g)
        for g in range(n)
    ]
    async with unit_of_work(sessions) as session:
        await seed_bound_buildings(
            session, platform="telegram", group_chat_ids=[str(g.chat_id) for g in groups], now=utc_now()
        )
        for group in groups:
            head = await ensure_person(
                session,
                platform="telegram",
                platform_user_id=str(group.head),
                display_name=display_name(user(group.head)),  # known by the name their updates carry
                username=None,
            )
            building = await building_of(session, group)
            await grant_role(
                session, person_id=head.id or 0, role=Role.BUILDING_HEAD, place=building, granted_by_id=None
            )
    return groups


async def building_of(session: Any, group: Group) -> Any:
    from models.chats import chat_for

    chat = await chat_for(session, platform="telegram", platform_chat_id=str(group.chat_id))
    assert chat is not None and chat.place_id is not None
    return await place_by_id(session, place_id=chat.place_id)


async def publish_events(sessions: SessionFactory, groups: list[Group], config: FeatureConfig) -> None:
    """One event per building, its card (with 报名) in the building's group."""
    async with unit_of_work(sessions) as session:
        staff = await ensure_person(
            session, platform="telegram", platform_user_id="1", display_name="张社工", username=None
        )
        work = Work(session=session, config=config, now=utc_now())
        for group in groups:
            building = await building_of(session, group)
            starts = utc_now() + timedelta(days=3)
            event = Event(
                author_id=staff.id or 0, title=f"{group.number}号楼邻里茶话会", place="活动室", first_start=starts
            )
            event.scope_ids = [building.id]
            session.add(event)
            await session.flush()
            await publish(work, event, starts)
        await enqueue(session, work.effects.items)


async def show_cards(sessions: SessionFactory, groups: list[Group], first_message_id: int) -> None:
    """What a sender would have done with the cards queued so far: each on screen with a message id; the groups
    remember the message and the data of the button the evening presses (确认 on the ticket, 报名 on the event)."""
    by_chat = {str(g.chat_id): g for g in groups}
    message_id = first_message_id
    async with unit_of_work(sessions) as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING))).all()
        for row in rows:
            message_id += 1
            row.status, row.platform_message_id, row.sent_at = OutboxStatus.SENT, str(message_id), utc_now()
            group = by_chat.get(row.chat_id)
            buttons = [b["data"] for line in row.payload.get("buttons", []) for b in line if b.get("data")]
            for card, prefix in (("ticket", "t:confirm:"), ("event", "ev:go:")):
                for data in buttons:
                    if group is not None and data.startswith(prefix):
                        group.cards[card] = (message_id, data)


async def prepare(sessions: SessionFactory, linli: Linli, groups: int) -> Evening:
    """The world before the evening: groups, residents who spoke once, a ticket and an event card in each group."""
    seeded = await seed_groups(sessions, groups)
    evening = Evening(seeded)
    await publish_events(sessions, seeded, linli.config)
    first = [evening.message(g, r, "大家好") for g in seeded for r in g.residents]
    reports = [evening.message(g, g.residents[0], f"{g.number}号楼3单元电梯坏了，好几天了") for g in seeded]
    await linli.ingest(first + reports)
    await show_cards(sessions, seeded, first_message_id=900_000)
    return evening


@dataclass
class Figures:
    """The rates, and what the run left behind: the mix, tickets, inbox rows by status, outbox rows, naive rows."""

    database: str
    updates: int
    linli: float
    naive: float
    kinds: Counter[str]
    tickets: int
    inbox: Counter[str]
    outbox: int
    naive_rows: int

    def line(self) -> str:
        mine, theirs = self.updates / self.linli, self.updates / self.naive
        return f"ingest {self.database}: linli {mine:.0f}/s, naive durable {theirs:.0f}/s, ratio {mine / theirs:.2f}"

    def details(self) -> str:
        return f"  mix {dict(self.kinds)}; tickets {self.tickets}; inbox {dict(self.inbox)}; outbox {self.outbox}"


async def measure(url: str, n: int, groups: int) -> Figures:
    """Both bots on `n` updates of the evening in `groups` groups, on an empty database at the newest schema."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with engine.begin() as conn:
        await conn.run_sync(NAIVE.create_all)
    try:
        async with LocalBotApi(token=TOKEN, can_read_all_group_messages=True) as api:
            app = await application(api.base_url)
            linli = Linli(sessions, app, ChatTurns(engine) if engine.dialect.name == "postgresql" else None)
            freeze_start_up_heap()  # as `python -m bot run` does once started
            evening = await prepare(sessions, linli, groups)
            await analyse(engine)
            naive_bot = await NaiveBot.start(sessions, api.base_url)
            warm_up = evening.replay(WARM_UP).updates  # every kind of statement compiled once, for both
            await linli.ingest(warm_up)
            await naive_bot.ingest(warm_up)
            replay = evening.replay(n)
            ours = naive = 0.0
            for first in range(0, n, INTERLEAVE):  # in turns, so a change in the machine's load hits both alike
                ours += await linli.ingest(replay.updates[first : first + INTERLEAVE])
                naive += await naive_bot.ingest(replay.updates[first : first + INTERLEAVE])
            await linli.inbox.stop()  # lets go of the chat turns' connection (PostgreSQL)
            await naive_bot.app.shutdown()
            await app.shutdown()
        async with sessions() as session:
            tickets = len((await session.exec(select(Ticket.id))).all())
            inbox = Counter((await session.exec(select(InboxUpdate.status))).all())
            outbox = len((await session.exec(select(OutboxMessage.id))).all())
            naive_rows = len((await session.exec(select(NAIVE_UPDATE.c.update_id))).all())
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(NAIVE.drop_all)
        await engine.dispose()
    return Figures(engine.dialect.name, n, ours, naive, replay.kinds, tickets, inbox, outbox, naive_rows)


async def analyse(engine: AsyncEngine) -> None:
    """PostgreSQL: gather the tables' statistics once the evening is set up, as autovacuum does by itself once a
    table has grown by a tenth. A server may run without autovacuum (this machine's does) and the benchmark's tables
    are new, so every statement was planned for empty tables: the plan kept for the batch's prepared look-up of 100
    processed keys compared each of the platform's rows with each key, 22-33 ms instead of 0.2 (decision 0019)."""
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))


def database_urls(tmp: str) -> list[str]:
    urls = [f"sqlite:///{tmp}/ingest.db"]
    postgres = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if postgres:
        urls.append(postgres)
    return urls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("updates", nargs="?", type=int, default=4000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--verbose", action="store_true", help="also print the mix and what it left behind")
    args = parser.parse_args()
    configure_logging("WARNING", [TOKEN])
    logging.getLogger("sandbox").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        for url in database_urls(tmp):
            if url.startswith("postgres"):
                asyncio.run(empty_postgres(url))
            upgrade(url)
            figures = asyncio.run(measure(url, args.updates, args.groups))
            if args.verbose:
                print(figures.details())
            print(figures.line(), flush=True)


if __name__ == "__main__":
    main()
