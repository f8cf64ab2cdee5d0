"""Tables and small keyword-only query functions; every table module is imported here for metadata."""

from models import (
    announcements,
    chats,
    events,
    households,
    outbox,
    passbook,
    people,
    places,
    polls,
    role_audit,
    routes,
    shop,
    tickets,
    updates,
    volunteers,
)
from models.base import metadata

__all__ = [
    "announcements",
    "chats",
    "events",
    "households",
    "metadata",
    "outbox",
    "passbook",
    "people",
    "places",
    "polls",
    "role_audit",
    "routes",
    "shop",
    "tickets",
    "updates",
    "volunteers",
]
