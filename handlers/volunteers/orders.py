"""点单 → 派单 → 接单: a resident asks for help (what, then when), the request goes to the team of its skill or to
the matching volunteers with 接单 (first press wins), staff may 派单 to a named volunteer, the volunteer marks
已完成, the resident confirms (or a timer does) and the passbook pays; untaken requests go to staff."""

from __future__ import annotations

from handlers.common.numbers import parse_id
from handlers.common.reach import home_group
from handlers.common.roles import home_building, may_act_on
from handlers.core.context import Context, Work
from handlers.core.hooks import HelpConfirmed
from handlers.core.texts import quoted
from handlers.core.types import Button, ChatKind, Edit, IncomingCallback, IncomingMessage, Keyboard, Send
from handlers.volunteers.rules import WHEN, VolunteerConfig, skill_for, split_contact
from models.chats import Chat
from models.people import Person, Role, holders_over, person_by_id
from models.places import Place, PlaceKind, place_by_id, place_label, places_within
from models.volunteers import (
    HelpRequest,
    HelpStatus,
    ProfileStatus,
    add_help_event,
    claim_help,
    help_by_id,
    help_due,
    help_events,
    open_help_in,
    profile_of,
    teams_in,
)

OFFICE = (Role.STAFF, Role.ADMIN)


# ---- asking ---------------------------------------------------------------------------------------------------


async def ask_command(ctx: Context, message: IncomingMessage) -> None:
    """点单 / 求助 <what>: then the bot asks when (buttons only the resident may press)."""
    what = split_contact(message.args)
    if not what.public:
        ctx.reply(ctx.t("order.ask_what"))
        return
    building = await home_building(ctx)
    if building is None:
        ctx.reply(ctx.t("order.no_building"))
        return
    request = HelpRequest(
        community_id=int(building.path.strip("/").split("/")[0]),
        building_id=building.id or 0,
        requester_id=ctx.person.id or 0,
        text=what.public,
        contact=what.contact,
        skill=skill_for(what.public),
        chat_id=ctx.chat.id,
        created_at=ctx.now,
    )
    ctx.session.add(request)
    await ctx.session.flush()
    await record(ctx, request, "asked", actor_id=request.requester_id)
    buttons = (tuple(Button(ctx.t(f"when.{w}"), f"hr:w:{request.id}:{w}") for w in WHEN),)
    ctx.reply(ctx.t("order.ask_when", number=request.id, text=request.text), buttons=buttons, quote=ctx.in_group)


async def record(work: Work, request: HelpRequest, action: str, *, actor_id: int | None, note: str = "") -> None:
    """A line in the request's history (None: the bot's own timer did it)."""
    add_help_event(work.session, request=request, actor_id=actor_id, action=action, now=work.now, note=note)
    await work.session.flush()


# ---- the card and where it goes --------------------------------------------------------------------------------


async def name_of(work: Work, person_id: int | None) -> str:
    person = await person_by_id(work.session, person_id=person_id) if person_id else None
    return person.display_name if person else "?"


async def card_text(work: Work, request: HelpRequest) -> str:
    building = await place_by_id(work.session, place_id=request.building_id)
    status = work.t(f"order.status_{request.status}", name=await name_of(work, request.volunteer_id))
    return work.t(
        "order.card",
        number=request.id,
        skill=work.t(f"skill.{request.skill}") if request.skill else work.t("skill.any"),
        place=building.name if building else "?",
        text=request.text,
        when=work.t(f"when.{request.when}"),
        status=status,
    )


def take_buttons(work: Work, request: HelpRequest) -> Keyboard:
    return ((Button(work.t("button.take"), f"hr:t:{request.id}"),),) if request.status == HelpStatus.OPEN else ()


async def refresh_cards(work: Work, request: HelpRequest) -> None:
    text = await card_text(work, request)
    for ref in request.card_refs:
        work.effects.add(Edit(text=text, buttons=take_buttons(work, request), ref_key=ref))


async def publish(ctx: Context, request: HelpRequest) -> None:
    """The team of the request's skill sees it in its group; otherwise the matching volunteers privately."""
    building = await place_by_id(ctx.session, place_id=request.building_id)
    assert building is not None
    text, buttons = await card_text(ctx, request), take_buttons(ctx, request)
    refs: list[str] = []
    group = await team_group(ctx, request)
    if group is not None:
        ref = f"help:{request.id}:g"
        ctx.effects.add(
            Send(platform=group.platform, chat_id=group.platform_chat_id, text=text, buttons=buttons, ref_key=ref)
        )
        refs.append(ref)
    else:
        for person_id in await matching_volunteers(ctx, request, building):
            ref = f"help:{request.id}:p:{person_id}"
            await ctx.tell(person_id, text, buttons, ref_key=ref)
            refs.append(ref)
    request.card_refs = refs
    if not refs:
        await escalate(ctx, request, building)


