"""Transcripts of reaching people the way Telegram allows: residents and volunteers who never started the bot (the
local Bot API refuses the bot's private messages to them, as Telegram does) are reached in the group, with a link
that opens the private chat at that step (docs/reach.md)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import aiohttp
from sqlmodel import select

from bot.db import unit_of_work
from handlers.common.org_import import import_tree, parse_org_file
from models.outbox import OutboxMessage
from models.people import PlatformAccount, Role
from models.reach import PrivateChat
from sandbox.server import LocalBotApi
from sandbox.state import StoredMessage
from tests.features.harness import TOKEN, BotUnderTest, ChatView, ManualClock, Participant, running_bot
from tests.features.shop_world import award
from tests.features.test_events import first_start, publish
from tests.features.test_wecom import choice
from tests.features.tickets_world import B1, COMMUNITY, GRID, TREE, Building, building
from tests.features.volunteers_world import enlist, neighbour_of_b1
from tests.features.wecom_world import WeComGroup, WeComSide, WeComUser, running_bot_with_wecom

NEVER_STARTED = "Forbidden: bot can't initiate conversation with a user"


def start_payload(message: StoredMessage) -> str:
    """The ``start`` parameter of the message's deep-link button (https://t.me/<bot>?start=<payload>)."""
    urls = [b["url"] for row in message.inline_keyboard for b in row if "url" in b]
    assert len(urls) == 1, f"expected one link button, got {message.inline_keyboard}"
    link = urlparse(urls[0])
    assert link.netloc == "t.me" and link.path.startswith("/")
    return parse_qs(link.query)["start"][0]


async def private_chat_of(bot: BotUnderTest, who: Participant) -> str | None:
    async with unit_of_work(bot.runtime.sessions) as session:
        query = select(PlatformAccount).where(PlatformAccount.platform_user_id == str(who.user.id))
        account = (await session.exec(query)).one()
        return account.private_chat


async def refused_rows(bot: BotUnderTest, who: Participant) -> list[OutboxMessage]:
    async with unit_of_work(bot.runtime.sessions) as session:
        query = select(OutboxMessage).where(OutboxMessage.chat_id == str(who.user.id), OutboxMessage.status == "failed")
        return list((await session.exec(query)).all())


async def report_fixed_by(bot: BotUnderTest, w: Building, reporter: Participant, volunteer: Participant) -> ChatView:
    """The reporter's lift report is confirmed, assigned to the volunteer and marked done; the volunteer's chat."""
    await reporter.says(w.group, "3单元电梯又坏了，好几天了！")
    card = await w.group.expect_message("📋 工单 #1 · 报修")
    await w.head.presses(w.group, card, "确认")
    await w.head.presses(w.group, await w.group.expect_edit("已确认，待派单"), "派单")
    picker = await w.group.expect_message_with("#1 派给谁处理？")  # the award line of an unreachable reporter stays
    await w.head.presses(w.group, picker, volunteer.user.first_name)
    return bot.private(volunteer)


