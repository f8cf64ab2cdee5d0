"""The bot as a process of its own against a local Bot API server, for the benchmarks and the tests that kill it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from sandbox.server import LocalBotApi

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_environment(api: LocalBotApi, database_url: str, port: int) -> dict[str, str]:
    """What a bot process is started with: this server, this database, this port, and nothing else of ours."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": api.token or "",
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": database_url,
        "WEB_PORT": str(port),
    }


def start_bot_process(
    api: LocalBotApi,
    database_url: str,
    *,
    cwd: Path,
    port: int,
    log: Path | None = None,
    role: str | None = None,
    settings: dict[str, str] | None = None,
    python: str | None = None,
) -> subprocess.Popen[bytes]:
    """`python -m bot run` (as `role`, else all in one) on this database and server; its output goes to `log`.
    `settings` add to or override the environment (LOG_LEVEL is WARNING unless they say otherwise); `python` is
    the interpreter (this one unless given), the code always this checkout's."""
    ours = {"PYTHONPATH": str(REPO), "LOG_LEVEL": "WARNING"}
    env = bot_environment(api, database_url, port) | ours | (settings or {})
    command = [python or sys.executable, "-m", "bot", "run", *(("--role", role) if role else ())]
    out = log.open("wb") if log else None
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=out)


async def wait_ready(port: int, process: subprocess.Popen[bytes] | None = None, timeout: float = 60.0) -> None:
    """Until the process on `port` answers /readyz with 200; fails at once if `process` has exited."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the process on port {port} exited with {process.returncode}")
            try:
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"the process on port {port} did not become ready")


def stop_processes(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to those still running, then wait for each to exit."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(30)
