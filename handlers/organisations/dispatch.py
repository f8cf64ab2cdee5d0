"""调 to an organisation: the routing rule's suggestion on a confirmed ticket, 派单给 XX物业 in one press (or another
organisation, or 已电话通知 when it has nobody in chat), 接单 by one of its members, 退单 and 转单."""

from __future__ import annotations

from handlers.common.numbers import parse_id
from handlers.common.roles import may_act_on
from handlers.common.ticket_places import ticket_place
from handlers.core.context import Context, Work
from handlers.core.hooks import (
    CardDrawn,
    ReportConfirmed,
    SeeingTicket,
    TicketChanged,
    TicketTakenOn,
    UrgentReported,
)
from handlers.core.types import Button, Edit, Keyboard
from models.organisations import (
    DispatchState,
    HoldState,
    Organisation,
    TicketDispatch,
    awaited_dispatch,
    current_dispatch,
    duty_members,
    hold_of,
    members_of,
    memberships_of,
    organisations_of,
    responsible_organisation,
)
from models.people import MANAGER_ROLES, Person, Role, holders
from models.places import Place, PlaceKind, ancestors, place_by_id
from models.tickets import Ticket, TicketStatus, add_event

DISPATCHABLE = (TicketStatus.CONFIRMED, TicketStatus.REOPENED, TicketStatus.ASSIGNED)
WORKING = (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.REOPENED)
MAX_CHOICES = 8
S = DispatchState


async def building_of(work: Work, ticket: Ticket) -> Place:
    place = await place_by_id(work.session, place_id=ticket.building_id)
    assert place is not None
    return place


async def community_of(work: Work, ticket: Ticket) -> Place:
    return (await ancestors(work.session, place=await building_of(work, ticket)))[0]


async def grid_workers(work: Work, ticket: Ticket) -> list[Person]:
    chain = await ancestors(work.session, place=await building_of(work, ticket))
    return await holders(
        work.session, place_ids=[p.id or 0 for p in chain if p.kind == PlaceKind.GRID], roles=(Role.GRID_WORKER,)
    )


async def step(
    work: Work, ticket: Ticket, action: str, *, actor_id: int | None, to_status: str | None = None, note: str = ""
) -> None:
    """One step of the ticket's history (shown in /ticket N)."""
    add_event(
        work.session,
        ticket=ticket,
        actor_id=actor_id,
        action=action,
        to_status=to_status,
        note=note or None,
        now=work.now,
    )
    await work.session.flush()


def phone(work: Work, org: Organisation) -> str:
    return org.duty_phone or work.t("org.no_phone")


def ticket_values(work: Work, ticket: Ticket) -> dict[str, object]:
    return {"number": ticket.id, "category": work.t(f"category.{ticket.category}"), "text": ticket.text}


async def tell_grid(work: Work, ticket: Ticket, org: Organisation, key: str) -> None:
    """The grid workers of the ticket's building are told `key` about it, with the organisation's duty phone: the
    organisation has nobody in chat (org.phone_told), or nobody on duty (org.nobody_on_duty)."""
    place = await ticket_place(work, ticket)
    text = work.t(key, org=org.name, phone=phone(work, org), place=place, **ticket_values(work, ticket))
    for person in await grid_workers(work, ticket):
        await work.tell(person.id or 0, text)


async def send_to(
    work: Work, ticket: Ticket, org: Organisation, *, actor_id: int | None, action: str, note: str
) -> None:
    """Dispatch to the organisation: its members on duty get the job with 接单 / 退单 / 转单 (every member, and the
    grid worker the phone, when nobody is on duty); with nobody in chat it stays a suggestion and the grid worker is
    told to phone."""
    members = await members_of(work.session, organisation_id=org.id or 0)
    state = S.DISPATCHED if members else S.SUGGESTED
    dispatch = TicketDispatch(
        ticket_id=ticket.id or 0,
        organisation_id=org.id or 0,
        state=state,
        dispatched_by_id=actor_id,
        created_at=work.now,
        dispatched_at=work.now,
    )
    work.session.add(dispatch)
    ticket.assignee_id = None
    to_status = TicketStatus.ASSIGNED if members and ticket.status in (*DISPATCHABLE, *WORKING) else None
    await step(work, ticket, action, actor_id=actor_id, to_status=to_status, note=note)
    if not members:
        await tell_grid(work, ticket, org, "org.phone_told")
        return
    await send_jobs(work, ticket, org, await duty_members(work.session, organisation_id=org.id or 0))
    if not await members_of(work.session, organisation_id=org.id or 0, on_duty=True):
        await tell_grid(work, ticket, org, "org.nobody_on_duty")


