"""WeCom has no buttons: a card's choices are numbers to type. A typed choice is a button press and is checked like
one — the role and the area of whoever typed it, and the chat it was typed in (a card's number means nothing in
another chat)."""

from __future__ import annotations

import asyncio

from models.people import Role
from models.tickets import Ticket, TicketStatus
from sandbox.wecom import WeComCall
from tests.features.harness import BotUnderTest
from tests.features.test_wecom import B2, choice
from tests.features.tickets_world import B1, building
from tests.features.wecom_world import WeComGroup, WeComSide, running_bot_with_wecom

NO = "没有权限"


async def status_of_ticket(bot: BotUnderTest) -> str:
    async with bot.runtime.sessions() as session:
        ticket = await session.get(Ticket, 1)
        assert ticket is not None
        return ticket.status


async def refused_times(wecom: WeComSide, group: WeComGroup, times: int) -> WeComCall:
    """Wait until the group has been told `times` times that the one who typed may not do that; the last one."""
    for _ in range(80):
        refusals = [
            c for c in wecom.robot_messages(group) + wecom.api.sent("/cgi-bin/aibot/response") if NO in c.content
        ]
        if len(refusals) >= times:
            assert len(refusals) == times, [c.content for c in refusals]
            return refusals[-1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {times} refusals")


async def test_typed_choices_are_refused_to_the_wrong_role_the_wrong_area_and_in_another_chat(
    database_url: str,
) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        await building(bot)
        first = await wecom.group(B1, "1号楼企业微信群")
        second = await wecom.group(B2, "2号楼企业微信群")
        resident, head, other_head = wecom.user("wangayi"), wecom.user("lilouzhang"), wecom.user("zhaolouzhang")
        await wecom.grant(resident, Role.RESIDENT, B1)
        await wecom.grant(head, Role.BUILDING_HEAD, B1)
        await wecom.grant(other_head, Role.BUILDING_HEAD, B2)

        await resident.says_in(first, "3单元电梯又坏了，好几天了！")
        card = await wecom.expect_in(first, "📋 工单 #1 · 报修")
        confirm = choice(card.content, "确认")
        await resident.says_in(first, confirm)  # a resident: confirming is for the building head
        await refused_times(wecom, first, 1)
        await other_head.says_in(first, confirm)  # a building head, of another building
        await refused_times(wecom, first, 2)
        await head.says_in(second, confirm)  # the right head, in another group: no card has that number there
        await bot.settle()
        assert not [c for c in wecom.api.calls if c.ok and "已确认" in c.content]
        assert await status_of_ticket(bot) == TicketStatus.REPORTED

        await head.says_in(first, confirm)
        confirmed = await wecom.expect_in(first, "已确认，待派单")
        await resident.says_in(first, choice(confirmed.content, "派单"))  # dispatching is for managers too
        refused = await refused_times(wecom, first, 3)
        assert "派单给" not in refused.content
        assert await status_of_ticket(bot) == TicketStatus.CONFIRMED
