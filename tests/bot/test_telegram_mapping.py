"""Contract: recorded Telegram payloads become the right neutral items (PTB parses, we map)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, Update

from bot.telegram import display_name, update_to_incoming
from handlers.core.types import BotMembership, ChatKind, ChatMoved, IncomingCallback, IncomingMessage, MembershipStatus

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "telegram" / "update_samples.json"
BOT_USERNAME, BOT_ID = "community_helper_bot", 8000000001


@pytest.fixture(scope="module")
def samples() -> dict[str, Any]:
    if not SAMPLES.exists():
        pytest.skip(f"recorded payloads not found at {SAMPLES}")
    return json.loads(SAMPLES.read_text(encoding="utf-8"))


def mapped(samples: dict[str, Any], name: str, can_read_all: bool = False) -> object:
    update = Update.de_json(samples[name], Bot("1:x"))
    return update_to_incoming(update, bot_username=BOT_USERNAME, bot_id=BOT_ID, bot_can_read_all=can_read_all)


def test_group_text_mentioning_the_bot(samples: dict[str, Any]) -> None:
    item = mapped(samples, "group_text_with_mention")
    assert isinstance(item, IncomingMessage)
    assert item.chat.kind is ChatKind.GROUP and item.chat.platform_chat_id == "-1001987654321"
    assert item.sender.display_name == "王小明" and item.mentions_bot and item.command is None
    assert item.update_key == "500000001"


def test_command_addressed_to_this_bot(samples: dict[str, Any]) -> None:
    item = mapped(samples, "group_command_with_botname")
    assert isinstance(item, IncomingMessage) and item.command == "notice" and item.args == ""


def test_command_for_another_bot_is_ignored(samples: dict[str, Any]) -> None:
    raw = json.loads(json.dumps(samples["group_command_with_botname"]).replace(BOT_USERNAME, "other_bot"))
    update = Update.de_json(raw, Bot("1:x"))
    assert update_to_incoming(update, bot_username=BOT_USERNAME, bot_id=BOT_ID, bot_can_read_all=False) is None


def test_button_press(samples: dict[str, Any]) -> None:
    item = mapped(samples, "callback_query_in_group")
    assert isinstance(item, IncomingCallback) and item.message_id == "122" and item.data


def test_bot_added_promoted_and_removed(samples: dict[str, Any]) -> None:
    added = mapped(samples, "my_chat_member_bot_added_to_basic_group")
    assert isinstance(added, BotMembership) and added.status is MembershipStatus.ADDED and not added.can_read_all
    promoted = mapped(samples, "my_chat_member_bot_promoted_admin")
    assert isinstance(promoted, BotMembership) and promoted.status is MembershipStatus.PROMOTED
    assert promoted.can_read_all
    removed = mapped(samples, "bot_removed_from_group")
    assert isinstance(removed, BotMembership) and removed.status is MembershipStatus.REMOVED


def test_privacy_off_means_reading_without_admin(samples: dict[str, Any]) -> None:
    added = mapped(samples, "my_chat_member_bot_added_to_basic_group", can_read_all=True)
    assert isinstance(added, BotMembership) and added.can_read_all


def test_service_messages_are_not_chat(samples: dict[str, Any]) -> None:
    assert mapped(samples, "service_message_new_chat_members_bot") is None
    assert mapped(samples, "human_joins_supergroup_service_message") is None
    assert mapped(samples, "chat_member_join_requires_admin_and_allowed_updates") is None


def test_group_upgraded_to_supergroup(samples: dict[str, Any]) -> None:
    moved = mapped(samples, "group_migrated_to_supergroup")
    assert isinstance(moved, ChatMoved) and moved.new_chat_id == "-1002222222222"


def test_every_sample_parses_and_maps_without_error(samples: dict[str, Any]) -> None:
    for name in samples:
        if not name.startswith("_"):
            mapped(samples, name)


@pytest.mark.parametrize(
    ("first", "last", "expected"), [("王", "小明", "王小明"), ("Li", "Wei", "Li Wei"), ("Zhao", None, "Zhao")]
)
def test_display_names(first: str, last: str | None, expected: str) -> None:
    from telegram import User

    assert display_name(User(1, first, False, last_name=last)) == expected
