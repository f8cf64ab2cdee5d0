"""What the Telegram adapter accepts: a JSON update checked before anything reads it (pure functions).

Strings lose lone surrogates (they cannot be stored or encoded) and NUL characters (PostgreSQL's text refuses
them), nesting and sizes are bounded, every integer fits a 64-bit signed column (SQLite and PostgreSQL both), and
the fields Linli reads have the types the Bot API promises.
Anything else is *unparseable*: stored raw, set aside, never processed.
"""

import hashlib
import json
import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.inbox import Arrival, InboxStatus

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_DEPTH = 24
MAX_STRING = 16_384
MAX_ITEMS = 2_000
MAX_CALLBACK_DATA_BYTES = 64
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
"""Lone surrogates (no encoding holds them) and NUL (PostgreSQL's text does not)."""
PLATFORM = "telegram"
UPDATE_ID = re.compile(rb'"update_id"\s*:\s*(\d{1,19})')

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]


class Unparseable(Exception):
    """An update Linli cannot read; `reason` names the kind of problem, never the content."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class UserIn(Strict):
    id: Int64
    is_bot: bool
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


class ChatIn(Strict):
    id: Int64
    type: str
    title: str | None = None


class PhotoIn(Strict):
    file_id: str


class MessageIn(Strict):
    message_id: Int64
    date: Int64
    chat: ChatIn
    from_: UserIn | None = Field(default=None, alias="from")
    text: str | None = None
    caption: str | None = None
    photo: list[PhotoIn] | None = None
    reply_to_message: "MessageIn | None" = None
    edit_date: Int64 | None = None
    migrate_to_chat_id: Int64 | None = None
    forward_origin: dict[str, Any] | None = None
    new_chat_members: list[UserIn] | None = None
    left_chat_member: UserIn | None = None


class CallbackIn(Strict):
    id: str
    from_: UserIn = Field(alias="from")
    message: MessageIn | None = None
    data: Annotated[str, Field(max_length=MAX_CALLBACK_DATA_BYTES)] | None = None


class MemberIn(Strict):
    status: str
    user: UserIn


class MemberChangeIn(Strict):
    chat: ChatIn
    from_: UserIn = Field(alias="from")
    date: Int64
    old_chat_member: MemberIn
    new_chat_member: MemberIn


class UpdateIn(Strict):
    update_id: Annotated[int, Field(ge=0, le=INT64_MAX)]
    message: MessageIn | None = None
    edited_message: MessageIn | None = None
    callback_query: CallbackIn | None = None
    my_chat_member: MemberChangeIn | None = None


def cleaned(value: Any, depth: int = 0) -> Any:
    """The JSON value with unstorable characters replaced, or Unparseable if it is too deep, too big or out of range."""
    if depth > MAX_DEPTH:
        raise Unparseable("nested too deeply")
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise Unparseable("string too long")
        return UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise Unparseable("integer out of 64-bit range")
        return value
    if isinstance(value, list | dict) and len(value) > MAX_ITEMS:
        raise Unparseable("too many items")
    if isinstance(value, list):
        return [cleaned(item, depth + 1) for item in value]
    assert isinstance(value, dict)
    return {cleaned(key, depth + 1): cleaned(item, depth + 1) for key, item in value.items()}


def checked_update(value: Any) -> dict[str, Any]:
    """A decoded JSON value as an update Linli may read (cleaned), or Unparseable."""
    if not isinstance(value, dict):
        raise Unparseable("not a JSON object")
    update = cleaned(value)
    try:
        UpdateIn.model_validate(update)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise Unparseable(f"{where}: {first['type']}") from None
    return update


def decode_json(body: bytes) -> Any:
    """The JSON value in `body`, or Unparseable (bad UTF-8, bad JSON, nesting beyond the parser, huge numbers)."""
    try:
        return json.loads(body)
    except RecursionError:
        raise Unparseable("nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise Unparseable("not JSON") from None


def update_id_in(body: bytes) -> int | None:
    """The update id an unreadable body names, if one can be seen (so polling can move past it)."""
    found = UPDATE_ID.search(body)
    return int(found.group(1)) if found and int(found.group(1)) <= INT64_MAX else None


def stored_form(value: Any) -> str:
    """The text kept in the inbox: ASCII JSON, so any database stores it (no NUL, no surrogate reaches it raw)."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def chat_key_of(update: dict[str, Any]) -> str:
    """The chat an update belongs to (its order is kept per chat); '' when it names none."""
    for field in ("message", "edited_message", "my_chat_member"):
        part = update.get(field)
        if isinstance(part, dict) and isinstance(part.get("chat"), dict):
            return str(part["chat"].get("id", ""))
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("message"), dict):
        chat = query["message"].get("chat")
        if isinstance(chat, dict):
            return str(chat.get("id", ""))
    return ""


def delivery_key(bot_id: int, update_id: int | None, raw: str) -> str:
    """The inbox key of one delivery: the bot and the update id, or a digest of the bytes when there is no id."""
    if update_id is not None:
        return f"{bot_id}:{update_id}"
    return f"{bot_id}:unread:{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def arrival(bot_id: int, value: Any, received_at: datetime) -> Arrival:
    """The inbox row for one decoded update: pending if Linli can read it, set aside (with the reason) if not."""
    try:
        update = checked_update(value)
    except Unparseable as problem:
        raw = stored_form(value)
        update_id = value.get("update_id") if isinstance(value, dict) else None
        in_range = isinstance(update_id, int) and not isinstance(update_id, bool) and 0 <= update_id <= INT64_MAX
        return set_aside(delivery_key(bot_id, update_id if in_range else None, raw), raw, problem.reason, received_at)
    raw = stored_form(update)
    return Arrival(
        platform=PLATFORM,
        delivery_key=delivery_key(bot_id, update["update_id"], raw),
        chat_key=chat_key_of(update),
        raw=raw,
        received_at=received_at,
    )


def arrival_of_body(bot_id: int, body: bytes, received_at: datetime) -> Arrival:
    """The inbox row for a webhook body: an unreadable one is kept as text and set aside."""
    try:
        value = decode_json(body)
    except Unparseable as problem:
        raw = stored_form(body.decode("utf-8", "replace"))
        return set_aside(delivery_key(bot_id, update_id_in(body), raw), raw, problem.reason, received_at)
    return arrival(bot_id, value, received_at)


def set_aside(key: str, raw: str, reason: str, received_at: datetime) -> Arrival:
    return Arrival(
        platform=PLATFORM,
        delivery_key=key,
        chat_key="",
        raw=raw,
        status=InboxStatus.SET_ASIDE,
        reason=f"unparseable: {reason}"[:200],
        received_at=received_at,
        finished_at=received_at,
    )
