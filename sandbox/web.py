"""The sandbox web UI: a simulated group chat in the browser, backed by a LocalBotApi.

``mount_sandbox(app, api, personas, chats)`` serves the page at ``/`` and ``/sandbox/`` and JSON endpoints
under ``/sandbox/api``; ``sandbox_routes`` builds the sub-application alone.
"""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from sandbox.server import LocalBotApi
from sandbox.state import FakeChat, FakeUser, JsonDict, StoredMessage
from sandbox.words import page_words

PAGE_PATH = Path(__file__).parent / "static" / "sandbox.html"
API_BASE_PLACEHOLDER = "__API_BASE__"
MAX_SAY_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Persona:
    """Someone the sandbox user can speak as."""

    user_id: int
    name: str
    role_label: str
    started_bot: bool = True  # opened the private chat with the bot before the sandbox starts

    @property
    def label(self) -> str:
        """Name with role, e.g. ``王小明 (居民)``."""
        return f"{self.name} ({self.role_label})"


@dataclass(frozen=True)
class SandboxChat:
    """A group chat shown in the sandbox; ``bot_joined=False`` starts without the bot (try 拉机器人进群)."""

    chat_id: int
    title: str
    type: str = "supergroup"
    bot_joined: bool = True


DEFAULT_PERSONAS = (
    Persona(7001001, "王小明", "居民"),
    Persona(7001002, "李楼长", "楼栋长"),
    Persona(7001003, "张社工", "社区工作人员"),
)
DEFAULT_CHATS = (SandboxChat(-1001000000001, "阳光花园3号楼邻里群"),)


class SandboxInputError(ValueError):
    """A request the sandbox refuses with 400 and this message."""


@dataclass
class SandboxContext:
    """What the endpoints need: the fake server and who/where one can speak."""

    api: LocalBotApi
    personas: dict[int, Persona]
    groups: dict[int, SandboxChat]
    locale: str = "zh"

    def persona(self, user_id: int) -> FakeUser:
        """The fake user of a persona (SandboxInputError if unknown)."""
        if user_id not in self.personas:
            raise SandboxInputError(f"未知的 user_id：{user_id}（不是沙盒里的角色）")
        user = self.api.known_user(user_id)
        assert user is not None
        return user

    def chat(self, chat_id: int) -> FakeChat:
        """A group or persona private chat (SandboxInputError if unknown)."""
        if chat_id not in self.groups and chat_id not in self.personas:
            raise SandboxInputError(f"未知的 chat_id：{chat_id}")
        return self.api.chat(chat_id)

    def speaker_in(self, chat_id: int, user_id: int) -> tuple[FakeChat, FakeUser]:
        """Chat and user for someone acting in a chat; a private chat belongs to its persona only."""
        chat, user = self.chat(chat_id), self.persona(user_id)
        if chat.type == "private" and chat.id != user.id:
            raise SandboxInputError("只能在自己的私聊里以自己的身份发言")
        return chat, user


API_KEY = web.AppKey("sandbox", SandboxContext)


def sandbox_routes(
    api: LocalBotApi,
    personas: list[Persona] | tuple[Persona, ...] = DEFAULT_PERSONAS,
    chats: list[SandboxChat] | tuple[SandboxChat, ...] = DEFAULT_CHATS,
    locale: str = "zh",
) -> web.Application:
    """The sandbox sub-application (page at ``/``, JSON under ``/api``, the page's words in ``locale``); mount it
    with ``add_subapp``."""
    context = SandboxContext(api, {p.user_id: p for p in personas}, {c.chat_id: c for c in chats}, locale)
    _register_chats(context)
    sub = web.Application()
    sub[API_KEY] = context
    sub.router.add_get("/", _page, name="sandbox_page")
    sub.router.add_get("/api/state", _state, name="sandbox_state")
    sub.router.add_post("/api/say", _say)
    sub.router.add_post("/api/photo", _photo)
    sub.router.add_post("/api/press", _press)
    sub.router.add_post("/api/join", _join)
    sub.router.add_get("/api/file/{file_id}", _file)
    return sub


