"""Contract: decrypted WeCom callbacks (shaped like the documented payloads) → neutral items; rendering for WeCom."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from bot.outbox_sender import Delivery, DeliveryError, Failure
from bot.wecom.api import RATE_LIMIT_WAIT_SECONDS, WeComError
from bot.wecom.mapping import (
    aibot_to_incoming,
    app_to_incoming,
    as_choice,
    media_id_of,
    robot_chat_id,
    webhook_key,
)
from bot.wecom.transport import fit_bytes, render, render_parts, split_bytes
from handlers.core.types import ChatKind, IncomingCallback, IncomingMessage
from models.payloads import keyboard_of

# The AI bot "接收消息" text example (developer.work.weixin.qq.com/document/path/100719), ids kept as documented.
AIBOT_GROUP_TEXT: dict[str, Any] = {
    "msgid": "CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=",
    "aibotid": "AIBOTID",
    "chatid": "CHATID",
    "chattype": "group",
    "from": {"userid": "USERID"},
    "response_url": "RESPONSEURL",
    "msgtype": "text",
    "text": {"content": "@RobotA hello robot"},
}
APP_TEXT = """<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>
<FromUserName><![CDATA[ChenJiaShun]]></FromUserName><CreateTime>1476422779</CreateTime>
<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content><MsgId>1456453720</MsgId>
<AgentID>1000002</AgentID></xml>"""
# The app "接收普通消息" image example (developer.work.weixin.qq.com/document/path/90239), values as documented.
APP_IMAGE = """<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>
<CreateTime>1348831860</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[this is a url]]></PicUrl>
<MediaId><![CDATA[media_id]]></MediaId><MsgId>1234567890123456</MsgId><AgentID>1</AgentID></xml>"""
APP_EVENT = """<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[u]]></FromUserName>
<CreateTime>1</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[enter_agent]]></Event></xml>"""


def test_a_group_mention_becomes_a_group_message_without_the_mention() -> None:
    incoming = aibot_to_incoming(AIBOT_GROUP_TEXT)
    assert isinstance(incoming, IncomingMessage)
    assert incoming.chat.platform == "wecom" and incoming.chat.kind == ChatKind.GROUP
    assert incoming.chat.platform_chat_id == "g:CHATID"
    assert incoming.text == "hello robot" and incoming.mentions_bot
    assert incoming.update_key == "bot:CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI="
    assert incoming.sender.platform_user_id == "USERID" and incoming.sender.display_name == ""


def test_a_one_to_one_ai_bot_message_is_private_and_commands_are_parsed() -> None:
    payload = AIBOT_GROUP_TEXT | {"chattype": "single", "text": {"content": "/ticket 12"}}
    del payload["chatid"]
    incoming = aibot_to_incoming(payload)
    assert isinstance(incoming, IncomingMessage)
    assert incoming.chat.kind == ChatKind.PRIVATE and incoming.chat.platform_chat_id == "USERID"
    assert (incoming.command, incoming.args) == ("ticket", "12")


def test_mixed_messages_keep_their_text_and_media_only_messages_map_to_nothing() -> None:
    mixed = AIBOT_GROUP_TEXT | {
        "msgtype": "mixed",
        "mixed": {"msg_item": [{"msgtype": "text", "text": {"content": "@邻里 门口"}}, {"msgtype": "image"}]},
    }
    incoming = aibot_to_incoming(mixed)
    assert isinstance(incoming, IncomingMessage) and incoming.text == "门口"
    assert aibot_to_incoming(AIBOT_GROUP_TEXT | {"msgtype": "image", "image": {"url": "x"}}) is None
    assert aibot_to_incoming({k: v for k, v in AIBOT_GROUP_TEXT.items() if k != "chatid"}) is None


def test_an_app_text_message_is_private_and_events_map_to_nothing() -> None:
    incoming = app_to_incoming(ET.fromstring(APP_TEXT))
    assert isinstance(incoming, IncomingMessage)
    assert incoming.chat.platform_chat_id == "ChenJiaShun" and incoming.chat.kind == ChatKind.PRIVATE
    assert incoming.text == "你好" and incoming.update_key == "app:1456453720"
    assert app_to_incoming(ET.fromstring(APP_EVENT)) is None


def test_an_app_image_message_is_a_private_message_with_a_wecom_photo_and_no_text() -> None:
    incoming = app_to_incoming(ET.fromstring(APP_IMAGE))
    assert isinstance(incoming, IncomingMessage)
    assert incoming.chat.platform_chat_id == "fromUser" and incoming.chat.kind == ChatKind.PRIVATE
    assert incoming.photos == ("wecom:media_id",) and incoming.text == "" and incoming.command is None
    assert incoming.update_key == "app:1234567890123456"
    assert media_id_of(incoming.photos[0]) == "media_id" and media_id_of("AgACAgIAAxkBAAIB") is None
    assert app_to_incoming(ET.fromstring(APP_IMAGE.replace("<MediaId><![CDATA[media_id]]></MediaId>", ""))) is None


def test_a_typed_choice_of_a_buttoned_message_becomes_that_button_press() -> None:
    incoming = aibot_to_incoming(AIBOT_GROUP_TEXT | {"text": {"content": "@邻里 12-2"}})
    assert isinstance(incoming, IncomingMessage)
    buttons = [[{"text": "✅ 确认", "data": "t:confirm:1"}, {"text": "不是问题", "data": "t:reject:1"}]]
    pressed = as_choice(incoming, keyboard_of(buttons), 12, 2)
    assert isinstance(pressed, IncomingCallback)
    assert (pressed.data, pressed.message_id, pressed.chat) == ("t:reject:1", "12", incoming.chat)
    assert as_choice(incoming, keyboard_of(buttons), 12, 3) is incoming
    assert as_choice(incoming, None, 12, 1) is incoming


def test_buttons_render_as_typed_choices_and_long_text_is_cut_to_2048_bytes() -> None:
    buttons = [[{"text": "✅ 确认", "data": "t:confirm:1"}], [{"text": "说明", "url": "https://example.invalid/a"}]]
    shown = render(Delivery.stored("send", "g:x", {"text": "工单 #1", "buttons": buttons}, None, 41), "zh")
    assert shown.startswith("工单 #1\n\n回复编号即可选择") and "41-1  ✅ 确认" in shown
    assert "说明：https://example.invalid/a" in shown
    long = render(Delivery.stored("send", "g:x", {"text": "电梯" * 2000, "buttons": buttons}, None, 41), "zh")
    assert (
        len(long.encode()) <= 2048
        and "已截断" in long
        and long.endswith("41-1  ✅ 确认\n说明：https://example.invalid/a")
    )
    assert fit_bytes("短", 2048, "…") == "短"


def test_long_text_splits_into_marked_parts_after_line_breaks() -> None:
    lines = [f"{n}. 周六上午9点在小区广场举行义诊活动，请居民带好医保卡" for n in range(1, 121)]
    buttons = [[{"text": "✅ 报名", "data": "ev:go:1"}]]
    parts = render_parts(Delivery.stored("send", "g:x", {"text": "\n".join(lines), "buttons": buttons}, None, 41), "zh")
    assert len(parts) == 5 and all(len(part.encode()) <= 2048 for part in parts)  # 9,731 bytes
    assert [part.rsplit("\n", 1)[1] for part in parts] == [f"（{n}/5）" for n in range(1, 6)]
    bodies = [part.rsplit("\n", 1)[0] for part in parts]
    assert "\n".join(bodies).split("\n\n回复编号即可选择")[0] == "\n".join(lines)  # nothing lost, lines whole
    assert "41-1  ✅ 报名" in parts[-1]
    assert render_parts(Delivery.stored("send", "g:x", {"text": "短消息", "buttons": []}, None, 41), "zh") == ["短消息"]
    assert split_bytes("电" * 1000, 2000) == ["电" * 666, "电" * 334]  # no line break: cut between characters


def test_webhook_keys_and_robot_chat_ids() -> None:
    assert webhook_key("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123") == "abc-123"
    with pytest.raises(ValueError):
        webhook_key("https://qyapi.weixin.qq.com/cgi-bin/webhook/send")
    assert robot_chat_id("abc-123").startswith("g:robot-") and "abc-123" not in robot_chat_id("abc-123")


@pytest.mark.parametrize(
    ("errcode", "failure"),
    [
        (45009, Failure.RETRY_AFTER),
        (-1, Failure.TRANSIENT),
        (42001, Failure.TRANSIENT),
        (93000, Failure.CHAT_GONE),
        (60020, Failure.PERMANENT),
    ],
)
def test_errcodes_map_to_what_the_sender_does(errcode: int, failure: Failure) -> None:
    error = WeComError(errcode, "msg")
    assert isinstance(error, DeliveryError) and error.failure is failure and str(errcode) in error.reason
    assert error.retry_after == (RATE_LIMIT_WAIT_SECONDS if failure is Failure.RETRY_AFTER else 0.0)
