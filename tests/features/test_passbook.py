"""Transcripts of the 爱心存折: manual awards and their refusals, the private picker, automatic awards that fire once
even when the update comes twice, reversals, /points /passbook /rank, star congratulations and the drift check."""

from __future__ import annotations

import copy
import itertools
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot import cli
from bot.db import unit_of_work
from models.ledger import post_entry
from models.passbook import Balance, EntryKind, LedgerEntry
from models.people import Person, Role
from tests.features.harness import (
    BotUnderTest,
    ChatView,
    ManualClock,
    Participant,
    bot_settings,
    running_bot,
    shanghai,
)
from tests.features.test_events import first_start, publish
from tests.features.tickets_world import Building, bind, building

B2 = "阳光社区/第一网格/2号楼"
FRESH_UPDATE_IDS = itertools.count(900_000_001)


def message_id(update: dict[str, Any]) -> int:
    return int(update["message"]["message_id"])


def redelivered(update: dict[str, Any], *, fresh_id: bool) -> dict[str, Any]:
    """The same update again: as Telegram re-sends it (same id) or as a second identical delivery (new id)."""
    again = copy.deepcopy(update)
    if fresh_id:
        again["update_id"] = next(FRESH_UPDATE_IDS)
    return again


def sent(bot: BotUnderTest, chat: ChatView, containing: str) -> list[str]:
    """Texts the bot sent to a chat that contain a phrase, however many there were."""
    texts = [str(c.params.get("text", "")) for c in bot.api.calls if c.method == "sendMessage" and c.ok]
    chats = [int(c.params.get("chat_id", 0)) for c in bot.api.calls if c.method == "sendMessage" and c.ok]
    return [t for t, chat_id in zip(texts, chats, strict=True) if chat_id == chat.id and containing in t]


async def person_id(bot: BotUnderTest, who: Participant) -> int:
    async with bot.runtime.sessions() as session:
        found = (await session.exec(select(Person).where(Person.display_name == who.user.display_name))).one()
    assert found.id is not None
    return found.id


async def entries(bot: BotUnderTest, who: Participant) -> list[LedgerEntry]:
    pid = await person_id(bot, who)
    async with bot.runtime.sessions() as session:
        query = select(LedgerEntry).where(LedgerEntry.person_id == pid).order_by(col(LedgerEntry.id))
        return list((await session.exec(query)).all())


async def award_by_reply(
    awarder: Participant, group: ChatView, recipient: Participant, text: str, said: str = "收到"
) -> None:
    update = await recipient.says(group, said)
    await awarder.says(group, text, reply_to_message_id=message_id(update))


