"""Transcripts of requests: intake, confirmation with permissions, dispatch, 回访 with reopen, privacy, timers."""

from __future__ import annotations

from sandbox.server import LocalBotApi
from tests.features.harness import TOKEN, ManualClock, running_bot
from tests.features.tickets_world import building


async def test_a_broken_lift_becomes_a_ticket_that_is_fixed_reopened_and_verified(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "3单元电梯又坏了，好几天了！")
        card = await w.group.expect_message("📋 工单 #1 · 报修")
        assert "1号楼 · 3单元" in (card.text or "") and "待楼栋长确认" in (card.text or "")
        assert [label for label, _ in card.buttons] == ["✅ 确认", "不是问题", "合并"]
        assert card.message.get("reply_to_message") is not None

        await w.neighbour.presses(w.group, card, "确认")
        await w.neighbour.expect_answer("没有权限")
        await w.head.presses(w.group, card, "确认")
        assert "已确认" in ((await w.group.expect_edit("已确认，待派单")).text or "")

        await w.head.presses(w.group, card, "派单")
        chooser = await w.group.expect_message("#1 派给谁处理？")
        assert "陈志愿" in [label for label, _ in chooser.buttons]
        await w.head.presses(w.group, chooser, "陈志愿")
        assigned = bot.private(w.volunteer)
        job = await assigned.expect_message("您有新的派单：工单 #1")
        await w.group.expect_edit("已派单给 陈志愿")

        await w.resident.presses(assigned, job, "开始处理")
        await w.resident.expect_answer("只有被派单的人")
        await w.volunteer.presses(assigned, job, "开始处理")
        await w.group.expect_edit("陈志愿 处理中")
        await w.volunteer.says(assigned, "", photo=True, caption="换了新的控制板")
        await assigned.expect_message("已把照片附到工单 #1")
        await w.group.expect_edit("📷 1 张照片")
        await w.volunteer.presses(assigned, job, "已处理")
        reporter = bot.private(w.resident)
        await reporter.expect_message("您获得 2 分：报告问题 #1 已确认")  # the passbook's confirmed-report award
        question = await reporter.expect_message("修好了吗？")
        await assigned.expect_message("您获得 10 分：完成工单 #1（报修）")  # the volunteer's award, given once
        await w.group.expect_edit("已处理，等待居民确认")

        await w.resident.presses(reporter, question, "没解决")
        await reporter.expect_edit("已重新打开 #1")
        job = await assigned.expect_message("没解决，已重新打开")
        await bot.private(w.head).expect_message("没解决，已重新打开")
        await w.group.expect_edit("居民反馈没解决")

        await w.volunteer.presses(assigned, job, "已处理")
        question = await reporter.expect_message("修好了吗？")
        await w.resident.presses(reporter, question, "已解决")
        rating = await reporter.expect_edit("请为这次处理打分")
        await w.resident.presses(reporter, rating, "★★★★★")
        await reporter.expect_edit("谢谢您的评价")
        final = await w.group.expect_edit("★★★★★")
        assert "✅ 已解决" in (final.text or "") and final.buttons == []

        await w.resident.says(reporter, "/ticket 1")
        history = (await reporter.expect_message("处理记录")).text or ""
        for step in ("登记", "确认", "派单", "开始处理", "附上照片", "处理完成", "反馈没解决", "确认已解决", "评分"):
            assert step in history, step


async def test_the_place_shows_on_the_card_the_job_and_the_ticket_command(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "1号楼2单元501天花板漏水了，滴个不停")
        card = await w.group.expect_message("📋 工单 #1 · 报修")
        assert "📍 阳光社区 · 第一网格 · 1号楼 · 2单元501\n" in (card.text or "")  # 1号楼 is this building: once
        await w.head.presses(w.group, card, "确认")
        await w.group.expect_edit("已确认")
        await w.head.presses(w.group, card, "派单")
        await w.head.presses(w.group, await w.group.expect_message("派给谁"), "陈志愿")
        job = await bot.private(w.volunteer).expect_message("您有新的派单：工单 #1")
        assert "📍 阳光社区 · 第一网格 · 1号楼 · 2单元501" in (job.text or "")
        await w.head.says(bot.private(w.head), "/ticket 1")
        detail = await bot.private(w.head).expect_message("处理记录")
        assert "📍 阳光社区 · 第一网格 · 1号楼 · 2单元501" in (detail.text or "")


