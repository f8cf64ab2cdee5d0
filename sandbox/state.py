"""State: the world the fake Bot API knows — users, chats and members, every message with its history, files,
updates waiting to be fetched, open button presses, commands and the webhook — with what tests and the sandbox page
read from it, what they inject into it (a user writes, presses, joins …) and how it is saved and taken up again."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sandbox.entities import COMMAND_RE, auto_entities
from sandbox.limits import bad_request

JsonDict = dict[str, Any]
DeliverMode = Literal["auto", "webhook"]

UPDATE_TYPES = (
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "message_reaction",
    "message_reaction_count", "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
    "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_member",
    "chat_join_request", "chat_boost", "removed_chat_boost",
)  # fmt: skip
#: Telegram delivers these only when they are named in ``allowed_updates``.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
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
            data.update({k: v for k, v in self.user.to_dict().items() if k in PRIVATE_CHAT_KEYS})
        else:
            data["title"] = self.title or str(self.id)
        if self.username:
            data["username"] = self.username
        data["type"] = self.type
        return data


PRIVATE_CHAT_KEYS = ("first_name", "last_name", "username")


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
class PendingUpdate:
    update: JsonDict
    handed_out: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        return update_type(self.update)


def update_type(update: JsonDict) -> str:
    """The kind of an update: the first key other than ``update_id``."""
    return next((key for key in update if key != "update_id"), "")


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


class BotState:
    """The fake Telegram's world, shared by the Bot API methods and the server that answers them."""

    def __init__(
        self,
        *,
        bot_id: int,
        bot_username: str,
        bot_first_name: str,
        can_read_all_group_messages: bool,
        strict_chats: bool,
        first_update_id: int,
        deliver_mode: DeliverMode,
    ) -> None:
        self.bot = FakeUser(bot_id, bot_first_name, username=bot_username, language_code=None, is_bot=True)
        self.can_read_all_group_messages = can_read_all_group_messages
        self.strict_chats = strict_chats
        self.deliver_mode: DeliverMode = deliver_mode
        self.removed_chats: set[int] = set()
        self.started_users: set[int] = set()  # users who opened their private chat with the bot (/start or a message)
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.version = 0
        self.on_change: Callable[[], None] | None = None
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
        self._pending: list[PendingUpdate] = []
        self._allowed_updates: list[str] = []
        self._webhook: JsonDict = {}
        self._last_webhook_error: tuple[int, str] | None = None
        self._open_callbacks: dict[str, CallbackAnswer] = {}
        self._commands: dict[tuple[str, str], list[JsonDict]] = {}
        self._closing = False
        self._last_activity = 0.0
        self._updates_changed = asyncio.Event()

    @staticmethod
    def _wake(event: asyncio.Event) -> None:
        event.set()
        event.clear()

    def _touch(self) -> None:
        self._last_activity = asyncio.get_running_loop().time()

    # ---- reading the world ----------------------------------------------------------------------------------------

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
        return [transcript_line(m) for m in self.messages(chat_id)]

    def reply_keyboard(self, chat_id: int) -> JsonDict | None:
        """The reply keyboard currently shown in a chat, if any."""
        return self._reply_keyboards.get(chat_id)

    def member_status(self, chat_id: int, user_id: int) -> str:
        """Status of a user (or the bot) in a chat."""
        return str(self._member(chat_id, user_id)["status"])

    def commands(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        """Commands stored by setMyCommands for a scope and language."""
        return list(self._commands.get(commands_key(scope, language_code), []))

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

    # ---- chats and users ------------------------------------------------------------------------------------------

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

    def start_bot(self, user: FakeUser) -> FakeChat:
        """The user opened the private chat with the bot earlier (pressed Start): the bot may write to them."""
        chat = self.private_chat(user)
        self.started_users.add(user.id)
        self._changed()
        return chat

    def has_started_bot(self, user_id: int) -> bool:
        """Whether the user opened the private chat with the bot (and has not blocked it since)."""
        return user_id in self.started_users and user_id not in self.removed_chats

    def inject_block(self, user: FakeUser) -> JsonDict:
        """The user blocks the bot: Telegram tells the bot with ``my_chat_member`` (kicked) in the private chat."""
        chat = self.private_chat(user)
        return self.inject_member_change(chat, user, "kicked", "member")

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

    # ---- injection ------------------------------------------------------------------------------------------------

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
        """A user writes in a chat: store the message and queue a ``message`` update (writing privately opens the
        private chat, and unblocks the bot first if the user had blocked it, as Telegram's clients do)."""
        self._know(chat, user)
        if chat.type == "private":
            self._user_opens_private_chat(chat, user)
        content = self._user_content(text, photo, caption)
        if forward_from is not None:
            content["forward_origin"] = {
                "type": "user",
                "sender_user": forward_from.to_dict(),
                "date": unix_now(),
            }
        message = self._store_new_message(chat, user.to_dict(), content, reply_to_message_id)
        update = {"update_id": self._take_update_id(), "message": message}
        if self._bot_receives(chat, message):
            self._enqueue(update)
        return update

    def _user_opens_private_chat(self, chat: FakeChat, user: FakeUser) -> None:
        if chat.id in self.removed_chats:
            self.inject_member_change(chat, user, "member", "kicked")
        self.started_users.add(user.id)

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
        command = COMMAND_RE.match(text)
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
            "message": copy_json(stored.message),
            "chat_instance": chat_instance(chat.id),
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
            "date": unix_now(),
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
        update = {"update_id": self._take_update_id(), "edited_message": copy_json(stored.message)}
        if self._bot_receives(chat, stored.message):
            self._enqueue(update)
        return update

    def inject_raw(self, update: JsonDict) -> JsonDict:
        """Queue an update as given (same update_id), e.g. to simulate a duplicate delivery."""
        self._enqueue(copy_json(update))
        return update

    def _enqueue(self, update: JsonDict) -> None:
        self._pending.append(PendingUpdate(update))
        self._wake(self._updates_changed)
        self._changed()

    def _take_update_id(self) -> int:
        taken, self._next_update_id = self._next_update_id, self._next_update_id + 1
        return taken

    def _changed(self) -> None:
        """Tell whoever keeps the world (the sandbox saves it) that it changed."""
        if self.on_change is not None:
            self.on_change()

    # ---- message store --------------------------------------------------------------------------------------------

    def _store_new_message(
        self, chat: FakeChat, sender: JsonDict, content: JsonDict, reply_to_message_id: int | None
    ) -> JsonDict:
        message_id = self._next_message_id.get(chat.id, 1)
        self._next_message_id[chat.id] = message_id + 1
        message: JsonDict = {
            "message_id": message_id,
            "from": sender,
            "chat": chat.to_dict(),
            "date": unix_now(),
        }
        if reply_to_message_id is not None:
            message["reply_to_message"] = self._reply_target(chat.id, reply_to_message_id)
        message.update({k: v for k, v in content.items() if v is not None})
        self._messages.setdefault(chat.id, {})[message_id] = StoredMessage(chat.id, message_id, message)
        self._bump(self._messages[chat.id][message_id])
        return copy_json(message)

    def _reply_target(self, chat_id: int, message_id: int) -> JsonDict:
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None or stored.deleted:
            raise bad_request("message to be replied not found")
        target = copy_json(stored.message)
        target.pop("reply_to_message", None)
        return target

    def _apply_edit(self, stored: StoredMessage, changes: JsonDict) -> None:
        stored.history.append(copy_json(stored.message))
        for key, value in changes.items():
            if value is None:
                stored.message.pop(key, None)
            else:
                stored.message[key] = value
        stored.message["edit_date"] = unix_now()
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
            {**file_ref(thumb), "width": 90, "height": 90},
            {**file_ref(full), "width": 800, "height": 800},
        ]

    # ---- the world kept -------------------------------------------------------------------------------------------

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
            "chats": [chat_state(c) for c in self._chats.values()],
            "members": [[chat, user, status] for (chat, user), status in self._members.items()],
            "removed_chats": sorted(self.removed_chats),
            "started_users": sorted(self.started_users),
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
        private_chats = [chat["id"] for chat in state["chats"] if chat["type"] == "private"]
        self.started_users = {int(user) for user in state.get("started_users", private_chats)}
        self._next_message_id = {int(chat): int(n) for chat, n in state["next_message_id"].items()}
        self._messages = {chat: {} for chat in self._chats}
        for message in state["messages"]:
            stored = StoredMessage(**message)
            self._messages.setdefault(stored.chat_id, {})[stored.message_id] = stored
        for meta in state["files"]:
            self._files[meta["file_id"]] = StoredFile(**meta, data=file_data(meta["file_id"]))
        self._pending = [PendingUpdate(update) for update in state["pending"]]


