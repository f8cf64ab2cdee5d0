"""The Telegram adapter: stored updates → neutral items, outbox rows → Bot API calls."""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import structlog
from telegram import Bot as TelegramBot
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, ReplyParameters
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import HTTPXRequest

from bot.console.photos import PHOTO_MAX_BYTES, PhotoMissing, PhotoUnreachable, image_type
from bot.logs import failure
from bot.outbox_sender import Delivery, DeliveryError, Failure, NotModified
from handlers.common.photos import stored_id_of
from handlers.core.types import (
    BotMembership,
    ChatKind,
    ChatMoved,
    ChatRef,
    Incoming,
    IncomingCallback,
    IncomingMessage,
    MembershipStatus,
    Sender,
)
from models.payloads import AnswerPayload, EditPayload, StoredKeyboard

log = structlog.get_logger(__name__)
PLATFORM = "telegram"
CJK = re.compile(r"[\u3400-\u9fff]")
PRESENT = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER, ChatMemberStatus.RESTRICTED}
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


# ---- mapping: pure functions from a stored update (a dict checked at arrival, `bot/intake.py`) to neutral items --

Json = dict[str, Any]


def display_name(user: Json) -> str:
    """王 + 小明 → 王小明; Li + Wei → Li Wei."""
    first, last = user.get("first_name") or "", user.get("last_name") or ""
    if not last:
        return first
    joiner = "" if CJK.search(first[-1:] + last[:1]) else " "
    return f"{first}{joiner}{last}"


def to_sender(user: Json) -> Sender:
    return Sender(
        platform_user_id=str(user["id"]),
        display_name=display_name(user),
        username=user.get("username"),
        language=user.get("language_code"),
        is_bot=bool(user.get("is_bot")),
    )


def to_chat_ref(chat: Json) -> ChatRef | None:
    if chat["type"] == ChatType.PRIVATE:
        kind = ChatKind.PRIVATE
    elif chat["type"] in (ChatType.GROUP, ChatType.SUPERGROUP):
        kind = ChatKind.GROUP
    else:
        return None
    return ChatRef(PLATFORM, str(chat["id"]), kind, chat.get("title") or "")


def text_of(message: Json) -> str:
    return message.get("text") or message.get("caption") or ""


def split_command(text: str, bot_username: str) -> tuple[str, str] | bool | None:
    """('help', 'args') for '/help@ourbot args' (the args may start on the next line, as a pasted CSV does); False
    for a command addressed to another bot; None if none."""
    if not text.startswith("/"):
        return None
    head, *rest = text.split(maxsplit=1)
    args = rest[0] if rest else ""
    name, _, target = head[1:].partition("@")
    if target and target.lower() != bot_username.lower():
        return False
    if not re.fullmatch(r"[A-Za-z0-9_]{1,32}", name):
        return None
    return name.lower(), args.strip()


def mentions(message: Json, bot_username: str, bot_id: int) -> bool:
    """The message names the bot (@username in its text or caption) or answers one of the bot's messages."""
    if f"@{bot_username}".lower() in text_of(message).lower():
        return True
    author = (message.get("reply_to_message") or {}).get("from")
    return bool(author and author["id"] == bot_id)


def message_key(bot_id: int, message: Json) -> str:
    """What a message is, whichever update brings it: the bot, the chat and the message id (plus the edit time
    for an edit). Update ids are no identity: Telegram restarts them after a quiet week, and another bot sharing
    the database, or a sandbox started again, counts from the same numbers."""
    key = f"{bot_id}:msg:{message['chat']['id']}:{message['message_id']}"
    edited = message.get("edit_date")
    return f"{key}:edit:{edited}" if edited is not None else key


def message_to_incoming(update: Json, message: Json, bot_username: str, bot_id: int) -> IncomingMessage | None:
    author = message.get("from")
    if author is None or author.get("is_bot"):
        return None
    chat = to_chat_ref(message["chat"])
    if chat is None:
        return None
    text = text_of(message)
    command = split_command(text, bot_username)
    if command is False:
        return None
    replied, photos = message.get("reply_to_message"), message.get("photo")
    replied_author = replied.get("from") if replied else None
    return IncomingMessage(
        update_key=message_key(bot_id, message),
        chat=chat,
        sender=to_sender(author),
        message_id=str(message["message_id"]),
        text=text,
        command=command[0] if isinstance(command, tuple) else None,
        args=command[1] if isinstance(command, tuple) else "",
        photos=(photos[-1]["file_id"],) if photos else (),
        reply_to_message_id=str(replied["message_id"]) if replied else None,
        reply_to_sender=to_sender(replied_author) if replied_author else None,
        mentions_bot=mentions(message, bot_username, bot_id),
        is_forwarded=message.get("forward_origin") is not None,
        is_edit=update.get("edited_message") is not None,
    )


