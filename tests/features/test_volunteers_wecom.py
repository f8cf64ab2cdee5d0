"""The volunteer force on WeCom (typed choices instead of buttons): a role granted by invite code and revoked,
党员报到 with approval, and a 点单 from a WeCom group taken by the first of two volunteers and paid once,
by volunteers on Telegram and by volunteers who are only on WeCom."""

from __future__ import annotations

import re

from models.people import Role
from tests.features.harness import ManualClock
from tests.features.test_roles_admin import start_code
from tests.features.test_wecom import choice
from tests.features.tickets_world import B1, building
from tests.features.volunteers_world import enlist, neighbour_of_b1
from tests.features.wecom_world import running_bot_with_wecom


async def test_a_role_by_invite_code_and_a_party_member_report_on_wecom(database_url: str) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        w = await building(bot)
        office = bot.private(w.staff)
        await w.staff.says(office, "授权 楼栋长 2号楼")
        code = re.search(r"/start (\S+)", (await office.expect_message("的邀请链接")).text or "")
        assert code
        head = wecom.user("zhouxin")
        await head.says_privately(f"/start {code.group(1)}")
        await head.expect_private("您已成为「阳光社区 · 第一网格 · 2号楼」的楼栋长")
        await office.expect_message("已接受邀请，成为「楼栋长 · 阳光社区 · 第一网格 · 2号楼」")
        await w.staff.says(office, "身份管理")
        roster = await office.expect_message("阳光社区的身份")
        await w.staff.presses(office, roster, "撤销 4.")
        await w.staff.expect_answer("已撤销楼栋长身份")
        await head.expect_private("您的「楼栋长 · 阳光社区 · 第一网格 · 2号楼」身份已由 张社工 撤销")

        member = wecom.user("zhoudangyuan")
        await wecom.grant(member, Role.RESIDENT, B1)
        await member.says_privately("党员报到")
        form = await member.expect_private("党员报到：您能提供哪些服务？")
        await member.says_privately(choice(form.content, "陪伴"))
        form = await member.expect_private("已选：陪伴")
        await member.says_privately(choice(form.content, "下一步"))
        await member.expect_private("什么时间方便服务？")
        await member.says_privately("周末上午")
        areas = await member.expect_private("您愿意服务的范围")
        await member.says_privately(choice(areas.content, "1号楼"))
        await member.expect_private("等待社区审核")
        card = await office.expect_message("党员报到：")
        assert "服务：陪伴" in (card.text or "") and "时间：周末上午" in (card.text or "")
        await w.staff.presses(office, card, "批准")
        await member.expect_private("您的报到已通过")


async def test_a_request_from_a_wecom_group_is_taken_on_telegram_and_confirmed_on_wecom(database_url: str) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        w = await building(bot)
        first, second = await neighbour_of_b1(bot, "钱一"), await neighbour_of_b1(bot, "孙二")
        first_chat = await enlist(bot, w, first, "跑腿")
        second_chat = await enlist(bot, w, second, "跑腿")
        group = await wecom.group(B1, "1号楼企业微信群")
        resident = wecom.user("wangayi")

        await resident.says_in(group, "点单 帮忙交水费，电话13800138000")
        ask = await wecom.expect_in(group, "什么时候需要？")
        assert "13800138000" not in ask.content
        await resident.says_in(group, choice(ask.content, "今天"))
        await wecom.expect_in(group, "已发出")
        card_one = await first_chat.expect_message("🙋 点单 #1 · 跑腿")
        card_two = await second_chat.expect_message("🙋 点单 #1 · 跑腿")
        await first.presses(first_chat, card_one, "接单")
        await second.presses(second_chat, card_two, "接单")
        await second.expect_answer("已被接单（钱一）")
        details = await first_chat.expect_message("您接了点单 #1：「帮忙交水费」")
        assert "13800138000" in (details.text or "")
        await resident.expect_private("志愿者 钱一 接了您的点单 #1")

        await first.presses(first_chat, details, "已完成")
        question = await resident.expect_private("钱一 说点单 #1「帮忙交水费」已完成")
        await resident.says_privately(choice(question.content, "确认完成"))
        await resident.expect_private("谢谢确认！点单 #1 已完成")
        await first_chat.expect_message("您获得 10 分：完成点单 #1（帮忙交水费）")
        await resident.says_privately(choice(question.content, "确认完成"))  # typed once more: nothing twice
        await bot.settle()
        paid = [c for c in bot.api.sent_texts(first_chat.id) if "您获得" in c]
        assert len(paid) == 1
        assert not any("13800138000" in c.content for c in wecom.robot_messages(group))


