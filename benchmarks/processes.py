"""The bot as a process of its own against a local Bot API server, for the benchmarks and the tests that kill it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from sandbox.server import LocalBotApi

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_bot_process(
    api: LocalBotApi,
    database_url: str,
    *,
    cwd: Path,
    port: int,
    log: Path | None = None,
    role: str | None = None,
    settings: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """`python -m bot run` (as `role`, else all in one) on this database and server; its output goes to `log`.
    `settings` add to or override the environment (LOG_LEVEL is WARNING unless they say otherwise)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "TELEGRAM_BOT_TOKEN": api.token or "",
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": database_url,
        "WEB_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    } | (settings or {})
    command = [sys.executable, "-m", "bot", "run", *(("--role", role) if role else ())]
    out = log.open("wb") if log else None
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=out)