def mount_sandbox(
    app: web.Application,
    api: LocalBotApi,
    personas: list[Persona] | tuple[Persona, ...] = DEFAULT_PERSONAS,
    chats: list[SandboxChat] | tuple[SandboxChat, ...] = DEFAULT_CHATS,
    prefix: str = "/sandbox",
    serve_root: bool = True,
    locale: str = "zh",
) -> None:
    """Mount the sandbox under ``prefix`` and (unless ``serve_root`` is False) serve its page at ``/`` too."""
    app.add_subapp(prefix, sandbox_routes(api, personas, chats, locale))
    if not serve_root:
        return

    async def root_page(request: web.Request) -> web.Response:
        return _page_response(f"{prefix}/api", locale)

    app.router.add_get("/", root_page)


def _register_chats(context: SandboxContext) -> None:
    """Declare the personas' private chats and the groups; a group a restored world knows keeps its state."""
    api = context.api
    known = {chat.id for chat in api.chats}
    for persona in context.personas.values():
        if persona.user_id not in known:
            user = api.user(persona.user_id, persona.name, language_code="zh-hans")
            if persona.started_bot:
                api.start_bot(user)
            else:
                api.private_chat(user)
    for chat in context.groups.values():
        if chat.chat_id in known:
            continue
        api.group(chat.chat_id, chat.title, chat.type)
        if not chat.bot_joined:
            api.set_member_status(chat.chat_id, api.bot.id, "left")


# ---------------------------------------------------------------------------------------- endpoints


async def _page(request: web.Request) -> web.Response:
    state_url = str(request.app.router["sandbox_state"].url_for())
    return _page_response(state_url.removesuffix("/state"), request.app[API_KEY].locale)


def _page_response(api_base: str, locale: str) -> web.Response:
    """The page with its API base and its own words in ``locale`` (as JSON the page's script reads)."""
    words = page_words(locale)
    page = (
        PAGE_PATH.read_text(encoding="utf-8")
        .replace(API_BASE_PLACEHOLDER, api_base)
        .replace("__LANG__", words["lang"])
        .replace("__TITLE__", html.escape(words["title"]))
        .replace("__WORDS__", json.dumps(words, ensure_ascii=False).replace("</", "<\\/"))
    )
    return web.Response(text=page, content_type="text/html", charset="utf-8")


async def _state(request: web.Request) -> web.Response:
    context = request.app[API_KEY]
    try:
        since = int(request.query.get("since", "0"))
    except ValueError:
        return _bad_input("since 必须是整数")
    return web.json_response(state_payload(context, since))


async def _say(request: web.Request) -> web.Response:
    """Say something, optionally as a reply (``reply_to_message_id``: how 加分 by reply is done)."""

    async def act(context: SandboxContext, body: JsonDict) -> JsonDict:
        chat, user = context.speaker_in(_int_field(body, "chat_id"), _int_field(body, "user_id"))
        text = _text_field(body, "text")
        reply_to = _reply_target(context, chat, body.get("reply_to_message_id"))
        update = context.api.inject_message(chat, user, text, reply_to_message_id=reply_to)
        return {"message_id": update["message"]["message_id"]}

    return await _handle_action(request, act)


async def _photo(request: web.Request) -> web.Response:
    """Send a photo with an optional caption (随手拍), as multipart form data: chat_id, user_id, photo, caption,
    reply_to_message_id."""
    context = request.app[API_KEY]
    try:
        form = await request.post()
    except (ValueError, web.HTTPRequestEntityTooLarge):
        return _bad_input(f"图片太大（最多 {MAX_PHOTO_BYTES // 1024 // 1024} MB）")
    try:
        chat, user = context.speaker_in(_int_field(dict(form), "chat_id"), _int_field(dict(form), "user_id"))
        photo = form.get("photo")
        if not isinstance(photo, web.FileField):
            raise SandboxInputError("请选择一张图片")
        data = photo.file.read(MAX_PHOTO_BYTES + 1)
        if not data or len(data) > MAX_PHOTO_BYTES:
            raise SandboxInputError(f"图片不能为空，最多 {MAX_PHOTO_BYTES // 1024 // 1024} MB")
        caption = str(form.get("caption") or "")
        if len(caption) > MAX_CAPTION_LENGTH:
            raise SandboxInputError(f"图片说明最多 {MAX_CAPTION_LENGTH} 字")
        reply_to = _reply_target(context, chat, form.get("reply_to_message_id") or None)
        update = context.api.inject_message(chat, user, photo=data, caption=caption, reply_to_message_id=reply_to)
    except SandboxInputError as exc:
        return _bad_input(str(exc))
    return web.json_response({"ok": True, "message_id": update["message"]["message_id"]})


