"""The ingest benchmark, tiny (the figures come from `python benchmarks/ingest.py`): the evening's mix goes through
the real handlers and the naive bot on the same database, and both leave what they should."""

from __future__ import annotations

from benchmarks.ingest import measure


async def test_the_evening_replays_through_linli_and_the_naive_bot(database_url: str) -> None:
    figures = await measure(database_url, 300, groups=10)
    print(figures.line())
    assert set(figures.kinds) == {"chatter", "request", "confirm", "rsvp", "command"}
    assert figures.inbox == {"done": 10 * 12 + 10 + 300 + 300}  # first words, a report a group, warm-up, evening
    assert figures.tickets > 10 and figures.outbox > figures.tickets
    assert figures.naive_rows == 300 + 300
    assert figures.linli > 0 and figures.naive > 0
