"""Contract: recorded Telegram payloads become the right neutral items (PTB parses, we map)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from telegram import Bot, Update

from bot.telegram import display_name, update_to_incoming
from handlers.core.types import BotMembership, ChatKind, ChatMoved, IncomingCallback, IncomingMessage, MembershipStatus
from tests.fixtures import TELEGRAM_UPDATE_SAMPLES

SAMPLES = TELEGRAM_UPDATE_SAMPLES
BOT_USERNAME, BOT_ID = "community_helper_bot", 8000000001


@pytest.fixture(scope="module")
def samples() -> dict[str, Any]:
    return json.loads(SAMPLES.read_text(encoding="utf-8"))


def mapped(samples: dict[str, Any], name: str, can_read_all: bool = False) -> object:
    update = Update.de_json(samples[name], Bot("1:x"))
    return update_to_incoming(update, bot_username=BOT_USERNAME, bot_id=BOT_ID, bot_can_read_all=can_read_all)


def test_group_text_mentioning_the_bot(samples: dict[str, Any]) -> None:
    item = mapped(samples, "group_text_with_mention")
    assert isinstance(item, IncomingMessage)
    assert item.chat.kind is ChatKind.GROUP and item.chat.platform_chat_id == "-1001987654321"
    assert item.sender.display_name == "王小明" and item.mentions_bot and item.command is None
    assert item.update_key == "8000000001:msg:-1001987654321:120"


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


def keys_of(samples: dict[str, Any], name: str, **changes: Any) -> tuple[str, str]:
    """The dedupe key of a sample as recorded, and of the same sample with `changes` to its update."""
    changed = copy.deepcopy(samples[name]) | changes
    first, second = (
        mapped(samples, name),
        update_to_incoming(
            Update.de_json(changed, Bot("1:x")), bot_username=BOT_USERNAME, bot_id=BOT_ID, bot_can_read_all=False
        ),
    )
    assert first is not None and second is not None
    return first.update_key, second.update_key


@pytest.mark.parametrize(
    "name", ["group_text_with_mention", "callback_query_in_group", "my_chat_member_bot_added_to_basic_group"]
)
def test_the_dedupe_key_is_what_the_update_carries_not_its_update_id(samples: dict[str, Any], name: str) -> None:
    """Telegram restarts update ids (after a quiet week; a second sandbox start counts from the same number):
    the same message under another update id is still the same message, a new one never looks processed."""
    recorded, renumbered = keys_of(samples, name, update_id=1)
    assert recorded == renumbered and str(samples[name]["update_id"]) not in recorded


def test_dedupe_keys_differ_per_bot_per_message_and_per_edit(samples: dict[str, Any]) -> None:
    raw = samples["group_text_with_mention"]
    message = mapped(samples, "group_text_with_mention")
    other_bot = update_to_incoming(Update.de_json(raw, Bot("1:x")), bot_username="x", bot_id=1, bot_can_read_all=False)
    later = copy.deepcopy(raw)
    later["message"]["message_id"] += 1
    edited = {"update_id": raw["update_id"] + 1, "edited_message": raw["message"] | {"edit_date": 1735000100}}
    edit = update_to_incoming(
        Update.de_json(edited, Bot("1:x")), bot_username=BOT_USERNAME, bot_id=BOT_ID, bot_can_read_all=False
    )
    keys = {
        message.update_key if message else "",
        other_bot.update_key if other_bot else "",
        keys_of(samples, "group_text_with_mention", message=later["message"])[1],
        edit.update_key if edit else "",
    }
    assert len(keys) == 4 and "" not in keys


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
