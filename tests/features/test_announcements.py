"""Transcripts: staff announce to the right groups, non-staff are refused, scheduled sends survive a restart."""

from __future__ import annotations

from datetime import datetime, timedelta

from sandbox.server import LocalBotApi
from tests.features.harness import TOKEN, ManualClock, at_local_time_edges, local_day_at, running_bot
from tests.features.tickets_world import bind, building

B2 = "阳光社区/第一网格/2号楼"


async def test_staff_announces_to_the_community_and_gets_a_delivery_report(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        second = bot.group("2号楼业主群")
        await bind(bot, second, B2)
        removed = bot.group("3号楼旧群")
        await bind(bot, removed, "阳光社区/第一网格/1号楼")
        bot.api.removed_chats.add(removed.id)
        outsider = bot.group("没绑定的群")

        desk = bot.private(w.staff)
        await w.staff.says(desk, "发通知")
        choose = await desk.expect_message("选择发送范围")
        assert any("阳光社区" in label for label, _ in choose.buttons)
        await w.staff.presses(desk, choose, "阳光社区")
        choose = await desk.expect_edit("选择发送范围")
        assert "✅ 阳光社区" in [label for label, _ in choose.buttons]
        await w.staff.presses(desk, choose, "下一步")
        await desk.expect_edit("请发送通知内容")
        await w.staff.says(desk, "周六上午9点在小区广场举办小集市，欢迎大家参加！")
        preview = await desk.expect_message("将发送到 3 个群")
        await w.staff.presses(desk, preview, "立即发送")
        await desk.expect_edit("正在发送到 3 个群")

        for group in (w.group, second):
            await group.expect_message("📢 社区通知\n周六上午9点在小区广场举办小集市")
        await bot.settle()
        await outsider.expect_nothing(quiet=0.1)
        assert await bot.sweep() == 1
        report = await desk.expect_message("的送达报告：2/3 个群已送达")
        assert "3号楼旧群" in (report.text or "") and "kicked" in (report.text or "")

        await w.staff.says(desk, "发通知")
        choose = await desk.expect_message("选择发送范围")
        await w.staff.presses(desk, choose, "阳光社区")
        await w.staff.presses(desk, await desk.expect_edit("选择发送范围"), "下一步")
        await w.staff.says(desk, "第二条通知")
        await w.staff.presses(desk, await desk.expect_message("将发送到 2 个群"), "立即发送")
        await w.group.expect_message("第二条通知")
        await second.expect_message("第二条通知")
        await removed.expect_nothing(quiet=0.1)


async def test_grid_worker_can_pick_one_building_and_residents_are_refused(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        second = bot.group("2号楼业主群")
        await bind(bot, second, B2)
        desk = bot.private(w.grid_worker)
        await w.grid_worker.says(desk, "/announce")
        choose = await desk.expect_message("选择发送范围")
        assert not any("阳光社区" in label for label, _ in choose.buttons)
        await w.grid_worker.presses(desk, choose, "2号楼")
        choose = await desk.expect_edit("选择发送范围")
        assert "✅ ·· 2号楼" in [label for label, _ in choose.buttons]
        await w.grid_worker.presses(desk, choose, "下一步")
        await w.grid_worker.says(desk, "2号楼明天上午停水检修")
        await w.grid_worker.presses(desk, await desk.expect_message("将发送到 1 个群"), "立即发送")
        await second.expect_message("2号楼明天上午停水检修")
        await w.group.expect_nothing(quiet=0.1)

        resident_chat = bot.private(w.resident)
        await w.resident.says(resident_chat, "/announce")
        await resident_chat.expect_message("只有社区工作人员和网格员可以发布通知")
        await w.staff.says(w.group, "/announce")
        await w.group.expect_message("请在和我的私聊中发送")


@at_local_time_edges
async def test_a_scheduled_announcement_fires_after_a_restart(database_url: str, start: datetime) -> None:
    clock = ManualClock(start)
    async with LocalBotApi(token=TOKEN) as api:
        async with running_bot(database_url, api=api, clock=clock) as bot:
            w = await building(bot)
            desk = bot.private(w.staff)
            await w.staff.says(desk, "通知")
            await w.staff.presses(desk, await desk.expect_message("选择发送范围"), "1号楼")
            await w.staff.presses(desk, await desk.expect_edit("选择发送范围"), "下一步")
            await w.staff.says(desk, "明晚7点物业开会")
            await w.staff.presses(desk, await desk.expect_message("预览"), "定时发送")
            await desk.expect_edit("请发送发送时间")
            await w.staff.says(desk, "随便什么时候")
            await desk.expect_message("没看懂这个时间")
            await w.staff.says(desk, "2020-01-01 09:00")
            await desk.expect_message("已经过去了")
            await w.staff.says(desk, "明天上午9点")
            await desk.expect_message("已定时")
            assert await bot.sweep() == 0
            clock.now = local_day_at(start, 1, 9) - timedelta(minutes=1)
            assert await bot.sweep() == 0  # tomorrow at 9 by the local calendar, whatever hour it was typed at
        clock.now = local_day_at(start, 1, 9) + timedelta(hours=1)
        async with running_bot(database_url, api=api, clock=clock) as bot:
            assert await bot.sweep() == 1
            await w.group.expect_message("明晚7点物业开会")
            await bot.settle()
            assert await bot.sweep() == 1
            await desk.expect_message("1/1 个群已送达")
            assert await bot.sweep() == 0


async def test_a_notice_too_long_for_one_message_is_asked_again_not_cut(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        await w.staff.says(desk, "发通知")
        choose = await desk.expect_message("选择发送范围")
        await w.staff.presses(desk, choose, "阳光社区")
        await w.staff.presses(desk, await desk.expect_edit("选择发送范围"), "下一步")
        await w.staff.says(desk, "停水通知。" * 701)
        await desk.expect_message("这条通知有 3505 个字，超过了 3500 字的上限")
        await w.staff.says(desk, "", photo=True, caption="停水通知。" * 181)
        await desk.expect_message("这条通知有 905 个字，超过了 900 字的上限（纯文字最多 3500 字，带图片最多 900 字）")
        notice = "停水通知。" * 700
        await w.staff.says(desk, notice)
        await w.staff.presses(desk, await desk.expect_message("将发送到 1 个群"), "立即发送")
        shown = await w.group.expect_message("📢 社区通知")
        assert shown.text == f"📢 社区通知\n{notice}"
