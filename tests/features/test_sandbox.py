"""`make run` with no token: the sandbox page is served within 10 s and the real bot answers in it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from tests.conftest import ON_POSTGRES

REPO = Path(__file__).resolve().parents[2]
GROUP, RESIDENT = -1001000000001, 7001001


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def bot_reply(http: aiohttp.ClientSession, base: str, contains: str) -> str:
    for _ in range(100):
        async with http.get(f"{base}/sandbox/api/state") as response:
            state = await response.json()
        for message in state["messages"]:
            if message["from"]["is_bot"] and contains in (message.get("text") or ""):
                return str(message["text"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"no bot message containing {contains!r}")


async def test_sandbox_serves_the_chat_page_and_the_bot_answers(tmp_path: Path, database_url: str) -> None:
    """On PostgreSQL the emptied test database (the sandbox's update ids start afresh each run, so rows a previous
    test left in processed_update would swallow its updates as duplicates); on SQLite a file the sandbox migrates."""
    port = free_port()
    database = database_url if ON_POSTGRES else f"sqlite:///{tmp_path}/sandbox.db"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "WEB_PORT": str(port), "DATABASE_URL": database}
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: ASYNC220 - the bot under test is a real child process
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            page = ""
            while time.monotonic() - started < 10:
                try:
                    async with http.get(f"{base}/") as response:
                        page = await response.text()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.2)
            assert "<html" in page.lower(), "sandbox page not served within 10 s"
            say = {"chat_id": GROUP, "user_id": RESIDENT, "text": "/help"}
            async with http.post(f"{base}/sandbox/api/say", json=say) as response:
                assert response.status == 200
            assert "/help" in await bot_reply(http, base, "邻里")
            async with http.post(f"{base}/sandbox/api/say", json={"chat_id": GROUP, "user_id": 1}) as response:
                assert response.status == 400
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    assert process.returncode == 0, output
    assert "sandbox ready" in output
