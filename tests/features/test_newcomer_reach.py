"""Private flows with a resident who never started the bot (issue 13 §3), on the local Bot API that refuses the bot's
private messages to them as Telegram does: a dispute's follow-up, and an award note (docs/reach.md)."""

from __future__ import annotations

from models.people import Role
from tests.features.harness import running_bot
from tests.features.test_newcomer import dispatched, everything_shown
from tests.features.test_reach import start_payload
from tests.features.tickets_world import B1, bind, building

B2 = "阳光社区/第一网格/2号楼"


async def test_a_dispute_follow_up_knocks_in_the_group_and_the_link_brings_its_question(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        grandpa = bot.person("孙大爷", started_bot=False)
        await bot.grant(grandpa, Role.RESIDENT, B1)
        await grandpa.says(w.group, "楼上天天半夜吵，吵死了")
        await w.group.expect_message("已收到一起邻里纠纷反映（#1）")
        head = bot.private(w.head)
        job = await dispatched(bot, w, await head.expect_message("邻里纠纷 #1"), head)
        knock = await w.group.expect_message_with("孙大爷，有一条给您的消息")  # the award for the report, discreetly
        assert start_payload(knock)
        await w.volunteer.presses(bot.private(w.volunteer), job, "已处理")
        await bot.private(w.volunteer).expect_message_with("您获得")

        follow_up = await w.group.expect_message_with("孙大爷，有一条给您的消息")
        await bot.settle()
        shown = everything_shown(bot, w.group)
        for secret in ("半夜", "调解", "矛盾", "获得", "陈志愿", "李楼长"):
            assert secret not in shown, shown
        assert bot.api.messages(grandpa.user.id) == []

        private = bot.private(grandpa)
        await grandpa.says(private, f"/start {start_payload(follow_up)}")
        asked = await private.expect_message("您反映的纠纷 #1 已调解。问题解决了吗？双方还有矛盾吗？")
        assert [label for label, _ in asked.buttons] == ["已解决", "没解决"]
        await grandpa.presses(private, asked, "没解决")
        await private.expect_edit("已重新打开 #1")
        await bot.private(w.volunteer).expect_message_with("没解决，已重新打开")


async def test_an_award_note_for_a_resident_who_never_started_the_bot_goes_to_his_own_group(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        other = bot.group("2号楼业主群")
        await bind(bot, other, B2)
        grandpa = bot.person("孙大爷", started_bot=False)
        await bot.grant(grandpa, Role.RESIDENT, B1)
        await grandpa.says(other, "我来2号楼看孙子")  # a visit: he stays a resident of 1号楼

        desk = bot.private(w.staff)
        await w.staff.says(desk, "/award")
        await w.staff.presses(desk, await desk.expect_message("请先选择楼栋"), "1号楼")
        await w.staff.presses(desk, await desk.expect_edit("给谁加分？"), "孙大爷")
        await w.staff.presses(desk, await desk.expect_edit("给 孙大爷 加几分？"), "+10")
        await w.staff.says(desk, "帮忙看护花坛")
        await desk.expect_message("✅ 已给 孙大爷 加 10 分：帮忙看护花坛")
        await w.group.expect_message("👏 孙大爷 +10 分：帮忙看护花坛")
        note = await w.group.expect_message("🎉 孙大爷 获得 10 分：帮忙看护花坛")
        assert bot.api.messages(grandpa.user.id) == []

        private = bot.private(grandpa)
        await grandpa.says(private, f"/start {start_payload(note)}")
        balances = await private.expect_message("🎉 您获得 10 分：帮忙看护花坛（张社工）")
        assert "可用积分 10 · 终身积分 10" in (balances.text or "")
        await bot.settle()
        assert "孙大爷" not in everything_shown(bot, other).replace("我来2号楼看孙子", "")
