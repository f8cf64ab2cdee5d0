"""The console for an organisation's members and for the 街道 (decision 0021): an organisation's member sees only
the tickets dispatched to or accepted by their organisation — on the board, by URL, in the statistics and the
exports — and may do there only what the chat lets them (接单, 申请挂账, 已处理, 转单); a 街道's member sees their
community whole and may 督办."""

from __future__ import annotations

import io
import re

import aiohttp
import openpyxl

from tests.features.console_world import csrf_of, login_path
from tests.features.harness import BotUnderTest, ManualClock, running_bot, shanghai
from tests.features.orgs_world import OrgWorld, confirmed, dispatched, join, org_world
from tests.features.test_console_orgs import client
from tests.features.tickets_world import bind


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
        assert ">阳光物业</option>" not in page  # an organisation's member filters on their own only
        assert listed((await desk.get("/console", q="漏水"))[1]) == set()
        assert listed((await desk.get("/console", q="#2"))[1]) == set()
        assert (await desk.get("/console/tickets/2"))[0] == 404
        assert (await desk.get("/console/tickets/3"))[0] == 404
        _, text = await desk.get("/console/export.csv")
        assert "电梯" in text and "漏水" not in text and "路灯" not in text
        status, stats = await desk.get("/console/stats")
        assert status == 200 and "<strong>1</strong>" in stats

        status, page = await desk.get("/console/tickets/1")
        offered = {a for a in ("accept", "return", "transfer", "dispatch", "escalate", "close", "supervise", "hold")
                   if f'data-action="{a}"' in page}  # fmt: skip
        assert offered == {"accept", "return", "transfer"}
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
        keeper_org = re.search(r'<option value="(\d+)" >阳光物业</option>', page)
        assert keeper_org is not None and "幸福街道</option>" not in page  # the 单位 filter: the community's own
        assert listed((await desk.get("/console", org=keeper_org.group(1)))[1]) == {2}
        _, stats = await desk.get("/console/stats")
        by_org = stats.split("按单位")[1].split("</table>")[0]
        assert "阳光物业</td><td>1</td>" in by_org and "迅达电梯维保</td><td>1</td>" in by_org
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


async def test_organisations_are_ranked_in_the_monthly_post_the_page_and_the_excel(database_url: str) -> None:
    clock = ManualClock(shanghai(2026, 11, 20, 10, 0))
    async with running_bot(database_url, clock=clock) as bot, aiohttp.ClientSession() as http:
        w = await org_world(bot)
        staff_group = bot.group("社区工作群")
        await bind(bot, staff_group, "阳光社区")
        await dispatched(bot, w, "3单元电梯又坏了", "迅达电梯维保", w.lift)  # never accepted: overdue by December
        job = await dispatched(bot, w, "3单元楼道水管漏水了", "阳光物业", w.keeper)
        keeper = bot.private(w.keeper)
        await w.keeper.presses(keeper, job, "接单")
        await w.keeper.presses(keeper, await keeper.expect_message("您有新的派单：工单 #2"), "已处理")
        await w.group.expect_edit("已处理")

        clock.now = shanghai(2026, 12, 1, 9, 30)
        await bot.sweep()
        post = await staff_group.expect_message("阳光社区 2026-11 月度排名通报")
        assert "单位：1. 阳光物业（" in (post.text or "") and "2. 迅达电梯维保（" in (post.text or "")

        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        status, page = await desk.get("/console/rankings")
        table = page.split('data-kind="organisation"')[1].split("</table>")[0]
        assert status == 200 and table.index("阳光物业") < table.index("迅达电梯维保") < table.index("供电公司")
        assert "幸福街道" not in table  # the 街道 is above the community, not ranked in it
        cookie = {"Cookie": f"linli_console={desk.cookie}"}
        async with http.get(desk.base + "/console/rankings/1.xlsx", headers=cookie) as r:
            rows = list(openpyxl.load_workbook(io.BytesIO(await r.read())).worksheets[0].values)
        header, orgs = rows[0], [row for row in rows[1:] if row[0] == "单位"]
        assert [(row[1], row[2]) for row in orgs] == [(1, "阳光物业"), (2, "迅达电梯维保"), (None, "供电公司")]
        figures = dict(zip(header, orgs[1], strict=True))
        assert figures["新登记"] == 1 and figures["超时占比"] == 1.0 and figures["得分"] == 38.0

        member = client(bot, http)
        assert await member.sign_in(await login_path(bot, w.lift)) == 303
        assert "迅达电梯维保" in (await member.get("/console/rankings/1"))[1]  # the ranked see their ranking
