"""The WeCom callback routes over real HTTP: URL verification with the official vectors, and every refused body
(bad signature, bad padding, wrong receive id, oversized, malformed, stale) answered 403/400 with nothing processed
and a log line that carries no secret."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp import web

from bot.db import SessionFactory, unit_of_work
from bot.dispatcher import Prepare
from bot.wecom.api import WeComApi
from bot.wecom.callbacks import APP_CALLBACK_PATH, BOT_CALLBACK_PATH, WeComAdapter
from bot.wecom.images import ImageKeeper
from bot.wecom_crypto import MAX_BODY_BYTES, WeComCrypto
from handlers.core.types import Incoming, IncomingMessage
from models.routes import take_reply_channel
from sandbox.wecom import (
    AGENT_ID,
    APP_CRYPTO,
    APP_SECRET,
    APP_TOKEN,
    BOT_AES_KEY,
    BOT_CRYPTO,
    BOT_TOKEN,
    CORP_ID,
    signed_query,
)
from tests.fixtures import WECOM_VECTORS

VECTORS = json.loads(WECOM_VECTORS.read_text(encoding="utf-8"))
API_BASE = "http://127.0.0.1:9"
AIBOT_MESSAGE = {
    "msgid": "m-1",
    "aibotid": "aib",
    "chatid": "wrChat",
    "chattype": "group",
    "from": {"userid": "zhangsan"},
    "response_url": f"{API_BASE}/cgi-bin/aibot/response?response_code=abc",
    "msgtype": "text",
    "text": {"content": "@邻里 电梯坏了"},
}


async def as_sent(incoming: IncomingMessage) -> IncomingMessage:
    """No names here: the routes are tested on their own (names: test_names.py)."""
    return incoming


class Server:
    def __init__(self, adapter: WeComAdapter, received: list[Incoming], url: str) -> None:
        self.adapter, self.received, self.url = adapter, received, url

    async def post(self, path: str, params: dict[str, str], body: bytes | str) -> int:
        async with aiohttp.ClientSession() as http, http.post(self.url + path, params=params, data=body) as response:
            return response.status

    async def get(self, path: str, params: dict[str, str]) -> tuple[int, str]:
        async with aiohttp.ClientSession() as http, http.get(self.url + path, params=params) as response:
            return response.status, await response.text()


async def serve(
    sessions: SessionFactory, app_crypto: WeComCrypto, bot_crypto: WeComCrypto, api_base: str = API_BASE
) -> AsyncIterator[Server]:
    """The routes on 127.0.0.1, keeping images through an API client for `api_base` (the fake WeCom, or nothing)."""
    received: list[Incoming] = []
    api = WeComApi(aiohttp.ClientSession(), base_url=api_base, corp_id=CORP_ID, secret=APP_SECRET, agent_id=AGENT_ID)

    async def sink(item: Incoming, prepare: Prepare) -> bool:
        """The dispatcher's part: the adapter's steps in its transaction, then the item they give is routed."""
        async with unit_of_work(sessions) as session:
            received.append(await prepare(session))
        return True

    adapter = WeComAdapter(
        sink,
        app_crypto=app_crypto,
        bot_crypto=bot_crypto,
        api_base_url=api_base,
        clock=lambda: datetime.now(UTC),
        named=as_sent,
        keeper=ImageKeeper(api, bot_crypto, max_bytes=1024 * 1024),
        locale="zh",
    )
    app = web.Application()
    adapter.add_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield Server(adapter, received, f"http://127.0.0.1:{runner.addresses[0][1]}")
    await runner.cleanup()
    await api.close()


@pytest.fixture
async def server(sessions: SessionFactory) -> AsyncIterator[Server]:
    async for running in serve(sessions, APP_CRYPTO, BOT_CRYPTO):
        yield running


def json_body(crypto: WeComCrypto, message: dict[str, Any]) -> tuple[dict[str, str], str]:
    encrypt = crypto.encrypt(json.dumps(message, ensure_ascii=False))
    return signed_query(crypto, encrypt), json.dumps({"encrypt": encrypt})


async def test_url_verification_answers_the_official_vectors(sessions: SessionFactory) -> None:
    for vector in (v for v in VECTORS["vectors"] if v["kind"] == "verify_url_get"):
        config = VECTORS["configs"][vector["config"]]
        crypto = WeComCrypto(config["token"], config["encoding_aes_key"], config["receive_id"])
        async for running in serve(sessions, crypto, BOT_CRYPTO):
            query = {k: vector[k] for k in ("msg_signature", "timestamp", "nonce", "echostr")}
            assert await running.get(APP_CALLBACK_PATH, query) == (200, vector["expected_plaintext"])
            if "negative_case" in vector:
                status, _ = await running.get(APP_CALLBACK_PATH, query | {"nonce": vector["negative_case"]["nonce"]})
                assert status == 403


async def test_a_signed_ai_bot_message_is_dispatched_and_its_response_url_kept(
    server: Server, sessions: SessionFactory
) -> None:
    params, body = json_body(BOT_CRYPTO, AIBOT_MESSAGE)
    assert await server.post(BOT_CALLBACK_PATH, params, body) == 200
    [item] = server.received
    assert isinstance(item, IncomingMessage) and item.text == "电梯坏了" and item.chat.platform_chat_id == "g:wrChat"
    async with sessions() as session, session.begin():
        url = await take_reply_channel(session, platform="wecom", platform_chat_id="g:wrChat", now=datetime.now(UTC))
    assert url == AIBOT_MESSAGE["response_url"]


async def test_a_response_url_outside_the_wecom_api_is_not_kept(server: Server, sessions: SessionFactory) -> None:
    params, body = json_body(BOT_CRYPTO, AIBOT_MESSAGE | {"response_url": "http://169.254.169.254/latest"})
    assert await server.post(BOT_CALLBACK_PATH, params, body) == 200
    async with sessions() as session, session.begin():
        assert (
            await take_reply_channel(session, platform="wecom", platform_chat_id="g:wrChat", now=datetime.now(UTC))
            is None
        )


def tampered(body: str) -> str:
    """Flip one bit in the last ciphertext block: the padding no longer checks out."""
    data = json.loads(body)
    raw = bytearray(base64.b64decode(data["encrypt"]))
    raw[-1] ^= 0x01
    return json.dumps({"encrypt": base64.b64encode(bytes(raw)).decode()})


def refused_case(name: str) -> tuple[dict[str, str], str, int]:
    """The query, body and expected status of one refused callback, signed now (a case signed when the tests were
    collected would have gone stale by the time a long run reaches it)."""
    params, body = json_body(BOT_CRYPTO, AIBOT_MESSAGE)
    other_id = WeComCrypto(BOT_TOKEN, BOT_AES_KEY, "ww-someone-else")
    wrong_params, wrong_body = json_body(other_id, AIBOT_MESSAGE)
    stale = signed_query(BOT_CRYPTO, json.loads(body)["encrypt"], timestamp=int(time.time()) - 3600)
    tampered_body = tampered(body)
    cases = {
        "bad-signature": (params | {"msg_signature": "0" * 40}, body, 403),
        "bad-padding": (signed_query(BOT_CRYPTO, json.loads(tampered_body)["encrypt"]), tampered_body, 403),
        "wrong-receive-id": (wrong_params, wrong_body, 403),
        "stale-timestamp": (stale, body, 403),
        "unicode-digit-timestamp": (params | {"timestamp": "1²"}, body, 403),
        "400-digit-timestamp": (params | {"timestamp": "1" * 400}, body, 403),
        "oversized": (params, "x" * (MAX_BODY_BYTES + 10), 400),
        "malformed": (params, "{not json", 400),
        "unsigned": ({}, body, 400),
    }
    return cases[name]


REFUSED_CASES = [
    "bad-signature",
    "bad-padding",
    "wrong-receive-id",
    "stale-timestamp",
    "unicode-digit-timestamp",
    "400-digit-timestamp",
    "oversized",
    "malformed",
    "unsigned",
]


@pytest.mark.parametrize("case", REFUSED_CASES)
async def test_refused_callbacks_process_nothing_and_log_no_secret(server: Server, case: str) -> None:
    params, body, status = refused_case(case)
    with structlog.testing.capture_logs() as logs:
        assert await server.post(BOT_CALLBACK_PATH, params, body) == status
    assert server.received == []
    [line] = [entry for entry in logs if entry["event"] == "wecom.callback_refused"]
    assert line["surface"] == "bot" and line["status"] == status
    flat = json.dumps(logs, ensure_ascii=False, default=str)
    for secret in (BOT_TOKEN, BOT_AES_KEY, json.loads(json_body(BOT_CRYPTO, AIBOT_MESSAGE)[1])["encrypt"][:20]):
        assert secret not in flat


async def test_a_flood_of_forged_signatures_is_logged_as_one_count(server: Server) -> None:
    params, body = json_body(BOT_CRYPTO, AIBOT_MESSAGE)
    with structlog.testing.capture_logs() as logs:
        for _ in range(50):
            assert await server.post(BOT_CALLBACK_PATH, params | {"msg_signature": "0" * 40}, body) == 403
        server.adapter.refusals.flush()  # the end of the minute
    lines = [entry for entry in logs if entry["event"] == "wecom.callback_refused"]
    assert [line["count"] for line in lines] == [1, 49]
    assert server.received == []


async def test_an_app_callback_in_xml_is_dispatched(server: Server) -> None:
    plaintext = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName>"
        "<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[帮助]]></Content>"
        "<MsgId>42</MsgId><AgentID>1000002</AgentID></xml>"
    )
    encrypt = APP_CRYPTO.encrypt(plaintext)
    body = f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    assert await server.post(APP_CALLBACK_PATH, signed_query(APP_CRYPTO, encrypt), body) == 200
    [item] = server.received
    assert isinstance(item, IncomingMessage) and item.text == "帮助" and item.chat.platform_chat_id == "lisi"
    assert APP_TOKEN not in item.text


APP_TEXT = (
    "<xml><ToUserName><![CDATA[{corp}]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName>"
    "<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>{content}</Content>"
    "<MsgId>43</MsgId><AgentID>1000002</AgentID></xml>"
)


@pytest.mark.parametrize(
    "declaration",
    [
        '<!DOCTYPE xml [<!ENTITY name "王小明 13812345678">]>',
        '<!doctype xml [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>',
        '<!DOCTYPE xml SYSTEM "file:///etc/passwd">',
    ],
)
async def test_a_dtd_inside_a_correctly_encrypted_app_message_is_refused(server: Server, declaration: str) -> None:
    """The envelope is clean and the signature right; the DTD is inside the decrypted message."""
    plaintext = declaration + APP_TEXT.format(corp=CORP_ID, content="&name;" if "name" in declaration else "hi")
    encrypt = APP_CRYPTO.encrypt(plaintext)
    body = f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    with structlog.testing.capture_logs() as logs:
        assert await server.post(APP_CALLBACK_PATH, signed_query(APP_CRYPTO, encrypt), body) == 400
    assert server.received == []
    assert [entry["status"] for entry in logs if entry["event"] == "wecom.callback_refused"] == [400]
