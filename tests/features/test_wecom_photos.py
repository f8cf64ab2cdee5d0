"""WeCom photos reach tickets and outlive WeCom, and the console shows them to those who may see the ticket only: the
assignee's image sent to the app 1:1 is copied from media/get at once (WeCom keeps it three days), and a resident's
@mention in a group with an image (the AI bot's encrypted five-minute link) becomes a ticket with that photo, kept in
Linli's own storage; an image that cannot be kept costs the photo only and the resident is told. A photo written to
the AI bot privately reaches the building's Telegram group on the ticket's card, uploaded from Linli's copy."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from models.people import Role
from sandbox.state import UploadedFile
from tests.features.console_world import B1, csrf_of, login_path, office
from tests.features.test_console import client
from tests.features.test_wecom import choice
from tests.features.tickets_world import building
from tests.features.wecom_world import running_bot_with_wecom

JPEG = b"\xff\xd8\xff\xe0" + "3单元电梯修好了".encode()
PNG = b"\x89PNG\r\n\x1a\n" + "楼道里堆满了纸箱".encode() * 40


async def test_the_wecom_assignees_image_is_attached_kept_and_shown_on_the_ticket_page_to_those_in_scope(
    database_url: str,
) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom), aiohttp.ClientSession() as http:
        w = await office(bot)
        worker = wecom.user("wangshifu")
        await wecom.grant(worker, Role.VOLUNTEER, B1, name="王师傅")
        await w.resident.says(w.group, "3单元电梯坏了，困人了！")  # urgent: ready to dispatch at once
        await w.group.expect_message("📋 工单 #1")
        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        status, page = await desk.get("/console/tickets/1")
        worker_id = re.search(r'<option value="(\d+)">王师傅</option>', page).group(1)  # type: ignore[union-attr]
        status, _, _ = await desk.post("/console/tickets/1/dispatch", {"csrf": csrf_of(page), "choice": worker_id})
        assert status == 303
        await worker.expect_private("您有新的派单：工单 #1")

        media_id = await worker.sends_image_privately(JPEG)
        await worker.expect_private("已把照片附到工单 #1")
        await w.group.expect_edit("📷 1 张照片")
        assert [c.query["media_id"] for c in wecom.api.sent("/cgi-bin/media/get")] == [media_id]  # copied at once
        del wecom.api.media[media_id]  # three days later WeCom no longer has it; Linli's copy stays
        await photo_shown_in_scope_only(bot, http, w, desk, JPEG, "image/jpeg")
        assert len([c for c in wecom.api.calls if c.path == "/cgi-bin/media/get"]) == 1  # the console never asks


async def test_a_group_at_mention_with_an_image_opens_a_ticket_whose_photo_the_console_shows(
    database_url: str,
) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom), aiohttp.ClientSession() as http:
        w = await office(bot)
        group = await wecom.group(B1, "1号楼企业微信群")
        resident = wecom.user("wangxiaoming", "王小明")
        await resident.says_in(group, "3单元电梯又坏了，好几天了！", images=(PNG,))
        card = await wecom.expect_in(group, "📋 工单 #1")
        assert "📷 1 张照片" in card.content
        [link] = [c for c in wecom.api.calls if c.path.startswith("/aibot/image/")]
        assert link.ok  # fetched once, at once, at the URL WeCom gave

        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        await photo_shown_in_scope_only(bot, http, w, desk, PNG, "image/png")


async def test_an_image_that_cannot_be_kept_loses_only_the_photo_and_the_resident_is_told_once(
    database_url: str,
) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom), aiohttp.ClientSession() as http:
        w = await office(bot)
        group = await wecom.group(B1, "1号楼企业微信群")
        resident = wecom.user("wangxiaoming", "王小明")
        await resident.says_in(group, "5单元楼道灯坏了，晚上看不见", images=(b"%PDF-1.7 not an image",))
        card = await wecom.expect_in(group, "📋 工单 #1")
        assert "📷" not in card.content
        await resident.expect_private("1 张图片没能保存下来")
        await resident.says_in(group, "3单元电梯又坏了，好几天了！", images=(b"GIF8 broken",))
        await wecom.expect_in(group, "📋 工单 #2")
        told = [c for c in wecom.api.sent("/cgi-bin/message/send") if "没能保存" in c.content]
        assert len(told) == 1  # at most once a minute, however many images fail

        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        status, page = await desk.get("/console/tickets/1")
        assert status == 200 and "5单元楼道灯坏了" in page and "/photos/0" not in page


async def test_a_photo_written_privately_to_the_ai_bot_is_on_the_card_in_the_buildings_telegram_group(
    database_url: str,
) -> None:
    async with running_bot_with_wecom(database_url) as (bot, wecom):
        w = await building(bot)  # 1号楼's group is on Telegram, its building head too
        resident = wecom.user("wangayi")
        await wecom.grant(resident, Role.RESIDENT, B1)
        await resident.says_to_the_ai_bot("3单元的楼道灯坏了，晚上看不见", images=(JPEG,))
        offer = await wecom.api.wait_for(  # the AI bot's one reply goes through the message's response_url
            lambda c: c.path == "/cgi-bin/aibot/response" and c.ok and "要把这条作为报修提交给 1号楼 吗？" in c.content
        )
        await resident.says_privately(choice(offer.content, "是"))
        await resident.expect_private("已登记工单 #1（报修）")
        card = await w.group.expect_message("📋 工单 #1 · 报修")
        assert "📷 1 张照片" in (card.text or "") and card.message["photo"]  # a photo with the card as its caption
        [upload] = [c.params["photo"] for c in bot.api.calls_of("sendPhoto")]
        assert isinstance(upload, UploadedFile) and upload.data == JPEG  # Linli's copy: a WeCom link is no file id
        await w.head.presses(w.group, card, "确认")
        confirmed = await w.group.expect_edit("已确认，待派单")  # the card's caption, as on any photo card
        assert confirmed.message["photo"] == card.message["photo"]


async def photo_shown_in_scope_only(
    bot: Any, http: aiohttp.ClientSession, w: Any, desk: Any, content: bytes, content_type: str
) -> None:
    """Ticket #1's page shows its photo and serves `content` to `desk`; the second grid's worker gets 404 (1号楼 is
    the first grid's)."""
    status, page = await desk.get("/console/tickets/1")
    assert status == 200 and '<img src="/console/tickets/1/photos/0"' in page
    status, headers, body = await desk.get_bytes("/console/tickets/1/photos/0")
    assert status == 200 and body == content and headers["Content-Type"] == content_type
    outside = client(bot, http)
    assert await outside.sign_in(await login_path(bot, w.grid2)) == 303
    assert (await outside.get_bytes("/console/tickets/1/photos/0"))[0] == 404
