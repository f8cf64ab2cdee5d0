"""Which building a person belongs to (issue 19 §7, docs/residency.md): the first building group they speak in, or
「我住在…」 privately once that building's head confirms; their award lines go only where they belong."""

from __future__ import annotations

from models.people import Role
from tests.features.harness import SEND_METHODS, BotUnderTest, ChatView, running_bot
from tests.features.test_passbook import award_by_reply
from tests.features.test_reach import start_payload
from tests.features.tickets_world import bind, building

B2 = "阳光社区/第一网格/2号楼"


def sent_texts(bot: BotUnderTest, chat: ChatView) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in bot.api.calls
        if c.method in SEND_METHODS and int(c.params.get("chat_id", 0)) == chat.id and c.ok
    ]


async def test_7_speaking_in_another_buildings_group_makes_nobody_a_resident_there(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        other = bot.group("2号楼业主群")
        await bind(bot, other, B2)
        newcomer = bot.person("周新来")
        await newcomer.says(other, "大家好，我刚搬来")
        await newcomer.says(w.group, "1号楼的电梯今天好用吗")
        await w.resident.says(other, "2号楼的邻居好")
        await bot.settle()

        for who, home, elsewhere in ((newcomer, "2号楼", "1号楼"), (w.resident, "1号楼", "2号楼")):
            await who.says(bot.private(who), "/me")
            mine = (await bot.private(who).expect_message("您的身份")).text or ""
            assert f"居民 · 阳光社区 · 第一网格 · {home}" in mine and elsewhere not in mine, mine


async def test_7_an_award_given_in_another_buildings_group_is_announced_where_the_person_belongs(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        other = bot.group("2号楼业主群")
        await bind(bot, other, B2)
        await award_by_reply(w.staff, other, w.resident, "加分 5 帮2号楼搬东西", said="我来帮忙")
        await w.group.expect_message("👏 王小明 +5 分：帮2号楼搬东西")
        await bot.private(w.staff).expect_message("王小明")
        await bot.private(w.resident).expect_message("🎉 您获得 5 分：帮2号楼搬东西")
        await bot.settle()
        assert not any("王小明 +5" in t for t in sent_texts(bot, other)), sent_texts(bot, other)


async def test_7_i_live_in_privately_is_confirmed_by_that_buildings_head_and_moves_the_person(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        other = bot.group("2号楼业主群")
        await bind(bot, other, B2)
        newcomer = bot.person("周新来")
        mine = bot.private(newcomer)
        await newcomer.says(other, "大家好")  # a resident of 2号楼 by speaking there first
        await newcomer.says(mine, "我住在9号楼")
        await mine.expect_message("没有找到「9号楼」这栋楼")
        await newcomer.says(mine, "我住在1号楼3单元")
        await mine.expect_message("已请「阳光社区 · 第一网格 · 1号楼」的楼栋长确认")
        head = bot.private(w.head)
        ask = await head.expect_message("🏠 周新来 说自己住在「阳光社区 · 第一网格 · 1号楼」。是本楼居民吗？")

        await w.head.presses(head, ask, "是，登记")
        await head.expect_edit("✅ 已登记 周新来 为「阳光社区 · 第一网格 · 1号楼」的居民。")
        await mine.expect_message("✅ 已确认：您是「阳光社区 · 第一网格 · 1号楼」的居民了。")
        await newcomer.says(mine, "/me")
        me = (await mine.expect_message("您的身份")).text or ""
        roles = me.split("身份变动记录")[0]
        assert "居民 · 阳光社区 · 第一网格 · 1号楼" in roles and "2号楼" not in roles, me
        assert "撤销 居民 · 阳光社区 · 第一网格 · 2号楼（李楼长 撤销）" in me, me

        await newcomer.says(mine, "我住在2号楼")
        await mine.expect_message("已请「阳光社区 · 第一网格 · 2号楼」的网格员确认")  # 2号楼 has no head
        assert "周新来" in ((await bot.private(w.grid_worker).expect_message("🏠 周新来")).text or "")


async def test_7_a_head_who_says_no_leaves_the_person_where_they_were(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        newcomer = bot.person("周新来")
        mine, head = bot.private(newcomer), bot.private(w.head)
        await newcomer.says(mine, "我住在1号楼")
        await mine.expect_message("已请")
        await w.head.presses(head, await head.expect_message("🏠 周新来"), "不是")
        await head.expect_edit("没有登记 周新来")
        await mine.expect_message("没有确认您住在这栋楼")
        await newcomer.says(mine, "/me")
        await mine.expect_message("您还没有任何身份")


async def test_7_a_building_head_who_never_started_the_bot_is_knocked_in_the_group_with_the_question(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        await building(bot)
        other = bot.group("2号楼业主群")
        await bind(bot, other, B2)
        head = bot.person("钱楼长", started_bot=False)
        await bot.grant(head, Role.BUILDING_HEAD, B2)
        newcomer = bot.person("周新来")
        await newcomer.says(bot.private(newcomer), "我住在2号楼")
        knock = await other.expect_message("钱楼长，有一条给您的消息")
        assert "周新来" not in (knock.text or "")
        private = bot.private(head)
        await head.says(private, f"/start {start_payload(knock)}")
        ask = await private.expect_message("🏠 周新来 说自己住在「阳光社区 · 第一网格 · 2号楼」")
        await head.presses(private, ask, "是，登记")
        await bot.private(newcomer).expect_message_with("✅ 已确认：您是「阳光社区 · 第一网格 · 2号楼」的居民了。")
