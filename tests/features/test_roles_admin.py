"""Transcripts of roles given and taken in chat: a one-time link for one person, the holders with 撤销, a handover
that moves the open tickets, and the record of every change in /me."""

from __future__ import annotations

import re

from tests.features.harness import BotUnderTest, ChatView, Participant, running_bot
from tests.features.tickets_world import building


def start_code(text: str | None) -> str:
    found = re.search(r"start=([\w-]+)", text or "")
    assert found, text
    return found.group(1)


async def accept(bot: BotUnderTest, who: Participant, code: str) -> ChatView:
    chat = bot.private(who)
    await who.says(chat, f"/start {code}")
    return chat


async def test_staff_grant_a_role_by_link_and_revoke_it_from_the_list(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        office = bot.private(w.staff)
        await w.staff.says(w.group, "/grant 楼栋长 2号楼")
        await w.group.expect_message("身份管理请在与我的私聊里进行")
        await w.head.says(bot.private(w.head), "授权 楼栋长 2号楼")
        await bot.private(w.head).expect_message("只有社区工作人员可以管理身份")
        await w.staff.says(office, "授权 楼栋长 9号楼")
        await office.expect_message("没有找到「9号楼」")
        await w.staff.says(office, "授权 楼栋长")
        await office.expect_message("楼栋长要授予在某一栋楼上")

        await w.staff.says(office, "授权 楼栋长 2号楼")
        link = await office.expect_message("「楼栋长 · 阳光社区 · 第一网格 · 2号楼」的邀请链接")
        code = start_code(link.text)
        newcomer = bot.person("周新")
        welcome = await accept(bot, newcomer, code)
        await welcome.expect_message("您已成为「阳光社区 · 第一网格 · 2号楼」的楼栋长")
        await office.expect_message("周新 已接受邀请，成为「楼栋长 · 阳光社区 · 第一网格 · 2号楼」")
        late = bot.person("吴迟")
        await (await accept(bot, late, code)).expect_message("已经被使用过了")

        await w.staff.says(office, "身份管理")
        roster = await office.expect_message("阳光社区的身份（共 4 个）")
        for line in (
            "李楼长 — 楼栋长 · 1号楼",
            "陈志愿 — 志愿者 · 1号楼",
            "赵网格 — 网格员 · 第一网格",
            "周新 — 楼栋长 · 2号楼",
        ):
            assert line in (roster.text or ""), line
        await w.staff.presses(office, roster, "撤销 3. 陈志愿")
        await w.staff.expect_answer("已撤销志愿者身份")
        edited = await office.expect_edit("共 3 个")
        assert "陈志愿" not in (edited.text or "")
        told = bot.private(w.volunteer)
        await told.expect_message("您的「志愿者 · 阳光社区 · 第一网格 · 1号楼」身份已由 张社工 撤销")

        await w.volunteer.says(told, "/me")
        me = (await told.expect_message("您还没有任何身份")).text or ""
        assert "撤销 志愿者 · 阳光社区 · 第一网格 · 1号楼（张社工 撤销）" in me
        await w.staff.says(office, "/me")
        assert "获得" not in ((await office.expect_message("张社工，您的身份")).text or "")
        await newcomer.says(welcome, "/me")
        assert "获得 楼栋长 · 阳光社区 · 第一网格 · 2号楼（张社工 授予）" in (
            (await welcome.expect_message("周新，您的身份")).text or ""
        )


async def test_a_handover_ends_the_old_grant_and_moves_the_open_tickets(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "3单元电梯又坏了，好几天了！")
        card = await w.group.expect_message("📋 工单 #1 · 报修")
        await w.head.presses(w.group, card, "确认")
        await w.group.expect_edit("已确认，待派单")
        await w.head.presses(w.group, card, "派单")
        chooser = await w.group.expect_message("#1 派给谁处理？")
        await w.head.presses(w.group, chooser, "李楼长")
        await w.group.expect_edit("已派单给 李楼长")
        await bot.private(w.head).expect_message("您有新的派单：工单 #1")

        office = bot.private(w.staff)
        await w.staff.says(office, "/roles")
        roster = await office.expect_message("阳光社区的身份")
        await w.staff.presses(office, roster, "移交 2")
        link = await office.expect_message("交接「楼栋长 · 阳光社区 · 第一网格 · 1号楼」（现任：李楼长）的链接")
        successor = bot.person("孙接班")
        welcome = await accept(bot, successor, start_code(link.text))
        await welcome.expect_message("您已成为「阳光社区 · 第一网格 · 1号楼」的楼栋长")  # the welcome, then the work
        await welcome.expect_message("您有新的派单：工单 #1")
        await w.group.expect_edit("已派单给 孙接班")
        await bot.private(w.head).expect_message("已交接给 孙接班")
        await office.expect_message("孙接班 已接任「楼栋长 · 阳光社区 · 第一网格 · 1号楼」，李楼长的身份已撤销")

        await w.head.says(bot.private(w.head), "/me")
        me = (await bot.private(w.head).expect_message("您还没有任何身份")).text or ""
        assert "移交 楼栋长 · 阳光社区 · 第一网格 · 1号楼（张社工 安排交接）" in me
        await bot.private(w.resident).expect_message("您获得 2 分：报告问题 #1 已确认")
        await w.resident.says(bot.private(w.resident), "/ticket 1")
        assert "身份交接" in ((await bot.private(w.resident).expect_message("处理记录")).text or "")
        await (await accept(bot, bot.person("钱再来"), start_code(link.text))).expect_message("已经被使用过了")
