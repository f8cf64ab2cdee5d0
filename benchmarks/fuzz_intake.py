"""Fuzz the intake: thousands of odd updates (wrong JSON types, ids beyond 64 bits, lone surrogates, deep nesting,
odd callback data and commands, bodies that are no JSON at all) through getUpdates and through the webhook; then a
new resident's /help must be answered within 5 s.

Counted: unhandled errors (an error escaping to PTB or the inbox loop, a webhook answer other than 200/403), stalls
(the inbox not drained), the /help latency, and apologies per chat per minute (at most 1); every mode is reported,
a PostgreSQL database emptied before each.
Usage: python benchmarks/fuzz_intake.py [--updates N] [--mode polling|webhook|both] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import string
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from sqlmodel import col, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.crash_intake import empty_postgres
from bot.app import Runtime, start_runtime
from bot.config import Settings
from bot.logs import configure_logging
from bot.migrate import upgrade
from handlers.core.texts import translate
from models.inbox import InboxStatus, InboxUpdate
from models.outbox import UNFINISHED, OutboxMessage
from sandbox.server import LocalBotApi

TOKEN = "123456:TEST-token-for-the-local-server"
SECRET = "fuzz-campaign-webhook-secret-0123456789"
APOLOGY = translate("zh", "error.generic")
UNHANDLED = ("inbox.unavailable", "polling.store_failed", "webhook.store_failed", "telegram.error", "No error handler")
ODD_TEXTS = [
    "坏了\ud800",
    "\udfff",
    "\u200b\u200e\u202e电梯",
    "\x00\x01\x7f",
    "💥" * 1000,
    "x" * 4096,
    "/ticket 99999999999999999999",
    "/ticket ²",
    "/ticket -1",
    "/start " + "z" * 200,
    "/help@other_bot",
    "/revoke 99999999999999999999999",
    "/points \ud83d",
    "加分 999999999999999999999 扫雪",
    "签到 ¹²³",
    "报修 \ud83d\ude00\ud83d",
    "",
]
ODD_DATA = [
    "tk:1²",
    "tk:" + "9" * 40,
    "",
    "::::",
    "tk:¹:²",
    "ev:x",
    "ann:-1",
    "a" * 64,
    "grp:\u0000",
    "exp:ledger:csv:1",
]


class EventCounter(logging.Handler):
    """Counts log lines by the events they name (structlog renders `event='…'`)."""

    def __init__(self) -> None:
        super().__init__()
        self.events: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        for name in (*UNHANDLED, "inbox.unparseable", "inbox.set_aside", "polling.failed"):
            if name in message:
                self.events[name] += 1
        if record.levelno >= logging.ERROR and "event=" not in message:
            self.events["library error"] += 1


@dataclass
class World:
    api: LocalBotApi
    groups: list[Any]
    privates: list[Any]
    users: list[Any]


def user_json(rng: random.Random, world: World) -> Any:
    user = rng.choice(world.users).to_dict()
    roll = rng.random()
    if roll < 0.1:
        user["first_name"] = rng.choice(["\ud83d", "王\udfff", "", "名" * 200, "\x00"])
    elif roll < 0.15:
        user["id"] = rng.choice([2**64, -(2**70), "42", 4.5, None])
    elif roll < 0.18:
        user = rng.choice(["王", 1, [], None])
    return user


def chat_json(rng: random.Random, world: World) -> Any:
    chat = rng.choice(world.groups + world.privates).to_dict()
    roll = rng.random()
    if roll < 0.05:
        chat["id"] = rng.choice([2**63, -(2**80), "-100", True])
    elif roll < 0.08:
        chat["type"] = rng.choice(["channel", "", 5, "secret"])
    elif roll < 0.1:
        chat["title"] = "\ud800" * 3
    return chat


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"reply_to_message": value}
    return value


def odd_message(rng: random.Random, world: World, message_id: int) -> Any:
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat_json(rng, world),
        "from": user_json(rng, world),
        "text": rng.choice(ODD_TEXTS) if rng.random() < 0.7 else "".join(rng.choices(string.printable, k=30)),
    }
    roll = rng.random()
    if roll < 0.08:
        message["date"] = rng.choice(["2026-12-02", None, 1.5, 2**65])
    elif roll < 0.14:
        message["text"] = rng.choice([12, ["a"], {"t": 1}, True])
    elif roll < 0.18:
        message["reply_to_message"] = nested(rng.choice([3, 30, 400]))
    elif roll < 0.22:
        message["photo"] = rng.choice(["x", [{"file_id": 5}], [{}]])
    elif roll < 0.25:
        message.pop(rng.choice(["chat", "message_id", "date"]))
    elif roll < 0.28:
        message = rng.choice(["hello", 5, [], None])  # type: ignore[assignment]
    elif roll < 0.31:
        message["message_id"] = 2**64 + message_id
    return message


def odd_updates(rng: random.Random, world: World, n: int, first_id: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        update: dict[str, Any] = {"update_id": first_id + i}
        roll = rng.random()
        if roll < 0.55:
            update["message"] = odd_message(rng, world, 10_000 + i)
        elif roll < 0.65:
            edited = odd_message(rng, world, 10_000 + i)
            if isinstance(edited, dict):
                edited["edit_date"] = int(time.time())
            update["edited_message"] = edited
        elif roll < 0.9:
            query: dict[str, Any] = {
                "id": str(i) if rng.random() < 0.9 else i,
                "from": user_json(rng, world),
                "chat_instance": "1",
                "data": rng.choice(ODD_DATA),
            }
            if rng.random() < 0.9:
                query["message"] = odd_message(rng, world, rng.randint(1, 50))
            update["callback_query"] = query
        else:
            update["my_chat_member"] = {
                "chat": chat_json(rng, world),
                "from": user_json(rng, world),
                "date": rng.choice([int(time.time()), "now"]),
                "old_chat_member": {"status": rng.choice(["left", "member", 3]), "user": user_json(rng, world)},
                "new_chat_member": {"status": rng.choice(["administrator", "kicked", ""]), "user": {}},
            }
        yield update


RAW_BODIES = [b'"a string"', b"[" * 100_000, b'{"update_id": ' + b"9" * 4400 + b"}", b"\xff\xfe", b"{", b"null"]


def world_of(api: LocalBotApi, rng: random.Random) -> World:
    users = [api.user(7_100_000 + n, rng.choice(["王", "李", "Zhang"]) + str(n)) for n in range(40)]
    groups = [api.group(-1005000000000 - n, f"{n}号楼业主群") for n in range(10)]
    privates = [api.private_chat(u) for u in users[:20]]
    return World(api, groups, privates, users)


async def drained(runtime: Runtime, api: LocalBotApi, timeout: float) -> float | None:
    """Seconds until the inbox has nothing pending and the server nothing undelivered, or None (a stall)."""
    started = time.monotonic()
    while True:
        async with runtime.sessions() as session:
            pending = (
                await session.exec(select(InboxUpdate.id).where(InboxUpdate.status == InboxStatus.PENDING))
            ).all()
        if not pending and not api.pending_update_count:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            print(f"stalled: {len(pending)} updates pending after {timeout:.0f} s", file=sys.stderr)
            return None
        await asyncio.sleep(0.5)


async def help_latency(api: LocalBotApi, timeout: float = 60.0) -> float | None:
    """Seconds until a new resident's /help in their private chat is answered, or None (not within `timeout`)."""
    newcomer = api.user(7_999_999, "新来的")
    chat = api.private_chat(newcomer)
    started = time.monotonic()
    api.inject_message(chat, newcomer, "/help")
    try:
        await api.wait_for_call(
            lambda c: c.method == "sendMessage" and int(c.params.get("chat_id", 0)) == chat.id and c.ok, timeout
        )
    except AssertionError:
        return None
    return time.monotonic() - started