async def team_group(work: Work, request: HelpRequest) -> Chat | None:
    for team in await teams_in(work.session, community_id=request.community_id):
        if team.skill == request.skill and team.chat_id is not None:
            request.team_id = team.id
            chat = await work.session.get(Chat, team.chat_id)
            if chat is not None and chat.active:
                return chat
    return None


async def serving_volunteers(work: Work, building: Place) -> list[Person]:
    """Everyone with the volunteer role on this building or above it: by an approved 报到, or granted in chat."""
    return await holders_over(work.session, place=building, roles=(Role.VOLUNTEER,))


async def matching_volunteers(work: Work, request: HelpRequest, building: Place) -> list[int]:
    """The volunteers serving this building whose skills fit (all of them when the request names none); one
    without an approved 报到 has named no skills and is offered every request."""
    found = []
    for person in await serving_volunteers(work, building):
        profile = await profile_of(work.session, person_id=person.id or 0)
        named = profile.skills if profile is not None and profile.status == ProfileStatus.APPROVED else None
        if person.id != request.requester_id and (not request.skill or named is None or request.skill in named):
            found.append(person.id or 0)
    return found


# ---- buttons ---------------------------------------------------------------------------------------------------


async def on_help_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """hr:w:<id>:<when> · hr:t:<id> 接单 · hr:d:<id> 已完成 · hr:c:<id> 确认 · hr:n:<id> 还没有."""
    request_id = parse_id(parts[1]) if len(parts) >= 2 else None
    request = await help_by_id(ctx.session, request_id=request_id) if request_id else None
    if request is None:
        ctx.answer()
        return
    action = parts[0]
    if action == "w" and len(parts) == 3 and parts[2] in WHEN:
        await choose_when(ctx, request, parts[2])
    elif action == "t":
        await take(ctx, request)
    elif action == "d":
        await mark_done(ctx, request)
    elif action in ("c", "n"):
        await answer_done(ctx, request, confirmed=action == "c")
    else:
        ctx.answer()


async def choose_when(ctx: Context, request: HelpRequest, when: str) -> None:
    if ctx.person.id != request.requester_id:
        ctx.answer(ctx.t("order.only_requester"), alert=True)
        return
    if request.status != HelpStatus.ASKING:
        ctx.answer()
        return
    request.when, request.status = when, HelpStatus.OPEN
    request.next_timer_at = ctx.now + ctx.setting(VolunteerConfig).escalate_after
    await record(ctx, request, "posted", actor_id=request.requester_id, note=when)
    ctx.edit_pressed(ctx.t("order.posted", number=request.id, text=request.text, when=ctx.t(f"when.{when}")))
    ctx.answer()
    await publish(ctx, request)


async def take(ctx: Context, request: HelpRequest) -> None:
    """接单: only a volunteer serving the request's building; the first press wins, the others hear 已被接单."""
    building = await place_by_id(ctx.session, place_id=request.building_id)
    if building is None or not await may_act_on(ctx, building, (Role.VOLUNTEER,)):
        ctx.answer(ctx.t("order.volunteers_only"), alert=True)
        return
    if ctx.person.id == request.requester_id:
        ctx.answer(ctx.t("order.own_request"), alert=True)
        return
    if not await claim_help(ctx.session, request_id=request.id or 0, volunteer_id=ctx.person.id or 0):
        ctx.answer(ctx.t("order.already_taken", name=await name_of(ctx, request.volunteer_id)), alert=True)
        return
    await assigned(ctx, request, by_staff=False)
    ctx.answer(ctx.t("order.taken_toast"))


