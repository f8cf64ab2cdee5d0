"""社区工作台: sign in by a one-time link from the bot, see only one's part of the tree, act on a ticket from the web
as the chat's buttons do; and every way in that should be refused is."""

from __future__ import annotations

import io
import re

import aiohttp
import openpyxl

from tests.features.console_world import COMMUNITY, GRID2, ConsoleClient, csrf_of, login_path, office
from tests.features.harness import BotUnderTest, ManualClock, running_bot, shanghai
from tests.features.test_roles_admin import start_code
from tests.features.test_typed_inputs import HUGE
from tests.features.tickets_world import bind


def client(bot: BotUnderTest, http: aiohttp.ClientSession) -> ConsoleClient:
    return ConsoleClient(http, f"http://127.0.0.1:{bot.runtime.web_port}")


async def test_staff_sign_in_see_the_board_and_dispatch_a_ticket_the_chat_sees(database_url: str) -> None:
    async with running_bot(database_url) as bot, aiohttp.ClientSession() as http:
        w = await office(bot)
        await w.resident.says(w.group, "3单元电梯坏了，困人了！")
        card = await w.group.expect_message("📋 工单 #1")
        assert "无需楼栋长确认" in (card.text or "")  # urgent: confirmed at once, ready to dispatch
        await w.resident5.says(w.group5, "5号楼门口垃圾好多没人扫")
        await w.group5.expect_message("📋 工单 #2")

        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        status, page = await desk.get("/console")
        assert status == 200 and "#1" in page and "#2" in page and "张社工" in page
        assert "<td>1号楼 · 3单元</td>" in page and "<td>5号楼</td>" in page  # the place the report names
        status, page = await desk.get("/console", category="sanitation")
        assert "#2" in page and 'href="/console/tickets/1"' not in page
        status, page = await desk.get("/console", urgent="1")
        assert 'href="/console/tickets/1"' in page and 'href="/console/tickets/2"' not in page
        status, page = await desk.get("/console", q="电梯")
        assert 'href="/console/tickets/1"' in page and 'href="/console/tickets/2"' not in page

        status, page = await desk.get("/console/tickets/1")
        assert status == 200 and "陈志愿" in page and 'data-action="dispatch"' in page
        assert "阳光社区 · 第一网格 · 1号楼 · 3单元</p>" in page
        volunteer_id = re.search(r'<option value="(\d+)">陈志愿</option>', page).group(1)  # type: ignore[union-attr]
        status, where, _ = await desk.post(
            "/console/tickets/1/dispatch", {"csrf": csrf_of(page), "choice": volunteer_id}
        )
        assert status == 303 and where == "/console/tickets/1?done=1"
        await w.group.expect_edit("已派单给 陈志愿")
        await bot.private(w.volunteer).expect_message("您有新的派单：工单 #1")
        status, page = await desk.get("/console/tickets/1", done="1")
        assert "群里的工单卡片也已更新" in page and "派单" in page and "张社工" in page

        status, page = await desk.get("/console/tickets/2")
        status, _, _ = await desk.post("/console/tickets/2/escalate", {"csrf": csrf_of(page)})
        assert status == 303
        await w.group5.expect_message("#2")  # the escalation's short line in the group, as the sweep's
        status, page = await desk.get("/console/tickets/2")
        status, _, _ = await desk.post("/console/tickets/2/close", {"csrf": csrf_of(page)})
        assert status == 303
        await w.group5.expect_edit("不是问题，已关闭")


