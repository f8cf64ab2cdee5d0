"""The organisation transcripts on WeCom: a lift contractor's member who joined by the staff's invite code takes a
lift report routed to them, with typed choices instead of buttons; 退单 and 挂账 from WeCom."""

from __future__ import annotations

from bot.db import unit_of_work
from handlers.common.org_import import import_tree, parse_org_file
from models.people import Role
from tests.features.harness import BotUnderTest, ManualClock
from tests.features.orgs_world import TREE
from tests.features.test_wecom import choice
from tests.features.tickets_world import B1, COMMUNITY, GRID
from tests.features.wecom_world import WeComSide, WeComUser, running_bot_with_wecom


async def join_on_wecom(bot: BotUnderTest, wecom: WeComSide, member: WeComUser, org: str) -> None:
    """Staff (on Telegram) make the invite; the member types its code to the WeCom app."""
    staff = bot.people.get("张社工") or bot.person("张社工")
    office = bot.private(staff)
    await staff.says(office, f"/org invite {org}")
    code = ((await office.expect_message("一次性链接")).text or "").rsplit("start=", 1)[1].split()[0]
    await member.says_privately(f"/start {code}")
    await member.expect_private(f"您已加入「{org}」")


async def test_on_wecom_a_lift_report_is_routed_to_the_contractors_member_who_accepts_and_resolves_it(
    database_url: str,
) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        async with unit_of_work(bot.runtime.sessions) as session:
            await import_tree(session, parse_org_file("t.yaml", TREE))
        group = await wecom.group(B1, "1号楼企业微信群")
        resident, head, grid, lift = (wecom.user(u) for u in ("wangayi", "lilouzhang", "zhaowangge", "sunshifu"))
        await wecom.grant(resident, Role.RESIDENT, B1)
        await wecom.grant(head, Role.BUILDING_HEAD, B1)
        await wecom.grant(grid, Role.GRID_WORKER, GRID)
        await bot.grant(bot.person("张社工"), Role.STAFF, COMMUNITY)
        bot.private(bot.people["张社工"])
        await join_on_wecom(bot, wecom, lift, "迅达电梯维保")

        await resident.says_in(group, "3单元电梯又坏了")
        card = await wecom.expect_in(group, "📋 工单 #1 · 报修")
        await head.says_in(group, choice(card.content, "确认"))
        suggested = await wecom.expect_in(group, "建议派给：迅达电梯维保")
        await resident.says_in(group, choice(suggested.content, "派单给 迅达电梯维保"))
        await wecom.expect_in(group, "没有权限")
        await head.says_in(group, choice(suggested.content, "派单给 迅达电梯维保"))
        job = await lift.expect_private("迅达电梯维保 新派单：工单 #1")
        await lift.says_privately(choice(job.content, "接单"))
        await lift.expect_private("已接单 #1")
        work = await lift.expect_private("您有新的派单：工单 #1")
        await lift.says_privately(choice(work.content, "开始处理"))
        await wecom.expect_in(group, "处理中")
        await lift.says_privately(choice(work.content, "已处理"))
        await wecom.expect_in(group, "已处理，等待居民确认")
        await lift.says_privately("/ticket 1")
        history = (await lift.expect_private("处理记录")).content
        assert "派单给单位（迅达电梯维保）" in history and "接单" in history


async def test_on_wecom_a_member_hands_a_ticket_back_with_a_reason_and_asks_for_a_hold_on_another(
    database_url: str,
) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        async with unit_of_work(bot.runtime.sessions) as session:
            await import_tree(session, parse_org_file("t.yaml", TREE))
        group = await wecom.group(B1, "1号楼企业微信群")
        resident, head, grid, lift = (wecom.user(u) for u in ("wangayi", "lilouzhang", "zhaowangge", "sunshifu"))
        await wecom.grant(resident, Role.RESIDENT, B1)
        await wecom.grant(head, Role.BUILDING_HEAD, B1)
        await wecom.grant(grid, Role.GRID_WORKER, GRID)
        await bot.grant(bot.person("张社工"), Role.STAFF, COMMUNITY)
        bot.private(bot.people["张社工"])
        await join_on_wecom(bot, wecom, lift, "迅达电梯维保")

        await resident.says_in(group, "3单元电梯又坏了")
        card = await wecom.expect_in(group, "📋 工单 #1")
        await head.says_in(group, choice(card.content, "确认"))
        suggested = await wecom.expect_in(group, "建议派给：迅达电梯维保")
        await head.says_in(group, choice(suggested.content, "派单给 迅达电梯维保"))
        job = await lift.expect_private("新派单：工单 #1")
        await lift.says_privately(choice(job.content, "接单"))
        accepted = await lift.expect_private("已接单 #1")
        await lift.says_privately(choice(accepted.content, "申请挂账"))
        await lift.expect_private("请回复挂账原因和预计日期")
        await lift.says_privately("等电梯配件 12月10日")
        await lift.expect_private("已提交挂账申请（#1）")
        await grid.expect_private("申请挂账工单 #1：等电梯配件，预计 12月10日")
        asked = await wecom.expect_in(group, "申请挂账：等电梯配件")
        await head.says_in(group, choice(asked.content, "批准挂账"))
        await lift.expect_private("挂账已批准")
        held = await wecom.expect_in(group, "⏸ 挂账中")
        await head.says_in(group, choice(held.content, "恢复处理"))
        await lift.expect_private("已恢复处理")

        await lift.says_privately(choice(accepted.content, "退单"))
        await lift.expect_private("请回复退单原因")
        await lift.says_privately("这部电梯归另一家维保公司")
        await lift.expect_private("已退回工单 #1")
        await grid.expect_private("迅达电梯维保 退回了工单 #1：这部电梯归另一家维保公司")
        await wecom.expect_in(group, "迅达电梯维保 退单：这部电梯归另一家维保公司")


