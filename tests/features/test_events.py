"""Transcripts: publishing an event, 报名 with capacity and waiting list, reminders, weekly occurrences, check-in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select

from models.events import Occurrence
from tests.features.harness import (
    SHANGHAI,
    BotUnderTest,
    ChatView,
    ManualClock,
    at_local_time_edges,
    local_day_at,
    running_bot,
    shanghai,
)
from tests.features.test_typed_inputs import APOLOGY, HUGE
from tests.features.tickets_world import Building, building


async def publish(bot: BotUnderTest, w: Building, lines: list[str]) -> tuple[ChatView, str]:
    """Staff go through the wizard; returns the staff chat and the check-in code."""
    desk = bot.private(w.staff)
    await w.staff.says(desk, "活动")
    await desk.expect_message("请发送活动名称")
    prompts = ["活动时间", "活动地点", "名额上限", "爱心积分"]
    answers = lines if len(lines) == 5 else [*lines, "0"]
    for line, prompt in zip(answers[:4], prompts, strict=True):
        await w.staff.says(desk, line)
        if prompt == "活动地点" and not re.search(r"到|至|:\d\d\s*[-–~～]", line):
            await desk.expect_message("几点结束")
            await w.staff.says(desk, "不定")  # a start alone: the end is left open
        await desk.expect_message(prompt)
    await w.staff.says(desk, answers[4])
    choose = await desk.expect_message("在哪些群发布")
    await w.staff.presses(desk, choose, "1号楼")
    await w.staff.presses(desk, await desk.expect_edit("在哪些群发布"), "下一步")
    await w.staff.presses(desk, await desk.expect_edit("将发布到 1 个群"), "发布")
    done = await desk.expect_edit("活动已发布到 1 个群")
    code = re.search(r"签到码：(\d{4})", done.text or "")
    assert code is not None
    return desk, code.group(1)


@at_local_time_edges
async def test_capacity_waiting_list_promotion_reminders_and_check_in(database_url: str, start: datetime) -> None:
    clock = ManualClock(start)
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        _, code = await publish(bot, w, ["义诊\n社区医院医生免费量血压", "明天上午9点", "社区活动室", "2"])
        card = await w.group.expect_message("🎪 义诊")
        assert "已报名 0 / 2" in (card.text or "") and "社区活动室" in (card.text or "")

        await w.resident.presses(w.group, card, "报名")
        await w.resident.expect_answer("报名成功")
        await w.group.expect_edit("已报名 1 / 2")
        await w.neighbour.presses(w.group, card, "报名")
        await w.group.expect_edit("已报名 2 / 2")
        await w.head.presses(w.group, card, "报名")
        await w.head.expect_answer("候补第 1 位")
        await w.group.expect_edit("候补 1")
        await w.resident.presses(w.group, card, "报名")
        await w.resident.expect_answer("已经报过名")

        await w.neighbour.presses(w.group, card, "取消报名")
        await w.neighbour.expect_answer("已取消报名")
        await bot.private(w.head).expect_message("已从候补转为正式报名：义诊")
        final = await w.group.expect_edit("已报名 2 / 2")
        assert "候补" not in (final.text or "")

        starts = await first_start(bot)
        assert starts == local_day_at(start, 1, 9)
        clock.now = starts - timedelta(hours=20)  # the day before, 13:00
        assert await bot.sweep() == 1
        await bot.private(w.resident).expect_message("您报名的「义诊」将于 明天 09:00 开始")
        await bot.private(w.head).expect_message("您报名的「义诊」")
        await w.group.expect_message("⏰ 明天 09:00：「义诊」")
        assert await bot.sweep() == 0
        clock.now = starts - timedelta(minutes=30)
        assert await bot.sweep() == 1
        await w.group.expect_message("「义诊」还有 30 分钟开始（今天 09:00）")

        clock.now = starts
        await w.neighbour.says(w.group, f"签到 {code}")  # cancelled, and the places are taken
        await w.group.expect_message("名额已满，您不在报名名单上")
        await w.resident.says(w.group, f"签到 {code}")
        await w.group.expect_message("签到成功：义诊")
        await w.resident.says(w.group, f"签到 {code}")
        await w.group.expect_message("已经签过到了")
        await w.neighbour.says(w.group, "签到 0000")
        await w.group.expect_message("没有找到这个签到码")
        for code_typed in ("1²", HUGE):
            await w.neighbour.says(w.group, f"签到 {code_typed}")
            await w.group.expect_message("请发送「签到 签到码」")
        assert APOLOGY not in bot.api.sent_texts(w.group.id) and await bot.set_aside() == 0
        await w.resident.presses(w.group, card, "报名")
        await w.resident.expect_answer("已经结束")


async def first_start(bot: BotUnderTest) -> datetime:
    async with bot.runtime.sessions() as session:
        occurrence = (await session.exec(select(Occurrence).order_by(col(Occurrence.id)))).first()
    assert occurrence is not None
    return occurrence.starts_at


@at_local_time_edges
async def test_weekly_event_gets_a_new_occurrence_with_its_own_sign_ups(database_url: str, start: datetime) -> None:
    clock = ManualClock(start)
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        await publish(bot, w, ["周六小集市", "每周六 9:00", "小区广场", "不限"])
        first = await w.group.expect_message("🎪 周六小集市")
        assert "（每周）" in (first.text or "")
        await w.resident.presses(w.group, first, "报名")
        await w.group.expect_edit("已报名 1")
        clock.now = await first_start(bot) + timedelta(minutes=1)
        await bot.sweep()
        second = await w.group.expect_message("🎪 周六小集市")
        assert second.message_id != first.message_id and "已报名 0" in (second.text or "")
        await w.neighbour.presses(w.group, second, "报名")
        await w.group.expect_edit("已报名 1")
        async with bot.runtime.sessions() as session:
            starts = [o.starts_at for o in (await session.exec(select(Occurrence).order_by(col(Occurrence.id)))).all()]
        assert len(starts) == 2 and starts[1] - starts[0] == timedelta(weeks=1)


async def test_residents_cannot_publish_and_times_are_checked(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        resident = bot.private(w.resident)
        await w.resident.says(resident, "/event")
        await resident.expect_message("只有社区工作人员和网格员可以发布活动")
        desk = bot.private(w.staff)
        await w.staff.says(desk, "/event")
        await desk.expect_message("请发送活动名称")
        await w.staff.says(desk, "扫雪" * 61)
        await desk.expect_message("活动名称最多 120 个字，这次有 122 个字")
        await w.staff.says(desk, "扫雪\n" + "请带好铁锹。" * 200)
        await desk.expect_message("活动介绍最多 1000 个字，这次有 1200 个字")
        await w.staff.says(desk, "扫雪")
        await desk.expect_message("活动时间")
        await w.staff.says(desk, "下雪的时候")
        await desk.expect_message("没看懂这个时间")
        await w.staff.says(desk, "明天早上7点")
        await desk.expect_message("几点结束")
        await w.staff.says(desk, "晚些时候")
        await desk.expect_message("没看懂结束时间，或它不在开始之后")
        await w.staff.says(desk, "8点半")
        await desk.expect_message("活动地点")
        await w.staff.says(desk, "门口" * 101)
        await desk.expect_message("活动地点最多 200 个字")
        await w.staff.says(desk, "各单元门口")
        await desk.expect_message("名额上限")
        await w.staff.says(desk, "很多")
        await desk.expect_message("请发一个数字")


@pytest.mark.parametrize(
    ("start", "named"),
    [
        (shanghai(2026, 12, 3, 0, 30), "今天 03:30"),
        (shanghai(2026, 12, 2, 10, 0), "今天 13:00"),
        (shanghai(2026, 12, 2, 23, 30), "明天 02:30"),
        (shanghai(2026, 11, 30, 23, 30), "明天 02:30"),
        (shanghai(2026, 12, 31, 23, 30), "明天 02:30"),
    ],
    ids=["00:30", "10:00", "23:30", "month-end", "year-end"],
)
async def test_a_reminder_names_the_day_as_of_when_it_is_sent(database_url: str, start: datetime, named: str) -> None:
    """An event three hours ahead gets its reminder at once: 今天 or 明天 by the local calendar, never assumed."""
    clock = ManualClock(start)
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        at = (start + timedelta(hours=3)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        await publish(bot, w, ["夜间巡逻", at, "小区门口", "不限"])
        card = await w.group.expect_message("🎪 夜间巡逻")
        await w.resident.presses(w.group, card, "报名")
        await w.group.expect_edit("已报名 1")
        assert await bot.sweep() == 1
        await w.group.expect_message(f"⏰ {named}：「夜间巡逻」")
        await bot.private(w.resident).expect_message(f"将于 {named} 开始")