async def assigned(ctx: Context, request: HelpRequest, *, by_staff: bool) -> None:
    """The volunteer gets the details (the contact only here); the resident hears who comes; the cards close."""
    assert request.volunteer_id is not None
    await record(
        ctx,
        request,
        "dispatched" if by_staff else "taken",
        actor_id=ctx.person.id,
        note=await name_of(ctx, request.volunteer_id),
    )
    await refresh_cards(ctx, request)
    building = await place_by_id(ctx.session, place_id=request.building_id)
    requester = await person_by_id(ctx.session, person_id=request.requester_id)
    details = ctx.t(
        "order.details_dispatched" if by_staff else "order.details",
        number=request.id,
        text=request.text,
        when=ctx.t(f"when.{request.when}"),
        place=await place_label(ctx.session, place=building) if building else "?",
        name=requester.display_name if requester else "?",
        contact=request.contact or ctx.t("order.no_contact"),
    )
    buttons = ((Button(ctx.t("button.help_done"), f"hr:d:{request.id}"),),)
    await ctx.tell(request.volunteer_id, details, buttons, ref_key=f"help:{request.id}:v")
    volunteer = await name_of(ctx, request.volunteer_id)
    taken = ctx.t("order.taken_private", number=request.id, name=volunteer)
    await ctx.tell(request.requester_id, taken, fallback=await knock_for_requester(ctx, request))


async def mark_done(ctx: Context, request: HelpRequest) -> None:
    if ctx.person.id != request.volunteer_id:
        ctx.answer(ctx.t("order.only_volunteer"), alert=True)
        return
    if request.status != HelpStatus.TAKEN:
        ctx.answer()
        return
    request.status = HelpStatus.DONE
    request.next_timer_at = ctx.now + ctx.setting(VolunteerConfig).auto_confirm_after
    await record(ctx, request, "done", actor_id=ctx.person.id)
    ctx.edit_pressed(ctx.t("order.done_volunteer", number=request.id))
    ctx.answer()
    await refresh_cards(ctx, request)
    buttons = (
        (
            Button(ctx.t("button.help_confirm"), f"hr:c:{request.id}"),
            Button(ctx.t("button.help_not_yet"), f"hr:n:{request.id}"),
        ),
    )
    text = ctx.t("order.done_question", number=request.id, text=request.text, name=ctx.person.display_name)
    await ctx.tell(request.requester_id, text, buttons, fallback=await knock_for_requester(ctx, request))


async def knock_for_requester(work: Work, request: HelpRequest) -> Send | None:
    """A requester the bot cannot write to privately is named in the group the request was asked in (else their
    building's group), with the link that brings the note; what they asked for is not repeated there."""
    chat = await work.session.get(Chat, request.chat_id) if request.chat_id is not None else None
    if chat is None or chat.kind != ChatKind.GROUP:
        chat = await home_group(work, request.requester_id)
    return await work.knock(chat, request.requester_id)


async def answer_done(ctx: Context, request: HelpRequest, *, confirmed: bool) -> None:
    if ctx.person.id != request.requester_id:
        ctx.answer(ctx.t("order.only_requester"), alert=True)
        return
    if request.status != HelpStatus.DONE:
        ctx.answer(ctx.t("order.answered"))
        return
    if confirmed:
        await confirm(ctx, request, auto=False)
        ctx.edit_pressed(ctx.t("order.confirmed_private", number=request.id))
    else:
        request.status, request.next_timer_at = HelpStatus.TAKEN, None
        await record(ctx, request, "not_done", actor_id=request.requester_id)
        ctx.edit_pressed(ctx.t("order.not_done_private", number=request.id))
        buttons = ((Button(ctx.t("button.help_done"), f"hr:d:{request.id}"),),)
        await ctx.tell(
            request.volunteer_id or 0,
            ctx.t("order.not_done_volunteer", number=request.id),
            buttons,
            ref_key=f"help:{request.id}:v",
        )
        await refresh_cards(ctx, request)
    ctx.answer()


async def confirm(work: Work, request: HelpRequest, *, auto: bool) -> None:
    """Closed: the passbook pays the volunteer (once, by the request's key)."""
    request.status, request.closed_at, request.next_timer_at = HelpStatus.CONFIRMED, work.now, None
    await record(
        work, request, "auto_confirmed" if auto else "confirmed", actor_id=None if auto else request.requester_id
    )
    await refresh_cards(work, request)
    building = await place_by_id(work.session, place_id=request.building_id)
    assert building is not None and request.volunteer_id is not None
    await work.emit(HelpConfirmed(request.id or 0, request.volunteer_id, building, request.text))


