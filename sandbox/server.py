"""A local Telegram-Bot-API-compatible HTTP server for the test suite and the sandbox.

The real python-telegram-bot client talks to it over HTTP through ``base_url``; it answers in the
Bot API wire format, keeps a per-chat message store, records every call and lets tests inject
updates, failures and Telegram's flood limits.

Wire format notes (python-telegram-bot 22.8): every request is a POST. Without files the body is
``application/x-www-form-urlencoded`` where each non-string value is JSON-encoded (``chat_id=-100…``,
``disable_notification=true``, ``reply_markup={"inline_keyboard": …}``); with files it is
``multipart/form-data`` with the same string fields plus one file part per upload, named after the
parameter (``photo``). JSON bodies and query strings are accepted too. Values are decoded back into
Python objects, except parameters that are strings in the Bot API (``text``, ``caption``, ``data``…),
which stay as sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal

from aiohttp import ClientError, ClientSession, ClientTimeout, web

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
Clock = Callable[[], float]
Handler = Callable[[JsonDict], Awaitable[Any]]
CallPredicate = Callable[["RecordedCall"], bool]
DeliverMode = Literal["auto", "webhook"]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
BOT_MESSAGES_PER_SECOND = 30
GROUP_MESSAGES_PER_MINUTE = 20
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

UPDATE_TYPES = (
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "message_reaction",
    "message_reaction_count", "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
    "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_member",
    "chat_join_request", "chat_boost", "removed_chat_boost",
)  # fmt: skip
#: Telegram delivers these only when they are named in ``allowed_updates``.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})  # fmt: skip
#: Parameters that are strings in the Bot API: never JSON-decoded, even when they look like numbers.
STRING_PARAMS = frozenset({
    "text", "caption", "parse_mode", "callback_query_id", "url", "secret_token", "ip_address",
    "language_code", "inline_message_id", "business_connection_id", "message_effect_id", "file_id",
    "photo", "document", "audio", "video", "animation", "voice", "sticker", "thumbnail", "description",
    "short_description", "name", "title", "data", "action", "emoji", "query", "custom_title",
    "invite_link", "address", "phone_number", "first_name", "last_name", "vcard", "question",
    "explanation", "payload", "currency", "provider_token", "start_parameter", "web_app_query_id",
    "certificate", "user_chat_id_text",
})  # fmt: skip
INLINE_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text", "callback_game",
    "pay",
)  # fmt: skip
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a content and reply markup of the current message"
)
QUERY_ID_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
ADMIN_RIGHTS: JsonDict = {
    "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
    "can_manage_video_chats": True, "can_restrict_members": True, "can_promote_members": False,
    "can_change_info": True, "can_invite_users": True, "can_post_stories": False, "can_edit_stories": False,
    "can_delete_stories": False, "can_pin_messages": True,
}  # fmt: skip
RESTRICTED_DEFAULTS: JsonDict = {
    "is_member": True, "can_send_messages": False, "can_send_audios": False, "can_send_documents": False,
    "can_send_photos": False, "can_send_videos": False, "can_send_video_notes": False,
    "can_send_voice_notes": False, "can_send_polls": False, "can_send_other_messages": False,
    "can_add_web_page_previews": False, "can_react_to_messages": False, "can_edit_tag": False,
    "can_change_info": False, "can_invite_users": False, "can_pin_messages": False,
    "can_manage_topics": False, "until_date": 0,
}  # fmt: skip
#: A 1x1 PNG used as the content of photos that tests inject without bytes of their own.
WORLD_FORMAT = 1
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201e221bc330000000049454e44ae426082"
)


# --------------------------------------------------------------------------------------------- errors


class BotApiError(Exception):
    """An error answered in the Bot API format: ``{"ok": false, "error_code": …, "description": …}``."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JsonDict:
        """The JSON body Telegram would send for this error."""
        body: JsonDict = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> BotApiError:
    """A 400 error with Telegram's ``Bad Request: …`` prefix."""
    return BotApiError(400, f"Bad Request: {reason}")


def too_many_requests(retry_after: int) -> BotApiError:
    """A 429 flood-control error carrying ``parameters.retry_after``."""
    return BotApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


# ---------------------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user as the fake server knows them."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "zh-hans"
    is_bot: bool = False

    @property
    def display_name(self) -> str:
        """First and last name the way Telegram clients show them."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def to_dict(self) -> JsonDict:
        """The Bot API ``User`` object."""
        data: JsonDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None and not (self.is_bot and key == "language_code"):
                data[key] = value
        return data


@dataclass(frozen=True)
class FakeChat:
    """A chat: a group/supergroup (negative id) or a private chat with ``user``."""

    id: int
    type: str
    title: str | None = None
    user: FakeUser | None = None
    username: str | None = None

    @property
    def is_group(self) -> bool:
        """True for groups and supergroups."""
        return self.type in ("group", "supergroup")

    @property
    def display_title(self) -> str:
        """Title of a group, name of the user of a private chat."""
        if self.user is not None:
            return self.user.display_name
        return self.title or str(self.id)

    def to_dict(self) -> JsonDict:
        """The Bot API ``Chat`` object."""
        data: JsonDict = {"id": self.id}
        if self.user is not None:
            data.update({k: v for k, v in self.user.to_dict().items() if k in _PRIVATE_CHAT_KEYS})
        else:
            data["title"] = self.title or str(self.id)
        if self.username:
            data["username"] = self.username
        data["type"] = self.type
        return data


_PRIVATE_CHAT_KEYS = ("first_name", "last_name", "username")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


@dataclass
class StoredFile:
    """A file the server can hand out through getFile and the file download URL."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes

    def to_dict(self) -> JsonDict:
        """The Bot API ``File`` object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class RecordedCall:
    """One Bot API call as it arrived (parameters decoded) and what was answered."""

    method: str
    params: JsonDict
    at: float
    response: JsonDict

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call (None otherwise)."""
        return self.response.get("result")

    @property
    def error_code(self) -> int | None:
        """The error code of a failed call."""
        code = self.response.get("error_code")
        return int(code) if code is not None else None

    def summary(self) -> str:
        """One line for assertion messages."""
        shown = {k: v for k, v in self.params.items() if k in ("chat_id", "message_id", "text", "data")}
        outcome = "ok" if self.ok else f"error {self.error_code}"
        return f"{self.method}({json.dumps(shown, ensure_ascii=False, default=str)[:160]}) -> {outcome}"


@dataclass
class StoredMessage:
    """A message in the per-chat store: current version, earlier versions and deletion mark."""

    chat_id: int
    message_id: int
    message: JsonDict
    history: list[JsonDict] = field(default_factory=list)
    deleted: bool = False
    version: int = 0

    @property
    def from_bot(self) -> bool:
        """Whether the bot sent this message."""
        return bool(self.message.get("from", {}).get("is_bot"))

    @property
    def text(self) -> str | None:
        """Text, or caption of a media message."""
        return self.message.get("text", self.message.get("caption"))

    @property
    def edited(self) -> bool:
        """Whether the message was edited at least once."""
        return bool(self.history)

    @property
    def inline_keyboard(self) -> list[list[JsonDict]]:
        """Rows of inline buttons (empty when there is no inline keyboard)."""
        markup = self.message.get("reply_markup") or {}
        rows: list[list[JsonDict]] = markup.get("inline_keyboard", [])
        return rows

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """(label, callback_data) of every inline button, row by row."""
        return [(b.get("text", ""), b.get("callback_data")) for row in self.inline_keyboard for b in row]


@dataclass
class CallbackAnswer:
    """What the bot answered to a callback query (shown as a toast or alert in the sandbox)."""

    callback_query_id: str
    chat_id: int
    user_id: int
    message_id: int
    text: str | None
    show_alert: bool
    url: str | None
    version: int


@dataclass
class WebhookDelivery:
    """One POST of an update to the webhook URL."""

    update: JsonDict
    url: str
    status: int | None
    error: str | None = None


