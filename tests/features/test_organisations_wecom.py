"""The organisation transcripts on WeCom, with typed choices instead of buttons: organisations and routing imported
from the office's file, a lift report routed to the contractor's member (who joined by the staff's invite code) who
accepts and resolves it; 挂账 across a restart, then 退单 and the re-dispatch; 值班 and an urgent report; the survey
with one answer per person and its monthly score; the 街道 whistled, reminded and reporting in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.cli import org_import
from bot.db import unit_of_work
from models.people import Role
from models.tickets import Ticket
from sandbox.wecom import FakeWeCom
from tests.features.harness import BotUnderTest, ManualClock
from tests.features.orgs_world import TREE
from tests.features.test_wecom import choice
from tests.features.tickets_world import B1, COMMUNITY, GRID
from tests.features.wecom_world import WeComGroup, WeComSide, WeComUser, running_bot_with_wecom


@dataclass
class WeComOrgWorld:
    group: WeComGroup
    resident: WeComUser
    head: WeComUser
    grid: WeComUser
    staff: WeComUser
    lift: WeComUser  # joins 迅达电梯维保


async def join_on_wecom(staff: WeComUser, member: WeComUser, org: str) -> None:
    """Staff make the invite privately; the member types its code to the WeCom app; staff hear it was accepted."""
    await staff.says_privately(f"/org invite {org}")
    code = (await staff.expect_private(f"邀请「{org}」的成员")).content.rsplit("/start ", 1)[1].split()[0]
    await member.says_privately(f"/start {code}")
    await member.expect_private(f"您已加入「{org}」")
    await staff.expect_private("已接受邀请，成为「单位成员 · 阳光社区」")


async def imported(bot: BotUnderTest, tmp_path: Path) -> None:
    """The office's file, imported as `python -m bot org import` does."""
    file = tmp_path / "阳光社区.yaml"
    file.write_text(TREE, encoding="utf-8")
    assert await org_import(bot.runtime.settings, file) == 0


async def org_world_on_wecom(bot: BotUnderTest, wecom: WeComSide, tmp_path: Path) -> WeComOrgWorld:
    """Everyone on WeCom: the imported tree, a bound group, a resident, the 楼栋长, the 网格员, the 社工 and the lift
    contractor's member."""
    await imported(bot, tmp_path)
    world = WeComOrgWorld(
        await wecom.group(B1, "1号楼企业微信群"),
        *(wecom.user(u) for u in ("wangayi", "lilouzhang", "zhaowangge", "zhangshegong", "sunshifu")),
    )
    for who, role, place in (
        (world.resident, Role.RESIDENT, B1),
        (world.head, Role.BUILDING_HEAD, B1),
        (world.grid, Role.GRID_WORKER, GRID),
        (world.staff, Role.STAFF, COMMUNITY),
    ):
        await wecom.grant(who, role, place)
    await join_on_wecom(world.staff, world.lift, "迅达电梯维保")
    return world


async def test_on_wecom_imported_routing_sends_a_lift_report_to_the_contractors_member_who_resolves_it(
    database_url: str, tmp_path: Path
) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        w = await org_world_on_wecom(bot, wecom, tmp_path)
        await w.staff.says_privately("/org")
        listing = (await w.staff.expect_private("阳光社区的单位")).content
        assert "迅达电梯维保（维保单位）☎ 400-800-1234" in listing and "成员 1 人" in listing

        await w.resident.says_in(w.group, "3单元电梯又坏了")
        card = await wecom.expect_in(w.group, "📋 工单 #1 · 报修")
        await w.head.says_in(w.group, choice(card.content, "确认"))
        suggested = await wecom.expect_in(w.group, "建议派给：迅达电梯维保")
        await w.resident.says_in(w.group, choice(suggested.content, "派单给 迅达电梯维保"))
        await wecom.expect_in(w.group, "没有权限")
        await w.head.says_in(w.group, choice(suggested.content, "派单给 迅达电梯维保"))
        job = await w.lift.expect_private("迅达电梯维保 新派单：工单 #1")
        await w.lift.says_privately(choice(job.content, "接单"))
        await w.lift.expect_private("已接单 #1")
        work = await w.lift.expect_private("您有新的派单：工单 #1")
        await w.lift.says_privately(choice(work.content, "开始处理"))
        await wecom.expect_in(w.group, "处理中")
        await w.lift.says_privately(choice(work.content, "已处理"))
        await wecom.expect_in(w.group, "已处理，等待居民确认")
        await w.lift.says_privately("/ticket 1")
        history = (await w.lift.expect_private("处理记录")).content
        assert "派单给单位（迅达电梯维保）" in history and "接单" in history