async def open_orders(ctx: Context, message: IncomingMessage) -> None:
    """待接单: a volunteer sees the open requests of the places they serve (where they hold the role), each with
    接单."""
    buildings: list[int] = []
    for grant in ctx.grants:
        area = await place_by_id(ctx.session, place_id=grant.place_id) if grant.role == Role.VOLUNTEER else None
        if area is not None:
            buildings += [b.id or 0 for b in await places_within(ctx.session, scope=area, kind=PlaceKind.BUILDING)]
    if not buildings:
        ctx.reply(ctx.t("order.volunteers_only"))
        return
    waiting = await open_help_in(ctx.session, building_ids=buildings)
    if not waiting:
        ctx.reply(ctx.t("order.none_open"))
        return
    for request in waiting:
        ref = f"help:{request.id}:p:{ctx.person.id}"
        ctx.reply(await card_text(ctx, request), buttons=take_buttons(ctx, request), ref_key=ref)
        if ref not in request.card_refs:
            request.card_refs = [*request.card_refs, ref]


# ---- 派单 by staff, the history ---------------------------------------------------------------------------------


async def dispatch_command(ctx: Context, message: IncomingMessage) -> None:
    """派单 3 陈志愿: staff give an open request to a named approved volunteer."""
    number, _, name = message.args.partition(" ")
    request_id = parse_id(number)
    request = await help_by_id(ctx.session, request_id=request_id) if request_id else None
    building = await place_by_id(ctx.session, place_id=request.building_id) if request else None
    if request is None or building is None or not name.strip():
        ctx.reply(ctx.t("order.dispatch_usage"))
        return
    if not await may_act_on(ctx, building, OFFICE):
        ctx.reply(ctx.t("order.staff_only"))
        return
    volunteer = await volunteer_named(ctx, building, name.strip())
    if volunteer is None:
        ctx.reply(ctx.t("order.no_such_volunteer", name=quoted(name)))
        return
    if not await claim_help(ctx.session, request_id=request.id or 0, volunteer_id=volunteer.id or 0):
        ctx.reply(
            ctx.t(
                "order.not_open",
                number=request.id,
                status=ctx.t(f"order.status_{request.status}", name=await name_of(ctx, request.volunteer_id)),
            )
        )
        return
    await assigned(ctx, request, by_staff=True)
    ctx.reply(ctx.t("order.dispatched", number=request.id, name=volunteer.display_name))


async def volunteer_named(work: Work, building: Place, name: str) -> Person | None:
    return next((p for p in await serving_volunteers(work, building) if p.display_name == name), None)


async def order_detail(ctx: Context, message: IncomingMessage) -> None:
    """点单详情 3: the card and its history, for the resident, the volunteer and staff."""
    request_id = parse_id(message.args)
    if request_id is None and message.args.strip():
        ctx.reply(ctx.t("number.unknown", value=quoted(message.args)))
        return
    request = await help_by_id(ctx.session, request_id=request_id) if request_id else None
    building = await place_by_id(ctx.session, place_id=request.building_id) if request else None
    if request is None or building is None:
        ctx.reply(ctx.t("order.detail_usage"))
        return
    involved = ctx.person.id in (request.requester_id, request.volunteer_id)
    if not involved and not await may_act_on(ctx, building, OFFICE):
        ctx.reply(ctx.t("order.not_yours"))
        return
    lines = []
    for event in await help_events(ctx.session, request_id=request.id or 0):
        when = event.created_at.astimezone(ctx.config.timezone).strftime("%m-%d %H:%M")
        lines.append(
            ctx.t(
                "order.history_line",
                when=when,
                who=await name_of(ctx, event.actor_id) if event.actor_id else ctx.t("order.system"),
                action=ctx.t(f"order.action_{event.action}"),
            )
        )
    ctx.reply(f"{await card_text(ctx, request)}\n\n{ctx.t('order.history')}\n" + "\n".join(lines))


# ---- the timer ---------------------------------------------------------------------------------------------------


async def sweep_help(work: Work) -> int:
    """Untaken requests go to staff after a while; a done request nobody answered is confirmed."""
    due = await help_due(work.session, now=work.now)
    for request in due:
        if request.status == HelpStatus.DONE:
            await confirm(work, request, auto=True)
            await work.tell(request.requester_id, work.t("order.auto_confirmed", number=request.id))
        else:
            building = await place_by_id(work.session, place_id=request.building_id)
            assert building is not None
            await escalate(work, request, building)
    return len(due)


async def escalate(work: Work, request: HelpRequest, building: Place) -> None:
    """Nobody took it (or nobody matches): staff are told, with how to 派单."""
    request.escalated, request.next_timer_at = True, None
    await record(work, request, "escalated", actor_id=None)
    text = work.t(
        "order.escalated",
        number=request.id,
        text=request.text,
        place=building.name,
        when=work.t(f"when.{request.when}"),
    )
    for staff in await holders_over(work.session, place=building, roles=OFFICE):
        await work.tell(staff.id or 0, text)