async def send_jobs(
    work: Work, ticket: Ticket, org: Organisation, members: list[Person], *, urgent: bool = False
) -> None:
    place = await ticket_place(work, ticket)
    text = work.t("org.job", org=org.name, place=place, **ticket_values(work, ticket))
    if urgent:
        text = work.t("org.urgent_prefix") + text
    n = ticket.id
    buttons: Keyboard = (
        (Button(work.t("org_button.accept"), f"o:a:{n}"),),
        (Button(work.t("org_button.return"), f"o:r:{n}"), Button(work.t("org_button.transfer"), f"o:t:{n}")),
    )
    for member in members:
        await work.tell(member.id or 0, text, buttons, ref_key=f"org:{n}:{member.id}")


# ---- hooks from tickets --------------------------------------------------------------------------------------------


async def suggest(work: Work, hook: ReportConfirmed) -> None:
    """A confirmed ticket is suggested to the organisation the community's routing rules name."""
    ticket = hook.ticket
    org = await routed(work, ticket, hook.building)
    if org is None:
        return
    work.session.add(TicketDispatch(ticket_id=ticket.id or 0, organisation_id=org.id or 0, created_at=work.now))
    await step(work, ticket, "suggest", actor_id=None, note=org.name)
    if not await members_of(work.session, organisation_id=org.id or 0):
        await tell_grid(work, ticket, org, "org.phone_told")


async def routed(work: Work, ticket: Ticket, building: Place) -> Organisation | None:
    community = (await ancestors(work.session, place=building))[0]
    return await responsible_organisation(
        work.session,
        community=community,
        category=ticket.category,
        subkind=work.config.classify(ticket.text).subkind,
        building_id=ticket.building_id,
    )


async def urgent(work: Work, hook: UrgentReported) -> None:
    """Danger now: straight to the responsible organisation's duty members (every member when nobody is on duty),
    and its duty phone on what the grid workers and staff are told, without waiting for the building head."""
    ticket = hook.ticket
    org = await routed(work, ticket, hook.building)
    if org is None or ticket.private:
        return
    duty = await duty_members(work.session, organisation_id=org.id or 0)
    state = S.DISPATCHED if duty else S.SUGGESTED
    work.session.add(
        TicketDispatch(
            ticket_id=ticket.id or 0,
            organisation_id=org.id or 0,
            state=state,
            created_at=work.now,
            dispatched_at=work.now,
        )
    )
    to_status = TicketStatus.ASSIGNED if duty else None
    await step(work, ticket, "urgent", actor_id=None, to_status=to_status, note=f"{org.name} {phone(work, org)}")
    if duty:
        await send_jobs(work, ticket, org, duty, urgent=True)
    key = "org.urgent_sent" if duty else "org.urgent_phone"
    hook.lines.append(work.t(key, org=org.name, phone=phone(work, org)))
    await work.emit(TicketChanged(ticket))


