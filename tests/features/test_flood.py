"""One member flooding a group with commands: the bot answers ten a minute, says once that it pauses, then stays
quiet for that member for five minutes; building heads, grid workers and staff are never paused; a flooded group
waits its turn in the inbox, so someone else's private /help is answered at once."""

from __future__ import annotations

from sqlmodel import col, func, select

from handlers.core.router import COMMANDS_PER_MINUTE
from models.outbox import OutboxMessage
from tests.features.harness import BotUnderTest, ManualClock, running_bot
from tests.features.tickets_world import building

HELP = "「邻里」可以帮您"
PAUSE = "您发命令太快了，我先歇 5 分钟"


async def outbox_rows_for(bot: BotUnderTest, chat_id: int) -> int:
    async with bot.runtime.sessions() as session:
        query = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.chat_id) == str(chat_id))
        return int((await session.exec(query)).one())


def texts_in(bot: BotUnderTest, chat_id: int) -> list[str]:
    calls = bot.api.calls_of("sendMessage")
    return [str(c.params["text"]) for c in calls if c.ok and int(c.params["chat_id"]) == chat_id]


async def test_a_flood_of_help_in_a_group_gets_a_handful_of_answers_and_a_private_help_stays_quick(
    database_url: str,
) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        for _ in range(250):
            await w.resident.says(w.group, "/help")
        await w.neighbour.says(bot.private(w.neighbour), "/help")
        await bot.private(w.neighbour).expect_message(HELP, timeout=5)

        await bot.delivered()
        assert await outbox_rows_for(bot, w.group.id) == COMMANDS_PER_MINUTE + 1
        sent = texts_in(bot, w.group.id)
        assert [HELP in text for text in sent] == [True] * COMMANDS_PER_MINUTE + [False]
        assert sent[-1] == f"王小明，{PAUSE}，之后再回答您。"

        clock.advance(minutes=4)
        await w.resident.says(w.group, "帮助")  # a plain-word command counts as one too
        await w.group.expect_nothing()
        clock.advance(minutes=1, seconds=1)
        await w.resident.says(w.group, "/help")
        await w.group.expect_message(HELP)


async def test_those_who_run_the_group_are_never_paused(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        for who in (w.head, w.grid_worker, w.staff):
            for _ in range(COMMANDS_PER_MINUTE + 2):
                await who.says(w.group, "/help")
        await bot.digested()
        async with bot.runtime.sessions() as session:
            query = select(OutboxMessage).where(col(OutboxMessage.chat_id) == str(w.group.id))
            queued = [row.content.text for row in (await session.exec(query)).all()]  # 20 a minute go out
        assert len(queued) == 3 * (COMMANDS_PER_MINUTE + 2)
        assert all(HELP in text for text in queued)


async def test_a_member_paused_in_one_group_is_answered_in_another_and_privately(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        other = bot.group("闲聊群")
        for _ in range(COMMANDS_PER_MINUTE + 1):
            await w.resident.says(w.group, "/help")
        await bot.digested()
        await w.resident.says(other, "/help")
        await other.expect_message(HELP)
        await w.resident.says(bot.private(w.resident), "/help")
        await bot.private(w.resident).expect_message(HELP)
