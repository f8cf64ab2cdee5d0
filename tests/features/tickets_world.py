"""A bound building group with its people, for the ticket transcripts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.db import unit_of_work
from handlers.common.org_import import import_tree, parse_org_file
from models.chats import bind_chat, ensure_chat
from models.people import Role
from models.places import place_by_code
from tests.features.harness import BotUnderTest, ChatView, Participant

TREE = """communities:
  - name: 阳光社区
    grids:
      - name: 第一网格
        buildings:
          - {name: 1号楼, units: 3}
          - {name: 2号楼, units: 2}
"""
B1, GRID, COMMUNITY = "阳光社区/第一网格/1号楼", "阳光社区/第一网格", "阳光社区"
B2 = "阳光社区/第一网格/2号楼"


@dataclass
class Building:
    group: ChatView
    resident: Participant
    neighbour: Participant
    head: Participant
    volunteer: Participant
    grid_worker: Participant
    staff: Participant


async def bind(bot: BotUnderTest, group: ChatView, code: str) -> None:
    async with unit_of_work(bot.runtime.sessions) as session:
        chat = await ensure_chat(
            session, platform="telegram", platform_chat_id=str(group.id), kind="group", title=group.chat.title or ""
        )
        place = await place_by_code(session, code=code)
        assert place is not None
        bind_chat(chat, place=place, person_id=None, now=datetime.now(UTC))


async def furnish(
    bot: BotUnderTest,
    tree: str | None,
    *,
    groups: Iterable[tuple[ChatView, str]],
    cast: Iterable[tuple[Participant, Role, str]],
) -> None:
    """Import the place tree (unless it is there already), bind each group to its place, and give each person their
    role; every one of them has opened a private chat with the bot, so it may write to them."""
    if tree is not None:
        async with unit_of_work(bot.runtime.sessions) as session:
            await import_tree(session, parse_org_file("t.yaml", tree))
    for group, code in groups:
        await bind(bot, group, code)
    for who, role, code in cast:
        bot.private(who)
        await bot.grant(who, role, code)


async def building(bot: BotUnderTest, tree: str = TREE) -> Building:
    """1号楼 with its group bound, a resident and a neighbour, its 楼栋长, a volunteer, the 网格员 and 社工."""
    world = Building(
        group=bot.group("1号楼业主群"),
        resident=bot.person("王小明"),
        neighbour=bot.person("刘阿姨"),
        head=bot.person("李楼长"),
        volunteer=bot.person("陈志愿"),
        grid_worker=bot.person("赵网格"),
        staff=bot.person("张社工"),
    )
    cast = (
        (world.resident, Role.RESIDENT, B1),
        (world.neighbour, Role.RESIDENT, B1),
        (world.head, Role.BUILDING_HEAD, B1),
        (world.volunteer, Role.VOLUNTEER, B1),
        (world.grid_worker, Role.GRID_WORKER, GRID),
        (world.staff, Role.STAFF, COMMUNITY),
    )
    await furnish(bot, tree, groups=[(world.group, B1)], cast=cast)
    return world
