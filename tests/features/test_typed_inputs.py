"""Inputs a person can type that once got the generic apology (or nothing): numbers too large for any id or count,
digits that are no ASCII digits, a command whose arguments start on the next line, a name of Telegram's full 64 + 64
characters, and a 5,000-character code that a reply used to quote back whole. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import select

from handlers.core.texts import translate
from models.people import Person
from tests.features.harness import Participant, running_bot
from tests.features.tickets_world import building

HUGE = "99999999999999999999"
APOLOGY = translate("zh", "error.generic")


async def test_numbers_no_id_or_count_can_hold_get_a_clear_answer(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        await w.staff.says(desk, f"/ticket {HUGE}")
        assert (await desk.expect_message()).text == f"没有这个编号：{HUGE}"
        await w.staff.says(desk, "/ticket ²")
        assert (await desk.expect_message()).text == "没有这个编号：²"
        await w.staff.says(desk, "/ticket ٣")  # an Arabic-Indic three: a digit to Python, no ticket number
        assert (await desk.expect_message()).text == "没有这个编号：٣"
        await w.staff.says(desk, "/ticket 7")
        await desk.expect_message("没有找到工单 #7")
        await w.staff.says(desk, f"/revoke {HUGE} 重复记录")
        assert (await desk.expect_message()).text == f"没有这个编号：{HUGE}"
        await w.staff.says(desk, f"/shopadd 米 {HUGE} 1")
        assert "数量太大，最多 2147483647" in (await desk.expect_message()).text
        await w.staff.says(desk, f"/shopadd 米 10 {HUGE}")
        await desk.expect_message("数量太大")
        await w.staff.says(desk, "/shopadd 米 ² 1")
        await desk.expect_message("积分「²」应是大于 0 的整数")
        await w.staff.says(desk, f"派单 {HUGE} 陈志愿")
        await desk.expect_message("派单")
        await desk.expect_nothing()
        assert APOLOGY not in bot.api.sent_texts(desk.id)


async def test_shopimport_takes_csv_lines_that_start_on_the_next_line(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        await w.staff.says(desk, "/shopimport\n名称,积分,库存\n大米,100,10\n毛巾,20,3")
        imported = await desk.expect_message("已导入 2 件物品")
        assert "大米 — 100 积分 · 库存 10" in (imported.text or "")
        await w.staff.says(desk, "/shopimport\n名称,积分,库存\n大米,1" + "0" * 30 + ",10")
        await desk.expect_message("数量太大")


async def test_a_name_of_64_plus_64_characters_is_kept_whole(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        user = bot.api.user(8_001_001, "A" * 64, "B" * 64)
        bot.api.start_bot(user)
        long = Participant(bot, user)
        await long.says(w.group, "3单元电梯坏了")
        card = await w.group.expect_message("📋 工单 #1")
        assert APOLOGY not in (card.text or "")
        async with bot.runtime.sessions() as session:
            names = (await session.exec(select(Person.display_name))).all()
        assert "A" * 64 + " " + "B" * 64 in names


async def test_replies_quote_what_was_typed_cut_short(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        await w.staff.says(desk, "核销 " + "1" * 5000)
        answer = await desk.expect_message("没有找到取货码 111111111111111111111111…")
        assert len(answer.text or "") < 100
        await w.staff.says(desk, "/ticket " + "x" * 5000)
        assert (await desk.expect_message()).text == "没有这个编号：" + "x" * 24 + "…"
        await w.staff.says(desk, "/grant 楼栋长 " + "楼" * 5000)
        assert len((await desk.expect_message("楼" * 24 + "…")).text or "") < 200
        await w.staff.says(desk, "/org add 物业 " + "物" * 300 + " " + "1" * 300)
        assert len((await desk.expect_message("太长了，最多 40 个字")).text or "") < 100
