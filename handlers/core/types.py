"""Neutral messages in and effects out: what features see instead of Telegram or WeCom objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"


@dataclass(frozen=True)
class Sender:
    platform_user_id: str
    display_name: str
    username: str | None = None
    language: str | None = None
    is_bot: bool = False


@dataclass(frozen=True)
class ChatRef:
    platform: str
    platform_chat_id: str
    kind: ChatKind
    title: str = ""


@dataclass(frozen=True)
class IncomingMessage:
    """An ordinary message; `command`/`args` are filled when it starts with /command."""

    update_key: str
    chat: ChatRef
    sender: Sender
    message_id: str
    text: str = ""
    command: str | None = None
    args: str = ""
    photos: tuple[str, ...] = ()
    reply_to_message_id: str | None = None
    reply_to_sender: Sender | None = None
    mentions_bot: bool = False
    is_forwarded: bool = False
    is_edit: bool = False


@dataclass(frozen=True)
class IncomingCallback:
    """A button press on one of the bot's messages."""

    update_key: str
    chat: ChatRef
    sender: Sender
    callback_id: str
    data: str
    message_id: str


class MembershipStatus(StrEnum):
    ADDED = "added"
    PROMOTED = "promoted"
    REMOVED = "removed"


@dataclass(frozen=True)
class BotMembership:
    """The bot was added to, promoted in, or removed from a chat."""

    update_key: str
    chat: ChatRef
    actor: Sender
    status: MembershipStatus
    can_read_all: bool


@dataclass(frozen=True)
class ChatMoved:
    """A basic group became a supergroup and changed its id (Telegram's migrate_to_chat_id)."""

    update_key: str
    chat: ChatRef
    actor: Sender
    new_chat_id: str


Incoming = IncomingMessage | IncomingCallback | BotMembership | ChatMoved


def sender_of(incoming: Incoming) -> Sender:
    return incoming.actor if isinstance(incoming, BotMembership | ChatMoved) else incoming.sender


@dataclass(frozen=True)
class Button:
    text: str
    data: str = ""
    url: str = ""


Keyboard = tuple[tuple[Button, ...], ...]


def in_pairs(buttons: list[Button]) -> Keyboard:
    """Two buttons to a row, the way long lists of names and places fit a phone screen."""
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


@dataclass(frozen=True)
class Send:
    """Send a new message; `ref_key` names it so later effects can edit it."""

    platform: str
    chat_id: str
    text: str
    buttons: Keyboard = ()
    reply_to_message_id: str | None = None
    photo: str | None = None
    ref_key: str | None = None
    dedupe_key: str | None = None
    fallback: Send | None = None  # a private send the platform refuses goes to this group message instead
    bulk: bool = False  # one of many copies (a notice to every group): goes after what people are waiting for


@dataclass(frozen=True)
class Edit:
    """Edit a message the bot sent: by `ref_key` (platform and chat come from it), or by platform + chat + id."""

    text: str
    buttons: Keyboard = ()
    ref_key: str | None = None
    platform: str = ""
    chat_id: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class SendDocument:
    """Send a file (an export): small enough to ride in the outbox row, which keeps it durable."""

    platform: str
    chat_id: str
    filename: str
    content: bytes
    caption: str = ""
    dedupe_key: str | None = None


@dataclass(frozen=True)
class AnswerCallback:
    platform: str
    chat_id: str
    callback_id: str
    text: str = ""
    alert: bool = False


Effect = Send | SendDocument | Edit | AnswerCallback


@dataclass
class Effects:
    """Effects collected while handling one incoming item, written to the outbox with the state."""

    items: list[Effect] = field(default_factory=list)

    def add(self, effect: Effect) -> None:
        self.items.append(effect)