async def test_a_reporter_who_never_started_the_bot_is_asked_in_the_group_and_only_reporters_may_answer(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        grandpa = bot.person("孙大爷", started_bot=False)
        await bot.grant(grandpa, Role.RESIDENT, B1)
        assigned = await report_fixed_by(bot, w, grandpa, w.volunteer)
        award = await w.group.expect_message("🎉 孙大爷 获得 2 分：报告问题 #1 已确认")  # the award note, in the group
        assert start_payload(award)
        job = await assigned.expect_message("您有新的派单：工单 #1")
        await w.volunteer.presses(assigned, job, "已处理")

        asked = "孙大爷，您反映的问题 #1「3单元电梯又坏了，好几天了！」已处理。修好了吗？"
        question = await w.group.expect_message(asked)
        report = bot.api.messages(w.group.id)[0]
        assert question.message["reply_to_message"]["message_id"] == report.message_id
        assert [label for label, _ in question.buttons] == ["已解决", "没解决", "私聊机器人查看"]
        assert bot.api.messages(grandpa.user.id) == []  # Telegram let nothing through privately
        assert await private_chat_of(bot, grandpa) == PrivateChat.CLOSED
        assert all(NEVER_STARTED in (row.last_error or "") for row in await refused_rows(bot, grandpa))

        await w.neighbour.presses(w.group, question, "已解决")
        await w.neighbour.expect_answer("只有反映问题的居民可以回答")
        await grandpa.presses(w.group, question, "已解决")
        rating = await w.group.expect_edit("请为这次处理打分")
        await grandpa.presses(w.group, rating, "★★★★★")
        await w.group.expect_edit("★★★★★")


async def test_the_link_in_the_group_opens_the_private_chat_at_that_step(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        grandpa = bot.person("孙大爷", started_bot=False)
        await bot.grant(grandpa, Role.RESIDENT, B1)
        assigned = await report_fixed_by(bot, w, grandpa, w.volunteer)
        await w.group.expect_message("🎉 孙大爷 获得 2 分")
        await w.volunteer.presses(assigned, await assigned.expect_message("您有新的派单"), "已处理")
        question = await w.group.expect_message("修好了吗？")
        payload = start_payload(question)

        await w.neighbour.says(bot.private(w.neighbour), f"/start {payload}")
        await bot.private(w.neighbour).expect_message("这个链接是给另一位邻居的")
        private = bot.private(grandpa)
        await grandpa.says(private, f"/start {payload}")
        asked = await private.expect_message("您反映的问题 #1「3单元电梯又坏了，好几天了！」已处理。修好了吗？")
        assert [label for label, _ in asked.buttons] == ["已解决", "没解决"]
        assert await private_chat_of(bot, grandpa) == PrivateChat.OPEN
        await grandpa.presses(private, asked, "没解决")
        await private.expect_edit("已重新打开 #1")
        await w.group.expect_edit("居民反馈没解决")


async def test_an_assignee_who_never_started_the_bot_is_named_in_the_group_with_the_link(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        plumber = bot.person("周师傅", started_bot=False)
        await bot.grant(plumber, Role.VOLUNTEER, B1)
        assigned = await report_fixed_by(bot, w, w.resident, plumber)
        knock = await w.group.expect_message("周师傅，有一条给您的消息，我没法先私信您")
        assert "电梯" not in (knock.text or "")  # what the job says stays for the private chat
        await plumber.says(assigned, f"/start {start_payload(knock)}")
        job = await assigned.expect_message("您有新的派单：工单 #1")
        await plumber.presses(assigned, job, "开始处理")
        await w.group.expect_edit("周师傅 处理中")


async def test_a_reopened_ticket_knocks_for_an_assignee_who_blocked_the_bot_and_a_head_who_never_started_it(
    database_url: str,
) -> None:
    """没解决 (tickets/lifecycle.reopen): the assignee, who blocked the bot after marking it done, and a second
    building head who never opened the private chat are each named in the ticket's group with the link, which brings
    the reopened note (with the job's buttons for the assignee)."""
    async with running_bot(database_url) as bot:
        w = await building(bot)
        head = bot.person("钱楼长", started_bot=False)
        await bot.grant(head, Role.BUILDING_HEAD, B1)
        assigned = await report_fixed_by(bot, w, w.resident, w.volunteer)
        await w.volunteer.presses(assigned, await assigned.expect_message("您有新的派单"), "已处理")
        await w.volunteer.blocks_bot()
        private = bot.private(w.resident)
        asked = await private.expect_message_with("修好了吗？")
        await w.resident.presses(private, asked, "没解决")
        await private.expect_edit("已重新打开 #1")

        reopened = "⚠️ 居民反馈工单 #1「3单元电梯又坏了，好几天了！」没解决，已重新打开，请再跟进。"
        for who, buttons in ((head, []), (w.volunteer, ["开始处理", "已处理"])):
            name = who.user.first_name
            knock = await w.group.expect_message_with(f"{name}，有一条给您的消息，我没法先私信您")
            assert "电梯" not in (knock.text or "")
            await who.says(bot.private(who), f"/start {start_payload(knock)}")
            note = await bot.private(who).expect_message(reopened)
            assert [label for label, _ in note.buttons] == buttons
            assert await private_chat_of(bot, who) == PrivateChat.OPEN


async def test_sla_reminders_and_escalations_knock_for_a_head_and_a_grid_worker_who_never_started_the_bot(
    database_url: str,
) -> None:
    """Reminders and escalations (tickets/timers): a building head and a grid worker who never opened the private
    chat are named in the ticket's group with the link, which brings the reminder and the escalation."""
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        head, grid = bot.person("钱楼长", started_bot=False), bot.person("钱网格", started_bot=False)
        await bot.grant(head, Role.BUILDING_HEAD, B1)
        await bot.grant(grid, Role.GRID_WORKER, GRID)
        await w.resident.says(w.group, "3单元电梯坏了，好几天了")
        await w.group.expect_message("工单 #1")
        clock.advance(minutes=91)
        assert await bot.sweep() == 1
        knock = await w.group.expect_message("钱楼长，有一条给您的消息，我没法先私信您")
        await head.says(bot.private(head), f"/start {start_payload(knock)}")
        await bot.private(head).expect_message("将在 29 分钟后超时")
        clock.advance(hours=1)
        assert await bot.sweep() == 1
        await w.group.expect_message("已上报网格员跟进")
        knock = await w.group.expect_message("钱网格，有一条给您的消息，我没法先私信您")
        await grid.says(bot.private(grid), f"/start {start_payload(knock)}")
        await bot.private(grid).expect_message("网格上报：工单 #1")


async def test_the_auto_confirmation_knocks_for_a_reporter_who_never_started_the_bot(database_url: str) -> None:
    """Nobody answered 修好了吗 for 48 hours (tickets/timers.auto_verify): the reporter who never opened the private
    chat is named in the group, and the link brings 已自动确认解决."""
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        grandpa = bot.person("孙大爷", started_bot=False)
        await bot.grant(grandpa, Role.RESIDENT, B1)
        assigned = await report_fixed_by(bot, w, grandpa, w.volunteer)
        await w.volunteer.presses(assigned, await assigned.expect_message("您有新的派单"), "已处理")
        await w.group.expect_message_with("孙大爷，您反映的问题 #1")
        await bot.settle()
        clock.advance(hours=49)
        assert await bot.sweep() == 1
        knock = await w.group.expect_message_with("孙大爷，有一条给您的消息，我没法先私信您")
        await grandpa.says(bot.private(grandpa), f"/start {start_payload(knock)}")
        await bot.private(grandpa).expect_message("已自动确认解决")


async def test_a_resident_who_blocked_the_bot_is_reached_in_the_group_without_trying_privately(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.blocks_bot()
        await bot.settle()
        assert await private_chat_of(bot, w.resident) == PrivateChat.CLOSED
        assigned = await report_fixed_by(bot, w, w.resident, w.volunteer)
        await w.group.expect_message("🎉 王小明 获得 2 分")
        await w.volunteer.presses(assigned, await assigned.expect_message("您有新的派单"), "已处理")
        await w.group.expect_message("王小明，您反映的问题 #1")
        tried = [
            c for c in bot.api.calls if c.method == "sendMessage" and int(c.params["chat_id"]) == w.resident.user.id
        ]
        assert tried == []  # known closed: straight to the group, no refused request


async def test_privacy_mode_is_named_with_its_fix_by_bind_and_healthz(database_url: str) -> None:
    async with (
        LocalBotApi(token=TOKEN, can_read_all_group_messages=False) as api,
        running_bot(database_url, api=api) as bot,
    ):
        async with unit_of_work(bot.runtime.sessions) as session:
            await import_tree(session, parse_org_file("t.yaml", TREE))
        staff = bot.person("张社工")
        await bot.grant(staff, Role.STAFF, COMMUNITY)
        group = bot.group("1号楼业主群")
        await staff.says(group, "/bind")
        warning = await group.expect_message("我现在只能看到命令和@我的消息")
        assert "/setprivacy" in (warning.text or "") and "Disable" in (warning.text or "")
        await group.expect_message("请选择本群对应的楼栋")
        url = f"http://127.0.0.1:{bot.runtime.web_port}/healthz"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            body = await response.json()
        assert body["can_read_all_group_messages"] is False
        assert "/setprivacy" in body["warnings"][0] and "Disable" in body["warnings"][0]


async def test_with_privacy_mode_off_bind_and_healthz_say_nothing_of_it(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        async with unit_of_work(bot.runtime.sessions) as session:
            await import_tree(session, parse_org_file("t.yaml", TREE))
        staff = bot.person("张社工")
        await bot.grant(staff, Role.STAFF, COMMUNITY)
        group = bot.group("1号楼业主群")
        await staff.says(group, "/bind")
        assert "我现在只能看到" not in ((await group.expect_message()).text or "")
        url = f"http://127.0.0.1:{bot.runtime.web_port}/healthz"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            body = await response.json()
        assert body["can_read_all_group_messages"] is True and "warnings" not in body


async def test_on_wecom_a_resident_outside_the_corp_gets_the_award_note_in_the_group(database_url: str) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        await building(bot)
        group = await wecom.group(B1, "1号楼企业微信群")
        neighbour, head = wecom.user("wangayi"), wecom.user("lilouzhang")
        wecom.api.outsiders.add("wangayi")  # a resident with personal WeChat only: not a member of the corp
        await wecom.grant(neighbour, Role.RESIDENT, B1)
        await wecom.grant(head, Role.BUILDING_HEAD, B1)
        await neighbour.says_in(group, "3单元电梯又坏了，好几天了！")
        card = await wecom.expect_in(group, "📋 工单 #1 · 报修")
        await head.says_in(group, choice(card.content, "确认"))
        line = await wecom.expect_in(group, "获得 2 分：报告问题 #1 已确认")
        assert line.path == "/cgi-bin/webhook/send"  # the group robot: the app's 1:1 send was refused
        refused = [
            c for c in wecom.api.calls if c.path == "/cgi-bin/message/send" and c.body.get("touser") == "wangayi"
        ]
        assert refused and all(not c.ok for c in refused)
        async with unit_of_work(bot.runtime.sessions) as session:
            query = select(PlatformAccount).where(PlatformAccount.platform_user_id == "wangayi")
            assert (await session.exec(query)).one().private_chat == PrivateChat.CLOSED


async def refused_on_wecom(wecom: WeComSide, who: WeComUser) -> bool:
    """The app tried to write to `who` 1:1 and WeCom refused every time (not a member of the corp)."""
    tried = [c for c in wecom.api.calls if c.path == "/cgi-bin/message/send" and c.body.get("touser") == who.userid]
    return bool(tried) and all(not c.ok for c in tried)


async def assigned_on_wecom(wecom: WeComSide, group: WeComGroup, reporter: WeComUser, volunteer: WeComUser) -> None:
    """The reporter's lift report in the WeCom group is confirmed by the 楼栋长 and assigned to the volunteer."""
    head = wecom.user("lilouzhang")
    await wecom.grant(reporter, Role.RESIDENT, B1, name="王阿姨")
    await wecom.grant(head, Role.BUILDING_HEAD, B1)
    await wecom.grant(volunteer, Role.VOLUNTEER, B1, name="陈师傅")
    await reporter.says_in(group, "3单元电梯又坏了，好几天了！")
    card = await wecom.expect_in(group, "📋 工单 #1 · 报修")
    await head.says_in(group, choice(card.content, "确认"))
    confirmed = await wecom.expect_in(group, "已确认，待派单")
    await head.says_in(group, choice(confirmed.content, "派单"))
    picker = await wecom.expect_in(group, "#1 派给谁处理？")
    await head.says_in(group, choice(picker.content, "陈师傅"))


async def test_on_wecom_a_reporter_outside_the_corp_is_asked_in_the_group_and_reopens_it_there(
    database_url: str,
) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        await building(bot)
        group = await wecom.group(B1, "1号楼企业微信群")
        reporter, volunteer = wecom.user("wangayi"), wecom.user("chenzhiyuan")
        wecom.api.outsiders.add("wangayi")  # personal WeChat only: the app cannot write to her 1:1
        await assigned_on_wecom(wecom, group, reporter, volunteer)
        job = await volunteer.expect_private("您有新的派单：工单 #1")
        await volunteer.says_privately(choice(job.content, "已处理"))

        asked = await wecom.expect_in(group, "王阿姨，您反映的问题 #1「3单元电梯又坏了，好几天了！」已处理。修好了吗？")
        assert asked.path == "/cgi-bin/webhook/send" and "没解决" in asked.content
        assert await refused_on_wecom(wecom, reporter)
        await reporter.says_in(group, choice(asked.content, "没解决"))
        await wecom.expect_in(group, "居民反馈没解决")
        await volunteer.expect_private("⚠️ 居民反馈工单 #1「3单元电梯又坏了，好几天了！」没解决，已重新打开")


async def test_on_wecom_an_assignee_outside_the_corp_is_named_in_the_group_to_at_the_bot(database_url: str) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        await building(bot)
        group = await wecom.group(B1, "1号楼企业微信群")
        volunteer = wecom.user("chenzhiyuan")
        wecom.api.outsiders.add("chenzhiyuan")
        await assigned_on_wecom(wecom, group, wecom.user("wangayi"), volunteer)
        knock = await wecom.expect_in(group, "陈师傅，有一条给您的消息，我没法私信您：请在这里 @ 我")
        assert knock.path == "/cgi-bin/webhook/send" and "电梯" not in knock.content
        assert await refused_on_wecom(wecom, volunteer)


async def test_event_reminders_reach_a_resident_who_never_started_the_bot_by_the_group_line(
    database_url: str,
) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        grandpa = bot.person("孙大爷", started_bot=False)
        await bot.grant(grandpa, Role.RESIDENT, B1)
        await publish(bot, w, ["义诊", "明天上午9点", "社区活动室", "不限"])
        card = await w.group.expect_message("🎪 义诊")
        await grandpa.presses(w.group, card, "报名")
        await grandpa.expect_answer("报名成功")
        starts = await first_start(bot)

        clock.now = starts - timedelta(hours=20)
        assert await bot.sweep() == 1
        await w.group.expect_message("⏰ 明天 09:00：「义诊」，地点：社区活动室")
        await bot.settle()
        assert bot.api.messages(grandpa.user.id) == []
        assert await private_chat_of(bot, grandpa) == PrivateChat.CLOSED
        assert [NEVER_STARTED in (row.last_error or "") for row in await refused_rows(bot, grandpa)] == [True]

        clock.now = starts - timedelta(minutes=30)
        assert await bot.sweep() == 1
        await w.group.expect_message("「义诊」还有 30 分钟开始")
        await bot.settle()
        tried = [c for c in bot.api.calls if c.method == "sendMessage" and int(c.params["chat_id"]) == grandpa.user.id]
        assert len(tried) == 1  # known closed since the first reminder: the group line alone, no refused request


async def test_a_place_from_the_waiting_list_knocks_for_a_resident_who_never_started_the_bot(database_url: str) -> None:
    """候补 → 报名 (events/signups): the resident who never opened the private chat is named in the group where the
    place freed up, and the link brings 「已从候补转为正式报名」."""
    async with running_bot(database_url) as bot:
        w = await building(bot)
        grandpa = bot.person("孙大爷", started_bot=False)
        await bot.grant(grandpa, Role.RESIDENT, B1)
        await publish(bot, w, ["义诊", "明天上午9点", "社区活动室", "1"])
        card = await w.group.expect_message("🎪 义诊")
        await w.resident.presses(w.group, card, "报名")
        await w.resident.expect_answer("报名成功")
        await grandpa.presses(w.group, card, "报名")
        await grandpa.expect_answer("候补第 1 位")
        await w.resident.presses(w.group, card, "取消报名")
        knock = await w.group.expect_message("孙大爷，有一条给您的消息，我没法先私信您")
        await grandpa.says(bot.private(grandpa), f"/start {start_payload(knock)}")
        await bot.private(grandpa).expect_message("已从候补转为正式报名：义诊")


async def test_the_shop_reaches_a_resident_who_never_started_the_bot_through_the_group(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        grandpa = bot.person("孙大爷", started_bot=False)
        await bot.grant(grandpa, Role.RESIDENT, B1)
        await award(bot, grandpa, 60, "扫雪")
        desk = bot.private(w.staff)
        await w.staff.says(desk, "上架 大米 50 5")
        await desk.expect_message("已上架：大米")

        await grandpa.says(w.group, "兑换")
        knock = await w.group.expect_message("孙大爷，有一条给您的消息，我没法先私信您")
        private = bot.private(grandpa)
        await grandpa.says(private, f"/start {start_payload(knock)}")
        listing = await private.expect_message("阳光社区爱心超市")
        assert "您的可用积分：60" in (listing.text or "")
        await grandpa.presses(private, listing, "大米")
        await grandpa.presses(private, await private.expect_edit("确认兑换「大米」吗"), "确认兑换")
        card = await private.expect_message("兑换成功：大米")
        code = re.search(r"取货码：(\d{6})", card.text or "")
        assert code is not None

        await grandpa.says(w.group, "兑换")  # the private chat is open now: the shelf goes there
        await w.group.expect_message("爱心超市的货架已私聊发给您")
        await private.expect_message("阳光社区爱心超市")

        await grandpa.blocks_bot()
        await bot.settle()
        await w.staff.says(desk, f"核销 {code.group(1)}")
        await desk.expect_message("已核销：孙大爷 · 大米")
        handed = await w.group.expect_message("孙大爷，有一条给您的消息，我没法先私信您")
        await grandpa.says(private, f"/start {start_payload(handed)}")
        await private.expect_message("您已领取「大米」")


async def test_a_helper_order_from_someone_who_never_started_the_bot_knocks_in_its_group_and_confirms_there(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        runner = await neighbour_of_b1(bot, "钱一")
        runner_chat = await enlist(bot, w, runner, "跑腿")
        grandpa = bot.person("孙大爷", started_bot=False)
        await bot.grant(grandpa, Role.RESIDENT, B1)
        await grandpa.says(w.group, "点单 帮忙买菜，3单元302")
        ask = await w.group.expect_message("🙋 点单 #1「帮忙买菜」")
        await grandpa.presses(w.group, ask, "明天")
        await w.group.expect_edit("已发出")
        card = await runner_chat.expect_message("🙋 点单 #1 · 跑腿")
        await runner.presses(runner_chat, card, "接单")
        details = await runner_chat.expect_message("您接了点单 #1")
        taken = await w.group.expect_message_with("孙大爷，有一条给您的消息")
        assert "买菜" not in (taken.text or "")

        await runner.presses(runner_chat, details, "已完成")
        knock = await w.group.expect_message_with("孙大爷，有一条给您的消息")
        assert "买菜" not in (knock.text or "") and bot.api.messages(grandpa.user.id) == []
        private = bot.private(grandpa)
        await grandpa.says(private, f"/start {start_payload(knock)}")
        question = await private.expect_message("钱一 说点单 #1「帮忙买菜」已完成")
        await grandpa.presses(private, question, "确认完成")
        await private.expect_edit("谢谢确认！点单 #1 已完成")
        await runner_chat.expect_message_with("您获得 10 分：完成点单 #1")
