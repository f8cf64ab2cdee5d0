"""A small fuzz run (the full one is `benchmarks/fuzz_intake.py`): odd updates through getUpdates and the webhook
never escape as errors, never stall the inbox, and leave the bot answering; apologies stay at one a chat a minute."""

from __future__ import annotations

import logging

import pytest
import structlog

from benchmarks.fuzz_intake import fuzz, passed


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_odd_updates_neither_crash_nor_stall_nor_flood(database_url: str, mode: str) -> None:
    try:
        result = await fuzz(database_url, mode, 400)
    finally:
        logging.getLogger().handlers.clear()
        structlog.reset_defaults()
    assert passed(result), result
    assert result["inbox"].get("set_aside", 0) > 100 and not result["inbox"].get("pending"), result
    if mode == "webhook":
        assert set(result["webhook_statuses"]) == {200}, result
