"""Long polling that loses nothing: a batch from getUpdates is written to the inbox before the next getUpdates
acknowledges it (Telegram forgets updates below the offset it is given), and errors back off instead of spinning.

PTB's own updater acknowledges a batch while it still waits in memory, and re-polls an unparseable batch forever;
this loop reads the raw JSON itself so one odd update is set aside, not fatal.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import httpx
import structlog

from bot.intake import INT64_MAX, Unparseable, arrival, arrival_of_body, decode_json, update_id_in
from models.inbox import Arrival

log = structlog.get_logger(__name__)
Store = Callable[[Sequence[Arrival]], Awaitable[int]]
Clock = Callable[[], datetime]
MAX_BACKOFF = 30.0


class PollFailed(Exception):
    """getUpdates gave no batch; `kind` says why (never a payload), `retry_after` what Telegram asked for."""

    def __init__(self, kind: str, retry_after: float | None = None) -> None:
        super().__init__(kind)
        self.kind, self.retry_after = kind, retry_after


def batch_of(answer: Any) -> list[Any]:
    """The updates of a getUpdates answer, or PollFailed."""
    if not isinstance(answer, dict):
        raise PollFailed("answer is not an object")
    if answer.get("ok") is not True:
        parameters = answer.get("parameters")
        retry = parameters.get("retry_after") if isinstance(parameters, dict) else None
        code = answer.get("error_code")
        raise PollFailed(f"error {code}", float(retry) if isinstance(retry, int | float) else None)
    result = answer.get("result")
    if not isinstance(result, list):
        raise PollFailed("result is not a list")
    return result


def next_offset(batch: Sequence[Any], offset: int | None) -> int | None:
    """One past the highest update id seen (updates without a readable id do not move it)."""
    ids = [
        u["update_id"]
        for u in batch
        if isinstance(u, dict) and isinstance(u.get("update_id"), int) and not isinstance(u.get("update_id"), bool)
    ]
    ids = [i for i in ids if 0 <= i < INT64_MAX]
    highest = max(ids, default=None)
    if highest is None:
        return offset
    return max(highest + 1, offset or 0)


class Poller:
    """Fetches updates with getUpdates and hands each batch to `store` before asking for the next one."""

    def __init__(
        self,
        *,
        api_url: str,
        bot_id: int,
        store: Store,
        clock: Clock,
        allowed_updates: Sequence[str],
        timeout: int = 10,
        min_backoff: float = 0.5,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._api_url, self._bot_id, self._store, self._clock = api_url, bot_id, store, clock
        self._allowed, self._timeout, self._min_backoff = list(allowed_updates), timeout, min_backoff
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout + 10.0, connect=10.0), verify=tls or True)
        self._task: asyncio.Task[None] | None = None
        self._storing: asyncio.Future[int] | None = None
        self._limit = 100
        self.offset: int | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="polling")

    async def stop(self) -> None:
        """Stop fetching; a batch being written is waited for (it was fetched, so it must be kept) before this
        returns and the database may go away."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._storing is not None:
            with contextlib.suppress(Exception):  # not acknowledged either way: Telegram sends it again
                await self._storing
        await self._http.aclose()

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self.poll_once()
                failures = 0
            except PollFailed as problem:
                failures += 1
                pause = problem.retry_after or min(MAX_BACKOFF, self._min_backoff * 2 ** (failures - 1))
                log.warning("polling.failed", error=problem.kind, attempt=failures, retry_in=round(pause, 1))
                await asyncio.sleep(pause)
            except Exception as error:  # the inbox's database: nothing was acknowledged, so nothing is lost
                failures += 1
                pause = min(MAX_BACKOFF, self._min_backoff * 2 ** (failures - 1))
                log.error("polling.store_failed", error=type(error).__name__, attempt=failures, retry_in=pause)
                await asyncio.sleep(pause)

    async def poll_once(self) -> int:
        """One getUpdates and the durable write of what it brought; returns how many updates it brought."""
        body = await self._fetch()
        try:
            batch = batch_of(decode_json(body))
        except Unparseable as problem:
            return await self._unreadable_answer(body, problem)
        now = self._clock()
        rows = [arrival(self._bot_id, update, now) for update in batch]
        await self._keep(rows)
        self.offset = next_offset(batch, self.offset)
        self._limit = 100
        return len(rows)

    async def _unreadable_answer(self, body: bytes, problem: Unparseable) -> int:
        """An answer that is not JSON at all: fetch one update at a time until the unreadable one is alone, keep it
        raw and move past it."""
        if self._limit > 1:
            self._limit = 1
            raise PollFailed(f"unreadable answer ({problem.reason}), fetching one by one")
        update_id = update_id_in(body)
        if update_id is None:
            raise PollFailed(f"unreadable answer ({problem.reason})")
        await self._keep([arrival_of_body(self._bot_id, body, self._clock())])
        self.offset = update_id + 1
        return 1

    async def _keep(self, rows: Sequence[Arrival]) -> None:
        """Store a fetched batch; being asked to stop meanwhile does not interrupt the write (`stop` waits)."""
        self._storing = asyncio.ensure_future(self._store(rows))
        await asyncio.shield(self._storing)
        self._storing = None

    async def _fetch(self) -> bytes:
        params: dict[str, Any] = {"timeout": self._timeout, "limit": self._limit, "allowed_updates": self._allowed}
        if self.offset is not None:
            params["offset"] = self.offset
        try:
            response = await self._http.post(f"{self._api_url}/getUpdates", json=params)
        except httpx.HTTPError as error:
            raise PollFailed(type(error).__name__) from None
        if response.status_code >= 500:
            raise PollFailed(f"HTTP {response.status_code}")
        return response.content
