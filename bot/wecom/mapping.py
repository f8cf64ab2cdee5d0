"""Mapping: pure functions from decrypted WeCom callbacks to neutral items, and the ids WeCom chats get."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.wecom_crypto import parse_xml_without_dtd
from handlers.common.choices import chosen_data
from handlers.core.types import ChatKind, ChatRef, Incoming, IncomingCallback, IncomingMessage, Sender
from models.payloads import StoredKeyboard

PLATFORM = "wecom"
GROUP_PREFIX = "g:"  # WeCom userids never contain ':', so group chat ids cannot collide with private ones
MENTIONS = re.compile(r"^(?:\s*@\S+)+\s*")
SLASH_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:\s+(.*))?$", re.DOTALL)
PHOTO_PREFIX = "wecom:"  # a ticket's photo the app received; Telegram file ids never contain ':'


def group_chat_id(chatid: str) -> str:
    return GROUP_PREFIX + chatid


def robot_chat_id(webhook_key: str) -> str:
    """A stable chat id for a robot-only group that does not reveal the webhook key."""
    return GROUP_PREFIX + "robot-" + hashlib.sha256(webhook_key.encode()).hexdigest()[:16]


def webhook_key(url_or_key: str) -> str:
    """The `key` of a robot webhook URL (…/cgi-bin/webhook/send?key=KEY), or the key itself."""
    if "://" not in url_or_key:
        return url_or_key.strip()
    keys = parse_qs(urlsplit(url_or_key.strip()).query).get("key", [])
    if not keys or not keys[0]:
        raise ValueError("a robot webhook URL ends in ?key=…")
    return keys[0]


def photo_ref(media_id: str) -> str:
    """How a ticket keeps a photo the app received: its media_id, marked as WeCom's."""
    return PHOTO_PREFIX + media_id


def media_id_of(photo: str) -> str | None:
    """The media_id of a WeCom photo reference; None for any other platform's."""
    return photo.removeprefix(PHOTO_PREFIX) if photo.startswith(PHOTO_PREFIX) else None


def command_of(text: str) -> tuple[str | None, str]:
    """('tickets', 'args') for '/tickets args'; (None, '') otherwise."""
    match = SLASH_COMMAND.match(text)
    return (None, "") if match is None else (match.group(1).lower(), (match.group(2) or "").strip())


def message(
    update_key: str,
    chat: ChatRef,
    userid: str,
    message_id: str,
    text: str,
    mentioned: bool,
    photos: tuple[str, ...] = (),
) -> IncomingMessage:
    """A callback gives a userid but no name: the sender's name is added by the adapter (bot/wecom/names.py)."""
    command, args = command_of(text)
    return IncomingMessage(
        update_key=update_key,
        chat=chat,
        sender=Sender(platform_user_id=userid, display_name="", username=userid),
        message_id=message_id,
        text=text,
        command=command,
        args=args,
        photos=photos,
        mentions_bot=mentioned,
    )


def aibot_text(payload: dict[str, Any]) -> str | None:
    """The text of an AI bot message: `text`, or the text items of a `mixed` message."""
    if payload.get("msgtype") == "text":
        content = (payload.get("text") or {}).get("content")
        return content if isinstance(content, str) else None
    if payload.get("msgtype") == "mixed":
        items = (payload.get("mixed") or {}).get("msg_item") or []
        parts = [(i.get("text") or {}).get("content", "") for i in items if i.get("msgtype") == "text"]
        return " ".join(p for p in parts if p) or None
    return None


def aibot_image_urls(payload: dict[str, Any]) -> tuple[str, ...]:
    """The download links of an AI bot message's images: an `image` message (1:1 only) or the image items of a
    `mixed` one (how a group @mention carries an image). Each is encrypted and valid five minutes."""
    if payload.get("msgtype") == "image":
        images = [payload.get("image")]
    elif payload.get("msgtype") == "mixed":
        items = (payload.get("mixed") or {}).get("msg_item") or []
        images = [i.get("image") for i in items if isinstance(i, dict) and i.get("msgtype") == "image"]
    else:
        return ()
    urls = [(image or {}).get("url") if isinstance(image, dict) else None for image in images]
    return tuple(u for u in urls if isinstance(u, str) and u.startswith(("https://", "http://")))


