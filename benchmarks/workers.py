"""Updates/s of 1 worker process and of 2 on PostgreSQL, on the ticket-creating mix, in one run.

Each phase starts from an empty database at the newest schema with the same 200 bound building groups (a 楼栋长
each), starts K real `python -m bot run --role worker` processes against the local Bot API and waits until they are
ready; then the clock starts and the same N updates — residents reporting things that open or +1 tickets, in
random groups — are written to the inbox at once, as the web or polling role would have stored them; the clock stops
when no update is pending. The workers' replies stay in the outbox (no sender runs: sending is measured by
`benchmarks/broadcast.py`).

Where the time goes: the CPU seconds each worker process and each PostgreSQL backend spent during the phase, over
its wall time (a worker at ~100% is bound by its own CPU; at less, it waits for the database or for the machine);
the backends are counted from their start, as they do next to nothing before the clock starts.

The phases run in the order 1, 2, 2, 1 workers after an untimed warm-up, and each is printed: the first phase of a
run used to be the one-worker phase, on PostgreSQL's cold caches, and the ratio came out above 2 on 2 cores.

Usage: python benchmarks/workers.py [N] [--groups G]   (default 3000 updates, 200 groups)
Database: BENCH_DATABASE_URL or TEST_DATABASE_URL (PostgreSQL; a database the benchmark may wipe).
Prints `workers: 1 → N/s, 2 → M/s, ratio R`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.ingest import REQUESTS, TOKEN, Evening, empty_postgres, seed_groups, utc_now
from benchmarks.processes import free_port, start_bot_process, stop_processes, wait_ready
from bot.db import SessionFactory, create_engine, session_factory, unit_of_work
from bot.intake import arrival
from bot.migrate import upgrade
from models.inbox import InboxStatus, add_to_inbox, count_inbox
from models.tickets import Ticket
from sandbox.server import LocalBotApi

BOT_ID = int(TOKEN.split(":")[0])
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def reports(evening: Evening, n: int) -> list[dict[str, Any]]:
    """`n` residents' reports in random groups (a few kinds of trouble: many open a ticket, the rest +1 one)."""
    updates = []
    for _ in range(n):
        group = evening.random.choice(evening.groups)
        words = evening.random.choice(REQUESTS).format(unit=evening.random.randint(1, 4))
        updates.append(evening.message(group, evening.random.choice(group.residents), words))
    return updates


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process on this machine so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class Phase:
    """One phase's figures: updates, seconds, tickets opened, CPU seconds of the workers and of their backends."""

    workers: int
    updates: int
    seconds: float
    tickets: int
    worker_cpu: list[float]
    database_cpu: float

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def details(self) -> str:
        busy = ", ".join(f"{cpu / self.seconds:.0%}" for cpu in self.worker_cpu)
        return (
            f"  {self.workers} worker(s): {self.updates} updates in {self.seconds:.1f} s, {self.tickets} tickets; "
            f"CPU busy: worker(s) {busy}, PostgreSQL backends {self.database_cpu / self.seconds:.0%}"
        )


async def backend_pids(sessions: SessionFactory) -> list[int]:
    """The PostgreSQL backends of every other connection to this database (the workers')."""
    async with sessions() as session:
        query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return [int(pid) for pid in (await session.exec(query)).scalars()]  # type: ignore[call-overload]


async def wait_until_done(sessions: SessionFactory) -> None:
    """Until no update in the inbox is pending."""
    while True:
        async with sessions() as session:
            if not (await count_inbox(session)).get(InboxStatus.PENDING, 0):
                return
        await asyncio.sleep(0.05)


async def phase(url: str, workers: int, n: int, groups: int, workdir: Path) -> Phase:
    """The mix through `workers` worker processes, from an empty database (already migrated)."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        async with LocalBotApi(token=TOKEN, can_read_all_group_messages=True) as api:
            evening = Evening(await seed_groups(sessions, groups))
            updates = reports(evening, n)
            ports = [free_port() for _ in range(workers)]
            processes = [
                start_bot_process(
                    api, url, cwd=workdir, port=port, log=workdir / f"worker{workers}-{k}.log", role="worker"
                )
                for k, port in enumerate(ports)
            ]
            await asyncio.gather(
                *(wait_ready(port, process, timeout=90.0) for port, process in zip(ports, processes, strict=True))
            )
            rows = [arrival(BOT_ID, update, utc_now()) for update in updates]
            cpu_before = [cpu_seconds(p.pid) for p in processes]
            start = time.perf_counter()
            async with unit_of_work(sessions) as session:
                await add_to_inbox(session, rows)
            await wait_until_done(sessions)
            seconds = time.perf_counter() - start
            worker_cpu = [cpu_seconds(p.pid) - before for p, before in zip(processes, cpu_before, strict=True)]
            database_cpu = sum(cpu_seconds(pid) for pid in await backend_pids(sessions))  # idle until the clock
        async with sessions() as session:
            tickets = len((await session.exec(Ticket.__table__.select())).all())  # type: ignore[attr-defined]
    finally:
        stop_processes(processes)
        await engine.dispose()
    return Phase(workers, n, seconds, tickets, worker_cpu, database_cpu)


ORDER = (1, 2, 2, 1)  # each worker count once early and once late, so neither gains from what ran before it


def measure(url: str, n: int, groups: int, counts: tuple[int, ...] = ORDER, warm_up: bool = True) -> list[Phase]:
    """Each phase on a database emptied and migrated afresh; the same updates every time. First, untimed, a tenth
    of the updates through one worker, so the first timed phase does not pay alone for PostgreSQL's cold caches."""
    phases: list[Phase] = []
    sizes = ([(1, max(1, n // 10))] if warm_up else []) + [(workers, n) for workers in counts]
    with tempfile.TemporaryDirectory() as tmp:
        for workers, updates in sizes:
            asyncio.run(empty_postgres(url))
            upgrade(url)
            phases.append(asyncio.run(phase(url, workers, updates, groups, Path(tmp))))
    return phases[1:] if warm_up else phases


def mean_rate(phases: list[Phase], workers: int) -> float:
    """Updates/s of the phases with `workers` workers, over their total time."""
    chosen = [p for p in phases if p.workers == workers]
    return sum(p.updates for p in chosen) / sum(p.seconds for p in chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("updates", nargs="?", type=int, default=3000)
    parser.add_argument("--groups", type=int, default=200)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgres"):
        raise SystemExit("workers.py needs PostgreSQL: set BENCH_DATABASE_URL (a database it may wipe)")
    phases = measure(url, args.updates, args.groups)
    for measured in phases:
        print(measured.details())
    one, two = mean_rate(phases, 1), mean_rate(phases, 2)
    print(f"workers: 1 → {one:.0f}/s, 2 → {two:.0f}/s, ratio {two / one:.2f}  (phases in the order {ORDER})")


if __name__ == "__main__":
    main()
