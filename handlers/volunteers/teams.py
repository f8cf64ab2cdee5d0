"""志愿服务队: staff create a team of one skill (新建服务队), name its leader, bind its group (绑定服务队);
approved volunteers join (服务队 → 加入)."""

from __future__ import annotations

from handlers.common.numbers import parse_id
from handlers.common.roles import may_act_on
from handlers.core.context import Context
from handlers.core.texts import quoted
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard
from handlers.volunteers.rules import SKILLS
from models.people import Role, person_by_id
from models.places import Place, PlaceKind, place_by_id
from models.volunteers import (
    ProfileStatus,
    Team,
    join_team,
    profile_of,
    team_by_id,
    team_by_name,
    team_members,
    teams_in,
)

OFFICE = (Role.STAFF, Role.ADMIN)


async def community_of(ctx: Context) -> Place | None:
    """The sender's community: the chat's place, a role's place, or the place of their 报到."""
    places: list[Place | None] = [ctx.place]
    places += [await place_by_id(ctx.session, place_id=g.place_id) for g in ctx.grants]
    profile = await profile_of(ctx.session, person_id=ctx.person.id or 0)
    if profile is not None and profile.home_id:
        places.append(await place_by_id(ctx.session, place_id=profile.home_id))
    for place in places:
        if place is not None:
            top_id = parse_id(place.path.strip("/").split("/")[0])
            return await place_by_id(ctx.session, place_id=top_id) if top_id else None
    return None


def skill_named(ctx: Context, word: str) -> str | None:
    return next((s for s in SKILLS if ctx.t(f"skill.{s}") == word or s == word), None)


async def new_team(ctx: Context, message: IncomingMessage) -> None:
    """新建服务队 助老服务队 陪伴."""
    words = message.args.split()
    community = await community_of(ctx)
    skill = skill_named(ctx, words[1]) if len(words) == 2 else None
    if community is None or skill is None:
        ctx.reply(ctx.t("team.usage"))
        return
    name = words[0][:40]
    if await team_by_name(ctx.session, community_id=community.id or 0, name=name) is not None:
        ctx.reply(ctx.t("team.exists", name=name))
        return
    ctx.session.add(
        Team(community_id=community.id or 0, name=name, skill=skill, created_by_id=ctx.person.id, created_at=ctx.now)
    )
    await ctx.session.flush()
    ctx.reply(ctx.t("team.created", name=name, skill=ctx.t(f"skill.{skill}")))


async def list_teams(ctx: Context, message: IncomingMessage) -> None:
    """服务队: the community's teams, each with 加入 (and, for staff, 队员 to name the leader)."""
    community = await community_of(ctx)
    if community is None:
        ctx.reply(ctx.t("team.no_community"))
        return
    text, buttons = await teams_card(ctx, community)
    ctx.reply(text, buttons=buttons)


async def teams_card(ctx: Context, community: Place) -> tuple[str, Keyboard]:
    teams = await teams_in(ctx.session, community_id=community.id or 0)
    if not teams:
        return ctx.t("team.none", community=community.name), ()
    staff = await may_act_on(ctx, community, OFFICE)
    lines, rows = [], []
    for team in teams:
        leader = await person_by_id(ctx.session, person_id=team.leader_id) if team.leader_id else None
        members = await team_members(ctx.session, team_id=team.id or 0)
        lines.append(
            ctx.t(
                "team.line",
                name=team.name,
                skill=ctx.t(f"skill.{team.skill}"),
                leader=leader.display_name if leader else ctx.t("team.no_leader"),
                count=len(members),
            )
        )
        row = [Button(ctx.t("button.join_team", name=team.name), f"vt:j:{team.id}")]
        if staff:
            row.append(Button(ctx.t("button.team_members", name=team.name), f"vt:m:{team.id}"))
        rows.append(tuple(row))
    return ctx.t("team.list", community=community.name, lines="\n".join(lines)), tuple(rows)


async def on_team_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """vt:j:<team> join, vt:m:<team> members (staff), vt:l:<team>:<person> make leader (staff)."""
    team_id = parse_id(parts[1]) if len(parts) >= 2 else None
    team = await team_by_id(ctx.session, team_id=team_id) if team_id else None
    community = await place_by_id(ctx.session, place_id=team.community_id) if team else None
    if team is None or community is None:
        ctx.answer()
        return
    if parts[0] == "j":
        await join(ctx, team, community)
    elif not await may_act_on(ctx, community, OFFICE):
        ctx.answer(ctx.t("team.staff_only"), alert=True)
    elif parts[0] == "m":
        await show_members(ctx, team)
    elif (
        parts[0] == "l"
        and len(parts) == 3
        and (leader_id := parse_id(parts[2]))
        and leader_id in await team_members(ctx.session, team_id=team.id or 0)
    ):
        team.leader_id = leader_id
        leader = await person_by_id(ctx.session, person_id=team.leader_id)
        ctx.edit_pressed(ctx.t("team.leader_set", team=team.name, name=leader.display_name if leader else "?"))
        await ctx.tell(team.leader_id, ctx.t("team.leader_private", team=team.name))
        ctx.answer()
    else:
        ctx.answer()


async def join(ctx: Context, team: Team, community: Place) -> None:
    profile = await profile_of(ctx.session, person_id=ctx.person.id or 0)
    if profile is None or profile.status != ProfileStatus.APPROVED:
        ctx.answer(ctx.t("team.enlist_first"), alert=True)
        return
    if not await join_team(ctx.session, team_id=team.id or 0, person_id=ctx.person.id or 0, now=ctx.now):
        ctx.answer(ctx.t("team.already_member", name=team.name))
        return
    ctx.answer(ctx.t("team.joined", name=team.name))
    text, buttons = await teams_card(ctx, community)
    ctx.edit_pressed(text, buttons=buttons)


async def show_members(ctx: Context, team: Team) -> None:
    names = []
    rows = []
    for person_id in await team_members(ctx.session, team_id=team.id or 0):
        person = await person_by_id(ctx.session, person_id=person_id)
        name = person.display_name if person else "?"
        names.append(name)
        rows.append((Button(ctx.t("button.make_leader", name=name), f"vt:l:{team.id}:{person_id}"),))
    members = "、".join(names) or ctx.t("team.no_members")
    ctx.edit_pressed(ctx.t("team.members", name=team.name, members=members), buttons=tuple(rows))
    ctx.answer()


async def bind_team_group(ctx: Context, message: IncomingMessage) -> None:
    """绑定服务队 助老服务队 (in the team's group): 点单 of its skill are posted here."""
    community = await community_of(ctx)
    team = (
        await team_by_name(ctx.session, community_id=community.id or 0, name=message.args.strip())
        if community
        else None
    )
    if team is None or community is None or community.kind != PlaceKind.COMMUNITY:
        ctx.reply(ctx.t("team.not_found", name=quoted(message.args)))
        return
    if not await may_act_on(ctx, community, OFFICE):
        ctx.reply(ctx.t("team.staff_only"))
        return
    team.chat_id = ctx.chat.id
    ctx.reply(ctx.t("team.group_bound", name=team.name))
