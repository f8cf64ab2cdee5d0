"""The Bot API requests a start makes go together: a start waits for the slowest, and a failure is not hidden."""

from __future__ import annotations

import asyncio

import pytest
from telegram.error import InvalidToken

from bot.telegram import requests_at_once


async def test_independent_requests_run_at_the_same_time() -> None:
    running: list[str] = []
    both_running = asyncio.Event()

    async def request(name: str) -> None:
        running.append(name)
        if len(running) == 2:
            both_running.set()
        await asyncio.wait_for(both_running.wait(), 1)

    await requests_at_once(request("setMyCommands"), request("deleteWebhook"))
    assert sorted(running) == ["deleteWebhook", "setMyCommands"]


async def test_the_first_failure_is_raised_as_it_is_and_stops_the_others() -> None:
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def refused() -> None:
        raise InvalidToken("Not Found")

    with pytest.raises(InvalidToken):
        await requests_at_once(slow(), refused())
    assert cancelled.is_set()
