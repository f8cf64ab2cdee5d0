"""/grant (授权): a one-time deep link for one person; /roles (身份管理): the holders with 撤销 and 移交 buttons;
what happens when an invite is accepted (the record, the handover, telling the inviter)."""

from __future__ import annotations

from handlers.common.numbers import numbers_in
from handlers.core.context import Context
from handlers.core.hooks import RoleGranted, RoleHandedOver
from handlers.core.texts import quoted
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard
from handlers.roles_admin.rules import LISTED, OFFICE_ROLES, PAGE, RolesConfig, parse_grant
from models.people import ROLE_PLACE_KIND, Invite, Role, RoleGrant, has_role_over, person_by_id
from models.places import Place, PlaceKind, place_by_id, place_label, places_within
from models.role_audit import RoleChange, grant_by_id, grants_within, issue_invite, record_change, revoke_grant


async def office_of(ctx: Context) -> Place | None:
    """The community whose roles the sender manages (the first where they are staff or admin)."""
    for grant in ctx.grants:
        if grant.role in OFFICE_ROLES:
            place = await place_by_id(ctx.session, place_id=grant.place_id)
            if place is not None:
                return place
    return None


async def find_place(ctx: Context, community: Place, name: str) -> Place | None:
    """The node of the community called `name` (or whose code ends with it); the community itself when empty."""
    if not name:
        return community
    for place in await places_within(ctx.session, scope=community):
        if place.name == name or place.code.endswith(name):
            return place
    return None


def invite_link(ctx: Context, invite: Invite) -> str:
    return f"https://t.me/{ctx.config.bot_username}?start={invite.code}"


async def grant_command(ctx: Context, message: IncomingMessage) -> None:
    """/grant 楼栋长 1号楼: a one-time link that makes whoever opens it the building head of 1号楼."""
    community = await office_of(ctx)
    parsed = parse_grant(message.args)
    if community is None or parsed is None:
        ctx.reply(ctx.t("roles.grant_usage"))
        return
    role, name = parsed
    place = await find_place(ctx, community, name)
    if place is None:
        ctx.reply(ctx.t("roles.no_place", name=quoted(name), community=community.name))
        return
    if PlaceKind(place.kind) not in ROLE_PLACE_KIND[role]:
        ctx.reply(ctx.t(f"roles.needs_place_{role}"))
        return
    invite = await issue_invite(
        ctx.session,
        role=role,
        place=place,
        created_by_id=ctx.person.id,
        now=ctx.now,
        ttl=ctx.setting(RolesConfig).invite_ttl,
    )
    await reply_with_link(ctx, invite, place, "roles.grant_link")


