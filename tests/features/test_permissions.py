"""Permission probes: nobody takes over a bound group by rebinding it, and a button works only on the message it
was issued on, in the kind of chat it belongs to, with data the bot wrote."""

from __future__ import annotations

from sqlmodel import select

from bot.db import unit_of_work
from handlers.common.org_import import import_tree, parse_org_file
from models.chats import Chat
from models.people import Role
from models.places import place_by_code
from tests.features.harness import BotUnderTest, running_bot
from tests.features.tickets_world import bind

TREE = """communities:
  - name: 阳光社区
    grids:
      - name: 第一网格
        buildings:
          - {name: 1号楼, units: 3}
          - {name: 2号楼, units: 2}
      - name: 第二网格
        buildings:
          - {name: 5号楼, units: 2}
  - name: 其他社区
    grids:
      - name: 网格
        buildings:
          - {name: 9号楼, units: 2}
"""
B1, B2, B5, B9 = "阳光社区/第一网格/1号楼", "阳光社区/第一网格/2号楼", "阳光社区/第二网格/5号楼", "其他社区/网格/9号楼"
GRID1, GRID2, OTHER = "阳光社区/第一网格", "阳光社区/第二网格", "其他社区"


async def bound_place_code(bot: BotUnderTest, chat_id: int) -> str | None:
    async with bot.runtime.sessions() as session:
        chat = (await session.exec(select(Chat).where(Chat.platform_chat_id == str(chat_id)))).first()
        assert chat is not None
        if chat.place_id is None:
            return None
        for code in (B1, B2, B5, B9):
            place = await place_by_code(session, code=code)
            if place is not None and place.id == chat.place_id:
                return code
    return None


async def world(bot: BotUnderTest) -> None:
    async with unit_of_work(bot.runtime.sessions) as session:
        await import_tree(session, parse_org_file("t.yaml", TREE))


async def test_managers_from_elsewhere_cannot_rebind_a_bound_group(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await world(bot)
        group = bot.group("1号楼业主群")
        await bind(bot, group, B1)
        intruders = [bot.person("二号楼长"), bot.person("二网格员"), bot.person("外社区社工")]
        await bot.grant(intruders[0], Role.BUILDING_HEAD, B2)
        await bot.grant(intruders[1], Role.GRID_WORKER, GRID2)
        await bot.grant(intruders[2], Role.STAFF, OTHER)
        for intruder in intruders:
            await intruder.says(group, "/bind")
            refusal = await group.expect_message("只有管辖这栋楼的楼栋长、网格员或社区工作人员可以更改绑定")
            assert "阳光社区 · 第一网格 · 1号楼" in (refusal.text or "") and refusal.buttons == []
        assert await bound_place_code(bot, group.id) == B1


async def test_a_forged_bind_button_cannot_move_a_bound_group(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await world(bot)
        group, spare = bot.group("1号楼业主群"), bot.group("9号楼群")
        await bind(bot, group, B1)
        intruder = bot.person("外社区社工")
        await bot.grant(intruder, Role.STAFF, OTHER)
        await intruder.says(spare, "/bind")
        choose = await spare.expect_message("请选择本群对应的楼栋")
        await intruder.says(group, "/bind")
        refusal = await group.expect_message("可以更改绑定")
        async with bot.runtime.sessions() as session:
            b9 = await place_by_code(session, code=B9)
        assert b9 is not None
        bot.api.inject_callback(group.chat, intruder.user, refusal.message_id, f"bind:{b9.id}", check_button=False)
        await intruder.expect_answer("已失效")
        # the genuine button of another group's message, replayed here, is refused the same way
        assert any(data == f"bind:{b9.id}" for _, data in choose.buttons)
        assert await bound_place_code(bot, group.id) == B1


async def test_rebinding_asks_first_and_tells_the_previous_head_and_grid_worker(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await world(bot)
        group = bot.group("1号楼业主群")
        await bind(bot, group, B1)
        staff, head, grid_worker = bot.person("张社工"), bot.person("李楼长"), bot.person("赵网格")
        await bot.grant(staff, Role.STAFF, "阳光社区")
        await bot.grant(head, Role.BUILDING_HEAD, B1)
        await bot.grant(grid_worker, Role.GRID_WORKER, GRID1)
        head_chat, grid_chat = bot.private(head), bot.private(grid_worker)
        await staff.says(group, "/bind")
        choose = await group.expect_message("请选择本群对应的楼栋")
        await staff.presses(group, choose, "2号楼")
        ask = await group.expect_edit("确定改为「阳光社区 · 第一网格 · 2号楼」吗")
        assert await bound_place_code(bot, group.id) == B1
        await staff.presses(group, ask, "取消")
        await group.expect_edit("仍绑定在原来的楼栋")
        assert await bound_place_code(bot, group.id) == B1

        await staff.says(group, "/bind")
        choose = await group.expect_message("请选择本群对应的楼栋")
        await staff.presses(group, choose, "2号楼")
        ask = await group.expect_edit("确定改为")
        await staff.presses(group, ask, "确定更改")
        await group.expect_edit("本群原绑定「阳光社区 · 第一网格 · 1号楼」，现已改为「阳光社区 · 第一网格 · 2号楼」")
        assert await bound_place_code(bot, group.id) == B2
        for chat in (head_chat, grid_chat):
            notice = await chat.expect_message("已由张社工改为「阳光社区 · 第一网格 · 2号楼」")
            assert "1号楼业主群" in (notice.text or "")


async def test_a_forged_export_button_in_a_group_posts_no_ledger(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await world(bot)
        group = bot.group("1号楼业主群")
        await bind(bot, group, B1)
        staff = bot.person("张社工")
        await bot.grant(staff, Role.STAFF, "阳光社区")
        desk = bot.private(staff)
        await staff.says(desk, "/export")
        menu = await desk.expect_message("报表导出")
        ledger_csv = next(data for label, data in menu.buttons if data and data.startswith("exp:ledger:csv:"))
        await staff.says(group, "/help")
        help_message = await group.expect_message("/help")
        bot.api.inject_callback(group.chat, staff.user, help_message.message_id, ledger_csv, check_button=False)
        await staff.expect_answer("已失效")
        await group.expect_nothing()
        assert not [c for c in bot.api.calls if c.method == "sendDocument"]
        # on the message it was issued on, the same button works
        await staff.presses(desk, menu, "积分明细 CSV")
        await desk.expect_document("积分明细")


async def test_callback_data_is_read_strictly(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await world(bot)
        group = bot.group("新群")
        staff = bot.person("张社工")
        await bot.grant(staff, Role.STAFF, "阳光社区")
        await staff.says(group, "/bind")
        choose = await group.expect_message("请选择本群对应的楼栋")
        for data in ("bindp:1²", "bind:99999999999999999999", "bind:٣", "bind:1:2", "bind"):
            bot.api.inject_callback(group.chat, staff.user, choose.message_id, data, check_button=False)
            await staff.expect_answer("已失效")
        await group.expect_nothing()
        assert await bound_place_code(bot, group.id) is None
