"""Transport: outbox rows → WeCom. WeCom has no buttons, no edits and a 2048-byte text limit: buttons become typed
choices after the text, an edit arrives as a new message, a long text goes out in marked parts (the count of parts
already sent is kept on the row, so a retry after a crash or on another worker goes on from there)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.db import SessionFactory, unit_of_work
from bot.outbox_sender import Delivery, DeliveryError, Failure
from bot.wecom.api import TEXT_LIMIT_BYTES, WeComApi, file_message, size_problem, text_message
from bot.wecom.mapping import GROUP_PREFIX, PLATFORM, group_chat_id, robot_chat_id
from handlers.common.choices import with_choices
from handlers.core.texts import translate
from models.base import AsyncSession
from models.chats import Chat, bind_chat, ensure_chat
from models.outbox import parts_sent_of, record_parts_sent
from models.payloads import AnswerPayload, Attachment, EditPayload, SendPayload
from models.places import Place
from models.routes import route_for, set_route, take_reply_channel

Clock = Callable[[], datetime]
PART_MARK_ROOM = 32
"""Bytes kept free in each part of a long text for its （2/3） mark."""
ROUTE_ROBOT, ROUTE_APPCHAT = "robot_webhook", "appchat"
TARGET_PERSON = "person"  # a private chat: the app's message/send to that userid


# ---- rendering --------------------------------------------------------------------------------------------------


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


def shown(delivery: Delivery) -> SendPayload | EditPayload:
    assert isinstance(delivery.payload, SendPayload | EditPayload)
    return delivery.payload


def choices_of(delivery: Delivery, locale: str) -> str:
    """The typed-choice lines for the row's buttons ("" without buttons); numbered with the row id."""
    return with_choices(locale, "", str(delivery.row_id or 0), shown(delivery).buttons)


def render(delivery: Delivery, locale: str) -> str:
    """A send or an edit (an edit arrives as a new message) as one WeCom text: buttons as typed choices after the
    text, which is cut short, with a note, should both not fit in one message."""
    choices = choices_of(delivery, locale)
    note = translate(locale, "wecom.truncated")
    return fit_bytes(shown(delivery).text, TEXT_LIMIT_BYTES - len(choices.encode()), note) + choices


def render_parts(delivery: Delivery, locale: str) -> list[str]:
    """A send or an edit as as many WeCom texts as it takes, each marked （2/3） when there are several."""
    text = shown(delivery).text + choices_of(delivery, locale)
    if len(text.encode()) <= TEXT_LIMIT_BYTES:
        return [text]
    parts = split_bytes(text, TEXT_LIMIT_BYTES - PART_MARK_ROOM)
    return [part + translate(locale, "wecom.part", n=n, total=len(parts)) for n, part in enumerate(parts, start=1)]


# ---- delivering -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a chat's messages go: a person (`TARGET_PERSON`, by the app) or a group's robot or app group chat."""

    kind: str
    address: str


class WeComTransport:
    """Delivers one row: a text first through a fresh response_url of that chat, else the group's route or the app;
    a file always by the route or the app, uploaded first."""

    platform = PLATFORM
    answer_expires_after: float | None = None  # an answer here is a message in the chat: it never expires

    def __init__(
        self, api: WeComApi, sessions: SessionFactory, *, clock: Clock, locale: str, group_limit_per_minute: int
    ) -> None:
        self._api, self._sessions, self._clock, self._locale = api, sessions, clock, locale
        self.group_limit_per_minute = group_limit_per_minute

    def is_group(self, chat_id: str) -> bool:
        return chat_id.startswith(GROUP_PREFIX)

    async def deliver(self, delivery: Delivery) -> str | None:
        payload = delivery.payload
        if isinstance(payload, AnswerPayload):
            if payload.text:  # no toasts on WeCom: a non-empty answer becomes a short message in the chat
                await self._send_text(delivery.chat_id, payload.text)
            return None
        if isinstance(payload, SendPayload) and payload.document is not None:
            await self._send_document(delivery, payload.document)
        else:
            await self._send_parts(delivery)
        return str(delivery.row_id or "")

    async def _send_parts(self, delivery: Delivery) -> None:
        """A long text as several messages, in order; a retry goes on from the first part not yet sent. A group
        reached only by its one-shot reply gets one message, cut short."""
        parts = render_parts(delivery, self._locale)
        if len(parts) > 1 and await self._route(delivery.chat_id) is None:
            parts = [render(delivery, self._locale)]
        first = await self._parts_sent(delivery) if len(parts) > 1 else 0
        for index in range(first, len(parts)):
            await self._send_text(delivery.chat_id, parts[index])
            if index + 1 < len(parts):
                await self._record_parts(delivery, index + 1)

    async def _send_text(self, chat_id: str, text: str) -> None:
        response_url = await self._reply_channel(chat_id)
        if response_url is not None:
            await self._api.respond(response_url, text)
        else:
            await self._send_to(await self._target(chat_id), text_message(text))

    async def _send_document(self, delivery: Delivery, document: Attachment) -> None:
        """Upload, then the caption as a text (a WeCom file has none), then the file; a retry skips a caption sent."""
        problem = size_problem(document)
        if problem is not None:
            raise DeliveryError(Failure.PERMANENT, problem)
        target = await self._target(delivery.chat_id)
        media_id = await self._upload(target, document)
        caption = render(delivery, self._locale)
        if caption and await self._parts_sent(delivery) == 0:
            await self._send_to(target, text_message(caption))
            await self._record_parts(delivery, 1)
        await self._send_to(target, file_message(media_id))

    async def _parts_sent(self, delivery: Delivery) -> int:
        if delivery.row_id is None:
            return 0
        async with self._sessions() as session:
            return await parts_sent_of(session, row_id=delivery.row_id)

    async def _record_parts(self, delivery: Delivery, parts: int) -> None:
        """Kept on the row at once, in its own transaction: the next part may never come back."""
        if delivery.row_id is not None:
            async with unit_of_work(self._sessions) as session:
                await record_parts_sent(session, row_id=delivery.row_id, parts=parts)

    async def _upload(self, target: Target, document: Attachment) -> str:
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


# ---- binding a group to its route -------------------------------------------------------------------------------


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