@dataclass
class ForcedFailure:
    """A failure queued by ``fail_next``."""

    method: str
    error_code: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | None
    drop_connection: bool
    after_effect: bool

    def matches(self, method: str, chat_id: int | None) -> bool:
        """Whether this failure applies to a call of ``method`` aimed at ``chat_id``."""
        if self.remaining <= 0 or self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> BotApiError:
        """The error to answer."""
        return BotApiError(self.error_code, self.description, self.retry_after)


class SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds, measured with ``clock``."""

    def __init__(self, limit: int, window: float, clock: Clock) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: deque[float] = deque()

    def _forget_old(self, now: float) -> None:
        while self._events and self._events[0] <= now - self.window:
            self._events.popleft()

    def retry_after(self) -> int | None:
        """Seconds (ceil, at least 1) until a slot frees, or None when one is free now."""
        now = self._clock()
        self._forget_old(now)
        if len(self._events) < self.limit:
            return None
        return max(1, math.ceil(self._events[0] + self.window - now))

    def record(self) -> None:
        """Count one event now."""
        self._events.append(self._clock())


@dataclass
class _PendingUpdate:
    update: JsonDict
    handed_out: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        return update_type(self.update)


@dataclass
class _Outcome:
    status: int
    payload: JsonDict
    drop_connection: bool = False

    @classmethod
    def success(cls, result: Any) -> _Outcome:
        return cls(200, {"ok": True, "result": result})

    @classmethod
    def failure(cls, error: BotApiError) -> _Outcome:
        return cls(error.error_code, error.payload())

    @classmethod
    def dropped(cls) -> _Outcome:
        return cls(0, {"ok": False, "description": "connection dropped without an answer"}, True)

    @classmethod
    def forced(cls, failure: ForcedFailure) -> _Outcome:
        return cls.dropped() if failure.drop_connection else cls.failure(failure.error())


# ------------------------------------------------------------------------------------- pure helpers


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets and text limits."""
    return len(text.encode("utf-16-le")) // 2


def update_type(update: JsonDict) -> str:
    """The kind of an update: the first key other than ``update_id``."""
    return next((key for key in update if key != "update_id"), "")


def decode_param(name: str, value: Any) -> Any:
    """Turn one wire value back into a Python value (JSON-decoding non-string parameters)."""
    if not isinstance(value, str) or name in STRING_PARAMS:
        return value
    stripped = value.strip()
    if not stripped or not (stripped[0] in '{["-' or stripped[0].isdigit() or stripped in ("true", "false")):
        return value
    try:
        return json.loads(stripped)
    except ValueError:
        return value


def chat_id_of(params: JsonDict) -> int | None:
    """The integer ``chat_id`` of a call, if it has one."""
    value = params.get("chat_id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?![\w])")


def auto_entities(text: str) -> list[JsonDict]:
    """Entities Telegram computes for a user's text: a leading /command and @mentions."""
    found: list[tuple[int, int, str]] = []
    command = _COMMAND_RE.match(text)
    if command:
        found.append((0, command.end(), "bot_command"))
    found.extend((m.start(), m.end(), "mention") for m in _MENTION_RE.finditer(text) if not _inside(m, command))
    return [
        {"offset": utf16_len(text[:start]), "length": utf16_len(text[start:end]), "type": kind}
        for start, end, kind in sorted(found)
    ]


def _inside(match: re.Match[str], outer: re.Match[str] | None) -> bool:
    return outer is not None and match.start() < outer.end()


def inline_keyboard_problem(markup: Any) -> str | None:
    """Telegram's complaint about an inline keyboard, or None when it is acceptable."""
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        return 'can\'t parse inline keyboard button: field "inline_keyboard" must be an Array of Arrays'
    for button in itertools.chain.from_iterable(rows):
        problem = _inline_button_problem(button)
        if problem:
            return problem
    return None


def _inline_button_problem(button: Any) -> str | None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        return "can't parse inline keyboard button: Text must be a String"
    actions = [key for key in INLINE_BUTTON_ACTIONS if key in button]
    if not actions:
        return "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
    if len(actions) > 1:
        return f"can't parse inline keyboard button: more than one action field ({', '.join(actions)})"
    data = button.get("callback_data")
    if data is not None and not (isinstance(data, str) and 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES):
        return "BUTTON_DATA_INVALID"
    return None


def member_dict(user: JsonDict, status: str, extra: JsonDict | None = None) -> JsonDict:
    """A valid ``ChatMember`` object of the given status."""
    extra = dict(extra or {})
    base: JsonDict = {"status": status, "user": user}
    if status == "administrator":
        base.update(ADMIN_RIGHTS)
    elif status == "creator":
        base["is_anonymous"] = False
    elif status == "restricted":
        base.update(RESTRICTED_DEFAULTS)
    elif status == "kicked":
        base["until_date"] = 0
    base.update(extra)
    return base


# --------------------------------------------------------------------------- formatted text parsing


class EntityParseError(Exception):
    """``parse_mode`` text that Telegram would refuse."""


class _TextBuilder:
    """Collects plain text and tracks its UTF-16 length."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.offset += utf16_len(text)

    def text(self) -> str:
        return "".join(self.parts)


def _entity(kind: str, start: int, end: int, **extra: Any) -> JsonDict | None:
    if end <= start:
        return None
    return {"type": kind, "offset": start, "length": end - start, **extra}


def _sorted_entities(entities: Iterable[JsonDict | None]) -> list[JsonDict]:
    present = [e for e in entities if e is not None]
    return sorted(present, key=lambda e: (e["offset"], -e["length"]))


_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
    "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}  # fmt: skip


class _TelegramHtmlParser(HTMLParser):
    """Parses Telegram's HTML subset into plain text and entities."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.out = _TextBuilder()
        self.stack: list[tuple[str, int, dict[str, str | None]]] = []
        self.entities: list[JsonDict | None] = []
        self.pre_language: str | None = None

    def _byte_offset(self) -> int:
        line, column = self.getpos()
        lines = self.source.split("\n")
        index = sum(len(text) + 1 for text in lines[: line - 1]) + column
        return len(self.source[:index].encode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        supported = tag in _HTML_TAGS and not (tag == "span" and attributes.get("class") != "tg-spoiler")
        if not supported:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')
        self.stack.append((tag, self.out.offset, attributes))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self._byte_offset()}")
        open_tag, start, attributes = self.stack.pop()
        if open_tag != tag:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{open_tag}"')
        self.entities.append(self._entity_for(tag, start, attributes))

    def _entity_for(self, tag: str, start: int, attributes: dict[str, str | None]) -> JsonDict | None:
        end = self.out.offset
        kind = _HTML_TAGS[tag]
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = (attributes.get("class") or "").removeprefix("language-")
            self.pre_language = language or None
            return None
        if kind == "pre":
            pre_language, self.pre_language = self.pre_language, None
            return _entity("pre", start, end, **({"language": pre_language} if pre_language else {}))
        if kind == "text_link":
            href = attributes.get("href")
            return _entity("text_link", start, end, url=href) if href else None
        if kind == "blockquote" and "expandable" in attributes:
            return _entity("expandable_blockquote", start, end)
        if kind == "custom_emoji":
            return _entity(kind, start, end, custom_emoji_id=attributes.get("emoji-id") or "")
        return _entity(kind, start, end)

    def handle_data(self, data: str) -> None:
        self.out.add(data)

    def result(self) -> tuple[str, list[JsonDict]]:
        self.close()
        if self.stack:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"')
        return self.out.text(), _sorted_entities(self.entities)


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Telegram's ``parse_mode=HTML``: plain text and entities (UTF-16 offsets)."""
    parser = _TelegramHtmlParser(source)
    parser.feed(source)
    return parser.result()


_MARKDOWN_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MARKDOWN_ENTITY_NAMES = {
    "*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough", "||": "Spoiler", "[": "TextUrl",
}  # fmt: skip
_MARKDOWN_ENTITY_TYPES = {
    "*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler",
}  # fmt: skip


