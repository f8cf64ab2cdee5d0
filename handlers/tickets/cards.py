"""How a ticket looks: the card text and the buttons that fit its status and audience."""

from __future__ import annotations

from handlers.core.types import Button, Keyboard
from handlers.tickets.texts import translate
from models.tickets import Ticket, TicketStatus, Tier

CARD_TEXT_LIMIT = 300
STARS = "★"
MOST_STARS = 5


def short(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def status_line(locale: str, ticket: Ticket, assignee: str | None) -> str:
    values: dict[str, object] = {"assignee": assignee or "?", "target": ticket.merged_into_id or "?"}
    line = translate(locale, f"status.{ticket.status}", **values)
    if ticket.tier != Tier.BUILDING and ticket.is_open:
        line += translate(locale, f"tier.{ticket.tier}")
    return line


def card_text(
    locale: str, ticket: Ticket, *, place: str, assignee: str | None, affected: int, emergency: str = ""
) -> str:
    """The full card, as the people handling the ticket see it (`place`: its building and the place inside, as
    ``ticket_place`` writes it); an open urgent one says it needs no confirmation and shows the emergency numbers."""
    lines = [
        translate(locale, "card.title", number=ticket.id, category=translate(locale, f"category.{ticket.category}")),
        translate(locale, "card.place", place=place),
        f"「{short(ticket.text, CARD_TEXT_LIMIT)}」",
    ]
    urgent_now = ticket.urgent and ticket.is_open
    if urgent_now:
        lines.insert(1, translate(locale, "card.urgent"))
    if ticket.photos:
        lines.append(translate(locale, "card.photos", count=len(ticket.photos)))
    if affected:
        lines.append(translate(locale, "card.affected", count=affected))
    lines.append(translate(locale, "card.status", status=status_line(locale, ticket, assignee)))
    if ticket.rating:
        lines.append(translate(locale, "card.rating", stars=STARS * ticket.rating))
    if urgent_now and emergency:
        lines.append(translate(locale, "card.emergency", numbers=emergency))
    return "\n".join(lines)


HANDLED_BY_SOMEONE = (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS)


def public_dispute_text(locale: str, ticket: Ticket) -> str:
    """What the group sees of a dispute: that it was received, never who, what, or who handles it."""
    if ticket.status in HANDLED_BY_SOMEONE:
        status = translate(locale, "card.dispute_handling")
    else:
        status = status_line(locale, ticket, None)
    return "\n".join(
        [translate(locale, "card.dispute_public", number=ticket.id), translate(locale, "card.status", status=status)]
    )


def manager_buttons(locale: str, ticket: Ticket) -> Keyboard:
    """Buttons for the building head / grid worker / staff on the card."""
    n = ticket.id
    if ticket.status == TicketStatus.REPORTED:
        return (
            (
                Button(translate(locale, "button.confirm"), f"t:confirm:{n}"),
                Button(translate(locale, "button.reject"), f"t:reject:{n}"),
                Button(translate(locale, "button.merge"), f"t:merge:{n}"),
            ),
        )
    if ticket.status in (TicketStatus.CONFIRMED, TicketStatus.REOPENED, TicketStatus.ASSIGNED):
        return ((Button(translate(locale, "button.assign"), f"t:assign:{n}"),),)
    return ()


def assignee_buttons(locale: str, ticket: Ticket) -> Keyboard:
    n = ticket.id
    if ticket.status in (TicketStatus.ASSIGNED, TicketStatus.REOPENED):
        return (
            (
                Button(translate(locale, "button.start"), f"t:start:{n}"),
                Button(translate(locale, "button.done"), f"t:resolve:{n}"),
            ),
        )
    if ticket.status == TicketStatus.IN_PROGRESS:
        return ((Button(translate(locale, "button.done"), f"t:resolve:{n}"),),)
    return ()


def revisit_buttons(locale: str, ticket: Ticket) -> Keyboard:
    n = ticket.id
    return (
        (
            Button(translate(locale, "button.fixed"), f"t:verify:{n}"),
            Button(translate(locale, "button.not_fixed"), f"t:reopen:{n}"),
        ),
    )


def rating_buttons(ticket: Ticket) -> Keyboard:
    return (tuple(Button(STARS * k, f"t:rate:{ticket.id}:{k}") for k in range(1, MOST_STARS + 1)),)