async def test_a_plus_one_or_a_merged_report_that_names_the_place_fills_it_in(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "电梯坏了，好几天了")
        card = await w.group.expect_message("📋 工单 #1")
        assert "📍 阳光社区 · 第一网格 · 1号楼\n" in (card.text or "")
        await w.neighbour.says(w.group, "3单元电梯又坏了，还是不能用")
        same = await w.group.expect_message("是同一个问题吗？")
        await w.neighbour.presses(w.group, same, "+1")
        assert "📍 阳光社区 · 第一网格 · 1号楼 · 3单元\n" in ((await w.group.expect_edit("另有 1 位邻居")).text or "")
        await w.resident.says(w.group, "东门那台电梯坏了")  # the reporter's own +1 is not counted; a place is kept
        same = await w.group.expect_message("是同一个问题吗？")
        await w.resident.presses(w.group, same, "+1")
        await w.group.expect_edit("已经")
        await w.resident.says(w.group, "/ticket 1")
        assert "1号楼 · 3单元\n" in ((await w.group.expect_message("处理记录")).text or "")

        await w.resident.says(w.group, "报修 楼道灯不亮了")
        second = await w.group.expect_message("📋 工单 #2")
        await w.neighbour.says(w.group, "报修 地库的灯不亮了")
        third = await w.group.expect_message("📋 工单 #3")
        await w.head.presses(w.group, third, "合并")
        await w.head.presses(w.group, await w.group.expect_message("合并到哪个工单"), "#2")
        await w.group.expect_edit("已合并到 #2")
        merged = await w.group.expect_edit("另有 1 位邻居")
        assert merged.message_id == second.message_id and "1号楼 · 地库\n" in (merged.text or "")


