"""Exports of the board: the tickets any filter shows, with their history, as CSV (one row per ticket, its history
in one column) or Excel (a sheet of tickets and a sheet of their events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.common.sheets import Cell, Sheet, to_csv, to_xlsx_book
from handlers.console.board import Filters, ticket_query
from handlers.console.scope import Viewer
from handlers.core.desk import Desk
from models.console import display_names, events_of_tickets, find_tickets
from models.places import Place
from models.tickets import Ticket, TicketEvent

EXPORT_LIMIT = 100_000
TICKET_COLUMNS = (
    "number", "category", "place", "text", "status", "urgent", "tier", "reporter", "assignee", "created", "due",
    "resolved_at", "closed_at", "stars", "timeline",
)  # fmt: skip
EVENT_COLUMNS = ("number", "when", "actions", "who", "status", "note")


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes
    content_type: str


def stamp(desk: Desk, moment: datetime | None) -> str:
    return moment.astimezone(desk.config.timezone).strftime("%Y-%m-%d %H:%M") if moment else ""


async def ticket_sheets(desk: Desk, viewer: Viewer, filters: Filters, words: dict[str, str]) -> tuple[Sheet, Sheet]:
    query = await ticket_query(desk, viewer, filters)
    found = await find_tickets(desk.session, query=query, limit=EXPORT_LIMIT, offset=0)
    events = await events_of_tickets(desk.session, ticket_ids=[t.id or 0 for t, _ in found])
    people = {t.reporter_id for t, _ in found} | {t.assignee_id for t, _ in found if t.assignee_id}
    names = await display_names(desk.session, person_ids=people | {e.actor_id for e in events if e.actor_id})
    history: dict[int, list[TicketEvent]] = {}
    for event in events:
        history.setdefault(event.ticket_id, []).append(event)
    tickets = Sheet(
        words["board"],
        [words[c] for c in TICKET_COLUMNS],
        [ticket_row(desk, t, b, names, history.get(t.id or 0, []), words) for t, b in found],
    )
    steps = Sheet(
        words["timeline"],
        [words[c] for c in EVENT_COLUMNS],
        [
            [
                e.ticket_id,
                stamp(desk, e.created_at),
                words.get(f"action_{e.action}", e.action),
                names.get(e.actor_id or 0, ""),
                words.get(f"status_{e.to_status}", "") if e.to_status else "",
                e.note or "",
            ]
            for e in events
        ],
    )
    return tickets, steps


def ticket_row(
    desk: Desk, t: Ticket, building: Place, names: dict[int, str], events: list[TicketEvent], words: dict[str, str]
) -> list[Cell]:
    timeline = "；".join(step_line(desk, e, names, words) for e in events)
    return [
        t.id or 0,
        words[f"category_{t.category}"],
        building.name + (f" {t.unit}单元" if t.unit else ""),
        t.text,
        words[f"status_{t.status}"],
        words["urgent"] if t.urgent else "",
        t.tier,
        names.get(t.reporter_id, ""),
        names.get(t.assignee_id or 0, ""),
        stamp(desk, t.created_at),
        stamp(desk, t.due_at),
        stamp(desk, t.resolved_at),
        stamp(desk, t.closed_at),
        t.rating or "",
        timeline,
    ]


def step_line(desk: Desk, event: TicketEvent, names: dict[int, str], words: dict[str, str]) -> str:
    """02-12 10:00 派单 张社工"""
    action = words.get(f"action_{event.action}", event.action)
    return " ".join(part for part in (stamp(desk, event.created_at), action, names.get(event.actor_id or 0)) if part)


async def export_tickets(desk: Desk, viewer: Viewer, filters: Filters, words: dict[str, str], fmt: str) -> Export:
    tickets, steps = await ticket_sheets(desk, viewer, filters, words)
    name = f"tickets_{desk.now.astimezone(desk.config.timezone):%Y%m%d_%H%M}"
    if fmt == "csv":
        return Export(f"{name}.csv", to_csv(tickets), "text/csv")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Export(f"{name}.xlsx", to_xlsx_book([tickets, steps]), xlsx)