class _MarkdownParser:
    """Telegram's MarkdownV2 (``legacy=False``) and legacy Markdown (``legacy=True``)."""

    def __init__(self, source: str, legacy: bool) -> None:
        self.source = source
        self.legacy = legacy
        self.out = _TextBuilder()
        self.open: list[tuple[str, int, int]] = []
        self.entities: list[JsonDict | None] = []
        self.quote_start: int | None = None
        self.i = 0

    def _byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode())

    def _find(self, token: str, start: int) -> int:
        index = start
        while index < len(self.source):
            if self.source[index] == "\\" and not self.legacy:
                index += 2
                continue
            if self.source.startswith(token, index):
                return index
            index += 1
        return -1

    def _unescape(self, text: str) -> str:
        return text if self.legacy else re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)

    def parse(self) -> tuple[str, list[JsonDict]]:
        while self.i < len(self.source):
            self._step()
        self._close_quote()
        if self.open:
            marker, _, index = self.open[-1]
            if self.legacy:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {self._byte_offset(index)}"
                )
            name = _MARKDOWN_ENTITY_NAMES[marker]
            raise EntityParseError(f"Can't find end of {name} entity at byte offset {self._byte_offset(index)}")
        return self.out.text(), _sorted_entities(self.entities)

    def _step(self) -> None:
        source, i = self.source, self.i
        char = source[i]
        if char == "\\" and (not self.legacy or source[i + 1 : i + 2] in ("_", "*", "`", "[")):
            self._escaped(i)
        elif source.startswith("```", i):
            self._code_block(i)
        elif char == "`":
            self._inline_code(i)
        elif char == "[":
            self.open.append(("[", self.out.offset, i))
            self.i += 1
        elif char == "]" and self.open and self.open[-1][0] == "[" and source[i + 1 : i + 2] == "(":
            self._link_end(i)
        elif self._marker_at(i):
            self._toggle(self._marker_at(i), i)
        elif char == ">" and not self.legacy and (i == 0 or source[i - 1] == "\n"):
            if self.quote_start is None:
                self.quote_start = self.out.offset
            self.i += 1
        elif char in _MARKDOWN_V2_RESERVED and not self.legacy:
            raise EntityParseError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        else:
            self._plain(char)

    def _plain(self, char: str) -> None:
        if char == "\n" and self.quote_start is not None and self.source[self.i + 1 : self.i + 2] != ">":
            self._close_quote()
        self.out.add(char)
        self.i += 1

    def _close_quote(self) -> None:
        if self.quote_start is not None:
            self.entities.append(_entity("blockquote", self.quote_start, self.out.offset))
            self.quote_start = None

    def _escaped(self, i: int) -> None:
        if i + 1 >= len(self.source):
            raise EntityParseError(f"unexpected end of text at byte offset {self._byte_offset(i)}")
        self.out.add(self.source[i + 1])
        self.i = i + 2

    def _marker_at(self, i: int) -> str:
        if self.legacy:
            return self.source[i] if self.source[i] in "*_" else ""
        for marker in ("||", "__", "*", "_", "~"):
            if self.source.startswith(marker, i):
                return marker
        return ""

    def _toggle(self, marker: str, i: int) -> None:
        if self.open and self.open[-1][0] == marker:
            _, start, _ = self.open.pop()
            self.entities.append(_entity(_MARKDOWN_ENTITY_TYPES[marker], start, self.out.offset))
        elif any(open_marker == marker for open_marker, _, _ in self.open) or (self.legacy and self.open):
            _, _, index = self.open[-1]
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {self._byte_offset(index)}")
        else:
            self.open.append((marker, self.out.offset, i))
        self.i = i + len(marker)

    def _code_block(self, i: int) -> None:
        end = self._find("```", i + 3)
        if end < 0:
            raise EntityParseError(f"Can't find end of Pre entity at byte offset {self._byte_offset(i)}")
        body = self.source[i + 3 : end]
        first_line, newline, rest = body.partition("\n")
        language = first_line if newline and first_line and " " not in first_line else None
        code = self._unescape(rest if language else body)
        start = self.out.offset
        self.out.add(code)
        extra = {"language": language} if language else {}
        self.entities.append(_entity("pre", start, self.out.offset, **extra))
        self.i = end + 3

    def _inline_code(self, i: int) -> None:
        end = self._find("`", i + 1)
        if end < 0:
            raise EntityParseError(f"Can't find end of Code entity at byte offset {self._byte_offset(i)}")
        start = self.out.offset
        self.out.add(self._unescape(self.source[i + 1 : end]))
        self.entities.append(_entity("code", start, self.out.offset))
        self.i = end + 1

    def _link_end(self, i: int) -> None:
        close = self._find(")", i + 2)
        if close < 0:
            raise EntityParseError(f"Can't find end of a URL at byte offset {self._byte_offset(i)}")
        _, start, _ = self.open.pop()
        url = self._unescape(self.source[i + 2 : close])
        self.entities.append(_entity("text_link", start, self.out.offset, url=url))
        self.i = close + 1