async def test_chatter_is_left_alone_and_unsure_messages_get_a_question(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        for line in ("今天天气真好", "电梯修好了，谢谢物业", "明天停水吗？", "收到"):
            await w.resident.says(w.group, line)
        await w.group.expect_nothing()
        await w.resident.says(w.group, "电梯有点异响")
        ask = await w.group.expect_message("需要帮您登记报修吗？")
        await w.neighbour.presses(w.group, ask, "是")
        await w.neighbour.expect_answer("请本人选择")
        await w.resident.presses(w.group, ask, "是")
        await w.group.expect_edit("好的，帮您登记")
        await w.group.expect_message("📋 工单 #1 · 报修")
        await w.resident.says(w.group, "电梯按钮不太灵敏")  # 不灵 alone is a fault (rules 2.0.0): a ticket, no question
        ask = await w.group.expect_message("需要帮您登记")
        await w.resident.presses(w.group, ask, "否")
        await w.group.expect_edit("好的，不登记")


async def test_forwarded_and_edited_messages_and_unbound_groups_open_nothing(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        sent = await w.resident.says(w.group, "大家好")
        bot.api.inject_edited_message(
            w.group.chat, w.resident.user, sent["message"]["message_id"], "3单元电梯坏了，好几天了"
        )
        await w.resident.says(w.group, "3单元电梯坏了，好几天了", forward_from=w.neighbour.user)
        other = bot.group("没绑定的群")
        await w.resident.says(other, "3单元电梯坏了，好几天了")
        await w.group.expect_nothing()
        await other.expect_nothing()


async def test_explicit_reports_photos_and_private_reports(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "报修：1单元门口的路有个坑")
        await w.group.expect_message("📋 工单 #1 · 报修")
        await w.resident.says(w.group, "", photo=True, caption="随手拍 楼道里的垃圾好几天没人清，臭死了")
        photo_card = await w.group.expect_message("📋 工单 #2 · 环境卫生")
        assert photo_card.message.get("photo") and "📷 1 张照片" in (photo_card.text or "")
        await w.resident.says(w.group, "报修")
        await w.group.expect_message("请在「报修」后面写上问题")
        private = bot.private(w.neighbour)
        await w.neighbour.says(private, "/report 2单元水管漏水了")
        await private.expect_message("已登记工单 #3")
        await w.group.expect_message("📋 工单 #3 · 报修")
        stranger = bot.person("路人甲")
        stranger_chat = bot.private(stranger)
        await stranger.says(stranger_chat, "报修 电梯坏了")
        await stranger_chat.expect_message("您还没有登记所在楼栋")


async def test_reject_merge_and_plus_one(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "3单元电梯坏了，好几天了")
        first = await w.group.expect_message("工单 #1")
        await w.neighbour.says(w.group, "电梯又坏了，还是不能用")
        same = await w.group.expect_message("是同一个问题吗？")
        await w.neighbour.presses(w.group, same, "+1")
        await w.group.expect_edit("共 2 位邻居")
        await w.group.expect_edit("另有 1 位邻居")

        await w.resident.says(w.group, "报修 楼道灯不亮了")
        second = await w.group.expect_message("工单 #2")
        await w.head.presses(w.group, second, "不是问题")
        await w.head.presses(w.group, await w.group.expect_message("为什么不是问题"), "已经修好")
        await w.group.expect_edit("不是问题，已关闭")

        await w.neighbour.says(w.group, "报修 3单元电梯又停了")
        same = await w.group.expect_message("是同一个问题吗？")
        await w.neighbour.presses(w.group, same, "另报新问题")
        await w.group.expect_edit("好的，帮您登记")
        third = await w.group.expect_message("工单 #3")
        await w.head.presses(w.group, third, "合并")
        choose = await w.group.expect_message("合并到哪个工单")
        await w.head.presses(w.group, choose, "#1")
        await w.group.expect_edit("已合并到 #1")
        assert first.message_id != third.message_id


async def test_a_dispute_stays_private(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "楼上天天半夜吵，吵死了")
        public = await w.group.expect_message("已收到一起邻里纠纷反映")
        assert "半夜" not in (public.text or "") and "王小明" not in (public.text or "") and public.buttons == []
        for handler in (w.head, w.grid_worker, w.staff):
            card = await bot.private(handler).expect_message("邻里纠纷 #1（仅处理人可见）")
            assert "半夜" in (card.text or "") and "王小明" in (card.text or "")
        assert "半夜" not in "\n".join(bot.api.sent_texts(w.group.id))


async def test_reminder_then_two_tier_escalation_across_a_restart(database_url: str) -> None:
    clock = ManualClock()
    async with LocalBotApi(token=TOKEN) as api:
        async with running_bot(database_url, api=api, clock=clock) as bot:
            w = await building(bot)
            await w.resident.says(w.group, "3单元电梯坏了，好几天了")
            await w.group.expect_message("工单 #1")
            clock.advance(minutes=89)
            assert await bot.sweep() == 0
            clock.advance(minutes=2)
            assert await bot.sweep() == 1
            reminder = await bot.private(w.head).expect_message("将在 29 分钟后超时")
            assert "📍 阳光社区 · 第一网格 · 1号楼 · 3单元" in (reminder.text or "")
        async with running_bot(database_url, api=api, clock=clock) as bot:
            clock.advance(hours=1)
            assert await bot.sweep() == 1
            await w.group.expect_message("已上报网格员跟进")
            escalated = await bot.private(w.grid_worker).expect_message("网格上报：工单 #1")
            assert "📍 阳光社区 · 第一网格 · 1号楼 · 3单元" in (escalated.text or "")
            await w.group.expect_edit("（已上报网格）")
            clock.advance(hours=1, minutes=31)
            assert await bot.sweep() == 1
            await bot.private(w.grid_worker).expect_message("将在")
            clock.advance(minutes=30)
            assert await bot.sweep() == 1
            await w.group.expect_message("已上报社区（吹哨报到）")
            await bot.private(w.staff).expect_message("吹哨：工单 #1")
            assert await bot.sweep() == 0


async def test_no_answer_to_the_revisit_closes_it_after_48_hours(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "3单元电梯坏了，好几天了")
        card = await w.group.expect_message("工单 #1")
        await w.head.presses(w.group, card, "确认")
        await w.group.expect_edit("已确认")
        await w.head.presses(w.group, card, "派单")
        await w.head.presses(w.group, await w.group.expect_message("派给谁"), "陈志愿")
        job = await bot.private(w.volunteer).expect_message("新的派单")
        await w.volunteer.presses(bot.private(w.volunteer), job, "已处理")
        await bot.private(w.resident).expect_message("您获得 2 分")
        await bot.private(w.resident).expect_message("修好了吗？")
        await bot.settle()
        clock.advance(hours=47)
        assert await bot.sweep() == 0
        clock.advance(hours=2)
        assert await bot.sweep() == 1
        await bot.private(w.resident).expect_message("已自动确认解决")
        await w.group.expect_edit("✅ 已解决")


async def test_tickets_lists_are_scoped(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        problems = [
            "电梯坏了",
            "楼道灯不亮",
            "水管漏水",
            "单元门锁坏了",
            "垃圾没人清运",
            "下水道堵了",
            "楼顶渗水",
            "消防栓被撞坏了",
            "对讲机坏了",
            "化粪池冒了",
        ]
        for n, problem in enumerate(problems):
            await w.resident.says(w.group, f"报修 {n + 1}单元{problem}")
            await w.group.expect_message(f"工单 #{n + 1}")
        await w.neighbour.says(w.group, "报修 车棚的充电桩坏了")
        await w.group.expect_message("工单 #11")
        mine = bot.private(w.neighbour)
        await w.neighbour.says(mine, "我的报修")
        listing = await mine.expect_message("我的报修（共 1 条）")
        assert "#11" in (listing.text or "") and "#1 " not in (listing.text or "")
        head = bot.private(w.head)
        await w.head.says(head, "/tickets")
        page = await head.expect_message("未结工单（共 11 条）")
        assert "#11" in (page.text or "") and [label for label, _ in page.buttons] == ["下一页 ▶"]
        await w.head.presses(head, page, "下一页")
        await head.expect_edit("#1 ")
        await w.neighbour.says(mine, "/ticket 3")
        await mine.expect_message("没有找到工单 #3")
