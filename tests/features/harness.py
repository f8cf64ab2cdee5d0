"""Drive the real bot (PTB Application, dispatcher, outbox) against the local Bot API server, as a chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, func, or_, select

from bot.app import Runtime, start_runtime
from bot.config import Settings
from bot.db import unit_of_work
from handlers.core.feature import Feature
from handlers.features import FEATURES
from models.base import utcnow
from models.inbox import InboxStatus, count_inbox
from models.outbox import UNFINISHED, OutboxMessage, OutboxStatus, next_in_line
from models.people import Role, ensure_person, grant_role
from models.places import place_by_code
from sandbox.server import LocalBotApi, RecordedCall
from sandbox.state import FakeChat, FakeUser, StoredMessage
from tests.support.botapi_schema import assert_calls_valid

TOKEN = "123456:TEST-token-for-the-local-server"
SEND_METHODS = ("sendMessage", "sendPhoto")
EDIT_METHODS = ("editMessageText", "editMessageCaption", "editMessageReplyMarkup")


SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant given as wall-clock time in the community's time zone (the bot's default, Asia/Shanghai)."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


DEFAULT_START = shanghai(2026, 12, 2, 10, 0)
"""Where every test's clock starts unless it says otherwise: a Wednesday morning, not the wall clock."""

LOCAL_TIME_EDGES = {
    "wed-10:00": DEFAULT_START,
    "00:30": shanghai(2026, 12, 3, 0, 30),
    "23:30": shanghai(2026, 12, 2, 23, 30),
    "sat-10:00": shanghai(2026, 12, 5, 10, 0),
    "month-end-23:30": shanghai(2026, 11, 30, 23, 30),
    "year-end-23:30": shanghai(2026, 12, 31, 23, 30),
}
"""Instants for tests about local time (明天, 周六, the day before, midnight, month and year ends): the suite runs
them at each, so the code is shown right at every hour of the day, not only at the hour CI happens to run."""

at_local_time_edges = pytest.mark.parametrize("start", LOCAL_TIME_EDGES.values(), ids=LOCAL_TIME_EDGES.keys())


def local_day_at(now: datetime, days_ahead: int, hour: int, minute: int = 0) -> datetime:
    """The instant that is `hour:minute` in Shanghai, `days_ahead` calendar days after `now`'s local date."""
    day = now.astimezone(SHANGHAI).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI).astimezone(UTC)


class ManualClock:
    """A clock the test moves by hand; the bot's domain time (tickets, timers) follows it."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def bot_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"database_url": database_url, "web_port": 0, "telegram_bot_token": TOKEN} | overrides
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class ChatView:
    """One chat as a participant sees it; `expect_*` wait for what the bot does next there."""

    bot: BotUnderTest
    chat: FakeChat

    @property
    def id(self) -> int:
        return self.chat.id

    async def expect_message(self, contains: str = "", timeout: float = 8.0) -> StoredMessage:
        call = await self.bot.api.wait_for_call(
            lambda c: c.method in SEND_METHODS and int(c.params.get("chat_id", 0)) == self.id and c.ok, timeout
        )
        message = self.bot.api.message(self.id, int(call.result["message_id"]))
        assert contains in (message.text or ""), f"expected {contains!r} in bot message:\n{message.text}"
        return message

    async def expect_message_with(self, contains: str, timeout: float = 8.0) -> StoredMessage:
        """The bot's next message in this chat that shows `contains`, leaving the ones before it to expect later."""
        call = await self.bot.api.wait_for_call(
            lambda c: (
                c.method in SEND_METHODS
                and int(c.params.get("chat_id", 0)) == self.id
                and c.ok
                and contains in str(c.params.get("text") or c.params.get("caption") or "")
            ),
            timeout,
        )
        return self.bot.api.message(self.id, int(call.result["message_id"]))

    async def expect_edit(self, contains: str = "", timeout: float = 8.0) -> StoredMessage:
        """The next edit in this chat that makes a message show `contains` (edits are snapshots of state)."""
        call = await self.bot.api.wait_for_call(
            lambda c: (
                c.method in EDIT_METHODS
                and int(c.params.get("chat_id", 0)) == self.id
                and c.ok
                and contains in str(c.params.get("text", c.params.get("caption", "")))
            ),
            timeout,
        )
        return self.bot.api.message(self.id, int(call.params["message_id"]))

    async def expect_document(self, name_contains: str = "", timeout: float = 8.0) -> tuple[StoredMessage, bytes]:
        """The next file the bot sends in this chat, and its content as the server received it."""
        call = await self.bot.api.wait_for_call(
            lambda c: c.method == "sendDocument" and int(c.params.get("chat_id", 0)) == self.id and c.ok, timeout
        )
        message = self.bot.api.message(self.id, int(call.result["message_id"]))
        document = message.message["document"]
        assert name_contains in document["file_name"], f"expected {name_contains!r} in {document['file_name']!r}"
        return message, self.bot.api.file_bytes(document["file_id"])

    async def expect_nothing(self, quiet: float = 0.6) -> None:
        """The bot stays silent in this chat (no send or edit)."""
        before = self.bot.bot_activity(self.id)
        await self.bot.settle(quiet)
        after = self.bot.bot_activity(self.id)
        assert after == before, f"bot was not silent in {self.id}: {after[len(before) :]}"


