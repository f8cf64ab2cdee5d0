"""How features talk to each other without importing each other: one feature emits a hook (a small fact about what
just happened), the features that declared a listener for its type act on it in the same transaction.

The hooks are facts of the domain, named here so that neither side needs the other."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from handlers.core.types import Button
from models.events import Event, Occurrence
from models.people import Invite, RoleGrant
from models.places import Place
from models.tickets import Ticket

if TYPE_CHECKING:
    from handlers.core.context import Work

Listener = Callable[[Any, Any], Awaitable[None]]
"""A listener gets the `Context` of the incoming item that emitted the hook, or the `Work` of the timer that did
(hooks a timer may emit say so; their listeners take a `Work`)."""


@dataclass(frozen=True)
class ReportConfirmed:
    """Someone who manages the building confirmed a resident's report (the ticket is now confirmed)."""

    ticket: Ticket
    building: Place


@dataclass(frozen=True)
class TicketResolved:
    """The ticket's assignee said it is done."""

    ticket: Ticket
    building: Place


@dataclass(frozen=True)
class TicketReopened:
    """A resident said a resolved ticket is not fixed (没解决): it is back to work."""

    ticket: Ticket
    building: Place


@dataclass(frozen=True)
class Attended:
    """A person checked in to an occurrence of an event for the first time (by code, or marked by an organiser)."""

    event: Event
    occurrence: Occurrence
    person_id: int


@dataclass(frozen=True)
class TicketEscalated:
    """A ticket went one tier up (吹哨) because its deadline passed: `tier` is where it is now."""

    ticket: Ticket
    tier: str


@dataclass(frozen=True)
class UrgentReported:
    """A ticket was opened from a report the classifier found urgent (danger to people now: 困人, 漏气 …); it is
    already confirmed. Listeners add `lines` to what the grid workers and staff are told at once (who else has it,
    which number to call)."""

    ticket: Ticket
    building: Place
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CardDrawn:
    """A ticket's full card is being drawn: listeners add lines, buttons for its handlers, and the name of who
    handles it when no person does (an organisation)."""

    ticket: Ticket
    opened: bool = False
    """The ticket was opened in this unit of work and nothing is attached to it yet (no dispatch, whistle or +1):
    there is nothing of those to read."""
    lines: list[str] = field(default_factory=list)
    buttons: list[tuple[Button, ...]] = field(default_factory=list)
    handler: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TicketChanged:
    """Another feature moved a ticket (dispatched it to an organisation, handed it back …): redraw its cards."""

    ticket: Ticket


@dataclass(frozen=True)
class TicketTakenOn:
    """Someone acting for an organisation became the ticket's assignee: give them the assignee's message."""

    ticket: Ticket


@dataclass(frozen=True)
class TicketPaused:
    """挂账 approved: the ticket's deadline stops until it is resumed."""

    ticket: Ticket


@dataclass(frozen=True)
class TicketResumed:
    """挂账 ended: the deadline runs again, later by how long it was paused."""

    ticket: Ticket
    paused_for: timedelta


@dataclass(frozen=True)
class SeeingTicket:
    """Who may see a ticket: listeners append True for a person another feature lets see it."""

    ticket: Ticket
    person_id: int
    allowed: list[bool] = field(default_factory=list)


@dataclass(frozen=True)
class RoleGranted:
    """Someone accepted a one-time invite (a deep link or /start code) and now holds its role."""

    grant: RoleGrant
    invite: Invite


@dataclass(frozen=True)
class RoleHandedOver:
    """A role on a place moved from one person to another (the old grant is revoked): their open work follows."""

    role: str
    place: Place
    from_person_id: int
    to_person_id: int


@dataclass(frozen=True)
class HelpConfirmed:
    """A resident's help request (点单) was done by a volunteer and confirmed (by the resident, or by a timer after
    a quiet while: listeners take a `Work`)."""

    request_id: int
    volunteer_id: int
    building: Place
    text: str


@dataclass(frozen=True)
class AwaitingAnswer:
    """Is the person in the middle of a wizard (a notice, an event, an award being written)? Listeners append True
    when one of theirs waits for the person's next message, so a timer's message for them can wait until it ends.
    Timers emit it: listeners take a `Work`."""

    person_id: int
    waiting: list[bool] = field(default_factory=list)


@dataclass(frozen=True)
class Listen:
    """A feature's listener for one type of hook."""

    hook: type
    handler: Listener


class Hooks:
    """The listeners of every feature, by hook type, in the order the features are listed."""

    def __init__(self, listens: Iterable[Listen] = ()) -> None:
        self._listeners: dict[type, list[Listener]] = {}
        for listen in listens:
            self._listeners.setdefault(listen.hook, []).append(listen.handler)

    async def emit(self, work: Work, hook: object) -> None:
        for listener in self._listeners.get(type(hook), []):
            await listener(work, hook)
