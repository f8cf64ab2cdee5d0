"""Ticket operations shared by intake, buttons and timers; each writes events and effects, never sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.common.notify import private_message
from handlers.core.context import Context
from handlers.core.texts import translate
from handlers.core.types import Edit, Effects, Keyboard, Send
from handlers.tickets.cards import (
    assignee_buttons,
    card_text,
    manager_buttons,
    public_dispute_text,
)
from handlers.tickets.rules import Sla, start_stage
from models.chats import Chat, active_chats_in
from models.people import Person, Role, holders, holders_over, person_by_id
from models.places import Place, PlaceKind, ancestors, place_by_id, place_label
from models.tickets import Category, Ticket, add_event, affected_people

MANAGERS = (Role.BUILDING_HEAD, Role.GRID_WORKER, Role.STAFF, Role.ADMIN)
TIER_ROLES = {
    "building": (Role.BUILDING_HEAD,),
    "grid": (Role.GRID_WORKER,),
    "community": (Role.STAFF,),
}
TIER_KIND = {"building": PlaceKind.BUILDING, "grid": PlaceKind.GRID, "community": PlaceKind.COMMUNITY}


@dataclass
class Desk:
    """What ticket operations need: the unit of work, where effects go, the SLA, the clock, the language."""

    session: AsyncSession
    effects: Effects
    sla: Sla
    now: datetime
    locale: str

    def t(self, key: str, **values: object) -> str:
        return translate(self.locale, key, **values)

    async def tell(self, person_id: int, text: str, buttons: Keyboard = (), ref_key: str | None = None) -> None:
        message = await private_message(self.session, person_id=person_id, text=text, buttons=buttons, ref_key=ref_key)
        if message is not None:
            self.effects.add(message)

    async def building(self, ticket: Ticket) -> Place:
        place = await place_by_id(self.session, place_id=ticket.building_id)
        assert place is not None
        return place

    async def place_text(self, ticket: Ticket) -> str:
        return await place_label(self.session, place=await self.building(ticket))

    async def name_of(self, person_id: int | None) -> str | None:
        person = await person_by_id(self.session, person_id=person_id) if person_id else None
        return person.display_name if person else None

    async def full_card(self, ticket: Ticket) -> str:
        affected = len(await affected_people(self.session, ticket_id=ticket.id or 0))
        return card_text(
            self.locale,
            ticket,
            place=await self.place_text(ticket),
            assignee=await self.name_of(ticket.assignee_id),
            affected=affected,
        )

    async def refresh_cards(self, ticket: Ticket) -> None:
        """Edit every card of this ticket (the group's and the handlers' private ones) to its current state."""
        full = await self.full_card(ticket)
        public = public_dispute_text(self.locale, ticket, await self.name_of(ticket.assignee_id))
        for ref in ticket.card_refs:
            in_group = ref.endswith(":g")
            text = public if in_group and ticket.private else full
            buttons = () if in_group and ticket.private else manager_buttons(self.locale, ticket)
            self.effects.add(Edit(text=text, buttons=buttons, ref_key=ref))

    async def people_for_tier(self, ticket: Ticket, tier: str) -> list[Person]:
        """Who answers for a ticket at a tier: building heads, the grid's workers, or the community's staff."""
        chain = await ancestors(self.session, place=await self.building(ticket))
        nodes = [p.id or 0 for p in chain if p.kind == TIER_KIND[tier]]
        return await holders(self.session, place_ids=nodes, roles=TIER_ROLES[tier])

    async def handlers_of(self, ticket: Ticket) -> list[Person]:
        """Everyone who may manage this ticket, nearest first (for private dispute cards)."""
        return await holders_over(self.session, place=await self.building(ticket), roles=MANAGERS)

    async def record(
        self,
        ticket: Ticket,
        action: str,
        *,
        actor_id: int | None,
        to_status: str | None = None,
        note: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        add_event(
            self.session,
            ticket=ticket,
            actor_id=actor_id,
            action=action,
            to_status=to_status,
            note=note,
            chat_id=chat_id,
            now=self.now,
        )
        await self.session.flush()


def desk_for(ctx: Context) -> Desk:
    """The desk for the unit of work a feature is handling."""
    return Desk(ctx.session, ctx.effects, ctx.config.sla, ctx.now, ctx.locale)


@dataclass(frozen=True)
class Report:
    reporter_id: int
    building: Place
    category: Category
    text: str
    unit: str | None = None
    photos: tuple[str, ...] = ()
    chat: Chat | None = None
    source_message_id: str | None = None


async def open_ticket(desk: Desk, report: Report) -> Ticket:
    """亮: create the ticket, show its card where the building head will see it."""
    ticket = Ticket(
        category=report.category,
        building_id=report.building.id or 0,
        unit=report.unit,
        text=report.text[:1000],
        photos=list(report.photos),
        reporter_id=report.reporter_id,
        chat_id=report.chat.id if report.chat else None,
        source_message_id=report.source_message_id,
        private=report.category == Category.DISPUTE,
        created_at=desk.now,
        updated_at=desk.now,
    )
    desk.session.add(ticket)
    await desk.session.flush()
    await desk.record(ticket, "reported", actor_id=report.reporter_id, chat_id=ticket.chat_id)
    start_stage(ticket, desk.sla, desk.now)
    group = report.chat if report.chat and report.chat.kind == "group" else await bound_group(desk, report.building)
    if group is not None:
        await post_group_card(desk, ticket, group, quote=report.source_message_id if group is report.chat else None)
    if ticket.private or group is None:
        await send_private_cards(desk, ticket)
    return ticket


async def bound_group(desk: Desk, building: Place) -> Chat | None:
    chats = await active_chats_in(desk.session, places=[building])
    return chats[0] if chats else None


async def post_group_card(desk: Desk, ticket: Ticket, group: Chat, *, quote: str | None) -> None:
    ref = f"ticket:{ticket.id}:g"
    buttons: Keyboard = ()
    if ticket.private:
        text, buttons = public_dispute_text(desk.locale, ticket, None), ()
    else:
        text, buttons = await desk.full_card(ticket), manager_buttons(desk.locale, ticket)
    desk.effects.add(
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


async def send_private_cards(desk: Desk, ticket: Ticket) -> None:
    """Disputes (and buildings with no bound group): the card goes privately to those who handle it."""
    text, buttons = await desk.full_card(ticket), manager_buttons(desk.locale, ticket)
    if ticket.private:
        reporter = await desk.name_of(ticket.reporter_id) or "?"
        text = desk.t(
            "ticket.dispute_private",
            number=ticket.id,
            place=await desk.place_text(ticket),
            reporter=reporter,
            text=ticket.text,
        )
    refs = list(ticket.card_refs)
    for person in await desk.handlers_of(ticket):
        if person.id == ticket.reporter_id:
            continue
        ref = f"ticket:{ticket.id}:p:{person.id}"
        await desk.tell(person.id or 0, text, buttons, ref_key=ref)
        refs.append(ref)
    ticket.card_refs = refs


async def notify_assignee(desk: Desk, ticket: Ticket) -> None:
    assert ticket.assignee_id is not None
    text = desk.t(
        "ticket.assigned_private",
        number=ticket.id,
        category=desk.t(f"category.{ticket.category}"),
        place=await desk.place_text(ticket),
        text=ticket.text,
    )
    await desk.tell(ticket.assignee_id, text, assignee_buttons(desk.locale, ticket), ref_key=f"ticket:{ticket.id}:a")


async def group_line(desk: Desk, ticket: Ticket, text: str) -> None:
    """One short line in the group the ticket came from (escalations)."""
    if ticket.chat_id is None:
        return
    chat = await desk.session.get(Chat, ticket.chat_id)
    if chat is not None and chat.active and chat.kind == "group":
        desk.effects.add(Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=text))
