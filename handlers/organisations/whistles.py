"""吹哨报到 beyond the community: a ticket that reaches 社区 is whistled on to the 街道 and the responsible
department, which must report in (报到) in time; a missing 报到 is reminded and shown to staff as overdue.
督办: staff and 街道 members press it to chase whoever handles the ticket."""

from __future__ import annotations

from handlers.common.numbers import parse_id
from handlers.common.ticket_places import ticket_place
from handlers.common.times import local_time
from handlers.core.context import Context, Work
from handlers.core.hooks import CardDrawn, SeeingTicket, TicketChanged, TicketEscalated
from handlers.core.types import Button, Edit, Keyboard
from handlers.organisations.dispatch import (
    building_of,
    community_of,
    grid_workers,
    phone,
    routed,
    step,
    ticket_values,
)
from handlers.organisations.settings import OrgSettings
from models.organisations import (
    Organisation,
    OrgKind,
    Whistle,
    current_dispatch,
    members_of,
    memberships_of,
    organisations_of,
    whistles_of,
    whistles_overdue,
)
from models.people import Person, Role, has_role_over, holders
from models.tickets import Ticket, Tier

SUPERVISORS = (Role.STAFF, Role.ADMIN)


async def staff_of(work: Work, ticket: Ticket) -> list[int]:
    community = await community_of(work, ticket)
    return [p.id or 0 for p in await holders(work.session, place_ids=[community.id or 0], roles=SUPERVISORS)]


async def whistled_orgs(work: Work, ticket: Ticket) -> list[Organisation]:
    """The community's 街道 and the responsible department (when the routing rules name one)."""
    community = await community_of(work, ticket)
    orgs = await organisations_of(work.session, community_id=community.id or 0)
    found = [o for o in orgs if o.kind == OrgKind.STREET]
    department = await routed(work, ticket, await building_of(work, ticket))
    if department is not None and department.kind == OrgKind.DEPARTMENT:
        found.append(department)
    return found


def whistle_buttons(work: Work, ticket: Ticket, org: Organisation) -> Keyboard:
    n = ticket.id
    return (
        (
            Button(work.t("org_button.report_in"), f"o:ri:{n}:{org.id}"),
            Button(work.t("org_button.supervise"), f"o:sv:{n}"),
        ),
    )


async def whistle(work: Work, hook: TicketEscalated) -> None:
    """At 社区: every whistled organisation is told and must report in within the configured time."""
    ticket = hook.ticket
    if hook.tier != Tier.COMMUNITY or ticket.private:
        return
    due = work.now + work.setting(OrgSettings).report_in
    place = await ticket_place(work, ticket)
    for org in await whistled_orgs(work, ticket):
        work.session.add(
            Whistle(ticket_id=ticket.id or 0, organisation_id=org.id or 0, created_at=work.now, due_at=due)
        )
        await step(work, ticket, "whistle", actor_id=None, note=org.name)
        text = work.t(
            "org.whistle",
            org=org.name,
            place=place,
            when=local_time(due, work.config.timezone, work.locale),
            **ticket_values(work, ticket),
        )
        members = await members_of(work.session, organisation_id=org.id or 0)
        for member in members:
            ref = f"whistle:{ticket.id}:{org.id}:{member.id}"
            await work.tell(member.id or 0, text, whistle_buttons(work, ticket, org), ref_key=ref)
        if not members:
            told = work.t("org.whistle_phone", org=org.name, phone=phone(work, org), number=ticket.id)
            for person_id in await staff_of(work, ticket):
                await work.tell(person_id, told)


async def report_in(ctx: Context, ticket: Ticket, arg: str | None) -> None:
    """报到: a member of the whistled organisation says it is on the case."""
    org_id = (parse_id(arg) if arg else None) or 0
    mine = await memberships_of(ctx.session, person_id=ctx.person.id or 0)
    found = next(
        (w for w in await whistles_of(ctx.session, ticket_id=ticket.id or 0) if w.organisation_id == org_id), None
    )
    if found is None or org_id not in mine:
        ctx.answer(ctx.t("org.not_member"), alert=True)
        return
    if found.reported_at is not None:
        ctx.answer(ctx.t("org.already_reported"))
        return
    org = await ctx.session.get(Organisation, org_id)
    assert org is not None
    found.reported_at, found.reported_by_id = ctx.now, ctx.person.id
    await step(ctx, ticket, "report_in", actor_id=ctx.person.id, note=org.name)
    done = ctx.t("org.reported_in", number=ticket.id, org=org.name, name=ctx.person.display_name)
    for member in await members_of(ctx.session, organisation_id=org_id):
        ctx.effects.add(
            Edit(text=done, buttons=supervise_row(ctx, ticket), ref_key=f"whistle:{ticket.id}:{org_id}:{member.id}")
        )
    for person_id in await staff_of(ctx, ticket):
        await ctx.tell(person_id, done)
    await ctx.emit(TicketChanged(ticket))
    ctx.answer("📣")


