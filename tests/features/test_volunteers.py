"""Transcripts of the volunteer force: 党员报到 with approval, 志愿服务队, and 点单 → 接单 → 已完成 → 确认 → points
once (also with the update delivered twice and across a restart), 派单 of an untaken request, auto-confirmation."""

from __future__ import annotations

import copy
from typing import Any

from sqlmodel import select

from bot.db import unit_of_work
from models.passbook import LedgerEntry
from sandbox.demo import DEMO_PEOPLE, seed_demo
from sandbox.server import LocalBotApi
from tests.features.harness import DEFAULT_START, TOKEN, BotUnderTest, ManualClock, running_bot
from tests.features.test_roles_admin import start_code
from tests.features.test_typed_inputs import APOLOGY, HUGE
from tests.features.tickets_world import building
from tests.features.volunteers_world import enlist, neighbour_of_b1


async def help_points(bot: BotUnderTest) -> list[tuple[int, str | None]]:
    async with unit_of_work(bot.runtime.sessions) as session:
        rows = (await session.exec(select(LedgerEntry).where(LedgerEntry.source == "help"))).all()
        return [(row.delta, row.idempotency_key) for row in rows]


async def test_a_party_member_reports_is_approved_and_leads_a_team(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        member = await neighbour_of_b1(bot, "周党员")
        chat = bot.private(member)
        await member.says(w.group, "党员报到")
        await w.group.expect_message("报到请在与我的私聊里进行")
        await member.says(chat, "党员报到")
        form = await chat.expect_message("党员报到：您能提供哪些服务？")
        await member.presses(chat, form, "下一步")
        await member.expect_answer("请至少选择一项服务")
        await enlist(bot, w, member, "陪伴", "跑腿", party=True)
        office = bot.private(w.staff)
        await member.says(chat, "/me")
        me = (await chat.expect_message("周党员，您的身份")).text or ""
        assert "志愿者 · 阳光社区 · 第一网格 · 1号楼" in me and "（张社工 授予）" in me

        await w.resident.says(bot.private(w.resident), "新建服务队 助老服务队 陪伴")
        await bot.private(w.resident).expect_message("只有社区工作人员可以管理服务队")
        await w.staff.says(office, "新建服务队 助老服务队 陪伴")
        await office.expect_message("已建立「助老服务队」（陪伴）")
        await w.resident.says(bot.private(w.resident), "服务队")
        listing = await bot.private(w.resident).expect_message("阳光社区的志愿服务队")
        await w.resident.presses(bot.private(w.resident), listing, "加入 助老服务队")
        await w.resident.expect_answer("请先发送「志愿者报到」")
        await member.says(chat, "服务队")
        listing = await chat.expect_message("· 助老服务队（陪伴）队长：待定，0 人")
        assert [label for label, _ in listing.buttons] == ["加入 助老服务队"]
        await member.presses(chat, listing, "加入 助老服务队")
        await member.expect_answer("已加入「助老服务队」")
        await chat.expect_edit("队长：待定，1 人")
        await w.staff.says(office, "服务队")
        listing = await office.expect_message("阳光社区的志愿服务队")
        await w.staff.presses(office, listing, "助老服务队 队员")
        members = await office.expect_edit("「助老服务队」的队员：周党员")
        await w.staff.presses(office, members, "设 周党员 为队长")
        await office.expect_edit("「助老服务队」的队长是 周党员")
        await chat.expect_message("您已被设为「助老服务队」的队长")


def again(update: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(update)


async def test_the_first_of_two_volunteers_takes_a_request_that_is_paid_once(database_url: str) -> None:
    api = LocalBotApi(token=TOKEN, can_read_all_group_messages=True)
    await api.start()
    try:
        async with running_bot(database_url, api=api) as bot:
            w = await building(bot)
            first, second = await neighbour_of_b1(bot, "钱一"), await neighbour_of_b1(bot, "孙二")
            first_chat = await enlist(bot, w, first, "跑腿")
            second_chat = await enlist(bot, w, second, "跑腿", "维修")
            await w.resident.says(w.group, "点单")
            await w.group.expect_message("请在「点单」后面写上需要什么帮助")
            await w.resident.says(w.group, "点单 帮忙买菜，3单元302，电话13800138000")
            ask = await w.group.expect_message("🙋 点单 #1「帮忙买菜」\n什么时候需要？")
            assert "13800138000" not in (ask.text or "") and "302" not in (ask.text or "")
            await w.neighbour.presses(w.group, ask, "明天")
            await w.neighbour.expect_answer("请点单的居民本人选择")
            await w.resident.presses(w.group, ask, "明天")
            await w.group.expect_edit("已发出，有志愿者接单后会告诉您")
            card_one = await first_chat.expect_message("🙋 点单 #1 · 跑腿")
            card_two = await second_chat.expect_message("🙋 点单 #1 · 跑腿")
            assert "⏰ 明天" in (card_one.text or "") and "13800138000" not in (card_one.text or "")
            seeded = bot.private(w.volunteer)
            await seeded.expect_message("🙋 点单 #1 · 跑腿")  # a volunteer without a 报到 has named no skills
            await w.neighbour.says(bot.private(w.neighbour), "待接单")
            await bot.private(w.neighbour).expect_message("只有为这里服务的志愿者可以接单")

            await first.presses(first_chat, card_one, "接单")
            await first.expect_answer("接单成功")
            await second.presses(second_chat, card_two, "接单")
            await second.expect_answer("已被接单（钱一）")
            await second_chat.expect_edit("✅ 已被 钱一 接单")
            await seeded.expect_edit("✅ 已被 钱一 接单")
            details = await first_chat.expect_message("您接了点单 #1：「帮忙买菜」")
            assert "3单元302" in (details.text or "") and "13800138000" in (details.text or "")
            resident = bot.private(w.resident)
            await resident.expect_message("志愿者 钱一 接了您的点单 #1")
            for chat in (second_chat, w.group):
                assert not any("13800138000" in text for text in bot.api.sent_texts(chat.id))

            await w.resident.presses(first_chat, details, "已完成")
            await w.resident.expect_answer("只有接单的志愿者可以标记完成")
            await first.presses(first_chat, details, "已完成")
            await first_chat.expect_edit("已标记点单 #1 完成")
            question = await resident.expect_message("钱一 说点单 #1「帮忙买菜」已完成")
            confirm = await w.resident.presses(resident, question, "确认完成")
            await resident.expect_edit("谢谢确认！点单 #1 已完成")
            await first_chat.expect_message("您获得 10 分：完成点单 #1（帮忙买菜）")
            bot.api.inject_raw(again(confirm))
            await bot.settle()
            assert await help_points(bot) == [(10, "help:1:confirmed")]

        async with running_bot(database_url, api=api) as bot:  # a restart: the press delivered once more
            bot.api.inject_raw(again(confirm))
            await bot.settle()
            await first_chat.expect_nothing()
            assert await help_points(bot) == [(10, "help:1:confirmed")]
            await w.resident.says(resident, "点单详情 1")
            history = (await resident.expect_message("处理记录")).text or ""
            for step in ("点单", "发出", "钱一：接单", "钱一：完成", "王小明：确认完成"):
                assert step in history, step
    finally:
        await api.stop()


async def test_an_untaken_request_goes_to_staff_who_dispatch_it_and_it_confirms_itself(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot:
        w = await building(bot)
        member = await neighbour_of_b1(bot, "周党员")
        member_chat = await enlist(bot, w, member, "陪伴", party=True)
        office = bot.private(w.staff)
        await w.staff.says(office, "新建服务队 助老服务队 陪伴")
        await office.expect_message("已建立")
        team_group = bot.group("助老服务队群")
        await w.staff.says(team_group, "绑定服务队 助老服务队")
        await team_group.expect_message("本群已绑定为「助老服务队」的群")

        resident = bot.private(w.resident)
        await w.resident.says(resident, "求助 想找人陪我聊聊天")
        ask = await resident.expect_message("什么时候需要？")
        await w.resident.presses(resident, ask, "本周内")
        await resident.expect_edit("已发出")
        card = await team_group.expect_message("🙋 点单 #1 · 陪伴")
        await member_chat.expect_nothing()  # the team's group has it, not every volunteer privately
        await member.says(member_chat, "待接单")  # but a volunteer can look for open requests
        listed = await member_chat.expect_message("🙋 点单 #1 · 陪伴")
        assert [label for label, _ in listed.buttons] == ["🙋 接单"]

        clock.advance(hours=3)
        assert await bot.sweep() == 0
        clock.advance(hours=2)
        assert await bot.sweep() >= 1
        await office.expect_message("⚠️ 点单 #1 还没有人接：「想找人陪我聊聊天」")
        await w.staff.says(office, "派单 1 无名氏")
        await office.expect_message("没有找到为这里服务的志愿者「无名氏」")
        await w.staff.says(office, "派单 1 周党员")
        await office.expect_message("已把点单 #1 派给 周党员")
        job = await member_chat.expect_message("社区派给您点单 #1：「想找人陪我聊聊天」")
        taken = await team_group.expect_edit("✅ 已被 周党员 接单")
        assert taken.message_id == card.message_id and taken.buttons == []
        await member_chat.expect_edit("✅ 已被 周党员 接单")  # the listed card follows
        await w.staff.says(office, "派单 1 周党员")
        await office.expect_message("点单 #1 现在不能派")

        await resident.expect_message("志愿者 周党员 接了您的点单 #1")
        await member.presses(member_chat, job, "已完成")
        await resident.expect_message("周党员 说点单 #1「想找人陪我聊聊天」已完成")
        clock.advance(hours=47)
        await bot.sweep()
        await resident.expect_nothing()
        clock.advance(hours=2)
        await bot.sweep()
        await resident.expect_message("已自动确认")
        await member_chat.expect_message("您获得 10 分：完成点单 #1")
        await team_group.expect_edit("居民已确认")
        assert await help_points(bot) == [(10, "help:1:confirmed")]
        await w.staff.says(office, "点单详情 1")
        history = (await office.expect_message("处理记录")).text or ""
        for step in ("无人接单，转社区", "张社工：社区派单", "周党员：完成", "系统：自动确认"):
            assert step in history, step
        for number in ("1²", HUGE):
            await w.staff.says(office, f"点单详情 {number}")
            assert (await office.expect_message()).text == f"没有这个编号：{number}"
        assert APOLOGY not in bot.api.sent_texts(office.id) and await bot.set_aside() == 0


async def test_a_volunteer_granted_on_a_building_in_chat_takes_a_request_without_a_report(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        office = bot.private(w.staff)
        await w.staff.says(office, "授权 志愿者 1号楼")
        link = await office.expect_message("「志愿者 · 阳光社区 · 第一网格 · 1号楼」的邀请链接")
        helper = bot.person("吴热心")
        chat = bot.private(helper)
        await helper.says(chat, f"/start {start_code(link.text)}")
        await chat.expect_message("您已成为「阳光社区 · 第一网格 · 1号楼」的志愿者")
        await office.expect_message("吴热心 已接受邀请，成为「志愿者 · 阳光社区 · 第一网格 · 1号楼」")

        resident = bot.private(w.resident)
        await w.resident.says(resident, "求助 帮忙取快递")
        await w.resident.presses(resident, await resident.expect_message("什么时候需要？"), "今天")
        await resident.expect_edit("已发出")
        await chat.expect_message("🙋 点单 #1 · 跑腿")  # offered: a volunteer without a 报到 has named no skills
        await helper.says(chat, "待接单")
        listed = await chat.expect_message("🙋 点单 #1 · 跑腿")
        await helper.presses(chat, listed, "接单")
        await helper.expect_answer("接单成功")
        await chat.expect_message("您接了点单 #1：「帮忙取快递」")
        await resident.expect_message("志愿者 吴热心 接了您的点单 #1")


async def test_the_sandbox_demos_volunteer_finds_its_open_request_and_takes_it(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        async with unit_of_work(bot.runtime.sessions) as session:
            await seed_demo(session, platform="telegram", now=DEFAULT_START)
        people = [bot.person(who.name) for who in DEMO_PEOPLE]
        assert [str(p.user.id) for p in people] == [who.platform_user_id for who in DEMO_PEOPLE]
        volunteer = next(p for p in people if p.user.display_name == "陈志愿")
        chat = bot.private(volunteer)
        await volunteer.says(chat, "待接单")
        card = await chat.expect_message("🙋 点单 #1 · 跑腿")
        assert "帮忙买菜" in (card.text or "") and "1单元201" not in (card.text or "")
        await volunteer.presses(chat, card, "接单")
        await volunteer.expect_answer("接单成功")
        details = await chat.expect_message("您接了点单 #1：「帮忙买菜」")
        assert "1单元201" in (details.text or "")
