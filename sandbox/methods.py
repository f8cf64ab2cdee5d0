"""Methods: the Bot API methods the bot calls (getUpdates, sendMessage, editMessageText, answerCallbackQuery …),
each as strict as Telegram about what it refuses, on the world in `sandbox.state`."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox.entities import EntityParseError, parse_formatted, utf16_len
from sandbox.limits import (
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    BotApiError,
    bad_request,
    chat_id_of,
)
from sandbox.state import (
    OPT_IN_UPDATE_TYPES,
    TINY_PNG,
    UPDATE_TYPES,
    BotState,
    FakeChat,
    FakeUser,
    StoredMessage,
    UploadedFile,
    commands_key,
    copy_json,
    file_ref,
    wait_event,
)

JsonDict = dict[str, Any]
Handler = Callable[[JsonDict], Awaitable[Any]]

DOWNLOAD_MAX_BYTES = 20 * 1024 * 1024  # getFile hands out files up to 20 MB, as Telegram's does
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
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
PHOTO_UPLOAD_MAX_BYTES = 10 * 1024 * 1024  # sendPhoto's limit for an uploaded photo (a document may be 50 MB)
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
QUERY_ID_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class BotApiMethods(BotState):
    """The Bot API methods, each answering with a result or raising the BotApiError Telegram would answer."""

    def method_table(self) -> dict[str, Handler]:
        """Every Bot API method this server answers, by its name."""
        return {
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

    async def _accept(self, params: JsonDict) -> bool:
        return True

    async def _accept_in_chat(self, params: JsonDict) -> bool:
        self._target_chat(params)
        return True

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

    # ---- the bot, updates and commands ----------------------------------------------------------------------------

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
        offset = int_param(params, "offset", 0)
        limit = min(max(int_param(params, "limit", 100), 1), 100)
        timeout = max(int_param(params, "timeout", 0), 0)
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
            await wait_event(self._updates_changed, remaining)

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
        return [copy_json(p.update) for p in batch]

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
            "max_connections": int_param(params, "max_connections", 40),
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
            check_bot_command(command)
        key = commands_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    async def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        return self.commands(params.get("scope"), str(params.get("language_code") or ""))

    async def _delete_my_commands(self, params: JsonDict) -> bool:
        self._commands.pop(commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    # ---- sending messages -----------------------------------------------------------------------------------------

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
        if self.strict_chats and not (chat_id > 0 and chat_id in self._users):  # a known user has a private chat
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

    def _check_may_write(self, chat: FakeChat) -> None:
        """Telegram refuses a private message to a user who never started the bot, or who blocked it."""
        if chat.type != "private":
            return
        if chat.id in self.removed_chats:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        if chat.id not in self.started_users:
            raise BotApiError(403, "Forbidden: bot can't initiate conversation with a user")

    def _send_bot_message(self, chat: FakeChat, params: JsonDict, content: JsonDict) -> JsonDict:
        self._check_may_write(chat)
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
            check_uploaded_photo(photo.data)
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
        content = {"document": {**file_ref(stored), "file_name": name, "mime_type": mime}}
        return self._send_bot_message(chat, params, {**content, **self._caption(params)})

    # ---- editing --------------------------------------------------------------------------------------------------

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
        return copy_json(stored.message)

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

    # ---- callbacks and chats --------------------------------------------------------------------------------------

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
        user_id = int_param(params, "user_id", 0)
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
        self._check_may_write(chat)
        action = str(params.get("action") or "")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append((chat.id, action))
        return True

    async def _get_file(self, params: JsonDict) -> JsonDict:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > DOWNLOAD_MAX_BYTES:
            raise bad_request("file is too big")
        return stored.to_dict()

    async def _leave_chat(self, params: JsonDict) -> bool:
        chat = self._target_chat(params)
        old_status = self.member_status(chat.id, self.bot.id)
        self.inject_member_change(chat, self.bot, "left", old_status)
        return True


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


def int_param(params: JsonDict, name: str, default: int) -> int:
    value = params.get(name, default)
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise bad_request(f"wrong parameter {name} in request") from exc


def check_bot_command(command: Any) -> None:
    if not isinstance(command, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
        raise bad_request("BOT_COMMAND_INVALID")
    description = str(command.get("description", ""))
    if not 1 <= len(description) <= 256:
        raise bad_request("command description is empty or too long")


def check_uploaded_photo(data: bytes) -> None:
    """Telegram refuses an uploaded photo over 10 MB, or one that is no image it can read (JPEG, PNG, GIF, WebP)."""
    if len(data) > PHOTO_UPLOAD_MAX_BYTES:
        raise bad_request("PHOTO_SAVE_FILE_INVALID")
    if not data.startswith(IMAGE_MAGIC) and not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise bad_request("IMAGE_PROCESS_FAILED")