async def on_card(work: Work, hook: CardDrawn) -> None:
    """The organisation's line on the card and the buttons of those who dispatch."""
    ticket, n = hook.ticket, hook.ticket.id
    current = None if hook.opened else await current_dispatch(work.session, ticket_id=n or 0)
    org = await work.session.get(Organisation, current.organisation_id) if current else None
    if current is None or org is None or current.state == S.RETURNED:
        if current is not None and org is not None:
            hook.lines.append(work.t("org_card.org_returned", name=org.name, reason=current.note or "?"))
        if ticket.status in DISPATCHABLE and await organisations_of(
            work.session, community_id=(await community_of(work, ticket)).id or 0
        ):
            hook.buttons.append((Button(work.t("org_button.to_org"), f"o:c:{n}"),))
        return
    values = {"name": org.name, "phone": phone(work, org)}
    if current.state == S.SUGGESTED:
        hook.lines.append(work.t("org_card.org_suggested", **values))
        if ticket.status in DISPATCHABLE:
            if await members_of(work.session, organisation_id=org.id or 0):
                first = Button(work.t("org_button.dispatch_org", name=org.name), f"o:d:{n}:{org.id}")
            else:
                hook.lines.append(work.t("org_card.org_no_members", **values))
                first = Button(work.t("org_button.phoned", name=org.name), f"o:p:{n}:{org.id}")
            hook.buttons.append((first, Button(work.t("org_button.other_org"), f"o:c:{n}")))
    elif current.state == S.DISPATCHED:
        hook.lines.append(work.t("org_card.org_waiting", **values))
        hook.handler.append(org.name)
    elif current.state == S.PHONED:
        hook.lines.append(work.t("org_card.org_phoned", **values))
    else:
        hook.lines.append(work.t("org_card.org", **values))
    await hold_lines(work, hook, org)


async def hold_lines(work: Work, hook: CardDrawn, org: Organisation) -> None:
    n = hook.ticket.id
    hold = await hold_of(work.session, ticket_id=n or 0, states=(HoldState.REQUESTED, HoldState.ACTIVE))
    if hold is None or not hook.ticket.is_open:
        return
    when = hold.expected_at.astimezone(work.config.timezone).strftime("%m月%d日")
    if hold.state == HoldState.REQUESTED:
        hook.lines.append(work.t("org_card.hold_requested", name=org.name, reason=hold.reason, when=when))
        hook.buttons.append(
            (
                Button(work.t("org_button.approve_hold"), f"o:ha:{n}"),
                Button(work.t("org_button.refuse_hold"), f"o:hr:{n}"),
            )
        )
    else:
        hook.lines.append(work.t("org_card.hold_active", reason=hold.reason, when=when))
        hook.buttons.append((Button(work.t("org_button.resume"), f"o:hx:{n}"),))


async def acting_org(work: Work, ticket: Ticket, person_id: int) -> Organisation | None:
    """The organisation the ticket is dispatched to, if the person is one of its members."""
    current = await current_dispatch(work.session, ticket_id=ticket.id or 0)
    if current is None or current.state not in (S.DISPATCHED, S.ACCEPTED):
        return None
    if current.organisation_id not in await memberships_of(work.session, person_id=person_id):
        return None
    return await work.session.get(Organisation, current.organisation_id)


async def may_see(work: Work, hook: SeeingTicket) -> None:
    """An organisation's members see the tickets dispatched to it (and no others)."""
    if await acting_org(work, hook.ticket, hook.person_id) is not None:
        hook.allowed.append(True)


# ---- the dispatcher's buttons (building head, grid worker, staff) --------------------------------------------------


async def dispatch_now(ctx: Context, ticket: Ticket, arg: str | None) -> None:
    """派单给 XX物业: one press."""
    org = await org_of_community(ctx, ticket, arg)
    if org is None or ticket.status not in DISPATCHABLE:
        ctx.answer(ctx.t("button.stale"))
        return
    await dispatch_org(ctx, ticket, org, actor_id=ctx.person.id)
    ctx.answer("🏢")


async def dispatch_org(work: Work, ticket: Ticket, org: Organisation, *, actor_id: int | None) -> None:
    """派单给 XX物业 (also 选择其他单位 → one of them)."""
    await send_to(work, ticket, org, actor_id=actor_id, action="dispatch", note=org.name)
    await work.emit(TicketChanged(ticket))