async def test_on_wecom_a_hold_survives_a_restart_then_the_ticket_is_handed_back_and_dispatched_again(
    database_url: str, tmp_path: Path
) -> None:
    clock, fake = ManualClock(), FakeWeCom()
    await fake.start()
    try:
        async with running_bot_with_wecom(database_url, clock=clock, wecom=fake) as (bot, wecom):
            w = await org_world_on_wecom(bot, wecom, tmp_path)
            keeper = wecom.user("zhouwuye")
            await join_on_wecom(w.staff, keeper, "阳光物业")
            await w.resident.says_in(w.group, "3单元电梯又坏了")
            card = await wecom.expect_in(w.group, "📋 工单 #1")
            await w.head.says_in(w.group, choice(card.content, "确认"))
            suggested = await wecom.expect_in(w.group, "建议派给：迅达电梯维保")
            await w.head.says_in(w.group, choice(suggested.content, "派单给 迅达电梯维保"))
            job = await w.lift.expect_private("新派单：工单 #1")
            await w.lift.says_privately(choice(job.content, "接单"))
            accepted = await w.lift.expect_private("已接单 #1")
            await w.lift.says_privately(choice(accepted.content, "申请挂账"))
            await w.lift.expect_private("请回复挂账原因和预计日期")
            await w.lift.says_privately("等电梯配件 12月10日")
            await w.lift.expect_private("已提交挂账申请（#1）")
            await w.grid.expect_private("申请挂账工单 #1：等电梯配件，预计 12月10日")
            asked = await wecom.expect_in(w.group, "申请挂账：等电梯配件")
            await w.head.says_in(w.group, choice(asked.content, "批准挂账"))
            await w.lift.expect_private("挂账已批准，计时暂停到 12月10日")
            held = await wecom.expect_in(w.group, "⏸ 挂账中")
            async with unit_of_work(bot.runtime.sessions) as session:
                ticket = await session.get(Ticket, 1)
                assert ticket is not None and ticket.next_timer_at is None and ticket.due_at is not None
                due_before = ticket.due_at

        async with running_bot_with_wecom(database_url, clock=clock, wecom=fake) as (bot, wecom):
            head, grid, lift = wecom.user("lilouzhang"), wecom.user("zhaowangge"), wecom.user("sunshifu")
            clock.advance(days=3)
            assert await bot.sweep() == 0  # paused: no reminder, no escalation
            await head.says_in(w.group, choice(held.content, "恢复处理"))
            await lift.expect_private("工单 #1 已恢复处理")
            async with unit_of_work(bot.runtime.sessions) as session:
                ticket = await session.get(Ticket, 1)
                assert ticket is not None and ticket.due_at is not None
                assert ticket.due_at - due_before == timedelta(days=3)  # later by exactly the pause

            await lift.says_privately(choice(accepted.content, "退单"))
            await lift.expect_private("请回复退单原因")
            await lift.says_privately("这部电梯归物业自己的维保")
            await lift.expect_private("已退回工单 #1")
            await grid.expect_private("迅达电梯维保 退回了工单 #1：这部电梯归物业自己的维保")
            returned = await wecom.expect_in(w.group, "迅达电梯维保 退单：这部电梯归物业自己的维保")
            await grid.says_in(w.group, choice(returned.content, "派给单位"))
            chooser = await wecom.expect_in(w.group, "#1 派给哪个单位？")
            await grid.says_in(w.group, choice(chooser.content, "阳光物业"))
            await wecom.user("zhouwuye").expect_private("阳光物业 新派单：工单 #1")
            await wecom.expect_in(w.group, "已派单给 阳光物业")
    finally:
        await fake.stop()


