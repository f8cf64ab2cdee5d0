"""Which building a person belongs to (docs/residency.md): the first bound building group they speak in, unless they
already belong to a building; 「我住在…」 privately asks that building's head, whose 确认 moves them there."""

from __future__ import annotations

import re

from handlers.common.numbers import numbers_in
from handlers.common.roles import may_act_on
from handlers.core.context import Context
from handlers.core.types import Button, IncomingCallback, IncomingMessage
from models.chats import active_chats_in
from models.people import Person, Role, active_grants, grant_role, holders_over, person_by_id
from models.places import Place, PlaceKind, buildings_mentioned, place_by_id, place_label
from models.role_audit import RoleChange, record_change, revoke_grant

LIVE_IN = re.compile(r"^\s*(?:我住在|我家在)\s*[:：]?\s*(?P<where>[^\s，,；;。.！!？?]{1,16})\s*[。.!！]?\s*$")
"""「我住在2号楼3单元」: short, so that 「我住在3号楼，楼道灯坏了」 stays a report for the intake."""
CONFIRMERS = (Role.BUILDING_HEAD, Role.GRID_WORKER, Role.STAFF, Role.ADMIN)
MAX_CHOICES = 6


async def buildings_of(ctx: Context, person_id: int, roles: tuple[Role, ...] | None = None) -> list[Place]:
    """The buildings the person holds a role on (any role, or one of `roles`)."""
    places = []
    for grant in await active_grants(ctx.session, person_id=person_id):
        if roles is not None and grant.role not in roles:
            continue
        place = await place_by_id(ctx.session, place_id=grant.place_id)
        if place is not None and place.kind == PlaceKind.BUILDING:
            places.append(place)
    return places


async def holds_a_building(ctx: Context) -> bool:
    """Whether the sender holds any role on a building: read from the grants the context already has (every group
    message asks this, so it costs no query)."""
    for grant in ctx.grants:
        place = await place_by_id(ctx.session, place_id=grant.place_id)
        if place is not None and place.kind == PlaceKind.BUILDING:
            return True
    return False


async def register_resident(ctx: Context, message: IncomingMessage) -> None:
    """Someone who belongs to no building yet and speaks in a bound building group is a resident of it; speaking
    in another building's group later changes nothing."""
    if not ctx.in_group or ctx.place is None or ctx.place.kind != PlaceKind.BUILDING:
        return
    assert ctx.person.id is not None
    if await holds_a_building(ctx):
        return
    await grant_role(ctx.session, person_id=ctx.person.id, role=Role.RESIDENT, place=ctx.place, granted_by_id=None)
    ctx.grants[:] = await active_grants(ctx.session, person_id=ctx.person.id)


async def on_live_in_words(ctx: Context, message: IncomingMessage) -> bool:
    """「我住在2号楼」 in the private chat."""
    found = None if ctx.in_group else LIVE_IN.match(message.text or "")
    if found is None:
        return False
    await ask_to_live_in(ctx, found.group("where"))
    return True


async def live_in_command(ctx: Context, message: IncomingMessage) -> None:
    """/livein 2号楼"""
    if not message.args.strip():
        ctx.reply(ctx.t("residency.usage"))
        return
    await ask_to_live_in(ctx, message.args)


async def ask_to_live_in(ctx: Context, where: str) -> None:
    """The building named: asked of its head at once; several of that name: the sender picks one first."""
    buildings = await buildings_mentioned(ctx.session, text=where)
    if not buildings:
        ctx.reply(ctx.t("residency.not_found", where=where.strip()))
        return
    if len(buildings) > 1:
        rows = [(Button(await place_label(ctx.session, place=b), f"res:pick:{b.id}"),) for b in buildings[:MAX_CHOICES]]
        ctx.reply(ctx.t("residency.which"), buttons=tuple(rows))
        return
    await ask_confirmation(ctx, buildings[0])


