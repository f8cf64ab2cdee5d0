"""The outbox sender's pure pacing: the per-bot pace, per-group minute windows, and backoff between retries."""

from __future__ import annotations

import random

import pytest

from bot.outbox_sender import GROUP_WINDOW_SECONDS, MAX_BACKOFF_SECONDS, backoff, bot_limit, group_limit
from models.send_windows import next_departure, recent


def test_the_bot_pace_spaces_departures_and_a_place_frees_a_second_after_its_answer() -> None:
    limit = bot_limit(2)  # one every 0.5 s, at most 2 arriving in any second
    assert next_departure([], 10.0, limit) == 10.0
    assert next_departure([[10.0, None]], 10.0, limit) == pytest.approx(10.5)
    assert next_departure([[10.0, None], [10.5, None]], 10.6, limit) is None  # neither answered: either may arrive
    assert next_departure([[10.0, 10.3], [10.5, None]], 10.6, limit) == pytest.approx(11.3)


def test_a_group_may_have_twenty_requests_in_a_minute_then_waits_a_minute_after_an_answer() -> None:
    limit = group_limit(20)
    answered = [[100.0 + n, 100.2 + n] for n in range(20)]
    assert next_departure(answered[:19], 120.0, limit) == 120.0  # no spacing inside the minute
    assert next_departure(answered, 120.0, limit) == pytest.approx(100.2 + GROUP_WINDOW_SECONDS)
    assert next_departure(answered, 200.0, limit) == 200.0
    assert recent(answered, 161.0, limit) == answered[1:]  # only what can still hold a booking back is kept


def test_backoff_doubles_with_jitter_and_stops_at_five_minutes() -> None:
    random.seed(7)
    for attempts, base in ((1, 1.0), (2, 2.0), (3, 4.0), (9, 256.0), (10, MAX_BACKOFF_SECONDS), (30, 300.0)):
        for _ in range(20):
            assert 0.8 * base <= backoff(attempts) <= 1.2 * base