async def test_a_grid_worker_sees_only_their_grid_and_cannot_open_another_grids_ticket(database_url: str) -> None:
    async with running_bot(database_url) as bot, aiohttp.ClientSession() as http:
        w = await office(bot)
        await w.resident.says(w.group, "3单元电梯坏了")
        await w.group.expect_message("📋 工单 #1")
        await w.resident5.says(w.group5, "5号楼门口垃圾好多没人扫")
        await w.group5.expect_message("📋 工单 #2")
        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.grid_worker)) == 303
        status, page = await desk.get("/console")
        assert 'href="/console/tickets/1"' in page and 'href="/console/tickets/2"' not in page
        assert (await desk.get("/console/tickets/2"))[0] == 404
        status, page = await desk.get("/console", q="2")
        assert 'href="/console/tickets/2"' not in page
        status, page = await desk.get("/console/tickets/1")
        status, _, _ = await desk.post("/console/tickets/2/close", {"csrf": csrf_of(page)})
        assert status == 404
        await w.group5.expect_nothing()


async def test_a_tickets_photos_show_on_its_page_and_only_to_those_who_may_see_the_ticket(database_url: str) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + "5号楼门口的垃圾".encode()
    async with running_bot(database_url) as bot, aiohttp.ClientSession() as http:
        w = await office(bot)
        await w.resident5.says(w.group5, "", photo=jpeg, caption="随手拍 5号楼门口垃圾好多没人扫")
        await w.group5.expect_message("📋 工单 #1")
        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        status, page = await desk.get("/console/tickets/1")
        assert status == 200 and '<img src="/console/tickets/1/photos/0"' in page
        status, headers, body = await desk.get_bytes("/console/tickets/1/photos/0")
        assert status == 200 and body == jpeg and headers["Content-Type"] == "image/jpeg"
        assert headers["Cache-Control"].startswith("private")
        assert (await desk.get_bytes("/console/tickets/1/photos/1"))[0] == 404
        bot.api.fail_next("getFile", 500, description="Internal Server Error")
        assert (await desk.get_bytes("/console/tickets/1/photos/0"))[0] == 502

        other = client(bot, http)
        assert await other.sign_in(await login_path(bot, w.grid_worker)) == 303
        assert (await other.get_bytes("/console/tickets/1/photos/0"))[0] == 404
        assert (await client(bot, http).get_bytes("/console/tickets/1/photos/0"))[0] == 401


async def test_numbers_in_urls_that_no_row_can_have_are_not_found_or_left_out_never_a_crash(database_url: str) -> None:
    """A digit Python counts but int() refuses (1²) and a number beyond any id, in every place a URL carries one."""
    async with running_bot(database_url) as bot, aiohttp.ClientSession() as http:
        w = await office(bot)
        await w.resident.says(w.group, "3单元电梯坏了")
        await w.group.expect_message("📋 工单 #1")
        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        csrf = csrf_of((await desk.get("/console/tickets/1"))[1])
        for number in ("1²", HUGE):
            assert (await desk.get(f"/console/tickets/{number}"))[0] == 404, number
            assert (await desk.get_bytes(f"/console/tickets/{number}/photos/0"))[0] == 404, number
            assert (await desk.post(f"/console/tickets/{number}/close", {"csrf": csrf}))[0] == 404, number
            assert (await desk.get_bytes(f"/console/rankings/{number}.xlsx"))[0] == 404, number
            assert (await desk.post(f"/console/sessions/{number}/end", {"csrf": csrf}))[0] == 303, number
            for name in ("page", "place", "org", "q"):
                status, page = await desk.get("/console", **{name: number})
                assert status == 200 and (name == "q" or 'href="/console/tickets/1"' in page), (name, number)
            assert (await desk.get("/console/stats", month=f"2026-{number}"))[0] == 200, number
        assert (await desk.get_bytes(f"/console/tickets/1/photos/{HUGE}"))[0] == 404
        assert (await desk.get("/console"))[0] == 200  # still signed in: no session was ended


