"""The WeCom transport and API client against the local fake WeCom API over HTTP: tokens, limits, error codes,
the one-shot response_url, group routes, and files (exports) uploaded and sent as file messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.db import SessionFactory, unit_of_work
from bot.outbox_sender import Delivery, DeliveryError, Failure
from bot.wecom.api import WeComApi, WeComError, file_message
from bot.wecom.mapping import webhook_key
from bot.wecom.transport import ROUTE_APPCHAT, ROUTE_ROBOT, WeComTransport, bind_wecom_group
from handlers.common.org_import import import_tree, parse_org_file
from models.outbox import OutboxMessage
from models.payloads import Attachment, document_json
from models.places import place_by_code
from models.routes import remember_reply_channel
from sandbox.wecom import AGENT_ID, APP, CORP_ID, FakeWeCom, Media, WeComCall

TREE = """communities:
  - name: 阳光社区
    grids:
      - name: 一网格
        buildings:
          - {name: 1号楼}
"""
B1 = "阳光社区/一网格/1号楼"
CSV = "\ufeff序号,姓名,报名状态\r\n1,王小明,已报名\r\n".encode("utf-8-sig") + bytes(range(256))  # any bytes
FILENAME = "义诊-报名名单 2025.csv"
CAPTION = "📎 义诊 报名名单（2 人）"


FAKE_WECOM = {"robot_limit": 2}


def now() -> datetime:
    return datetime.now(UTC)


def transport(api: WeComApi, sessions: SessionFactory) -> WeComTransport:
    return WeComTransport(api, sessions, clock=now, locale="zh", group_limit_per_minute=2)


def send(chat_id: str, text: str, row_id: int = 7) -> Delivery:
    return Delivery.stored("send", chat_id, {"text": text, "buttons": []}, None, row_id)


def document(chat_id: str, row_id: int = 9, content: bytes = CSV) -> Delivery:
    """A row as `SendDocument` writes it: the caption as text, the file in the payload."""
    return Delivery.stored(
        "send", chat_id, {"text": CAPTION, "document": document_json(Attachment(FILENAME, content))}, None, row_id
    )


async def on_a_row(sessions: SessionFactory, delivery: Delivery) -> Delivery:
    """The same delivery for a real outbox row: the transport keeps how many parts went out on it."""
    row = OutboxMessage.of(platform="wecom", chat_id=delivery.chat_id, content=delivery.payload)
    async with unit_of_work(sessions) as session:
        session.add(row)
    return replace(delivery, row_id=row.id)


def contents(fake: FakeWeCom, path: str) -> list[str]:
    """What a chat shows, in order: the text of each accepted message, or `file:<name>` for a file."""
    return [
        f"file:{fake.media[c.body['file']['media_id']].filename}" if c.body.get("msgtype") == "file" else c.content
        for c in fake.sent(path)
    ]


def calls_to(fake: FakeWeCom, path: str) -> list[WeComCall]:
    return [c for c in fake.calls if c.path == path]


async def bound_group(sessions: SessionFactory, kind: str, address: str) -> str:
    async with unit_of_work(sessions) as session:
        await import_tree(session, parse_org_file("t.yaml", TREE))
        place = await place_by_code(session, code=B1)
        assert place is not None
        chat = await bind_wecom_group(
            session, place=place, kind=kind, address=address, title="群", ai_bot_chatid=None, now=now()
        )
        return chat.platform_chat_id


async def fresh_reply_channel(sessions: SessionFactory, fake: FakeWeCom, chat_id: str) -> None:
    """The chat's one-shot response_url, as an AI-bot callback leaves it: unused, valid for an hour."""
    async with unit_of_work(sessions) as session:
        remember_reply_channel(
            session,
            platform="wecom",
            platform_chat_id=chat_id,
            url=fake.response_url(),
            expires_at=now() + timedelta(hours=1),
        )