def parse_formatted(text: str, parse_mode: str | None) -> tuple[str, list[JsonDict]]:
    """Apply ``parse_mode`` like Telegram: plain text plus entities; EntityParseError when invalid."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode in ("markdownv2", "markdown"):
        return _MarkdownParser(text, legacy=mode == "markdown").parse()
    if mode:
        raise EntityParseError(f"unsupported parse_mode {parse_mode}")
    return text, []


# ------------------------------------------------------------------------------------------- server


class LocalBotApi:
    """An in-process Bot API server on 127.0.0.1 with a message store, call recorder and injectors."""

    def __init__(
        self,
        *,
        token: str | None = None,
        port: int = 0,
        bot_id: int = 8000000001,
        bot_username: str = "linli_test_bot",
        bot_first_name: str = "邻里小助手",
        can_read_all_group_messages: bool = True,
        deliver_mode: DeliverMode = "auto",
        enforce_limits: bool = False,
        clock: Clock = time.monotonic,
        latency: float = 0.0,
        strict_chats: bool = True,
        first_update_id: int = 500000001,
    ) -> None:
        self.token = token
        self.bot = FakeUser(bot_id, bot_first_name, username=bot_username, language_code=None, is_bot=True)
        self.can_read_all_group_messages = can_read_all_group_messages
        self.deliver_mode: DeliverMode = deliver_mode
        self.enforce_limits = enforce_limits
        self.latency = latency
        self.strict_chats = strict_chats
        self.removed_chats: set[int] = set()
        self.calls: list[RecordedCall] = []
        self.throttled = 0
        self.callback_answers: list[CallbackAnswer] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.version = 0
        self._clock = clock
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._closing = False
        self._users: dict[int, FakeUser] = {self.bot.id: self.bot}
        self._chats: dict[int, FakeChat] = {}
        self._messages: dict[int, dict[int, StoredMessage]] = {}
        self._next_message_id: dict[int, int] = {}
        self._members: dict[tuple[int, int], JsonDict] = {}
        self._reply_keyboards: dict[int, JsonDict | None] = {}
        self._files: dict[str, StoredFile] = {}
        self._next_file_number = 1
        self._next_update_id = first_update_id
        self._next_callback_id = 4382000000000000001
        self.on_change: Callable[[], None] | None = None
        self._pending: list[_PendingUpdate] = []
        self._allowed_updates: list[str] = []
        self._webhook: JsonDict = {}
        self._last_webhook_error: tuple[int, str] | None = None
        self._open_callbacks: dict[str, CallbackAnswer] = {}
        self._commands: dict[tuple[str, str], list[JsonDict]] = {}
        self._failures: list[ForcedFailure] = []
        self._bot_window = SlidingWindow(BOT_MESSAGES_PER_SECOND, 1.0, clock)
        self._group_windows: dict[int, SlidingWindow] = {}
        self._consumed: set[int] = set()
        self._in_flight = 0
        self._last_activity = 0.0
        self._posting = False
        self._updates_changed = asyncio.Event()
        self._calls_changed = asyncio.Event()
        self._handlers: dict[str, Handler] = {}
        self._canonical_names: dict[str, str] = {}
        self._register_methods()
        self.app = self._build_app()

    # ---------------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 (random port unless one was given)."""
        self._closing = False
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._requested_port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._session = ClientSession(timeout=ClientTimeout(total=10))
        self._webhook_task = asyncio.create_task(self._webhook_worker(), name="localapi-webhook")
        self._last_activity = asyncio.get_running_loop().time()

    async def stop(self) -> None:
        """Release waiting long polls, stop webhook delivery and close the server."""
        self._closing = True
        self._wake(self._updates_changed)
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (after ``start``)."""
        if self._port is None:
            raise RuntimeError("LocalBotApi is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Value for PTB's ``base_url``: PTB appends the token and ``/method``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for PTB's ``base_file_url``."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ------------------------------------------------------------------------------- HTTP handling

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api_request)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file_download)
        return app

    async def _handle_api_request(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        counts_as_work = method.lower() != "getupdates"
        self._in_flight += counts_as_work
        try:
            outcome, params = await self._answer(request, method)
        finally:
            self._in_flight -= counts_as_work
            if counts_as_work:
                self._touch()
        self._record(method, params, outcome)
        if outcome.drop_connection:
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        return web.json_response(outcome.payload, status=outcome.status, dumps=_dumps)

    async def _answer(self, request: web.Request, method: str) -> tuple[_Outcome, JsonDict]:
        try:
            params = await self._read_params(request)
        except BotApiError as error:
            return _Outcome.failure(error), {}
        if self.latency:
            await asyncio.sleep(self.latency)
        return await self._dispatch(request.match_info["token"], method, params), params

    async def _read_params(self, request: web.Request) -> JsonDict:
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json" and request.can_read_body:
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON body") from exc
            if not isinstance(body, dict):
                raise bad_request("JSON body must be an object")
            raw.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                raw[key] = _form_value(value)
        return {key: decode_param(key, value) for key, value in raw.items()}

    async def _dispatch(self, token: str, method: str, params: JsonDict) -> _Outcome:
        if self.token is not None and token != self.token:
            return _Outcome.failure(BotApiError(401, "Unauthorized"))
        handler = self._handlers.get(method.lower())
        if handler is None:
            return _Outcome.failure(BotApiError(404, "Not Found"))
        forced = self._take_forced_failure(method, params)
        try:
            if forced is not None and not forced.after_effect:
                return _Outcome.forced(forced)
            self._check_not_removed(params)
            self._check_limits(method, params)
            result = await handler(params)
            self._count_towards_limits(method, params)
        except BotApiError as error:
            return _Outcome.failure(error)
        if forced is not None:
            return _Outcome.forced(forced)
        return _Outcome.success(result)

    async def _handle_file_download(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        stored = next((f for f in self._files.values() if f.file_path == path), None)
        if stored is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    def _record(self, method: str, params: JsonDict, outcome: _Outcome) -> None:
        name = self._canonical_names.get(method.lower(), method)
        response = dict(outcome.payload)
        if outcome.payload.get("error_code") == 429:
            self.throttled += 1
        self.calls.append(RecordedCall(name, params, self._clock(), response))
        self._wake(self._calls_changed)

    def _touch(self) -> None:
        self._last_activity = asyncio.get_running_loop().time()

    @staticmethod
    def _wake(event: asyncio.Event) -> None:
        event.set()
        event.clear()

    # ------------------------------------------------------------------------- recording and waiting

    def calls_of(self, method: str) -> list[RecordedCall]:
        """Every recorded call of ``method`` (case-insensitive), oldest first."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """Texts of successful sendMessage calls (to ``chat_id`` if given), as sent."""
        return [
            str(call.params.get("text"))
            for call in self.calls_of("sendMessage")
            if call.ok and (chat_id is None or chat_id_of(call.params) == chat_id)
        ]

    async def wait_for_call(
        self,
        predicate: CallPredicate | str,
        timeout: float = 5.0,
    ) -> RecordedCall:
        """First recorded call matching ``predicate`` (or a method name) not returned by an earlier wait."""
        matches = _as_predicate(predicate)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, call in enumerate(self.calls):
                if index not in self._consumed and matches(call):
                    self._consumed.add(index)
                    return call
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(self._timeout_report(predicate, timeout))
            await _wait_event(self._calls_changed, remaining)

    def _timeout_report(self, predicate: CallPredicate | str, timeout: float) -> str:
        wanted = predicate if isinstance(predicate, str) else getattr(predicate, "__name__", repr(predicate))
        recent = [call for call in self.calls if call.method != "getUpdates"][-15:]
        lines = "\n".join(f"  {call.summary()}" for call in recent) or "  (none)"
        return f"no call matching {wanted} within {timeout:.1f}s; last calls (getUpdates omitted):\n{lines}"

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until every update was handed to the bot and no call has arrived for ``quiet`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            now = loop.time()
            busy = self._in_flight or self._posting or self._has_undelivered_updates()
            if not busy and now - self._last_activity >= quiet:
                return
            if now >= deadline:
                raise AssertionError(
                    f"server not idle after {timeout:.1f}s: {self._in_flight} calls in flight, "
                    f"{sum(not p.handed_out for p in self._pending)} updates not yet delivered"
                )
            await asyncio.sleep(0.02)

    def _has_undelivered_updates(self) -> bool:
        return any(not pending.handed_out for pending in self._pending)

    # ---------------------------------------------------------------------------------- store access

    def chat(self, chat_id: int) -> FakeChat:
        """A known chat (KeyError if unknown)."""
        return self._chats[chat_id]

    @property
    def chats(self) -> list[FakeChat]:
        """Every known chat."""
        return list(self._chats.values())

    def known_user(self, user_id: int) -> FakeUser | None:
        """A known user or None."""
        return self._users.get(user_id)

    def messages(self, chat_id: int, include_deleted: bool = False) -> list[StoredMessage]:
        """Messages of a chat in order."""
        stored = self._messages.get(chat_id, {}).values()
        return [m for m in stored if include_deleted or not m.deleted]

    def message(self, chat_id: int, message_id: int) -> StoredMessage:
        """One stored message (KeyError if unknown)."""
        return self._messages[chat_id][message_id]

    def bot_messages(self, chat_id: int) -> list[StoredMessage]:
        """Messages the bot sent to a chat, not deleted."""
        return [m for m in self.messages(chat_id) if m.from_bot]

    def last_bot_message(self, chat_id: int) -> StoredMessage:
        """The newest message the bot sent to a chat (AssertionError if none)."""
        sent = self.bot_messages(chat_id)
        if not sent:
            raise AssertionError(f"the bot has sent nothing to chat {chat_id}")
        return sent[-1]

    def transcript(self, chat_id: int) -> list[str]:
        """The chat as a user sees it: ``name: text [buttons]`` per message."""
        return [_transcript_line(m) for m in self.messages(chat_id)]

    def reply_keyboard(self, chat_id: int) -> JsonDict | None:
        """The reply keyboard currently shown in a chat, if any."""
        return self._reply_keyboards.get(chat_id)

    def member_status(self, chat_id: int, user_id: int) -> str:
        """Status of a user (or the bot) in a chat."""
        return str(self._member(chat_id, user_id)["status"])

    def commands(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        """Commands stored by setMyCommands for a scope and language."""
        return list(self._commands.get(_commands_key(scope, language_code), []))

    @property
    def webhook_url(self) -> str:
        """The URL given to setWebhook ('' when none)."""
        return str(self._webhook.get("url", ""))

    @property
    def pending_update_count(self) -> int:
        """Updates waiting to be fetched or posted."""
        return len(self._pending)

    def file_bytes(self, file_id: str) -> bytes:
        """Content of a stored file (KeyError if unknown)."""
        return self._files[file_id].data

    # ------------------------------------------------------------------------------ chat and users

    def user(
        self,
        id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> FakeUser:
        """Declare a user."""
        created = FakeUser(id, first_name, last_name, username, language_code)
        self._users[id] = created
        return created

    def group(self, chat_id: int, title: str, type: str = "supergroup") -> FakeChat:
        """Declare a group (the bot is a member unless told otherwise)."""
        if chat_id >= 0 or type not in ("group", "supergroup", "channel"):
            raise ValueError("groups have negative ids and type group/supergroup")
        return self._add_chat(FakeChat(chat_id, type, title=title))

    def private_chat(self, user: FakeUser) -> FakeChat:
        """Declare the private chat of a user with the bot."""
        self._users.setdefault(user.id, user)
        return self._add_chat(FakeChat(user.id, "private", user=user))

    def _add_chat(self, chat: FakeChat) -> FakeChat:
        self._chats[chat.id] = chat
        self._messages.setdefault(chat.id, {})
        self._next_message_id.setdefault(chat.id, 1)
        return chat

    def set_member_status(self, chat_id: int, user_id: int, status: str, **fields: Any) -> None:
        """Configure what getChatMember answers (e.g. make the bot an administrator)."""
        self._members[(chat_id, user_id)] = {"status": status, **fields}
        if user_id == self.bot.id:
            self._apply_bot_status(chat_id, status)
        self._bump()

    def _apply_bot_status(self, chat_id: int, status: str) -> None:
        if status in ("left", "kicked"):
            self.removed_chats.add(chat_id)
        else:
            self.removed_chats.discard(chat_id)

    def _member(self, chat_id: int, user_id: int) -> JsonDict:
        user = self._users.get(user_id) or FakeUser(user_id, f"User {user_id}")
        stored = self._members.get((chat_id, user_id), {"status": "member"})
        extra = {k: v for k, v in stored.items() if k != "status"}
        return member_dict(user.to_dict(), stored["status"], extra)

    def _bot_is_admin(self, chat_id: int) -> bool:
        return self.member_status(chat_id, self.bot.id) in ("administrator", "creator")

    # ----------------------------------------------------------------------------------- injection

    def inject_message(
        self,
        chat: FakeChat,
        user: FakeUser,
        text: str = "",
        *,
        reply_to_message_id: int | None = None,
        photo: bool | bytes = False,
        caption: str | None = None,
        forward_from: FakeUser | None = None,
    ) -> JsonDict:
        """A user writes in a chat: store the message and queue a ``message`` update."""
        self._know(chat, user)
        content = self._user_content(text, photo, caption)
        if forward_from is not None:
            content["forward_origin"] = {
                "type": "user",
                "sender_user": forward_from.to_dict(),
                "date": _unix(),
            }
        message = self._store_new_message(chat, user.to_dict(), content, reply_to_message_id)
        update = {"update_id": self._take_update_id(), "message": message}
        if self._bot_receives(chat, message):
            self._enqueue(update)
        return update

    def _user_content(self, text: str, photo: bool | bytes, caption: str | None) -> JsonDict:
        if not photo:
            if not text:
                raise ValueError("a text message needs text")
            entities = auto_entities(text)
            return {"text": text, **({"entities": entities} if entities else {})}
        data = photo if isinstance(photo, bytes) else TINY_PNG
        content: JsonDict = {"photo": self._photo_sizes(self._store_file(data, "photos", ".jpg"))}
        caption = caption if caption is not None else (text or None)
        if caption:
            content["caption"] = caption
            entities = auto_entities(caption)
            if entities:
                content["caption_entities"] = entities
        return content

    def _know(self, chat: FakeChat, user: FakeUser) -> None:
        if chat.id not in self._chats:
            self._add_chat(chat)
        self._users.setdefault(user.id, user)

    def _bot_receives(self, chat: FakeChat, message: JsonDict) -> bool:
        """Privacy mode: without it the bot gets commands, mentions, replies to it and service messages."""
        if not chat.is_group or self.can_read_all_group_messages or self._bot_is_admin(chat.id):
            return chat.id not in self.removed_chats
        if chat.id in self.removed_chats:
            return False
        text = message.get("text") or message.get("caption") or ""
        if "text" not in message and "caption" not in message and "photo" not in message:
            return True
        command = _COMMAND_RE.match(text)
        if command and ("@" not in command.group() or command.group().endswith(f"@{self.bot.username}")):
            return True
        replied = message.get("reply_to_message", {}).get("from", {})
        return f"@{self.bot.username}" in text or replied.get("id") == self.bot.id

    def inject_callback(
        self, chat: FakeChat, user: FakeUser, message_id: int, data: str, *, check_button: bool = True
    ) -> JsonDict:
        """A user presses an inline button of a stored bot message: queue a ``callback_query``."""
        self._know(chat, user)
        stored = self._messages.get(chat.id, {}).get(message_id)
        if stored is None or stored.deleted:
            raise ValueError(f"no message {message_id} in chat {chat.id}")
        if check_button and data not in {d for _, d in stored.buttons if d is not None}:
            raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
        query_id = str(self._next_callback_id)
        self._next_callback_id += 1
        self._open_callbacks[query_id] = CallbackAnswer(query_id, chat.id, user.id, message_id, None, False, None, 0)
        callback = {
            "id": query_id,
            "from": user.to_dict(),
            "message": _copy(stored.message),
            "chat_instance": _chat_instance(chat.id),
            "data": data,
        }
        update = {"update_id": self._take_update_id(), "callback_query": callback}
        self._enqueue(update)
        return update

    def inject_member_change(
        self,
        chat: FakeChat,
        actor: FakeUser,
        new_status: str,
        old_status: str,
        for_bot: bool = True,
        user: FakeUser | None = None,
    ) -> JsonDict:
        """A membership change: ``my_chat_member`` for the bot, else ``chat_member`` for ``user``."""
        self._know(chat, actor)
        member = self.bot if for_bot else (user or actor)
        self._users.setdefault(member.id, member)
        self._members[(chat.id, member.id)] = {"status": new_status}
        if for_bot:
            self._apply_bot_status(chat.id, new_status)
        change = {
            "chat": chat.to_dict(),
            "from": actor.to_dict(),
            "date": _unix(),
            "old_chat_member": member_dict(member.to_dict(), old_status),
            "new_chat_member": member_dict(member.to_dict(), new_status),
        }
        update = {
            "update_id": self._take_update_id(),
            ("my_chat_member" if for_bot else "chat_member"): change,
        }
        self._enqueue(update)
        self._bump()
        return update

    def inject_bot_added(self, chat: FakeChat, actor: FakeUser) -> list[JsonDict]:
        """The bot is added to a group: ``my_chat_member`` plus the ``new_chat_members`` service message."""
        old_status = self.member_status(chat.id, self.bot.id) if chat.id in self.removed_chats else "left"
        updates = [self.inject_member_change(chat, actor, "member", old_status)]
        if chat.is_group:
            bot = self.bot.to_dict()
            service = {"new_chat_participant": bot, "new_chat_member": bot, "new_chat_members": [bot]}
            message = self._store_new_message(chat, actor.to_dict(), service, None)
            update = {"update_id": self._take_update_id(), "message": message}
            self._enqueue(update)
            updates.append(update)
        return updates

    def inject_edited_message(self, chat: FakeChat, user: FakeUser, message_id: int, text: str) -> JsonDict:
        """A user edits their message: update the store and queue an ``edited_message`` update."""
        stored = self._messages.get(chat.id, {}).get(message_id)
        if stored is None or stored.message.get("from", {}).get("id") != user.id:
            raise ValueError(f"user {user.id} has no message {message_id} in chat {chat.id}")
        key = "text" if "text" in stored.message else "caption"
        entities = auto_entities(text)
        changes: JsonDict = {
            key: text,
            ("entities" if key == "text" else "caption_entities"): entities or None,
        }
        self._apply_edit(stored, changes)
        update = {"update_id": self._take_update_id(), "edited_message": _copy(stored.message)}
        if self._bot_receives(chat, stored.message):
            self._enqueue(update)
        return update

    def inject_raw(self, update: JsonDict) -> JsonDict:
        """Queue an update as given (same update_id), e.g. to simulate a duplicate delivery."""
        self._enqueue(_copy(update))
        return update

    def _enqueue(self, update: JsonDict) -> None:
        self._pending.append(_PendingUpdate(update))
        self._wake(self._updates_changed)
        self._changed()

    def _take_update_id(self) -> int:
        taken, self._next_update_id = self._next_update_id, self._next_update_id + 1
        return taken

    def _changed(self) -> None:
        """Tell whoever keeps the world (the sandbox saves it) that it changed."""
        if self.on_change is not None:
            self.on_change()

    # ----------------------------------------------------------------------------- message store

    def _store_new_message(
        self, chat: FakeChat, sender: JsonDict, content: JsonDict, reply_to_message_id: int | None
    ) -> JsonDict:
        message_id = self._next_message_id.get(chat.id, 1)
        self._next_message_id[chat.id] = message_id + 1
        message: JsonDict = {
            "message_id": message_id,
            "from": sender,
            "chat": chat.to_dict(),
            "date": _unix(),
        }
        if reply_to_message_id is not None:
            message["reply_to_message"] = self._reply_target(chat.id, reply_to_message_id)
        message.update({k: v for k, v in content.items() if v is not None})
        self._messages.setdefault(chat.id, {})[message_id] = StoredMessage(chat.id, message_id, message)
        self._bump(self._messages[chat.id][message_id])
        return _copy(message)

    def _reply_target(self, chat_id: int, message_id: int) -> JsonDict:
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None or stored.deleted:
            raise bad_request("message to be replied not found")
        target = _copy(stored.message)
        target.pop("reply_to_message", None)
        return target

    def _apply_edit(self, stored: StoredMessage, changes: JsonDict) -> None:
        stored.history.append(_copy(stored.message))
        for key, value in changes.items():
            if value is None:
                stored.message.pop(key, None)
            else:
                stored.message[key] = value
        stored.message["edit_date"] = _unix()
        self._bump(stored)

    def _bump(self, stored: StoredMessage | None = None) -> None:
        self.version += 1
        if stored is not None:
            stored.version = self.version
        self._changed()

    def _store_file(self, data: bytes, folder: str, suffix: str) -> StoredFile:
        number = self._next_file_number
        self._next_file_number += 1
        file_id = f"AgACAgUAAxkBAAI{number:08d}"
        stored = StoredFile(file_id, f"AQAD{number:08d}", f"{folder}/file_{number}{suffix}", data)
        self._files[file_id] = stored
        return stored

    def _photo_sizes(self, full: StoredFile) -> list[JsonDict]:
        thumb = self._store_file(full.data, "photos", ".jpg")
        return [
            {**_file_ref(thumb), "width": 90, "height": 90},
            {**_file_ref(full), "width": 800, "height": 800},
        ]

    # ------------------------------------------------------------------------------- the world kept

    def world_state(self) -> JsonDict:
        """Everything a restart must keep: users, chats, members, messages, counters and unconfirmed updates
        (file contents are not in it: ``file_bytes`` gives them). Update, message and file numbers go on from
        here after ``restore_world``, as they do on Telegram."""
        return {
            "format": WORLD_FORMAT,
            "version": self.version,
            "next_update_id": self._next_update_id,
            "next_callback_id": self._next_callback_id,
            "next_file_number": self._next_file_number,
            "users": [asdict(u) for u in self._users.values() if u.id != self.bot.id],
            "chats": [_chat_state(c) for c in self._chats.values()],
            "members": [[chat, user, status] for (chat, user), status in self._members.items()],
            "removed_chats": sorted(self.removed_chats),
            "next_message_id": {str(chat): n for chat, n in self._next_message_id.items()},
            "messages": [asdict(m) for chat in self._messages.values() for m in chat.values()],
            "files": [{k: v for k, v in asdict(f).items() if k != "data"} for f in self._files.values()],
            "pending": [p.update for p in self._pending],
        }

    def restore_world(self, state: JsonDict, file_data: Callable[[str], bytes]) -> None:
        """Take up a world saved by ``world_state``; ``file_data`` reads a file's content by its id."""
        if state.get("format") != WORLD_FORMAT:
            raise ValueError(f"unknown world format {state.get('format')!r}")
        self.version = int(state["version"])
        self._next_update_id = int(state["next_update_id"])
        self._next_callback_id = int(state["next_callback_id"])
        self._next_file_number = int(state["next_file_number"])
        for user in state["users"]:
            self._users[int(user["id"])] = FakeUser(**user)
        for chat in state["chats"]:
            owner = self._users.get(chat["user_id"]) if chat["user_id"] is not None else None
            self._chats[int(chat["id"])] = FakeChat(chat["id"], chat["type"], chat["title"], owner, chat["username"])
        self._members = {(int(chat), int(user)): dict(status) for chat, user, status in state["members"]}
        self.removed_chats = {int(chat) for chat in state["removed_chats"]}
        self._next_message_id = {int(chat): int(n) for chat, n in state["next_message_id"].items()}
        self._messages = {chat: {} for chat in self._chats}
        for message in state["messages"]:
            stored = StoredMessage(**message)
            self._messages.setdefault(stored.chat_id, {})[stored.message_id] = stored
        for meta in state["files"]:
            self._files[meta["file_id"]] = StoredFile(**meta, data=file_data(meta["file_id"]))
        self._pending = [_PendingUpdate(update) for update in state["pending"]]

    # --------------------------------------------------------------------- failures and flood limits

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
        chat_id: int | None = None,
        *,
        drop_connection: bool = False,
        after_effect: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (to ``chat_id`` if given) fail.

        ``drop_connection`` closes the connection without an answer; ``after_effect`` lets the call take
        effect first (the message is sent, but the bot sees the failure).
        """
        if error_code == 429 and retry_after is None:
            retry_after = 5
        self._failures.append(
            ForcedFailure(
                method,
                error_code,
                description or _default_description(error_code, retry_after),
                retry_after if error_code == 429 else None,
                times,
                chat_id,
                drop_connection,
                after_effect,
            )
        )

    def _take_forced_failure(self, method: str, params: JsonDict) -> ForcedFailure | None:
        chat_id = chat_id_of(params)
        for failure in self._failures:
            if failure.matches(method, chat_id):
                failure.remaining -= 1
                return failure
        return None

    def _check_not_removed(self, params: JsonDict) -> None:
        chat_id = chat_id_of(params)
        if chat_id is None or chat_id not in self.removed_chats:
            return
        chat = self._chats.get(chat_id)
        if chat is None or not chat.is_group:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
        status = self._members.get((chat_id, self.bot.id), {}).get("status")
        if status == "left":
            raise BotApiError(403, f"Forbidden: bot is not a member of the {kind}")
        raise BotApiError(403, f"Forbidden: bot was kicked from the {kind}")

    def _windows_for(self, method: str, params: JsonDict) -> list[SlidingWindow]:
        name = method.lower()
        is_send = name.startswith("send") and name != "sendchataction"
        if not (is_send or name.startswith("edit")):
            return []
        windows = [self._bot_window]
        chat_id = chat_id_of(params)
        if is_send and chat_id is not None and chat_id < 0:
            window = self._group_windows.get(chat_id)
            if window is None:
                window = SlidingWindow(GROUP_MESSAGES_PER_MINUTE, 60.0, self._clock)
                self._group_windows[chat_id] = window
            windows.append(window)
        return windows

    def _check_limits(self, method: str, params: JsonDict) -> None:
        if not self.enforce_limits:
            return
        waits = [w for w in (window.retry_after() for window in self._windows_for(method, params)) if w]
        if waits:
            raise too_many_requests(max(waits))

    def _count_towards_limits(self, method: str, params: JsonDict) -> None:
        if self.enforce_limits:
            for window in self._windows_for(method, params):
                window.record()

    # ------------------------------------------------------------------------------- method table

    def _register_methods(self) -> None:
        table: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageCaption": self._edit_message_caption,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "leaveChat": self._leave_chat,
            "pinChatMessage": self._accept_in_chat,
            "unpinChatMessage": self._accept_in_chat,
            "setMyDescription": self._accept,
            "setMyShortDescription": self._accept,
            "setChatMenuButton": self._accept,
        }
        self._handlers = {name.lower(): handler for name, handler in table.items()}
        self._canonical_names = {name.lower(): name for name in table}

    async def _accept(self, params: JsonDict) -> bool:
        return True

    async def _accept_in_chat(self, params: JsonDict) -> bool:
        self._target_chat(params)
        return True

    # -------------------------------------------------------------------------------- bot methods

    async def _get_me(self, params: JsonDict) -> JsonDict:
        return {
            **self.bot.to_dict(),
            "can_join_groups": True,
            "can_read_all_group_messages": self.can_read_all_group_messages,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        if self._webhook.get("url") or self.deliver_mode == "webhook":
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int_param(params, "offset", 0)
        limit = min(max(_int_param(params, "limit", 100), 1), 100)
        timeout = max(_int_param(params, "timeout", 0), 0)
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = [str(kind) for kind in params["allowed_updates"]]
        self._confirm_updates(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._take_batch(limit)
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0:
                return batch
            await _wait_event(self._updates_changed, remaining)

    def _confirm_updates(self, offset: int) -> None:
        before = len(self._pending)
        if offset < 0:
            keep = self._pending[offset:]
            self._pending = keep
        elif offset > 0:
            self._pending = [p for p in self._pending if not (p.handed_out and p.update_id < offset)]
        if len(self._pending) != before:
            self._changed()

    def _drop_disallowed_updates(self) -> None:
        """Telegram never delivers update kinds the bot did not ask for."""
        allowed = self._allowed_kinds()
        self._pending = [p for p in self._pending if p.kind in allowed]

    def _take_batch(self, limit: int) -> list[JsonDict]:
        self._drop_disallowed_updates()
        batch = self._pending[:limit]
        for pending in batch:
            pending.handed_out = True
        if batch:
            self._touch()
        return [_copy(p.update) for p in batch]

    def _allowed_kinds(self) -> set[str]:
        if self._allowed_updates:
            return set(self._allowed_updates)
        return set(UPDATE_TYPES) - OPT_IN_UPDATE_TYPES

    async def _set_webhook(self, params: JsonDict) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        if not re.match(r"https?://", url):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = [str(kind) for kind in params["allowed_updates"]]
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": _int_param(params, "max_connections", 40),
        }
        self._wake(self._updates_changed)
        return True

    async def _delete_webhook(self, params: JsonDict) -> bool:
        self._webhook = {}
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, params: JsonDict) -> JsonDict:
        info: JsonDict = {"url": self.webhook_url, "has_custom_certificate": False}
        info["pending_update_count"] = len(self._pending)
        if self.webhook_url:
            info.update({"ip_address": "127.0.0.1", "max_connections": self._webhook["max_connections"]})
        if self._allowed_updates:
            info["allowed_updates"] = list(self._allowed_updates)
        if self._last_webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._last_webhook_error
        return info

    async def _set_my_commands(self, params: JsonDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            _check_bot_command(command)
        key = _commands_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    async def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        return self.commands(params.get("scope"), str(params.get("language_code") or ""))

    async def _delete_my_commands(self, params: JsonDict) -> bool:
        self._commands.pop(_commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    # ---------------------------------------------------------------------------- sending messages

    def _target_chat(self, params: JsonDict, name: str = "chat_id") -> FakeChat:
        value = params.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        chat_id = chat_id_of({"chat_id": value})
        if chat_id is None:
            chat = next((c for c in self._chats.values() if f"@{c.username}" == value), None)
            if chat is None:
                raise bad_request("chat not found")
            return chat
        if chat_id in self._chats:
            return self._chats[chat_id]
        if self.strict_chats:
            raise bad_request("chat not found")
        if chat_id < 0:
            return self._add_chat(FakeChat(chat_id, "supergroup", title=f"Chat {chat_id}"))
        return self.private_chat(self._users.get(chat_id) or FakeUser(chat_id, f"User {chat_id}"))

    def _formatted(self, params: JsonDict, key: str, limit: int) -> tuple[str, list[JsonDict]]:
        raw = params.get(key)
        raw = "" if raw is None else str(raw)
        try:
            text, entities = parse_formatted(raw, params.get("parse_mode"))
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from exc
        given = params.get("entities" if key == "text" else "caption_entities")
        if not params.get("parse_mode") and isinstance(given, list):
            entities = given
        if utf16_len(text) > limit:
            raise bad_request("message is too long" if key == "text" else "message caption is too long")
        return text, entities

    def _message_text(self, params: JsonDict) -> JsonDict:
        text, entities = self._formatted(params, "text", MAX_TEXT_LENGTH)
        if not text.strip():
            raise bad_request("message text is empty")
        return {"text": text, "entities": entities or None}

    def _caption(self, params: JsonDict) -> JsonDict:
        caption, entities = self._formatted(params, "caption", MAX_CAPTION_LENGTH)
        return {"caption": caption or None, "caption_entities": entities or None}

    def _markup_for_message(self, chat: FakeChat, params: JsonDict) -> JsonDict | None:
        """Validate ``reply_markup``: inline keyboards go on the message, reply keyboards on the chat."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            problem = inline_keyboard_problem(markup)
            if problem:
                raise bad_request(problem)
            return {"inline_keyboard": markup["inline_keyboard"]}
        if "keyboard" in markup:
            self._reply_keyboards[chat.id] = markup
        elif markup.get("remove_keyboard"):
            self._reply_keyboards[chat.id] = None
        return None

    def _reply_to(self, chat: FakeChat, params: JsonDict) -> int | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict) and reply.get("message_id") is not None:
            message_id = int(reply["message_id"])
            exists = message_id in self._messages.get(chat.id, {})
            if not exists and reply.get("allow_sending_without_reply"):
                return None
            return message_id
        legacy = params.get("reply_to_message_id")
        return int(legacy) if legacy is not None else None

    def _send_bot_message(self, chat: FakeChat, params: JsonDict, content: JsonDict) -> JsonDict:
        content["reply_markup"] = self._markup_for_message(chat, params)
        return self._store_new_message(chat, self.bot.to_dict(), content, self._reply_to(chat, params))

    async def _send_message(self, params: JsonDict) -> JsonDict:
        chat = self._target_chat(params)
        content = self._message_text(params)
        if isinstance(params.get("link_preview_options"), dict):
            content["link_preview_options"] = params["link_preview_options"]
        return self._send_bot_message(chat, params, content)

    async def _send_photo(self, params: JsonDict) -> JsonDict:
        chat = self._target_chat(params)
        photo = params.get("photo")
        if isinstance(photo, UploadedFile):
            sizes = self._photo_sizes(self._store_file(photo.data, "photos", ".jpg"))
        elif isinstance(photo, str) and photo in self._files:
            sizes = self._photo_sizes(self._files[photo])
        elif isinstance(photo, str) and re.match(r"https?://", photo):
            sizes = self._photo_sizes(self._store_file(TINY_PNG, "photos", ".jpg"))
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return self._send_bot_message(chat, params, {"photo": sizes, **self._caption(params)})

    async def _send_document(self, params: JsonDict) -> JsonDict:
        chat = self._target_chat(params)
        document = params.get("document")
        if isinstance(document, UploadedFile):
            name = document.filename or "document"
            stored = self._store_file(document.data, "documents", "_" + name)
            mime = document.content_type
        elif isinstance(document, str) and document in self._files:
            stored, name, mime = self._files[document], "document", "application/octet-stream"
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        content = {"document": {**_file_ref(stored), "file_name": name, "mime_type": mime}}
        return self._send_bot_message(chat, params, {**content, **self._caption(params)})

    # ------------------------------------------------------------------------------------- editing

    def _editable_message(self, params: JsonDict, action: str = "edit") -> StoredMessage:
        if params.get("inline_message_id") is not None:
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._target_chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        stored = self._messages.get(chat.id, {}).get(int(message_id))
        if stored is None or stored.deleted:
            raise bad_request(f"message to {action} not found")
        return stored

    def _edit(self, stored: StoredMessage, changes: JsonDict) -> JsonDict:
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        if all(stored.message.get(key) == value for key, value in changes.items()):
            raise bad_request(NOT_MODIFIED)
        self._apply_edit(stored, changes)
        return _copy(stored.message)

    def _new_inline_markup(self, stored: StoredMessage, params: JsonDict) -> JsonDict | None:
        """Telegram drops the inline keyboard when an edit does not repeat it."""
        chat = self._chats[stored.chat_id]
        return self._markup_for_message(chat, params)

    async def _edit_message_text(self, params: JsonDict) -> JsonDict:
        stored = self._editable_message(params)
        if "text" not in stored.message and stored.from_bot:
            raise bad_request("there is no text in the message to edit")
        changes = self._message_text(params)
        changes["reply_markup"] = self._new_inline_markup(stored, params)
        return self._edit(stored, changes)

    async def _edit_message_caption(self, params: JsonDict) -> JsonDict:
        stored = self._editable_message(params)
        if "text" in stored.message and stored.from_bot:
            raise bad_request("there is no caption in the message to edit")
        changes = self._caption(params)
        changes["reply_markup"] = self._new_inline_markup(stored, params)
        return self._edit(stored, changes)

    async def _edit_message_reply_markup(self, params: JsonDict) -> JsonDict:
        stored = self._editable_message(params)
        return self._edit(stored, {"reply_markup": self._new_inline_markup(stored, params)})

    async def _delete_message(self, params: JsonDict) -> bool:
        stored = self._editable_message(params, action="delete")
        chat = self._chats[stored.chat_id]
        if not (stored.from_bot or not chat.is_group or self._bot_is_admin(chat.id)):
            raise bad_request("message can't be deleted")
        stored.deleted = True
        self._bump(stored)
        return True

    # ------------------------------------------------------------------------ callbacks and chats

    async def _answer_callback_query(self, params: JsonDict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        opened = self._open_callbacks.pop(query_id, None)
        if opened is None:
            raise bad_request(QUERY_ID_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        self._bump()
        opened.text = str(text) if text else None
        opened.show_alert = bool(params.get("show_alert"))
        opened.url = params.get("url")
        opened.version = self.version
        self.callback_answers.append(opened)
        return True

    async def _get_chat(self, params: JsonDict) -> JsonDict:
        chat = self._target_chat(params)
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **chat.to_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    async def _get_chat_member(self, params: JsonDict) -> JsonDict:
        chat = self._target_chat(params)
        user_id = _int_param(params, "user_id", 0)
        if not user_id:
            raise bad_request("user_id is empty")
        return self._member(chat.id, user_id)

    async def _get_chat_administrators(self, params: JsonDict) -> list[JsonDict]:
        chat = self._target_chat(params)
        if not chat.is_group:
            raise bad_request("there are no administrators in the private chat")
        admins = [
            user_id
            for (chat_id, user_id), stored in self._members.items()
            if chat_id == chat.id and stored["status"] in ("creator", "administrator")
        ]
        return [self._member(chat.id, user_id) for user_id in admins]

    async def _send_chat_action(self, params: JsonDict) -> bool:
        chat = self._target_chat(params)
        action = str(params.get("action") or "")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append((chat.id, action))
        return True

    async def _get_file(self, params: JsonDict) -> JsonDict:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.to_dict()

    async def _leave_chat(self, params: JsonDict) -> bool:
        chat = self._target_chat(params)
        old_status = self.member_status(chat.id, self.bot.id)
        self.inject_member_change(chat, self.bot, "left", old_status)
        return True

    # ----------------------------------------------------------------------------- webhook posting

    async def _webhook_worker(self) -> None:
        while not self._closing:
            url = self.webhook_url
            if url:
                self._drop_disallowed_updates()
            pending = self._pending[0] if self._pending else None
            if not url or pending is None:
                await _wait_event(self._updates_changed, 1.0)
                continue
            self._pending.remove(pending)
            self._posting = True
            try:
                await self._post_update(url, pending.update)
            finally:
                self._posting = False
                self._touch()

    async def _post_update(self, url: str, update: JsonDict) -> None:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        secret = self._webhook.get("secret_token")
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(secret)
        try:
            async with self._session.post(url, data=_dumps(update), headers=headers) as response:
                await response.read()
                status: int | None = response.status
                error = None if 200 <= response.status < 300 else f"Wrong response from the webhook: {status}"
        except (ClientError, TimeoutError) as exc:
            status, error = None, f"Connection failed: {exc!r}"
        if error:
            self._last_webhook_error = (_unix(), error)
            logger.warning("webhook delivery of update %s failed: %s", update.get("update_id"), error)
        self.webhook_deliveries.append(WebhookDelivery(update, url, status, error))


# --------------------------------------------------------------------------------- module helpers


def _chat_state(chat: FakeChat) -> JsonDict:
    return {
        "id": chat.id,
        "type": chat.type,
        "title": chat.title,
        "user_id": chat.user.id if chat.user else None,
        "username": chat.username,
    }


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _copy(data: JsonDict) -> JsonDict:
    copied: JsonDict = json.loads(json.dumps(data))
    return copied


def _unix() -> int:
    return int(time.time())


def _form_value(value: Any) -> Any:
    if isinstance(value, web.FileField):
        return UploadedFile(value.filename, value.content_type, value.file.read())
    return value


def _int_param(params: JsonDict, name: str, default: int) -> int:
    value = params.get(name, default)
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise bad_request(f"wrong parameter {name} in request") from exc


def _file_ref(stored: StoredFile) -> JsonDict:
    return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": len(stored.data)}


def _chat_instance(chat_id: int) -> str:
    return str(-(5000000000000000000 + abs(chat_id)))


def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
    scope = scope if isinstance(scope, dict) else {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(language_code or "")


def _check_bot_command(command: Any) -> None:
    if not isinstance(command, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
        raise bad_request("BOT_COMMAND_INVALID")
    description = str(command.get("description", ""))
    if not 1 <= len(description) <= 256:
        raise bad_request("command description is empty or too long")


def _default_description(error_code: int, retry_after: int | None) -> str:
    return {
        400: "Bad Request: forced failure",
        403: "Forbidden: bot was kicked from the group chat",
        429: f"Too Many Requests: retry after {retry_after}",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(error_code, f"Error {error_code}")


def _as_predicate(predicate: CallPredicate | str) -> CallPredicate:
    if isinstance(predicate, str):
        method = predicate.lower()
        return lambda call: call.method.lower() == method
    return predicate


async def _wait_event(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


def _transcript_line(stored: StoredMessage) -> str:
    sender = stored.message.get("from", {})
    name = "bot" if stored.from_bot else sender.get("first_name", "?") + (sender.get("last_name") or "")
    body = stored.text if stored.text is not None else _service_summary(stored.message)
    if "photo" in stored.message:
        body = f"[图片] {body or ''}".strip()
    labels = " | ".join(label for label, _ in stored.buttons)
    return f"{name}: {body}" + (f" [{labels}]" if labels else "")


def _service_summary(message: JsonDict) -> str:
    if "new_chat_members" in message:
        names = ", ".join(user.get("first_name", "?") for user in message["new_chat_members"])
        return f"(加入: {names})"
    return "(服务消息)"
