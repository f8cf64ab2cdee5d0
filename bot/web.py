"""The aiohttp web server: Telegram webhook, /healthz, and (in sandbox mode) the chat page."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from aiohttp import web
from sqlalchemy import text

from bot.db import SessionFactory
from bot.logs import RefusalCounter, failure
from models.inbox import count_inbox
from models.outbox import count_by_status, oldest_waiting_age

log = structlog.get_logger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"
MAX_BODY_BYTES = 1024 * 1024
PRIVACY_MODE_FIX = (
    "privacy mode is on: the bot sees only commands and mentions in groups, so passive intake cannot work. "
    "Fix: send /setprivacy to @BotFather, choose this bot, choose Disable, then remove the bot from each group "
    "and add it again (or make it an administrator there)."
)


@dataclass
class Health:
    """What `/healthz` reports: the database, whether each running part of this process's role is alive (the
    sender, the worker's inbox loop), the queues, and whether this sweeper leads."""

    sessions: SessionFactory
    alive: dict[str, Callable[[], bool]]
    last_update_at: Callable[[], datetime | None]
    clock: Callable[[], datetime]
    reads_all_group_messages: bool = True  # getMe's can_read_all_group_messages
    role: str = "all"
    leading: Callable[[], bool] | None = None

    async def report(self) -> tuple[bool, dict[str, Any]]:
        database_ok, outbox, inbox, oldest = True, {}, {}, None
        try:
            async with self.sessions() as session:
                await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
                outbox = await count_by_status(session)
                oldest = await oldest_waiting_age(session)
                inbox = await count_inbox(session)
        except Exception as exc:  # the point of a health check is to report, not to raise
            database_ok = False
            log.warning("health.database_unreachable", error=type(exc).__name__)
        last = self.last_update_at()
        age = None if last is None else round((self.clock() - last).total_seconds(), 1)
        alive = {part: is_alive() for part, is_alive in self.alive.items()}
        ok = database_ok and all(alive.values())
        body: dict[str, Any] = {
            "status": "ok" if ok else "unhealthy",
            "role": self.role,
            "database": database_ok,
            "alive": alive,
            "last_update_age_seconds": age,
            "outbox": outbox,
            "oldest_pending_age_seconds": oldest,
            "inbox": inbox,
            "can_read_all_group_messages": self.reads_all_group_messages,
        }
        if "sender" in alive:
            body["sender_alive"] = alive["sender"]
        if self.leading is not None:
            body["sweeper_leading"] = self.leading()
        if not self.reads_all_group_messages:
            body["warnings"] = [PRIVACY_MODE_FIX]
        return ok, body


@dataclass
class Readiness:
    """`/readyz`: 200 once every part of the process has started and while the database answers; 503 while
    starting, stopping, or without the database (a load balancer then sends webhooks elsewhere)."""

    sessions: SessionFactory
    ready: bool = False

    async def report(self) -> bool:
        if not self.ready:
            return False
        try:
            async with self.sessions() as session:
                await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        except Exception as exc:
            log.warning("ready.database_unreachable", error=type(exc).__name__)
            return False
        return True


def healthz_handler(health: Health) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def healthz(_request: web.Request) -> web.Response:
        ok, body = await health.report()
        return web.json_response(body, status=200 if ok else 503)

    return healthz


def secret_matches(given: str, secret: str) -> bool:
    """A constant-time comparison; a header of bytes that are no UTF-8 (kept as surrogates by aiohttp) never
    matches."""
    try:
        return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())
    except UnicodeEncodeError:
        return False


def webhook_handler(
    secret: str, accept: Callable[[bytes], Awaitable[None]], refusals: RefusalCounter
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Telegram's webhook: without the right secret header, 403 and nothing kept (counted, one log line a minute).
    With it, the body is stored in the inbox before the answer: 200 once it is durable, even for a body Linli cannot
    read (it is set aside; another status would make Telegram send it again forever); 503 if it could not be stored,
    so Telegram sends it again."""

    async def telegram_webhook(request: web.Request) -> web.Response:
        if not secret_matches(request.headers.get(SECRET_HEADER, ""), secret):
            refusals.refuse(reason="bad secret")
            return web.Response(status=403, text="forbidden")
        body = await request.read()
        try:
            await accept(body)
        except Exception as error:
            log.error("webhook.store_failed", **failure(error))
            return web.Response(status=503, text="try again")
        return web.Response(text="ok")

    return telegram_webhook


def build_web_app(max_body_bytes: int = MAX_BODY_BYTES) -> web.Application:
    return web.Application(client_max_size=max_body_bytes)


def readyz_handler(readiness: Readiness) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def readyz(_request: web.Request) -> web.Response:
        ready = await readiness.report()
        return web.json_response({"ready": ready}, status=200 if ready else 503)

    return readyz


def add_health_routes(app: web.Application, health: Health, readiness: Readiness) -> None:
    app.router.add_get("/healthz", healthz_handler(health))
    app.router.add_get("/readyz", readyz_handler(readiness))


async def start_site(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve `app`; returns the runner and the bound port (port 0 picks a free one)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, int(runner.addresses[0][1])
