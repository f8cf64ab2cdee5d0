"""Transcripts: joining groups, binding, invites, help, duplicates, 429s and the webhook secret."""

from __future__ import annotations

import aiohttp
import pytest
from sqlmodel import select

from bot import cli
from handlers.common.org_import import import_tree, parse_org_file
from models.chats import Chat
from models.people import Role
from sandbox.server import LocalBotApi
from tests.features.harness import TOKEN, BotUnderTest, bot_settings, running_bot
from tests.features.tickets_world import B1, COMMUNITY, TREE

B2 = "阳光社区/第一网格/2号楼"


async def with_tree(bot: BotUnderTest) -> None:
    async with bot.runtime.sessions() as session, session.begin():
        await import_tree(session, parse_org_file("t.yaml", TREE))


async def bound_chat(bot: BotUnderTest, chat_id: int) -> Chat | None:
    async with bot.runtime.sessions() as session:
        return (await session.exec(select(Chat).where(Chat.platform_chat_id == str(chat_id)))).first()


async def test_bot_added_to_a_group_greets_and_explains_privacy(database_url: str) -> None:
    async with (
        LocalBotApi(token=TOKEN, can_read_all_group_messages=False) as api,
        running_bot(database_url, api=api) as bot,
    ):
        group = bot.group("阳光社区1号楼业主群")
        admin = bot.person("王群主")
        bot.api.inject_bot_added(group.chat, admin.user)
        await group.expect_message("/bind")
        await group.expect_message("设为本群管理员")
        bot.api.inject_member_change(group.chat, admin.user, "administrator", "member")
        await group.expect_message("可以看到群里的消息")


