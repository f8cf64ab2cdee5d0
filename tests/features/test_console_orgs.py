"""The organisations' actions from the console's ticket page (转单, 挂账 approval, 督办): the chat's code with the
chat's checks, seen in the chat as if pressed there."""

from __future__ import annotations

import re

import aiohttp

from tests.features.console_world import ConsoleClient, csrf_of, login_path
from tests.features.harness import BotUnderTest, running_bot
from tests.features.orgs_world import asked_for_a_hold, confirmed, dispatched, org_world


def client(bot: BotUnderTest, http: aiohttp.ClientSession) -> ConsoleClient:
    return ConsoleClient(http, f"http://127.0.0.1:{bot.runtime.web_port}")


def option(page: str, label: str) -> str:
    found = re.search(rf'<option value="(\w+)">{label}</option>', page)
    assert found is not None, label
    return found.group(1)


async def test_staff_pass_a_suggested_ticket_to_another_organisation_from_the_console(database_url: str) -> None:
    async with running_bot(database_url) as bot, aiohttp.ClientSession() as http:
        w = await org_world(bot)
        await confirmed(w, "3单元电梯又坏了", "建议派给：迅达电梯维保")
        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        status, page = await desk.get("/console/tickets/1")
        assert status == 200 and 'data-action="transfer"' in page and 'data-action="supervise"' in page
        assert 'data-action="hold"' not in page  # nobody asked for a hold
        status, _, _ = await desk.post(
            "/console/tickets/1/transfer", {"csrf": csrf_of(page), "choice": option(page, "阳光物业")}
        )
        assert status == 303
        await bot.private(w.keeper).expect_message("阳光物业 新派单：工单 #1")
        card = await w.group.expect_edit("已派给 阳光物业，待接单")
        assert "迅达电梯维保" not in (card.text or "").split("已派给")[1]

        status, page = await desk.get("/console/tickets/1")
        status, _, _ = await desk.post("/console/tickets/1/supervise", {"csrf": csrf_of(page)})
        assert status == 303
        chased = await bot.private(w.keeper).expect_message("🔔 督办：工单 #1")
        assert "督办人：张社工" in (chased.text or "")
        status, page = await desk.get("/console/tickets/1")
        assert "督办" in page and "张社工" in page


async def test_the_grid_worker_approves_a_hold_and_only_staff_supervise_from_the_console(database_url: str) -> None:
    async with running_bot(database_url) as bot, aiohttp.ClientSession() as http:
        w = await org_world(bot)
        job = await dispatched(bot, w, "3单元电梯又坏了", "迅达电梯维保", w.lift)
        await asked_for_a_hold(bot, w, job)
        await w.lift.says(bot.private(w.lift), "等电梯配件 12月10日")
        await bot.private(w.lift).expect_message("已提交挂账申请（#1）")
        await w.group.expect_edit("申请挂账：等电梯配件")

        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.grid_worker)) == 303
        status, page = await desk.get("/console/tickets/1")
        assert 'data-action="hold"' in page
        status, _, refused = await desk.post("/console/tickets/1/supervise", {"csrf": csrf_of(page)})
        assert status == 403 and "只有社区工作人员和街道可以督办" in refused
        status, _, _ = await desk.post("/console/tickets/1/hold", {"csrf": csrf_of(page), "choice": "approve"})
        assert status == 303
        await bot.private(w.lift).expect_message("挂账已批准，计时暂停到 12月10日")
        await w.group.expect_edit("⏸ 挂账中：等电梯配件，预计 12月10日（计时暂停）")
        status, page = await desk.get("/console/tickets/1")
        assert 'data-action="hold"' not in page  # decided

        status, _, refused = await desk.post(
            "/console/tickets/1/transfer", {"csrf": csrf_of(page), "choice": option(page, "阳光物业")}
        )
        assert status == 403 and "工单当前状态不能这样操作" in refused  # with the organisation, not to be dispatched


async def test_the_organisations_member_hands_a_ticket_back_from_the_console_and_others_may_not(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot, aiohttp.ClientSession() as http:
        w = await org_world(bot)
        job = await dispatched(bot, w, "3单元电梯又坏了", "迅达电梯维保", w.lift)
        lift = bot.private(w.lift)
        await w.lift.presses(lift, job, "退单")
        await lift.expect_message("请回复退单原因")  # asked in the chat, answered on the console

        grid = client(bot, http)
        assert await grid.sign_in(await login_path(bot, w.grid_worker)) == 303
        status, page = await grid.get("/console/tickets/1")
        assert status == 200 and 'data-action="return"' not in page  # those who dispatch do not hand back
        status, _, refused = await grid.post("/console/tickets/1/return", {"csrf": csrf_of(page), "text": "不归我们"})
        assert status == 403 and "只有被派单单位的成员" in refused
        keeper = client(bot, http)
        assert await keeper.sign_in(await login_path(bot, w.keeper)) == 303  # 阳光物业: not theirs, not in their view
        _, board = await keeper.get("/console")
        status, _, _ = await keeper.post("/console/tickets/1/return", {"csrf": csrf_of(board), "text": "不归我们"})
        assert status == 404

        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.lift)) == 303
        status, page = await desk.get("/console/tickets/1")
        assert status == 200 and 'data-action="return"' in page and "退单原因" in page
        assert (await desk.post("/console/tickets/1/return", {"text": "不归我们"}))[0] == 403  # no CSRF token
        status, _, refused = await desk.post("/console/tickets/1/return", {"csrf": csrf_of(page), "text": " "})
        assert status == 403 and "请填写退单原因" in refused
        status, where, _ = await desk.post(
            "/console/tickets/1/return", {"csrf": csrf_of(page), "text": "这部电梯归物业自己的维保"}
        )
        assert status == 303 and where == "/console"  # handed back: it leaves their view
        told = await bot.private(w.grid_worker).expect_message("迅达电梯维保 退回了工单 #1：这部电梯归物业自己的维保")
        assert "重新派单" in (told.text or "")
        card = await w.group.expect_edit("迅达电梯维保 退单：这部电梯归物业自己的维保")
        assert "🏢 派给单位" in [label for label, _ in card.buttons]  # to be dispatched again, as after a chat 退单
        assert (await desk.get("/console/tickets/1"))[0] == 404
        await w.lift.says(lift, "好的")
        await lift.expect_message("发送 帮助")  # not a second 退单: the reason the chat asked for was given here
        _, page = await grid.get("/console/tickets/1")
        assert "退单" in page and "迅达电梯维保：这部电梯归物业自己的维保" in page  # the timeline
