"""The WeCom (企业微信) adapter: callbacks → neutral items, outbox rows → WeCom API calls.

Surfaces (see docs/wecom.md for what each can and cannot do):
- the AI bot (智能机器人) callback: JSON, group @mentions and 1:1 messages, one reply per message via `response_url`;
- the self-built app callback: XML, 1:1 messages; the app sends 1:1 (message/send) and to app group chats
  (appchat/send) with an access_token it fetches and caches;
- group robot webhooks: send-only, one per group, at most 20 messages a minute.

Files (exports) are uploaded first (the app's media/upload, or the robot's webhook/upload_media) and sent as a
`file` message by the media_id WeCom returns; the AI bot's `response_url` cannot carry a file.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import aiohttp
import structlog
from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.db import SessionFactory, unit_of_work
from bot.outbox_sender import Delivery, DeliveryError, Failure
from bot.wecom_crypto import (
    MAX_BODY_BYTES,
    ErrorCode,
    WeComCrypto,
    WeComCryptoError,
    extract_encrypt_from_json,
    extract_encrypt_from_xml,
)
from handlers.common.choices import chosen_data, parse_choice, with_choices
from handlers.core.texts import translate
from handlers.core.types import ChatKind, ChatRef, Incoming, IncomingCallback, IncomingMessage, Sender
from models.chats import Chat, bind_chat, ensure_chat
from models.outbox import sent_buttons
from models.places import Place
from models.routes import remember_reply_channel, route_for, set_route, take_reply_channel

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
T = TypeVar("T")

PLATFORM = "wecom"
GROUP_PREFIX = "g:"  # WeCom userids never contain ':', so group chat ids cannot collide with private ones
APP_CALLBACK_PATH = "/wecom/app/callback"
BOT_CALLBACK_PATH = "/wecom/bot/callback"
TEXT_LIMIT_BYTES = 2048  # robot webhook, appchat/send and message/send text content
PART_MARK_ROOM = 32
"""Bytes kept free in each part of a long text for its （2/3） mark."""
RESPONSE_URL_TTL = timedelta(hours=1)  # WeCom: a response_url is valid for one hour and one call
MAX_CLOCK_SKEW_SECONDS = 300  # callbacks with an older or newer timestamp are refused (replays)
TOKEN_MARGIN_SECONDS = 300.0  # refresh an access_token this long before WeCom says it expires
RATE_LIMIT_WAIT_SECONDS = 60.0  # 45009 on a robot: its one-minute window is full
FILE_MIN_BYTES = 6  # WeCom: "所有文件size必须大于5个字节" (the robot's upload says 5 B to 20 MB)
FILE_MAX_BYTES = 20 * 1024 * 1024  # WeCom: an ordinary file (type=file) up to 20 MB
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=10)

ERR_BUSY = -1
ERR_RATE_LIMIT = 45009
ERR_TOKEN_INVALID = 40014
ERR_TOKEN_EXPIRED = 42001
ERR_ROBOT_GONE = 93000  # the webhook key is invalid or the robot was removed from its group
TOKEN_ERRORS = (ERR_TOKEN_INVALID, ERR_TOKEN_EXPIRED)
ROUTE_ROBOT, ROUTE_APPCHAT = "robot_webhook", "appchat"
TARGET_PERSON = "person"  # a private chat: the app's message/send to that userid
MENTIONS = re.compile(r"^(?:\s*@\S+)+\s*")
SLASH_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:\s+(.*))?$", re.DOTALL)


# ---- ids and mapping: pure functions from decrypted callbacks to neutral items ---------------------------------


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


def command_of(text: str) -> tuple[str | None, str]:
    """('tickets', 'args') for '/tickets args'; (None, '') otherwise."""
    match = SLASH_COMMAND.match(text)
    return (None, "") if match is None else (match.group(1).lower(), (match.group(2) or "").strip())


def message(
    update_key: str, chat: ChatRef, userid: str, message_id: str, text: str, mentioned: bool
) -> IncomingMessage:
    """WeCom gives a userid but no display name: the name stays what the person is known by elsewhere."""
    command, args = command_of(text)
    return IncomingMessage(
        update_key=update_key,
        chat=chat,
        sender=Sender(platform_user_id=userid, display_name="", username=userid),
        message_id=message_id,
        text=text,
        command=command,
        args=args,
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


def aibot_to_incoming(payload: dict[str, Any]) -> IncomingMessage | None:
    """An AI bot callback (decrypted JSON) as a neutral message; events and media map to nothing."""
    userid = (payload.get("from") or {}).get("userid")
    msgid = payload.get("msgid")
    text = aibot_text(payload)
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
    """A self-built app callback (decrypted XML): only 1:1 text messages; events map to nothing."""
    if root.findtext("MsgType") != "text":
        return None
    userid, msgid, text = root.findtext("FromUserName"), root.findtext("MsgId"), root.findtext("Content")
    if not userid or not msgid or text is None:
        return None
    chat = ChatRef(PLATFORM, userid, ChatKind.PRIVATE)
    return message(f"app:{msgid}", chat, userid, msgid, text.strip(), False)


def as_choice(incoming: IncomingMessage, buttons: list[list[dict[str, Any]]] | None, tag: int, number: int) -> Incoming:
    """A typed choice (`12-1`) of a message that had buttons becomes the press of that button."""
    data = chosen_data(buttons or [], number)
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


# ---- rendering: WeCom has no buttons, no edits and a 2048-byte text limit ----------------------------------------


def fit_bytes(text: str, limit: int, note: str) -> str:
    """`text` if it fits in `limit` UTF-8 bytes, else cut on a character boundary and followed by `note`."""
    if len(text.encode()) <= limit:
        return text
    room = limit - len(note.encode())
    cut = text.encode()[:room].decode("utf-8", "ignore")
    return cut + note


def split_bytes(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` UTF-8 bytes, each cut after the last line break that fits (else on a
    character boundary); the line breaks cut at are dropped."""
    pieces = []
    while len(text.encode()) > limit:
        head = text.encode()[:limit].decode("utf-8", "ignore")
        cut = head.rfind("\n")
        pieces.append(head[:cut] if cut > 0 else head)
        text = text[cut + 1 :] if cut > 0 else text[len(head) :]
    return [*pieces, text]


