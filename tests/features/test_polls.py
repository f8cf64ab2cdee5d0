"""Transcripts of a poll with one vote per household (live counts, reminder, result, export) and of a 需求 with
+1s that staff mark 已立项, announced back to the group."""

from __future__ import annotations

import re

from tests.features.harness import ManualClock, running_bot
from tests.features.tickets_world import building


async def test_a_poll_with_one_vote_per_household(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        home, family = bot.private(w.resident), bot.private(w.neighbour)
        await w.resident.says(home, "门牌 3单元302")
        code = re.search(r"加入户 ([A-Z0-9]{6})", (await home.expect_message("已登记")).text or "")
        assert code
        await w.neighbour.says(family, f"加入户 {code.group(1)}")
        await family.expect_message("已加入")

        office = bot.private(w.staff)
        await w.resident.says(home, "投票 周末义诊选哪天？\n周六上午\n周日上午")
        await home.expect_message("只有社区工作人员和网格员可以发起投票")
        await w.staff.says(office, "投票 周末义诊选哪天？")
        await office.expect_message("第一行是问题，每行一个选项")
        await w.staff.says(office, "投票 周末义诊选哪天？\n周六上午\n周日上午")
        draft = await office.expect_message("📊 投票草稿：周末义诊选哪天？")
        assert "单选 · 匿名 · 每人一票 · 3 天后截止" in (draft.text or "")
        await w.staff.presses(office, draft, "每人一票")
        draft = await office.expect_edit("单选 · 匿名 · 每户一票")
        await w.staff.presses(office, draft, "匿名")
        draft = await office.expect_edit("单选 · 实名 · 每户一票")
        await w.staff.presses(office, draft, "选择群")
        chooser = await office.expect_edit("发到哪些群")
        await w.staff.presses(office, chooser, "1号楼")
        chooser = await office.expect_edit("发到哪些群")
        await w.staff.presses(office, chooser, "下一步")
        sent = await office.expect_edit("已发到 1 个群")
        card = await w.group.expect_message("📊 投票：周末义诊选哪天？")
        assert [label for label, _ in card.buttons] == ["周六上午", "周日上午"]

        await w.resident.presses(w.group, card, "周六上午")
        await w.resident.expect_answer("已投：周六上午")
        await w.group.expect_edit("1. 周六上午 — 1 票\n2. 周日上午 — 0 票")
        await w.neighbour.presses(w.group, card, "周日上午")  # the same household: its one vote moves
        await w.neighbour.expect_answer("已投：周日上午")
        await w.group.expect_edit("1. 周六上午 — 0 票\n2. 周日上午 — 1 票")
        await w.head.presses(w.group, card, "周六上午")
        await w.head.expect_answer("请先私聊我发送「门牌 3单元302」")

        clock.advance(days=2)
        await bot.sweep()
        await w.group.expect_message("⏰ 投票「周末义诊选哪天？」还有约 24 小时截止")
        clock.advance(days=1)
        await bot.sweep()
        final = await w.group.expect_edit("📊 投票结果：周末义诊选哪天？")
        assert final.buttons == []
        await office.expect_message("📊 投票结果")
        await w.staff.presses(office, sent, "导出结果")
        _, content = await office.expect_document("结果.csv")
        assert content.decode("utf-8-sig").splitlines() == ["选项,票数,投票人", "周六上午,0,", "周日上午,1,刘阿姨"]


async def test_a_need_with_plus_ones_is_marked_planned_and_announced(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "需求")
        await w.group.expect_message("请在「需求」后面写上")
        await w.resident.says(w.group, "需求 小区缺少电动车充电桩")
        card = await w.group.expect_message("📝 需求 #1：小区缺少电动车充电桩\n👍 1 人需要 · 收集中")
        await w.neighbour.presses(w.group, card, "+1")
        await w.neighbour.expect_answer("已 +1")
        await w.group.expect_edit("👍 2 人需要")
        await w.neighbour.presses(w.group, card, "+1")
        await w.neighbour.expect_answer("您已经 +1 过了")
        await w.head.presses(w.group, card, "+1")
        await w.group.expect_edit("👍 3 人需要")
        await w.neighbour.says(bot.private(w.neighbour), "需求 多装几个路灯")
        await bot.private(w.neighbour).expect_message("📝 需求 #2：多装几个路灯")

        await w.resident.says(bot.private(w.resident), "需求清单")
        await bot.private(w.resident).expect_message("只有社区工作人员可以管理需求清单")
        office = bot.private(w.staff)
        await w.staff.says(office, "需求清单")
        listing = await office.expect_message("📋 阳光社区需求清单")
        assert "1. #1 小区缺少电动车充电桩 — 👍 3（收集中）\n2. #2 多装几个路灯 — 👍 1（收集中）" in (
            listing.text or ""
        )
        await w.staff.presses(office, listing, "#1 已立项")
        await w.staff.expect_answer("已标记为已立项")
        await w.group.expect_message("📢 大家提的需求「小区缺少电动车充电桩」社区已立项，谢谢 3 位邻居的 +1！")
        await w.group.expect_edit("👍 3 人需要 · 已立项")
        await office.expect_edit("#1 小区缺少电动车充电桩 — 👍 3（已立项）")