async def ask_confirmation(ctx: Context, building: Place) -> None:
    """The building's head (or, without one, who manages it nearest) is asked privately; the sender hears so."""
    assert ctx.person.id is not None
    label = await place_label(ctx.session, place=building)
    if building.id in {b.id for b in await buildings_of(ctx, ctx.person.id, (Role.RESIDENT,))}:
        ctx.reply(ctx.t("residency.already", place=label))
        return
    role, confirmers = await nearest_confirmers(ctx, building)
    if not confirmers:
        ctx.reply(ctx.t("residency.nobody", place=label))
        return
    question = ctx.t("residency.ask", name=ctx.person.display_name, place=label)
    data = f"{ctx.person.id}:{building.id}"
    yes, no = ctx.t("button.residency_yes"), ctx.t("button.residency_no")
    buttons = ((Button(yes, f"res:ok:{data}"), Button(no, f"res:no:{data}")),)
    groups = await active_chats_in(ctx.session, places=[building])
    for person in confirmers:
        knock = await ctx.knock(groups[0], person.id or 0) if groups else None
        await ctx.tell(person.id or 0, question, buttons, fallback=knock)
    ctx.reply(ctx.t("residency.asked", place=label, role=ctx.t(f"role.{role}")))


async def nearest_confirmers(ctx: Context, building: Place) -> tuple[Role, list[Person]]:
    """Who confirms a residence: the building's heads, else the grid's workers, else the community's staff."""
    for role in CONFIRMERS:
        found = [p for p in await holders_over(ctx.session, place=building, roles=(role,)) if p.id != ctx.person.id]
        if found:
            return role, found
    return CONFIRMERS[0], []


async def move_in(ctx: Context, person_id: int, building: Place) -> None:
    """The person is a resident of `building` from now, and of no other building (each change recorded)."""
    for grant in await active_grants(ctx.session, person_id=person_id):
        if grant.role == Role.RESIDENT and grant.place_id != building.id:
            await revoke_grant(
                ctx.session, grant_id=grant.id or 0, actor_id=ctx.person.id, now=ctx.now, change=RoleChange.REVOKED
            )
    if building.id in {b.id for b in await buildings_of(ctx, person_id, (Role.RESIDENT,))}:
        return
    grant = await grant_role(
        ctx.session, person_id=person_id, role=Role.RESIDENT, place=building, granted_by_id=ctx.person.id
    )
    record_change(ctx.session, grant=grant, change=RoleChange.GRANTED, actor_id=ctx.person.id, now=ctx.now)


async def on_residency_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """res:pick:<building> (the sender's choice) · res:ok|no:<person>:<building> (the building head's answer)."""
    numbers = numbers_in(parts[1:])
    building = await place_by_id(ctx.session, place_id=numbers[-1]) if numbers else None
    if building is None or building.kind != PlaceKind.BUILDING:
        ctx.answer(ctx.t("button.stale"))
        return
    if parts[0] == "pick":
        ctx.edit_pressed(await place_label(ctx.session, place=building))
        await ask_confirmation(ctx, building)
        ctx.answer()
        return
    person = await person_by_id(ctx.session, person_id=numbers[0]) if len(numbers) == 2 else None
    if person is None or parts[0] not in ("ok", "no"):
        ctx.answer(ctx.t("button.stale"))
        return
    if not await may_act_on(ctx, building, CONFIRMERS):
        ctx.answer(ctx.t("button.refused"), alert=True)
        return
    label = await place_label(ctx.session, place=building)
    if parts[0] == "ok":
        await move_in(ctx, person.id or 0, building)
        ctx.edit_pressed(ctx.t("residency.confirmed_here", name=person.display_name, place=label))
        await ctx.tell(person.id or 0, ctx.t("residency.confirmed", place=label))
    else:
        ctx.edit_pressed(ctx.t("residency.declined_here", name=person.display_name, place=label))
        await ctx.tell(person.id or 0, ctx.t("residency.declined", place=label))
    ctx.answer()