def callback_to_incoming(query: Json, bot_id: int) -> IncomingCallback | None:
    """A press on a button of a message, accessible or not (an inaccessible one still names its chat and id)."""
    shown = query.get("message")
    if shown is None:
        return None
    chat = to_chat_ref(shown["chat"])
    if chat is None:
        return None
    return IncomingCallback(
        update_key=f"{bot_id}:callback:{query['id']}",
        chat=chat,
        sender=to_sender(query["from"]),
        callback_id=query["id"],
        data=query.get("data") or "",
        message_id=str(shown["message_id"]),
    )


def membership_to_incoming(change: Json, bot_id: int, bot_can_read_all: bool) -> BotMembership | None:
    chat = to_chat_ref(change["chat"])
    if chat is None:
        return None
    old, new = change["old_chat_member"]["status"], change["new_chat_member"]["status"]
    if new not in PRESENT:
        status = MembershipStatus.REMOVED
    elif old not in PRESENT:
        status = MembershipStatus.ADDED
    else:
        status = MembershipStatus.PROMOTED
    is_admin = chat.kind == ChatKind.GROUP and new in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
    return BotMembership(
        update_key=f"{bot_id}:member:{chat.platform_chat_id}:{change['date']}:{old}:{new}",
        chat=chat,
        actor=to_sender(change["from"]),
        status=status,
        can_read_all=bot_can_read_all or is_admin,
    )


def chat_moved(message: Json, bot_id: int) -> ChatMoved | None:
    chat = to_chat_ref(message["chat"])
    author = message.get("from")
    if chat is None or author is None:
        return None
    return ChatMoved(message_key(bot_id, message), chat, to_sender(author), str(message["migrate_to_chat_id"]))


def update_to_incoming(update: Json, *, bot_username: str, bot_id: int, bot_can_read_all: bool) -> Incoming | None:
    """The neutral item for a Telegram update as stored, or None for updates Linli ignores. Reads the dict itself
    (no PTB objects: building them cost more than the rest of the reading); every field read was checked on arrival."""
    message = update.get("message") or update.get("edited_message")
    if message is not None and message.get("migrate_to_chat_id") is not None:
        return chat_moved(message, bot_id)
    if message is not None and not message.get("new_chat_members") and not message.get("left_chat_member"):
        return message_to_incoming(update, message, bot_username, bot_id)
    if update.get("callback_query") is not None:
        return callback_to_incoming(update["callback_query"], bot_id)
    if update.get("my_chat_member") is not None:
        return membership_to_incoming(update["my_chat_member"], bot_id, bot_can_read_all)
    return None


# ---- transport: outbox rows → Bot API calls ----------------------------------------------------------------


def to_markup(buttons: StoredKeyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.text, url=b.url) if b.url else InlineKeyboardButton(b.text, callback_data=b.data)
                for b in row
            ]
            for row in buttons
        ]
    )


def seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def classify_error(error: TelegramError) -> Exception:
    """Map a PTB error to what the outbox sender should do about it."""
    if isinstance(error, RetryAfter):
        return DeliveryError(Failure.RETRY_AFTER, "429 too many requests", seconds(error.retry_after))
    if isinstance(error, Forbidden | ChatMigrated):
        return DeliveryError(Failure.CHAT_GONE, str(error))
    if isinstance(error, BadRequest):
        if "not modified" in error.message.lower():
            return NotModified()
        return DeliveryError(Failure.PERMANENT, str(error))
    if isinstance(error, TimedOut):
        return DeliveryError(Failure.UNCERTAIN, "timed out waiting for Telegram")
    if isinstance(error, NetworkError):
        return DeliveryError(Failure.TRANSIENT, str(error))
    return DeliveryError(Failure.PERMANENT, str(error))


ANSWER_EXPIRES_SECONDS = 15.0  # Telegram refuses to answer a button press older than about 15 s ("query is too old")


