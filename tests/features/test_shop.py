"""Transcripts of the 爱心超市: staff keep the shelf, residents redeem (hold → pickup code → handover → stock),
cancel or let a hold expire (points back), and every refusal leaves points and stock as they were."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot import cli
from models.shop import RedemptionStatus
from sandbox.state import StoredMessage
from tests.features.harness import (
    SHANGHAI,
    ManualClock,
    at_local_time_edges,
    bot_settings,
    local_day_at,
    running_bot,
)
from tests.features.shop_world import award, balance, entries_of, redeem, redemptions, stock_of
from tests.features.tickets_world import COMMUNITY, building


async def test_redeem_then_staff_hand_over_by_code_and_by_button(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        await w.staff.says(desk, "上架 大米 5斤 100 2")
        added = await desk.expect_message("已上架：大米 5斤，100 积分，库存 2")
        assert "1. 大米 5斤 — 100 积分 · 库存 2 · 上架中" in (added.text or "")
        await w.staff.says(desk, "上架 洗衣液 60 3")
        await desk.expect_message("已上架：洗衣液")
        await award(bot, w.resident, 250, "扫雪")

        shop = bot.private(w.resident)
        await w.resident.says(shop, "/shop")
        listing = await shop.expect_message("阳光社区爱心超市")
        assert "您的可用积分：250" in (listing.text or "")
        assert "• 洗衣液 — 60 积分（剩 3 件）" in (listing.text or "")
        assert "• 大米 5斤 — 100 积分（剩 2 件）" in (listing.text or "")

        _, _, code = await redeem(bot, w.resident, "大米 5斤")
        await w.resident.expect_answer("兑换成功")
        assert await balance(bot, w.resident) == (150, 250)
        assert await stock_of(bot, "大米 5斤") == 2  # held, not yet handed over

        await w.staff.says(desk, "超市管理")
        await desk.expect_message("大米 5斤 — 100 积分 · 库存 2（待领取 1）")
        await w.staff.says(desk, f"核销 {code}")
        await desk.expect_message(f"已核销：王小明 · 大米 5斤（取货码 {code}）。库存剩 1 件。")
        await shop.expect_edit("已领取：大米 5斤")
        await shop.expect_message("您已领取「大米 5斤」")
        assert await stock_of(bot, "大米 5斤") == 1
        assert await balance(bot, w.resident) == (150, 250)
        await w.staff.says(desk, f"核销 {code}")
        await desk.expect_message("这个兑换已经领取过了")

        _, _, second = await redeem(bot, w.resident, "洗衣液")
        await w.staff.says(desk, "核销")
        pickups = await desk.expect_message("待领取的兑换（1）")
        assert f"{second} 王小明 · 洗衣液" in (pickups.text or "")
        await w.staff.presses(desk, pickups, f"交付 {second}")
        await w.staff.expect_answer("已核销：王小明 · 洗衣液")
        await shop.expect_message("您已领取「洗衣液」")
        assert await stock_of(bot, "洗衣液") == 2
        assert await balance(bot, w.resident) == (90, 250)
        assert await entries_of(bot, w.resident) == [("award", 250), ("redeem", -100), ("redeem", -60)]
        assert [r.status for r in await redemptions(bot)] == [RedemptionStatus.HANDED_OVER] * 2


@at_local_time_edges
async def test_cancel_and_expiry_give_the_points_back(database_url: str, start: datetime) -> None:
    clock = ManualClock(start)
    async with running_bot(database_url, clock=clock, shop_hold_hours=48) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        await w.staff.says(desk, "上架 电影票 80 5")
        await desk.expect_message("已上架：电影票")
        await award(bot, w.resident, 100, "义诊帮忙")

        shop, card, first = await redeem(bot, w.resident, "电影票")
        assert await balance(bot, w.resident) == (20, 100)
        cancel = dict(card.buttons)["取消兑换"]
        await w.resident.presses(shop, card, "取消兑换")
        await w.resident.expect_answer("已取消，80 积分已退回")
        await shop.expect_edit(f"已取消兑换：电影票（取货码 {first}），80 积分已退回")
        assert await balance(bot, w.resident) == (100, 100)
        assert bot.api.message(shop.id, card.message_id).buttons == []
        bot.api.inject_callback(shop.chat, w.resident.user, card.message_id, cancel, check_button=False)  # a late tap
        await w.resident.expect_answer("这个兑换已经取消了")
        assert await balance(bot, w.resident) == (100, 100)

        _, card, code = await redeem(bot, w.resident, "电影票")
        deadline = local_day_at(start, 2, 23, 59)
        assert deadline.astimezone(SHANGHAI).strftime("%m月%d日 23:59") in (card.text or "")  # 48 h, to the day's end
        clock.now = deadline
        assert await bot.sweep() == 0
        clock.now = deadline + timedelta(minutes=1)
        assert await bot.sweep() == 1
        await shop.expect_message(f"您兑换的「电影票」（取货码 {code}）超过领取期限，已自动取消，80 积分已退回")
        await shop.expect_edit("已过期：电影票")
        assert await bot.sweep() == 0
        assert await balance(bot, w.resident) == (100, 100)
        await w.staff.says(desk, f"核销 {code}")
        await desk.expect_message("这个兑换已经过期，积分已退回")
        assert await entries_of(bot, w.resident) == [
            ("award", 100),
            ("redeem", -80),
            ("reversal", 80),
            ("redeem", -80),
            ("reversal", 80),
        ]
        assert [r.status for r in await redemptions(bot)] == [RedemptionStatus.CANCELLED, RedemptionStatus.EXPIRED]
        assert await stock_of(bot, "电影票") == 5

        _, card, third = await redeem(bot, w.resident, "电影票")
        await w.resident.says(shop, "爱心超市")
        listing = await shop.expect_message(f"• 电影票，取货码 {third}")
        assert "您的可用积分：20" in (listing.text or "")
        await w.resident.presses(shop, listing, f"取消兑换 {third}")
        await w.resident.expect_answer("已取消，80 积分已退回")
        await shop.expect_edit(f"已取消兑换：电影票（取货码 {third}）")
        relisted = await shop.expect_edit("您的可用积分：100")
        assert "待领取" not in (relisted.text or "")
        assert await balance(bot, w.resident) == (100, 100)


async def test_refusals_are_polite_and_lose_nothing(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        await w.staff.says(desk, "上架 大米 100 5")
        await desk.expect_message("已上架：大米")
        await w.staff.says(desk, "上架 台灯 30 1")
        admin = await desk.expect_message("已上架：台灯")
        await award(bot, w.resident, 60, "扫雪")
        await award(bot, w.neighbour, 60, "义诊")

        await w.resident.says(w.group, "兑换")  # said in the group, the shelf comes privately

        shop = bot.private(w.resident)
        listing = await shop.expect_message("您的可用积分：60")
        await w.resident.presses(shop, listing, "大米")
        confirm = await shop.expect_edit("需要 100 积分，您现有 60 积分")
        await w.resident.presses(shop, confirm, "确认兑换")
        await shop.expect_edit("积分还不够：「大米」需要 100 积分，您现有 60 积分")

        await w.resident.presses(shop, listing, "返回")
        await shop.expect_edit("阳光社区爱心超市")
        await w.resident.presses(shop, listing, "台灯")
        await shop.expect_edit("确认兑换「台灯」吗")
        neighbour = bot.private(w.neighbour)
        await w.neighbour.says(neighbour, "兑换")
        theirs = await neighbour.expect_message("爱心超市")
        await w.neighbour.presses(neighbour, theirs, "台灯")
        confirm_data = dict((await neighbour.expect_edit("确认兑换「台灯」吗")).buttons)["确认兑换"]
        await w.neighbour.presses(neighbour, theirs, "确认兑换")
        await neighbour.expect_message("兑换成功：台灯")
        bot.api.inject_callback(neighbour.chat, w.neighbour.user, theirs.message_id, confirm_data, check_button=False)
        await w.neighbour.expect_answer("这次兑换已经提交过了")

        await w.resident.presses(shop, listing, "确认兑换")
        await shop.expect_edit("抱歉，「台灯」刚刚兑完了，您的积分没有变动")
        await w.resident.says(shop, "兑换")
        sold_out = await shop.expect_message("• 台灯 — 30 积分（已兑完）")
        assert [label for label, _ in sold_out.buttons] == ["大米 · 100 积分"]
        await w.resident.presses(shop, sold_out, "大米")
        await shop.expect_edit("确认兑换「大米」吗")
        await w.staff.presses(desk, admin, "下架 大米")
        await desk.expect_edit("大米 — 100 积分 · 库存 5 · 已下架")
        await w.resident.presses(shop, sold_out, "确认兑换")
        await shop.expect_edit("抱歉，「大米」已经下架了，您的积分没有变动")

        for attempt in ("核销 123456", "超市管理", "上架 小板凳 10 3", "导入商品\n名称,积分,库存\n凳子,1,1", "导出"):
            await w.resident.says(shop, attempt)
            await shop.expect_message("只有本社区的工作人员可以")
        await w.staff.says(desk, "上架 大米")
        await desk.expect_message("格式：上架 名称 积分 库存")
        await w.staff.says(desk, "上架 大米 0 5")
        await desk.expect_message("积分「0」应是大于 0 的整数")
        await w.staff.says(desk, "核销 654321")
        await desk.expect_message("没有找到取货码 654321")

        assert await balance(bot, w.resident) == (60, 60)
        assert await balance(bot, w.neighbour) == (30, 60)
        assert len(await redemptions(bot)) == 1
        assert await stock_of(bot, "大米") == 5


def button_beside(message: StoredMessage, row_label: str, label: str) -> str:
    """The data of the button `label` in the row whose first button mentions `row_label`."""
    for row in message.inline_keyboard:
        if row_label in row[0]["text"]:
            return next(b["callback_data"] for b in row if label in b["text"])
    raise AssertionError(f"no row for {row_label!r}: {message.buttons}")


async def test_catalogue_import_is_all_or_nothing_from_the_command_line_and_the_chat(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        settings = bot_settings(database_url)
        bad = tmp_path / "bad.csv"
        bad.write_text("名称,积分,库存,上架\n大米,100,10,是\n食用油,abc,5,是\n", encoding="utf-8")
        assert await cli.shop_import(settings, COMMUNITY, bad) == 2
        assert "第 3 行：积分「abc」应是大于 0 的整数" in capsys.readouterr().err
        assert await cli.shop_import(settings, "没有这个社区", bad) == 2
        assert "no community with code '没有这个社区'" in capsys.readouterr().err
        shop = bot.private(w.resident)
        await w.resident.says(shop, "兑换")
        await shop.expect_message("货架上暂时没有可兑换的物品")

        good = tmp_path / "good.csv"
        good.write_text("\ufeffname,stock,cost\nRice,10,100\n食用油,5,80\n", encoding="utf-8")
        assert await cli.shop_import(settings, COMMUNITY, good) == 0
        assert "阳光社区: 新增 2，更新 0" in capsys.readouterr().out

        desk = bot.private(w.staff)
        await w.staff.says(desk, "导入商品\n名称,积分,库存,上架\n食用油,90,6,是\n毛巾,20,0,否\n大米,1")
        await desk.expect_message("导入失败，没有做任何改动：第 4 行应有 4 列，实际有 2 列")
        await w.staff.says(desk, "导入商品")
        await desk.expect_message("请发送「导入商品」，从下一行起粘贴 CSV")
        await w.staff.says(desk, "导入商品\n名称,积分,库存,上架\n食用油,90,6,是\n毛巾,20,0,否")
        page = await desk.expect_message("已导入 2 件物品（新增 1，更新 1）")
        assert "食用油 — 90 积分 · 库存 6 · 上架中" in (page.text or "")
        assert "毛巾 — 20 积分 · 库存 0 · 已下架" in (page.text or "")

        bot.api.inject_callback(desk.chat, w.staff.user, page.message_id, button_beside(page, "毛巾", "-1"))
        await w.staff.expect_answer("库存已经是 0 了")
        bot.api.inject_callback(desk.chat, w.staff.user, page.message_id, button_beside(page, "毛巾", "+1"))
        page = await desk.expect_edit("毛巾 — 20 积分 · 库存 1 · 已下架")
        await w.staff.presses(desk, page, "上架 毛巾")
        page = await desk.expect_edit("毛巾 — 20 积分 · 库存 1 · 上架中")
        bot.api.inject_callback(desk.chat, w.staff.user, page.message_id, button_beside(page, "Rice", "-1"))
        await desk.expect_edit("Rice — 100 积分 · 库存 9 · 上架中")

        await w.resident.says(shop, "兑换")
        listing = await shop.expect_message("• 毛巾 — 20 积分（剩 1 件）")
        assert "• 食用油 — 90 积分（剩 6 件）" in (listing.text or "")
        assert "• Rice — 100 积分（剩 9 件）" in (listing.text or "")
        forged = button_beside(page, "Rice", "+1")  # a staff button's data sent from the resident's own chat
        bot.api.inject_callback(shop.chat, w.resident.user, listing.message_id, forged, check_button=False)
        await w.resident.expect_answer("已失效")  # not a button of this message: refused before any handler
        assert await stock_of(bot, "Rice") == 9


async def test_a_long_shelf_is_shown_a_page_at_a_time_and_buttons_keep_their_page(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        catalogue = "\n".join(f"物品{n:02d},{n},5,是" for n in range(1, 21))  # sorted by cost: 物品01 … 物品20
        await w.staff.says(desk, f"导入商品\n名称,积分,库存,上架\n{catalogue}")
        first = await desk.expect_message("已导入 20 件物品")
        assert "1. 物品01" in (first.text or "") and "8. 物品08" in (first.text or "")
        assert "物品09" not in (first.text or "") and "第 1/3 页，共 20 件" in (first.text or "")
        assert len(first.inline_keyboard) == 9 and [b["text"] for b in first.inline_keyboard[-1]] == ["下一页 ▶"]

        await w.staff.presses(desk, first, "下一页")
        second = await desk.expect_edit("第 2/3 页")
        assert "9. 物品09" in (second.text or "") and "物品08" not in (second.text or "")
        await w.staff.presses(desk, second, "下架 物品10")
        toggled = await desk.expect_edit("10. 物品10 — 10 积分 · 库存 5 · 已下架")
        assert "第 2/3 页" in (toggled.text or "")
        await w.staff.presses(desk, toggled, "下一页")
        last = await desk.expect_edit("第 3/3 页")
        assert [b["text"] for b in last.inline_keyboard[-1]] == ["◀ 上一页"] and len(last.inline_keyboard) == 5

        await w.staff.says(desk, "上架 物品99 99 1")
        added = await desk.expect_message("已上架：物品99")
        assert "21. 物品99 — 99 积分 · 库存 1 · 上架中" in (added.text or "") and "第 3/3 页" in (added.text or "")

        resident = bot.private(w.resident)
        await w.resident.says(resident, "兑换")
        listing = await resident.expect_message("爱心超市")
        forged = last.inline_keyboard[-1][0]["callback_data"]  # a staff page button, pressed by a resident
        bot.api.inject_callback(resident.chat, w.resident.user, listing.message_id, forged, check_button=False)
        await w.resident.expect_answer("已失效")  # not a button of this message: refused before any handler
        assert await stock_of(bot, "物品10") == 5
