"""/org (单位): community staff list, add and edit their organisations in chat, set routing rules, and invite members
by a one-time deep link; /orgtickets (单位工单) lists what is dispatched to the member's organisations."""

from __future__ import annotations

import re

from handlers.common.org_import import CATEGORY_WORDS, KIND_WORDS, OrgFileError, subkind_key
from handlers.core.context import Context
from handlers.core.hooks import RoleGranted, RoleHandedOver
from handlers.core.texts import quoted
from handlers.core.types import IncomingMessage
from handlers.organisations.settings import OrgSettings
from models.organisations import (
    Organisation,
    OrgInvite,
    OrgKind,
    add_member,
    find_organisation,
    live_tickets_of,
    members_of,
    memberships_of,
    move_memberships,
    org_invite_by_code,
    organisations_of,
    set_rule,
)
from models.people import Role, create_invite
from models.places import Place, PlaceKind, place_by_id, places_within
from models.tickets import Category, Ticket

ORG_ADMINS = frozenset({Role.STAFF, Role.ADMIN})
TICKETS_SHOWN = 20

NAME_MAX = 40  # an organisation's name, also part of its code (community code + "/" + name)
PHONE_MAX = 40
CLOCK_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")  # 08:00, in ASCII digits


async def staff_community(ctx: Context) -> Place | None:
    """The community where the sender is staff (the first, if several)."""
    for grant in ctx.grants:
        if grant.role in ORG_ADMINS:
            place = await place_by_id(ctx.session, place_id=grant.place_id)
            if place is not None and place.kind == PlaceKind.COMMUNITY:
                return place
    return None


async def serves_text(ctx: Context, org: Organisation, community: Place) -> str:
    if org.serves in ([], [community.id]):
        return ctx.t("org.everywhere")
    names = [p.name for p in [await place_by_id(ctx.session, place_id=i) for i in org.serves] if p is not None]
    return "、".join(names)


async def list_orgs(ctx: Context, community: Place) -> str:
    lines = [ctx.t("org.list_header", community=community.name)]
    for org in await organisations_of(ctx.session, community_id=community.id or 0):
        lines.append(
            ctx.t(
                "org.list_line",
                name=org.name,
                kind=ctx.t(f"orgkind.{org.kind}"),
                phone=org.duty_phone or ctx.t("org.no_phone"),
                hours=org.working_hours or "-",
                members=len(await members_of(ctx.session, organisation_id=org.id or 0)),
                on_duty=len(await members_of(ctx.session, organisation_id=org.id or 0, on_duty=True)),
                serves=await serves_text(ctx, org, community),
            )
        )
    if len(lines) == 1:
        lines.append(ctx.t("org.none"))
    return "\n".join([*lines, "", ctx.t("org.usage")])


async def org_command(ctx: Context, message: IncomingMessage) -> None:
    """/org [add|phone|hours|serve|route|invite …]: the router already checked the staff role."""
    community = await staff_community(ctx)
    if community is None:
        ctx.reply(ctx.t("org.no_community"))
        return
    words = message.args.split()
    if not words:
        ctx.reply(await list_orgs(ctx, community))
        return
    verb, rest = words[0].lower(), words[1:]
    if verb == "add" and len(rest) >= 2:
        await add_org(ctx, community, rest)
        return
    if verb not in EDITS or not rest:
        ctx.reply(ctx.t("org.usage"))
        return
    org = await find_organisation(ctx.session, community_ids=[community.id or 0], name=rest[0])
    if org is None:
        ctx.reply(ctx.t("org.unknown", name=quoted(rest[0])))
        return
    await EDITS[verb](ctx, community, org, rest[1:])


async def add_org(ctx: Context, community: Place, rest: list[str]) -> None:
    kind = KIND_WORDS.get(rest[0]) or next((k for k in OrgKind if k.value == rest[0]), None)
    if kind is None:
        ctx.reply(ctx.t("org.bad_kind"))
        return
    name, phone = rest[1], " ".join(rest[2:])[:PHONE_MAX] or None
    if len(name) > NAME_MAX:
        ctx.reply(ctx.t("org.name_too_long", name=quoted(name), limit=NAME_MAX))
        return
    if await find_organisation(ctx.session, community_ids=[community.id or 0], name=name) is not None:
        ctx.reply(ctx.t("org.exists", name=quoted(name)))
        return
    ctx.session.add(
        Organisation(
            community_id=community.id or 0,
            kind=kind,
            name=name,
            code=f"{community.code}/{name}",
            duty_phone=phone,
            serves=[community.id or 0],
        )
    )
    await ctx.session.flush()
    ctx.reply(ctx.t("org.added", name=name, kind=ctx.t(f"orgkind.{kind}"), phone=phone or ctx.t("org.no_phone")))


async def set_phone(ctx: Context, community: Place, org: Organisation, rest: list[str]) -> None:
    org.duty_phone = " ".join(rest)[:40] or None
    ctx.reply(ctx.t("org.saved", name=org.name, what=f"☎ {org.duty_phone or ctx.t('org.no_phone')}"))


