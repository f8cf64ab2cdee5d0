"""Pure ticket rules: transitions, deadlines, reminders and working hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.tickets.rules import Sla, WorkingHours, allowed, next_timer, parse_working_hours, start_stage
from models.tickets import Ticket, TicketStatus, Tier

SHANGHAI = ZoneInfo("Asia/Shanghai")
NINE = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


def ticket(status: TicketStatus = TicketStatus.REPORTED, category: str = "repair") -> Ticket:
    return Ticket(category=category, building_id=1, text="电梯坏了", reporter_id=1, status=status)


@pytest.mark.parametrize(
    ("action", "status", "ok"),
    [
        ("confirm", TicketStatus.REPORTED, True),
        ("confirm", TicketStatus.CONFIRMED, False),
        ("assign", TicketStatus.REOPENED, True),
        ("resolve", TicketStatus.REPORTED, False),
        ("verify", TicketStatus.RESOLVED, True),
        ("reopen", TicketStatus.VERIFIED, False),
    ],
)
def test_transitions(action: str, status: TicketStatus, ok: bool) -> None:
    assert allowed(action, status) is ok


def test_reminder_at_three_quarters_then_deadline_then_nothing_at_community() -> None:
    t, sla = ticket(), Sla()
    start_stage(t, sla, NINE)
    assert t.due_at == NINE + timedelta(hours=2) and t.next_timer_at == NINE + timedelta(minutes=90)
    t.reminded = True
    assert next_timer(t, sla) == NINE + timedelta(hours=2)
    t.tier = Tier.COMMUNITY
    assert next_timer(t, sla) is None


def test_resolved_waits_for_the_revisit_window() -> None:
    t = ticket(TicketStatus.RESOLVED)
    t.resolved_at = NINE
    assert next_timer(t, Sla()) == NINE + timedelta(hours=48)


def test_working_hours_skip_the_night() -> None:
    hours = WorkingHours(time(8, 30), time(17, 30), SHANGHAI)
    evening = datetime(2026, 11, 23, 17, 0, tzinfo=SHANGHAI)
    assert hours.add(evening, timedelta(hours=2)) == datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
    night = datetime(2026, 11, 23, 22, 0, tzinfo=SHANGHAI).astimezone(UTC)
    assert hours.add(night, timedelta(hours=1)) == datetime(2026, 11, 24, 9, 30, tzinfo=SHANGHAI)
    t, sla = ticket(), Sla(working=hours)
    start_stage(t, sla, evening)
    assert t.due_at == datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
    assert t.next_timer_at == datetime(2026, 11, 24, 9, 30, tzinfo=SHANGHAI)


def test_parse_working_hours() -> None:
    assert parse_working_hours("", SHANGHAI) is None
    assert parse_working_hours("08:30-17:30", SHANGHAI) == WorkingHours(time(8, 30), time(17, 30), SHANGHAI)
    with pytest.raises(ValueError, match="start before"):
        parse_working_hours("18:00-08:00", SHANGHAI)


@pytest.mark.parametrize(
    ("reported", "due"),
    [
        (datetime(2026, 12, 2, 23, 30, tzinfo=SHANGHAI), datetime(2026, 12, 3, 10, 30, tzinfo=SHANGHAI)),
        (datetime(2026, 12, 3, 0, 30, tzinfo=SHANGHAI), datetime(2026, 12, 3, 10, 30, tzinfo=SHANGHAI)),
        (datetime(2026, 11, 30, 17, 0, tzinfo=SHANGHAI), datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)),
        (datetime(2026, 12, 31, 23, 30, tzinfo=SHANGHAI), datetime(2027, 1, 1, 10, 30, tzinfo=SHANGHAI)),
    ],
    ids=["23:30", "00:30", "month-end-17:00", "year-end-23:30"],
)
def test_working_hours_around_midnight_and_month_ends(reported: datetime, due: datetime) -> None:
    """Reported at night (in UTC that is still the previous afternoon): the two hours start at 08:30 local."""
    hours = WorkingHours(time(8, 30), time(17, 30), SHANGHAI)
    assert hours.add(reported.astimezone(UTC), timedelta(hours=2)) == due
