"""`make run` with no token: the sandbox page is served within 10 s, the real bot answers in it, and a second start
on the same database goes on where the first stopped (its chats, messages and counters are kept beside it)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.processes import free_port
from tests.conftest import ON_POSTGRES

REPO = Path(__file__).resolve().parents[2]
GROUP, RESIDENT, STAFF = -1001000000001, 7001001, 7001005


class Page:
    """What the sandbox page does, over its JSON endpoints."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.api = http, f"{base}/sandbox/api"

    async def state(self) -> dict[str, Any]:
        async with self.http.get(f"{self.api}/state") as response:
            return dict(await response.json())

    async def say(self, user: int, text: str, reply_to: int | None = None) -> int:
        body: dict[str, Any] = {"chat_id": GROUP, "user_id": user, "text": text}
        if reply_to is not None:
            body["reply_to_message_id"] = reply_to
        async with self.http.post(f"{self.api}/say", json=body) as response:
            assert response.status == 200, await response.text()
            return int((await response.json())["message_id"])

    async def photo(self, user: int, caption: str) -> None:
        form = aiohttp.FormData()
        form.add_field("chat_id", str(GROUP))
        form.add_field("user_id", str(user))
        form.add_field("caption", caption)
        form.add_field("photo", b"\x89PNG\r\n\x1a\n-a-photo", filename="corridor.jpg", content_type="image/jpeg")
        async with self.http.post(f"{self.api}/photo", data=form) as response:
            assert response.status == 200, await response.text()

    async def bot_says(self, contains: str, after: int = 0, within: float = 10.0) -> str:
        """The first bot message after message `after` in the group that contains `contains`."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for message in (await self.state())["messages"]:
                if message["chat_id"] != GROUP or message["message_id"] <= after or not message["from"]["is_bot"]:
                    continue
                if contains in (message.get("text") or ""):
                    return str(message["text"])
            await asyncio.sleep(0.1)
        raise AssertionError(f"no bot message containing {contains!r} within {within} s")


@asynccontextmanager
async def sandbox(
    workdir: Path, database: str, *, stop: signal.Signals = signal.SIGTERM, locale: str = "zh", within: float = 10
) -> AsyncIterator[Page]:
    """`python -m bot run` with no token, as `make run` starts it (speaking ``locale``); its page ready within
    ``within`` seconds (10: what `make run` promises)."""
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "WEB_PORT": str(port), "DATABASE_URL": database}
    env["LOCALE"] = locale
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: ASYNC220 - the bot under test is a real child process
        [sys.executable, "-m", "bot", "run"], cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            page = ""
            while time.monotonic() - started < within:
                try:
                    async with http.get(f"{base}/") as response:
                        page = await response.text()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.2)
            if "<html" not in page.lower():
                process.kill()
                raise AssertionError(f"sandbox page not served within {within} s:\n{process.communicate()[0].decode()}")
            yield Page(http, base)
    finally:
        process.send_signal(stop)
        output = process.communicate(timeout=20)[0].decode()
    if stop == signal.SIGTERM:
        assert process.returncode == 0, output
        assert "sandbox ready" in output


async def test_sandbox_serves_the_chat_page_and_keeps_its_world_across_restarts(
    tmp_path: Path, database_url: str
) -> None:
    """On PostgreSQL the emptied test database; on SQLite a file the sandbox migrates. Three starts on it: stopped
    cleanly, then killed, then started again — each answers at once and shows what came before."""
    database = database_url if ON_POSTGRES else f"sqlite:///{tmp_path}/sandbox.db"
    async with sandbox(tmp_path, database) as page:
        asked = await page.say(RESIDENT, "/help")
        assert "/help" in await page.bot_says("邻里", after=asked)
        async with page.http.post(f"{page.api}/say", json={"chat_id": GROUP, "user_id": 1}) as response:
            assert response.status == 400
        thanks = await page.say(RESIDENT, "我把楼道的雪扫了")
        await page.say(STAFF, "加分 5 扫雪", reply_to=thanks)  # 加分 by reply, as the README describes
        assert "王小明 +5 分：扫雪" in await page.bot_says("+5 分", after=thanks)
        shown = len((await page.state())["messages"])

    async with sandbox(tmp_path, database, stop=signal.SIGKILL) as page:
        state = await page.state()
        assert len(state["messages"]) >= shown  # the page shows the first run's chat
        last = max(m["message_id"] for m in state["messages"] if m["chat_id"] == GROUP)
        asked = await page.say(RESIDENT, "/help")
        assert asked == last + 1
        await page.bot_says("邻里", after=asked, within=5)
        await page.photo(RESIDENT, "随手拍 2单元楼道灯坏了，晚上很黑")
        await page.bot_says("工单 #1", after=asked)

    async with sandbox(tmp_path, database) as page:
        asked = await page.say(RESIDENT, "帮助")
        await page.bot_says("邻里", after=asked, within=5)
        assert any("随手拍" in (m.get("text") or "") for m in (await page.state())["messages"])