def _reply_target(context: SandboxContext, chat: FakeChat, value: Any) -> int | None:
    """The message replied to, which must be one shown in this chat."""
    if value is None:
        return None
    message_id = _int_value("reply_to_message_id", value)
    shown = {m.message_id for m in context.api.messages(chat.id)}
    if message_id not in shown:
        raise SandboxInputError("要回复的消息不在这个聊天里")
    return message_id


async def _press(request: web.Request) -> web.Response:
    async def act(context: SandboxContext, body: JsonDict) -> JsonDict:
        chat, user = context.speaker_in(_int_field(body, "chat_id"), _int_field(body, "user_id"))
        message_id = _int_field(body, "message_id")
        data = _text_field(body, "data")
        update = context.api.inject_callback(chat, user, message_id, data)
        return {"callback_query_id": update["callback_query"]["id"]}

    return await _handle_action(request, act)


async def _join(request: web.Request) -> web.Response:
    async def act(context: SandboxContext, body: JsonDict) -> JsonDict:
        chat = context.chat(_int_field(body, "chat_id"))
        if not chat.is_group:
            raise SandboxInputError("只能把机器人拉进群聊")
        if chat.id not in context.api.removed_chats:
            raise SandboxInputError("机器人已经在这个群里了")
        actor_id = body.get("user_id", next(iter(context.personas)))
        actor = context.persona(_int_value("user_id", actor_id))
        updates = context.api.inject_bot_added(chat, actor)
        return {"update_ids": [update["update_id"] for update in updates]}

    return await _handle_action(request, act)


async def _file(request: web.Request) -> web.Response:
    context = request.app[API_KEY]
    try:
        data = context.api.file_bytes(request.match_info["file_id"])
    except KeyError:
        return web.json_response({"ok": False, "error": "没有这个文件"}, status=404)
    if request.query.get("name"):
        disposition = f"attachment; filename*=UTF-8''{quote(request.query['name'])}"
        return web.Response(
            body=data, content_type="application/octet-stream", headers={"Content-Disposition": disposition}
        )
    return web.Response(body=data, content_type="image/jpeg")


Action = Callable[[SandboxContext, JsonDict], Awaitable[JsonDict]]


async def _handle_action(request: web.Request, act: Action) -> web.Response:
    context = request.app[API_KEY]
    try:
        body = await request.json()
    except ValueError:
        return _bad_input("请求体必须是 JSON 对象")
    if not isinstance(body, dict):
        return _bad_input("请求体必须是 JSON 对象")
    try:
        result = await act(context, body)
    except (SandboxInputError, ValueError) as exc:
        return _bad_input(str(exc))
    return web.json_response({"ok": True, **result})


def _bad_input(message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=400)


def _int_field(body: JsonDict, name: str) -> int:
    if name not in body:
        raise SandboxInputError(f"缺少字段 {name}")
    return _int_value(name, body[name])


