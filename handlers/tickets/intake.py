"""亮: how a message becomes a ticket — passively from chat, or explicitly with 报修 / 投诉 / 随手拍 / /report."""

from __future__ import annotations

from difflib import SequenceMatcher

from handlers.common.numbers import parse_id
from handlers.common.reach import home_buildings
from handlers.core.context import Context
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard
from handlers.tickets.cards import short
from handlers.tickets.rules import Sla
from handlers.tickets.service import Report, emergency_numbers, open_ticket, record, refresh_cards
from models.places import Place, PlaceKind, place_by_id, place_label
from models.tickets import (
    Category,
    IntakeOffer,
    Ticket,
    add_affected,
    affected_people,
    recent_open_tickets,
    ticket_for_change,
)
from nlp import CONFIDENT, POSSIBLE, Classification

SIMILAR_TEXT = 0.75
EXPLICIT_DEFAULT = {"投诉": Category.DISPUTE}
MAX_BUILDINGS = 8  # buttons of the building picker; nobody belongs to more


def similar(objects: frozenset[str], a: Classification, a_text: str, b: Classification, b_text: str) -> bool:
    """Same problem: both name the same thing (电梯, 垃圾 …), or their wording is close."""
    if set(a.terms) & set(b.terms) & objects:
        return True
    return SequenceMatcher(None, a_text, b_text).ratio() >= SIMILAR_TEXT


async def find_duplicate(ctx: Context, report: Report) -> Ticket | None:
    since = ctx.now - ctx.setting(Sla).duplicate_window
    mine = report.verdict or ctx.config.classify(report.text)
    building_id = report.building.id or 0
    for ticket in await recent_open_tickets(
        ctx.session, building_id=building_id, category=report.category, since=since
    ):
        if similar(ctx.config.object_words, mine, report.text, ctx.config.classify(ticket.text), ticket.text):
            return ticket
    return None


async def saved_offer(ctx: Context, report: Report, kind: str, candidate: int | None = None) -> IntakeOffer:
    """The question's offer, written so that its buttons can name it."""
    offer = IntakeOffer(
        kind=kind,
        person_id=report.reporter_id,
        chat_id=ctx.chat.id or 0,
        building_id=report.building.id or 0,
        category=report.category,
        location=report.location,
        text=report.text[:1000],
        photos=list(report.photos),
        source_message_id=report.source_message_id,
        candidate_ticket_id=candidate,
        created_at=ctx.now,
    )
    ctx.session.add(offer)
    await ctx.session.flush()
    return offer


def yes_or_no(ctx: Context, offer: IntakeOffer) -> Keyboard:
    """是 / 否 for an offer."""
    return ((Button(ctx.t("button.yes"), f"i:yes:{offer.id}"), Button(ctx.t("button.no"), f"i:no:{offer.id}")),)


async def ask_which_building(ctx: Context, report: Report, buildings: list[Place], *, kind: str) -> None:
    """The building picker (one button per building, then 否); the offer is for the first building until one is
    picked (ip:<offer>:<building>, handled by tickets.private)."""
    offer = await saved_offer(ctx, report, kind)
    rows = [
        (Button(await place_label(ctx.session, place=building), f"ip:{offer.id}:{building.id}"),)
        for building in buildings[:MAX_BUILDINGS]
    ]
    rows.append((Button(ctx.t("button.no"), f"i:no:{offer.id}"),))
    ctx.reply(ctx.t("intake.private_which", category=ctx.t(f"category.{offer.category}")), buttons=tuple(rows))


async def propose(ctx: Context, report: Report, *, in_place: bool = False) -> None:
    """Open the ticket, unless a similar open one exists: then ask whether it is the same problem.

    `in_place`: the answer replaces the question whose button was pressed (one bubble, not two)."""
    duplicate = await find_duplicate(ctx, report)
    if duplicate is None:
        if in_place:
            ctx.edit_pressed(ctx.t("intake.ask_accepted"))
        await open_from(ctx, report)
        return
    offer = await saved_offer(ctx, report, "duplicate", duplicate.id)
    buttons = (
        (Button(ctx.t("button.same"), f"i:same:{offer.id}"), Button(ctx.t("button.new_issue"), f"i:new:{offer.id}")),
    )
    shown = ctx.t("category.dispute") if duplicate.private else short(duplicate.text)
    question = ctx.t("intake.duplicate", number=duplicate.id, text=shown)
    if in_place:
        ctx.edit_pressed(question, buttons=buttons)
    else:
        ctx.reply(question, buttons=buttons, quote=True)


async def open_from(ctx: Context, report: Report) -> Ticket:
    ticket = await open_ticket(ctx, report)
    if not ctx.in_group:
        category = ctx.t(f"category.{report.category}")
        numbers = emergency_numbers(ctx)
        key = "intake.opened_urgent" if ticket.urgent else "intake.opened_private"
        ctx.reply(ctx.t(key, number=ticket.id, category=category, numbers=numbers))
    return ticket


def report_of(
    ctx: Context,
    building: Place,
    category: str,
    text: str,
    photos: tuple[str, ...],
    source_message_id: str | None,
    verdict: Classification | None = None,
) -> Report:
    """The sender's report about `building`, from this chat when it is a group."""
    return Report(
        reporter_id=ctx.person.id or 0,
        building=building,
        category=Category(category),
        text=text,
        photos=photos,
        chat=ctx.chat if ctx.in_group else None,
        source_message_id=source_message_id,
        verdict=verdict,
    )


