"""Contract: recorded Telegram payloads, as the inbox stores them, become the right neutral items."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bot.intake import checked_update
from bot.telegram import display_name, update_to_incoming
from handlers.core.types import (
    BotMembership,
    ChatKind,
    ChatMoved,
    ChatRef,
    IncomingCallback,
    IncomingMessage,
    MembershipStatus,
)
from tests.fixtures import TELEGRAM_UPDATE_SAMPLES

SAMPLES = TELEGRAM_UPDATE_SAMPLES
BOT_USERNAME, BOT_ID = "community_helper_bot", 8000000001


@pytest.fixture(scope="module")
def samples() -> dict[str, Any]:
    return json.loads(SAMPLES.read_text(encoding="utf-8"))


def read(update: dict[str, Any], can_read_all: bool = False) -> object:
    """The neutral item of an update as the inbox has it: checked (and cleaned) on arrival, then mapped."""
    stored = checked_update(copy.deepcopy(update))
    return update_to_incoming(stored, bot_username=BOT_USERNAME, bot_id=BOT_ID, bot_can_read_all=can_read_all)


def mapped(samples: dict[str, Any], name: str, can_read_all: bool = False) -> object:
    return read(samples[name], can_read_all)


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
    assert read(raw) is None


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
    first, second = mapped(samples, name), read(changed)
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
    other_bot = update_to_incoming(raw, bot_username="x", bot_id=1, bot_can_read_all=False)
    later = copy.deepcopy(raw)
    later["message"]["message_id"] += 1
    edited = {"update_id": raw["update_id"] + 1, "edited_message": raw["message"] | {"edit_date": 1735000100}}
    edit = read(edited)
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
    assert display_name({"id": 1, "is_bot": False, "first_name": first, "last_name": last}) == expected


def message_like(samples: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The recorded group message with `changes` to its message (a key set to None is dropped)."""
    update = copy.deepcopy(samples["group_text_with_mention"])
    update["message"] |= changes
    update["message"] = {key: value for key, value in update["message"].items() if value is not None}
    return update


BOT = {"id": BOT_ID, "is_bot": True, "first_name": "Community Helper", "username": BOT_USERNAME}
NEIGHBOUR = {"id": 7001009, "is_bot": False, "first_name": "Li", "last_name": "Wei", "username": "liwei"}


def photo(file_id: str, side: int) -> dict[str, Any]:
    return {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": side, "height": side}


def test_a_photo_brings_its_largest_size_and_its_caption_as_text(samples: dict[str, Any]) -> None:
    sizes = [photo("small", 90), photo("large", 1280)]
    caption = "/report@community_helper_bot 楼道灯坏了"
    item = read(message_like(samples, text=None, photo=sizes, caption=caption))
    assert isinstance(item, IncomingMessage) and item.photos == ("large",) and item.text == caption
    assert item.command == "report" and item.args == "楼道灯坏了" and item.mentions_bot


def test_a_reply_names_the_message_and_its_author(samples: dict[str, Any]) -> None:
    chat = samples["group_text_with_mention"]["message"]["chat"]
    to_neighbour = {"message_id": 77, "date": 1735000000, "chat": chat, "from": NEIGHBOUR, "text": "几点？"}
    item = read(message_like(samples, text="八点", reply_to_message=to_neighbour))
    assert isinstance(item, IncomingMessage) and item.reply_to_message_id == "77" and not item.mentions_bot
    assert item.reply_to_sender is not None and item.reply_to_sender.display_name == "Li Wei"
    assert item.reply_to_sender.username == "liwei" and not item.reply_to_sender.is_bot
    anonymous = read(message_like(samples, text="八点", reply_to_message=to_neighbour | {"from": None}))
    assert isinstance(anonymous, IncomingMessage) and anonymous.reply_to_sender is None


def test_answering_the_bot_mentions_it(samples: dict[str, Any]) -> None:
    chat = samples["group_text_with_mention"]["message"]["chat"]
    card = {"message_id": 78, "date": 1735000000, "chat": chat, "from": BOT, "text": "工单"}
    item = read(message_like(samples, text="好的", reply_to_message=card))
    assert isinstance(item, IncomingMessage) and item.mentions_bot and item.reply_to_sender is not None
    assert not read_plain(samples, "好的").mentions_bot


def read_plain(samples: dict[str, Any], text: str) -> IncomingMessage:
    item = read(message_like(samples, text=text))
    assert isinstance(item, IncomingMessage)
    return item


def test_forwarded_edited_and_private_messages(samples: dict[str, Any]) -> None:
    origin = {"type": "hidden_user", "date": 1734000000, "sender_user_name": "某人"}
    forwarded = read(message_like(samples, forward_origin=origin))
    assert isinstance(forwarded, IncomingMessage) and forwarded.is_forwarded and not forwarded.is_edit
    assert not read_plain(samples, "你好").is_forwarded
    recorded = samples["group_text_with_mention"]
    edited = read({"update_id": 1, "edited_message": recorded["message"] | {"edit_date": 1735000100}})
    assert isinstance(edited, IncomingMessage) and edited.is_edit and edited.update_key.endswith(":edit:1735000100")
    private = read(message_like(samples, chat={"id": 7001001, "type": "private", "first_name": "王"}, text="积分"))
    assert isinstance(private, IncomingMessage) and private.chat == ChatRef("telegram", "7001001", ChatKind.PRIVATE)


def test_channels_bots_and_members_leaving_are_ignored(samples: dict[str, Any]) -> None:
    assert read(message_like(samples, chat={"id": -1001, "type": "channel", "title": "公告"})) is None
    assert read(message_like(samples, **{"from": BOT})) is None
    assert read(message_like(samples, **{"from": None})) is None
    assert read(message_like(samples, left_chat_member=NEIGHBOUR)) is None


def test_a_press_on_a_message_too_old_to_read_still_names_its_chat(samples: dict[str, Any]) -> None:
    press = copy.deepcopy(samples["callback_query_in_group"])
    shown = press["callback_query"]["message"]
    press["callback_query"]["message"] = {"chat": shown["chat"], "message_id": 5, "date": 0}  # InaccessibleMessage
    item = read(press)
    assert isinstance(item, IncomingCallback) and item.message_id == "5" and item.chat.kind is ChatKind.GROUP
    del press["callback_query"]["message"]
    assert read(press) is None