def _int_value(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise SandboxInputError(f"{name} 必须是整数")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise SandboxInputError(f"{name} 必须是整数") from exc


FIELD_WORDS = {"text": "消息", "data": "按钮"}
"""What a person calls a field of the page's requests, for the toasts that refuse it."""


def _text_field(body: JsonDict, name: str) -> str:
    value = body.get(name)
    word = FIELD_WORDS.get(name, name)
    if not isinstance(value, str) or not value.strip():
        raise SandboxInputError(f"{word}不能为空")
    if len(value) > MAX_SAY_LENGTH:
        raise SandboxInputError(f"{word}太长了（最多 {MAX_SAY_LENGTH} 字），请分几条发送")
    return value


# -------------------------------------------------------------------------------------------- state


def state_payload(context: SandboxContext, since: int = 0) -> JsonDict:
    """Everything the page needs that changed after version ``since``."""
    api = context.api
    return {
        "version": api.version,
        "bot": {"id": api.bot.id, "name": api.bot.first_name, "username": api.bot.username},
        "personas": [_persona_view(p) for p in context.personas.values()],
        "chats": [_group_view(context, c) for c in context.groups.values()]
        + [_private_view(p, context.locale) for p in context.personas.values()],
        "messages": [
            _message_view(m)
            for chat_id in [*context.groups, *context.personas]
            for m in api.messages(chat_id, include_deleted=True)
            if m.version > since
        ],
        "toasts": [
            {"chat_id": a.chat_id, "user_id": a.user_id, "text": a.text, "show_alert": a.show_alert}
            for a in api.callback_answers
            if a.version > since and a.text
        ],
        "reply_keyboards": {
            str(chat_id): _reply_keyboard_view(api.reply_keyboard(chat_id))
            for chat_id in [*context.groups, *context.personas]
        },
    }


def _persona_view(persona: Persona) -> JsonDict:
    return {
        "user_id": persona.user_id,
        "name": persona.name,
        "role_label": persona.role_label,
        "label": persona.label,
    }


def _group_view(context: SandboxContext, chat: SandboxChat) -> JsonDict:
    bot_status = context.api.member_status(chat.chat_id, context.api.bot.id)
    if chat.chat_id in context.api.removed_chats and bot_status not in ("left", "kicked"):
        bot_status = "kicked"
    return {"chat_id": chat.chat_id, "title": chat.title, "type": chat.type, "bot_status": bot_status}


def _private_view(persona: Persona, locale: str) -> JsonDict:
    return {
        "chat_id": persona.user_id,
        "title": page_words(locale)["private_chat"].format(name=persona.name),
        "type": "private",
        "bot_status": "member",
        "persona_id": persona.user_id,
    }


def _message_view(stored: StoredMessage) -> JsonDict:
    message = stored.message
    sender = message.get("from", {})
    photo = message.get("photo")
    document = message.get("document")
    reply = message.get("reply_to_message")
    return {
        "chat_id": stored.chat_id,
        "message_id": stored.message_id,
        "from": {
            "id": sender.get("id"),
            "name": " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p),
            "is_bot": stored.from_bot,
        },
        "date": message.get("date"),
        "text": stored.text,
        "entities": message.get("entities", message.get("caption_entities", [])),
        "photo": f"file/{photo[-1]['file_id']}" if photo else None,
        "document": {"url": f"file/{document['file_id']}", "name": document.get("file_name", "")} if document else None,
        "buttons": [[_button_view(b) for b in row] for row in stored.inline_keyboard],
        "edited": stored.edited,
        "deleted": stored.deleted,
        "service": _service_text(message),
        "reply_to": {
            "message_id": reply["message_id"],
            "text": reply.get("text") or reply.get("caption") or "",
        }
        if reply
        else None,
    }


def _button_view(button: JsonDict) -> JsonDict:
    return {"text": button.get("text", ""), "data": button.get("callback_data"), "url": button.get("url")}


def _service_text(message: JsonDict) -> str | None:
    if "new_chat_members" in message:
        names = "、".join(user.get("first_name", "?") for user in message["new_chat_members"])
        return f"{names} 加入了群聊"
    if "left_chat_member" in message:
        return f"{message['left_chat_member'].get('first_name', '?')} 离开了群聊"
    return None


def _reply_keyboard_view(markup: JsonDict | None) -> list[list[str]]:
    if not markup:
        return []
    return [[_key_text(key) for key in row] for row in markup.get("keyboard", [])]


def _key_text(key: Any) -> str:
    return str(key.get("text", "")) if isinstance(key, dict) else str(key)
