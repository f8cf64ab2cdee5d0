"""Residents' data rights: /mydata sends the person's records privately, /forget (confirmed) anonymises them while
their tickets and ledger stay, the retention rule takes reporters off old closed tickets, and logs at INFO never
carry what residents wrote."""

from __future__ import annotations

import json
import logging

import pytest

from bot.db import unit_of_work
from models.ledger import balance_of
from models.passbook import entries_of
from models.people import Person
from models.tickets import Ticket
from tests.features.harness import ManualClock, running_bot
from tests.features.tickets_world import building


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