async def phoned(ctx: Context, ticket: Ticket, arg: str | None) -> None:
    """已电话通知: the grid worker called an organisation with nobody in chat, and follows the ticket up."""
    org = await org_of_community(ctx, ticket, arg)
    if org is None or ticket.status not in DISPATCHABLE:
        ctx.answer(ctx.t("button.stale"))
        return
    ctx.session.add(
        TicketDispatch(
            ticket_id=ticket.id or 0,
            organisation_id=org.id or 0,
            state=S.PHONED,
            dispatched_by_id=ctx.person.id,
            created_at=ctx.now,
            dispatched_at=ctx.now,
        )
    )
    ticket.assignee_id = ctx.person.id
    await step(
        ctx,
        ticket,
        "phoned",
        actor_id=ctx.person.id,
        to_status=TicketStatus.ASSIGNED,
        note=f"{org.name} {phone(ctx, org)}",
    )
    await ctx.emit(TicketTakenOn(ticket))
    ctx.answer("☎")


async def org_of_community(ctx: Context, ticket: Ticket, arg: str | None) -> Organisation | None:
    org_id = parse_id(arg) if arg else None
    org = await ctx.session.get(Organisation, org_id) if org_id else None
    community = await community_of(ctx, ticket)
    return org if org is not None and org.community_id == community.id else None


async def choose(ctx: Context, ticket: Ticket, _arg: str | None) -> None:
    """选择其他单位: every organisation of the community, one press each."""
    orgs = await organisations_of(ctx.session, community_id=(await community_of(ctx, ticket)).id or 0)
    rows = []
    for org in orgs[:MAX_CHOICES]:
        has_members = bool(await members_of(ctx.session, organisation_id=org.id or 0))
        label = org.name if has_members else f"☎ {org.name}"
        rows.append((Button(label, f"o:{'d' if has_members else 'p'}:{ticket.id}:{org.id}"),))
    ctx.edit_pressed(
        ctx.t("org.choose", number=ticket.id),
        buttons=(*rows, (Button(ctx.t("org_button.back"), f"t:back:{ticket.id}"),)),
    )
    ctx.answer()


# ---- the organisation's members ------------------------------------------------------------------------------------


async def accept(ctx: Context, ticket: Ticket, org: Organisation) -> None:
    """接单 pressed on the job message."""
    current = await current_dispatch(ctx.session, ticket_id=ticket.id or 0)
    if current is None or current.state != S.DISPATCHED or not ticket.is_open:
        ctx.answer(ctx.t("button.stale"))
        return
    ctx.edit_pressed(ctx.t("org.accepted", number=ticket.id), buttons=accepted_buttons(ctx, ticket))
    await take_on(ctx, ticket, org, current, ctx.person)
    ctx.answer("👷")


def accepted_buttons(work: Work, ticket: Ticket) -> Keyboard:
    n = ticket.id
    return (
        (Button(work.t("org_button.hold"), f"o:h:{n}"),),
        (Button(work.t("org_button.return"), f"o:r:{n}"), Button(work.t("org_button.transfer"), f"o:t:{n}")),
    )


async def take_on(work: Work, ticket: Ticket, org: Organisation, current: TicketDispatch, member: Person) -> None:
    """接单: this member becomes the ticket's assignee; the others' job messages say who took it."""
    current.state, current.accepted_by_id, current.accepted_at = S.ACCEPTED, member.id, work.now
    ticket.assignee_id = member.id
    await step(work, ticket, "accept", actor_id=member.id, note=org.name)
    taken = work.t("org.job_taken", number=ticket.id, name=member.display_name)
    for other in await members_of(work.session, organisation_id=org.id or 0):
        if other.id != member.id:
            work.effects.add(Edit(text=taken, ref_key=f"org:{ticket.id}:{other.id}"))
    await work.emit(TicketTakenOn(ticket))


