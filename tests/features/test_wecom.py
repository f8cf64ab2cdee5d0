"""Transcripts on WeCom, where WeCom allows them: @mentions in a group, typed choices instead of buttons, one person
across Telegram and WeCom, and one announcement reaching both platforms within both sending limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import aiohttp
from sqlmodel import col, select

from bot.db import unit_of_work
from models.ledger import post_entry, recompute_drift
from models.outbox import OutboxMessage, OutboxStatus
from models.passbook import EntryKind
from models.people import PlatformAccount, Role
from models.places import place_by_id
from models.tickets import Ticket
from tests.features.console_world import csrf_of, login_path, office
from tests.features.harness import BotUnderTest, ChatView, Participant
from tests.features.test_console import client
from tests.features.tickets_world import B1, building
from tests.features.wecom_world import running_bot_with_wecom

B2 = "阳光社区/第一网格/2号楼"


def choice(text: str, label: str) -> str:
    """The code to type for the typed choice labelled `label` (`12-1  ✅ 确认` → `12-1`)."""
    match = re.search(rf"^(\d+-\d+)\s+.*{re.escape(label)}", text, re.MULTILINE)
    assert match, f"no choice {label!r} in:\n{text}"
    return match.group(1)


async def test_an_at_mention_in_a_wecom_group_opens_a_ticket_in_that_groups_building(database_url: str) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        await building(bot)
        first = await wecom.group(B1, "1号楼企业微信群")
        await wecom.group(B2, "2号楼企业微信群")
        resident, head = wecom.user("wangayi"), wecom.user("lilouzhang")
        await wecom.grant(head, Role.BUILDING_HEAD, B1)

        response_url = await resident.says_in(first, "3单元电梯又坏了，好几天了！")
        card = await wecom.expect_in(first, "📋 工单 #1 · 报修")
        assert card.path == "/cgi-bin/aibot/response" and card.query["response_code"] in response_url
        assert "1号楼 · 3单元" in card.content and "待楼栋长确认" in card.content
        assert "✅ 确认" in card.content and "回复编号即可选择" in card.content
        async with unit_of_work(bot.runtime.sessions) as session:
            ticket = await session.get(Ticket, 1)
            assert ticket is not None
            place = await place_by_id(session, place_id=ticket.building_id)
            assert place is not None and place.code == B1

        await resident.says_in(first, choice(card.content, "确认"))
        refused = await wecom.expect_in(first, "没有权限")
        await head.says_in(first, choice(card.content, "确认"))
        confirmed = await wecom.expect_in(first, "已确认，待派单")
        assert confirmed is not refused and "派单" in confirmed.content
        assert all(len(c.content.encode()) <= 2048 for c in wecom.api.calls if c.body)
        assert not wecom.api.sent("/cgi-bin/webhook/send", ok=False)


async def test_linked_accounts_share_their_tickets_both_ways(database_url: str) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        w = await building(bot)
        group = await wecom.group(B1, "1号楼企业微信群")
        on_wecom = wecom.user("wangxiaoming")
        await on_wecom.says_in(group, "5单元楼道灯坏了，晚上看不见")
        await wecom.expect_in(group, "📋 工单 #1")

        telegram = bot.private(w.resident)
        await tickets_on_telegram(w.resident, telegram, "暂时没有工单")
        await w.resident.says(telegram, "关联账号")
        code = re.search(r"关联码：(\d{8})", (await telegram.expect_message("关联码")).text or "")
        assert code is not None
        await on_wecom.says_privately(f"关联 {code.group(1)}")
        await on_wecom.expect_private("关联成功")
        await on_wecom.says_privately(f"关联 {code.group(1)}")
        await on_wecom.expect_private("已经用过")

        listing = await tickets_on_telegram(w.resident, telegram, "我的报修（共 1 条）")
        assert "#1 报修" in listing and "楼道灯坏了" in listing
        await w.resident.says(telegram, "/report 3单元门口的垃圾没人清理")
        await telegram.expect_message("已登记工单 #2")
        await on_wecom.says_privately("我的报修")
        mine = await on_wecom.expect_private("我的报修（共 2 条）")
        assert "#1 报修" in mine.content and "#2 环境卫生" in mine.content


async def test_after_linking_jifen_on_wecom_shows_the_same_points_as_slash_points_on_telegram(
    database_url: str,
) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        w = await building(bot)
        group = await wecom.group(B1, "1号楼企业微信群")
        on_wecom = wecom.user("wangxiaoming")
        await on_wecom.says_in(group, "5单元楼道灯坏了，晚上看不见")
        await wecom.expect_in(group, "📋 工单 #1")
        await earn(bot, platform="telegram", user_id=str(w.resident.user.id), points=30, key="tg-snow")
        await earn(bot, platform="wecom", user_id="wangxiaoming", points=12, key="wecom-clinic")
        telegram = bot.private(w.resident)
        await w.resident.says(telegram, "/points")
        assert "可用积分：30" in ((await telegram.expect_message("爱心存折")).text or "")
        await on_wecom.says_privately("积分")
        assert "可用积分：12" in (await on_wecom.expect_private("爱心存折")).content

        await w.resident.says(telegram, "关联账号")
        code = re.search(r"关联码：(\d{8})", (await telegram.expect_message("关联码")).text or "")
        assert code is not None
        await on_wecom.says_privately(f"关联 {code.group(1)}")
        await on_wecom.expect_private("关联成功")

        await w.resident.says(telegram, "/points")
        on_telegram = (await telegram.expect_message("爱心存折")).text or ""
        await on_wecom.says_privately("积分")
        on_wecom_now = (await on_wecom.expect_private("可用积分：42")).content
        assert "可用积分：42" in on_telegram and "终身积分：42" in on_telegram
        assert on_wecom_now.split("\n")[1:3] == on_telegram.split("\n")[1:3]
        async with bot.runtime.sessions() as session:
            assert await recompute_drift(session) == []


async def earn(
    bot: BotUnderTest, *, platform: str, user_id: str, points: int, key: str, at: datetime | None = None
) -> None:
    """Points earned (by default now) before the accounts were linked (what an award or a check-in posts)."""
    async with unit_of_work(bot.runtime.sessions) as session:
        query = select(PlatformAccount).where(
            PlatformAccount.platform == platform, PlatformAccount.platform_user_id == user_id
        )
        account = (await session.exec(query)).one()
        await post_entry(
            session,
            person_id=account.person_id,
            delta=points,
            kind=EntryKind.AWARD,
            reason="扫雪",
            source="manual",
            source_id=None,
            actor_id=None,
            idempotency_key=key,
            now=at or datetime.now(UTC),
        )


async def tickets_on_telegram(who: Participant, chat: ChatView, contains: str) -> str:
    await who.says(chat, "/tickets")
    return (await chat.expect_message(contains)).text or ""


async def test_one_announcement_reaches_a_wecom_robot_group_and_a_telegram_group_within_both_limits(
    database_url: str,
) -> None:
    async with running_bot_with_wecom(database_url, robot_limit=2) as (bot, wecom):
        w = await building(bot)
        robot_group = await wecom.group(B1, "1号楼企业微信群")
        desk = bot.private(w.staff)
        for number in (1, 2, 3):
            await announce(bot, w.staff, desk, f"第{number}条通知：周六上午9点小区广场集市")
            await w.group.expect_message(f"第{number}条通知")
        await wecom.expect_in(robot_group, "📢 社区通知\n第1条通知")
        await wecom.expect_in(robot_group, "第2条通知")
        await bot.settle(quiet=1.0)

        assert [c.content.split("\n")[1][:4] for c in wecom.robot_messages(robot_group)] == ["第1条通", "第2条通"]
        assert wecom.robot_messages(robot_group, ok=False) == []  # the fake answers 45009 past 2/min: never asked
        async with unit_of_work(bot.runtime.sessions) as session:
            waiting = (
                await session.exec(
                    select(OutboxMessage).where(OutboxMessage.platform == "wecom").order_by(col(OutboxMessage.id))
                )
            ).all()
        assert [row.status for row in waiting] == [OutboxStatus.SENT, OutboxStatus.SENT, OutboxStatus.PENDING]
        assert waiting[2].attempts == 0  # held back by the robot's window, not failed


async def announce(bot: BotUnderTest, staff: Participant, desk: ChatView, text: str) -> None:
    await staff.says(desk, "发通知")
    await staff.presses(desk, await desk.expect_message("选择发送范围"), "1号楼")
    await staff.presses(desk, await desk.expect_edit("选择发送范围"), "下一步")
    await staff.says(desk, text)
    await staff.presses(desk, await desk.expect_message("将发送到 2 个群"), "立即发送")
    await desk.expect_edit("正在发送到 2 个群")


async def test_a_wecom_members_name_comes_from_the_contacts_and_a_stranger_is_named_by_the_userid(
    database_url: str,
) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom), aiohttp.ClientSession() as http:
        w = await office(bot)
        group = await wecom.group(B1, "1号楼企业微信群")
        worker = wecom.user("sunshifu", "孙师傅")
        await wecom.grant(worker, Role.VOLUNTEER, B1)
        await worker.says_privately("积分")
        await worker.expect_private("爱心存折")
        resident = wecom.user("wangxiaoming", "王小明")
        await resident.says_in(group, "3单元电梯坏了，困人了！")  # urgent: ready to dispatch at once
        await wecom.expect_in(group, "📋 工单 #1")

        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        status, page = await desk.get("/console/tickets/1")
        assert status == 200 and "王小明" in page and "wangxiaoming" not in page
        worker_id = re.search(r'<option value="(\d+)">孙师傅</option>', page).group(1)  # type: ignore[union-attr]
        status, _, _ = await desk.post("/console/tickets/1/dispatch", {"csrf": csrf_of(page), "choice": worker_id})
        assert status == 303
        await wecom.expect_in(group, "已派单给 孙师傅")
        await resident.says_privately("我住在5号楼")
        await bot.private(w.grid2).expect_message("🏠 王小明 说自己住在「阳光社区 · 第二网格 · 5号楼」")

        stranger = wecom.user("zhaoxin")  # not in the contacts: user/get answers 60111, the report still goes in
        await stranger.says_in(group, "5单元楼道灯坏了，晚上看不见")
        await wecom.expect_in(group, "📋 工单 #2")
        status, page = await desk.get("/console/tickets/2")
        assert status == 200 and "zhaoxin" in page
        asked = [(c.query["userid"], c.errcode) for c in wecom.api.calls if c.path == "/cgi-bin/user/get"]
        assert asked == [("sunshifu", 0), ("wangxiaoming", 0), ("zhaoxin", 60111)]  # once each, not per message