@dataclass
class Participant:
    bot: BotUnderTest
    user: FakeUser

    async def says(self, where: ChatView, text: str, **options: Any) -> dict[str, Any]:
        return self.bot.api.inject_message(where.chat, self.user, text, **options)

    async def presses(self, where: ChatView, message: StoredMessage, label: str) -> dict[str, Any]:
        """Press the button whose label contains `label`."""
        current = self.bot.api.message(where.id, message.message_id)
        for text, data in current.buttons:
            if label in text and data is not None:
                return self.bot.api.inject_callback(where.chat, self.user, message.message_id, data)
        raise AssertionError(f"no button {label!r} on message; buttons: {current.buttons}")

    async def blocks_bot(self) -> dict[str, Any]:
        """Block the bot in the private chat (Telegram then refuses the bot's private messages)."""
        return self.bot.api.inject_block(self.user)

    async def expect_answer(self, contains: str = "", timeout: float = 8.0) -> RecordedCall:
        """The small toast / alert after a button press by this participant."""
        return await self.bot.api.wait_for_call(
            lambda c: c.method == "answerCallbackQuery" and contains in str(c.params.get("text", "")), timeout
        )


@dataclass
class BotUnderTest:
    api: LocalBotApi
    runtime: Runtime
    next_user_id: int = 7001001
    next_group_id: int = -1001000000101
    people: dict[str, Participant] = field(default_factory=dict)

    def group(self, title: str) -> ChatView:
        chat = self.api.group(self.next_group_id, title)
        self.next_group_id -= 1
        return ChatView(self, chat)

    def private(self, who: Participant) -> ChatView:
        return ChatView(self, self.api.private_chat(who.user))

    def person(self, name: str, *, started_bot: bool = True) -> Participant:
        """Someone in the fake world; `started_bot=False` is a resident who never opened the private chat with the
        bot (Telegram then refuses the bot's private messages to them until they write to it)."""
        user = self.api.user(self.next_user_id, name)
        self.next_user_id += 1
        if started_bot:
            self.api.start_bot(user)
        participant = Participant(self, user)
        self.people[name] = participant
        return participant

    async def grant(self, who: Participant, role: Role, place_code: str) -> None:
        """Give someone a role directly in the database (what an accepted invite does)."""
        async with unit_of_work(self.runtime.sessions) as session:
            person = await ensure_person(
                session,
                platform="telegram",
                platform_user_id=str(who.user.id),
                display_name=who.user.display_name,
                username=None,
            )
            place = await place_by_code(session, code=place_code)
            assert place is not None and person.id is not None
            await grant_role(session, person_id=person.id, role=role, place=place, granted_by_id=None)

    async def sweep(self) -> int:
        """Run the ticket timers now (at the ManualClock's time)."""
        return await self.runtime.sweeper.run_once()

    async def settle(self, quiet: float = 0.4, timeout: float = 60.0) -> None:
        """Wait until the bot is at rest (`_busy`) and no call has come for `quiet` seconds. Quiet alone is not
        enough on a loaded machine: a reply queued behind another one of its chat waits until that one's outcome is
        recorded, and those few transactions can take longer than the quiet without a single call."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.api.wait_idle(quiet=quiet, timeout=max(deadline - loop.time(), 0.1))
            busy = await self._busy()
            if not busy:
                return
            if loop.time() >= deadline:
                raise AssertionError(f"the bot is not at rest after {timeout:.0f}s: {busy}")
            await asyncio.sleep(0.05)

    async def _busy(self) -> str:
        """What the bot still has to do ('' when nothing): updates the server holds that it has not stored, stored
        ones not yet processed, outbox rows on their way or ready to be taken now (rows waiting for a later attempt,
        a full minute or a 429 are not)."""
        unstored = self.api.unconfirmed_updates()
        if unstored:
            return f"{unstored} updates not yet stored"
        in_flight = col(OutboxMessage.status).in_((OutboxStatus.CLAIMED, OutboxStatus.SENDING))
        async with self.runtime.sessions() as session:
            pending = (await count_inbox(session)).get(InboxStatus.PENDING, 0)
            on_the_way = int((await session.exec(select(func.count()).where(in_flight))).one())
            ready = await next_in_line(session, now=utcnow(), limit=1, lock=False)
        if pending or on_the_way or ready:
            return f"{pending} updates to process, {on_the_way} outbox rows on their way, {len(ready)} ready"
        return ""

    async def digested(self, timeout: float = 60.0) -> None:
        """Wait until the bot has fetched every update and processed every one its inbox holds (however slow the
        machine), then for the calls that follow to go quiet."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.api.wait_idle(quiet=0.2, timeout=max(deadline - loop.time(), 0.1))
            async with self.runtime.sessions() as session:
                pending = (await count_inbox(session)).get(InboxStatus.PENDING, 0)
            if not pending:
                return await self.api.wait_idle(quiet=0.5, timeout=max(deadline - loop.time(), 0.1))
            if loop.time() >= deadline:
                raise AssertionError(f"{pending} updates still pending in the inbox after {timeout:.0f}s")
            await asyncio.sleep(0.05)

    async def set_aside(self) -> int:
        """How many updates the inbox set aside after failing three times (each cost someone the apology)."""
        async with self.runtime.sessions() as session:
            return (await count_inbox(session)).get(InboxStatus.SET_ASIDE, 0)

    async def delivered(self, timeout: float = 60.0) -> None:
        """`digested`, then also wait until the outbox holds no row due now (queued, claimed or on the wire): every
        reply and answer the updates caused has reached the server, however long the sender was kept from running."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self.digested(timeout)
        while due := await self._outbox_due():
            if loop.time() >= deadline:
                raise AssertionError(f"{due} outbox rows still due after {timeout:.0f}s")
            await asyncio.sleep(0.05)
        await self.api.wait_idle(quiet=0.2, timeout=max(deadline - loop.time(), 0.1))

    async def _outbox_due(self) -> int:
        """How many outbox rows are unfinished and due now (rows waiting for a later attempt are not)."""
        due = or_(col(OutboxMessage.next_attempt_at).is_(None), col(OutboxMessage.next_attempt_at) <= utcnow())
        query = select(func.count()).where(col(OutboxMessage.status).in_(UNFINISHED), due)
        async with self.runtime.sessions() as session:
            return int((await session.exec(query)).one())

    def bot_activity(self, chat_id: int) -> list[str]:
        return [
            c.summary()
            for c in self.api.calls
            if c.method in SEND_METHODS + EDIT_METHODS and int(c.params.get("chat_id", 0)) == chat_id
        ]


@asynccontextmanager
async def running_bot(
    database_url: str,
    api: LocalBotApi | None = None,
    clock: ManualClock | None = None,
    features: tuple[Feature, ...] = FEATURES,
    poll_seconds: float = 0.1,
    **overrides: Any,
) -> AsyncIterator[BotUnderTest]:
    """The whole bot (with these features) against a local Bot API server; every call it made is checked against
    the spec.

    A server passed in is started and stopped by the caller (so it can outlive a restart of the bot).
    Timers run only when the test calls `bot.sweep()`, at the ManualClock's time.
    """
    server = api or LocalBotApi(token=TOKEN, can_read_all_group_messages=True)
    if api is None:
        await server.start()
    runtime = await start_runtime(
        bot_settings(database_url, **overrides),
        token=TOKEN,
        base_url=server.base_url,
        poll_seconds=poll_seconds,
        clock=clock or ManualClock(),
        sweep=False,
        features=features,
    )
    try:
        yield BotUnderTest(server, runtime)
    finally:
        await runtime.stop()
        if api is None:
            await server.stop()
    assert_calls_valid(server.calls)
