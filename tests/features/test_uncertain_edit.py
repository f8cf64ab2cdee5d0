"""A card whose send ended `uncertain` (the bot crashed with the request on the wire: it may or may not have
arrived, and its message id is unknown): an edit of it waits a few rounds, then the current card is posted as a new
message, noted on the row and in the log, and later edits change that new message. An edit of a card whose send
failed gives up instead of waiting forever."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import structlog
from sqlalchemy import update
from sqlmodel import col, select

from handlers.core.context import Context
from handlers.core.feature import Feature, TextStep
from handlers.core.types import Button, Edit, IncomingMessage
from handlers.features import FEATURES
from models.outbox import REPOST_AFTER_ROUNDS, UNFINISHED, OutboxAction, OutboxMessage, OutboxStatus
from tests.features.harness import BotUnderTest, ManualClock, running_bot

REF = "card:1"
FAILED = OutboxStatus.FAILED


async def cards(ctx: Context, message: IncomingMessage) -> bool:
    """`card: TEXT` posts the card, `edit: TEXT` changes it."""
    verb, _, text = message.text.partition(":")
    if verb == "card":
        ctx.reply(text.strip(), buttons=((Button("看看", "tk:1"),),), ref_key=REF)
    elif verb == "edit":
        ctx.effects.add(Edit(text=text.strip(), buttons=((Button("再看看", "tk:2"),),), ref_key=REF))
    else:
        return False
    return True


CARDS = Feature(name="cards", text=(TextStep(-1, cards),))


async def mark_send(bot: BotUnderTest, status: OutboxStatus) -> None:
    """What a crash with the request on the wire leaves (recover_interrupted): no message id, not to be resent."""
    await last_row_settled(bot)
    async with bot.runtime.sessions() as session, session.begin():
        await session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.ref_key) == REF, col(OutboxMessage.action) == OutboxAction.SEND)
            .values(status=status, platform_message_id=None)
        )


async def rows_named(bot: BotUnderTest) -> list[OutboxMessage]:
    async with bot.runtime.sessions() as session:
        query = select(OutboxMessage).where(col(OutboxMessage.chat_id) != "").order_by(col(OutboxMessage.id))
        return [r for r in (await session.exec(query)).all() if r.action != OutboxAction.ANSWER]


async def last_row_settled(bot: BotUnderTest) -> OutboxMessage:
    """The newest row, once the sender has recorded its outcome."""
    for _ in range(100):
        last = (await rows_named(bot))[-1]
        if last.status not in UNFINISHED:
            return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"row {last.id} still {last.status}")


async def health(bot: BotUnderTest) -> dict[str, Any]:
    url = f"http://127.0.0.1:{bot.runtime.web_port}/healthz"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return dict(await response.json())


async def rounds_waited(bot: BotUnderTest, at_least: int) -> int:
    """How many rounds the newest row (an edit) has waited, once it has waited `at_least` (or became a send, or
    gave up)."""
    for _ in range(100):
        rows = await rows_named(bot)
        last = rows[-1]
        if len(rows) > 1 and (last.attempts >= at_least or last.action == OutboxAction.SEND or last.status == FAILED):
            return last.attempts
        await asyncio.sleep(0.05)
    raise AssertionError(f"row {last.id} waited only {last.attempts} rounds")


async def let_rounds_pass(bot: BotUnderTest, clock: ManualClock, rounds: int) -> None:
    """Move the clock past each wait and let the sender look at the edit again, one round at a time."""
    for _ in range(rounds):
        waited = await rounds_waited(bot, 0)
        clock.advance(seconds=2.5)
        bot.runtime.sender.wake()
        await rounds_waited(bot, waited + 1)


async def test_an_edit_behind_an_uncertain_send_posts_the_card_anew_and_later_edits_follow_it(
    database_url: str,
) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock, features=(CARDS, *FEATURES)) as bot:
        someone = bot.person("王小明")
        chat = bot.private(someone)
        await someone.says(chat, "card: 第一版")
        first = await chat.expect_message("第一版")
        await mark_send(bot, OutboxStatus.UNCERTAIN)

        with structlog.testing.capture_logs() as logs:
            await someone.says(chat, "edit: 第二版")
            assert await rounds_waited(bot, 1) == 1
            await let_rounds_pass(bot, clock, REPOST_AFTER_ROUNDS - 2)
            await chat.expect_nothing()  # still waiting: bounded, not forever
            assert await rounds_waited(bot, 0) == REPOST_AFTER_ROUNDS - 1
            assert (await health(bot))["oldest_pending_age_seconds"] >= 0
            await let_rounds_pass(bot, clock, 1)
            second = await chat.expect_message("第二版")
        assert second.message_id != first.message_id
        assert [b for b, _ in bot.api.message(chat.id, second.message_id).buttons] == ["再看看"]
        assert [e["outcome"] for e in logs if e["event"] == "outbox.edit_without_message"] == ["reposted"]
        reposted = await last_row_settled(bot)
        assert reposted.action == OutboxAction.SEND and reposted.status == OutboxStatus.SENT
        assert reposted.last_error and "reposted as a new message" in reposted.last_error

        await someone.says(chat, "edit: 第三版")
        third = await chat.expect_edit("第三版")
        assert third.message_id == second.message_id
        await last_row_settled(bot)
        assert (await health(bot))["oldest_pending_age_seconds"] is None


async def test_an_edit_of_a_card_whose_send_failed_gives_up(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock, features=(CARDS, *FEATURES)) as bot:
        someone = bot.person("王小明")
        chat = bot.private(someone)
        await someone.says(chat, "card: 第一版")
        await chat.expect_message("第一版")
        await mark_send(bot, OutboxStatus.FAILED)
        await someone.says(chat, "edit: 第二版")
        await let_rounds_pass(bot, clock, 2)
        await chat.expect_nothing()
        edit = await last_row_settled(bot)
        assert edit.status == OutboxStatus.FAILED and "never sent" in (edit.last_error or "")