def aibot_to_incoming(payload: dict[str, Any]) -> IncomingMessage | None:
    """An AI bot callback (decrypted JSON) as a neutral message; events, voice and files map to nothing. Images are
    not in it: their links are fetched by the adapter (`aibot_image_urls`), which adds the photos it keeps; an image
    without text is, like an app image, a message with no text."""
    userid = (payload.get("from") or {}).get("userid")
    msgid = payload.get("msgid")
    text = aibot_text(payload)
    if text is None and aibot_image_urls(payload):
        text = ""
    if not isinstance(userid, str) or not userid or not isinstance(msgid, str) or text is None:
        return None
    if payload.get("chattype") == "group":
        chatid = payload.get("chatid")
        if not isinstance(chatid, str) or not chatid:
            return None
        chat = ChatRef(PLATFORM, group_chat_id(chatid), ChatKind.GROUP)
    else:
        chat = ChatRef(PLATFORM, userid, ChatKind.PRIVATE)
    stripped = MENTIONS.sub("", text).strip()
    return message(f"bot:{msgid}", chat, userid, msgid, stripped, chat.kind == ChatKind.GROUP)


def app_to_incoming(root: ET.Element) -> IncomingMessage | None:
    """A self-built app callback (decrypted XML): only 1:1 text and image messages; events map to nothing. An image
    has no caption: like a Telegram photo sent without one, it is a message with a photo and no text."""
    kind = root.findtext("MsgType")
    userid, msgid = root.findtext("FromUserName"), root.findtext("MsgId")
    if not userid or not msgid:
        return None
    chat = ChatRef(PLATFORM, userid, ChatKind.PRIVATE)
    if kind == "image":
        media_id = root.findtext("MediaId")
        return message(f"app:{msgid}", chat, userid, msgid, "", False, (photo_ref(media_id),)) if media_id else None
    text = root.findtext("Content")
    if kind != "text" or text is None:
        return None
    return message(f"app:{msgid}", chat, userid, msgid, text.strip(), False)


def as_choice(incoming: IncomingMessage, buttons: StoredKeyboard | None, tag: int, number: int) -> Incoming:
    """A typed choice (`12-1`) of a message that had buttons becomes the press of that button."""
    data = chosen_data(buttons or (), number)
    if data is None:
        return incoming
    return IncomingCallback(
        update_key=incoming.update_key,
        chat=incoming.chat,
        sender=incoming.sender,
        callback_id=incoming.message_id,
        data=data,
        message_id=str(tag),
    )


@dataclass(frozen=True)
class Callback:
    """What one decrypted callback holds for the adapter: its message (None for events and what maps to nothing),
    the AI bot's one-shot reply link and its images' download links."""

    incoming: IncomingMessage | None
    response_url: str | None = None
    image_urls: tuple[str, ...] = ()


def read_aibot(plaintext: str) -> Callback:
    """A decrypted AI bot callback (JSON, read once); ValueError when it is not a JSON object."""
    data = json.loads(plaintext)
    if not isinstance(data, dict):
        raise ValueError("the callback is not a JSON object")
    url = data.get("response_url")
    return Callback(aibot_to_incoming(data), url if isinstance(url, str) and url else None, aibot_image_urls(data))


def read_app(plaintext: str) -> Callback:
    """A decrypted self-built app callback (XML, no DTD: its envelope was checked the same way). It has no reply
    link, and its images come as media_ids in the message's photos, not as links."""
    return Callback(app_to_incoming(parse_xml_without_dtd(plaintext)))
