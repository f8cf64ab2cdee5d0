"""The outbox sender's pure pacing: the per-bot pace, per-group minute windows, and backoff between retries."""

from __future__ import annotations

import random

import pytest

from bot.outbox_sender import GROUP_WINDOW_SECONDS, MAX_BACKOFF_SECONDS, backoff, bot_limit, group_limit
from models.send_windows import next_departure, recent


def test_the_bot_pace_spaces_departures_evenly_and_never_lets_more_than_rate_into_a_second() -> None:
    limit = bot_limit(2)  # one every 0.5 s, at most 2 in any 1.1 s
    assert next_departure([], 10.0, limit) == 10.0
    assert next_departure([10.0], 10.0, limit) == pytest.approx(10.5)
    assert next_departure([10.0, 10.5], 10.6, limit) == pytest.approx(11.1)  # the first must age out
    assert next_departure([10.0, 10.5], 11.2, limit) == 11.2
    assert recent([9.0, 10.0, 10.5], limit) == [10.0, 10.5]  # only what can still hold a booking back is kept


def test_a_group_may_have_twenty_departures_in_a_minute_then_waits_for_the_first_to_age_out() -> None:
    limit = group_limit(20)
    departures = [100.0 + n for n in range(20)]
    assert next_departure(departures[:19], 120.0, limit) == 120.0  # no spacing inside the minute
    assert next_departure(departures, 120.0, limit) == pytest.approx(100.0 + GROUP_WINDOW_SECONDS)
    assert next_departure(departures, 200.0, limit) == 200.0


def test_backoff_doubles_with_jitter_and_stops_at_five_minutes() -> None:
    random.seed(7)
    for attempts, base in ((1, 1.0), (2, 2.0), (3, 4.0), (9, 256.0), (10, MAX_BACKOFF_SECONDS), (30, 300.0)):
        for _ in range(20):
            assert 0.8 * base <= backoff(attempts) <= 1.2 * base