async def reply_with_link(ctx: Context, invite: Invite, place: Place, key: str, **extra: object) -> None:
    ctx.reply(
        ctx.t(
            key,
            role=ctx.t(f"role.{invite.role}"),
            place=await place_label(ctx.session, place=place),
            link=invite_link(ctx, invite),
            code=invite.code,
            hours=int(ctx.setting(RolesConfig).invite_ttl.total_seconds() // 3600),
            **extra,
        )
    )


async def roles_command(ctx: Context, message: IncomingMessage) -> None:
    """/roles (身份管理): who holds which role in the community, each with 撤销 and 移交."""
    community = await office_of(ctx)
    if community is None:
        ctx.reply(ctx.t("roles.refused"))
        return
    text, buttons = await holders_page(ctx, community, 0)
    ctx.reply(text, buttons=buttons)


async def holders_page(ctx: Context, community: Place, page: int) -> tuple[str, Keyboard]:
    grants = await grants_within(ctx.session, scope=community, roles=list(LISTED))
    shown = grants[page * PAGE : (page + 1) * PAGE]
    if not shown:
        return ctx.t("roles.none", community=community.name), ()
    lines, rows = [], []
    for number, (grant, place) in enumerate(shown, start=page * PAGE + 1):
        person = await person_by_id(ctx.session, person_id=grant.person_id)
        name = person.display_name if person else "?"
        lines.append(ctx.t("roles.line", number=number, name=name, role=ctx.t(f"role.{grant.role}"), place=place.name))
        rows.append(
            (
                Button(ctx.t("button.revoke_role", number=number, name=name), f"ra:r:{grant.id}:{page}"),
                Button(ctx.t("button.hand_over", number=number), f"ra:h:{grant.id}:{page}"),
            )
        )
    more = len(grants) > (page + 1) * PAGE
    paging = ctx.paging_row(page=page, more=more, data="ra:p")
    text = ctx.t("roles.list", community=community.name, count=len(grants), lines="\n".join(lines))
    return text, (*rows, *paging)


async def on_roles_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """ra:r:<grant>:<page> revoke, ra:h:<grant>:<page> hand over, ra:p:<page> another page."""
    community = await office_of(ctx)
    if community is None:
        ctx.answer(ctx.t("roles.refused"), alert=True)
        return
    numbers = numbers_in(parts[1:])
    if parts[:1] == ["p"] and len(parts) == 2 and len(numbers) == 1:
        text, buttons = await holders_page(ctx, community, numbers[0])
        ctx.edit_pressed(text, buttons=buttons)
        ctx.answer()
        return
    if len(parts) != 3 or len(numbers) != 2:
        ctx.answer()
        return
    grant_id, page = numbers
    grant = await grant_by_id(ctx.session, grant_id=grant_id)
    place = await place_by_id(ctx.session, place_id=grant.place_id) if grant else None
    if (
        grant is None
        or place is None
        or not await has_role_over(ctx.session, person_id=ctx.person.id or 0, place=place, roles=OFFICE_ROLES)
    ):
        ctx.answer(ctx.t("roles.refused"), alert=True)
        return
    if parts[0] == "h":
        await start_handover(ctx, grant, place)  # nothing changes until the successor opens the link
        return
    if parts[0] == "r":
        await revoke(ctx, grant, place)
    text, buttons = await holders_page(ctx, community, page)
    ctx.edit_pressed(text, buttons=buttons)


async def revoke(ctx: Context, grant: RoleGrant, place: Place) -> None:
    ended = await revoke_grant(
        ctx.session, grant_id=grant.id or 0, actor_id=ctx.person.id, now=ctx.now, change=RoleChange.REVOKED
    )
    if ended is None:
        ctx.answer(ctx.t("roles.already_revoked"))
        return
    label = await place_label(ctx.session, place=place)
    role = ctx.t(f"role.{grant.role}")
    await ctx.tell(grant.person_id, ctx.t("roles.revoked_private", role=role, place=label, by=ctx.person.display_name))
    ctx.answer(ctx.t("roles.revoked", role=role))


async def start_handover(ctx: Context, grant: RoleGrant, place: Place) -> None:
    """A one-time link for the successor; accepting it ends this grant and moves the open work."""
    if grant.revoked_at is not None:
        ctx.answer(ctx.t("roles.already_revoked"))
        return
    invite = await issue_invite(
        ctx.session,
        role=Role(grant.role),
        place=place,
        created_by_id=ctx.person.id,
        now=ctx.now,
        ttl=ctx.setting(RolesConfig).invite_ttl,
        handover_of_id=grant.id,
    )
    holder = await person_by_id(ctx.session, person_id=grant.person_id)
    await reply_with_link(ctx, invite, place, "roles.handover_link", name=holder.display_name if holder else "?")
    ctx.answer()


async def on_role_granted(ctx: Context, hook: RoleGranted) -> None:
    """Record the grant; a handover invite also ends the old grant and moves its work; tell whoever invited."""
    invite, grant = hook.invite, hook.grant
    record_change(ctx.session, grant=grant, change=RoleChange.GRANTED, actor_id=invite.created_by_id, now=ctx.now)
    place = await place_by_id(ctx.session, place_id=grant.place_id)
    assert place is not None
    label, role = await place_label(ctx.session, place=place), ctx.t(f"role.{grant.role}")
    handed = await hand_over(ctx, invite, grant, place) if invite.handover_of_id else None
    if invite.created_by_id is not None:
        key = "roles.handed_over_told" if handed else "roles.accepted_told"
        await ctx.tell(
            invite.created_by_id,
            ctx.t(key, name=ctx.person.display_name, role=role, place=label, previous=handed or ""),
        )


async def hand_over(ctx: Context, invite: Invite, grant: RoleGrant, place: Place) -> str | None:
    """End the grant the invite takes over; returns the previous holder's name (None if it had already ended)."""
    ended = await revoke_grant(
        ctx.session,
        grant_id=invite.handover_of_id or 0,
        actor_id=invite.created_by_id,
        now=ctx.now,
        change=RoleChange.HANDED_OVER,
    )
    if ended is None:
        return None
    previous = await person_by_id(ctx.session, person_id=ended.person_id)
    if ended.person_id != grant.person_id:
        await ctx.emit(RoleHandedOver(grant.role, place, ended.person_id, grant.person_id))
        label = await place_label(ctx.session, place=place)
        text = ctx.t(
            "roles.handed_over_private", role=ctx.t(f"role.{grant.role}"), place=label, name=ctx.person.display_name
        )
        await ctx.tell(ended.person_id, text)
    return previous.display_name if previous else "?"