async def set_hours(ctx: Context, community: Place, org: Organisation, rest: list[str]) -> None:
    hours = "".join(rest)
    opens, dash, closes = hours.partition("-")
    if not dash or not all(CLOCK_TIME.fullmatch(t) for t in (opens, closes)):
        ctx.reply(ctx.t("org.bad_hours"))
        return
    org.working_hours = hours
    ctx.reply(ctx.t("org.saved", name=org.name, what=f"🕘 {hours}"))


async def places_named(ctx: Context, community: Place, text: str) -> list[int] | None:
    """Buildings or grids of the community by name (全部: the whole community); None after saying which is unknown."""
    if text in ("全部", "all"):
        return [community.id or 0]
    inside = [p for p in await places_within(ctx.session, scope=community) if p.kind != PlaceKind.COMMUNITY]
    found = []
    for name in [n for n in text.replace("、", ",").split(",") if n]:
        place = next((p for p in inside if p.name == name), None)
        if place is None:
            ctx.reply(ctx.t("org.bad_place", name=quoted(name)))
            return None
        found.append(place.id or 0)
    return found


async def set_serves(ctx: Context, community: Place, org: Organisation, rest: list[str]) -> None:
    serves = await places_named(ctx, community, ",".join(rest))
    if serves is None:
        return
    org.serves = serves
    ctx.reply(ctx.t("org.saved", name=org.name, what=await serves_text(ctx, org, community)))


async def set_route(ctx: Context, community: Place, org: Organisation, rest: list[str]) -> None:
    """route NAME 报修 [电梯] [1号楼]"""
    category = CATEGORY_WORDS.get(rest[0]) if rest else None
    category = category or next((c for c in Category if rest and c.value == rest[0]), None)
    if category is None:
        ctx.reply(ctx.t("org.bad_route"))
        return
    subkind, building_id, extra = None, None, rest[1:]
    if extra:
        try:
            subkind, extra = subkind_key(extra[0], "route"), extra[1:]
        except OrgFileError:
            subkind = None
    if extra:
        places = await places_named(ctx, community, extra[0])
        if places is None:
            return
        building_id = places[0]
    await set_rule(
        ctx.session,
        community_id=community.id or 0,
        category=category,
        subkind=subkind,
        building_id=building_id,
        organisation_id=org.id or 0,
    )
    where = f" · {extra[0]}" if extra else ""
    shown = f" · {rest[1]}" if subkind else ""
    ctx.reply(
        ctx.t("org.route_saved", category=ctx.t(f"category.{category}"), subkind=shown, where=where, name=org.name)
    )


async def invite(ctx: Context, community: Place, org: Organisation, rest: list[str]) -> None:
    """A one-time deep link: whoever opens it gets the org member role and joins this organisation."""
    ttl = ctx.setting(OrgSettings).invite_ttl
    made = await create_invite(ctx.session, role=Role.ORG_MEMBER, place=community, created_by_id=ctx.person.id, ttl=ttl)
    ctx.session.add(OrgInvite(code=made.code, organisation_id=org.id or 0))
    link = f"https://t.me/{ctx.config.bot_username}?start={made.code}"
    ctx.reply(ctx.t("org.invite", name=org.name, hours=int(ttl.total_seconds() // 3600), link=link, code=made.code))


EDITS = {"phone": set_phone, "hours": set_hours, "serve": set_serves, "route": set_route, "invite": invite}


async def on_invite(ctx: Context, hook: RoleGranted) -> None:
    """An org member's invite joins its user to the organisation it was made for."""
    made = await org_invite_by_code(ctx.session, code=hook.invite.code)
    if made is None:
        return
    org = await ctx.session.get(Organisation, made.organisation_id)
    assert org is not None
    await add_member(ctx.session, organisation_id=org.id or 0, person_id=ctx.person.id or 0, now=ctx.now)
    ctx.reply(ctx.t("org.joined", name=org.name))


async def on_handover(ctx: Context, hook: RoleHandedOver) -> None:
    """An org member's role handed over: the successor acts for the predecessor's organisations."""
    if hook.role == Role.ORG_MEMBER:
        await move_memberships(
            ctx.session,
            community_id=hook.place.id or 0,
            from_person_id=hook.from_person_id,
            to_person_id=hook.to_person_id,
        )


async def org_tickets(ctx: Context, message: IncomingMessage) -> None:
    """/orgtickets: the tickets currently dispatched to the sender's organisations."""
    org_ids = await memberships_of(ctx.session, person_id=ctx.person.id or 0)
    ticket_ids = await live_tickets_of(ctx.session, organisation_ids=org_ids)
    if not ticket_ids:
        ctx.reply(ctx.t("org.tickets_none"))
        return
    names = "、".join(o.name for o in [await ctx.session.get(Organisation, i) for i in org_ids] if o is not None)
    lines = [ctx.t("org.tickets_header", org=names, total=len(ticket_ids))]
    for ticket_id in ticket_ids[:TICKETS_SHOWN]:
        ticket = await ctx.session.get(Ticket, ticket_id)
        if ticket is not None and ticket.is_open:
            lines.append(
                ctx.t(
                    "org.ticket_line",
                    number=ticket.id,
                    category=ctx.t(f"category.{ticket.category}"),
                    text=ticket.text[:24],
                )
            )
    ctx.reply("\n".join(lines))
