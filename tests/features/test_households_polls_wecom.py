"""Households, polls and the 需求清单 on WeCom (typed choices instead of buttons): a household of two members and its
星级 total, a poll with one vote per household, and a 需求 with +1s that staff mark 已立项."""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.people import Role
from tests.features.harness import DEFAULT_START, BotUnderTest
from tests.features.test_wecom import choice, earn
from tests.features.tickets_world import B1, COMMUNITY, TREE, furnish
from tests.features.wecom_world import WeComGroup, WeComSide, WeComUser, running_bot_with_wecom


@dataclass
class Neighbours:
    group: WeComGroup
    resident: WeComUser
    family: WeComUser  # lives with the resident
    head: WeComUser  # the 楼栋长, whose household is not registered
    staff: WeComUser


async def neighbours(bot: BotUnderTest, wecom: WeComSide) -> Neighbours:
    await furnish(bot, TREE, groups=(), cast=())
    world = Neighbours(
        await wecom.group(B1, "1号楼企业微信群"),
        *(wecom.user(u) for u in ("wangxiaoming", "liuayi", "lilouzhang", "zhangshegong")),
    )
    for who, role, place in (
        (world.resident, Role.RESIDENT, B1),
        (world.family, Role.RESIDENT, B1),
        (world.head, Role.BUILDING_HEAD, B1),
        (world.staff, Role.STAFF, COMMUNITY),
    ):
        await wecom.grant(who, role, place)
    return world


async def one_household(w: Neighbours) -> None:
    """The resident registers 3单元302; the family member joins it with its code."""
    await w.resident.says_privately("门牌 3单元302")
    created = await w.resident.expect_private("🏠 已登记「1号楼 3单元302」")
    code = re.search(r"加入户 ([A-Z0-9]{6})", created.content)
    assert code
    await w.family.says_privately(f"加入户 {code.group(1)}")
    await w.family.expect_private("🏠 已加入「1号楼 3单元302」")


async def test_on_wecom_a_household_of_two_members_counts_what_both_earn_and_is_rated(database_url: str) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        w = await neighbours(bot, wecom)
        await one_household(w)
        for who, points in ((w.resident, 40), (w.family, 20)):
            await earn(bot, platform="wecom", user_id=who.userid, points=points, key=who.userid, at=DEFAULT_START)
        await w.family.says_privately("我的户")
        card = (await w.family.expect_private("🏠 1号楼 3单元302")).content
        assert "户积分：60（★）" in card

        await w.staff.says_privately("文明户")
        ranking = (await w.staff.expect_private("🏅 阳光社区星级文明户（共 1 户）")).content
        assert "1. 1号楼 3单元302 — 60 分 ★" in ranking
        await wecom.api.wait_for(lambda c: c.body.get("msgtype") == "file" and c.body.get("touser") == w.staff.userid)
        sheet = wecom.api.files_sent("/cgi-bin/message/send")[-1]
        assert sheet.filename.endswith("星级文明户.csv")
        assert sheet.content.decode("utf-8-sig").splitlines()[1].endswith(",60,★")


async def test_on_wecom_a_poll_takes_one_vote_per_household(database_url: str) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        w = await neighbours(bot, wecom)
        await one_household(w)
        await w.staff.says_privately("投票 周末义诊选哪天？\n周六上午\n周日上午")
        draft = await w.staff.expect_private("单选 · 匿名 · 每人一票")
        await w.staff.says_privately(choice(draft.content, "每人一票"))
        draft = await w.staff.expect_private("单选 · 匿名 · 每户一票")
        await w.staff.says_privately(choice(draft.content, "选择群"))
        chooser = await w.staff.expect_private("发到哪些群？可多选")
        await w.staff.says_privately(choice(chooser.content, "1号楼"))
        chooser = await w.staff.expect_private("✅")
        await w.staff.says_privately(choice(chooser.content, "下一步"))
        await w.staff.expect_private("已发到 1 个群")
        card = await wecom.expect_in(w.group, "📊 投票：周末义诊选哪天？")

        await w.resident.says_in(w.group, choice(card.content, "周六上午"))
        await wecom.expect_in(w.group, "已投：周六上午")
        await wecom.expect_in(w.group, "1. 周六上午 — 1 票\n2. 周日上午 — 0 票")
        await w.family.says_in(w.group, choice(card.content, "周日上午"))  # the same household: its vote moves
        await wecom.expect_in(w.group, "已投：周日上午")
        await wecom.expect_in(w.group, "1. 周六上午 — 0 票\n2. 周日上午 — 1 票")
        await w.head.says_in(w.group, choice(card.content, "周六上午"))
        await wecom.expect_in(w.group, "请先私聊我发送「门牌 3单元302」")


async def test_on_wecom_a_need_with_plus_ones_is_marked_planned_and_announced(database_url: str) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        w = await neighbours(bot, wecom)
        await w.resident.says_in(w.group, "需求 小区缺少电动车充电桩")
        card = await wecom.expect_in(w.group, "📝 需求 #1：小区缺少电动车充电桩\n👍 1 人需要 · 收集中")
        await w.family.says_in(w.group, choice(card.content, "+1"))
        await wecom.expect_in(w.group, "已 +1")
        await wecom.expect_in(w.group, "👍 2 人需要")
        await w.family.says_in(w.group, choice(card.content, "+1"))
        await wecom.expect_in(w.group, "您已经 +1 过了")

        await w.staff.says_privately("需求清单")
        listing = await w.staff.expect_private("📋 阳光社区需求清单")
        assert "1. #1 小区缺少电动车充电桩 — 👍 2（收集中）" in listing.content
        await w.staff.says_privately(choice(listing.content, "#1 已立项"))
        await wecom.expect_in(w.group, "📢 大家提的需求「小区缺少电动车充电桩」社区已立项，谢谢 2 位邻居的 +1！")
        await wecom.expect_in(w.group, "👍 2 人需要 · 已立项")
        await w.staff.expect_private("#1 小区缺少电动车充电桩 — 👍 2（已立项）")
