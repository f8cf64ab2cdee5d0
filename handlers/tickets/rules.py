"""Pure ticket rules: which action is allowed from which status, and when the next timer fires."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from models.tickets import OPEN_STATUSES, Category, Ticket, TicketStatus, Tier

S = TicketStatus
TRANSITIONS: dict[str, tuple[frozenset[TicketStatus], TicketStatus]] = {
    "confirm": (frozenset({S.REPORTED}), S.CONFIRMED),
    "reject": (frozenset({S.REPORTED}), S.REJECTED),
    "merge": (frozenset({S.REPORTED, S.CONFIRMED, S.REOPENED}), S.DUPLICATE),
    "assign": (frozenset({S.CONFIRMED, S.ASSIGNED, S.IN_PROGRESS, S.REOPENED}), S.ASSIGNED),
    "start": (frozenset({S.ASSIGNED, S.REOPENED}), S.IN_PROGRESS),
    "resolve": (frozenset({S.ASSIGNED, S.IN_PROGRESS, S.REOPENED}), S.RESOLVED),
    "verify": (frozenset({S.RESOLVED}), S.VERIFIED),
    "reopen": (frozenset({S.RESOLVED}), S.REOPENED),
    "unreject": (frozenset({S.REJECTED}), S.REPORTED),
}
REJECT_REASONS = ("out_of_scope", "fixed", "duplicate", "other")
"""Why a report is 不是问题 (the building head picks one; the reporter is told)."""
UNDO_REJECT = timedelta(minutes=5)
"""How long a 不是问题 may be taken back with 撤销."""
NEXT_TIER = {Tier.BUILDING: Tier.GRID, Tier.GRID: Tier.COMMUNITY}


def allowed(action: str, status: str) -> bool:
    sources, _ = TRANSITIONS[action]
    return TicketStatus(status) in sources


def target(action: str) -> TicketStatus:
    return TRANSITIONS[action][1]


@dataclass(frozen=True)
class WorkingHours:
    """Deadlines count only these hours of each day (local time), e.g. 08:30–17:30."""

    start: time
    end: time
    tz: ZoneInfo

    def add(self, moment: datetime, span: timedelta) -> datetime:
        """`moment` plus `span` of working time."""
        local, remaining = moment.astimezone(self.tz), span
        while True:
            opens = datetime.combine(local.date(), self.start, tzinfo=self.tz)
            closes = datetime.combine(local.date(), self.end, tzinfo=self.tz)
            if local < opens:
                local = opens
            if local >= closes:
                local = datetime.combine(local.date() + timedelta(days=1), self.start, tzinfo=self.tz)
                continue
            if remaining <= closes - local:
                return (local + remaining).astimezone(moment.tzinfo)
            remaining -= closes - local
            local = datetime.combine(local.date() + timedelta(days=1), self.start, tzinfo=self.tz)


def parse_working_hours(text: str, tz: ZoneInfo) -> WorkingHours | None:
    """ "08:30-17:30" → WorkingHours; empty → None (deadlines run round the clock)."""
    if not text.strip():
        return None
    opens, _, closes = text.partition("-")
    start, end = time.fromisoformat(opens.strip()), time.fromisoformat(closes.strip())
    if start >= end:
        raise ValueError("working hours must start before they end, e.g. 08:30-17:30")
    return WorkingHours(start, end, tz)


@dataclass(frozen=True)
class Sla:
    """The tickets feature's settings: due times per stage (hours in configuration), a reminder when
    `remind_fraction` is left; and the emergency numbers an urgent ticket's card shows."""

    confirm: timedelta = timedelta(hours=2)
    resolve: dict[str, timedelta] = field(
        default_factory=lambda: {
            Category.REPAIR: timedelta(hours=24),
            Category.SANITATION: timedelta(hours=24),
            Category.DISPUTE: timedelta(hours=72),
        }
    )
    verify_after: timedelta = timedelta(hours=48)
    duplicate_window: timedelta = timedelta(hours=72)
    remind_fraction: float = 0.25
    working: WorkingHours | None = None
    emergency_numbers: tuple[str, ...] = ("119 火警", "120 急救", "110 报警")

    def after(self, moment: datetime, span: timedelta) -> datetime:
        """`moment` plus `span`, counting only working hours when they are configured."""
        return moment + span if self.working is None else self.working.add(moment, span)

    def window(self, ticket: Ticket) -> timedelta | None:
        """How long the current stage may take, or None when no clock runs."""
        if ticket.status == TicketStatus.REPORTED:
            return self.confirm
        if ticket.status in OPEN_STATUSES:
            return self.resolve[ticket.category]
        return None


def sla_from(env: Any) -> Sla:
    """The tickets feature's settings, from the runtime's (hours in configuration)."""
    return Sla(
        confirm=timedelta(hours=env.sla_confirm_hours),
        resolve={
            Category.REPAIR: timedelta(hours=env.sla_repair_hours),
            Category.SANITATION: timedelta(hours=env.sla_sanitation_hours),
            Category.DISPUTE: timedelta(hours=env.sla_dispute_hours),
        },
        verify_after=timedelta(hours=env.verify_after_hours),
        duplicate_window=timedelta(hours=env.duplicate_window_hours),
        working=parse_working_hours(env.working_hours, env.tz),
        emergency_numbers=tuple(n.strip() for n in env.emergency_numbers.split(",") if n.strip()),
    )


def deadline(ticket: Ticket, sla: Sla) -> datetime | None:
    window = sla.window(ticket)
    return None if window is None else sla.after(ticket.stage_started_at, window)


def next_timer(ticket: Ticket, sla: Sla) -> datetime | None:
    """When the sweep should look at this ticket next: reminder, deadline, or auto-verification."""
    if ticket.status == TicketStatus.RESOLVED and ticket.resolved_at is not None:
        return ticket.resolved_at + sla.verify_after
    window, due = sla.window(ticket), deadline(ticket, sla)
    if window is None or due is None:
        return None
    if not ticket.reminded:
        return sla.after(ticket.stage_started_at, window * (1 - sla.remind_fraction))
    if ticket.tier == Tier.COMMUNITY:
        return None
    return due


def start_stage(ticket: Ticket, sla: Sla, now: datetime) -> None:
    """A new stage (confirmed, reopened, escalated): its clock starts now."""
    ticket.stage_started_at, ticket.reminded = now, False
    ticket.due_at = deadline(ticket, sla)
    ticket.next_timer_at = next_timer(ticket, sla)


def refresh_timer(ticket: Ticket, sla: Sla) -> None:
    ticket.due_at = deadline(ticket, sla)
    ticket.next_timer_at = next_timer(ticket, sla)