def chat_state(chat: FakeChat) -> JsonDict:
    return {
        "id": chat.id,
        "type": chat.type,
        "title": chat.title,
        "user_id": chat.user.id if chat.user else None,
        "username": chat.username,
    }


def copy_json(data: JsonDict) -> JsonDict:
    copied: JsonDict = json.loads(json.dumps(data))
    return copied


def unix_now() -> int:
    return int(time.time())


def file_ref(stored: StoredFile) -> JsonDict:
    return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": len(stored.data)}


def chat_instance(chat_id: int) -> str:
    return str(-(5000000000000000000 + abs(chat_id)))


def commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
    scope = scope if isinstance(scope, dict) else {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(language_code or "")


async def wait_event(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


def transcript_line(stored: StoredMessage) -> str:
    sender = stored.message.get("from", {})
    name = "bot" if stored.from_bot else sender.get("first_name", "?") + (sender.get("last_name") or "")
    body = stored.text if stored.text is not None else service_summary(stored.message)
    if "photo" in stored.message:
        body = f"[图片] {body or ''}".strip()
    labels = " | ".join(label for label, _ in stored.buttons)
    return f"{name}: {body}" + (f" [{labels}]" if labels else "")


def service_summary(message: JsonDict) -> str:
    if "new_chat_members" in message:
        names = ", ".join(user.get("first_name", "?") for user in message["new_chat_members"])
        return f"(加入: {names})"
    return "(服务消息)"