async def test_links_work_once_and_expire_and_residents_get_none(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot, aiohttp.ClientSession() as http:
        w = await office(bot)
        path = await login_path(bot, w.staff)
        assert await client(bot, http).sign_in(path) == 303
        reused = client(bot, http)
        assert await reused.sign_in(path) == 403 and reused.cookie == ""
        late = await login_path(bot, w.staff)
        clock.advance(minutes=6)
        assert await client(bot, http).sign_in(late) == 403
        assert await client(bot, http).sign_in("/console/login/made-up-token") == 403

        await w.resident.says(bot.private(w.resident), "工作台")
        await bot.private(w.resident).expect_message("社区工作台只对社区工作人员、网格员、街道和单位成员开放")
        await w.staff.says(w.group, "工作台")
        await w.group.expect_message("请私聊我发送「工作台」")
        assert (await client(bot, http).get("/console"))[0] == 401


async def test_forged_forms_logged_out_and_idle_sessions_are_refused(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot, aiohttp.ClientSession() as http:
        w = await office(bot)
        await w.resident5.says(w.group5, "5号楼门口垃圾好多没人扫")
        await w.group5.expect_message("📋 工单 #1")
        desk, other = client(bot, http), client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        assert await other.sign_in(await login_path(bot, w.staff)) == 303

        status, _, _ = await desk.post("/console/tickets/1/close", {})
        assert status == 403
        status, _, _ = await desk.post("/console/tickets/1/close", {"csrf": "forged"})
        assert status == 403
        await w.group5.expect_nothing()

        status, page = await desk.get("/console/sessions")
        assert page.count("data-session=") == 2
        other_id = page.split("/console/sessions/")[1].split("/")[0]
        status, _, _ = await desk.post(f"/console/sessions/{other_id}/end", {"csrf": csrf_of(page)})
        assert status == 303 and (await other.get("/console"))[0] == 401

        status, page = await desk.get("/console")
        status, _, _ = await desk.post("/console/logout", {"csrf": csrf_of(page)})
        assert status == 200 and (await desk.get("/console"))[0] == 401

        idle = client(bot, http)
        assert await idle.sign_in(await login_path(bot, w.staff)) == 303
        clock.advance(minutes=29)
        assert (await idle.get("/console"))[0] == 200
        clock.advance(minutes=31)
        assert (await idle.get("/console"))[0] == 401


async def test_statistics_with_charts_and_exports_of_the_board_and_the_passbook(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock) as bot, aiohttp.ClientSession() as http:
        w = await office(bot)
        await w.resident.says(w.group, "3单元电梯坏了")
        card = await w.group.expect_message("📋 工单 #1")
        clock.advance(hours=1)
        await w.head.presses(w.group, card, "确认")
        await w.group.expect_edit("已确认，待派单")
        await w.resident5.says(w.group5, "5号楼门口垃圾好多没人扫")
        await w.group5.expect_message("📋 工单 #2")

        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        status, page = await desk.get("/console/stats")
        assert status == 200 and page.count("<svg") == 3 and "2026-12" in page
        assert "1.0 小时" in page  # ticket 1 was confirmed an hour after it was reported: median and P90
        assert "第一网格" in page and "第二网格" in page and "环境卫生" in page

        cookie = {"Cookie": f"linli_console={desk.cookie}"}
        async with http.get(desk.base + "/console/export.xlsx", headers=cookie) as r:
            assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
            book = openpyxl.load_workbook(io.BytesIO(await r.read()))
        tickets = list(book.worksheets[0].values)
        assert [row[0] for row in tickets[1:]] == [2, 1] and tickets[1][1] == "环境卫生"
        assert [row[2] for row in tickets[1:]] == ["5号楼", "1号楼 · 3单元"]
        assert "确认" in str(tickets[2][-1])  # ticket 1's history, in one column
        assert [row[2] for row in list(book.worksheets[1].values)[1:]] == ["登记", "确认", "登记"]
        status, text = await desk.get("/console/export.csv", category="repair")
        assert status == 200 and text.count("\r\n") == 2 and "电梯" in text
        assert "1号楼 · 3单元" in text

        status, _ = await desk.get("/console/passbook/ledger.xlsx", period="2026-12")
        assert status == 200
        grid = client(bot, http)
        assert await grid.sign_in(await login_path(bot, w.grid2)) == 303
        assert (await grid.get("/console/passbook/balances.csv"))[0] == 403
        status, text = await grid.get("/console/export.csv")
        assert "垃圾" in text and "电梯" not in text


async def test_the_monthly_ranking_is_posted_once_on_the_first_working_day_and_kept(database_url: str) -> None:
    clock = ManualClock(shanghai(2026, 11, 20, 10, 0))
    async with running_bot(database_url, clock=clock) as bot, aiohttp.ClientSession() as http:
        w = await office(bot)
        staff_group, grid_group = bot.group("社区工作群"), bot.group("第二网格工作群")
        await bind(bot, staff_group, COMMUNITY)
        await bind(bot, grid_group, GRID2)
        await w.resident.says(w.group, "3单元电梯坏了")
        card = await w.group.expect_message("📋 工单 #1")
        await w.head.presses(w.group, card, "确认")
        await w.group.expect_edit("已确认，待派单")
        await w.resident5.says(w.group5, "5号楼门口垃圾好多没人扫")
        await w.group5.expect_message("📋 工单 #2")

        clock.now = shanghai(2026, 12, 1, 8, 30)  # a Tuesday, the first working day of December, before 09:00
        await bot.sweep()
        await staff_group.expect_nothing()
        clock.now = shanghai(2026, 12, 1, 9, 30)
        await bot.sweep()
        post = await staff_group.expect_message("阳光社区 2026-11 月度排名通报")
        assert "楼栋：1. " in (post.text or "") and "/console/rankings/1" in (post.text or "")
        await grid_group.expect_message("2026-11 月度排名通报")
        await bot.sweep()
        await staff_group.expect_nothing()

        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.grid2)) == 303
        status, page = await desk.get("/console/rankings/1")
        assert status == 200 and "1号楼" in page and "5号楼" in page and "得分 = 50" in page
        cookie = {"Cookie": f"linli_console={desk.cookie}"}
        async with http.get(desk.base + "/console/rankings/1.xlsx", headers=cookie) as r:
            rows = list(openpyxl.load_workbook(io.BytesIO(await r.read())).worksheets[0].values)
        assert rows[0][:4] == ("类别", "名次", "社区/网格/楼栋", "得分") and len(rows) == 5
        assert {row[2] for row in rows[1:]} == {"1号楼", "5号楼", "第一网格", "第二网格"}


