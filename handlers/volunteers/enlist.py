"""志愿者报到 / 党员报到: skills (buttons), availability (typed), the area served (buttons), then staff approve —
which grants the volunteer role on that area, recorded like any grant."""

from __future__ import annotations

from handlers.common.numbers import parse_id
from handlers.common.roles import home_building, may_act_on
from handlers.core.context import Context
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard, in_pairs
from handlers.volunteers.rules import SKILLS, toggled
from models.people import Role, grant_role, holders_over, person_by_id
from models.places import Place, ancestors, place_by_id, place_label
from models.role_audit import RoleChange, record_change
from models.volunteers import ProfileStatus, VolunteerProfile, profile_by_id, profile_of

OFFICE = (Role.STAFF, Role.ADMIN)
WHEN_STEP = "when"


def skills_text(ctx: Context, skills: list[str]) -> str:
    return "、".join(ctx.t(f"skill.{s}") for s in skills) or ctx.t("skill.none")


def skills_keyboard(ctx: Context, chosen: list[str]) -> Keyboard:
    buttons = [Button(f"{'✅ ' if s in chosen else ''}{ctx.t(f'skill.{s}')}", f"vo:s:{s}") for s in SKILLS]
    return (*in_pairs(buttons), (Button(ctx.t("button.next_step"), "vo:n"),))


async def enlist_volunteer(ctx: Context, message: IncomingMessage) -> None:
    """志愿者报到."""
    await enlist(ctx, party_member=False)


async def enlist_party_member(ctx: Context, message: IncomingMessage) -> None:
    """党员报到: an 在职党员 reporting to the community where they live."""
    await enlist(ctx, party_member=True)


async def enlist(ctx: Context, *, party_member: bool) -> None:
    assert ctx.person.id is not None
    home = await home_building(ctx)
    if home is None:
        ctx.reply(ctx.t("enlist.no_building"))
        return
    profile = await profile_of(ctx.session, person_id=ctx.person.id)
    if profile is not None and profile.status == ProfileStatus.APPROVED:
        ctx.reply(ctx.t("enlist.already"))
        return
    if profile is None:
        profile = VolunteerProfile(person_id=ctx.person.id)
        ctx.session.add(profile)
    profile.party_member, profile.home_id, profile.skills = party_member, home.id, []
    profile.status, profile.step, profile.updated_at = ProfileStatus.DRAFT, None, ctx.now
    await ctx.session.flush()
    kind = ctx.t("enlist.kind_party" if party_member else "enlist.kind_volunteer")
    ctx.reply(ctx.t("enlist.skills", kind=kind), buttons=skills_keyboard(ctx, []))


async def on_enlist_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """vo:s:<skill> toggle, vo:n next, vo:a:<place> the area; staff: vo:y:<profile> approve, vo:x:<profile> refuse."""
    number = parse_id(parts[1]) if len(parts) == 2 else None
    if parts[:1] in (["y"], ["x"]) and number:
        await decide(ctx, number, approve=parts[0] == "y")
        return
    profile = await profile_of(ctx.session, person_id=ctx.person.id or 0)
    if profile is None or profile.status != ProfileStatus.DRAFT:
        ctx.answer(ctx.t("enlist.stale"))
        return
    if parts[0] == "s" and len(parts) == 2 and parts[1] in SKILLS:
        profile.skills = toggled(profile.skills, parts[1])
        ctx.edit_pressed(
            ctx.t("enlist.skills_chosen", skills=skills_text(ctx, profile.skills)),
            buttons=skills_keyboard(ctx, profile.skills),
        )
        ctx.answer()
    elif parts[0] == "n":
        if not profile.skills:
            ctx.answer(ctx.t("enlist.pick_one"), alert=True)
            return
        profile.step = WHEN_STEP
        ctx.edit_pressed(ctx.t("enlist.when", skills=skills_text(ctx, profile.skills)))
        ctx.answer()
    elif parts[0] == "a" and number:
        await submit(ctx, profile, number)
    else:
        ctx.answer()