async def apologies_per_chat_minute(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        query = select(OutboxMessage.chat_id, OutboxMessage.created_at, OutboxMessage.payload)
        rows = (await session.exec(query)).all()
    buckets = Counter(
        (chat_id, created.replace(second=0, microsecond=0))
        for chat_id, created, payload in rows
        if payload.get("text") == APOLOGY
    )
    return max(buckets.values(), default=0)


async def post_webhook(http: aiohttp.ClientSession, url: str, body: bytes, statuses: Counter[int]) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    async with http.post(url, data=body, headers=headers) as response:
        statuses[response.status] += 1


async def fuzz(database_url: str, mode: str, n: int, seed: int = 13) -> dict[str, Any]:
    rng = random.Random(seed)
    counter = EventCounter()
    configure_logging("INFO", [])
    logging.getLogger().addHandler(counter)
    statuses: Counter[int] = Counter()
    async with LocalBotApi(token=TOKEN, can_read_all_group_messages=True) as api:
        world = world_of(api, rng)
        overrides: dict[str, Any] = {}
        if mode == "webhook":
            overrides = {
                "telegram_webhook_url": "https://linli.example/telegram/webhook",
                "telegram_webhook_secret": SECRET,
            }
        settings = Settings(
            _env_file=None, database_url=database_url, web_port=0, telegram_bot_token=TOKEN, **overrides
        )  # type: ignore[call-arg]
        runtime = await start_runtime(settings, token=TOKEN, base_url=api.base_url, sweep=False)
        api.webhook_redirect = f"http://127.0.0.1:{runtime.web_port}/telegram/webhook"  # used in webhook mode only
        started = time.monotonic()
        try:
            updates = list(odd_updates(rng, world, n, first_id=1_000_000))
            if mode == "polling":
                for update in updates:
                    api.inject_raw(update)
                    if api.pending_update_count > 2000:  # like Telegram: updates queue up while the bot works
                        await asyncio.sleep(0.05)
            else:
                url = f"http://127.0.0.1:{runtime.web_port}/telegram/webhook"
                bodies = [repr(u).encode() if rng.random() < 0.02 else None for u in updates]
                async with aiohttp.ClientSession() as http:
                    for update, raw in zip(updates, bodies, strict=True):
                        body = raw if raw is not None else json.dumps(update).encode()
                        await post_webhook(http, url, body, statuses)
                    for body in RAW_BODIES * 20:
                        await post_webhook(http, url, body, statuses)
            drain = await drained(runtime, api, timeout=900)
            latency = await help_latency(api) if drain is not None else None
            worst_apologies = await apologies_per_chat_minute(runtime)
            async with runtime.sessions() as session:
                inbox = Counter((await session.exec(select(InboxUpdate.status))).all())
                backlog = len(
                    (
                        await session.exec(select(OutboxMessage.id).where(col(OutboxMessage.status).in_(UNFINISHED)))
                    ).all()
                )
        finally:
            await runtime.stop()
            logging.getLogger().removeHandler(counter)
    return {
        "mode": mode,
        "updates": n + (len(RAW_BODIES) * 20 if mode == "webhook" else 0),
        "seconds": round(time.monotonic() - started, 1),
        "drain_seconds": None if drain is None else round(drain, 1),
        "stalls": int(drain is None),
        "unhandled": sum(counter.events[e] for e in UNHANDLED) + counter.events["library error"],
        "webhook_statuses": dict(statuses),
        "help_seconds": None if latency is None else round(latency, 2),
        "apologies_per_chat_minute_max": worst_apologies,
        "inbox": dict(inbox),
        "outbox_backlog_at_end": backlog,
        "log_events": dict(counter.events),
    }


def passed(result: dict[str, Any]) -> bool:
    """The acceptance: no unhandled error, no stall, /help within 5 s, at most one apology a chat a minute."""
    help_seconds = result["help_seconds"]
    return (
        result["unhandled"] == 0
        and result["stalls"] == 0
        and help_seconds is not None
        and help_seconds <= 5
        and result["apologies_per_chat_minute_max"] <= 1
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--mode", choices=("polling", "webhook", "both"), default="both")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("polling", "webhook") if args.mode == "both" else (args.mode,):
            url = args.database_url or f"sqlite:///{tmp}/{mode}.db"
            if url.startswith("postgres"):
                asyncio.run(empty_postgres(url))
            upgrade(url)
            result = asyncio.run(fuzz(url, mode, args.updates))
            print(result | {"passed": passed(result)}, flush=True)
            ok = ok and passed(result)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