def table_rows(page: str) -> list[str]:
    """The body rows of the page's table, as text (cells separated by single spaces)."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in body.split("<tr>")[1:]]


async def test_the_audit_list_shows_the_role_changes_made_in_chat_within_the_viewers_part(database_url: str) -> None:
    async with running_bot(database_url) as bot, aiohttp.ClientSession() as http:
        w = await office(bot)
        chat = bot.private(w.staff)
        await w.staff.says(chat, "授权 楼栋长 5号楼")
        link = await chat.expect_message("的邀请链接")
        newcomer = bot.person("周新")
        await newcomer.says(bot.private(newcomer), f"/start {start_code(link.text)}")
        await chat.expect_message("周新 已接受邀请")
        await w.staff.says(chat, "身份管理")
        await w.staff.presses(chat, await chat.expect_message("阳光社区的身份"), "陈志愿")
        await w.staff.expect_answer("已撤销志愿者身份")

        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        status, page = await desk.get("/console/roles")
        assert status == 200 and 'href="/console/roles"' in page
        assert table_rows(page) == [
            "2026-12-02 10:00 陈志愿 撤销 志愿者 阳光社区 · 第一网格 · 1号楼 张社工",
            "2026-12-02 10:00 周新 授予 楼栋长 阳光社区 · 第二网格 · 5号楼 张社工",
        ]
        grid = client(bot, http)
        assert await grid.sign_in(await login_path(bot, w.grid2)) == 303
        _, page = await grid.get("/console/roles")
        assert table_rows(page) == ["2026-12-02 10:00 周新 授予 楼栋长 阳光社区 · 第二网格 · 5号楼 张社工"]