async def on_chat_message(ctx: Context, message: IncomingMessage) -> bool:
    """Passive intake: a request in a bound building group gets a card, or a question when unsure."""
    if not ctx.in_group or ctx.place is None or ctx.place.kind != PlaceKind.BUILDING or message.is_forwarded:
        return False
    verdict = ctx.config.classify(message.text)
    if not verdict.is_request or verdict.confidence < POSSIBLE:
        return False
    report = report_of(ctx, ctx.place, verdict.category, message.text, message.photos, message.message_id, verdict)
    if verdict.confidence >= CONFIDENT:
        await propose(ctx, report)
        return True
    offer = await saved_offer(ctx, report, "confirm")
    category = ctx.t(f"category.{verdict.category}")
    ctx.reply(ctx.t("intake.ask", category=category), buttons=yes_or_no(ctx, offer), quote=True)
    return True


async def report_command(ctx: Context, message: IncomingMessage) -> None:
    """报修 / 投诉 / 随手拍 / /report TEXT: always opens (or offers +1), whatever the classifier thinks."""
    text = message.args.strip()
    if not text:
        ctx.reply(ctx.t("intake.usage"), quote=True)
        return
    if message.is_forwarded:
        return
    if ctx.in_group and (ctx.place is None or ctx.place.kind != PlaceKind.BUILDING):
        ctx.reply(ctx.t("intake.unbound"), quote=True)
        return
    buildings = await reporting_buildings(ctx)
    if not buildings:
        ctx.reply(ctx.t("intake.no_building"))
        return
    verdict = ctx.config.classify(text)
    word = message.text.strip()[:2]
    category = verdict.category if verdict.is_request else EXPLICIT_DEFAULT.get(word, Category.REPAIR)
    report = report_of(ctx, buildings[0], category, text, message.photos, message.message_id, verdict)
    if len(buildings) > 1:
        await ask_which_building(ctx, report, buildings, kind="report")  # the pick opens it, without 是 / 否
        return
    await propose(ctx, report)


async def reporting_buildings(ctx: Context) -> list[Place]:
    """The buildings a report command may be for: this group's; privately, every building the sender belongs to."""
    if ctx.place is not None and ctx.place.kind == PlaceKind.BUILDING:
        return [ctx.place]
    assert ctx.person.id is not None
    return await home_buildings(ctx, ctx.person.id)


async def offer_to_answer(ctx: Context, number: str) -> IntakeOffer | None:
    """The open offer a button names, when the one pressing is the person asked (else they are told, and None)."""
    offer_id = parse_id(number)
    offer = await ctx.session.get(IntakeOffer, offer_id) if offer_id else None
    if offer is None or offer.answered:
        ctx.answer(ctx.t("button.stale"))
        return None
    if offer.person_id != ctx.person.id:
        ctx.answer(ctx.t("intake.not_yours"), alert=True)
        return None
    return offer


async def on_offer(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """是/否 and +1/new answers to the intake questions; only the person asked may answer."""
    offer = await offer_to_answer(ctx, parts[1] if len(parts) == 2 else "")
    if offer is None:
        return
    offer.answered = True
    building = await place_by_id(ctx.session, place_id=offer.building_id)
    assert building is not None
    report = offer_report(ctx, offer, building)
    answer = parts[0]
    if answer == "same" and offer.candidate_ticket_id is not None:
        await plus_one(ctx, offer.candidate_ticket_id, offer.location)
    elif answer == "yes":
        await propose(ctx, report, in_place=True)
    elif answer == "new":
        ctx.edit_pressed(ctx.t("intake.ask_accepted"))
        await open_from(ctx, report)
    else:
        ctx.edit_pressed(ctx.t("intake.ask_declined"))
    ctx.answer()


def offer_report(ctx: Context, offer: IntakeOffer, building: Place) -> Report:
    """What an offer opens for `building`: its category as asked, its text, photos and source message."""
    verdict = ctx.config.classify(offer.text)  # its urgency decides whether the building head must confirm
    return report_of(ctx, building, offer.category, offer.text, tuple(offer.photos), offer.source_message_id, verdict)


async def plus_one(ctx: Context, ticket_id: int, location: str | None) -> None:
    """+1 on an open ticket; a place it lacks, named by the +1 (2单元501, 东门), is filled in (from its own reporter
    too, who is not counted twice)."""
    assert ctx.person.id is not None
    ticket = await ticket_for_change(ctx.session, ticket_id=ticket_id)
    assert ticket is not None
    located = ticket.location is None and location is not None
    if located:
        ticket.location = location
    if ticket.reporter_id == ctx.person.id or not await add_affected(
        ctx.session, ticket_id=ticket_id, person_id=ctx.person.id, now=ctx.now
    ):
        ctx.edit_pressed(ctx.t("intake.already_counted"))
        if located:
            await refresh_cards(ctx, ticket)
        return
    await record(ctx, ticket, "plus_one", actor_id=ctx.person.id, chat_id=ctx.chat.id)
    count = len(await affected_people(ctx.session, ticket_id=ticket_id)) + 1
    ctx.edit_pressed(ctx.t("intake.plus_one", number=ticket.id, count=count))
    await refresh_cards(ctx, ticket)
