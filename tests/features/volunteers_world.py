"""The ticket world's building plus volunteers who went through 报到, for the volunteer force's transcripts."""

from __future__ import annotations

from models.people import Role
from tests.features.harness import BotUnderTest, ChatView, Participant
from tests.features.tickets_world import B1, Building


async def neighbour_of_b1(bot: BotUnderTest, name: str) -> Participant:
    """A new resident of 1号楼 who has opened a private chat with the bot."""
    someone = bot.person(name)
    bot.private(someone)
    await bot.grant(someone, Role.RESIDENT, B1)
    return someone


async def enlist(
    bot: BotUnderTest, w: Building, who: Participant, *skills: str, party: bool = False, area: str = "1号楼"
) -> ChatView:
    """志愿者报到 / 党员报到 with these skills, 周末上午, serving `area`, approved by the 社工."""
    chat = bot.private(who)
    await who.says(chat, "党员报到" if party else "志愿者报到")
    form = await chat.expect_message("您能提供哪些服务")
    for skill in skills:
        await who.presses(chat, form, skill)
        form = await chat.expect_edit(skill)
    await who.presses(chat, form, "下一步")
    await chat.expect_edit("什么时间方便服务")
    await who.says(chat, "周末上午")
    areas = await chat.expect_message("您愿意服务的范围")
    await who.presses(chat, areas, area)
    await chat.expect_edit("等待社区审核")
    office = bot.private(w.staff)
    card = await office.expect_message(f"{'党员' if party else '志愿者'}报到：{who.user.display_name}")
    await w.staff.presses(office, card, "批准")
    await office.expect_edit("已由 张社工 批准")
    await chat.expect_message("您的报到已通过")
    return chat
