"""Callbacks: the two aiohttp routes WeCom calls (the AI bot's JSON, the self-built app's XML), checked and
decrypted with bot/wecom_crypto.py, mapped to neutral items and handed to the dispatcher with the steps it runs in
its own transaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import structlog
from aiohttp import web

from bot.dispatcher import PreparedSink
from bot.logs import RefusalCounter
from bot.wecom.images import ImageKeeper, Photos
from bot.wecom.mapping import (
    PLATFORM,
    Callback,
    as_choice,
    read_aibot,
    read_app,
)
from bot.wecom_crypto import (
    MAX_BODY_BYTES,
    ErrorCode,
    WeComCrypto,
    WeComCryptoError,
    extract_encrypt_from_json,
    extract_encrypt_from_xml,
)
from handlers.common.choices import parse_choice
from handlers.common.numbers import read_number
from handlers.core.outbox import enqueue
from handlers.core.texts import translate
from handlers.core.types import ChatKind, Incoming, IncomingMessage, Send
from models.base import AsyncSession
from models.inbox import may_reply_error
from models.outbox import sent_buttons
from models.photos import store_photo
from models.routes import remember_reply_channel

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
Namer = Callable[[IncomingMessage], Awaitable[IncomingMessage]]
APP_CALLBACK_PATH = "/wecom/app/callback"
BOT_CALLBACK_PATH = "/wecom/bot/callback"
RESPONSE_URL_TTL = timedelta(hours=1)  # WeCom: a response_url is valid for one hour and one call
MAX_CLOCK_SKEW_SECONDS = 300  # callbacks with an older or newer timestamp are refused (replays)
REFUSED = {
    ErrorCode.VALIDATE_SIGNATURE,
    ErrorCode.VALIDATE_RECEIVE_ID,
    ErrorCode.ILLEGAL_BUFFER,
    ErrorCode.DECRYPT_AES,
    ErrorCode.DECODE_BASE64,
}


@dataclass(frozen=True)
class Surface:
    """One callback kind: its name in logs, its crypto, how its body carries the ciphertext and how its plaintext
    is read."""

    name: str
    crypto: WeComCrypto
    extract: Callable[[bytes], str]
    read: Callable[[str], Callback]


def fresh(timestamp: str, now: float) -> bool:
    """Whether a callback's timestamp is within the allowed skew of `now`; read strictly, before any signature is
    checked, so that a forged `1²` or 400-digit timestamp is refused rather than raising."""
    seconds = read_number(timestamp, maximum=int(now) + MAX_CLOCK_SKEW_SECONDS)
    return isinstance(seconds, int) and abs(now - seconds) <= MAX_CLOCK_SKEW_SECONDS


class PendingPhotos:
    """A message's photos, stored with its effects once: the apology a failed update gets runs the adapter's steps
    again, and has no message to attach them to."""

    def __init__(self, photos: Photos) -> None:
        self._photos: Photos | None = photos

    def take(self) -> Photos | None:
        photos, self._photos = self._photos, None
        return photos


class WeComAdapter:
    """Checks, decrypts and maps callbacks, gives each sender their name (`named`: MemberNames.named) and keeps the
    images (`keeper`) meanwhile, then hands them to the dispatcher; replies go through the outbox."""

    def __init__(
        self,
        sink: PreparedSink,
        *,
        app_crypto: WeComCrypto | None,
        bot_crypto: WeComCrypto | None,
        api_base_url: str,
        clock: Clock,
        named: Namer,
        keeper: ImageKeeper,
        locale: str,
    ) -> None:
        self._sink, self._clock, self._api_base_url, self._named = sink, clock, api_base_url, named
        self._keeper, self._locale = keeper, locale
        self.surfaces: dict[str, Surface] = {}
        self.refusals = RefusalCounter("wecom.callback_refused")
        if app_crypto is not None:
            self.surfaces[APP_CALLBACK_PATH] = Surface("app", app_crypto, extract_encrypt_from_xml, read_app)
        if bot_crypto is not None:
            self.surfaces[BOT_CALLBACK_PATH] = Surface("bot", bot_crypto, extract_encrypt_from_json, read_aibot)

    def add_routes(self, app: web.Application) -> None:
        for path in self.surfaces:
            app.router.add_get(path, self._verify_url)
            app.router.add_post(path, self._callback)

    def _refuse(self, surface: Surface, status: int, why: str, **fields: Any) -> web.Response:
        """Refused requests are logged as counts a minute (forgers send thousands), never with what they sent."""
        self.refusals.refuse(surface=surface.name, status=status, why=why, **fields)
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
            callback = surface.read(plaintext)
        except (ValueError, WeComCryptoError, AttributeError):
            return self._refuse(surface, 400, "decrypted message is malformed")
        incoming = callback.incoming
        if incoming is not None:
            named, photos = await asyncio.gather(
                self._named(incoming), self._keeper.photos(incoming.photos, callback.image_urls)
            )
            await self._handle(named, callback.response_url, PendingPhotos(photos))
        return web.Response(text="")

    async def _handle(self, incoming: IncomingMessage, response_url: str | None, pending: PendingPhotos) -> None:
        """Hand the message to the dispatcher with this callback's own steps, which it runs in its transaction."""
        log.info("wecom.callback", chat=incoming.chat.platform_chat_id, update=incoming.update_key)

        async def prepare(session: AsyncSession) -> Incoming:
            """Keep the one-shot reply channel (an answer goes back through it), store the photos (telling the
            sender about any that could not be kept), then read a typed choice as the press of the button it
            names."""
            if response_url is not None and response_url.startswith(self._api_base_url + "/"):
                remember_reply_channel(
                    session,
                    platform=PLATFORM,
                    platform_chat_id=incoming.chat.platform_chat_id,
                    url=response_url,
                    expires_at=self._clock() + RESPONSE_URL_TTL,
                )
            photos = pending.take()
            if photos is None:
                return await typed_choice(session, incoming)
            if photos.lost:
                await self._tell_photos_lost(session, incoming, photos.lost)
            return await typed_choice(session, await self._with_photos(session, incoming, photos))

        await self._sink(incoming, prepare)

    async def _with_photos(self, session: AsyncSession, incoming: IncomingMessage, photos: Photos) -> IncomingMessage:
        """The message carrying its kept photos: fetched ones stored (`stored:<id>`), the rest as they came."""
        refs = [
            ref
            if isinstance(ref, str)
            else await store_photo(
                session, content=ref.content, content_type=ref.content_type, source=ref.source, now=self._clock()
            )
            for ref in photos.found
        ]
        return replace(incoming, photos=tuple(refs))

    async def _tell_photos_lost(self, session: AsyncSession, incoming: IncomingMessage, lost: int) -> None:
        """Tell the sender privately (in their group when WeCom cannot reach them 1:1) that a photo was not kept, at
        most once a minute (the pace of the apologies)."""
        userid, now = incoming.sender.platform_user_id, self._clock()
        if not await may_reply_error(session, platform=PLATFORM, chat_id=userid, now=now):
            return
        text = translate(self._locale, "photo.not_kept", count=lost)
        group = incoming.chat.kind == ChatKind.GROUP
        here = Send(platform=PLATFORM, chat_id=incoming.chat.platform_chat_id, text=text)
        await enqueue(session, [Send(platform=PLATFORM, chat_id=userid, text=text, fallback=here if group else None)])


async def typed_choice(session: AsyncSession, incoming: IncomingMessage) -> Incoming:
    """`12-1` typed in a chat where row 12 showed buttons: the press of its first button; anything else unchanged."""
    choice = parse_choice(incoming.text)
    if choice is None:
        return incoming
    buttons = await sent_buttons(session, row_id=choice[0], platform=PLATFORM, chat_id=incoming.chat.platform_chat_id)
    return as_choice(incoming, buttons, *choice)
