"""Ticket operations shared by intake, buttons and timers, on the unit of work; each writes events and effects,
never sends."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from handlers.common.ticket_places import ticket_place
from handlers.core.context import Context, Work
from handlers.core.hooks import CardDrawn, UrgentReported
from handlers.core.types import Edit, Keyboard, Send
from handlers.tickets.cards import (
    assignee_buttons,
    card_text,
    manager_buttons,
    public_dispute_text,
    short,
)
from handlers.tickets.rules import Sla, start_stage
from models.chats import Chat, active_chats_in
from models.outbox import sent_message_id
from models.people import Person, Role, holders, holders_over, person_by_id
from models.places import Place, PlaceKind, ancestors, place_by_id
from models.tickets import (
    LOCATION_LENGTH,
    Category,
    Ticket,
    TicketStatus,
    add_event,
    affected_people,
    count_events_in_building,
)
from nlp import Classification
from nlp.place import extract_place

MANAGERS = (Role.BUILDING_HEAD, Role.GRID_WORKER, Role.STAFF, Role.ADMIN)
TIER_ROLES = {
    "building": (Role.BUILDING_HEAD,),
    "grid": (Role.GRID_WORKER,),
    "community": (Role.STAFF,),
}
TIER_KIND = {"building": PlaceKind.BUILDING, "grid": PlaceKind.GRID, "community": PlaceKind.COMMUNITY}


async def building_of(work: Work, ticket: Ticket) -> Place:
    place = await place_by_id(work.session, place_id=ticket.building_id)
    assert place is not None
    return place


async def name_of(work: Work, person_id: int | None) -> str | None:
    person = await person_by_id(work.session, person_id=person_id) if person_id else None
    return person.display_name if person else None


async def drawn(work: Work, ticket: Ticket, *, opened: bool = False) -> CardDrawn:
    """What other features add to the card (an organisation's line and buttons), asked once per drawing;
    `opened`: see `CardDrawn.opened`."""
    extras = CardDrawn(ticket, opened=opened)
    await work.emit(extras)
    return extras


async def full_card(work: Work, ticket: Ticket, extras: CardDrawn | None = None) -> str:
    extras = extras or await drawn(work, ticket)
    affected = 0 if extras.opened else len(await affected_people(work.session, ticket_id=ticket.id or 0))
    text = card_text(
        work.locale,
        ticket,
        place=await ticket_place(work, ticket),
        assignee=await name_of(work, ticket.assignee_id) or next(iter(extras.handler), None),
        affected=affected,
        emergency=emergency_numbers(work),
    )
    return "\n".join([text, *extras.lines])


async def card_and_buttons(work: Work, ticket: Ticket, *, opened: bool = False) -> tuple[str, Keyboard]:
    """The full card and the buttons of those who handle it (`opened`: see `CardDrawn.opened`)."""
    extras = await drawn(work, ticket, opened=opened)
    return await full_card(work, ticket, extras), (*manager_buttons(work.locale, ticket), *extras.buttons)


async def refresh_cards(work: Work, ticket: Ticket) -> None:
    """Edit every card of this ticket (the group's and the handlers' private ones) to its current state."""
    full, managing = await card_and_buttons(work, ticket)
    public = public_dispute_text(work.locale, ticket)
    for ref in ticket.card_refs:
        in_group = ref.endswith(":g")
        text = public if in_group and ticket.private else full
        buttons = () if in_group and ticket.private else managing
        work.effects.add(Edit(text=text, buttons=buttons, ref_key=ref))


async def people_for_tier(work: Work, ticket: Ticket, tier: str) -> list[Person]:
    """Who answers for a ticket at a tier: building heads, the grid's workers, or the community's staff."""
    chain = await ancestors(work.session, place=await building_of(work, ticket))
    nodes = [p.id or 0 for p in chain if p.kind == TIER_KIND[tier]]
    return await holders(work.session, place_ids=nodes, roles=TIER_ROLES[tier])


async def handlers_of(work: Work, ticket: Ticket) -> list[Person]:
    """Everyone who may manage this ticket, nearest first (for private dispute cards)."""
    return await holders_over(work.session, place=await building_of(work, ticket), roles=MANAGERS)


async def record(
    work: Work,
    ticket: Ticket,
    action: str,
    *,
    actor_id: int | None,
    to_status: str | None = None,
    note: str | None = None,
    chat_id: int | None = None,
    new_stage: Sla | None = None,
) -> None:
    """Add the history step (moving the ticket to `to_status`) and write it; with `new_stage`, a new stage's clock
    starts now too, in the same write of the ticket."""
    add_event(
        work.session,
        ticket=ticket,
        actor_id=actor_id,
        action=action,
        to_status=to_status,
        note=note,
        chat_id=chat_id,
        now=work.now,
    )
    if new_stage is not None:
        start_stage(ticket, new_stage, work.now)
    await work.session.flush()


@dataclass(frozen=True)
class Report:
    """What a ticket is opened from: who reports what, about which building, from which chat and message."""

    reporter_id: int
    building: Place
    category: Category
    text: str
    photos: tuple[str, ...] = ()
    chat: Chat | None = None
    source_message_id: str | None = None
    verdict: Classification | None = None
    """The classifier's verdict on `text` when it was already asked (so it is not asked twice)."""

    @property
    def location(self) -> str | None:
        """The place inside the building the text names (2单元501, 5楼, 东门), without the building when it is
        this one; None when it names none."""
        return location_in(self.building, self.text)


def location_in(building: Place, text: str) -> str | None:
    """The place `text` names, as the card writes it; a building named is dropped when it is `building` (3栋 and
    3号楼 are the same)."""
    found = extract_place(text)
    if found is None:
        return None
    named = extract_place(building.name)
    if found.building and named is not None and named.building == found.building:
        found = replace(found, building=None)
    return found.label[:LOCATION_LENGTH] or None


async def open_ticket(work: Work, report: Report) -> Ticket:
    """亮: create the ticket, show its card where the building head will see it."""
    ticket = Ticket(
        category=report.category,
        building_id=report.building.id or 0,
        location=report.location,
        text=report.text[:1000],
        photos=list(report.photos),
        reporter_id=report.reporter_id,
        chat_id=report.chat.id if report.chat else None,
        source_message_id=report.source_message_id,
        private=report.category == Category.DISPUTE,
        urgent=bool(report.verdict and report.verdict.urgent),
        created_at=work.now,
        updated_at=work.now,
    )
    start_stage(ticket, work.setting(Sla), work.now)  # before the insert, so the clock is in it
    work.session.add(ticket)
    await work.session.flush()
    await record(work, ticket, "reported", actor_id=report.reporter_id, chat_id=ticket.chat_id)
    if ticket.urgent:
        await skip_confirmation(work, ticket, report.building)
    opened = not ticket.urgent  # an urgent ticket may have been dispatched and whistled for by now
    group = report.chat if report.chat and report.chat.kind == "group" else await bound_group(work, report.building)
    if group is not None:
        quote = report.source_message_id if group is report.chat else None
        await post_group_card(work, ticket, group, quote=quote, opened=opened)
    if ticket.private or group is None:
        await send_private_cards(work, ticket, opened=opened)
    return ticket


async def skip_confirmation(work: Work, ticket: Ticket, building: Place) -> None:
    """Danger now: the ticket is confirmed without the building head (a history step of its own), the responsible
    organisation hears through the hook, and the grid workers and staff are told at once, with the place."""
    sla = work.setting(Sla)
    await record(work, ticket, "urgent_confirm", actor_id=None, to_status=TicketStatus.CONFIRMED, new_stage=sla)
    hook = UrgentReported(ticket, building)
    await work.emit(hook)
    text = "\n".join(
        [
            work.t(
                "ticket.urgent_private",
                number=ticket.id,
                category=work.t(f"category.{ticket.category}"),
                place=await ticket_place(work, ticket),
                text=ticket.text,
            ),
            *hook.lines,
            work.t("card.emergency", numbers=emergency_numbers(work)),
        ]
    )
    told = {ticket.reporter_id}
    for person in [*await people_for_tier(work, ticket, "grid"), *await people_for_tier(work, ticket, "community")]:
        if person.id in told:
            continue
        told.add(person.id or 0)
        await work.tell(person.id or 0, text, fallback=await knock_for(work, ticket, person.id or 0))


def emergency_numbers(work: Work) -> str:
    """The community's emergency numbers as the card shows them: 119 火警 · 120 急救 · 110 报警."""
    return " · ".join(work.setting(Sla).emergency_numbers)


async def bound_group(work: Work, building: Place) -> Chat | None:
    chats = await active_chats_in(work.session, places=[building])
    return chats[0] if chats else None


async def post_group_card(work: Work, ticket: Ticket, group: Chat, *, quote: str | None, opened: bool) -> None:
    ref = f"ticket:{ticket.id}:g"
    buttons: Keyboard = ()
    if ticket.private:
        text, buttons = public_dispute_text(work.locale, ticket), ()
    else:
        text, buttons = await card_and_buttons(work, ticket, opened=opened)
    work.effects.add(
        Send(
            platform=group.platform,
            chat_id=group.platform_chat_id,
            text=text,
            buttons=buttons,
            reply_to_message_id=quote,
            ref_key=ref,
            photo=ticket.photos[0] if ticket.photos and not ticket.private else None,
        )
    )
    ticket.card_refs = [*ticket.card_refs, ref]


async def send_private_cards(work: Work, ticket: Ticket, *, opened: bool) -> None:
    """Disputes (and buildings with no bound group): the card goes privately to those who handle it."""
    text, buttons = await card_and_buttons(work, ticket, opened=opened)
    if ticket.private:
        reporter = await name_of(work, ticket.reporter_id) or "?"
        text = work.t(
            "ticket.dispute_private",
            number=ticket.id,
            place=await ticket_place(work, ticket),
            reporter=reporter,
            text=ticket.text,
        )
    refs = list(ticket.card_refs)
    for person in await handlers_of(work, ticket):
        if person.id == ticket.reporter_id:
            continue
        ref = f"ticket:{ticket.id}:p:{person.id}"
        await work.tell(
            person.id or 0, text, buttons, ref_key=ref, fallback=await knock_for(work, ticket, person.id or 0)
        )
        refs.append(ref)
    ticket.card_refs = refs


async def notify_assignee(work: Work, ticket: Ticket) -> None:
    assert ticket.assignee_id is not None
    text = work.t(
        "ticket.assigned_private",
        number=ticket.id,
        category=work.t(f"category.{ticket.category}"),
        place=await ticket_place(work, ticket),
        text=ticket.text,
    )
    await work.tell(
        ticket.assignee_id,
        text,
        assignee_buttons(work.locale, ticket),
        ref_key=f"ticket:{ticket.id}:a",
        fallback=await knock_for(work, ticket, ticket.assignee_id),
    )


async def reach_group(work: Work, ticket: Ticket) -> Chat | None:
    """The group where the ticket's people are reached when not privately: where it was reported, else the group
    bound to its building."""
    chat = await work.session.get(Chat, ticket.chat_id) if ticket.chat_id is not None else None
    if chat is not None and chat.active and chat.kind == "group":
        return chat
    return await bound_group(work, await building_of(work, ticket))


async def knock_for(work: Work, ticket: Ticket, person_id: int) -> Send | None:
    """Someone the ticket needs who cannot be written to privately is named in its group, with the link."""
    chat = await reach_group(work, ticket)
    reply = ticket.source_message_id if chat is not None and chat.id == ticket.chat_id else None
    return await work.knock(chat, person_id, reply_to=reply)


async def revisit_in_group(work: Work, ticket: Ticket, person_id: int, buttons: Keyboard) -> Send | None:
    """修好了吗？ asked in the group as a reply to the report, with the same buttons (only reporters may press
    them); for a dispute only a knock."""
    asked = work.t("ticket.revisit_asked", number=ticket.id, text=short(ticket.text))
    return await said_in_group(work, ticket, person_id, asked, buttons)


PROGRESS_ACTIONS = ("assign", "resolve", "reopen", "escalate")
"""The changes the group hears about in a line of its own (the card far up the chat changes for all of them)."""
PROGRESS_BUDGET = 4
"""Progress lines a building's group gets per minute at most: a fifth of Telegram's 20 messages a minute to one
group, so conversation keeps the rest; beyond it only the card changes."""


async def progress_line(work: Work, ticket: Ticket, text: str) -> None:
    """One short line in the ticket's group answering its card (dispatched to whom, resolved, reopened, escalated),
    within the group's budget; a dispute gets none (the group's card says what little it may)."""
    ref = f"ticket:{ticket.id}:g"
    chat = await reach_group(work, ticket)
    if ticket.private or chat is None or ref not in ticket.card_refs or pressed_in(work, chat):
        return
    since = work.now - timedelta(minutes=1)
    recent = await count_events_in_building(
        work.session, building_id=ticket.building_id, actions=PROGRESS_ACTIONS, since=since
    )
    if recent > PROGRESS_BUDGET:
        return
    card = await sent_message_id(work.session, ref_key=ref)
    reply = card[1] if card is not None else None
    work.effects.add(Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=text, reply_to_message_id=reply))


def pressed_in(work: Work, chat: Chat) -> bool:
    """True when the change was made in `chat` itself: the answer to the press is already there."""
    return isinstance(work, Context) and work.in_group and work.chat.id == chat.id


async def said_in_group(work: Work, ticket: Ticket, person_id: int, text: str, buttons: Keyboard = ()) -> Send | None:
    """A message for one of the ticket's residents asked in its group when it cannot go privately: their name and
    `text`, answering the report; a dispute is not discussed in the group, so there it is only a knock."""
    chat = await reach_group(work, ticket)
    if ticket.private or chat is None:
        return await knock_for(work, ticket, person_id)
    name = await name_of(work, person_id) or ""
    reply = ticket.source_message_id if chat.id == ticket.chat_id else None
    return Send(
        platform=chat.platform,
        chat_id=chat.platform_chat_id,
        text=work.t("ticket.to_someone", name=name, text=text),
        buttons=buttons,
        reply_to_message_id=reply,
    )