async def test_on_wecom_an_urgent_report_reaches_the_duty_member_and_the_survey_takes_one_answer_each(
    database_url: str,
) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        async with unit_of_work(bot.runtime.sessions) as session:
            await import_tree(session, parse_org_file("t.yaml", TREE))
        group = await wecom.group(B1, "1号楼企业微信群")
        resident, grid, lift, keeper = (wecom.user(u) for u in ("wangayi", "zhaowangge", "sunshifu", "zhouwuye"))
        await wecom.grant(resident, Role.RESIDENT, B1)
        await wecom.grant(grid, Role.GRID_WORKER, GRID)
        await bot.grant(bot.person("张社工"), Role.STAFF, COMMUNITY)
        bot.private(bot.people["张社工"])
        await join_on_wecom(bot, wecom, lift, "迅达电梯维保")
        await join_on_wecom(bot, wecom, keeper, "阳光物业")

        await resident.says_in(group, "3单元电梯又坏了，困人了！")
        await wecom.expect_in(group, "📋 工单 #1 · 报修")
        job = await lift.expect_private("🚨 紧急！🏢 迅达电梯维保 新派单：工单 #1")
        await grid.expect_private("🚨 紧急：工单 #1（报修）已直接派给「迅达电梯维保」")
        await lift.says_privately(choice(job.content, "接单"))
        await lift.expect_private("您有新的派单：工单 #1")

        staff = bot.people["张社工"]
        await staff.says(bot.private(staff), "/survey 阳光物业 12月10日")
        await bot.private(staff).expect_message("已在 1 个群发起")
        post = await wecom.expect_in(group, "📊 物业满意度调查：阳光物业")
        await resident.says_in(group, choice(post.content, "开始评价"))
        question = await resident.expect_private("第 1/10 项：总体满意度")
        for n in range(1, 11):
            await resident.says_privately(choice(question.content, "4"))
            question = await resident.expect_private("谢谢您对「阳光物业」的评价" if n == 10 else f"第 {n + 1}/10 项")
        await resident.says_in(group, choice(post.content, "开始评价"))
        await wecom.expect_in(group, "您已经参与过这次调查了")


async def test_on_wecom_the_street_office_is_whistled_reminded_when_it_does_not_report_in_then_reports_in(
    database_url: str,
) -> None:
    clock = ManualClock()
    async with running_bot_with_wecom(database_url, clock=clock) as (bot, wecom):
        async with unit_of_work(bot.runtime.sessions) as session:
            await import_tree(session, parse_org_file("t.yaml", TREE))
        group = await wecom.group(B1, "1号楼企业微信群")
        resident, street = wecom.user("wangayi"), wecom.user("wujiedao")
        await wecom.grant(resident, Role.RESIDENT, B1)
        await bot.grant(bot.person("张社工"), Role.STAFF, COMMUNITY)
        staff = bot.people["张社工"]
        bot.private(staff)
        await join_on_wecom(bot, wecom, street, "幸福街道")

        await resident.says_in(group, "3单元门口垃圾堆了好几天没人清理")
        await wecom.expect_in(group, "工单 #1 · 环境卫生")
        for minutes in (91, 60, 91, 30):  # reminder, 网格, reminder, 社区
            clock.advance(minutes=minutes)
            await bot.sweep()
        await street.expect_private("📣 吹哨报到：工单 #1 · 环境卫生")
        clock.advance(hours=2, minutes=1)
        await bot.sweep()
        reminder = await street.expect_private("吹哨报到已超时")
        await bot.private(staff).expect_message("📣 吹哨：工单 #1")
        await bot.private(staff).expect_message("将在 1 分钟后超时")
        await bot.private(staff).expect_message("⚠️ 超时未报到：「幸福街道」仍未对工单 #1 报到")
        await street.says_privately(choice(reminder.content, "报到"))
        await bot.private(staff).expect_message("📣 幸福街道 已报到（工单 #1")
        await wecom.expect_in(group, "📣 幸福街道 已报到")