async def test_award_by_reply_and_every_refusal(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await award_by_reply(w.head, w.group, w.resident, "加分 10 扫雪")
        line = await w.group.expect_message("👏 王小明 +10 分：扫雪")
        assert line.message.get("reply_to_message") is not None
        told = await bot.private(w.resident).expect_message("🎉 您获得 10 分：扫雪（李楼长）")
        assert "可用积分 10 · 终身积分 10" in (told.text or "")

        await award_by_reply(w.neighbour, w.group, w.resident, "加分 5 帮忙")
        await w.group.expect_message("只有社区工作人员、网格员和楼栋长可以加分")
        await award_by_reply(w.head, w.group, w.head, "/award 5 扫雪")
        await w.group.expect_message("不能给自己加分")
        await award_by_reply(w.head, w.group, w.resident, "加分 10")
        await w.group.expect_message("分数和原因都要写")
        await w.head.says(w.group, "加分 10 扫雪")
        await w.group.expect_message("回复要加分的人的消息")
        await award_by_reply(w.head, w.group, w.neighbour, "加分 45 搬运物资")
        await w.group.expect_message("超过今日加分上限：您每天最多可加 50 分，今天已加 10 分，还可加 40 分")
        await award_by_reply(w.head, w.group, w.neighbour, "加分 40 搬运物资")
        await w.group.expect_message("👏 刘阿姨 +40 分：搬运物资")

        other = bot.group("2号楼业主群")
        await bind(bot, other, B2)
        upstairs = bot.person("孙二楼")
        bot.private(upstairs)
        await bot.grant(upstairs, Role.RESIDENT, B2)
        await award_by_reply(w.grid_worker, other, w.head, "加分 5 帮忙")  # 楼栋长 speaking in 2号楼's group
        await w.group.expect_message_with("👏 李楼长 +5 分")  # announced where he belongs, not in 2号楼's group
        await award_by_reply(w.head, other, upstairs, "加分 1 扫雪")
        await other.expect_message("孙二楼 不在您负责的范围内")
        await bot.settle()
        assert [e.delta for e in await entries(bot, w.resident)] == [10]
        assert [e.delta for e in await entries(bot, upstairs)] == []


async def test_private_picker_building_person_amount_reason(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        await w.staff.says(desk, "/award")
        buildings = await desk.expect_message("请先选择楼栋")
        await w.staff.presses(desk, buildings, "1号楼")
        people = await desk.expect_edit("1号楼：给谁加分？")
        assert "张社工" not in [label for label, _ in people.buttons]
        await w.staff.presses(desk, people, "陈志愿")
        amounts = await desk.expect_edit("给 陈志愿 加几分？")
        await w.staff.presses(desk, amounts, "+20")
        await desk.expect_edit("给 陈志愿 加 20 分。请直接发送加分原因")
        await w.staff.says(desk, "搬运防汛物资")
        await desk.expect_message("✅ 已给 陈志愿 加 20 分：搬运防汛物资")
        await bot.private(w.volunteer).expect_message("您获得 20 分：搬运防汛物资（张社工）")
        await w.group.expect_message("👏 陈志愿 +20 分：搬运防汛物资")

        worker = bot.private(w.grid_worker)
        await w.grid_worker.says(worker, "加分")
        await w.grid_worker.presses(worker, await worker.expect_message("请先选择楼栋"), "1号楼")
        await w.grid_worker.presses(worker, await worker.expect_edit("给谁加分"), "王小明")
        await w.grid_worker.presses(worker, await worker.expect_edit("加几分"), "+5")
        reasons = await worker.expect_edit("请直接发送加分原因，或选一个")
        cleaning = next(data for label, data in reasons.buttons if label == "清理楼道")
        await w.grid_worker.presses(worker, reasons, "清理楼道")
        await worker.expect_edit("✅ 已给 王小明 加 5 分：清理楼道")
        assert cleaning is not None
        bot.api.inject_callback(worker.chat, w.grid_worker.user, reasons.message_id, cleaning, check_button=False)
        await w.grid_worker.expect_answer("这个按钮已失效")  # pressed again: the draft is gone, nothing twice
        await bot.settle()
        assert [e.reason for e in await entries(bot, w.resident)] == ["清理楼道"]

        resident = bot.private(w.resident)
        await resident.expect_message("您获得 5 分：清理楼道（赵网格）")
        await w.resident.says(resident, "/award")
        await resident.expect_message("只有社区工作人员、网格员和楼栋长可以加分")


async def publish_with_points(bot: BotUnderTest, w: Building, points: str) -> str:
    """Staff publish 义诊 tomorrow at 9 to 1号楼 with `points` per check-in; returns the check-in code."""
    _, code = await publish(bot, w, ["义诊", "明天上午9点", "社区活动室", "不限", points])
    return code


async def test_automatic_awards_fire_once_even_when_the_update_comes_twice(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        code = await publish_with_points(bot, w, "10")
        await w.group.expect_message("🎪 义诊")
        clock.now = await first_start(bot)
        check_in = await w.resident.says(w.group, f"签到 {code}")
        await w.group.expect_message("签到成功：义诊")
        await bot.private(w.resident).expect_message("您获得 10 分：活动签到：义诊")
        await w.group.expect_edit("已报名 1")  # a walk-in takes a place: the card counts them
        bot.api.inject_raw(redelivered(check_in, fresh_id=False))
        await w.group.expect_nothing()
        bot.api.inject_raw(redelivered(check_in, fresh_id=True))  # the same message is the same message
        await w.group.expect_nothing()
        await bot.private(w.resident).expect_nothing()

        await w.neighbour.says(w.group, "2单元楼道灯坏了，晚上很黑")
        card = await w.group.expect_message("📋 工单 #1")
        confirm = await w.head.presses(w.group, card, "确认")
        await w.group.expect_edit("已确认")
        await bot.private(w.neighbour).expect_message("您获得 2 分：报告问题 #1 已确认")
        bot.api.inject_raw(redelivered(confirm, fresh_id=False))
        await w.head.presses(w.group, card, "派单")
        await w.head.presses(w.group, await w.group.expect_message("派给谁"), "陈志愿")
        volunteer = bot.private(w.volunteer)
        job = await volunteer.expect_message("新的派单")
        done = await w.volunteer.presses(volunteer, job, "已处理")
        await volunteer.expect_message("您获得 10 分：完成工单 #1（报修）")
        bot.api.inject_raw(redelivered(done, fresh_id=False))
        question = await bot.private(w.neighbour).expect_message("修好了吗？")
        await w.neighbour.presses(bot.private(w.neighbour), question, "没解决")
        job = await volunteer.expect_message("没解决，已重新打开")
        await volunteer.expect_message("您的一笔积分被撤销：−10 分")  # 没解决 takes the round's points back
        await w.volunteer.presses(volunteer, job, "已处理")  # the second round earns them again, once
        await bot.private(w.neighbour).expect_message("修好了吗？")
        await bot.settle()
        assert len(sent(bot, volunteer, "您获得")) == 2 and len(sent(bot, bot.private(w.neighbour), "您获得")) == 1
        assert len(sent(bot, bot.private(w.resident), "您获得")) == 1

        assert [(e.delta, e.source) for e in await entries(bot, w.resident)] == [(10, "event")]
        assert [(e.delta, e.source) for e in await entries(bot, w.neighbour)] == [(2, "report")]
        assert [(e.delta, e.source) for e in await entries(bot, w.volunteer)] == [
            (10, "ticket"),
            (-10, "entry"),
            (10, "ticket"),
        ]


async def test_confirmed_reports_earn_only_up_to_the_daily_cap(database_url: str) -> None:
    async with running_bot(database_url, passbook_report_points=3, passbook_report_daily_cap=5) as bot:
        w = await building(bot)
        for number, text in ((1, "3单元电梯坏了"), (2, "1单元楼道灯坏了")):
            await w.neighbour.says(w.group, text)
            card = await w.group.expect_message(f"📋 工单 #{number}")
            await w.head.presses(w.group, card, "确认")
            await w.group.expect_edit("已确认")
        await bot.private(w.neighbour).expect_message("您获得 3 分：报告问题 #1 已确认")
        await bot.private(w.neighbour).expect_nothing()
        assert [e.delta for e in await entries(bot, w.neighbour)] == [3]


async def test_staff_revoke_with_a_visible_reversal(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        await award_by_reply(w.head, w.group, w.resident, "加分 10 扫雪")
        await w.group.expect_message("👏 王小明 +10 分")
        await award_by_reply(w.head, w.group, w.resident, "加分 8 清理楼道")
        await w.group.expect_message("👏 王小明 +8 分")
        resident = bot.private(w.resident)
        await resident.expect_message("您获得 10 分")
        await resident.expect_message("您获得 8 分")

        await w.head.says(w.group, "撤销积分 1 重复记录")
        await w.group.expect_message("只有该居民所在社区的工作人员可以撤销积分")
        desk = bot.private(w.staff)
        await w.staff.says(desk, "/revoke 1")
        await desk.expect_message("撤销方法")
        await w.staff.says(desk, "/revoke 99 重复记录")
        await desk.expect_message("没有找到加分记录 #99")
        await w.staff.says(desk, "/revoke 1 重复记录")
        await desk.expect_message("已撤销 #1：王小明 −10 分（重复记录）")
        told = await resident.expect_message("您的一笔积分被撤销：−10 分（原因：重复记录；原记录：扫雪）")
        assert "可用积分 8 · 终身积分 8" in (told.text or "")
        await w.staff.says(desk, "撤销积分 1 重复记录")
        await desk.expect_message("记录 #1 已经撤销过了")

        async with unit_of_work(bot.runtime.sessions) as session:
            await post_entry(
                session,
                person_id=await person_id(bot, w.resident),
                delta=-5,
                kind=EntryKind.REDEEM,
                reason="兑换：大米",
                source="redemption",
                source_id=None,
                actor_id=None,
                idempotency_key="test:spent",
                now=clock.now,
            )
        await w.staff.says(desk, "/revoke 2 发错了")
        await desk.expect_message("记录 #2 的积分已被兑换")

        await w.resident.says(resident, "积分明细")
        history = (await resident.expect_message("📒 积分明细（第 1/1 页）")).text or ""
        assert "#3" in history and "−10 撤销 #1：重复记录 · 张社工" in history
        assert "+10 扫雪 · 李楼长" in history and "+8 清理楼道 · 李楼长" in history


async def test_points_passbook_pages_and_rank(database_url: str) -> None:
    # the group gets 20 messages and edits within the minute: room above the group's limit of 20, since a departure
    # a busy machine wakes too late for stays counted and would hold the last edit back until the minute is over
    async with running_bot(database_url, passbook_cap_staff=1000, group_rate_per_minute=30) as bot:
        w = await building(bot)
        for amount in range(1, 13):
            await award_by_reply(w.staff, w.group, w.resident, f"加分 {amount} 第{amount}次帮忙")
            await w.group.expect_message(f"+{amount} 分")
        await award_by_reply(w.staff, w.group, w.neighbour, "加分 100 组织义诊")
        await w.group.expect_message("+100 分")

        await w.resident.says(w.group, "我的积分")
        points = (await w.group.expect_message("王小明的爱心存折")).text or ""
        assert "可用积分：78" in points and "终身积分：78" in points
        assert "星级：★（再得 72 分升 ★★）" in points
        assert "1号楼排名：第 2 名" in points and "阳光社区排名：第 2 名" in points

        resident = bot.private(w.resident)
        for amount in range(1, 13):
            await resident.expect_message(f"您获得 {amount} 分")
            if amount == 10:
                await resident.expect_message("终身积分达到 55 分，升为 ★ 志愿者")
        await w.resident.says(resident, "/passbook")
        first = await resident.expect_message("📒 积分明细（第 1/2 页）")
        assert "+12 第12次帮忙 · 张社工" in (first.text or "") and "第1次帮忙" not in (first.text or "")
        await w.resident.presses(resident, first, "下一页")
        second = await resident.expect_edit("第 2/2 页")
        assert "+1 第1次帮忙" in (second.text or "")

        await w.resident.says(w.group, "积分明细")
        shown = await w.group.expect_message("📒 积分明细（第 1/2 页）")
        await w.neighbour.presses(w.group, shown, "下一页")
        await w.neighbour.expect_answer("这是别人的积分明细")

        await w.neighbour.says(w.group, "排行榜")
        board = await w.group.expect_message("🏆 1号楼 · 本月排行榜")
        assert "1. 刘阿姨 100 分\n2. 王小明 78 分" in (board.text or "")
        neighbour = bot.private(w.neighbour)
        await neighbour.expect_message("您获得 100 分")
        await neighbour.expect_message("升为 ★ 志愿者")
        await w.neighbour.says(neighbour, "排行榜名字 匿名")
        await neighbour.expect_message("您在排行榜上显示为：一位热心邻居")
        await w.resident.says(w.group, "排行榜名字 小明同学")
        await w.group.expect_message("您在排行榜上显示为：小明同学")
        await w.neighbour.says(w.group, "排行榜")
        chosen = await w.group.expect_message("🏆 1号楼 · 本月排行榜")
        assert "1. 一位热心邻居 100 分\n2. 小明同学 78 分" in (chosen.text or "")
        await w.neighbour.says(neighbour, "排行榜名字 实名")
        await neighbour.expect_message("您在排行榜上显示为：刘阿姨")
        await w.neighbour.says(neighbour, "排行榜名字 一个非常非常非常非常非常非常长的名字二十一个字")
        await neighbour.expect_message("名字最多 20 个字")
        await w.neighbour.presses(w.group, board, "阳光社区")
        wider = await w.group.expect_edit("🏆 阳光社区 · 本月排行榜")
        await w.neighbour.presses(w.group, wider, "本年")
        await w.group.expect_edit("🏆 阳光社区 · 本年排行榜")

        empty = bot.private(w.grid_worker)
        await w.grid_worker.says(empty, "积分")
        mine = (await empty.expect_message("可用积分：0")).text or ""
        assert "还没有排名" in mine


async def test_crossing_a_star_threshold_is_congratulated(database_url: str) -> None:
    async with running_bot(database_url, passbook_stars="20,40", passbook_star_group_line=True) as bot:
        w = await building(bot)
        await award_by_reply(w.head, w.group, w.resident, "加分 15 扫雪")
        await w.group.expect_message("+15 分")
        await award_by_reply(w.head, w.group, w.resident, "加分 10 扫雪")
        await w.group.expect_message("+10 分")
        await w.group.expect_message("🌟 王小明 升为 ★ 志愿者")
        resident = bot.private(w.resident)
        await resident.expect_message("您获得 15 分")
        await resident.expect_message("您获得 10 分")
        await resident.expect_message("🌟 恭喜！您的终身积分达到 25 分，升为 ★ 志愿者")
        await resident.expect_nothing()


async def test_drift_check_reports_a_tampered_balance(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await award_by_reply(w.head, w.group, w.resident, "加分 10 扫雪")
        await w.group.expect_message("+10 分")
        desk = bot.private(w.staff)
        await w.staff.says(desk, "积分核对")
        await desk.expect_message("所有人的余额与流水一致")
        assert await cli.passbook_check(bot_settings(database_url)) == 0

        async with unit_of_work(bot.runtime.sessions) as session:
            pid = await person_id(bot, w.resident)
            await session.exec(update(Balance).where(col(Balance.person_id) == pid).values(spendable=99))
        await w.staff.says(desk, "/pbcheck")
        report = await desk.expect_message("1 人的余额与流水不一致")
        assert "王小明" in (report.text or "") and "可用 99，流水 10" in (report.text or "")
        capsys.readouterr()
        assert await cli.passbook_check(bot_settings(database_url)) == 1
        assert f"#{pid} 王小明: spendable 99 (ledger 10), lifetime 10 (ledger 10)" in capsys.readouterr().out
        await bot.private(w.resident).expect_message("您获得 10 分")
        await w.resident.says(bot.private(w.resident), "积分核对")
        await bot.private(w.resident).expect_message("只有社区工作人员可以核对积分")


@pytest.mark.parametrize(
    "start", [shanghai(2026, 11, 30, 23, 30), shanghai(2026, 12, 31, 23, 30)], ids=["month-end", "year-end"]
)
async def test_daily_caps_and_this_months_ranking_turn_over_at_local_midnight(
    database_url: str, start: datetime
) -> None:
    """Shanghai's midnight is 16:00 UTC: a cap or a month counted in UTC would still be yesterday's at 00:30."""
    clock = ManualClock(start)
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        await award_by_reply(w.head, w.group, w.resident, "加分 50 扫雪")
        await w.group.expect_message("👏 王小明 +50 分：扫雪")
        await award_by_reply(w.head, w.group, w.resident, "加分 5 扫雪")
        await w.group.expect_message("超过今日加分上限：您每天最多可加 50 分，今天已加 50 分")
        clock.advance(hours=1)  # 00:30 the next day, the first day of a month
        await award_by_reply(w.head, w.group, w.resident, "加分 5 扫雪")
        await w.group.expect_message("👏 王小明 +5 分：扫雪")
        await w.resident.says(w.group, "排行榜")
        board = await w.group.expect_message("🏆 1号楼 · 本月排行榜")
        assert "1. 王小明 5 分" in (board.text or "")
        await w.resident.presses(w.group, board, "总")
        assert "1. 王小明 55 分" in ((await w.group.expect_edit("🏆 1号楼 · 总排行榜")).text or "")