async def ask_reason(ctx: Context, ticket: Ticket, org: Organisation, awaiting: str) -> None:
    current = await current_dispatch(ctx.session, ticket_id=ticket.id or 0)
    if current is None or not ticket.is_open:
        ctx.answer(ctx.t("button.stale"))
        return
    current.awaiting, current.awaiting_id = awaiting, ctx.person.id
    ctx.reply(ctx.t(f"org.ask_{awaiting}"))
    ctx.answer()


async def ask_return(ctx: Context, ticket: Ticket, org: Organisation) -> None:
    await ask_reason(ctx, ticket, org, "return")


async def hand_back(ctx: Context, ticket: Ticket, dispatch: TicketDispatch, reason: str) -> None:
    """The private answer to 请回复退单原因: the ticket goes back, and the member hears so."""
    await return_ticket(ctx, ticket, dispatch, reason, actor_id=ctx.person.id)
    ctx.reply(ctx.t("org.returned_reply", number=ticket.id))


async def return_ticket(
    work: Work, ticket: Ticket, dispatch: TicketDispatch, reason: str, *, actor_id: int | None
) -> None:
    """退单: not ours; the dispatcher and the grid worker pick another."""
    org = await work.session.get(Organisation, dispatch.organisation_id)
    assert org is not None
    dispatch.state, dispatch.note = S.RETURNED, reason[:300]
    ticket.assignee_id = None
    to_status = TicketStatus.CONFIRMED if ticket.status in WORKING else None
    await step(work, ticket, "return", actor_id=actor_id, to_status=to_status, note=f"{org.name}：{reason}")
    text = work.t("org.returned_private", org=org.name, number=ticket.id, reason=reason)
    told = {p.id for p in await grid_workers(work, ticket)} | {dispatch.dispatched_by_id}
    for person_id in told - {None, actor_id}:
        await work.tell(int(person_id or 0), text)
    await work.emit(TicketChanged(ticket))


async def choose_transfer(ctx: Context, ticket: Ticket, org: Organisation) -> None:
    """转单: the other organisations of the community."""
    others = [o for o in await organisations_of(ctx.session, community_id=org.community_id) if o.id != org.id]
    if not others:
        ctx.answer(ctx.t("org.no_other"), alert=True)
        return
    rows = [(Button(o.name, f"o:tt:{ticket.id}:{o.id}"),) for o in others[:MAX_CHOICES]]
    ctx.reply(ctx.t("org.choose_transfer", number=ticket.id), buttons=tuple(rows))
    ctx.answer()


async def transfer(ctx: Context, ticket: Ticket, org: Organisation, arg: str | None) -> None:
    target = await org_of_community(ctx, ticket, arg)
    current = await current_dispatch(ctx.session, ticket_id=ticket.id or 0)
    if target is None or target.id == org.id or current is None or not ticket.is_open:
        ctx.answer(ctx.t("button.stale"))
        return
    await pass_on(ctx, ticket, current, org, target, actor_id=ctx.person.id)
    ctx.edit_pressed(ctx.t("org.transferred", number=ticket.id, org=target.name))
    ctx.answer()


async def pass_on(
    work: Work,
    ticket: Ticket,
    current: TicketDispatch,
    org: Organisation,
    target: Organisation,
    *,
    actor_id: int | None,
) -> None:
    """转单: the organisation passes the ticket on to another of the community's; its members get the job."""
    current.state = S.TRANSFERRED
    await send_to(work, ticket, target, actor_id=actor_id, action="transfer", note=f"{org.name} → {target.name}")
    await work.emit(TicketChanged(ticket))


async def may_dispatch(ctx: Context, ticket: Ticket) -> bool:
    return await may_act_on(ctx, await building_of(ctx, ticket), MANAGER_ROLES)


async def awaited(ctx: Context) -> TicketDispatch | None:
    """The current dispatch whose reason (退单 / 挂账) the sender was asked for."""
    dispatch = await awaited_dispatch(ctx.session, person_id=ctx.person.id or 0)
    current = await current_dispatch(ctx.session, ticket_id=dispatch.ticket_id) if dispatch else None
    return dispatch if dispatch is not None and current is not None and current.id == dispatch.id else None
