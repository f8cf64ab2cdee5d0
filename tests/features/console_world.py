"""Two grids of one community, their people, and a browser-less client of the console (cookies by hand)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import aiohttp

from models.people import Role
from tests.features.harness import BotUnderTest, ChatView, Participant
from tests.features.tickets_world import Building, building, furnish

TREE = """communities:
  - name: 阳光社区
    grids:
      - name: 第一网格
        buildings:
          - {name: 1号楼, units: 3}
      - name: 第二网格
        buildings:
          - {name: 5号楼, units: 2}
"""
B1, B5 = "阳光社区/第一网格/1号楼", "阳光社区/第二网格/5号楼"
GRID2, COMMUNITY = "阳光社区/第二网格", "阳光社区"
LINK = re.compile(r"https?://[^/\s]+(/console/login/[A-Za-z0-9_-]+)")


@dataclass
class Office(Building):
    """The ticket world's 1号楼 (its people on the first grid) and 5号楼 on the second grid, with its group, a
    resident and its own grid worker."""

    group5: ChatView
    resident5: Participant
    grid2: Participant


async def office(bot: BotUnderTest) -> Office:
    base = await building(bot, TREE)
    world = Office(
        **vars(base), group5=bot.group("5号楼业主群"), resident5=bot.person("孙大妈"), grid2=bot.person("钱网格")
    )
    cast = ((world.resident5, Role.RESIDENT, B5), (world.grid2, Role.GRID_WORKER, GRID2))
    await furnish(bot, None, groups=[(world.group5, B5)], cast=cast)
    return world


async def login_path(bot: BotUnderTest, who: Participant) -> str:
    """Ask the bot for a console link privately; the link's path (the host is the test's own web port)."""
    chat = bot.private(who)
    await who.says(chat, "工作台")
    for _ in range(10):  # reminders and escalations may arrive in the same private chat first
        found = LINK.search((await chat.expect_message()).text or "")
        if found is not None:
            return found.group(1)
    raise AssertionError("no console link in the private chat")


@dataclass
class ConsoleClient:
    """What a browser does with the console's cookie, by hand: no jar, so each test says exactly what it sends."""

    http: aiohttp.ClientSession
    base: str
    cookie: str = ""

    async def get(self, path: str, **params: str) -> tuple[int, str]:
        status, _, body = await self.get_bytes(path, **params)
        return status, body.decode("utf-8-sig", "replace")

    async def get_bytes(self, path: str, **params: str) -> tuple[int, dict[str, str], bytes]:
        """The answer as it came: status, headers and the body's bytes (images, files)."""
        headers = {"Cookie": f"linli_console={self.cookie}"} if self.cookie else {}
        async with self.http.get(self.base + path, params=params, headers=headers, allow_redirects=False) as r:
            return r.status, dict(r.headers), await r.read()

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        headers = {"Cookie": f"linli_console={self.cookie}"} if self.cookie else {}
        async with self.http.post(self.base + path, data=data, headers=headers, allow_redirects=False) as r:
            return r.status, r.headers.get("Location", ""), await r.text()

    async def sign_in(self, path: str) -> int:
        async with self.http.get(self.base + path, allow_redirects=False) as response:
            morsel = response.cookies.get("linli_console")
            if morsel is not None:
                assert morsel["httponly"] and morsel["secure"] and morsel["samesite"] == "Lax"
                self.cookie = morsel.value
            return response.status


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)