async def on_availability(ctx: Context, message: IncomingMessage) -> bool:
    """The typed answer to 什么时间方便: then the choice of area (this building, its grid, the community)."""
    if ctx.in_group or not message.text.strip() or message.command:
        return False
    profile = await profile_of(ctx.session, person_id=ctx.person.id or 0)
    if profile is None or profile.step != WHEN_STEP or profile.status != ProfileStatus.DRAFT:
        return False
    profile.availability, profile.step = " ".join(message.text.split())[:100], None
    home = await place_by_id(ctx.session, place_id=profile.home_id or 0)
    assert home is not None
    areas = list(reversed(await ancestors(ctx.session, place=home)))
    buttons = tuple((Button(ctx.t("enlist.area_button", name=p.name), f"vo:a:{p.id}"),) for p in areas)
    ctx.reply(ctx.t("enlist.area"), buttons=buttons)
    return True


async def submit(ctx: Context, profile: VolunteerProfile, area_id: int) -> None:
    home = await place_by_id(ctx.session, place_id=profile.home_id or 0)
    area = await place_by_id(ctx.session, place_id=area_id)
    if home is None or area is None or not area.contains(home):
        ctx.answer()
        return
    profile.area_id, profile.status, profile.updated_at = area.id, ProfileStatus.PENDING, ctx.now
    ctx.edit_pressed(ctx.t("enlist.submitted", area=area.name))
    ctx.answer()
    card = await profile_card(ctx, profile, area)
    buttons = (
        (Button(ctx.t("button.approve"), f"vo:y:{profile.id}"), Button(ctx.t("button.refuse"), f"vo:x:{profile.id}")),
    )
    for staff in await holders_over(ctx.session, place=area, roles=OFFICE):
        await ctx.tell(staff.id or 0, card, buttons)


async def profile_card(ctx: Context, profile: VolunteerProfile, area: Place) -> str:
    person = await person_by_id(ctx.session, person_id=profile.person_id)
    return ctx.t(
        "enlist.card",
        kind=ctx.t("enlist.kind_party" if profile.party_member else "enlist.kind_volunteer"),
        name=person.display_name if person else "?",
        skills=skills_text(ctx, profile.skills),
        when=profile.availability,
        area=await place_label(ctx.session, place=area),
    )


async def decide(ctx: Context, profile_id: int, *, approve: bool) -> None:
    """Staff over the area approve (the volunteer role is granted there) or refuse a 报到."""
    profile = await profile_by_id(ctx.session, profile_id=profile_id)
    area = await place_by_id(ctx.session, place_id=profile.area_id or 0) if profile else None
    if profile is None or area is None or not await may_act_on(ctx, area, OFFICE):
        ctx.answer(ctx.t("enlist.staff_only"), alert=True)
        return
    if profile.status != ProfileStatus.PENDING:
        ctx.answer(ctx.t("enlist.decided"))
        return
    profile.status = ProfileStatus.APPROVED if approve else ProfileStatus.REJECTED
    profile.decided_by_id, profile.updated_at = ctx.person.id, ctx.now
    if approve:
        grant = await grant_role(
            ctx.session, person_id=profile.person_id, role=Role.VOLUNTEER, place=area, granted_by_id=ctx.person.id
        )
        record_change(ctx.session, grant=grant, change=RoleChange.GRANTED, actor_id=ctx.person.id, now=ctx.now)
    outcome = "approved" if approve else "refused"
    card = await profile_card(ctx, profile, area)
    ctx.edit_pressed(f"{card}\n{ctx.t(f'enlist.{outcome}_by', name=ctx.person.display_name)}")
    ctx.answer()
    await ctx.tell(
        profile.person_id, ctx.t(f"enlist.{outcome}_private", area=await place_label(ctx.session, place=area))
    )