def choices_of(delivery: Delivery, locale: str) -> str:
    """The typed-choice lines for the row's buttons ("" without buttons); numbered with the row id."""
    return with_choices(locale, "", str(delivery.row_id or 0), delivery.payload.get("buttons") or [])


def render(delivery: Delivery, locale: str) -> str:
    """A send or an edit (an edit arrives as a new message) as one WeCom text: buttons as typed choices after the
    text, which is cut short, with a note, should both not fit in one message."""
    choices = choices_of(delivery, locale)
    note = translate(locale, "wecom.truncated")
    return fit_bytes(delivery.payload.get("text", ""), TEXT_LIMIT_BYTES - len(choices.encode()), note) + choices


def render_parts(delivery: Delivery, locale: str) -> list[str]:
    """A send or an edit as as many WeCom texts as it takes, each marked （2/3） when there are several."""
    text = delivery.payload.get("text", "") + choices_of(delivery, locale)
    if len(text.encode()) <= TEXT_LIMIT_BYTES:
        return [text]
    parts = split_bytes(text, TEXT_LIMIT_BYTES - PART_MARK_ROOM)
    return [part + translate(locale, "wecom.part", n=n, total=len(parts)) for n, part in enumerate(parts, start=1)]


@dataclass(frozen=True)
class Document:
    """A file an outbox row carries (`SendDocument`), decoded."""

    filename: str
    content: bytes


def document_of(payload: dict[str, Any]) -> Document | None:
    """The row's file, or None for a text row."""
    document = payload.get("document")
    if not document:
        return None
    return Document(str(document["filename"]), base64.b64decode(document["base64"]))


def size_problem(document: Document) -> str | None:
    """Why WeCom would refuse this file for its size, or None when it fits."""
    size = len(document.content)
    if size < FILE_MIN_BYTES:
        return f"WeCom refuses files of 5 bytes or less ({size} bytes)"
    if size > FILE_MAX_BYTES:
        return f"WeCom refuses files over 20 MB ({size} bytes)"
    return None