UPLOAD_PHOTO_MAX_BYTES = 10 * 1024 * 1024  # sendPhoto takes an uploaded photo of up to 10 MB
STORED_PHOTOS_REMEMBERED = 1000  # per process: Linli's own photos sent before, with their file id or None
# what Telegram answers an upload it cannot take as a photo (PHOTO_INVALID_DIMENSIONS, PHOTO_SAVE_FILE_INVALID,
# IMAGE_PROCESS_FAILED), in any case: PTB capitalises the description
REFUSED_IMAGE = re.compile(r"photo_|image_process_failed", re.IGNORECASE)

StoredPhotoBytes = Callable[[int], Awaitable[bytes | None]]
"""The bytes of Linli's own copy of a photo (`stored:<id>`, models/photos.py) by its id; None once it is gone."""


class TelegramTransport:
    platform = PLATFORM
    answer_expires_after: float | None = ANSWER_EXPIRES_SECONDS

    def __init__(
        self, bot: TelegramBot, group_limit_per_minute: int = 20, stored_photos: StoredPhotoBytes | None = None
    ) -> None:
        self._bot = bot
        self.group_limit_per_minute = group_limit_per_minute
        self._stored_photos = stored_photos
        # a stored photo's reference → the file id Telegram gave its upload, or None: it cannot be sent (gone, over
        # 10 MB, refused), so a notice to many groups reads, uploads or is refused once, not once a group
        self._sent_before: dict[str, str | None] = {}

    def is_group(self, chat_id: str) -> bool:
        return chat_id.startswith("-")

    async def deliver(self, delivery: Delivery) -> str | None:
        try:
            return await self._call(delivery)
        except TelegramError as error:
            raise classify_error(error) from error

    async def _call(self, delivery: Delivery) -> str | None:
        payload, chat_id = delivery.payload, int(delivery.chat_id)
        if isinstance(payload, AnswerPayload):
            await self._bot.answer_callback_query(
                payload.callback_id, text=payload.text or None, show_alert=payload.alert
            )
            return None
        markup = to_markup(payload.buttons)
        if isinstance(payload, EditPayload):
            await self._edit(chat_id, int(delivery.message_id or 0), payload.text, markup)
            return None
        reply = ReplyParameters(int(payload.reply_to), allow_sending_without_reply=True) if payload.reply_to else None
        if payload.document is not None:
            sent = await self._bot.send_document(
                chat_id,
                InputFile(payload.document.content, filename=payload.document.filename),
                caption=payload.text[:1024] or None,
                reply_parameters=reply,
            )
        elif payload.photo and (photo := await self._sendable_photo(payload.photo)) is not None:
            sent = await self._send_photo(chat_id, payload.photo, photo, payload.text, markup, reply)
        else:
            sent = await self._bot.send_message(chat_id, payload.text, reply_markup=markup, reply_parameters=reply)
        return str(sent.message_id)

    async def _sendable_photo(self, photo: str) -> str | InputFile | None:
        """What sendPhoto can be given for a card's photo: a Telegram file id as it is; Linli's own copy by the file
        id of its first upload from this process, else its bytes (up to sendPhoto's 10 MB); None for a photo that
        cannot be sent (a WeCom file not kept, a copy gone, too big or refused before): its card goes as text, whose
        📷 line tells of it."""
        if is_telegram_file(photo):
            return photo
        if photo in self._sent_before:
            return self._sent_before[photo]
        photo_id = stored_id_of(photo)
        if photo_id is None or self._stored_photos is None:
            return None
        content = await self._stored_photos(photo_id)
        if content is None or len(content) > UPLOAD_PHOTO_MAX_BYTES:
            self._remember(photo, None)
            return None
        return InputFile(content, filename=f"photo-{photo_id}.{(image_type(content) or 'image/jpeg')[6:]}")

    async def _send_photo(
        self,
        chat_id: int,
        ref: str,
        photo: str | InputFile,
        text: str,
        markup: InlineKeyboardMarkup | None,
        reply: ReplyParameters | None,
    ) -> Message:
        """sendPhoto with the card as its caption. An upload Telegram refuses as an image (its dimensions, its
        format) goes as text instead; an upload it takes is sent by file id from then on (a notice to many groups
        is uploaded once)."""
        try:
            sent = await self._bot.send_photo(
                chat_id, photo, caption=text[:1024], reply_markup=markup, reply_parameters=reply
            )
        except BadRequest as error:
            if isinstance(photo, str) or not REFUSED_IMAGE.search(error.message):
                raise
            log.warning("telegram.photo_refused", photo=ref, problem=error.message)
            self._remember(ref, None)
            return await self._bot.send_message(chat_id, text, reply_markup=markup, reply_parameters=reply)
        if isinstance(photo, InputFile) and sent.photo:
            self._remember(ref, sent.photo[-1].file_id)
        return sent

    def _remember(self, ref: str, file_id: str | None) -> None:
        if len(self._sent_before) >= STORED_PHOTOS_REMEMBERED:
            del self._sent_before[next(iter(self._sent_before))]  # the oldest
        self._sent_before[ref] = file_id

    async def _edit(self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None) -> None:
        try:
            await self._bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup)
        except BadRequest as error:
            if "no text in the message" not in error.message.lower():
                raise
            await self._bot.edit_message_caption(
                chat_id=chat_id, message_id=message_id, caption=text[:1024], reply_markup=markup
            )