async def test_the_access_token_is_cached_and_refreshed_once_when_wecom_says_it_expired(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    wecom = transport(api, sessions)
    assert await wecom.deliver(send("zhangsan", "您好")) == "7"
    await wecom.deliver(send("zhangsan", "第二条"))
    assert api.tokens_fetched == 1
    fake.expire_tokens()
    await wecom.deliver(send("zhangsan", "第三条"))
    assert api.tokens_fetched == 2
    sends = [c.errcode for c in fake.calls if c.path == "/cgi-bin/message/send"]
    assert sends == [0, 0, 42001, 0]
    assert [c.content for c in fake.sent("/cgi-bin/message/send")] == ["您好", "第二条", "第三条"]


async def test_a_wrong_app_secret_is_a_permanent_failure(fake: FakeWeCom, sessions: SessionFactory) -> None:
    async with aiohttp.ClientSession() as http:
        wrong = WeComApi(http, base_url=fake.base_url, corp_id=CORP_ID, secret="not-it", agent_id=AGENT_ID)
        with pytest.raises(DeliveryError) as caught:
            await transport(wrong, sessions).deliver(send("zhangsan", "您好"))
    assert caught.value.failure is Failure.PERMANENT and "40001" in caught.value.reason


async def test_a_robot_past_its_limit_is_told_to_wait_and_a_removed_robot_is_gone(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    chat_id = await bound_group(sessions, ROUTE_ROBOT, webhook_key(fake.robot()))
    wecom = transport(api, sessions)
    await wecom.deliver(send(chat_id, "一"))
    await wecom.deliver(send(chat_id, "二"))
    with pytest.raises(DeliveryError) as caught:
        await wecom.deliver(send(chat_id, "三"))
    assert caught.value.failure is Failure.RETRY_AFTER and caught.value.retry_after == 60.0
    fake.robots.clear()
    with pytest.raises(DeliveryError) as gone:
        await wecom.deliver(send(chat_id, "四"))
    assert gone.value.failure is Failure.CHAT_GONE


async def test_the_response_url_serves_the_first_send_only_then_the_group_route(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    fake.appchats["wrAppChat1"] = ["zhangsan", "lisi"]
    chat_id = await bound_group(sessions, ROUTE_APPCHAT, "wrAppChat1")
    await fresh_reply_channel(sessions, fake, chat_id)
    wecom = transport(api, sessions)
    await wecom.deliver(send(chat_id, "第一条"))
    await wecom.deliver(send(chat_id, "第二条"))
    assert [c.content for c in fake.sent("/cgi-bin/aibot/response")] == ["第一条"]
    assert [c.content for c in fake.sent("/cgi-bin/appchat/send")] == ["第二条"]


async def test_a_long_text_goes_out_in_parts_and_a_retry_does_not_repeat_the_parts_sent(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    chat_id = await bound_group(sessions, ROUTE_ROBOT, webhook_key(fake.robot()))  # 2 messages a minute here
    wecom = transport(api, sessions)
    notice = "\n".join(f"{n}. 本周六上午扫雪，请各楼栋志愿者到物业门口领取工具" for n in range(1, 81))
    delivery = await on_a_row(sessions, send(chat_id, notice))
    with pytest.raises(DeliveryError) as caught:
        await wecom.deliver(delivery)
    assert caught.value.failure is Failure.RETRY_AFTER  # the third part meets the robot's limit
    fake.window = 0.0  # the minute has passed
    await wecom.deliver(delivery)
    shown = contents(fake, "/cgi-bin/webhook/send")
    assert [part.rsplit("\n", 1)[1] for part in shown] == [f"（{n}/4）" for n in range(1, 5)]  # 6,150 bytes
    assert "\n".join(part.rsplit("\n", 1)[0] for part in shown) == notice


async def test_another_worker_retrying_a_long_text_goes_on_from_the_parts_its_row_records(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    chat_id = await bound_group(sessions, ROUTE_ROBOT, webhook_key(fake.robot()))  # 2 messages a minute here
    notice = "\n".join(f"{n}. 本周六上午扫雪，请各楼栋志愿者到物业门口领取工具" for n in range(1, 81))
    delivery = await on_a_row(sessions, send(chat_id, notice))
    with pytest.raises(DeliveryError):
        await transport(api, sessions).deliver(delivery)  # two parts out, then the robot's limit
    async with sessions() as session:
        row = await session.get(OutboxMessage, delivery.row_id)
        assert row is not None and row.parts_sent == 2
    fake.window = 0.0
    await transport(api, sessions).deliver(delivery)  # a fresh transport: nothing in memory
    assert [part.rsplit("\n", 1)[1] for part in contents(fake, "/cgi-bin/webhook/send")] == [
        f"（{n}/4）" for n in range(1, 5)
    ]


async def test_a_long_text_to_a_group_reached_only_by_its_one_shot_reply_is_cut_short(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    await fresh_reply_channel(sessions, fake, "g:aibot1")
    await transport(api, sessions).deliver(send("g:aibot1", "电梯" * 2000))
    (reply,) = [c.content for c in fake.sent("/cgi-bin/aibot/response")]
    assert len(reply.encode()) <= 2048 and reply.endswith("……（消息过长，已截断）")


async def test_an_unrouted_group_and_an_answer_without_text(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    wecom = transport(api, sessions)
    with pytest.raises(DeliveryError) as caught:
        await wecom.deliver(send("g:unknown", "你好"))
    assert caught.value.failure is Failure.PERMANENT and "no robot webhook" in caught.value.reason
    assert (
        await wecom.deliver(Delivery.stored("answer", "g:unknown", {"callback_id": "m1", "text": ""}, None, 8)) is None
    )
    assert fake.calls == []


async def test_an_app_group_chat_is_created_and_bound(fake: FakeWeCom, api: WeComApi, sessions: SessionFactory) -> None:
    chatid = await api.create_appchat(name="1号楼通知群", owner="zhangsan", userids=["zhangsan", "lisi"])
    chat_id = await bound_group(sessions, ROUTE_APPCHAT, chatid)
    await transport(api, sessions).deliver(send(chat_id, "停水通知"))
    assert fake.appchats[chatid] == ["zhangsan", "lisi"]
    assert fake.sent("/cgi-bin/appchat/send")[0].body["chatid"] == chatid


async def test_a_document_reaches_a_private_chat_as_its_caption_then_the_uploaded_file(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    wecom = transport(api, sessions)
    await wecom.deliver(send("zhangsan", "您好"))
    fake.expire_tokens()
    assert await wecom.deliver(document("zhangsan")) == "9"
    uploads = calls_to(fake, "/cgi-bin/media/upload")
    assert [c.errcode for c in uploads] == [42001, 0] and uploads[-1].query["type"] == "file"
    assert contents(fake, "/cgi-bin/message/send") == ["您好", CAPTION, f"file:{FILENAME}"]
    assert fake.files_sent("/cgi-bin/message/send") == [Media(FILENAME, CSV, APP)]


async def test_a_document_reaches_a_robot_group_through_that_robots_own_upload(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    key = webhook_key(fake.robot())
    chat_id = await bound_group(sessions, ROUTE_ROBOT, key)
    await transport(api, sessions).deliver(document(chat_id))
    assert [c.query["type"] for c in fake.sent("/cgi-bin/webhook/upload_media")] == ["file"]
    assert contents(fake, "/cgi-bin/webhook/send") == [CAPTION, f"file:{FILENAME}"]
    assert fake.files_sent("/cgi-bin/webhook/send") == [Media(FILENAME, CSV, key)]
    assert not calls_to(fake, "/cgi-bin/media/upload")

    other = webhook_key(fake.robot())
    for media_id in ("no-such-media", fake.sent("/cgi-bin/webhook/send")[-1].body["file"]["media_id"]):
        with pytest.raises(WeComError) as refused:
            await api.send_robot(other, file_message(media_id))
        assert refused.value.errcode == 40007 and refused.value.failure is Failure.PERMANENT


async def test_a_document_in_an_app_group_chat_leaves_the_one_shot_reply_to_the_next_text(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    fake.appchats["wrAppChat1"] = ["zhangsan", "lisi"]
    chat_id = await bound_group(sessions, ROUTE_APPCHAT, "wrAppChat1")
    await fresh_reply_channel(sessions, fake, chat_id)
    wecom = transport(api, sessions)
    await wecom.deliver(document(chat_id))
    await wecom.deliver(send(chat_id, "之后的文字"))
    assert contents(fake, "/cgi-bin/appchat/send") == [CAPTION, f"file:{FILENAME}"]
    assert fake.files_sent("/cgi-bin/appchat/send") == [Media(FILENAME, CSV, APP)]
    assert contents(fake, "/cgi-bin/aibot/response") == ["之后的文字"]


async def test_a_document_retried_after_its_caption_went_out_does_not_repeat_the_caption(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    chat_id = await bound_group(sessions, ROUTE_ROBOT, webhook_key(fake.robot()))
    wecom = transport(api, sessions)
    await wecom.deliver(send(chat_id, "一"))
    delivery = await on_a_row(sessions, document(chat_id))
    with pytest.raises(DeliveryError) as caught:
        await wecom.deliver(delivery)  # the caption takes the robot's 2nd message of the minute
    assert caught.value.failure is Failure.RETRY_AFTER
    fake.window = 0.0  # the minute has passed
    await wecom.deliver(delivery)
    assert contents(fake, "/cgi-bin/webhook/send") == ["一", CAPTION, f"file:{FILENAME}"]


async def test_a_file_wecom_would_refuse_for_its_size_fails_for_good_before_any_call(
    fake: FakeWeCom, api: WeComApi, sessions: SessionFactory
) -> None:
    with pytest.raises(DeliveryError) as caught:
        await transport(api, sessions).deliver(document("zhangsan", content=b"a,b\n\n"))
    assert caught.value.failure is Failure.PERMANENT and "5 bytes" in caught.value.reason
    assert fake.calls == []