async def test_staff_binds_the_group_to_a_building(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await with_tree(bot)
        staff = bot.person("张社工")
        await bot.grant(staff, Role.STAFF, COMMUNITY)
        group = bot.group("1号楼业主群")
        await staff.says(group, "/bind")
        choose = await group.expect_message("请选择本群对应的楼栋")
        assert [label for label, _ in choose.buttons] == ["1号楼", "2号楼"]
        await staff.presses(group, choose, "1号楼")
        done = await group.expect_edit("已绑定到「阳光社区 · 第一网格 · 1号楼」")
        assert "报修" in (done.text or "") and done.buttons == []
        chat = await bound_chat(bot, group.id)
        assert chat is not None and chat.place_id is not None


async def test_plain_word_bind_and_a_resident_pressing_is_refused(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await with_tree(bot)
        head, resident = bot.person("李楼长"), bot.person("王小明")
        await bot.grant(head, Role.BUILDING_HEAD, B1)
        group = bot.group("1号楼群")
        await head.says(group, "绑定")
        choose = await group.expect_message("请选择")
        assert [label for label, _ in choose.buttons] == ["1号楼"]
        await resident.presses(group, choose, "1号楼")
        await resident.expect_answer("没有权限")
        chat = await bound_chat(bot, group.id)
        assert chat is not None and chat.place_id is None


async def test_non_staff_bind_is_refused_politely_and_changes_nothing(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await with_tree(bot)
        resident = bot.person("王小明")
        group = bot.group("某群")
        await resident.says(group, "/bind")
        refusal = await group.expect_message("只有本楼的楼栋长、网格员或社区工作人员可以绑定")
        assert refusal.buttons == []
        chat = await bound_chat(bot, group.id)
        assert chat is not None and chat.place_id is None


async def test_invite_link_grants_building_head_and_help_grows(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(database_url) as bot:
        await with_tree(bot)
        settings = bot_settings(database_url, telegram_api_base_url=bot.api.base_url)
        assert await cli.admin_invite(settings, "building_head", B1) == 0
        link = capsys.readouterr().out.strip().splitlines()[-1]
        assert link.startswith("https://t.me/linli_test_bot?start=")
        code = link.split("start=")[1]

        head = bot.person("李楼长")
        private = bot.private(head)
        await head.says(private, "/help")
        before = await private.expect_message("/help")
        assert "/bind" not in (before.text or "")
        await head.says(private, f"/start {code}")
        await private.expect_message("您已成为「阳光社区 · 第一网格 · 1号楼」的楼栋长")
        await head.says(private, "帮助")
        after = await private.expect_message("您的身份：楼栋长")
        await head.presses(private, after, "管理")
        await private.expect_edit("/bind")

        other = bot.person("赵先生")
        other_chat = bot.private(other)
        await other.says(other_chat, f"/start {code}")
        await other_chat.expect_message("已经被使用过了")


async def test_a_resident_speaking_in_a_bound_group_sees_resident_help(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        await with_tree(bot)
        staff, resident = bot.person("张社工"), bot.person("王小明")
        await bot.grant(staff, Role.STAFF, COMMUNITY)
        group = bot.group("1号楼群")
        await staff.says(group, "/bind")
        await staff.presses(group, await group.expect_message("请选择"), "1号楼")
        await group.expect_edit("已绑定")
        await resident.says(group, "大家好")
        await resident.says(group, "/help")
        help_text = (await group.expect_message("/help")).text or ""
        assert "居民" in help_text and "/bind" not in help_text and "/me" in help_text


async def test_the_same_update_delivered_twice_is_processed_once(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        someone = bot.person("王小明")
        private = bot.private(someone)
        update = await someone.says(private, "/me")
        await private.expect_message("还没有任何身份")
        bot.api.inject_raw(update)
        await private.expect_nothing()
        assert len(bot.api.sent_texts(private.id)) == 1


async def test_a_429_is_honoured_and_the_message_arrives_later(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        someone = bot.person("王小明")
        private = bot.private(someone)
        bot.api.fail_next("sendMessage", 429, retry_after=1, chat_id=private.id)
        await someone.says(private, "/me")
        first = await bot.api.wait_for_call(lambda c: c.method == "sendMessage" and not c.ok)
        assert first.error_code == 429
        second = await bot.api.wait_for_call(lambda c: c.method == "sendMessage" and c.ok, timeout=6)
        assert second.at - first.at >= 0.95
        assert len(bot.api.sent_texts(private.id)) == 1


async def test_removed_from_a_group_marks_the_chat_inactive(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        group, admin = bot.group("某群"), bot.person("王群主")
        bot.api.inject_bot_added(group.chat, admin.user)
        await group.expect_message("/bind")
        bot.api.inject_member_change(group.chat, admin.user, "left", "member")
        await bot.settle()
        chat = await bound_chat(bot, group.id)
        assert chat is not None and chat.active is False


async def test_commands_menu_is_published_in_chinese_and_english(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        zh = {c["command"]: c["description"] for c in bot.api.commands()}
        en = {c["command"]: c["description"] for c in bot.api.commands(language_code="en")}
        assert zh["help"] == "帮助：我能做什么" and en["help"].startswith("Help")
        assert "start" not in zh


async def test_webhook_refuses_a_wrong_secret_and_processes_the_right_one(database_url: str) -> None:
    secret = "s3cret-webhook-token-0123456789"
    webhook = {"telegram_webhook_url": "https://linli.example/telegram/webhook", "telegram_webhook_secret": secret}
    async with running_bot(database_url, **webhook) as bot:
        assert bot.api.webhook_url == "https://linli.example/telegram/webhook"
        someone = bot.person("王小明")
        private = bot.private(someone)
        update = {
            "update_id": 900000001,
            "message": {
                "message_id": 1,
                "date": 1735000000,
                "text": "/me",
                "from": {"id": someone.user.id, "is_bot": False, "first_name": "王"},
                "chat": {"id": private.id, "type": "private", "first_name": "王"},
                "entities": [{"type": "bot_command", "offset": 0, "length": 3}],
            },
        }
        url = f"http://127.0.0.1:{bot.runtime.web_port}/telegram/webhook"
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
            await private.expect_nothing()
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}) as response:
                assert response.status == 200
        assert "还没有任何身份" in (await private.expect_message()).text


async def test_healthz_reports_database_and_sender(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        url = f"http://127.0.0.1:{bot.runtime.web_port}/healthz"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            body = await response.json()
        assert response.status == 200 and body["database"] is True and body["sender_alive"] is True
