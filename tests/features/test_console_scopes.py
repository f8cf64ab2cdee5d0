"""The console for an organisation's members and for the 街道 (decision 0021): an organisation's member sees only
the tickets dispatched to or accepted by their organisation — on the board, by URL, in the statistics and the
exports — and may do there only what the chat lets them (接单, 申请挂账, 已处理, 转单); a 街道's member sees their
community whole and may 督办."""

from __future__ import annotations

import io

import aiohttp
import openpyxl

from tests.features.console_world import csrf_of, login_path
from tests.features.harness import BotUnderTest, running_bot
from tests.features.orgs_world import OrgWorld, confirmed, dispatched, join, org_world
from tests.features.test_console_orgs import client


async def three_tickets(bot: BotUnderTest, w: OrgWorld) -> None:
    """#1 with the lift contractor, #2 with 物业, #3 confirmed and not dispatched to anyone."""
    await dispatched(bot, w, "3单元电梯又坏了", "迅达电梯维保", w.lift)
    await dispatched(bot, w, "3单元楼道水管漏水了", "阳光物业", w.keeper)
    await confirmed(w, "2单元门口的路灯不亮了", "工单 #3")


def listed(page: str) -> set[int]:
    return {n for n in (1, 2, 3) if f'href="/console/tickets/{n}"' in page}


async def test_an_organisations_member_sees_and_does_only_their_organisations_tickets(database_url: str) -> None:
    async with running_bot(database_url) as bot, aiohttp.ClientSession() as http:
        w = await org_world(bot)
        await three_tickets(bot, w)
        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.lift)) == 303
        status, page = await desk.get("/console")
        assert status == 200 and listed(page) == {1} and "迅达电梯维保" in page
        assert listed((await desk.get("/console", q="漏水"))[1]) == set()
        assert listed((await desk.get("/console", q="#2"))[1]) == set()
        assert (await desk.get("/console/tickets/2"))[0] == 404
        assert (await desk.get("/console/tickets/3"))[0] == 404
        _, text = await desk.get("/console/export.csv")
        assert "电梯" in text and "漏水" not in text and "路灯" not in text
        status, stats = await desk.get("/console/stats")
        assert status == 200 and "<strong>1</strong>" in stats

        status, page = await desk.get("/console/tickets/1")
        offered = {a for a in ("accept", "transfer", "dispatch", "escalate", "close", "supervise", "hold")
                   if f'data-action="{a}"' in page}  # fmt: skip
        assert offered == {"accept", "transfer"}
        status, _, _ = await desk.post("/console/tickets/1/accept", {})
        assert status == 403  # no CSRF token
        status, _, _ = await desk.post("/console/tickets/2/accept", {"csrf": csrf_of(page)})
        assert status == 404  # another organisation's ticket, by its URL
        status, _, refused = await desk.post("/console/tickets/1/escalate", {"csrf": csrf_of(page)})
        assert status == 403 and "没有权限" in refused
        await bot.private(w.keeper).expect_nothing()

        status, _, _ = await desk.post("/console/tickets/1/accept", {"csrf": csrf_of(page)})
        assert status == 303
        lift = bot.private(w.lift)
        await lift.expect_edit("已接单 #1")
        await lift.expect_message("您有新的派单：工单 #1")
        await w.group.expect_edit("孙师傅")
        status, page = await desk.get("/console/tickets/1")
        assert 'data-action="accept"' not in page and 'data-action="request_hold"' in page
        status, _, refused = await desk.post(
            "/console/tickets/1/request_hold", {"csrf": csrf_of(page), "text": "等电梯配件"}
        )
        assert status == 403 and "没看懂预计日期" in refused
        status, _, _ = await desk.post(
            "/console/tickets/1/request_hold", {"csrf": csrf_of(page), "text": "等电梯配件 12月10日"}
        )
        assert status == 303
        await bot.private(w.grid_worker).expect_message("申请挂账")
        await w.group.expect_edit("申请挂账：等电梯配件")

        status, page = await desk.get("/console/tickets/1")
        assert 'data-action="request_hold"' not in page and 'data-action="resolve"' in page
        status, _, _ = await desk.post("/console/tickets/1/resolve", {"csrf": csrf_of(page)})
        assert status == 303
        await lift.expect_edit("#1")
        await w.group.expect_edit("已处理")


async def test_a_street_member_sees_the_whole_community_and_supervises(database_url: str) -> None:
    async with running_bot(database_url) as bot, aiohttp.ClientSession() as http:
        w = await org_world(bot)
        street = bot.person("吴街道")
        await join(bot, w.staff, street, "幸福街道")
        await three_tickets(bot, w)
        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, street)) == 303
        status, page = await desk.get("/console")
        assert listed(page) == {1, 2, 3} and "阳光社区" in page
        cookie = {"Cookie": f"linli_console={desk.cookie}"}
        async with http.get(desk.base + "/console/export.xlsx", headers=cookie) as r:
            book = openpyxl.load_workbook(io.BytesIO(await r.read()))
        assert [row[0] for row in list(book.worksheets[0].values)[1:]] == [3, 2, 1]

        status, page = await desk.get("/console/tickets/2")
        assert 'data-action="supervise"' in page and 'data-action="dispatch"' not in page
        status, _, refused = await desk.post("/console/tickets/3/dispatch", {"csrf": csrf_of(page), "choice": "1"})
        assert status == 403 and "没有权限" in refused
        status, _, _ = await desk.post("/console/tickets/2/supervise", {"csrf": csrf_of(page)})
        assert status == 303
        chased = await bot.private(w.keeper).expect_message("🔔 督办：工单 #2")
        assert "督办人：吴街道" in (chased.text or "")


async def test_revoking_the_org_member_role_closes_the_console(database_url: str) -> None:
    async with running_bot(database_url) as bot, aiohttp.ClientSession() as http:
        w = await org_world(bot)
        await dispatched(bot, w, "3单元电梯又坏了", "迅达电梯维保", w.lift)
        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.lift)) == 303
        assert (await desk.get("/console/tickets/1"))[0] == 200
        office = bot.private(w.staff)
        await w.staff.says(office, "身份管理")
        await w.staff.presses(office, await office.expect_message("阳光社区的身份"), "孙师傅")
        await w.staff.expect_answer("已撤销单位成员身份")
        assert (await desk.get("/console/tickets/1"))[0] == 401
