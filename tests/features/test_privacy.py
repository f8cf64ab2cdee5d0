"""Residents' data rights: /mydata sends the person's records privately, /forget (confirmed) anonymises them while
their tickets and ledger stay, the retention rule takes reporters off old closed tickets, and logs at INFO never
carry what residents wrote."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import aiohttp
import pytest
from sqlmodel import col, select

from bot.db import unit_of_work
from models.ledger import balance_of
from models.passbook import entries_of
from models.people import Person
from models.photos import StoredPhoto
from models.tickets import Ticket
from tests.features.console_world import login_path, office
from tests.features.harness import ManualClock, running_bot
from tests.features.test_console import client
from tests.features.test_wecom import choice
from tests.features.test_wecom_photos import JPEG, PNG
from tests.features.tickets_world import B1, building
from tests.features.wecom_world import running_bot_with_wecom


async def test_mydata_and_forget(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "3单元电梯坏了，好几天了！")
        card = await w.group.expect_message("📋 工单 #1")
        await w.head.presses(w.group, card, "确认")
        private = bot.private(w.resident)
        await private.expect_message("您获得 2 分")

        await w.resident.says(w.group, "/mydata")
        await w.group.expect_message("请私聊我发送这个命令")
        await w.resident.says(private, "我的数据")
        _, content = await private.expect_document("mydata_")
        data = json.loads(content)
        assert data["person"][0]["display_name"] == "王小明"
        assert data["ticket"][0]["text"] == "3单元电梯坏了，好几天了！" and data["ledger_entry"][0]["delta"] == 2

        await w.resident.says(private, "/forget")
        ask = await private.expect_message("确定要注销吗")
        await w.resident.presses(private, ask, "取消")
        await private.expect_edit("已取消")
        await w.resident.says(private, "/forget")
        ask = await private.expect_message("确定要注销吗")
        await w.resident.presses(private, ask, "确认注销")
        await private.expect_edit("2 分未用积分已清零")

        async with unit_of_work(bot.runtime.sessions) as session:
            ticket = await session.get(Ticket, 1)
            assert ticket is not None
            reporter = await session.get(Person, ticket.reporter_id)
            assert reporter is not None and reporter.display_name == "已注销居民"
            assert (await balance_of(session, person_id=ticket.reporter_id)).spendable == 0
            entries = await entries_of(session, person_id=ticket.reporter_id, limit=10, offset=0)
            assert sorted(e.delta for e in entries) == [-2, 2]

        await w.resident.says(private, "/points")  # a new person now: the old account is gone
        await private.expect_message("0")


async def test_retention_takes_reporters_off_old_closed_tickets(database_url: str) -> None:
    clock = ManualClock()
    async with running_bot(database_url, clock=clock, retention_months=6) as bot:
        w = await building(bot)
        await w.resident.says(w.group, "3单元电梯坏了")
        card = await w.group.expect_message("📋 工单 #1")
        await w.head.presses(w.group, card, "不是问题")
        await w.head.presses(w.group, await w.group.expect_message("为什么不是问题"), "其他")
        await w.group.expect_edit("不是问题，已关闭")
        await w.resident.says(w.group, "2单元楼道灯不亮了")
        await w.group.expect_message("📋 工单 #2")
        clock.advance(days=181)
        await bot.sweep()
        async with unit_of_work(bot.runtime.sessions) as session:
            closed, still_open = await session.get(Ticket, 1), await session.get(Ticket, 2)
            assert closed is not None and still_open is not None
            anonymous = await session.get(Person, closed.reporter_id)
            assert anonymous is not None and anonymous.display_name == "已注销居民"
            original = await session.get(Person, still_open.reporter_id)
            assert original is not None and original.display_name == "王小明"


async def test_logs_at_info_keep_no_message_text(
    database_url: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    secret_words = "七楼的张阿姨家漏水到我家天花板"
    async with running_bot(database_url) as bot:
        w = await building(bot)
        await w.resident.says(w.group, secret_words)
        await w.group.expect_message("📋 工单 #1")
        await w.resident.says(w.group, "今天天气真好我们去公园散步吧")
        await w.resident.says(bot.private(w.resident), "我的数据")
        await bot.private(w.resident).expect_document("mydata_")
        await bot.settle()
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert "linli.started" in logged  # the logs were captured at all
    for words in (secret_words, "天花板", "去公园散步"):
        assert words not in logged


async def test_a_forgotten_wecom_residents_photo_stays_with_the_ticket_and_names_nobody(database_url: str) -> None:
    """A photo Linli keeps is part of the ticket it came with: /mydata lists it by reference on that ticket (the
    stored photo row names nobody, so it is nobody's record), and /forget keeps it with the ticket as it keeps the
    ticket's text — the console still shows it, under 「已注销居民」."""
    async with running_bot_with_wecom(database_url) as (bot, wecom), aiohttp.ClientSession() as http:
        w = await office(bot)
        group = await wecom.group(B1, "1号楼企业微信群")
        resident = wecom.user("wangxiaoming", "王小明")
        await resident.says_in(group, "3单元电梯又坏了，好几天了！", images=(PNG,))
        await wecom.expect_in(group, "📋 工单 #1")

        await resident.says_privately("我的数据")
        await wecom.api.wait_for(lambda c: c.body.get("msgtype") == "file" and c.body.get("touser") == resident.userid)
        [export] = wecom.api.files_sent("/cgi-bin/message/send")
        data = json.loads(export.content)
        [photo] = data["ticket"][0]["photos"]
        assert photo.startswith("stored:") and "stored_photo" not in data

        await resident.says_privately("注销账号")
        ask = await resident.expect_private("确定要注销吗")
        await resident.says_privately(choice(ask.content, "确认注销"))
        await resident.expect_private("已注销")

        desk = client(bot, http)
        assert await desk.sign_in(await login_path(bot, w.staff)) == 303
        status, page = await desk.get("/console/tickets/1")
        assert status == 200 and "已注销居民" in page and "王小明" not in page
        status, _, body = await desk.get_bytes("/console/tickets/1/photos/0")
        assert status == 200 and body == PNG


async def test_a_kept_photo_that_reached_nothing_is_deleted_after_a_day_and_a_tickets_photo_stays(
    database_url: str,
) -> None:
    clock = ManualClock()
    async with running_bot_with_wecom(database_url, clock=clock) as (bot, wecom):
        await building(bot)
        group = await wecom.group(B1, "1号楼企业微信群")
        resident = wecom.user("wangxiaoming", "王小明")
        await resident.says_in(group, "3单元电梯又坏了，好几天了！", images=(PNG,))
        await wecom.expect_in(group, "📋 工单 #1")
        await resident.sends_image_privately(JPEG)  # an image alone from someone handling no ticket: nothing takes it

        async def kept() -> list[tuple[bytes, bool]]:
            async with unit_of_work(bot.runtime.sessions) as session:
                rows = (await session.exec(select(StoredPhoto).order_by(col(StoredPhoto.id)))).all()
                return [(row.content, row.in_use) for row in rows]

        assert await kept() == [(PNG, False), (JPEG, False)]
        await bot.sweep()
        assert await kept() == [(PNG, False), (JPEG, False)]  # not a day old yet
        # the photos carry WeCom's (wall-clock) time of arrival; the sweep runs on the features' clock
        clock.advance(seconds=(datetime.now(UTC) - clock()).total_seconds() + 25 * 3600)
        await bot.sweep()
        assert await kept() == [(PNG, True)]
        async with unit_of_work(bot.runtime.sessions) as session:
            ticket = await session.get(Ticket, 1)
            assert ticket is not None and ticket.photos[0].startswith("stored:")
