"""Transcripts: /events in scope, attendance by the organiser, CSV export, moving and cancelling, monthly series."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from models.events import Occurrence
from models.people import Role
from tests.features.harness import BotUnderTest, ManualClock, at_local_time_edges, running_bot, shanghai
from tests.features.test_events import first_start, publish
from tests.features.tickets_world import building

SHANGHAI = ZoneInfo("Asia/Shanghai")
B2 = "阳光社区/第一网格/2号楼"


async def occurrence_starts(bot: BotUnderTest) -> list[Occurrence]:
    async with bot.runtime.sessions() as session:
        return list((await session.exec(select(Occurrence).order_by(col(Occurrence.id)))).all())


async def test_events_list_attendance_and_csv_export(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        desk, code = await publish(bot, w, ["义诊", "明天上午9点", "社区活动室", "10", "5"])
        card = await w.group.expect_message("🎪 义诊")
        assert "签到得 5 爱心积分" in (card.text or "")
        for someone in (w.resident, w.neighbour):
            await someone.presses(w.group, card, "报名")
            await someone.expect_answer("报名成功")

        await w.resident.says(w.group, "近期活动")
        listing = await w.group.expect_message("近期活动")
        assert "义诊 · 社区活动室 · 已报名 2 / 10" in (listing.text or "") and not listing.buttons
        resident_chat = bot.private(w.resident)
        await w.resident.says(resident_chat, "/events")
        assert not (await resident_chat.expect_message("1. ")).buttons
        outsider = bot.person("孙二楼")
        await bot.grant(outsider, Role.RESIDENT, B2)
        outsider_chat = bot.private(outsider)
        await outsider.says(outsider_chat, "有什么活动")
        await outsider_chat.expect_message("近期（30 天内）没有")

        await w.staff.says(desk, "/events")
        await w.staff.presses(desk, await desk.expect_message("义诊"), "管理 1")
        menu = await desk.expect_edit(f"签到码：{code}")
        await w.staff.presses(desk, menu, "签到名单")
        sheet = await desk.expect_edit("已报名 2 人，已签到 0 人")
        await w.staff.presses(desk, sheet, "⬜ 王小明")
        await w.staff.expect_answer("开始前 3 小时起")

        clock.now = await first_start(bot)
        await w.staff.presses(desk, sheet, "⬜ 王小明")
        await w.staff.expect_answer("已标记 王小明 到场")
        sheet = await desk.expect_edit("已签到 1 人")
        assert any("✅ 王小明" in label for label, _ in sheet.buttons)
        await resident_chat.expect_message("您获得 5 分")
        await w.resident.says(w.group, f"签到 {code}")
        await w.group.expect_message("已经签过到了")
        await w.staff.presses(desk, sheet, "✅ 王小明")
        await w.staff.expect_answer("王小明 已经签到过了")
        await resident_chat.expect_nothing()  # one award per person and occurrence, however attendance is taken

        await w.staff.presses(desk, sheet, "返回")
        await w.staff.presses(desk, await desk.expect_edit("签到码"), "导出名单")
        exported, data = await desk.expect_document(".csv")
        assert "义诊" in (exported.text or "")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows[0] == ["序号", "姓名", "报名状态", "报名时间", "签到时间"]
        by_name = {row[1]: row for row in rows[1:]}
        assert set(by_name) == {"王小明", "刘阿姨"}
        assert by_name["王小明"][2] == "已报名" and by_name["王小明"][4] and not by_name["刘阿姨"][4]


async def test_only_organisers_get_manage_buttons(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await publish(bot, w, ["扫雪", "明天早上7点", "各单元门口", "不限"])
        await w.group.expect_message("🎪 扫雪")
        head_chat = bot.private(w.head)
        await w.head.says(head_chat, "/events")
        assert not (await head_chat.expect_message("扫雪")).buttons
        grid_chat = bot.private(w.grid_worker)
        await w.grid_worker.says(grid_chat, "/events")
        assert (await grid_chat.expect_message("扫雪")).buttons  # the grid covers 1号楼, the event's scope


@at_local_time_edges
async def test_moving_one_occurrence_keeps_the_series_slot_and_cancelling_tells_everyone(
    database_url: str, start: datetime
) -> None:
    clock = ManualClock(start)
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        desk, _ = await publish(bot, w, ["周六小集市", "每周六 9:00", "小区广场", "不限"])
        card = await w.group.expect_message("🎪 周六小集市")
        await w.resident.presses(w.group, card, "报名")
        await w.group.expect_edit("已报名 1")
        slot = (await occurrence_starts(bot))[0].starts_at

        await w.staff.says(desk, "活动列表")
        await w.staff.presses(desk, await desk.expect_message("周六小集市"), "管理 1")
        await w.staff.presses(desk, await desk.expect_edit("签到码"), "改时间")
        await w.staff.presses(desk, await desk.expect_edit("只改这一次"), "只改这一次")
        await desk.expect_edit("请发送新的时间")
        await w.staff.says(desk, "下雪的时候")
        await desk.expect_message("没看懂这个时间")
        await w.staff.says(desk, "周日上午10点")
        await desk.expect_message("已修改，已通知报名的居民和 1 个群")
        await bot.private(w.resident).expect_message("活动时间变更：「周六小集市」")
        await w.group.expect_message("活动时间变更")
        moved = await w.group.expect_edit("10:00")
        assert moved.message_id == card.message_id

        clock.now = (await occurrence_starts(bot))[0].starts_at + timedelta(minutes=1)
        await bot.sweep()
        second_card = await w.group.expect_message("🎪 周六小集市")
        second = (await occurrence_starts(bot))[1]
        assert second.starts_at == slot + timedelta(weeks=1)  # the series stays on Saturdays at 9

        await w.staff.says(desk, "/events")  # the one that began a minute ago is still listed (its check-in is open)
        await w.staff.presses(desk, await desk.expect_message("周六小集市"), "管理 2")
        await w.staff.presses(desk, await desk.expect_edit("签到码"), "取消本次")
        await w.staff.presses(desk, await desk.expect_edit("确定取消"), "确认取消")
        await desk.expect_edit("已取消，已通知报名的居民和 1 个群")
        await w.group.expect_message("活动取消")
        struck = await w.group.expect_edit("❌ 已取消")
        assert struck.message_id == second_card.message_id and not struck.buttons
        stale_press = f"ev:go:{second.id}"  # a client that still shows the old keyboard
        bot.api.inject_callback(w.group.chat, w.neighbour.user, second_card.message_id, stale_press, check_button=False)
        await w.neighbour.expect_answer("已经结束或已取消")

        clock.now = second.starts_at + timedelta(minutes=1)
        await bot.sweep()
        await w.group.expect_message("🎪 周六小集市")
        await w.staff.says(desk, "/events")
        await w.staff.presses(desk, await desk.expect_message("周六小集市"), "管理 1")
        await w.staff.presses(desk, await desk.expect_edit("签到码"), "取消整个系列")
        await w.staff.presses(desk, await desk.expect_edit("确定取消整个"), "确认取消")
        await w.group.expect_message("系列活动不再举办")
        third = (await occurrence_starts(bot))[2]
        clock.now = third.starts_at + timedelta(days=1)
        await bot.sweep()
        assert len(await occurrence_starts(bot)) == 3


async def test_changing_the_place_moves_the_card_and_tells_those_going(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        desk, _ = await publish(bot, w, ["义诊", "明天上午9点", "社区活动室", "不限"])
        card = await w.group.expect_message("🎪 义诊")
        await w.neighbour.presses(w.group, card, "报名")
        await w.group.expect_edit("已报名 1")
        await w.staff.says(desk, "/events")
        await w.staff.presses(desk, await desk.expect_message("义诊"), "管理 1")
        await w.staff.presses(desk, await desk.expect_edit("签到码"), "改地点")
        await desk.expect_edit("请发送新的活动地点")
        await w.staff.says(desk, "社区卫生服务站二楼")
        await desk.expect_message("已修改")
        await bot.private(w.neighbour).expect_message("活动地点变更：「义诊」")
        await w.group.expect_message("活动地点变更")
        assert "社区卫生服务站二楼" in ((await w.group.expect_edit("社区卫生服务站二楼")).text or "")

        await w.staff.says(desk, "/events")
        await w.staff.presses(desk, await desk.expect_message("义诊"), "管理 1")
        await w.staff.presses(desk, await desk.expect_edit("签到码"), "改时间")
        await desk.expect_edit("请发送新的时间")
        await w.staff.says(desk, "取消")
        await desk.expect_message("已放弃修改")


@at_local_time_edges
async def test_monthly_event_recurs_on_the_same_day_next_month(database_url: str, start: datetime) -> None:
    clock = ManualClock(start)
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        await publish(bot, w, ["党员志愿服务日", "每月5日 9:00", "社区广场", "不限"])
        first = await w.group.expect_message("🎪 党员志愿服务日")
        assert "（每月）" in (first.text or "")
        clock.now = (await occurrence_starts(bot))[0].starts_at + timedelta(minutes=1)
        await bot.sweep()
        await w.group.expect_message("🎪 党员志愿服务日")
        one, two = (o.starts_at.astimezone(SHANGHAI) for o in await occurrence_starts(bot))
        assert (two.day, two.hour, two.minute) == (5, 9, 0)
        assert (two.year * 12 + two.month) - (one.year * 12 + one.month) == 1


async def test_an_event_moved_to_early_today_is_reminded_as_today(database_url: str) -> None:
    """Seen in the sandbox: moved to 05:00 today, the group was told 「明天 05:00」."""
    clock = ManualClock(shanghai(2026, 12, 3, 0, 30))
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        desk, _ = await publish(bot, w, ["扫雪", "明天早上7点", "各单元门口", "不限"])
        card = await w.group.expect_message("🎪 扫雪")
        await w.resident.presses(w.group, card, "报名")
        await w.group.expect_edit("已报名 1")
        await w.staff.says(desk, "/events")
        await w.staff.presses(desk, await desk.expect_message("扫雪"), "管理 1")
        await w.staff.presses(desk, await desk.expect_edit("签到码"), "改时间")
        await w.staff.says(desk, "今天早上5点")
        await desk.expect_message("已修改")
        await w.group.expect_message("活动时间变更：「扫雪」改到 12月03日 05:00")
        assert await bot.sweep() == 1
        await w.group.expect_message("⏰ 今天 05:00：「扫雪」")
        resident = bot.private(w.resident)
        await resident.expect_message("活动时间变更")
        await resident.expect_message("将于 今天 05:00 开始")
