"""The local Bot API server, driven by the real python-telegram-bot client over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import warnings
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from sandbox.server import LocalBotApi, RecordedCall
from sandbox.web import Persona, SandboxChat, mount_sandbox
from tests.support.botapi_schema import SCHEMA_PATH, assert_calls_valid, load_schema, validate_call

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")

TOKEN = "8000000001:TEST-token"
GROUP_ID = -1001987654321
JPEG = b"\xff\xd8\xff\xe0" + "现场照片".encode()  # what Telegram reads as an image starts as one
KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton("提醒", callback_data="remind:42"), InlineKeyboardButton("取消", callback_data="cancel:42")]]
)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    server = LocalBotApi(token=TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


@pytest.fixture
def group(api: LocalBotApi) -> Any:
    return api.group(GROUP_ID, "阳光花园3期业主群")


@pytest.fixture
def resident(api: LocalBotApi) -> Any:
    return api.user(7001001, "王", "小明")


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after in seconds (an int or a timedelta depending on PTB settings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# ------------------------------------------------------------------------------------- basic calls


async def test_get_me_describes_the_configured_bot(bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (8000000001, "linli_test_bot", True)
    assert me.can_read_all_group_messages is True
    assert me.supports_inline_queries is False


async def test_send_message_echoes_inline_keyboard_and_is_stored(api: LocalBotApi, bot: Bot, group: Any) -> None:
    sent = await bot.send_message(GROUP_ID, "停水通知已发布，是否提醒全体？", reply_markup=KEYBOARD)

    assert sent.from_user is not None and sent.from_user.id == bot.id
    assert sent.chat.title == "阳光花园3期业主群"
    assert sent.reply_markup == KEYBOARD
    call = api.calls_of("sendMessage")[-1]
    assert call.params["chat_id"] == GROUP_ID
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "remind:42"
    assert api.transcript(GROUP_ID) == ["bot: 停水通知已发布，是否提醒全体？ [提醒 | 取消]"]


async def test_html_parse_mode_becomes_plain_text_with_entities(api: LocalBotApi, bot: Bot, group: Any) -> None:
    sent = await bot.send_message(GROUP_ID, "<b>停水</b> 明天 😀 <i>9点</i>", parse_mode="HTML")

    assert sent.text == "停水 明天 😀 9点"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 2), ("italic", 9, 2)]
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(GROUP_ID, "<b>没关上", parse_mode="HTML")


async def test_edit_message_text_is_applied_in_place_with_history(api: LocalBotApi, bot: Bot, group: Any) -> None:
    sent = await bot.send_message(GROUP_ID, "待确认", reply_markup=KEYBOARD)

    edited = await bot.edit_message_text("已确认", chat_id=GROUP_ID, message_id=sent.message_id)

    assert isinstance(edited, type(sent)) and edited.text == "已确认" and edited.edit_date is not None
    stored = api.message(GROUP_ID, sent.message_id)
    assert stored.text == "已确认" and stored.edited
    assert [version["text"] for version in stored.history] == ["待确认"]
    assert stored.buttons == [], "an edit that does not repeat reply_markup drops the keyboard, like Telegram"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("已确认", chat_id=GROUP_ID, message_id=sent.message_id)


async def test_edit_reply_markup_caption_and_delete(api: LocalBotApi, bot: Bot, group: Any) -> None:
    sent = await bot.send_message(GROUP_ID, "投票", reply_markup=KEYBOARD)
    photo = await bot.send_photo(GROUP_ID, io.BytesIO(JPEG), caption="现场照片")

    await bot.edit_message_reply_markup(GROUP_ID, sent.message_id, reply_markup=None)
    await bot.edit_message_caption(GROUP_ID, photo.message_id, caption="现场照片（已处理）")
    assert await bot.delete_message(GROUP_ID, sent.message_id) is True

    assert api.message(GROUP_ID, sent.message_id).deleted
    assert api.message(GROUP_ID, photo.message_id).text == "现场照片（已处理）"
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(GROUP_ID, sent.message_id)


async def test_send_photo_upload_can_be_fetched_again(api: LocalBotApi, bot: Bot, group: Any) -> None:
    sent = await bot.send_photo(GROUP_ID, io.BytesIO(JPEG), caption="图")

    largest = sent.photo[-1]
    file = await bot.get_file(largest.file_id)
    assert bytes(await file.download_as_bytearray()) == JPEG
    again = await bot.send_photo(GROUP_ID, largest.file_id)
    assert again.photo[-1].file_id == largest.file_id


@pytest.mark.parametrize(
    ("upload", "refusal"),
    [(b"%PDF-1.7 not an image", "IMAGE_PROCESS_FAILED"), (JPEG + bytes(10 * 1024 * 1024), "PHOTO_SAVE_FILE_INVALID")],
)
async def test_an_uploaded_photo_telegram_cannot_take_is_refused_and_nothing_is_sent(
    api: LocalBotApi, bot: Bot, group: Any, upload: bytes, refusal: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){refusal}"):  # PTB capitalises the description
        await bot.send_photo(GROUP_ID, io.BytesIO(upload), caption="图")
    assert api.bot_messages(GROUP_ID) == []


async def test_get_file_refuses_unknown_ids_and_files_over_20_mb_as_telegram_does(
    api: LocalBotApi, bot: Bot, group: Any, resident: Any
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("AgACAgUAAxkBAAI99999999")
    big = api.inject_message(group, resident, "", photo=b"\xff\xd8\xff" + bytes(20 * 1024 * 1024))
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(big["message"]["photo"][-1]["file_id"])
    async with aiohttp.ClientSession() as http, http.get(api.base_file_url + "TOKEN/photos/file_404.jpg") as missing:
        assert missing.status == 404


async def test_commands_are_stored_per_scope_and_language(api: LocalBotApi, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "开始"), BotCommand("help", "帮助")])
    await bot.set_my_commands([BotCommand("notice", "发通知")], scope=BotCommandScopeAllGroupChats())
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")

    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeAllGroupChats())] == ["notice"]
    assert [c.description for c in await bot.get_my_commands(language_code="en")] == ["Start"]
    await bot.delete_my_commands(language_code="en")
    assert await bot.get_my_commands(language_code="en") == ()


async def test_chat_and_member_queries(api: LocalBotApi, bot: Bot, group: Any, resident: Any) -> None:
    api.set_member_status(GROUP_ID, 7001003, "creator")

    chat = await bot.get_chat(GROUP_ID)
    assert chat.title == "阳光花园3期业主群"
    assert (await bot.get_chat_member(GROUP_ID, resident.id)).status == "member"
    assert (await bot.get_chat_member(GROUP_ID, bot.id)).status == "member"
    api.set_member_status(GROUP_ID, bot.id, "administrator")
    admins = await bot.get_chat_administrators(GROUP_ID)
    assert {(m.user.id, m.status) for m in admins} == {(7001003, "creator"), (bot.id, "administrator")}
    assert await bot.send_chat_action(GROUP_ID, "typing") is True
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.get_chat(-100111)


# ---------------------------------------------------------------------------------------- updates


async def test_get_updates_delivers_message_callback_and_member_change(
    api: LocalBotApi, bot: Bot, group: Any, resident: Any
) -> None:
    sent = await bot.send_message(GROUP_ID, "是否提醒全体？", reply_markup=KEYBOARD)
    api.inject_message(group, resident, "/notice@linli_test_bot 明天停水")
    api.inject_callback(group, resident, sent.message_id, "remind:42")
    api.inject_bot_added(api.group(-4001234567, "5号楼邻里群", type="group"), resident)

    updates = await bot.get_updates(timeout=1)

    assert all(isinstance(update, Update) for update in updates)
    message, callback, added, service = updates
    assert message.message.text == "/notice@linli_test_bot 明天停水"
    assert message.message.entities[0].type == "bot_command"
    assert callback.callback_query.data == "remind:42"
    assert callback.callback_query.message.message_id == sent.message_id
    assert added.my_chat_member.new_chat_member.status == "member"
    assert service.message.new_chat_members[0].id == bot.id
    assert await bot.answer_callback_query(callback.callback_query.id, text="已提醒") is True
    assert api.callback_answers[-1].text == "已提醒"
    with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
        await bot.answer_callback_query(callback.callback_query.id)
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()


async def test_long_poll_returns_as_soon_as_an_update_is_injected(
    api: LocalBotApi, bot: Bot, group: Any, resident: Any
) -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.2, api.inject_message, group, resident, "有人在吗")
    started = loop.time()

    updates = await bot.get_updates(timeout=5)

    assert [u.message.text for u in updates] == ["有人在吗"]
    assert loop.time() - started < 2


async def test_chat_member_updates_need_allowed_updates(api: LocalBotApi, bot: Bot, group: Any, resident: Any) -> None:
    api.inject_member_change(group, resident, "member", "left", for_bot=False)
    assert await bot.get_updates(timeout=0) == ()

    api.inject_member_change(group, resident, "left", "member", for_bot=False)
    updates = await bot.get_updates(timeout=0, allowed_updates=["chat_member", "message"])
    assert updates[0].chat_member.new_chat_member.status == "left"


async def test_duplicate_delivery_with_inject_raw(api: LocalBotApi, bot: Bot, group: Any, resident: Any) -> None:
    first = api.inject_message(group, resident, "报修：电梯坏了")
    delivered = await bot.get_updates(timeout=0)
    api.inject_raw(first)

    again = await bot.get_updates(offset=delivered[-1].update_id + 1, timeout=0)

    assert [u.update_id for u in again] == [first["update_id"]]


async def test_privacy_mode_hides_plain_group_chatter(bot: Bot) -> None:
    async with LocalBotApi(can_read_all_group_messages=False) as api:
        group = api.group(GROUP_ID, "群")
        user = api.user(1, "甲")
        api.inject_message(group, user, "今天天气不错")
        api.inject_message(group, user, "@linli_test_bot 停水了吗")
        async with Bot(TOKEN, base_url=api.base_url) as private_bot:
            updates = await private_bot.get_updates(timeout=0)
        assert [u.message.text for u in updates] == ["@linli_test_bot 停水了吗"]
        assert len(api.messages(GROUP_ID)) == 2


async def test_real_application_polls_and_answers(api: LocalBotApi, group: Any, resident: Any) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("你好！", reply_markup=KEYBOARD)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("收到")
        await query.edit_message_text(f"已选择 {query.data}")

    application = Application.builder().token(TOKEN).base_url(api.base_url).build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(pressed))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        api.inject_message(group, resident, "/start")
        reply = await api.wait_for_call("sendMessage")
        api.inject_callback(group, resident, reply.result["message_id"], "cancel:42")
        await api.wait_for_call("editMessageText")
        await api.wait_idle(quiet=0.2)
        await application.updater.stop()
        await application.stop()

    assert api.transcript(GROUP_ID) == ["王小明: /start", "bot: 已选择 cancel:42"]
    assert api.message(GROUP_ID, reply.result["message_id"]).edited
    assert api.callback_answers[-1].text == "收到"
    assert_calls_valid(api.calls)


async def test_wait_for_call_consumes_matches_and_reports_timeouts(api: LocalBotApi, bot: Bot, group: Any) -> None:
    await bot.send_message(GROUP_ID, "一")
    await bot.send_message(GROUP_ID, "二")

    assert (await api.wait_for_call("sendMessage")).params["text"] == "一"
    assert (await api.wait_for_call(lambda call: call.method == "sendMessage")).params["text"] == "二"
    with pytest.raises(AssertionError, match=r"(?s)no call matching sendMessage.*sendMessage"):
        await api.wait_for_call("sendMessage", timeout=0.2)


# ----------------------------------------------------------------------------- failures and limits


async def test_forced_429_surfaces_as_retry_after(api: LocalBotApi, bot: Bot, group: Any) -> None:
    api.fail_next("sendMessage", 429, retry_after=7)

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(GROUP_ID, "hi")

    assert retry_seconds(raised.value) == 7
    assert api.calls[-1].response["parameters"] == {"retry_after": 7}
    assert api.throttled == 1
    assert (await bot.send_message(GROUP_ID, "hi")).text == "hi"


async def test_forced_errors_for_one_chat_and_dropped_connections(api: LocalBotApi, bot: Bot, group: Any) -> None:
    other = api.group(-1002, "别的群")
    api.fail_next("sendMessage", 403, chat_id=other.id)
    api.fail_next("editMessageText", 500)
    api.fail_next("sendMessage", drop_connection=True, after_effect=True, chat_id=GROUP_ID)

    with pytest.raises(Forbidden, match=r"(?i)kicked"):
        await bot.send_message(other.id, "x")
    with pytest.raises(NetworkError):
        await bot.send_message(GROUP_ID, "送达但没有回应")
    assert api.transcript(GROUP_ID) == ["bot: 送达但没有回应"], "after_effect: delivered although unanswered"
    sent = await bot.send_message(GROUP_ID, "y")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.edit_message_text("z", chat_id=GROUP_ID, message_id=sent.message_id)


async def test_removed_chat_answers_forbidden(api: LocalBotApi, bot: Bot, group: Any) -> None:
    api.removed_chats.add(GROUP_ID)

    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the supergroup chat"):
        await bot.send_message(GROUP_ID, "还在吗")

    basic = api.group(-4001234567, "5号楼邻里群", type="group")
    api.inject_member_change(basic, api.user(9, "管理员"), "kicked", "member")
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the group chat"):
        await bot.send_message(basic.id, "还在吗")


async def test_group_limit_answers_429_on_the_21st_message_in_a_minute() -> None:
    clock = FakeClock()
    async with LocalBotApi(enforce_limits=True, clock=clock) as api:
        api.group(GROUP_ID, "群")
        async with Bot(TOKEN, base_url=api.base_url) as bot:
            for number in range(20):
                await bot.send_message(GROUP_ID, f"第{number + 1}条")
                clock.now += 0.5
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(GROUP_ID, "第21条")
            assert retry_seconds(raised.value) == 50  # first message at t=0, now t=10
            clock.now += 50
            await bot.send_message(GROUP_ID, "第21条")
        assert api.throttled == 1


async def test_bot_limit_answers_429_on_the_31st_message_in_a_second() -> None:
    clock = FakeClock()
    async with LocalBotApi(enforce_limits=True, clock=clock) as api:
        users = [api.start_bot(api.user(100 + n, f"居民{n}")) for n in range(31)]
        async with Bot(TOKEN, base_url=api.base_url) as bot:
            for chat in users[:30]:
                await bot.send_message(chat.id, "通知")
            clock.now += 0.4
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(users[30].id, "通知")
            assert retry_seconds(raised.value) == 1
            clock.now += 0.6
            await bot.send_message(users[30].id, "通知")
        assert api.throttled == 1


# ---------------------------------------------------------------------------------- HTTP surface


async def test_unknown_method_and_wrong_token(api: LocalBotApi) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api.base_url}{TOKEN}/sendTelepathy", data={"chat_id": "1"}) as response:
            assert response.status == 404
            assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with session.get(f"{api.base_url}123:WRONG/getMe") as response:
            assert response.status == 401
            assert (await response.json())["description"] == "Unauthorized"
        async with session.post(f"{api.base_url}{TOKEN}/getme", json={}) as response:
            assert (await response.json())["result"]["username"] == "linli_test_bot"


async def test_webhook_mode_posts_updates_with_the_secret_header(resident: Any) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append((await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response()

    receiver = web.Application()
    receiver.router.add_post("/hook", receive)
    async with TestServer(receiver, host="127.0.0.1") as hook, LocalBotApi(deliver_mode="webhook") as api:
        chat = api.group(GROUP_ID, "群")
        async with Bot(TOKEN, base_url=api.base_url) as bot:
            await bot.set_webhook(str(hook.make_url("/hook")), secret_token="s3cret-token")
            api.inject_message(chat, resident, "webhook 你好")
            await api.wait_idle(quiet=0.1)
            info = await bot.get_webhook_info()
            with pytest.raises(Conflict):
                await bot.get_updates()

    assert [(update["message"]["text"], secret) for update, secret in received] == [("webhook 你好", "s3cret-token")]
    assert info.url.endswith("/hook") and info.pending_update_count == 0
    assert api.webhook_deliveries[-1].status == 200


# ------------------------------------------------------------------------------------ text parsing


async def test_unescaped_markdown_v2_character_is_refused(api: LocalBotApi, bot: Bot, group: Any) -> None:
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await bot.send_message(GROUP_ID, "第1.5期", parse_mode="MarkdownV2")


# ----------------------------------------------------------------------------------- schema checks


def test_schema_file_is_the_published_bot_api() -> None:
    assert SCHEMA_PATH.name == "bot_api_10.0.json"
    assert "sendMessage" in load_schema()["methods"]


def test_schema_catches_unknown_and_missing_parameters() -> None:
    problems = validate_call(load_schema(), "sendMessage", {"text": "hi", "colour": "red"})

    assert "sendMessage: missing required parameter chat_id" in problems
    assert "sendMessage: unknown parameter colour" in problems
    assert validate_call(load_schema(), "sendTelepathy", {}) == ["sendTelepathy: no such method in Bot API 10.0"]


def test_schema_catches_text_too_long_and_oversized_callback_data() -> None:
    long_text = validate_call(load_schema(), "sendMessage", {"chat_id": 1, "text": "长" * 4097})
    markup = {"inline_keyboard": [[{"text": "x", "callback_data": "数据" * 11}, {"text": "y"}]]}
    buttons = validate_call(load_schema(), "sendMessage", {"chat_id": 1, "text": "ok", "reply_markup": markup})

    assert long_text == ["sendMessage: text must be 1-4096 characters after entity parsing, got 4097"]
    assert any("callback_data must be 1-64 bytes, got 66" in problem for problem in buttons)
    assert any("[0][1] must have exactly one action field" in problem for problem in buttons)


async def test_schema_accepts_a_real_send_message(api: LocalBotApi, bot: Bot, group: Any) -> None:
    await bot.send_message(GROUP_ID, "<b>停水</b>通知", parse_mode="HTML", reply_markup=KEYBOARD)

    assert_calls_valid(api.calls)
    with pytest.raises(AssertionError, match="unknown parameter colour"):
        assert_calls_valid([*api.calls, RecordedCall("sendMessage", {"chat_id": 1, "text": "x", "colour": 1}, 0.0, {})])


# ------------------------------------------------------------------------------------------ sandbox

PERSONAS = [
    Persona(7001001, "王小明", "居民"),
    Persona(7001002, "李楼长", "楼栋长"),
    Persona(7001003, "张社工", "社区工作人员"),
]


@pytest.fixture
async def sandbox(api: LocalBotApi) -> AsyncIterator[TestClient[Any, Any]]:
    app = web.Application()
    mount_sandbox(
        app, api, PERSONAS, [SandboxChat(GROUP_ID, "阳光花园3期业主群"), SandboxChat(-4002, "新群", "group", False)]
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def test_sandbox_say_press_state_round_trip(api: LocalBotApi, bot: Bot, sandbox: TestClient[Any, Any]) -> None:
    said = await sandbox.post("/sandbox/api/say", json={"chat_id": GROUP_ID, "user_id": 7001002, "text": "电梯坏了"})
    assert said.status == 200
    [update] = await bot.get_updates(timeout=0)
    assert update.message.from_user.first_name == "李楼长"
    sent = await bot.send_message(GROUP_ID, "要报修吗？", reply_markup=KEYBOARD)

    pressed = await sandbox.post(
        "/sandbox/api/press",
        json={"chat_id": GROUP_ID, "user_id": 7001002, "message_id": sent.message_id, "data": "remind:42"},
    )
    [callback] = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    await bot.answer_callback_query(callback.callback_query.id, text="已报修", show_alert=True)
    await bot.edit_message_text("已报修 #1", chat_id=GROUP_ID, message_id=sent.message_id)
    state = await (await sandbox.get("/sandbox/api/state?since=0")).json()

    assert pressed.status == 200
    messages = [m for m in state["messages"] if m["chat_id"] == GROUP_ID]
    assert [(m["from"]["name"], m["text"], m["edited"]) for m in messages] == [
        ("李楼长", "电梯坏了", False),
        ("邻里小助手", "已报修 #1", True),
    ]
    assert state["toasts"] == [{"chat_id": GROUP_ID, "user_id": 7001002, "text": "已报修", "show_alert": True}]
    assert {c["title"] for c in state["chats"]} >= {"阳光花园3期业主群", "与机器人私聊 · 王小明"}
    later = await (await sandbox.get(f"/sandbox/api/state?since={state['version']}")).json()
    assert later["messages"] == [] and later["toasts"] == []


async def test_sandbox_join_adds_the_bot(api: LocalBotApi, bot: Bot, sandbox: TestClient[Any, Any]) -> None:
    joined = await sandbox.post("/sandbox/api/join", json={"chat_id": -4002})
    updates = await bot.get_updates(timeout=0)

    assert joined.status == 200
    assert updates[0].my_chat_member.new_chat_member.status == "member"
    again = await sandbox.post("/sandbox/api/join", json={"chat_id": -4002})
    assert again.status == 400


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/sandbox/api/say", {"chat_id": GROUP_ID, "user_id": 7001001, "text": "  "}, "消息不能为空"),
        ("/sandbox/api/say", {"chat_id": GROUP_ID, "user_id": 7001001, "text": "长" * 4097}, "消息太长了"),
        ("/sandbox/api/say", {"chat_id": 42, "user_id": 7001001, "text": "hi"}, "未知的 chat_id"),
        ("/sandbox/api/say", {"chat_id": GROUP_ID, "user_id": 5, "text": "hi"}, "未知的 user_id"),
        ("/sandbox/api/say", {"chat_id": 7001002, "user_id": 7001001, "text": "hi"}, "自己的私聊"),
        ("/sandbox/api/say", {"chat_id": "abc", "user_id": 7001001, "text": "hi"}, "chat_id 必须是整数"),
        ("/sandbox/api/press", {"chat_id": GROUP_ID, "user_id": 7001001, "message_id": 99, "data": "x"}, "no message"),
        ("/sandbox/api/press", {"chat_id": GROUP_ID, "user_id": 7001001}, "缺少字段 message_id"),
    ],
)
async def test_sandbox_rejects_bad_input(
    sandbox: TestClient[Any, Any], path: str, body: dict[str, Any], message: str
) -> None:
    response = await sandbox.post(path, json=body)

    assert response.status == 400
    assert message in (await response.json())["error"]


async def test_sandbox_serves_the_page_at_root_and_under_prefix(sandbox: TestClient[Any, Any]) -> None:
    for path in ("/", "/sandbox/"):
        response = await sandbox.get(path)
        page = await response.text()
        assert response.status == 200
        assert '<meta name="api-base" content="/sandbox/api">' in page
        assert "发送" in page and "以…身份发言" in page
        assert "<link" not in page and "<script src" not in page and "https://" not in page
    bad = await sandbox.post("/sandbox/api/say", data="not json")
    assert bad.status == 400
