"""The start-up benchmark's baseline: a bot on the named stack with nothing of ours — PTB polling the Bot API with its
own updater, one command menu set, an SQLAlchemy engine that has answered `select 1`, an APScheduler started and an
aiohttp server whose /readyz answers 200 once all of that is done. It is what any bot on this stack pays to start, so
the bot's start as a ratio of it says what our tables, classifier and features add, whatever the host's speed.

Usage (by benchmarks/startup.py): TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL, DATABASE_URL, WEB_PORT in the
environment; python benchmarks/bare_bot.py; SIGTERM ends it at once.
"""

from __future__ import annotations

import asyncio

import structlog  # noqa: F401  (the bot logs through it: its import belongs to the floor)
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic_settings import BaseSettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel  # noqa: F401  (imported by every bot on this stack: its cost belongs to the floor)
from telegram import BotCommand, Update
from telegram.ext import Application, CommandHandler, ContextTypes


class Settings(BaseSettings):
    telegram_bot_token: str
    telegram_api_base_url: str
    database_url: str
    web_port: int


async def points(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text("0")


def async_url(url: str) -> str:
    """The same database through the async driver the bot uses."""
    return url.replace("sqlite:///", "sqlite+aiosqlite:///", 1).replace("postgresql://", "postgresql+asyncpg://", 1)


async def serve(settings: Settings) -> None:
    engine = create_async_engine(async_url(settings.database_url))
    async with engine.connect() as connection:
        await connection.execute(text("select 1"))
    application = Application.builder().token(settings.telegram_bot_token).base_url(settings.telegram_api_base_url)
    bot = application.build()
    bot.add_handler(CommandHandler("points", points))
    scheduler = AsyncIOScheduler()
    ready = False

    async def readyz(_request: web.Request) -> web.Response:
        return web.Response(status=200 if ready else 503)

    app = web.Application()
    app.router.add_get("/readyz", readyz)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", settings.web_port).start()
    await bot.initialize()
    await bot.bot.set_my_commands([BotCommand("points", "my points")])
    assert bot.updater is not None
    await bot.updater.start_polling()
    await bot.start()
    scheduler.start()
    ready = True
    await asyncio.Event().wait()  # until SIGTERM ends the process: a baseline needs no graceful stop


if __name__ == "__main__":
    asyncio.run(serve(Settings()))  # the fields come from the environment
