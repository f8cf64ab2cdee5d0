"""The outbox sender's pure pacing: the per-bot pace, per-group minute windows, and backoff between retries."""

from __future__ import annotations

import random

import pytest

from bot.outbox_sender import GROUP_WINDOW_SECONDS, MAX_BACKOFF_SECONDS, ChatWindows, Pacer, backoff


def test_the_pacer_spaces_requests_evenly_and_never_lets_more_than_rate_into_a_second() -> None:
    pacer = Pacer(rate=2, slack=0.05)  # one every 0.5 s, at most 2 in any 1.05 s
    assert pacer._wait_needed(10.0) == 0.0
    pacer._departures.append(10.0)
    assert pacer._wait_needed(10.0) == pytest.approx(0.5)
    pacer._departures.append(10.5)
    assert pacer._wait_needed(10.6) == pytest.approx(0.45)  # the window holds two: the first must age out
    assert pacer._wait_needed(11.2) == 0.0
    assert list(pacer._departures) == [10.5]  # departures older than the window are forgotten


async def test_the_pacer_records_each_departure() -> None:
    pacer = Pacer(rate=1000)
    for _ in range(3):
        await pacer.wait()
    assert len(pacer._departures) == 3


def test_group_windows_count_a_minute_per_group_and_private_chats_are_not_counted() -> None:
    windows = ChatWindows(per_minute=2)
    for at in (0.0, 1.0):
        assert windows.has_room("-100", True, at)
        windows.record("-100", True, at)
    assert not windows.has_room("-100", True, 2.0)
    assert windows.has_room("-200", True, 2.0)  # another group has its own minute
    assert windows.has_room("-100", True, GROUP_WINDOW_SECONDS + 0.1)  # the first send aged out
    windows.record("42", False, 3.0)
    assert windows.has_room("42", False, 3.0)


def test_a_chat_told_to_wait_has_no_room_until_then_even_a_private_one() -> None:
    windows = ChatWindows(per_minute=20)
    windows.block("42", until=10.0)
    windows.block("42", until=5.0)  # an earlier end never shortens the wait
    assert not windows.has_room("42", False, 9.9)
    assert windows.has_room("42", False, 10.0)


def test_backoff_doubles_with_jitter_and_stops_at_five_minutes() -> None:
    random.seed(7)
    for attempts, base in ((1, 1.0), (2, 2.0), (3, 4.0), (9, 256.0), (10, MAX_BACKOFF_SECONDS), (30, 300.0)):
        for _ in range(20):
            assert 0.8 * base <= backoff(attempts) <= 1.2 * base
