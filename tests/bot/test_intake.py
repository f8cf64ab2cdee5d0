"""What the Telegram adapter accepts: odd JSON becomes a clear 'unparseable' with a reason, never an exception later;
the webhook's secret check and the polling loop's backoff."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from bot.intake import Unparseable, arrival, arrival_of_body, checked_update, decode_json, update_id_in
from bot.polling import Poller, PollFailed, batch_of, next_offset
from bot.web import secret_matches
from models.inbox import InboxStatus, InboxUpdate

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def message(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "message_id": 5,
        "date": 1764640000,
        "chat": {"id": -1001234, "type": "supergroup", "title": "1号楼"},
        "from": {"id": 42, "is_bot": False, "first_name": "王"},
        "text": "电梯坏了",
    }
    return {"update_id": 7, "message": base | fields}


def test_a_plain_update_passes_unchanged() -> None:
    assert checked_update(message()) == message()


def test_lone_surrogates_are_replaced_everywhere() -> None:
    update = checked_update(message(text="坏了\ud800", chat={"id": -1, "type": "group", "title": "\udfff楼"}))
    assert update["message"]["text"] == "坏了\ufffd"
    assert update["message"]["chat"]["title"] == "\ufffd楼"
    json.dumps(update).encode()  # storable and encodable


def test_nul_characters_are_replaced_since_postgresql_text_refuses_them() -> None:
    sender = {"id": 42, "is_bot": False, "first_name": "王\x00"}
    update = checked_update(
        message(text="\x00\x01", chat={"id": -1, "type": "group", "title": "1号楼\x00"}, **{"from": sender})
    )
    assert update["message"]["text"] == "\ufffd\x01"
    assert update["message"]["chat"]["title"] == "1号楼\ufffd"
    assert update["message"]["from"]["first_name"] == "王\ufffd"


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        (message(message_id=2**63), "integer out of 64-bit range"),
        (message(chat={"id": -(2**70), "type": "group"}), "integer out of 64-bit range"),
        (message(date="2026-12-02"), "message.date: int_type"),
        (message(text=12), "message.text: string_type"),
        ({"update_id": 8, "message": "hello"}, "message: model_type"),
        (message(**{"from": {"id": "42", "is_bot": False, "first_name": "王"}}), "message.from.id: int_type"),
        (message(reply_to_message={"message_id": True}), "message.reply_to_message.message_id: int_type"),
        (message(text="x" * 20_000), "string too long"),
        ({"update_id": -1}, "update_id: greater_than_equal"),
        ([1, 2], "not a JSON object"),
    ],
)
def test_odd_updates_are_unparseable_with_a_reason(update: Any, reason: str) -> None:
    with pytest.raises(Unparseable) as raised:
        checked_update(update)
    assert raised.value.reason == reason


def test_callback_data_longer_than_telegram_allows_is_unparseable() -> None:
    query = {"id": "9", "from": {"id": 42, "is_bot": False, "first_name": "王"}, "data": "x" * 65}
    with pytest.raises(Unparseable, match=r"callback_query\.data"):
        checked_update({"update_id": 1, "callback_query": query})


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"update_id": ' + b"9" * 5000 + b"}", b"\xff\xfe not utf-8", b"{", b""],
)
def test_bodies_no_parser_can_read_are_unparseable(body: bytes) -> None:
    with pytest.raises(Unparseable):
        decode_json(body)


def test_deep_nesting_the_parser_accepts_is_still_refused() -> None:
    deep: Any = "leaf"
    for _ in range(100):
        deep = {"x": deep}
    with pytest.raises(Unparseable, match="nested too deeply"):
        checked_update({"update_id": 3, "message": deep})


def test_an_unreadable_body_is_kept_as_text_and_set_aside_under_its_update_id() -> None:
    row = arrival_of_body(1, b'{"update_id": 77, "message": {\x00\xff', NOW)
    assert (row.status, row.delivery_key, row.reason) == (InboxStatus.SET_ASIDE, "1:77", "unparseable: not JSON")
    assert row.raw.isascii() and "\\u0000" in row.raw
    assert update_id_in(b'{"update_id":' + b"9" * 30 + b"}") is None


def test_arrivals_are_keyed_by_bot_and_update_id_and_ordered_by_chat() -> None:
    row = arrival(1, message(), NOW)
    assert (row.status, row.delivery_key, row.chat_key) == (InboxStatus.PENDING, "1:7", "-1001234")
    odd = arrival(1, {"update_id": 2**64}, NOW)
    assert odd.status == InboxStatus.SET_ASIDE and odd.delivery_key.startswith("1:unread:")


def test_the_secret_header_is_compared_safely() -> None:
    assert secret_matches("s3cret", "s3cret")
    assert not secret_matches("s3cre", "s3cret")
    assert not secret_matches("\udcff\udcfe", "s3cret")  # bytes that are no UTF-8, as aiohttp keeps them
    assert not secret_matches("", "")


def test_a_get_updates_answer_is_read_strictly() -> None:
    assert batch_of({"ok": True, "result": [{"update_id": 1}]}) == [{"update_id": 1}]
    with pytest.raises(PollFailed) as raised:
        batch_of({"ok": False, "error_code": 429, "parameters": {"retry_after": 3}})
    assert (raised.value.kind, raised.value.retry_after) == ("error 429", 3.0)
    with pytest.raises(PollFailed):
        batch_of({"ok": True, "result": {}})
    assert next_offset([{"update_id": 4}, {"update_id": True}, "x", {"update_id": 9}], None) == 10
    assert next_offset(["x"], 5) == 5


async def test_polling_backs_off_while_the_server_answers_garbage() -> None:
    """An answer nobody can parse is retried after growing pauses, fetched one by one, and the unreadable update is
    kept and passed: no busy loop, no stall."""
    calls: list[dict[str, Any]] = []
    good = {"update_id": 11, "message": message()["message"]}

    async def get_updates(request: web.Request) -> web.Response:
        params = await request.json()
        calls.append(params)
        if params.get("offset", 0) > 10:
            return web.json_response({"ok": True, "result": [good] if params.get("offset") == 11 else []})
        return web.Response(body=b'{"ok":true,"result":[{"update_id":10,"message":' + b"[" * 50_000)

    app = web.Application()
    app.router.add_post("/botT/getUpdates", get_updates)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    stored: list[InboxUpdate] = []
    both_stored = asyncio.Event()

    async def store(rows: Sequence[InboxUpdate]) -> int:
        stored.extend(rows)
        if len(stored) >= 2:
            both_stored.set()
        return len(rows)

    poller = Poller(
        api_url=f"http://127.0.0.1:{port}/botT",
        bot_id=1,
        store=store,
        clock=lambda: NOW,
        allowed_updates=["message"],
        timeout=0,
        min_backoff=0.2,
    )
    poller.start()
    await asyncio.wait_for(both_stored.wait(), 20.0)  # the pauses grow (0.2 s, 0.4 s …): however slow the machine
    await poller.stop()
    await runner.cleanup()
    assert [(row.delivery_key, row.status) for row in stored[:2]] == [
        ("1:10", InboxStatus.SET_ASIDE),
        ("1:11", InboxStatus.PENDING),
    ]
    unreadable = [c for c in calls if c.get("offset", 0) <= 10]
    assert len(unreadable) == 2 and unreadable[1]["limit"] == 1


async def test_stopping_polling_waits_for_the_batch_being_stored() -> None:
    async def get_updates(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": [message()]})

    app = web.Application()
    app.router.add_post("/botT/getUpdates", get_updates)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    storing, finished = asyncio.Event(), asyncio.Event()

    async def slow_store(rows: Sequence[InboxUpdate]) -> int:
        storing.set()
        await asyncio.sleep(0.5)
        finished.set()
        return len(rows)

    poller = Poller(
        api_url=f"http://127.0.0.1:{runner.addresses[0][1]}/botT",
        bot_id=1,
        store=slow_store,
        clock=lambda: NOW,
        allowed_updates=["message"],
        timeout=0,
    )
    poller.start()
    await asyncio.wait_for(storing.wait(), 5)
    await poller.stop()
    await runner.cleanup()
    assert finished.is_set()
