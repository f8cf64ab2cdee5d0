"""Transcripts of a ticket's life as the newcomer's week showed it missing (issue 19 §4, §5): 不是问题 asks why, tells
the reporter and may be taken back; the group hears of key changes in a line answering the card."""

from __future__ import annotations

from models.people import Role
from sandbox.state import StoredMessage
from tests.features.harness import SEND_METHODS, BotUnderTest, ChatView, ManualClock, running_bot
from tests.features.test_newcomer import dispatched
from tests.features.tickets_world import B1, Building, building


def sent_texts(bot: BotUnderTest, chat: ChatView) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in bot.api.calls
        if c.method in SEND_METHODS and int(c.params.get("chat_id", 0)) == chat.id and c.ok
    ]


async def reported(w: Building, text: str = "3单元电梯坏了，好几天了") -> StoredMessage:
    await w.resident.says(w.group, text)
    return await w.group.expect_message("工单 #")


async def test_4_not_a_problem_asks_why_tells_the_reporter_and_can_be_undone(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        card = await reported(w)
        await w.head.presses(w.group, card, "不是问题")
        why = await w.group.expect_message("#1 为什么不是问题？")
        assert why.message["reply_to_message"]["message_id"] == card.message_id
        assert [label for label, _ in why.buttons] == ["不属于报修范围", "已经修好", "重复", "其他", "返回"]
        assert "待楼栋长确认" in (bot.api.message(w.group.id, card.message_id).text or "")

        await w.head.presses(w.group, why, "已经修好")
        closed = await w.group.expect_edit("#1 已关闭：已经修好。已告诉反映的邻居；5 分钟内可以撤销。")
        assert closed.message_id == why.message_id
        await w.group.expect_edit("不是问题，已关闭")
        reporter = bot.private(w.resident)
        await reporter.expect_message("您反映的问题 #1「3单元电梯坏了，好几天了」已查看，不作为工单处理：已经修好。")

        await w.resident.presses(w.group, closed, "撤销")
        await w.resident.expect_answer("您没有权限")
        await w.head.presses(w.group, closed, "撤销")
        await w.group.expect_edit("已撤销：#1 重新等待确认。")
        await reporter.expect_message("#1「3单元电梯坏了，好几天了」刚才被误关，已恢复")
        await w.group.expect_edit("待楼栋长确认")
        await w.head.presses(w.group, card, "确认")
        await w.group.expect_edit("已确认，待派单")
        await w.head.says(bot.private(w.head), "/ticket 1")
        history = (await bot.private(w.head).expect_message("处理记录")).text or ""
        assert "判定不是问题：已经修好" in history and "撤销「不是问题」" in history, history


async def test_4_a_reporter_who_never_started_the_bot_is_told_in_the_group_and_undo_has_a_time_limit(
    database_url: str,
) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        grandpa = bot.person("孙大爷", started_bot=False)
        await bot.grant(grandpa, Role.RESIDENT, B1)
        await grandpa.says(w.group, "楼道灯坏了好几天了")
        card = await w.group.expect_message("工单 #1")
        await w.head.presses(w.group, card, "不是问题")
        why = await w.group.expect_message("为什么不是问题")
        await w.head.presses(w.group, why, "重复")
        closed = await w.group.expect_edit("#1 已关闭：重复")
        told = await w.group.expect_message("孙大爷，您反映的问题 #1「楼道灯坏了好几天了」已查看，不作为工单处理：重复")
        report = bot.api.messages(w.group.id)[0]
        assert told.message["reply_to_message"]["message_id"] == report.message_id
        assert bot.api.messages(grandpa.user.id) == []

        clock.advance(minutes=6)
        await w.head.presses(w.group, closed, "撤销")
        await w.head.expect_answer("已超过 5 分钟，不能撤销了")
        final = await w.group.expect_edit("#1 已关闭：重复。")
        assert final.buttons == []
        assert "不是问题，已关闭" in (bot.api.message(w.group.id, card.message_id).text or "")


async def test_5_the_group_hears_key_changes_in_a_line_answering_the_card(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        card = await reported(w)
        volunteer, reporter = bot.private(w.volunteer), bot.private(w.resident)
        job = await dispatched(bot, w, card, w.group)
        await w.group.expect_edit("派单给 陈志愿")  # answered where it was pressed: no second line about it
        await w.volunteer.presses(volunteer, job, "已处理")
        line = await w.group.expect_message_with("🔧 #1 已处理，正在请反映的邻居确认。")
        assert line.message["reply_to_message"]["message_id"] == card.message_id
        question = await reporter.expect_message_with("修好了吗？")
        await w.resident.presses(reporter, question, "没解决")
        line = await w.group.expect_message_with("⚠️ #1 居民反馈没解决，已重新打开。")
        assert line.message["reply_to_message"]["message_id"] == card.message_id

        clock.advance(hours=30)
        await bot.sweep()  # the reminder
        await bot.sweep()  # the deadline: up to the grid
        line = await w.group.expect_message_with("⏫ 工单 #1 超时未处理，已上报网格员跟进。")
        assert line.message["reply_to_message"]["message_id"] == card.message_id


async def test_5_a_busy_group_gets_no_more_lines_than_its_budget(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        card = await reported(w)
        volunteer, reporter = bot.private(w.volunteer), bot.private(w.resident)
        job = await dispatched(bot, w, card, w.group)
        for _ in range(2):  # assign, resolve, reopen, resolve, reopen: five key changes within a minute
            await w.volunteer.presses(volunteer, job, "已处理")
            question = await reporter.expect_message_with("修好了吗？")
            await w.resident.presses(reporter, question, "没解决")
            job = await volunteer.expect_message_with("没解决，已重新打开")
        await bot.settle()
        lines = [t for t in sent_texts(bot, w.group) if t.startswith(("🔧", "⚠️"))]
        resolved, reopened = "🔧 #1 已处理，正在请反映的邻居确认。", "⚠️ #1 居民反馈没解决，已重新打开。"
        assert lines == [resolved, reopened, resolved], lines  # the dispatch counts too: the fifth change gets none
        assert "居民反馈没解决" in (bot.api.message(w.group.id, card.message_id).text or "")

        clock.advance(minutes=2)
        await w.volunteer.presses(volunteer, job, "已处理")
        await w.group.expect_message_with("🔧 #1 已处理")


async def test_5_a_dispute_gets_no_progress_line(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "楼上天天半夜吵，吵死了")
        await w.group.expect_message("已收到一起邻里纠纷反映")
        head = bot.private(w.head)
        job = await dispatched(bot, w, await head.expect_message("邻里纠纷 #1"), head)
        await w.volunteer.presses(bot.private(w.volunteer), job, "已处理")
        question = await bot.private(w.resident).expect_message_with("问题解决了吗？")
        await w.resident.presses(bot.private(w.resident), question, "没解决")
        await bot.private(w.resident).expect_edit("已重新打开 #1")
        await bot.settle()
        assert len(sent_texts(bot, w.group)) == 1, sent_texts(bot, w.group)  # only the notice it was received


async def sent_now(w: Building, desk: ChatView, text: str) -> None:
    """The staff member composes a notice to the whole community and sends it now."""
    await w.staff.says(desk, "发通知")
    await w.staff.presses(desk, await desk.expect_message("选择发送范围"), "阳光社区")
    await w.staff.presses(desk, await desk.expect_edit("选择发送范围"), "下一步")
    await desk.expect_edit("请发送通知内容")
    await w.staff.says(desk, text)
    await w.staff.presses(desk, await desk.expect_message("将发送到"), "立即发送")
    await desk.expect_edit("正在发送到")


async def test_11_a_delivery_report_waits_for_the_wizard_in_progress_and_names_its_notice(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        await sent_now(w, desk, "明天上午9点到12点停水，请提前储水")
        await w.group.expect_message("停水")
        await w.staff.says(desk, "发通知")  # a second notice: its wizard waits for the scope, then the text
        await w.staff.presses(desk, await desk.expect_message("选择发送范围"), "阳光社区")
        await w.staff.presses(desk, await desk.expect_edit("选择发送范围"), "下一步")
        await desk.expect_edit("请发送通知内容")
        await bot.settle()
        await bot.sweep()
        await desk.expect_nothing()  # not between the wizard's questions

        await w.staff.says(desk, "周六义诊，欢迎参加")
        preview = await desk.expect_message("将发送到")
        await bot.sweep()
        await desk.expect_nothing()
        await w.staff.presses(desk, preview, "立即发送")
        await desk.expect_edit("正在发送到")
        await bot.settle()
        await bot.sweep()
        first = await desk.expect_message("📬 通知 #1「明天上午9点到12点停水，请提前储水」的送达报告：1/1 个群已送达。")
        second = await desk.expect_message("📬 通知 #2「周六义诊，欢迎参加」的送达报告")
        assert first.message_id < second.message_id


async def test_11_a_report_held_for_a_wizard_left_open_goes_after_half_an_hour(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        await sent_now(w, desk, "明天停水")
        await w.staff.says(desk, "发通知")
        await desk.expect_message("选择发送范围")
        await bot.settle()
        await bot.sweep()
        await desk.expect_nothing()
        clock.advance(minutes=31)
        await bot.sweep()
        await desk.expect_message("📬 通知 #1「明天停水」的送达报告")


async def test_11_a_delivery_report_waits_for_the_event_wizard_too(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        await sent_now(w, desk, "明天停水")
        await w.group.expect_message("停水")
        await w.staff.says(desk, "活动")
        await desk.expect_message("请发送活动名称")
        await bot.settle()
        await bot.sweep()
        await desk.expect_nothing()  # the event wizard waits for the title: the report waits with it
        for answer, next_question in (
            ("义诊", "活动时间"),
            ("明天上午9点到11点", "活动地点"),
            ("社区活动室", "名额上限"),
            ("10", "爱心积分"),
            ("0", "在哪些群发布"),
        ):
            await w.staff.says(desk, answer)
            asked = await desk.expect_message(next_question)
        await w.staff.presses(desk, asked, "1号楼")
        await w.staff.presses(desk, await desk.expect_edit("在哪些群发布"), "下一步")
        await w.staff.presses(desk, await desk.expect_edit("将发布到 1 个群"), "发布")
        await desk.expect_edit("活动已发布到 1 个群")
        await bot.settle()
        await bot.sweep()
        await desk.expect_message("📬 通知 #1「明天停水」的送达报告")
