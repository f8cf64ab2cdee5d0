"""A new feature needs its own package and one entry in the tuple: the router, the roles, /help, the command menu,
the texts, the settings and the timers all pick it up from its Feature record."""

from __future__ import annotations

from handlers.features import FEATURES
from tests.features.harness import running_bot
from tests.features.tickets_world import building
from tests.features.toy.feature import FEATURE as TOY


async def test_a_toy_feature_added_to_the_tuple_works_everywhere(database_url: str) -> None:
    async with running_bot(database_url, features=(*FEATURES, TOY)) as bot:
        w = await building(bot)
        staff, resident = bot.private(w.staff), bot.private(w.resident)

        await w.resident.says(resident, "/ping")
        await resident.expect_message("只有社区工作人员可以打乒乓。")
        await w.staff.says(staff, "乒乓")
        await staff.expect_message("乒！（Asia/Shanghai）")

        await w.staff.says(staff, "/help")
        assert "/ping — 乒乓：试试看机器人在不在" in (await staff.expect_message("「邻里」可以帮您")).text
        await w.resident.says(resident, "/help")
        assert "/ping" not in ((await resident.expect_message("「邻里」可以帮您")).text or "")
        assert {"command": "ping", "description": "Ping: see whether the bot is there"} in bot.api.commands(
            language_code="en"
        )

        await w.resident.says(w.group, "toy: 你好")
        await w.group.expect_message("玩具收到：你好")
        assert await bot.sweep() == 1  # every other feature has nothing due
