"""A bounded crash campaign (the full one is `benchmarks/crash_intake.py`): kill -9 during a stream of reports,
awards by reply and a broadcast, in polling and in webhook mode; nothing is lost and nothing happens twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.crash_intake import campaign


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_kill_9_during_a_stream_loses_and_doubles_nothing(database_url: str, tmp_path: Path, mode: str) -> None:
    result = await campaign(database_url, tmp_path, mode=mode, groups=12, awards=5, kills=3, life=(1.5, 3.5))
    print(result.report())
    for name, tally in result.tallies.items():
        assert (tally.lost, tally.duplicated) == (0, 0), f"{name}: {result.report()}"
    assert result.inbox.get("set_aside", 0) == 0 and result.inbox.get("pending", 0) == 0