def supervise_row(work: Work, ticket: Ticket) -> Keyboard:
    return ((Button(work.t("org_button.supervise"), f"o:sv:{ticket.id}"),),)


async def may_supervise(work: Work, ticket: Ticket, person_id: int) -> bool:
    """Staff over the ticket's building, or a member of the community's 街道."""
    if await has_role_over(work.session, person_id=person_id, place=await building_of(work, ticket), roles=SUPERVISORS):
        return True
    streets = [o.id for o in await whistled_orgs(work, ticket) if o.kind == OrgKind.STREET]
    return bool(set(streets) & set(await memberships_of(work.session, person_id=person_id)))


async def chase(work: Work, ticket: Ticket, supervisor: Person) -> None:
    """督办: whoever handles the ticket now (its assignee or the organisation's members) and the grid worker are
    chased, in the supervisor's name."""
    await step(work, ticket, "supervise", actor_id=supervisor.id, note=supervisor.display_name)
    text = work.t("org.supervised", who=supervisor.display_name, **ticket_values(work, ticket))
    chased = {p.id for p in await grid_workers(work, ticket)} | {ticket.assignee_id}
    current = await current_dispatch(work.session, ticket_id=ticket.id or 0)
    if current is not None and ticket.assignee_id is None:
        chased |= {p.id for p in await members_of(work.session, organisation_id=current.organisation_id)}
    for person_id in chased - {None, supervisor.id}:
        await work.tell(int(person_id or 0), text)
    await work.emit(TicketChanged(ticket))


async def supervise(ctx: Context, ticket: Ticket, _arg: str | None) -> None:
    """The 督办 button (in the staff's and the 街道's private chats)."""
    if not await may_supervise(ctx, ticket, ctx.person.id or 0):
        ctx.answer(ctx.t("org.supervise_refused"), alert=True)
        return
    if not ticket.is_open:
        ctx.answer(ctx.t("button.stale"))
        return
    await chase(ctx, ticket, ctx.person)
    ctx.answer(ctx.t("org.supervise_sent"))


async def whistle_lines(work: Work, hook: CardDrawn) -> None:
    """Each whistled organisation on the card: reported in, waiting (until when), or overdue; and 督办."""
    whistles = [] if hook.opened else await whistles_of(work.session, ticket_id=hook.ticket.id or 0)
    for found in whistles:
        org = await work.session.get(Organisation, found.organisation_id)
        name = org.name if org else "?"
        if found.reported_at is not None:
            hook.lines.append(work.t("org_card.reported_in", name=name))
        elif found.due_at <= work.now:
            hook.lines.append(work.t("org_card.report_overdue", name=name))
        else:
            hook.lines.append(
                work.t(
                    "org_card.report_waiting",
                    name=name,
                    when=local_time(found.due_at, work.config.timezone, work.locale),
                )
            )
    if hook.ticket.is_open and (whistles or hook.ticket.tier != Tier.BUILDING):
        hook.buttons.append((Button(work.t("org_button.supervise"), f"o:sv:{hook.ticket.id}"),))


async def may_see_whistled(work: Work, hook: SeeingTicket) -> None:
    whistled = {w.organisation_id for w in await whistles_of(work.session, ticket_id=hook.ticket.id or 0)}
    if whistled & set(await memberships_of(work.session, person_id=hook.person_id)):
        hook.allowed.append(True)


async def sweep_whistles(work: Work) -> int:
    """A missing 报到: the organisation is reminded once, and staff are told it is overdue."""
    overdue = await whistles_overdue(work.session, now=work.now)
    for found in overdue:
        found.reminded = True
        ticket = await work.session.get(Ticket, found.ticket_id)
        org = await work.session.get(Organisation, found.organisation_id)
        assert ticket is not None and org is not None
        reminder = work.t("org.report_reminder", number=ticket.id, org=org.name)
        for member in await members_of(work.session, organisation_id=org.id or 0):
            await work.tell(member.id or 0, reminder, whistle_buttons(work, ticket, org))
        overdue_text = work.t("org.report_overdue_staff", number=ticket.id, org=org.name, phone=phone(work, org))
        for person_id in await staff_of(work, ticket):
            await work.tell(person_id, overdue_text)
        await work.emit(TicketChanged(ticket))
    return len(overdue)
