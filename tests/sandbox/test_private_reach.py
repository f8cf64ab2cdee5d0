"""The local Bot API refuses private messages the way Telegram does: to a user who never started the bot, and to a
user who blocked it; writing to the bot (or /start) opens the chat."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot
from telegram.error import Forbidden

from sandbox.server import LocalBotApi

TOKEN = "8000000001:TEST-token"
NEVER_STARTED = "Forbidden: bot can't initiate conversation with a user"
BLOCKED = "Forbidden: bot was blocked by the user"


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    server = LocalBotApi(token=TOKEN)
    await server.start()
    yield server
    await server.stop()


async def test_a_private_send_to_someone_who_never_started_the_bot_is_a_403_like_telegram(api: LocalBotApi) -> None:
    resident = api.user(7001, "刘阿姨")
    api.private_chat(resident)
    async with aiohttp.ClientSession() as session:
        url = f"{api.base_url}{TOKEN}/sendMessage"
        async with session.post(url, json={"chat_id": resident.id, "text": "修好了吗？"}) as response:
            assert response.status == 403
            assert await response.json() == {"ok": False, "error_code": 403, "description": NEVER_STARTED}
    assert api.messages(resident.id) == []


async def test_writing_to_the_bot_opens_the_chat_and_blocking_closes_it(api: LocalBotApi) -> None:
    resident = api.user(7002, "王小明")
    chat = api.private_chat(resident)
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        with pytest.raises(Forbidden, match="can't initiate"):
            await bot.send_photo(resident.id, "https://example.invalid/p.jpg")
        api.inject_message(chat, resident, "/start")
        assert api.has_started_bot(resident.id)
        await bot.send_message(resident.id, "你好")
        api.inject_block(resident)
        assert not api.has_started_bot(resident.id)
        assert api.member_status(resident.id, api.bot.id) == "kicked"
        with pytest.raises(Forbidden) as raised:
            await bot.send_message(resident.id, "还在吗")
        assert raised.value.message == BLOCKED
        api.inject_message(chat, resident, "我回来了")
        await bot.send_message(resident.id, "欢迎回来")
    assert [m.text for m in api.bot_messages(resident.id)] == ["你好", "欢迎回来"]
    assert api.member_status(resident.id, api.bot.id) == "member"


async def test_a_user_who_started_the_bot_earlier_can_be_written_to_at_once(api: LocalBotApi) -> None:
    volunteer = api.start_bot(api.user(7003, "李楼长"))
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        await bot.send_message(volunteer.id, "任务")
    assert api.last_bot_message(volunteer.id).text == "任务"
