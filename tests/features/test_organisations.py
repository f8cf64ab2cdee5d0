"""Transcripts of organisations: imported with routing, a lift report routed to the lift contractor's member who
accepts, works and resolves it; permissions; 退单 → another organisation by phone; 挂账 across a restart."""

from __future__ import annotations

from datetime import timedelta

from bot.db import unit_of_work
from models.organisations import SurveyAnswer
from models.people import Role
from models.tickets import Ticket
from sandbox.server import LocalBotApi
from sandbox.state import StoredMessage
from tests.features.harness import TOKEN, BotUnderTest, ChatView, ManualClock, Participant, running_bot
from tests.features.orgs_world import asked_for_a_hold, confirmed, dispatched, join, org_world
from tests.features.test_reach import start_payload
from tests.features.test_typed_inputs import APOLOGY, HUGE
from tests.features.tickets_world import COMMUNITY


async def test_a_lift_report_goes_to_the_lift_contractor_whose_member_accepts_works_and_resolves_it(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await org_world(bot)
        await w.staff.says(bot.private(w.staff), "/org")
        listing = (await bot.private(w.staff).expect_message("阳光社区的单位")).text or ""
        assert "迅达电梯维保（维保单位）☎ 400-800-1234" in listing and "成员 1 人" in listing

        card = await confirmed(w, "3单元电梯又坏了", "建议派给：迅达电梯维保（☎ 400-800-1234）")
        assert [label for label, _ in card.buttons][-2:] == ["🏢 派单给 迅达电梯维保", "选择其他单位"]

        await w.keeper.says(bot.private(w.keeper), "/ticket 1")
        await bot.private(w.keeper).expect_message("没有找到工单 #1")  # another organisation's member sees nothing

        await w.resident.presses(w.group, card, "派单给 迅达电梯维保")
        await w.resident.expect_answer("没有权限")
        await w.head.presses(w.group, card, "派单给 迅达电梯维保")
        job = await bot.private(w.lift).expect_message("迅达电梯维保 新派单：工单 #1")
        assert [label for label, _ in job.buttons] == ["✅ 接单", "↩️ 退单", "🔀 转单"]
        assert "📍 阳光社区 · 第一网格 · 1号楼 · 3单元\n" in (job.text or "")  # the place the card shows
        card = await w.group.expect_edit("已派单给 迅达电梯维保")
        assert "已派给 迅达电梯维保，待接单" in (card.text or "")

        await w.keeper.presses(bot.private(w.lift), job, "接单")  # nobody else can act as them
        await w.keeper.expect_answer("只有被派单单位的成员")
        await w.lift.presses(bot.private(w.lift), job, "接单")
        await bot.private(w.lift).expect_edit("已接单 #1")
        work = await bot.private(w.lift).expect_message("您有新的派单：工单 #1")
        await w.group.expect_edit("🏢 负责单位：迅达电梯维保")
        await w.lift.presses(bot.private(w.lift), work, "开始处理")
        await w.group.expect_edit("孙师傅 处理中")
        await w.lift.presses(bot.private(w.lift), work, "已处理")
        await bot.private(w.resident).expect_message("您获得 2 分")  # the passbook's confirmed-report award
        await bot.private(w.resident).expect_message("修好了吗？")
        await w.group.expect_edit("已处理，等待居民确认")

        await w.lift.says(bot.private(w.lift), "/ticket 1")
        history = (await bot.private(w.lift).expect_message("处理记录")).text or ""
        for step in ("建议派单（迅达电梯维保）", "派单给单位（迅达电梯维保）", "孙师傅 接单", "处理完成"):
            assert step in history, step


async def test_an_organisation_member_sees_only_its_own_tickets(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await org_world(bot)
        await dispatched(bot, w, "3单元楼道水管漏水了", "阳光物业", w.keeper)
        await w.keeper.says(bot.private(w.keeper), "单位工单")
        assert "#1 报修" in ((await bot.private(w.keeper).expect_message("阳光物业的工单")).text or "")
        await w.lift.says(bot.private(w.lift), "单位工单")
        await bot.private(w.lift).expect_message("本单位暂时没有工单")
        await w.lift.says(bot.private(w.lift), "/ticket 1")
        await bot.private(w.lift).expect_message("没有找到工单 #1")
        await bot.private(w.resident).expect_message("您获得 2 分")
        await w.resident.says(bot.private(w.resident), "单位工单")
        await bot.private(w.resident).expect_message("只有单位成员")
        await w.lift.says(bot.private(w.lift), "/org")
        await bot.private(w.lift).expect_message("只有社区工作人员")


async def test_a_handed_back_ticket_is_dispatched_again_by_phone_to_an_organisation_with_nobody_in_chat(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await org_world(bot)
        job = await dispatched(bot, w, "3单元楼道水管漏水了", "阳光物业", w.keeper)
        await w.keeper.presses(bot.private(w.keeper), job, "退单")
        await bot.private(w.keeper).expect_message("请回复退单原因")
        await w.keeper.says(bot.private(w.keeper), "这是市政供水管，不归物业")
        await bot.private(w.keeper).expect_message("已退回工单 #1")
        told = await bot.private(w.grid_worker).expect_message("阳光物业 退回了工单 #1：这是市政供水管，不归物业")
        assert "重新派单" in (told.text or "")
        card = await w.group.expect_edit("阳光物业 退单：这是市政供水管，不归物业")
        assert "已确认，待派单" in (card.text or "")

        await w.grid_worker.presses(w.group, card, "派给单位")
        chooser = await w.group.expect_edit("#1 派给哪个单位？")
        assert "☎ 供电公司" in [label for label, _ in chooser.buttons]
        await w.grid_worker.presses(w.group, chooser, "☎ 供电公司")
        await bot.private(w.grid_worker).expect_message("您有新的派单：工单 #1")
        card = await w.group.expect_edit("☎ 已电话通知 供电公司（95598）")
        await w.grid_worker.says(bot.private(w.grid_worker), "/ticket 1")
        history = (await bot.private(w.grid_worker).expect_message("处理记录")).text or ""
        assert "退单（阳光物业：这是市政供水管，不归物业）" in history
        assert "已电话通知（供电公司 95598）" in history


async def test_a_power_report_names_the_duty_phone_when_the_organisation_has_nobody_in_chat(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await org_world(bot)
        card = await confirmed(w, "3单元楼道停电了", "供电公司 暂无成员在群里，请致电 95598")
        told = await bot.private(w.grid_worker).expect_message("应由「供电公司」处理")
        assert "请致电 95598" in (told.text or "")
        await w.grid_worker.presses(w.group, card, "已电话通知 供电公司")
        await bot.private(w.grid_worker).expect_message("您有新的派单：工单 #1")
        await w.group.expect_edit("已派单给 赵网格")


async def test_a_hold_pauses_the_deadline_across_a_restart_and_resumes_it(database_url: str) -> None:
    clock = ManualClock()
    async with LocalBotApi(token=TOKEN) as api:
        async with running_bot(database_url, api=api, clock=clock) as bot:
            w = await org_world(bot)
            job = await dispatched(bot, w, "3单元电梯又坏了", "迅达电梯维保", w.lift)
            await asked_for_a_hold(bot, w, job)
            await w.lift.says(bot.private(w.lift), "等电梯配件 下个月")
            await bot.private(w.lift).expect_message("没看懂预计日期")
            await w.lift.says(bot.private(w.lift), "等电梯配件 12月10日")
            await bot.private(w.lift).expect_message("已提交挂账申请（#1）")
            await bot.private(w.grid_worker).expect_message("迅达电梯维保 申请挂账工单 #1：等电梯配件，预计 12月10日")
            card = await w.group.expect_edit("申请挂账：等电梯配件")
            await w.lift.presses(w.group, card, "批准挂账")
            await w.lift.expect_answer("没有权限")
            await w.grid_worker.presses(w.group, card, "批准挂账")
            await bot.private(w.lift).expect_message("挂账已批准，计时暂停到 12月10日")
            card = await w.group.expect_edit("⏸ 挂账中：等电梯配件，预计 12月10日（计时暂停）")
            async with unit_of_work(bot.runtime.sessions) as session:
                ticket = await session.get(Ticket, 1)
                assert ticket is not None and ticket.next_timer_at is None
                due_before = ticket.due_at
        async with running_bot(database_url, api=api, clock=clock) as bot:
            clock.advance(days=3)
            assert await bot.sweep() == 0  # paused: no reminder, no escalation
            await w.grid_worker.presses(w.group, card, "恢复处理")
            await bot.private(w.lift).expect_message("工单 #1 已恢复处理")
            await bot.settle()
            resumed = bot.api.message(w.group.id, card.message_id).text or ""
            assert "🏢 负责单位：迅达电梯维保" in resumed and "挂账" not in resumed
            async with unit_of_work(bot.runtime.sessions) as session:
                ticket = await session.get(Ticket, 1)
                assert ticket is not None and ticket.due_at is not None and due_before is not None
                assert ticket.due_at - due_before == timedelta(days=3)  # later by exactly the pause
                assert ticket.next_timer_at is not None


async def test_an_urgent_report_goes_straight_to_the_duty_member_phone_and_grid_worker(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await org_world(bot)
        await w.resident.says(w.group, "3单元电梯又坏了，困人了！")
        card = (await w.group.expect_message("📋 工单 #1 · 报修")).text or ""
        assert "已派单给 迅达电梯维保" in card and "无需楼栋长确认" in card  # no confirmation step
        job = await bot.private(w.lift).expect_message("🚨 紧急！🏢 迅达电梯维保 新派单：工单 #1")
        told = await bot.private(w.grid_worker).expect_message("🚨 紧急工单 #1 · 报修")
        assert "🏢 已直接派给「迅达电梯维保」的值班人员；请同时致电 400-800-1234。" in (told.text or "")
        await w.lift.presses(bot.private(w.lift), job, "接单")
        await bot.private(w.lift).expect_message("您有新的派单：工单 #1")
        await w.lift.says(bot.private(w.lift), "/ticket 1")
        history = (await bot.private(w.lift).expect_message("处理记录")).text or ""
        assert "紧急，免确认" in history and "紧急直派（迅达电梯维保 400-800-1234）" in history
        assert " 确认\n" not in history + "\n"


async def test_a_lift_with_people_trapped_reaches_grid_worker_staff_and_contractor_without_a_confirm(
    database_url: str,
) -> None:
    """电梯困人: the card says no confirmation is needed and shows the emergency numbers; the grid worker and staff
    are told at once with the place, and a staff member who never started the bot is named in the group with the
    link that brings the message."""
    async with running_bot(database_url) as bot:
        w = await org_world(bot)
        newcomer = bot.person("钱社工", started_bot=False)
        await bot.grant(newcomer, Role.STAFF, COMMUNITY)
        await w.resident.says(w.group, "1单元电梯困人了，快来人！")
        posted = await w.group.expect_message("📋 工单 #1 · 报修")
        card = posted.text or ""
        assert "🚨 紧急：无需楼栋长确认" in card and "☎ 紧急电话：119 火警 · 120 急救 · 110 报警" in card
        assert not any("确认" in label for label, _ in posted.buttons)
        await bot.private(w.lift).expect_message("🚨 紧急！🏢 迅达电梯维保 新派单：工单 #1")
        for person in (w.grid_worker, w.staff):
            told = (await bot.private(person).expect_message("🚨 紧急工单 #1 · 报修（无需楼栋长确认")).text or ""
            assert "📍 阳光社区 · 第一网格 · 1号楼 · 1单元" in told and "119 火警" in told
        knock = await w.group.expect_message("钱社工，有一条给您的消息")
        private = bot.private(newcomer)
        await newcomer.says(private, f"/start {start_payload(knock)}")
        await private.expect_message("🚨 紧急工单 #1 · 报修（无需楼栋长确认")
        await bot.private(w.head).expect_nothing()


async def test_a_whistle_past_the_community_needs_the_street_office_to_report_in_and_reminds_when_it_does_not(
    database_url: str,
) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await org_world(bot)
        street = bot.person("吴街道")
        await join(bot, w.staff, street, "幸福街道")
        await w.resident.says(w.group, "3单元门口垃圾堆了好几天没人清理")
        await w.group.expect_message("工单 #1 · 环境卫生")
        for minutes in (91, 60, 91, 30):  # reminder, 网格, reminder, 社区
            clock.advance(minutes=minutes)
            assert await bot.sweep() == 1
        await w.group.expect_message("已上报网格员跟进")
        await w.group.expect_message("已上报社区（吹哨报到）")
        call = await bot.private(street).expect_message("📣 吹哨报到：工单 #1 · 环境卫生")
        assert "请「幸福街道」在 12月02日 16:32 前点「报到」" in (call.text or "")
        await w.group.expect_edit("📣 已吹哨：幸福街道 待报到（12月02日 16:32 前）")

        clock.advance(hours=2, minutes=1)
        assert await bot.sweep() >= 1
        reminder = await bot.private(street).expect_message("吹哨报到已超时")
        await bot.private(w.staff).expect_message("📣 吹哨：工单 #1")  # the community's own whistle, earlier
        await bot.private(w.staff).expect_message("将在 1 分钟后超时")  # and its own reminder at 社区
        await bot.private(w.staff).expect_message("⚠️ 超时未报到：「幸福街道」仍未对工单 #1 报到（☎ 0351-7000000）")
        card = await w.group.expect_edit("⚠️ 幸福街道 超时未报到")

        await w.resident.presses(w.group, card, "督办")
        await w.resident.expect_answer("只有社区工作人员和街道可以督办")
        await w.lift.presses(bot.private(street), reminder, "报到")
        await w.lift.expect_answer("只有被派单单位的成员")
        await street.presses(bot.private(street), reminder, "报到")
        await bot.private(w.staff).expect_message("📣 幸福街道 已报到（工单 #1，吴街道）")
        await w.group.expect_edit("📣 幸福街道 已报到")
        await street.presses(bot.private(street), reminder, "督办")
        texts = [(await bot.private(w.grid_worker).expect_message()).text or "" for _ in range(3)]
        assert texts[0].startswith("⏫ 网格上报") and "将在" in texts[1]  # what the grid worker had before
        assert texts[2].startswith("🔔 督办：工单 #1（环境卫生）") and "督办人：吴街道" in texts[2]
        await street.says(bot.private(street), "/ticket 1")
        history = (await bot.private(street).expect_message("处理记录")).text or ""
        for step in ("吹哨报到（幸福街道）", "吴街道 报到（幸福街道）", "吴街道 督办（吴街道）"):
            assert step in history, step


async def answer_survey(
    bot: BotUnderTest, who: Participant, group: ChatView, post: StoredMessage, scores: list[int]
) -> None:
    await who.presses(group, post, "开始评价")
    await who.expect_answer("题目已私信")
    private = bot.private(who)
    message = await private.expect_message("第 1/10 项：总体满意度")
    for n, value in enumerate(scores, start=1):
        await who.presses(private, message, str(value))
        message = await private.expect_edit("谢谢您对「阳光物业」的评价" if n == 10 else f"第 {n + 1}/10 项")


async def test_the_satisfaction_survey_takes_one_anonymous_answer_per_person_and_makes_the_monthly_score(
    database_url: str,
) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await org_world(bot)
        office = bot.private(w.staff)
        await w.staff.says(office, "/survey 阳光物业 12月10日")
        await office.expect_message("已在 1 个群发起「阳光物业」的满意度调查")
        post = await w.group.expect_message("📊 物业满意度调查：阳光物业（2026-12）")
        assert "12月10日 23:59 截止" in (post.text or "")
        await answer_survey(bot, w.resident, w.group, post, [5, 5, 5, 5, 5, 5, 5, 5, 5, 3])
        await w.resident.presses(w.group, post, "开始评价")
        await w.resident.expect_answer("您已经参与过这次调查了")
        await answer_survey(bot, w.neighbour, w.group, post, [4] * 10)
        assert "person_id" not in SurveyAnswer.__table__.columns  # type: ignore[attr-defined]

        clock.advance(days=7, hours=14)
        assert await bot.sweep() == 1
        await w.group.expect_message("已有 2 位邻居参与")
        clock.advance(days=1)
        assert await bot.sweep() == 1
        await office.expect_message("「阳光物业」2026-12 满意度调查已结束：共 2 份，满意度 88.0 分")
        await w.neighbour.presses(w.group, post, "开始评价")
        await w.neighbour.expect_answer("这次调查已经结束了")

        for month in ("2026-1²", f"2026-{HUGE}", f"{HUGE}-12"):
            await w.staff.says(office, f"物业评价 {month}")
            await office.expect_message("用法：/ratings [月份，例如 2026-12]")
        assert APOLOGY not in bot.api.sent_texts(office.id) and await bot.set_aside() == 0
        await w.staff.says(office, "物业评价 2026-12")
        board = await office.expect_message("🏅 物业评价 2026-12")
        assert "阳光物业：88.0 分" in (board.text or "") and "调查 2 份 88.0 分" in (board.text or "")
        assert "🔴 红榜（80 分以上）：阳光物业" in (board.text or "")
        await w.staff.presses(office, board, "CSV")
        _, content = await office.expect_document("物业评价-2026-12.csv")
        assert "阳光物业,物业,88.0" in content.decode("utf-8-sig")
        await w.staff.presses(office, board, "Excel")
        _, sheet = await office.expect_document("物业评价-2026-12.xlsx")
        assert sheet[:2] == b"PK"
        await w.staff.presses(office, board, "发到各群")
        await w.group.expect_message("🔴 红榜（80 分以上）：阳光物业")
        await w.resident.says(bot.private(w.resident), "物业评价")
        await bot.private(w.resident).expect_message("只有社区工作人员")


async def test_staff_add_and_edit_an_organisation_in_chat_and_its_route_takes_the_next_ticket(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await org_world(bot)
        office = bot.private(w.staff)
        for line, answer in (
            ("/org add 银行 某某", "单位类型请写"),
            ("/org add 维保 安全消防 0351-1119", "已添加单位「安全消防」（维保单位），值班电话 0351-1119"),
            ("/org add 维保 安全消防", "单位「安全消防」已经有了"),
            ("/org phone 安全消防 0351-2229", "已更新「安全消防」：☎ 0351-2229"),
            ("/org hours 安全消防 早上", "工作时间请这样写"),
            ("/org hours 安全消防 0²:00-17:00", "工作时间请这样写"),
            ("/org hours 安全消防 08:00-17:00", "已更新「安全消防」：🕘 08:00-17:00"),
            ("/org serve 安全消防 9号楼", "本社区没有「9号楼」"),
            ("/org serve 安全消防 1号楼", "已更新「安全消防」：1号楼"),
            ("/org route 安全消防 报修 电 1号楼", "已设置：报修 · 电 · 1号楼 → 安全消防"),
            ("/org route 不存在 报修", "没有找到单位「不存在」"),
        ):
            await w.staff.says(office, line)
            await office.expect_message(answer)
        await confirmed(w, "3单元楼道停电了", "建议派给：安全消防（☎ 0351-2229）")  # the building rule beats 供电公司's


async def test_the_monthly_rating_counts_what_the_organisations_tickets_show(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await org_world(bot)
        job = await dispatched(bot, w, "3单元电梯又坏了", "迅达电梯维保", w.lift)
        clock.advance(hours=1)
        await w.lift.presses(bot.private(w.lift), job, "接单")
        work = await bot.private(w.lift).expect_message("您有新的派单：工单 #1")
        clock.advance(hours=2)
        await w.lift.presses(bot.private(w.lift), work, "已处理")
        reporter = bot.private(w.resident)
        await reporter.expect_message("您获得 2 分")
        await w.resident.presses(reporter, await reporter.expect_message("修好了吗？"), "已解决")
        await w.resident.presses(reporter, await reporter.expect_edit("请为这次处理打分"), "★★★★")
        await reporter.expect_edit("谢谢您的评价")
        await w.staff.says(bot.private(w.staff), "红黑榜")
        board = (await bot.private(w.staff).expect_message("🏅 物业评价 2026-12")).text or ""
        line = "迅达电梯维保：80.0 分 · 工单 1 · 接单 1.0 小时 · 办结 3.0 小时 · 返修率 0% · 回访 4.0 星 · 超时 0"
        assert line in board and "🔴 红榜（80 分以上）：迅达电梯维保" in board


async def test_jobs_and_urgent_reports_go_to_the_members_on_duty_and_to_all_members_when_nobody_is(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await org_world(bot)
        colleague = bot.person("吴物业")
        await join(bot, w.staff, colleague, "阳光物业")
        keeper, other = bot.private(w.keeper), bot.private(colleague)
        await w.resident.says(bot.private(w.resident), "值班")
        await bot.private(w.resident).expect_message("只有单位成员可以设置值班")
        await w.keeper.says(keeper, "值班")
        state = await keeper.expect_message("· 阳光物业：🟢 值班中（本单位值班 2/2 人）")
        await w.keeper.presses(keeper, state, "结束值班 · 阳光物业")
        await w.keeper.expect_answer("⚪ 不在值班")
        await keeper.expect_edit("· 阳光物业：⚪ 不在值班（本单位值班 1/2 人）")
        await w.staff.says(bot.private(w.staff), "/org")
        listing = (await bot.private(w.staff).expect_message("阳光社区的单位")).text or ""
        assert "阳光物业（物业）☎ 0351-6000001 · 🕘 08:00-18:00 · 成员 2 人（值班 1）" in listing

        await dispatched(bot, w, "1单元门禁坏了", "阳光物业", colleague)  # to the member on duty only
        await w.resident.says(w.group, "3单元楼道水管爆了，水漫出来了，太危险了！")
        await w.group.expect_message("工单 #2")
        await other.expect_message("🚨 紧急！🏢 阳光物业 新派单：工单 #2")
        await bot.private(w.grid_worker).expect_message_with("🚨 紧急工单 #2")
        await keeper.expect_nothing()

        await colleague.says(other, "值班 关")
        await other.expect_message("· 阳光物业：⚪ 不在值班（本单位值班 0/2 人）")
        await dispatched(bot, w, "2单元楼道的窗户玻璃碎了", "阳光物业", w.keeper)  # nobody on duty: everyone
        await other.expect_message("阳光物业 新派单：工单 #3")
        told = await bot.private(w.grid_worker).expect_message_with("⚠️「阳光物业」现在没有人值班，工单 #3")
        assert "请致电 0351-6000001" in (told.text or "")


async def test_a_revoked_member_no_longer_acts_for_the_organisation_and_a_successor_takes_over(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await org_world(bot)
        job = await dispatched(bot, w, "3单元楼道水管漏水了", "阳光物业", w.keeper)
        office = bot.private(w.staff)
        await w.staff.says(office, "身份管理")
        roster = await office.expect_message("阳光社区的身份")
        assert "1. 孙师傅 — 单位成员 · 阳光社区" in (roster.text or "")
        await w.staff.presses(office, roster, "周物业")
        await w.staff.expect_answer("已撤销单位成员身份")
        await bot.private(w.keeper).expect_message_with("身份已由 张社工 撤销")
        await w.keeper.presses(bot.private(w.keeper), job, "接单")
        await w.keeper.expect_answer("只有被派单单位的成员")
        await w.keeper.says(bot.private(w.keeper), "单位工单")
        await bot.private(w.keeper).expect_message("只有单位成员")

        await w.staff.presses(office, await office.expect_edit("阳光社区的身份"), "移交 1")
        link = await office.expect_message("交接「单位成员 · 阳光社区」（现任：孙师傅）的链接")
        successor = bot.person("郑师傅")
        chat = bot.private(successor)
        await successor.says(chat, f"/start {link.text.rsplit('start=', 1)[1].split()[0]}")  # type: ignore[union-attr]
        await chat.expect_message("您已成为「阳光社区」的单位成员")
        await successor.says(chat, "值班")
        await chat.expect_message("· 迅达电梯维保：🟢 值班中（本单位值班 1/1 人）")
        await w.lift.says(bot.private(w.lift), "单位工单")
        await bot.private(w.lift).expect_message_with("只有单位成员")
