"""The sandbox page in a real browser: reply to a message (加分 by reply), send a photo with a caption (随手拍), and
follow its link to the console."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.conftest import ON_POSTGRES
from tests.features.test_sandbox import GROUP, RESIDENT, STAFF, sandbox

PHOTO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf0000000301010018dd8db40000000049454e44ae426082"
)


async def test_reply_and_photo_from_the_page(tmp_path: Path, database_url: str, browser: Any) -> None:
    database = database_url if ON_POSTGRES else f"sqlite:///{tmp_path}/sandbox.db"
    async with sandbox(tmp_path, database, within=60) as sandbox_page:  # startup time is test_sandbox.py's
        page = await browser.new_page()
        await page.goto(sandbox_page.api.removesuffix("/sandbox/api") + "/")
        await page.wait_for_selector(f'#chat option[value="{GROUP}"]', state="attached")
        await page.select_option("#chat", str(GROUP))
        await page.select_option("#persona", str(RESIDENT))
        await page.fill("#text", "我把楼道的雪扫了")
        await page.press("#text", "Enter")
        thanked = page.locator(".row", has_text="我把楼道的雪扫了")
        await thanked.wait_for()

        await page.select_option("#persona", str(STAFF))
        await thanked.locator(".reply-action").click()
        assert "回复" in (await page.text_content("#replying") or "")
        await page.fill("#text", "加分 5 扫雪")
        await page.press("#text", "Enter")
        award = page.locator(".row.user", has_text="加分 5 扫雪")
        await award.locator(".quote", has_text="我把楼道的雪扫了").wait_for()
        await page.locator(".row.bot", has_text="王小明 +5 分：扫雪").wait_for()
        assert not await page.is_visible("#replying")

        await page.select_option("#persona", str(RESIDENT))
        await page.fill("#text", "随手拍 2单元楼道灯坏了，晚上很黑")
        await page.set_input_files("#photo", files=[{"name": "灯.png", "mimeType": "image/png", "buffer": PHOTO}])
        await page.locator(".row.user", has_text="随手拍").locator("img.photo").wait_for()
        await page.locator(".row.bot", has_text="工单 #1").wait_for()
        assert await page.input_value("#text") == ""
        await page.screenshot(path=str(tmp_path / "sandbox.png"), full_page=True)


async def test_the_sandbox_links_to_the_console_it_serves(tmp_path: Path, database_url: str, browser: Any) -> None:
    """The page's 社区工作台 link, followed in the browser: without a session it lands on the console's sign-in
    message; once the staff member opened the one-time link the bot answered 工作台 with, on the board."""
    database = database_url if ON_POSTGRES else f"sqlite:///{tmp_path}/sandbox.db"
    async with sandbox(tmp_path, database, within=60) as sandbox_page:
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(sandbox_page.api.removesuffix("/sandbox/api") + "/")
        await page.wait_for_selector(f'#chat option[value="{STAFF}"]', state="attached")
        console = await followed_console_link(context, page)
        assert "请私聊机器人发送「工作台」" in await console.inner_text("body")
        await console.close()

        await page.select_option("#chat", str(STAFF))
        await page.fill("#text", "工作台")
        await page.press("#text", "Enter")
        answer = page.locator(".row.bot", has_text="/console/login/")
        await answer.wait_for()
        link = re.search(r"http://\S+/console/login/\S+", await answer.inner_text())
        assert link is not None
        signing_in = await context.new_page()
        await signing_in.goto(link.group(0))
        await signing_in.close()
        board = await followed_console_link(context, page)
        assert board.url.endswith("/console")
        assert await board.locator("a[href^='/console/tickets/'], table, form").count()
        assert "请私聊机器人发送「工作台」" not in await board.inner_text("body")


async def followed_console_link(context: Any, page: Any) -> Any:
    """The tab the page's console link opens (it opens in a new one), once loaded."""
    async with context.expect_page() as opened:
        await page.click("#console-link")
    console = await opened.value
    await console.wait_for_load_state()
    return console