async def test_on_wecom_an_urgent_report_reaches_a_member_off_duty_when_nobody_is_on_and_the_survey_is_scored(
    database_url: str, tmp_path: Path
) -> None:
    clock = ManualClock()
    async with running_bot_with_wecom(database_url, clock=clock) as (bot, wecom):
        w = await org_world_on_wecom(bot, wecom, tmp_path)
        neighbour = wecom.user("liuayi")
        await wecom.grant(neighbour, Role.RESIDENT, B1)

        await w.lift.says_privately("值班 关")
        off_duty = await w.lift.expect_private("· 迅达电梯维保：⚪ 不在值班（本单位值班 0/1 人）")
        await w.resident.says_in(w.group, "3单元电梯又坏了，困人了！")
        await wecom.expect_in(w.group, "📋 工单 #1 · 报修")
        job = await w.lift.expect_private("🚨 紧急！🏢 迅达电梯维保 新派单：工单 #1")  # nobody on duty: every member
        await w.grid.expect_private("🚨 紧急工单 #1 · 报修（无需楼栋长确认")
        told = await w.staff.expect_private("🚨 紧急工单 #1 · 报修（无需楼栋长确认")
        assert "📍 阳光社区 · 第一网格 · 1号楼 · 3单元" in told.content and "☎ 紧急电话：119 火警" in told.content
        await w.lift.says_privately(choice(job.content, "接单"))
        await w.lift.expect_private("您有新的派单：工单 #1")
        await w.lift.says_privately(choice(off_duty.content, "开始值班 · 迅达电梯维保"))
        await w.lift.expect_private("· 迅达电梯维保：🟢 值班中（本单位值班 1/1 人）")

        await w.staff.says_privately("/survey 阳光物业 12月10日")
        await w.staff.expect_private("已在 1 个群发起「阳光物业」的满意度调查")
        post = await wecom.expect_in(w.group, "📊 物业满意度调查：阳光物业（2026-12）")
        for who, score in ((w.resident, "5"), (neighbour, "3")):
            await who.says_in(w.group, choice(post.content, "开始评价"))
            question = await who.expect_private("第 1/10 项：总体满意度")
            for n in range(1, 11):
                await who.says_privately(choice(question.content, score))
                question = await who.expect_private("谢谢您对「阳光物业」的评价" if n == 10 else f"第 {n + 1}/10 项")
        await w.resident.says_in(w.group, choice(post.content, "开始评价"))
        await wecom.expect_in(w.group, "您已经参与过这次调查了")

        clock.advance(days=9)
        await bot.sweep()
        await w.staff.expect_private("「阳光物业」2026-12 满意度调查已结束：共 2 份，满意度 80.0 分")
        await w.staff.says_privately("物业评价 2026-12")
        board = (await w.staff.expect_private("🏅 物业评价 2026-12")).content
        assert "阳光物业：80.0 分" in board and "调查 2 份 80.0 分" in board
        assert "🔴 红榜（80 分以上）：阳光物业" in board


async def test_on_wecom_the_street_office_is_whistled_reminded_when_it_does_not_report_in_then_reports_in(
    database_url: str, tmp_path: Path
) -> None:
    clock = ManualClock()
    async with running_bot_with_wecom(database_url, clock=clock) as (bot, wecom):
        w = await org_world_on_wecom(bot, wecom, tmp_path)
        street = wecom.user("wujiedao")
        await join_on_wecom(w.staff, street, "幸福街道")

        await w.resident.says_in(w.group, "3单元门口垃圾堆了好几天没人清理")
        await wecom.expect_in(w.group, "工单 #1 · 环境卫生")
        for minutes in (91, 60, 91, 30):  # reminder, 网格, reminder, 社区
            clock.advance(minutes=minutes)
            await bot.sweep()
        await street.expect_private("📣 吹哨报到：工单 #1 · 环境卫生")
        clock.advance(hours=2, minutes=1)
        await bot.sweep()
        reminder = await street.expect_private("吹哨报到已超时")
        await w.staff.expect_private("⚠️ 超时未报到：「幸福街道」仍未对工单 #1 报到")
        await street.says_privately(choice(reminder.content, "报到"))
        await w.staff.expect_private("📣 幸福街道 已报到（工单 #1")
        await wecom.expect_in(w.group, "📣 幸福街道 已报到")