# ---- application ----------------------------------------------------------------------------------------------


def build_application(*, token: str, base_url: str, tls: ssl.SSLContext | None = None) -> Application:
    """The PTB Application, built once by the composition root, without PTB's updater (updates come in through the
    inbox, `bot/polling.py` and the webhook, which acknowledges them only once they are stored) and without its job
    queue (the timers are `bot/scheduler.py`'s). Its two connection pools (PTB's sizes) share `tls`, one TLS context,
    so the CA bundle is loaded once, not once a pool."""
    tls = tls or httpx.create_ssl_context()
    builder = ApplicationBuilder().token(token).base_url(base_url).base_file_url(file_url_for(base_url))
    builder.request(HTTPXRequest(connection_pool_size=256, httpx_kwargs={"verify": tls}))
    builder.get_updates_request(HTTPXRequest(connection_pool_size=1, httpx_kwargs={"verify": tls}))
    return builder.updater(None).job_queue(None).build()


def file_url_for(base_url: str) -> str:
    """…/bot → …/file/bot, as Telegram lays out its file URLs."""
    return base_url[: -len("bot")] + "file/bot" if base_url.endswith("/bot") else base_url


def is_telegram_file(photo: str) -> bool:
    """Whether a ticket's photo is a Telegram file id (which never contains ':'), not a WeCom photo or Linli's own
    copy (`wecom:…`, `stored:…`)."""
    return ":" not in photo


class TelegramPhotos:
    """The console's photo port on the Bot API: getFile gives the file's path, then the file download fetches it."""

    def __init__(self, bot: TelegramBot) -> None:
        self._bot = bot

    async def fetch(self, file_id: str) -> bytes:
        try:
            found = await self._bot.get_file(file_id)
            if (found.file_size or 0) > PHOTO_MAX_BYTES:
                raise PhotoMissing("over the Bot API's 20 MB")
            return bytes(await found.download_as_bytearray())
        except BadRequest as error:  # an unknown file id, or a file too big to hand out
            raise PhotoMissing(str(error)) from error
        except TelegramError as error:
            raise PhotoUnreachable(type(error).__name__) from error


class TelegramAdapter:
    """Reads stored updates for the inbox and knows the bot's own identity."""

    def __init__(self, application: Application) -> None:
        self.application = application
        application.add_error_handler(log_error)

    @property
    def bot(self) -> TelegramBot:
        return self.application.bot

    def read(self, data: dict[str, Any]) -> Incoming | None:
        """The neutral item for a stored update (checked at arrival: `bot/intake.py`)."""
        me = self.bot.bot
        return update_to_incoming(
            data,
            bot_username=me.username or "",
            bot_id=me.id,
            bot_can_read_all=bool(me.can_read_all_group_messages),
        )

    async def set_commands(self, commands: list[tuple[str, str, str]]) -> None:
        """Publish the command menu: (name, Chinese description, English description)."""
        await requests_at_once(
            self.bot.set_my_commands([BotCommand(n, zh) for n, zh, _ in commands]),
            self.bot.set_my_commands([BotCommand(n, en) for n, _, en in commands], language_code="en"),
        )


async def requests_at_once(*requests: Awaitable[object]) -> None:
    """Independent Bot API requests sent together (a start waits for the slowest, not for their sum); the first to
    fail cancels the others and is raised as it is."""
    tasks = [asyncio.ensure_future(request) for request in requests]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def log_error(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """PTB's error handler: the kind of error and where, never the update that caused it."""
    if context.error is not None:
        log.error("telegram.error", **failure(context.error))
