"""The console in a real browser: sign in by the one-time link, filter the board, open a ticket and dispatch it (the
group's card changes in the local Bot API), the statistics with their charts, and an export opened with openpyxl.

With LINLI_CONSOLE_SCREENSHOTS=<dir> it keeps the screenshots docs/console.md shows."""

from __future__ import annotations

import asyncio
import io
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import openpyxl

from tests.features.console_world import B1, login_path, office
from tests.features.harness import running_bot
from tests.features.orgs_world import dispatched, org_world
from tests.features.wecom_world import running_bot_with_wecom


async def shoot(page: Any, name: str) -> None:
    folder = os.environ.get("LINLI_CONSOLE_SCREENSHOTS")
    if folder:
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def lift_photo() -> bytes:
    """A real image (160×90, one colour) for the ticket page's 照片, as a PNG: the browser draws it."""
    row = b"\x00" + bytes([90, 140, 200]) * 160
    chunks = [
        (b"IHDR", struct.pack(">IIBBBBB", 160, 90, 8, 2, 0, 0, 0)),
        (b"IDAT", zlib.compress(row * 90)),
        (b"IEND", b""),
    ]
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data)) for kind, data in chunks
    )


async def test_the_console_in_a_browser(database_url: str, browser: Any) -> None:
    async with running_bot(database_url) as bot:
        w = await office(bot)
        await w.resident.says(w.group, "", photo=lift_photo(), caption="3单元电梯坏了，困人了！")
        card = await w.group.expect_message("📋 工单 #1")
        assert "无需楼栋长确认" in (card.text or "")  # urgent: confirmed at once, ready to dispatch
        await w.resident.says(w.group, "2单元楼道灯不亮了")
        await w.group.expect_message("📋 工单 #2")
        await w.resident5.says(w.group5, "5号楼门口垃圾好多没人扫")
        await w.group5.expect_message("📋 工单 #3")

        base = f"http://127.0.0.1:{bot.runtime.web_port}"
        context = await browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        await page.goto(base + await login_path(bot, w.staff))
        await page.wait_for_selector("#board")
        assert await page.locator("#board tbody tr").count() == 3
        await shoot(page, "board")

        await page.select_option("select[name=category]", "repair")
        await page.check("input[name=urgent]")
        await page.click("form.filters button[type=submit]")
        await page.wait_for_url("**/console?*urgent=1*")
        assert await page.locator("#board tbody tr").count() == 1

        await page.click('a[href="/console/tickets/1"]')
        await page.wait_for_selector("#timeline")
        assert "阳光社区 · 第一网格 · 1号楼" in (await page.text_content("main") or "")
        await page.select_option("form[data-action=dispatch] select", label="陈志愿")
        await page.click("form[data-action=dispatch] button")
        await page.wait_for_selector(".notice")
        assert (await page.text_content("#assignee")) == "陈志愿"
        await w.group.expect_edit("已派单给 陈志愿")
        assert await page.locator("img[src='/console/tickets/1/photos/0']").evaluate("i => i.naturalWidth") == 160
        await shoot(page, "ticket")

        await page.click('header a[href="/console/stats"]')
        await page.wait_for_selector("svg.chart")
        assert await page.locator("svg.chart").count() == 3
        assert await page.locator("svg.chart rect.bar").count() >= 3
        await shoot(page, "stats")

        await page.goto(base + "/console")
        async with page.expect_download() as waiting:
            await page.click("text=导出 Excel")
        download = await waiting.value
        content = await asyncio.to_thread(Path(await download.path()).read_bytes)
        book = openpyxl.load_workbook(io.BytesIO(content))
        assert [row[0] for row in list(book.worksheets[0].values)[1:]] == [3, 2, 1]

        await page.click('header a[href="/console/sessions"]')
        await page.wait_for_selector("#sessions")
        await shoot(page, "sessions")
        await page.click("header form button")
        await page.wait_for_selector(".message")
        await page.goto(base + "/console")
        assert "链接无效" in (await page.text_content("main") or "")
        await context.close()


async def test_an_organisations_member_in_a_browser(database_url: str, browser: Any) -> None:
    """The lift contractor's member: the board lists only its job; 接单 on the ticket page edits the job message, and
    退单 hands it back (the grid worker is told) and leaves the member on their board, now empty."""
    async with running_bot(database_url) as bot:
        w = await org_world(bot)
        await dispatched(bot, w, "3单元电梯又坏了", "迅达电梯维保", w.lift)
        await dispatched(bot, w, "3单元楼道水管漏水了", "阳光物业", w.keeper)
        base = f"http://127.0.0.1:{bot.runtime.web_port}"
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        await page.goto(base + await login_path(bot, w.lift))
        await page.wait_for_selector("#board")
        assert await page.locator("#board tbody tr").count() == 1
        assert "迅达电梯维保" in (await page.text_content("header") or "")
        await shoot(page, "org_board")
        await page.click('a[href="/console/tickets/1"]')
        await page.click("form[data-action=accept] button")
        await page.wait_for_selector("form[data-action=request_hold]")
        assert (await page.text_content("#assignee")) == "孙师傅"
        await bot.private(w.lift).expect_edit("已接单 #1")
        await shoot(page, "org_ticket")
        await page.fill("form[data-action=return] input[name=text]", "这部电梯归物业自己的维保")
        await page.click("form[data-action=return] button")
        await page.wait_for_selector("#board")  # handed back: the board, which no longer lists it
        assert await page.locator("#board tbody tr").count() == 0
        await bot.private(w.grid_worker).expect_message("迅达电梯维保 退回了工单 #1：这部电梯归物业自己的维保")
        await context.close()


async def test_a_wecom_group_image_kept_by_linli_is_drawn_on_the_ticket_page(database_url: str, browser: Any) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        w = await office(bot)
        group = await wecom.group(B1, "1号楼企业微信群")
        await wecom.user("wangxiaoming", "王小明").says_in(group, "3单元电梯坏了，困人了！", images=(lift_photo(),))
        await wecom.expect_in(group, "📷 1 张照片")
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        await page.goto(f"http://127.0.0.1:{bot.runtime.web_port}" + await login_path(bot, w.staff))
        await page.wait_for_selector("#board")
        await page.goto(f"http://127.0.0.1:{bot.runtime.web_port}/console/tickets/1")
        await page.wait_for_selector("#timeline")
        drawn = "i => i.decode().then(() => i.naturalWidth)"  # once the browser has the image decoded
        assert await page.locator("img[src='/console/tickets/1/photos/0']").evaluate(drawn) == 160
        await context.close()
