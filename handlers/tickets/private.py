"""A request written to the bot in the private chat (「我家楼下的路灯坏了好几天了」): offered as a report for the
sender's building; 是 opens it there exactly as a report from the building's group would be (docs/tickets.md)."""

from __future__ import annotations

from handlers.common.numbers import parse_id
from handlers.common.reach import home_buildings
from handlers.core.context import Context
from handlers.core.types import IncomingCallback, IncomingMessage
from handlers.tickets.intake import (
    ask_which_building,
    offer_report,
    offer_to_answer,
    propose,
    report_of,
    saved_offer,
    yes_or_no,
)
from models.places import Place, place_by_id
from models.tickets import IntakeOffer


async def on_private_request(ctx: Context, message: IncomingMessage) -> bool:
    """A private message the classifier reads as a request: asked whether to submit it for the sender's building
    (which one first, when they belong to several); someone who belongs nowhere hears how to come to belong."""
    if ctx.in_group or message.is_forwarded:
        return False
    verdict = ctx.config.classify(message.text)
    if not verdict.is_request:
        return False
    assert ctx.person.id is not None
    buildings = await home_buildings(ctx, ctx.person.id)
    if not buildings:
        ctx.reply(ctx.t("intake.no_building"))
        return True
    report = report_of(ctx, buildings[0], verdict.category, message.text, message.photos, message.message_id, verdict)
    if len(buildings) == 1:
        offer = await saved_offer(ctx, report, "private")
        ctx.reply(offer_question(ctx, offer, buildings[0]), buttons=yes_or_no(ctx, offer))
        return True
    await ask_which_building(ctx, report, buildings, kind="pick")
    return True


def offer_question(ctx: Context, offer: IntakeOffer, building: Place) -> str:
    """要把这条作为报修提交给 1号楼 吗？"""
    return ctx.t("intake.private_offer", category=ctx.t(f"category.{offer.category}"), place=building.name)


async def on_building_picked(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """ip:<offer>:<building>: the building the report is for; then the same 是 / 否 as for one building, or, for
    报修 / 投诉 / 随手拍 TEXT (which asks nothing else), the ticket opened there."""
    offer = await offer_to_answer(ctx, parts[0] if len(parts) == 2 else "")
    if offer is None:
        return
    building_id = parse_id(parts[1])
    building = await place_by_id(ctx.session, place_id=building_id) if building_id is not None else None
    if building is None:
        ctx.answer(ctx.t("button.stale"))
        return
    offer.building_id = building.id or 0
    if offer.kind == "report":
        offer.answered = True
        await propose(ctx, offer_report(ctx, offer, building), in_place=True)
    else:
        offer.kind = "private"
        ctx.edit_pressed(offer_question(ctx, offer, building), buttons=yes_or_no(ctx, offer))
    ctx.answer()
