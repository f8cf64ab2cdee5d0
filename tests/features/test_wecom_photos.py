"""A photo sent to the WeCom app reaches the ticket as a Telegram one does, and the console shows it: the assignee
on WeCom sends the app an image of the fix (no caption: WeCom images have none, like a Telegram photo sent alone),
it is attached to the ticket they handle, and the ticket page fetches it from WeCom's media/get, for those who may
see the ticket only."""

from __future__ import annotations

import re

import aiohttp

from models.people import Role
from tests.features.console_world import B1, csrf_of, login_path, office
from tests.features.test_console import client
from tests.features.wecom_world import running_bot_with_wecom

JPEG = b"\xff\xd8\xff\xe0" + "3单元电梯修好了".encode()


async def test_the_wecom_assignees_image_is_attached_and_shown_on_the_ticket_page_to_those_in_scope(
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
        status, page = await desk.get("/console/tickets/1")
        assert status == 200 and '<img src="/console/tickets/1/photos/0"' in page
        status, headers, body = await desk.get_bytes("/console/tickets/1/photos/0")
        assert status == 200 and body == JPEG and headers["Content-Type"] == "image/jpeg"
        assert [c.query["media_id"] for c in wecom.api.sent("/cgi-bin/media/get")] == [media_id]

        outside = client(bot, http)
        assert await outside.sign_in(await login_path(bot, w.grid2)) == 303  # the second grid's; 1号楼 is the first's
        assert (await outside.get_bytes("/console/tickets/1/photos/0"))[0] == 404
        assert len(wecom.api.sent("/cgi-bin/media/get")) == 1  # refused before WeCom is asked
        del wecom.api.media[media_id]  # WeCom keeps a received image three days
        assert (await desk.get_bytes("/console/tickets/1/photos/0"))[0] == 404
        assert [c.errcode for c in wecom.api.sent("/cgi-bin/media/get", ok=False)] == [40007]
