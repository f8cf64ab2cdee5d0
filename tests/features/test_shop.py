"""Transcripts of the 爱心超市: staff keep the shelf, residents redeem (hold → pickup code → handover → stock),
cancel or let a hold expire (points back), and every refusal leaves points and stock as they were."""

from __future__ import annotations

from models.shop import RedemptionStatus
from tests.features.harness import ManualClock, running_bot
from tests.features.shop_world import award, balance, entries_of, redeem, redemptions, stock_of
from tests.features.tickets_world import building


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


async def test_cancel_and_expiry_give_the_points_back(database_url: str) -> None:
    clock = ManualClock()
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

        _, _, code = await redeem(bot, w.resident, "电影票")
        clock.advance(hours=47)
        assert await bot.sweep() == 0
        clock.advance(hours=2)
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
