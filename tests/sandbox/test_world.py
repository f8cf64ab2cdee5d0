"""The sandbox's world survives a restart: chats, members, messages, files and counters go on where they were."""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.server import LocalBotApi
from sandbox.world import SandboxWorld, world_path_for

GROUP, OTHER = -1001000000001, -1001000000002


def world_of(path: Path) -> tuple[LocalBotApi, SandboxWorld]:
    api, world = LocalBotApi(token="1:x"), SandboxWorld(path)
    world.load_into(api)
    return api, world


def test_everything_shown_and_every_counter_goes_on_after_a_restart(tmp_path: Path) -> None:
    first, world = world_of(tmp_path / "linli.sandbox.json")
    resident = first.user(7001001, "王小明")
    group = first.group(GROUP, "1号楼业主群")
    first.group(OTHER, "2号楼业主群")
    first.set_member_status(OTHER, first.bot.id, "left")
    first.private_chat(resident)
    world.keep(first)
    said = first.inject_message(group, resident, "3单元电梯坏了")
    photo = first.inject_message(group, resident, photo=b"\x89PNG-bytes", caption="随手拍", reply_to_message_id=1)
    first.set_member_status(OTHER, first.bot.id, "member")

    second, _ = world_of(tmp_path / "linli.sandbox.json")
    assert [m.text for m in second.messages(GROUP)] == ["3单元电梯坏了", "随手拍"]
    assert second.member_status(OTHER, second.bot.id) == "member" and OTHER not in second.removed_chats
    file_id = photo["message"]["photo"][-1]["file_id"]
    assert second.file_bytes(file_id) == b"\x89PNG-bytes"
    again = second.inject_message(second.chat(GROUP), resident, "还没人来修")
    assert again["message"]["message_id"] == 3
    assert again["update_id"] > photo["update_id"] > said["update_id"]
    assert second.pending_update_count == 3  # nothing was fetched: Telegram keeps unconfirmed updates too


def test_a_save_replaces_the_file_whole(tmp_path: Path) -> None:
    api, world = world_of(tmp_path / "w.json")
    world.keep(api)
    api.inject_message(api.group(GROUP, "群"), api.user(1, "甲"), "你好")
    assert json.loads((tmp_path / "w.json").read_text("utf-8"))["messages"][0]["message"]["text"] == "你好"
    assert not list(tmp_path.glob("*.partial"))


def test_the_world_lives_beside_its_database() -> None:
    assert world_path_for("sqlite:///data/linli.db") == Path("data/linli.sandbox.json")
    elsewhere = world_path_for("postgresql://u@h/db")
    assert elsewhere.parent == Path("data") and elsewhere != world_path_for("postgresql://u@h/other")
