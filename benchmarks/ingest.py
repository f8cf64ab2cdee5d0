"""Updates/s through Linli's intake (inbox write, then dedupe + session + routing with a trivial handler, then the
inbox row marked done) vs bare PTB process_update.

Both run in the same process on the same updates; the figure that matters is the ratio.
Usage: python benchmarks/ingest.py [N] [DATABASE_URL]   (default 2000 updates, a temporary SQLite file)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Bot, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import models
from bot.db import create_engine, session_factory
from bot.dispatcher import Dispatcher
from bot.inbox import InboxProcessor
from bot.intake import arrival
from bot.telegram import TelegramAdapter
from handlers.core.context import Context, FeatureConfig
from handlers.core.feature import TextStep
from handlers.core.router import Router
from handlers.core.types import IncomingMessage
from sandbox.server import LocalBotApi

TOKEN = "1:bench"


def make_updates(n: int) -> list[dict[str, Any]]:
    """Group chatter from 50 residents in 10 groups, like a busy evening."""
    updates = []
    for i in range(n):
        data = {
            "update_id": 100000 + i,
            "message": {
                "message_id": i + 1,
                "date": 1735000000 + i,
                "text": f"今晚有人一起散步吗？{i}",
                "from": {"id": 7000000 + i % 50, "is_bot": False, "first_name": "邻居", "last_name": str(i % 50)},
                "chat": {"id": -1001000000000 - i % 10, "type": "supergroup", "title": f"{i % 10}号楼业主群"},
            },
        }
        updates.append(data)
    return updates


async def application(base_url: str) -> Application:  # type: ignore[type-arg]
    """A PTB Application initialised against the local server (getMe); processing needs no network."""
    app = ApplicationBuilder().token(TOKEN).base_url(base_url).updater(None).build()
    await app.initialize()
    return app


async def bare_ptb(updates: list[Update], base_url: str) -> float:
    app = await application(base_url)

    async def trivial(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        return None

    app.add_handler(TypeHandler(Update, trivial))
    start = time.perf_counter()
    for update in updates:
        await app.process_update(update)
    return time.perf_counter() - start


async def through_dispatcher(updates: list[dict[str, Any]], database_url: str, base_url: str) -> float:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(models.metadata.drop_all)
        await conn.run_sync(models.metadata.create_all)
    router = Router()

    async def trivial(_ctx: Context, _message: IncomingMessage) -> bool:
        return True

    router.add_text_steps([TextStep(0, trivial)])
    dispatcher = Dispatcher(
        sessions=session_factory(engine),
        router=router,
        config=FeatureConfig(bot_username="linli_bench_bot"),
        clock=lambda: datetime.now(UTC),
        on_outbox=lambda: None,
    )
    app = await application(base_url)
    adapter = TelegramAdapter(app)
    now = datetime.now(UTC)
    inbox = InboxProcessor(
        sessions=session_factory(engine), dispatcher=dispatcher, read=adapter.read, clock=lambda: now
    )
    start = time.perf_counter()
    for first in range(0, len(updates), 100):
        await inbox.store([arrival(app.bot.id, update, now) for update in updates[first : first + 100]])
        while await inbox.run_once():
            pass
    elapsed = time.perf_counter() - start
    await engine.dispose()
    return elapsed


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{tmp}/bench.db"
        updates = make_updates(n)
        ptb_updates = [Update.de_json(update, Bot(TOKEN)) for update in updates]
        async with LocalBotApi(token=TOKEN) as api:
            await bare_ptb(ptb_updates[:200], api.base_url)  # warm-up
            bare = await bare_ptb(ptb_updates, api.base_url)
            ours = await through_dispatcher(updates, url, api.base_url)
    print(f"updates: {n}  database: {url.split(':')[0]}")
    print(f"bare PTB process_update : {n / bare:10.0f} updates/s")
    print(f"Linli inbox + dispatcher: {n / ours:10.0f} updates/s  (inbox write, dedupe + unit of work + routing)")
    print(f"ratio dispatcher / bare : {bare / ours:10.3f}  (goal >= 0.5)")


if __name__ == "__main__":
    asyncio.run(main())
