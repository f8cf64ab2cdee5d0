"""Start → ready and memory of one all-in-one bot process (`python -m bot run`, every role, polling the local Bot
API): seconds from spawning it until /readyz answers 200 (the server listens, the command menus are set and polling
has begun; /healthz answers a little before, once the server listens), the processor time it used by then (what the
wall time is on an idle machine; it does not grow with the load of a shared one), and its resident memory then.
Goal: ≤ 1.5 s and ≤ 150 MB.

In the same run, alternating with the bot's starts, it starts the baseline `benchmarks/bare_bot.py` (PTB polling, one
command menu, an engine, a scheduler and /readyz, nothing of ours) and prints the bot's start as a ratio of it: the
seconds move with the host's speed (by up to a third within an hour here), and the baseline started in the same
minutes tells a slow host from a slow bot.

Usage: python benchmarks/startup.py [--runs N] [--database-url URL] [--python PATH]   (default 5 runs, a migrated
temporary SQLite file, this interpreter; prints the median and the worst run)

`--python` starts the bot with another interpreter, still on this checkout's code: that of a production install
(`python -m venv /tmp/prod && /tmp/prod/bin/pip install .`, no dev extras) measures the start a deployment has.
In the dev venv httpx also imports click and rich (import-linter's), which it finds installed: ~4% more.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.processes import REPO, bot_environment, free_port, start_bot_process
from bot.migrate import upgrade
from sandbox.server import LocalBotApi

TOKEN = "123456:startup-token-for-the-local-server"
GOAL_SECONDS, GOAL_MB = 1.5, 150
Popen = subprocess.Popen[bytes]


@dataclass
class Start:
    seconds: float
    cpu_seconds: float
    rss_mb: float


def rss_mb(pid: int) -> float:
    """The process's resident memory (VmRSS) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """The processor time (user and system) the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14 and 15


def start_bare_bot(api: LocalBotApi, database_url: str, *, cwd: Path, port: int, python: str | None) -> Popen:
    """The baseline bot (benchmarks/bare_bot.py) on this database and server."""
    command = [python or sys.executable, str(REPO / "benchmarks" / "bare_bot.py")]
    env = bot_environment(api, database_url, port)
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL)


async def start_once(spawn: Callable[[int], Popen]) -> Start:
    """Spawn a process, wait for its /readyz 200, read its memory, stop it with SIGTERM."""
    port = free_port()
    started = time.perf_counter()
    process = spawn(port)
    try:
        async with httpx.AsyncClient() as http:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the process exited with {process.returncode} before it was ready")
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/readyz", timeout=1)).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.01)
        ready = time.perf_counter() - started
        return Start(ready, cpu_seconds(process.pid), rss_mb(process.pid))
    finally:
        process.terminate()
        process.wait(30)


async def measure(database_url: str, runs: int, workdir: Path, python: str | None) -> tuple[list[Start], list[Start]]:
    """`runs` starts of the bot and of the baseline, taking turns; the first of each (which also compiles bytecode)
    is not counted."""
    async with LocalBotApi(token=TOKEN, can_read_all_group_messages=True) as api:

        def bot(port: int) -> Popen:
            return start_bot_process(api, database_url, cwd=workdir, port=port, python=python)

        def bare(port: int) -> Popen:
            return start_bare_bot(api, database_url, cwd=workdir, port=port, python=python)

        await start_once(bot)
        await start_once(bare)
        bots, bares = [], []
        for _ in range(runs):
            bots.append(await start_once(bot))
            bares.append(await start_once(bare))
        return bots, bares


def report(starts: list[Start], baseline: list[Start]) -> str:
    seconds = [s.seconds for s in starts]
    memory = [s.rss_mb for s in starts]
    ready, bare = statistics.median(seconds), statistics.median(s.seconds for s in baseline)
    return (
        f"startup: ready in {ready:.2f} s (worst {max(seconds):.2f}, goal ≤ {GOAL_SECONDS}), "
        f"{statistics.median(s.cpu_seconds for s in starts):.2f} s of CPU, "
        f"RSS {statistics.median(memory):.0f} MB (worst {max(memory):.0f}, goal ≤ {GOAL_MB}); "
        f"bare bot on the named stack {bare:.2f} s, "
        f"RSS {statistics.median(s.rss_mb for s in baseline):.0f} MB; ratio {ready / bare:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--python", help="the bot's interpreter (default: this one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/startup.db"
        upgrade(url)
        starts, baseline = asyncio.run(measure(url, args.runs, Path(tmp), args.python))
        print(report(starts, baseline), flush=True)


if __name__ == "__main__":
    main()