def text_message(text: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": text}}


def file_message(media_id: str) -> dict[str, Any]:
    return {"msgtype": "file", "file": {"media_id": media_id}}


def media_form(document: Document) -> aiohttp.MultipartWriter:
    """The multipart body WeCom's uploads take: one part named `media` with filename and filelength."""
    form = aiohttp.MultipartWriter("form-data")
    part = form.append(document.content, {"Content-Type": "application/octet-stream"})
    # quote_fields=False: the filename goes as UTF-8, as browsers send it, not percent-encoded
    part.set_content_disposition(
        "form-data", quote_fields=False, name="media", filename=document.filename, filelength=str(len(document.content))
    )
    return form


# ---- the WeCom HTTP API -----------------------------------------------------------------------------------------


class WeComError(DeliveryError):
    """A non-zero errcode from WeCom, with what the outbox sender should do about it."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        reason = f"WeCom errcode {errcode}: {errmsg}"[:300]
        if errcode == ERR_RATE_LIMIT:
            super().__init__(Failure.RETRY_AFTER, reason, RATE_LIMIT_WAIT_SECONDS)
        elif errcode in (ERR_BUSY, *TOKEN_ERRORS):  # a token error left after one refresh: try again later
            super().__init__(Failure.TRANSIENT, reason)
        elif errcode == ERR_ROBOT_GONE:
            super().__init__(Failure.CHAT_GONE, reason)
        else:
            super().__init__(Failure.PERMANENT, reason)
        self.errcode = errcode

    @property
    def bad_token(self) -> bool:
        return self.errcode in TOKEN_ERRORS


def checked(data: dict[str, Any]) -> dict[str, Any]:
    """WeCom's answer, or a WeComError for its non-zero errcode."""
    errcode = int(data.get("errcode", 0))
    if errcode != 0:
        raise WeComError(errcode, str(data.get("errmsg", "")))
    return data


@dataclass
class CachedToken:
    value: str
    refresh_at: float  # monotonic seconds


class WeComApi:
    """The few WeCom calls Linli makes; an access_token is fetched once and reused until shortly before expiry.

    URLs carry keys and tokens, so they are never logged.
    """

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        base_url: str,
        corp_id: str = "",
        secret: str = "",
        agent_id: int | None = None,
    ) -> None:
        self._http, self.base_url = http, base_url.rstrip("/")
        self._corp_id, self._secret, self._agent_id = corp_id, secret, agent_id
        self._token: CachedToken | None = None
        self._token_lock = asyncio.Lock()
        self.tokens_fetched = 0

    @property
    def has_app(self) -> bool:
        return bool(self._corp_id and self._secret)

    async def close(self) -> None:
        await self._http.close()

    async def _request(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """One HTTP call; errors become DeliveryErrors that say whether the request may have landed."""
        try:
            async with self._http.request(method, url, timeout=REQUEST_TIMEOUT, **kwargs) as response:
                if response.status >= 500:
                    raise DeliveryError(Failure.UNCERTAIN, f"WeCom answered HTTP {response.status}")
                if response.status >= 400:
                    raise DeliveryError(Failure.PERMANENT, f"WeCom answered HTTP {response.status}")
                data = await response.json(content_type=None)
        except TimeoutError:
            raise DeliveryError(Failure.UNCERTAIN, "timed out waiting for WeCom") from None
        except aiohttp.ClientConnectorError as error:
            raise DeliveryError(Failure.TRANSIENT, f"cannot connect to WeCom: {type(error).__name__}") from None
        except (aiohttp.ClientError, ValueError) as error:
            raise DeliveryError(Failure.UNCERTAIN, f"bad answer from WeCom: {type(error).__name__}") from None
        if not isinstance(data, dict):
            raise DeliveryError(Failure.UNCERTAIN, "WeCom answered something other than a JSON object")
        return data

    async def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        return checked(await self._request("POST", url, data=json.dumps(body, ensure_ascii=False).encode()))

    async def _upload(self, url: str, document: Document) -> str:
        """POST the file as multipart; returns the media_id WeCom gives it (valid three days)."""
        data = checked(await self._request("POST", url, data=media_form(document)))
        if not data.get("media_id"):
            raise DeliveryError(Failure.TRANSIENT, "WeCom answered an upload without a media_id")
        return str(data["media_id"])

    async def access_token(self) -> str:
        """The app's access_token, from the cache while it is fresh."""
        async with self._token_lock:
            if self._token is None or time.monotonic() >= self._token.refresh_at:
                self._token = await self._fetch_token()
            return self._token.value

    async def _fetch_token(self) -> CachedToken:
        if not self.has_app:
            raise DeliveryError(Failure.PERMANENT, "the WeCom app is not configured (WECOM_CORP_ID/WECOM_APP_SECRET)")
        url = f"{self.base_url}/cgi-bin/gettoken"
        data = await self._request("GET", url, params={"corpid": self._corp_id, "corpsecret": self._secret})
        errcode = int(data.get("errcode", 0))
        if errcode != 0 or not data.get("access_token"):
            raise WeComError(errcode, f"gettoken: {data.get('errmsg', '')}")
        self.tokens_fetched += 1
        expires_in = float(data.get("expires_in", 7200))
        return CachedToken(str(data["access_token"]), time.monotonic() + max(0.0, expires_in - TOKEN_MARGIN_SECONDS))

    def _forget_token(self, token: str) -> None:
        if self._token is not None and self._token.value == token:
            self._token = None

    async def _with_token(self, path: str, call: Callable[[str], Awaitable[T]]) -> T:
        """`call(url)` with the access_token in `url`; an invalid or expired token is refreshed and called once more."""
        separator = "&" if "?" in path else "?"
        token = await self.access_token()
        try:
            return await call(f"{self.base_url}{path}{separator}access_token={token}")
        except WeComError as error:
            if not error.bad_token:
                raise
            log.info("wecom.token_refresh", path=path.partition("?")[0], errcode=error.errcode)
            self._forget_token(token)
        token = await self.access_token()
        return await call(f"{self.base_url}{path}{separator}access_token={token}")

    async def _post_with_token(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._with_token(path, lambda url: self._post(url, body))

    async def upload_app_file(self, document: Document) -> str:
        """Upload a file for the app's messages (1:1 and app group chats); returns its media_id."""
        return await self._with_token("/cgi-bin/media/upload?type=file", lambda url: self._upload(url, document))

    async def upload_robot_file(self, key: str, document: Document) -> str:
        """Upload a file for this robot's group (a robot's media_id works only for that robot); returns its media_id."""
        return await self._upload(f"{self.base_url}/cgi-bin/webhook/upload_media?key={key}&type=file", document)

    async def send_robot(self, key: str, message: dict[str, Any]) -> None:
        await self._post(f"{self.base_url}/cgi-bin/webhook/send?key={key}", message)

    async def send_appchat(self, chatid: str, message: dict[str, Any]) -> None:
        await self._post_with_token("/cgi-bin/appchat/send", {"chatid": chatid, **message, "safe": 0})

    async def send_private(self, userid: str, message: dict[str, Any]) -> None:
        body = {"touser": userid, "agentid": self._agent_id, **message, "safe": 0}
        await self._post_with_token("/cgi-bin/message/send", body)

    async def respond(self, response_url: str, text: str) -> None:
        """The one reply an AI bot callback allows, as markdown (the only text kind response_url takes)."""
        await self._post(response_url, {"msgtype": "markdown", "markdown": {"content": text}})

    async def create_appchat(self, *, name: str, owner: str, userids: list[str]) -> str:
        """Create an app group chat with these members; returns its chatid."""
        body = {"name": name, "owner": owner, "userlist": userids}
        data = await self._post_with_token("/cgi-bin/appchat/create", body)
        return str(data["chatid"])


# ---- transport: outbox rows → WeCom -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a chat's messages go: a person (`TARGET_PERSON`, by the app) or a group's robot or app group chat."""

    kind: str
    address: str


class WeComTransport:
    """Delivers one row: a text first through a fresh response_url of that chat, else the group's route or the app;
    a file always by the route or the app, uploaded first."""

    platform = PLATFORM

    def __init__(
        self, api: WeComApi, sessions: SessionFactory, *, clock: Clock, locale: str, group_limit_per_minute: int
    ) -> None:
        self._api, self._sessions, self._clock, self._locale = api, sessions, clock, locale
        self.group_limit_per_minute = group_limit_per_minute
        self._captioned: set[int | None] = set()  # document rows whose caption went out and whose file has not yet
        self._parts_sent: dict[int | None, int] = {}  # long text rows: how many of their parts went out

    def is_group(self, chat_id: str) -> bool:
        return chat_id.startswith(GROUP_PREFIX)

    async def deliver(self, delivery: Delivery) -> str | None:
        if delivery.action == "answer":
            text = str(delivery.payload.get("text") or "")
            if text:  # no toasts on WeCom: a non-empty answer becomes a short message in the chat
                await self._send_text(delivery.chat_id, text)
            return None
        document = document_of(delivery.payload)
        if document is None:
            await self._send_parts(delivery)
        else:
            await self._send_document(delivery, document)
        return str(delivery.row_id or "")

    async def _send_parts(self, delivery: Delivery) -> None:
        """A long text as several messages, in order; a retry goes on from the first part not yet sent. A group
        reached only by its one-shot reply gets one message, cut short."""
        parts = render_parts(delivery, self._locale)
        if len(parts) > 1 and await self._route(delivery.chat_id) is None:
            parts = [render(delivery, self._locale)]
        for index in range(self._parts_sent.get(delivery.row_id, 0), len(parts)):
            try:
                await self._send_text(delivery.chat_id, parts[index])
            except DeliveryError as error:
                if error.failure is Failure.PERMANENT:  # no retry will come for the rest
                    self._parts_sent.pop(delivery.row_id, None)
                raise
            self._parts_sent[delivery.row_id] = index + 1
        self._parts_sent.pop(delivery.row_id, None)

    async def _send_text(self, chat_id: str, text: str) -> None:
        response_url = await self._reply_channel(chat_id)
        if response_url is not None:
            await self._api.respond(response_url, text)
        else:
            await self._send_to(await self._target(chat_id), text_message(text))

    async def _send_document(self, delivery: Delivery, document: Document) -> None:
        """Upload, then the caption as a text (a WeCom file has none), then the file; a retry skips a caption sent."""
        problem = size_problem(document)
        if problem is not None:
            raise DeliveryError(Failure.PERMANENT, problem)
        target = await self._target(delivery.chat_id)
        media_id = await self._upload(target, document)
        caption = render(delivery, self._locale)
        if caption and delivery.row_id not in self._captioned:
            await self._send_to(target, text_message(caption))
            self._captioned.add(delivery.row_id)
        await self._send_to(target, file_message(media_id))
        self._captioned.discard(delivery.row_id)

    async def _upload(self, target: Target, document: Document) -> str:
        """The media_id for this target; an upload shows nothing in the chat, so an uncertain one is safe to repeat."""
        try:
            if target.kind == ROUTE_ROBOT:
                return await self._api.upload_robot_file(target.address, document)
            return await self._api.upload_app_file(document)
        except DeliveryError as error:
            if error.failure is not Failure.UNCERTAIN:
                raise
            raise DeliveryError(Failure.TRANSIENT, error.reason) from error

    async def _send_to(self, target: Target, message: dict[str, Any]) -> None:
        if target.kind == ROUTE_ROBOT:
            await self._api.send_robot(target.address, message)
        elif target.kind == ROUTE_APPCHAT:
            await self._api.send_appchat(target.address, message)
        else:
            await self._api.send_private(target.address, message)

    async def _reply_channel(self, chat_id: str) -> str | None:
        async with unit_of_work(self._sessions) as session:
            return await take_reply_channel(session, platform=PLATFORM, platform_chat_id=chat_id, now=self._clock())

    async def _route(self, chat_id: str) -> Target | None:
        """A person's chat goes by the app; a group by the route bound to it, if any."""
        if not self.is_group(chat_id):
            return Target(TARGET_PERSON, chat_id)
        async with self._sessions() as session:
            route = await route_for(session, platform=PLATFORM, platform_chat_id=chat_id)
        return Target(route.kind, route.address) if route else None

    async def _target(self, chat_id: str) -> Target:
        """Where the chat's messages go beyond a one-shot reply (none: the row fails for good)."""
        target = await self._route(chat_id)
        if target is None:
            raise DeliveryError(Failure.PERMANENT, "no robot webhook or app group chat is bound to this WeCom group")
        return target


async def bind_wecom_group(
    session: AsyncSession,
    *,
    place: Place,
    kind: str,
    address: str,
    title: str,
    ai_bot_chatid: str | None,
    now: datetime,
) -> Chat:
    """Bind a WeCom group to a place with the route its messages go out by (robot webhook key or appchat id).

    `ai_bot_chatid` joins the route to the group the AI bot already knows, so @mentions and sends share one chat.
    """
    if ai_bot_chatid:
        chat_id = group_chat_id(ai_bot_chatid)
    elif kind == ROUTE_ROBOT:
        chat_id = robot_chat_id(address)
    else:
        chat_id = group_chat_id(address)
    chat = await ensure_chat(session, platform=PLATFORM, platform_chat_id=chat_id, kind="group", title=title)
    bind_chat(chat, place=place, person_id=None, now=now)
    await set_route(session, chat=chat, kind=kind, address=address)
    return chat


# ---- adapter: the two callback routes ---------------------------------------------------------------------------

UpdateSink = Callable[[Incoming], Awaitable[bool]]
REFUSED = {
    ErrorCode.VALIDATE_SIGNATURE,
    ErrorCode.VALIDATE_RECEIVE_ID,
    ErrorCode.ILLEGAL_BUFFER,
    ErrorCode.DECRYPT_AES,
    ErrorCode.DECODE_BASE64,
}


@dataclass(frozen=True)
class Surface:
    """One callback kind: its name in logs, its crypto, how its body carries the ciphertext and the message."""

    name: str
    crypto: WeComCrypto
    extract: Callable[[bytes], str]
    to_incoming: Callable[[str], IncomingMessage | None]
    response_url: Callable[[str], str | None]


def parse_aibot(plaintext: str) -> IncomingMessage | None:
    data = json.loads(plaintext)
    return aibot_to_incoming(data) if isinstance(data, dict) else None


def aibot_response_url(plaintext: str) -> str | None:
    url = json.loads(plaintext).get("response_url")
    return url if isinstance(url, str) and url else None


def parse_app(plaintext: str) -> IncomingMessage | None:
    return app_to_incoming(ET.fromstring(plaintext))


def no_response_url(_plaintext: str) -> str | None:
    return None


def fresh(timestamp: str, now: float) -> bool:
    return timestamp.isdigit() and abs(now - int(timestamp)) <= MAX_CLOCK_SKEW_SECONDS


class WeComAdapter:
    """Checks, decrypts and maps callbacks, then hands them to the dispatcher; replies go through the outbox."""

    def __init__(
        self,
        sink: UpdateSink,
        sessions: SessionFactory,
        *,
        app_crypto: WeComCrypto | None,
        bot_crypto: WeComCrypto | None,
        api_base_url: str,
        clock: Clock,
    ) -> None:
        self._sink, self._sessions, self._clock, self._api_base_url = sink, sessions, clock, api_base_url
        self.surfaces: dict[str, Surface] = {}
        if app_crypto is not None:
            self.surfaces[APP_CALLBACK_PATH] = Surface(
                "app", app_crypto, extract_encrypt_from_xml, parse_app, no_response_url
            )
        if bot_crypto is not None:
            self.surfaces[BOT_CALLBACK_PATH] = Surface(
                "bot", bot_crypto, extract_encrypt_from_json, parse_aibot, aibot_response_url
            )

    def add_routes(self, app: web.Application) -> None:
        for path in self.surfaces:
            app.router.add_get(path, self._verify_url)
            app.router.add_post(path, self._callback)

    def _refuse(self, surface: Surface, status: int, why: str, **fields: Any) -> web.Response:
        log.warning("wecom.callback_refused", surface=surface.name, status=status, why=why, **fields)
        return web.Response(status=status, text="forbidden" if status == 403 else "bad request")

    def _signed(self, request: web.Request) -> tuple[str, str, str] | None:
        query = request.query
        values = (query.get("msg_signature", ""), query.get("timestamp", ""), query.get("nonce", ""))
        return values if all(values) else None

    async def _verify_url(self, request: web.Request) -> web.Response:
        """GET with echostr when the callback URL is saved in the admin console: answer its plaintext."""
        surface = self.surfaces[request.path]
        signed, echostr = self._signed(request), request.query.get("echostr", "")
        if signed is None or not echostr:
            return self._refuse(surface, 400, "missing query parameters")
        try:
            plaintext = surface.crypto.verify_url(*signed, echostr)
        except WeComCryptoError as error:
            return self._refuse(surface, 403, "echostr check failed", code=int(error.code))
        return web.Response(text=plaintext)

    async def _callback(self, request: web.Request) -> web.Response:
        surface = self.surfaces[request.path]
        signed = self._signed(request)
        if signed is None:
            return self._refuse(surface, 400, "missing query parameters")
        if not fresh(signed[1], time.time()):
            return self._refuse(surface, 403, "stale timestamp")
        body = await request.content.read(MAX_BODY_BYTES + 1)
        try:
            plaintext = surface.crypto.decrypt_message(*signed, surface.extract(body))
        except WeComCryptoError as error:
            status = 403 if error.code in REFUSED else 400
            return self._refuse(surface, status, "envelope check failed", code=int(error.code))
        try:
            incoming = surface.to_incoming(plaintext)
            response_url = surface.response_url(plaintext)
        except (ValueError, ET.ParseError, AttributeError):
            return self._refuse(surface, 400, "decrypted message is malformed")
        if incoming is not None:
            await self._handle(incoming, response_url)
        return web.Response(text="")

    async def _handle(self, incoming: IncomingMessage, response_url: str | None) -> None:
        log.info("wecom.callback", chat=incoming.chat.platform_chat_id, update=incoming.update_key)
        async with unit_of_work(self._sessions) as session:
            if response_url is not None and response_url.startswith(self._api_base_url + "/"):
                remember_reply_channel(
                    session,
                    platform=PLATFORM,
                    platform_chat_id=incoming.chat.platform_chat_id,
                    url=response_url,
                    expires_at=self._clock() + RESPONSE_URL_TTL,
                )
            item = await self._typed_choice(session, incoming)
        await self._sink(item)

    async def _typed_choice(self, session: AsyncSession, incoming: IncomingMessage) -> Incoming:
        choice = parse_choice(incoming.text)
        if choice is None:
            return incoming
        buttons = await sent_buttons(
            session, row_id=choice[0], platform=PLATFORM, chat_id=incoming.chat.platform_chat_id
        )
        return as_choice(incoming, buttons, *choice)


@dataclass
class WeComParts:
    """What the composition root wires: the API client (closed on stop), the transport, and the adapter maker."""

    api: WeComApi
    transport: WeComTransport
    settings: Settings
    sessions: SessionFactory
    clock: Clock

    def adapter(self, sink: UpdateSink) -> WeComAdapter:
        """The callback routes for the surfaces these settings configure, feeding `sink` (the dispatcher)."""
        s = self.settings
        app_crypto = (
            WeComCrypto(s.wecom_app_token, s.wecom_app_aes_key, s.wecom_corp_id) if s.wecom_app_enabled else None
        )
        bot_crypto = WeComCrypto(s.wecom_bot_token, s.wecom_bot_aes_key, "") if s.wecom_bot_enabled else None
        return WeComAdapter(
            sink,
            self.sessions,
            app_crypto=app_crypto,
            bot_crypto=bot_crypto,
            api_base_url=s.wecom_api_base_url,
            clock=self.clock,
        )


def build_wecom(settings: Settings, sessions: SessionFactory, *, clock: Clock) -> WeComParts:
    """The WeCom API client, transport and adapter maker for these settings."""
    api = WeComApi(
        aiohttp.ClientSession(),
        base_url=settings.wecom_api_base_url,
        corp_id=settings.wecom_corp_id,
        secret=settings.wecom_app_secret,
        agent_id=settings.wecom_agent_id,
    )
    transport = WeComTransport(
        api, sessions, clock=clock, locale=settings.locale, group_limit_per_minute=settings.wecom_robot_per_minute
    )
    return WeComParts(api, transport, settings, sessions, clock)