async def test_two_wecom_volunteers_type_take_and_the_first_one_wins(database_url: str) -> None:
    """Volunteers who are only on WeCom type 接单 (a typed choice, no button); the second is told who was first."""
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        await building(bot)
        group = await wecom.group(B1, "1号楼企业微信群")
        resident, first, second = wecom.user("wangayi"), wecom.user("qianyi"), wecom.user("suner")
        for volunteer in (first, second):
            await wecom.grant(volunteer, Role.VOLUNTEER, B1)

        await resident.says_in(group, "点单 帮忙取药，电话13800138000")
        ask = await wecom.expect_in(group, "什么时候需要？")
        await resident.says_in(group, choice(ask.content, "今天"))
        await wecom.expect_in(group, "已发出")
        card_one = await first.expect_private("🙋 点单 #1")
        card_two = await second.expect_private("🙋 点单 #1")
        assert "13800138000" not in card_one.content + card_two.content

        await first.says_privately(choice(card_one.content, "接单"))
        details = await first.expect_private("您接了点单 #1：「帮忙取药」")
        assert "13800138000" in details.content
        await second.says_privately(choice(card_two.content, "接单"))
        await second.expect_private("已被接单")
        await resident.expect_private("接了您的点单 #1")

        await first.says_privately(choice(details.content, "已完成"))
        question = await resident.expect_private("说点单 #1「帮忙取药」已完成")
        await resident.says_privately(choice(question.content, "确认完成"))
        await resident.expect_private("谢谢确认！点单 #1 已完成")
        await first.expect_private("您获得 10 分：完成点单 #1（帮忙取药）")
        await second.says_privately(choice(card_two.content, "接单"))  # typed again after it was taken: still refused
        await second.expect_private("已被接单")
        assert not any("13800138000" in c.content for c in wecom.robot_messages(group))


async def test_on_wecom_a_successor_takes_over_by_code_and_an_untaken_request_goes_to_staff(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot_with_wecom(database_url, clock=clock) as (bot, wecom):
        w = await building(bot)
        group = await wecom.group(B1, "1号楼企业微信群")
        resident = wecom.user("wangayi")
        await wecom.grant(resident, Role.RESIDENT, B1)
        office = bot.private(w.staff)
        await w.staff.says(office, "身份管理")
        await w.staff.presses(office, await office.expect_message("阳光社区的身份"), "移交 2")
        link = await office.expect_message("交接「楼栋长 · 阳光社区 · 第一网格 · 1号楼」（现任：李楼长）的链接")
        successor = wecom.user("sunjieban")
        await successor.says_privately(f"/start {start_code(link.text)}")
        await successor.expect_private("您已成为「阳光社区 · 第一网格 · 1号楼」的楼栋长")
        await bot.private(w.head).expect_message("已交接给")
        await office.expect_message("已接任「楼栋长 · 阳光社区 · 第一网格 · 1号楼」，李楼长的身份已撤销")
        await resident.says_in(group, "3单元楼道灯坏了")
        card = await wecom.expect_in(group, "📋 工单 #1 · 报修")
        await resident.says_in(group, choice(card.content, "确认"))
        await wecom.expect_in(group, "没有权限")
        await successor.says_in(group, choice(card.content, "确认"))  # the new 楼栋长 confirms on WeCom
        await wecom.expect_in(group, "已确认，待派单")

        await resident.says_in(group, "求助 想找人陪我聊聊天")
        ask = await wecom.expect_in(group, "什么时候需要？")
        await resident.says_in(group, choice(ask.content, "本周内"))
        await wecom.expect_in(group, "已发出")
        clock.advance(hours=5)
        assert await bot.sweep() >= 1
        await office.expect_message("⚠️ 点单 #1 还没有人接：「想找人陪我聊聊天」")
        await w.staff.says(office, "派单 1 陈志愿")
        await office.expect_message("已把点单 #1 派给 陈志愿")
        await bot.private(w.volunteer).expect_message_with("社区派给您点单 #1：「想找人陪我聊聊天」")
        await resident.expect_private("志愿者 陈志愿 接了您的点单 #1")
