"""/help as a newcomer on the staff meets it (issue 19 §14): a short first screen, the rest a topic at a time."""

from __future__ import annotations

from tests.features.harness import running_bot
from tests.features.tickets_world import building


async def test_14_staff_help_is_a_short_first_screen_with_a_button_per_topic(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        desk = bot.private(w.staff)
        await w.staff.says(desk, "/help")
        first = await desk.expect_message("「邻里」可以帮您")
        text = first.text or ""
        assert len(text.splitlines()) <= 12, text
        assert "/report" in text and "/points" in text and "/bind" not in text and "/announce" not in text
        assert [label for label, _ in first.buttons] == ["工单", "通知活动", "积分", "志愿服务", "我的账号", "管理"]

        await w.staff.presses(desk, first, "管理")
        admin = await desk.expect_edit("管理：")
        assert "/bind" in (admin.text or "") and "/grant" in (admin.text or "") and "/report" not in (admin.text or "")
        assert admin.message_id == first.message_id
        assert "◀ 常用" in [label for label, _ in admin.buttons]
        await w.staff.presses(desk, admin, "通知活动")
        notices = await desk.expect_edit("通知活动：")
        assert "/announce" in (notices.text or "") and "/event" in (notices.text or "")
        await w.staff.presses(desk, notices, "◀ 常用")
        await desk.expect_edit("「邻里」可以帮您")


async def test_14_a_resident_sees_no_admin_topic(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        home = bot.private(w.resident)
        await w.resident.says(home, "帮助")
        first = await home.expect_message("「邻里」可以帮您")
        assert "管理" not in [label for label, _ in first.buttons]
        assert "您的身份：居民" in (first.text or "")
