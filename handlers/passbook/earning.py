"""Earning points: manual awards (加分) by staff, grid workers and building heads within daily caps and their scope,
reversals (撤销) by staff, and the automatic, idempotent awards for event check-in, volunteer ticket work and
confirmed resident reports. Every award tells the recipient privately and congratulates on a new star level."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from handlers.common.numbers import numbers_in, parse_id
from handlers.common.reach import belongs_in, home_group, home_groups, knock_at_home
from handlers.core.context import Context, Work
from handlers.core.hooks import Attended, AwaitingAnswer, HelpConfirmed, ReportConfirmed, TicketReopened, TicketResolved
from handlers.core.texts import quoted
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard, Send, in_pairs
from handlers.passbook.rules import (
    AWARDER_ROLES,
    MAX_REASON,
    REVOKER_ROLES,
    VOLUNTEER_ROLES,
    PassbookConfig,
    SystemReason,
    daily_cap,
    local_midnight,
    parse_award,
    reason_of,
    star_level,
    stars_text,
)
from handlers.passbook.texts import translate
from models.ledger import InsufficientPoints, Posting, entry_by_key, post_entry
from models.passbook import (
    AwardDraft,
    EntryKind,
    LedgerEntry,
    award_draft_of,
    awarded_since,
    claim_award_draft,
    drop_award_drafts,
    entry_by_id,
)
from models.people import (
    Person,
    Role,
    active_grants,
    ensure_person,
    has_role_over,
    holders,
    lock_person,
    person_by_id,
)
from models.places import Place, PlaceKind, place_by_id, places_within
from models.tickets import Ticket, events_of

MANUAL, REPORT, TICKET, EVENT, ENTRY, HELP = "manual", "report", "ticket", "event", "entry", "help"
AMOUNT_CHOICES = (5, 10, 20, 50)
PAGE = 8
REVOKE_ARGS = re.compile(r"^\s*#?(\d+)\s*[,，:：]?\s*(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Award:
    """One award about to be posted: who gets what, why, from where, and the key that makes it happen once."""

    person_id: int
    amount: int
    reason: str
    source: str
    source_id: int | None
    actor_id: int | None
    key: str
    community_id: int | None
    discreet: bool = False
    """About something private (a dispute): a note that cannot go privately only knocks in the group (the name and
    the link), never an award line saying who earned what for which case."""
    system: SystemReason | None = None  # a reason the bot wrote: said again in the recipient's words


# ---- posting an award and telling people --------------------------------------------------------------------


@dataclass(frozen=True)
class Posted:
    """An award just written, with the balances after it."""

    award: Award
    posting: Posting


async def give(ctx: Work, award: Award) -> LedgerEntry | None:
    """Post the award and tell the recipient (and the stars); None if this key was already given."""
    posted = await post_award(ctx, award)
    if posted is None:
        return None
    await tell_recipient(ctx, posted)
    return posted.posting.entry


async def post_award(ctx: Work, award: Award) -> Posted | None:
    posting = await post_entry(
        ctx.session,
        person_id=award.person_id,
        delta=award.amount,
        kind=EntryKind.AWARD,
        reason=award.reason,
        source=award.source,
        source_id=award.source_id,
        actor_id=award.actor_id,
        idempotency_key=award.key,
        now=ctx.now,
        community_id=award.community_id,
        reason_key=award.system.key if award.system else None,
        reason_values=award.system.values if award.system else None,
    )
    return None if posting is None else Posted(award, posting)


async def tell_recipient(ctx: Work, posted: Posted) -> None:
    """The private note with the new balances, then the congratulation if a star threshold was crossed."""
    award = posted.award
    recipient = await person_by_id(ctx.session, person_id=award.person_id)
    locale = (recipient.locale if recipient else None) or ctx.config.default_locale
    after = posted.posting
    giver = await person_by_id(ctx.session, person_id=award.actor_id) if award.actor_id else None
    by = translate(locale, "passbook.by", name=giver.display_name) if giver else ""
    text = translate(
        locale,
        "passbook.awarded_private",
        amount=award.amount,
        reason=award.system.said(partial(translate, locale)) if award.system else award.reason,
        by=by,
        spendable=after.spendable,
        lifetime=after.lifetime,
    )
    platform = ctx.platform if isinstance(ctx, Context) else None
    fallback = await knock_at_home(ctx, award.person_id) if award.discreet else await award_line(ctx, award)
    await ctx.tell(award.person_id, text, prefer_platform=platform, fallback=fallback)
    await congratulate_new_star(ctx, recipient, after.lifetime_before, after.lifetime, locale)


async def award_line(ctx: Work, award: Award) -> Send | None:
    """The group line for an award note that cannot go privately: in the group it was given in (as a reply), else
    in the recipient's building group; the link brings the private note with the balances."""
    here = ctx if isinstance(ctx, Context) and ctx.in_group and ctx.chat.active else None
    if here is not None and not await belongs_in(ctx, award.person_id, here.chat):
        here = None
    quoted = here.incoming.message_id if here and isinstance(here.incoming, IncomingMessage) else None
    chat = here.chat if here else await home_group(ctx, award.person_id)
    if chat is None:
        return None
    recipient = await person_by_id(ctx.session, person_id=award.person_id)
    name = recipient.display_name if recipient else ""
    line = ctx.t("passbook.awarded_group", name=name, amount=award.amount, reason=award.reason)
    return Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=line, reply_to_message_id=quoted)


async def tell(ctx: Work, person_id: int, text: str) -> None:
    await ctx.tell(person_id, text, prefer_platform=ctx.platform if isinstance(ctx, Context) else None)


async def congratulate_new_star(ctx: Work, person: Person | None, before: int, after: int, locale: str) -> None:
    """Crossing a star threshold: a private congratulation and, if configured, one line in the home groups."""
    thresholds = ctx.setting(PassbookConfig).stars
    level = star_level(after, thresholds)
    if person is None or person.id is None or level <= star_level(before, thresholds):
        return
    stars = stars_text(level)
    await tell(ctx, person.id, translate(locale, "passbook.star_private", stars=stars, lifetime=after))
    if ctx.setting(PassbookConfig).star_group_line:
        line = ctx.t("passbook.star_group", name=person.display_name, stars=stars)
        for chat in await home_groups(ctx, person.id):
            ctx.effects.add(Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=line))


async def home_places(ctx: Work, person_id: int) -> list[Place]:
    """Where a person belongs: the places of their active roles."""
    places = []
    for grant in await active_grants(ctx.session, person_id=person_id):
        place = await place_by_id(ctx.session, place_id=grant.place_id)
        if place is not None:
            places.append(place)
    return places


def community_id_of(place: Place | None) -> int | None:
    """The community at the top of a place's path (/community/grid/building/)."""
    first = place.path.strip("/").split("/")[0] if place else ""
    return parse_id(first)


# ---- manual awards --------------------------------------------------------------------------------------------


async def covering_roles(ctx: Context, places: list[Place], roles: tuple[Role, ...]) -> set[Role]:
    """The sender's roles among `roles` granted on a node above (or at) one of `places`."""
    found: set[Role] = set()
    for grant in ctx.grants:
        if grant.role not in roles:
            continue
        scope = await place_by_id(ctx.session, place_id=grant.place_id)
        if scope is not None and any(scope.contains(place) for place in places):
            found.add(Role(grant.role))
    return found


async def award_refusal(ctx: Context, recipient: Person, places: list[Place], amount: int) -> str | None:
    """Why this award may not be given (self, outside the awarder's scope, over today's cap), or None."""
    if recipient.id == ctx.person.id:
        return ctx.t("passbook.no_self_award")
    roles = await covering_roles(ctx, places, AWARDER_ROLES)
    if not roles:
        return ctx.t("passbook.out_of_scope", name=recipient.display_name)
    cap = daily_cap(ctx.setting(PassbookConfig), roles)
    since = local_midnight(ctx.now, ctx.config.timezone)
    await lock_person(ctx.session, person_id=ctx.person.id or 0)  # held until the award is posted
    given = await awarded_since(ctx.session, since=since, source=MANUAL, actor_id=ctx.person.id)
    if given + amount > cap:
        return ctx.t("passbook.over_cap", cap=cap, given=given, left=max(cap - given, 0))
    return None


async def award_manually(
    ctx: Context, recipient: Person, places: list[Place], amount: int, reason: str, announce: Callable[[str], None]
) -> LedgerEntry | str:
    """Check and give a manual award: `announce` gets the group's line before the recipient hears (and any star);
    returns the entry, or the polite refusal to show the awarder."""
    refusal = await award_refusal(ctx, recipient, places, amount)
    if refusal is not None:
        return refusal
    award = Award(
        person_id=recipient.id or 0,
        amount=amount,
        reason=reason,
        source=MANUAL,
        source_id=None,
        actor_id=ctx.person.id,
        key=f"manual:{ctx.incoming.update_key}",
        community_id=community_id_of(places[0] if places else None),
    )
    posted = await post_award(ctx, award)
    if posted is None:
        return ctx.t("passbook.already_given")
    announce(ctx.t("passbook.award_group", name=recipient.display_name, amount=amount, reason=reason))
    await tell_recipient(ctx, posted)
    return posted.posting.entry


def award_done(ctx: Context, recipient: Person, entry: LedgerEntry) -> str:
    return ctx.t(
        "passbook.award_done", name=recipient.display_name, amount=entry.delta, reason=entry.reason, number=entry.id
    )


async def award_command(ctx: Context, message: IncomingMessage) -> None:
    """/award 10 扫雪 (加分) as a reply in a group; /award alone in private opens the picker."""
    if ctx.in_group:
        await award_by_reply(ctx, message)
    else:
        await drop_draft(ctx)
        await show_buildings(ctx)


async def award_by_reply(ctx: Context, message: IncomingMessage) -> None:
    """In a group: the recipient is the author of the message replied to; the group sees one short line."""
    target = message.reply_to_sender
    args = parse_award(message.args)
    if target is None or args is None:
        ctx.reply(ctx.t("passbook.award_usage"), quote=True)
        return
    if target.is_bot:
        ctx.reply(ctx.t("passbook.no_bot_award"), quote=True)
        return
    recipient = await ensure_person(
        ctx.session,
        platform=ctx.platform,
        platform_user_id=target.platform_user_id,
        display_name=target.display_name,
        username=target.username,
    )
    places = await home_places(ctx, recipient.id or 0) or ([ctx.place] if ctx.place else [])
    in_group = ctx.setting(PassbookConfig).award_group_line
    at_home = await belongs_in(ctx, recipient.id or 0, ctx.chat)
    homes = [] if at_home else await home_groups(ctx, recipient.id or 0)

    def announce(line: str) -> None:
        """The line goes where the recipient belongs: here, or (given in another building's group) their own."""
        if in_group and at_home:
            ctx.reply(line, quote=True)
        for chat in homes if in_group else []:
            ctx.effects.add(Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=line))

    outcome = await award_manually(ctx, recipient, places, args.amount, args.reason, announce)
    if isinstance(outcome, str):
        ctx.reply(outcome, quote=True)
    elif not in_group or not at_home:
        await tell(ctx, ctx.person.id or 0, award_done(ctx, recipient, outcome))


# ---- the private picker: building → person → amount → reason -------------------------------------------------


async def scope_buildings(ctx: Context) -> list[Place]:
    """Every building under the awarder's awarding roles."""
    found: dict[int, Place] = {}
    for grant in ctx.grants:
        if grant.role in AWARDER_ROLES:
            root = await place_by_id(ctx.session, place_id=grant.place_id)
            if root is not None:
                found |= {p.id or 0: p for p in await places_within(ctx.session, scope=root, kind=PlaceKind.BUILDING)}
    return sorted(found.values(), key=lambda p: p.path)


def cancel_row(ctx: Context) -> tuple[Button, ...]:
    return (Button(ctx.t("button.cancel_send"), "pba:x"),)


async def show_buildings(ctx: Context) -> None:
    buildings = await scope_buildings(ctx)
    if len(buildings) == 1:
        text, people = await people_page(ctx, buildings[0], 0)
        ctx.reply(text, buttons=people)
        return
    if not buildings:
        ctx.reply(ctx.t("passbook.no_buildings"))
        return
    buttons = [Button(p.name, f"pba:b:{p.id}:0") for p in buildings]
    rows = [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
    ctx.reply(ctx.t("passbook.pick_building"), buttons=(*rows, cancel_row(ctx)))


async def people_page(ctx: Context, building: Place, page: int) -> tuple[str, Keyboard]:
    """The people of one building (everyone with a role there), eight at a time, the awarder left out."""
    people = [p for p in await holders(ctx.session, place_ids=[building.id or 0], roles=Role) if p.id != ctx.person.id]
    if not people:
        return ctx.t("passbook.no_people", building=building.name), (cancel_row(ctx),)
    shown = people[page * PAGE : (page + 1) * PAGE]
    rows = list(in_pairs([Button(p.display_name, f"pba:p:{p.id}") for p in shown]))
    rows += ctx.paging_row(page=page, more=(page + 1) * PAGE < len(people), data=f"pba:b:{building.id}")
    rows.append(cancel_row(ctx))
    return ctx.t("passbook.pick_person", building=building.name), tuple(rows)


async def on_picker_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """pba:b:<building>:<page> · pba:p:<person> · pba:a:<person>:<amount> · pba:r:<reason> · pba:x"""
    action, numbers = (parts[0] if parts else ""), numbers_in(parts[1:])
    if action == "x":
        await drop_draft(ctx)
        ctx.edit_pressed(ctx.t("common.cancelled"))
    elif action == "b" and len(numbers) == 2:
        building = await place_by_id(ctx.session, place_id=numbers[0])
        if building is None or building.id not in {b.id for b in await scope_buildings(ctx)}:
            ctx.answer(ctx.t("button.stale"))
            return
        text, buttons = await people_page(ctx, building, numbers[1])
        ctx.edit_pressed(text, buttons=buttons)
    elif action == "p" and len(numbers) == 1:
        await pick_amount(ctx, numbers[0])
    elif action == "a" and len(numbers) == 2:
        await ask_reason(ctx, numbers[0], numbers[1])
    elif action == "r" and len(numbers) == 1:
        reasons = ctx.t("passbook.reasons").split("|")
        if numbers[0] >= len(reasons):
            ctx.answer(ctx.t("button.stale"))
            return
        await finish_draft(ctx, reasons[numbers[0]], edit=True)
        return
    else:
        ctx.answer(ctx.t("button.stale"))
        return
    ctx.answer()


async def pick_amount(ctx: Context, person_id: int) -> None:
    recipient = await person_by_id(ctx.session, person_id=person_id)
    if recipient is None:
        ctx.answer(ctx.t("button.stale"))
        return
    buttons = tuple(Button(f"+{n}", f"pba:a:{person_id}:{n}") for n in AMOUNT_CHOICES)
    ctx.edit_pressed(ctx.t("passbook.pick_amount", name=recipient.display_name), buttons=(buttons, cancel_row(ctx)))


async def ask_reason(ctx: Context, person_id: int, amount: int) -> None:
    """Keep the choice as a draft; the reason comes as a button or as the next private message."""
    recipient = await person_by_id(ctx.session, person_id=person_id)
    if recipient is None or amount not in AMOUNT_CHOICES:
        ctx.answer(ctx.t("button.stale"))
        return
    draft = await draft_of(ctx)
    if draft is None:
        draft = AwardDraft(awarder_id=ctx.person.id or 0, recipient_id=person_id, amount=amount)
        ctx.session.add(draft)
    draft.recipient_id, draft.amount, draft.created_at = person_id, amount, ctx.now
    reasons = ctx.t("passbook.reasons").split("|")
    buttons = [Button(r, f"pba:r:{i}") for i, r in enumerate(reasons)]
    rows = [tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)]
    text = ctx.t("passbook.ask_reason", name=recipient.display_name, amount=amount)
    ctx.edit_pressed(text, buttons=(*rows, cancel_row(ctx)))


async def finish_draft(ctx: Context, reason: str, *, edit: bool) -> None:
    """The reason arrived: claim the draft (a double press awards once) and give the award."""
    draft = await draft_of(ctx)
    recipient = await person_by_id(ctx.session, person_id=draft.recipient_id) if draft else None
    if draft is None or recipient is None or not await claim(ctx, draft):
        if edit:
            ctx.answer(ctx.t("button.stale"))
        else:
            ctx.reply(ctx.t("button.stale"))
        return
    places = await home_places(ctx, recipient.id or 0)
    groups = await home_groups(ctx, recipient.id or 0) if ctx.setting(PassbookConfig).award_group_line else []

    def announce(line: str) -> None:
        for chat in groups:
            ctx.effects.add(Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=line))

    outcome = await award_manually(ctx, recipient, places, draft.amount, reason[:MAX_REASON], announce)
    answer = outcome if isinstance(outcome, str) else award_done(ctx, recipient, outcome)
    if edit:
        ctx.edit_pressed(answer)
        ctx.answer()
    else:
        ctx.reply(answer)


async def writing_an_award(work: Work, hook: AwaitingAnswer) -> None:
    """This feature's answer to AwaitingAnswer: an award of theirs waits for its reason."""
    if await award_draft_of(work.session, awarder_id=hook.person_id) is not None:
        hook.waiting.append(True)


async def draft_of(ctx: Context) -> AwardDraft | None:
    return await award_draft_of(ctx.session, awarder_id=ctx.person.id or 0)


async def claim(ctx: Context, draft: AwardDraft) -> bool:
    """Take the draft (a double press awards once); False if a concurrent press already took it."""
    return await claim_award_draft(ctx.session, draft_id=draft.id)


async def drop_draft(ctx: Context) -> None:
    await drop_award_drafts(ctx.session, awarder_id=ctx.person.id or 0)


async def on_private_text(ctx: Context, message: IncomingMessage) -> bool:
    """A typed reason for the awarder's draft."""
    if ctx.in_group or not message.text.strip():
        return False
    if await draft_of(ctx) is None:
        return False
    await finish_draft(ctx, " ".join(message.text.split()), edit=False)
    return True


# ---- reversals ------------------------------------------------------------------------------------------------


async def revoke_command(ctx: Context, message: IncomingMessage) -> None:
    """/revoke 12 原因 (撤销): staff take back an award with a new, visible reversal entry."""
    found = REVOKE_ARGS.match(message.args)
    reason = " ".join(found.group(2).split())[:MAX_REASON] if found else ""
    if found is None or not reason:
        ctx.reply(ctx.t("passbook.revoke_usage"), quote=ctx.in_group)
        return
    entry_id = parse_id(found.group(1))
    if entry_id is None:
        ctx.reply(ctx.t("number.unknown", value=quoted(found.group(1))), quote=ctx.in_group)
        return
    entry = await entry_by_id(ctx.session, entry_id=entry_id)
    if entry is None or entry.kind != EntryKind.AWARD:
        ctx.reply(ctx.t("passbook.revoke_unknown", number=entry_id), quote=ctx.in_group)
        return
    places = await home_places(ctx, entry.person_id)
    community = await place_by_id(ctx.session, place_id=entry.community_id) if entry.community_id else None
    if not await covering_roles(ctx, places or ([community] if community else []), REVOKER_ROLES):
        ctx.reply(ctx.t("passbook.revoke_refused"), quote=ctx.in_group)
        return
    ctx.reply(await reverse(ctx, entry, reason), quote=ctx.in_group)


async def reverse(ctx: Context, entry: LedgerEntry, reason: str | SystemReason) -> str:
    """Post the reversal of an award (a typed reason, or one the bot writes) and tell its recipient; returns the
    answer for the staff member."""
    system = reason if isinstance(reason, SystemReason) else None
    said = reason.said if isinstance(reason, SystemReason) else lambda _: reason
    try:
        reversal = await post_entry(
            ctx.session,
            person_id=entry.person_id,
            delta=-entry.delta,
            kind=EntryKind.REVERSAL,
            reason=said(partial(translate, ctx.config.default_locale)),
            source=ENTRY,
            source_id=entry.id,
            actor_id=ctx.person.id,
            idempotency_key=f"revoke:{entry.id}",
            now=ctx.now,
            community_id=entry.community_id,
            reason_key=system.key if system else None,
            reason_values=system.values if system else None,
        )
    except InsufficientPoints:
        return ctx.t("passbook.revoke_spent", number=entry.id)
    if reversal is None:
        return ctx.t("passbook.revoke_twice", number=entry.id)
    person = await person_by_id(ctx.session, person_id=entry.person_id)
    locale = (person.locale if person else None) or ctx.config.default_locale
    after = reversal
    text = translate(
        locale,
        "passbook.revoked_private",
        amount=entry.delta,
        reason=said(partial(translate, locale)),
        original=reason_of(partial(translate, locale), entry),
        spendable=after.spendable,
        lifetime=after.lifetime,
    )
    await tell(ctx, entry.person_id, text)
    name = person.display_name if person else "?"
    return ctx.t("passbook.revoke_done", number=entry.id, name=name, amount=entry.delta, reason=said(ctx.t))


# ---- automatic awards (listening to the events' and the tickets' hooks) --------------------------------------


async def award_attendance(ctx: Context, hook: Attended) -> None:
    """A first check-in (by code, or marked by an organiser, who is then the actor) earns the event's points, once
    per person and occurrence."""
    event, occurrence, person_id = hook.event, hook.occurrence, hook.person_id
    if event.points <= 0:
        return
    scope = await place_by_id(ctx.session, place_id=event.scope_ids[0]) if event.scope_ids else None
    system = SystemReason("passbook.reason_event", {"title": event.title})
    reason = system.said(partial(translate, ctx.config.default_locale))
    actor = None if person_id == ctx.person.id else ctx.person.id
    key = f"event:{occurrence.id}:person:{person_id}"
    award = Award(
        person_id, event.points, reason, EVENT, occurrence.id, actor, key, community_id_of(scope), system=system
    )
    await give(ctx, award)


async def award_volunteer_resolution(ctx: Context, hook: TicketResolved) -> None:
    """A volunteer (or building head) who resolves a ticket earns the category's points, once per ticket."""
    ticket, building = hook.ticket, hook.building
    points = ctx.setting(PassbookConfig).ticket_points.get(ticket.category, 0)
    volunteer = ticket.assignee_id
    if points <= 0 or volunteer is None:
        return
    if not await has_role_over(ctx.session, person_id=volunteer, place=building, roles=VOLUNTEER_ROLES):
        return
    system = SystemReason("passbook.reason_ticket", {"number": ticket.id or 0, "category": ticket.category})
    reason = system.said(partial(translate, ctx.config.default_locale))
    key = resolution_key(ticket, await reopens_of(ctx, ticket))
    community = community_id_of(building)
    await give(ctx, Award(volunteer, points, reason, TICKET, ticket.id, None, key, community, ticket.private, system))


def resolution_key(ticket: Ticket, reopens: int) -> str:
    """The award for resolving a ticket, once per round of work (a reopened ticket can be earned again)."""
    return f"ticket:{ticket.id}:resolved" + (f":{reopens}" if reopens else "")


async def reopens_of(ctx: Context, ticket: Ticket) -> int:
    return sum(e.action == "reopen" for e in await events_of(ctx.session, ticket_id=ticket.id or 0))


async def reverse_resolution_award(ctx: Context, hook: TicketReopened) -> None:
    """没解决: the points paid when the ticket was marked 已处理 are taken back, by a visible reversal entry."""
    ticket = hook.ticket
    entry = await entry_by_key(ctx.session, idempotency_key=resolution_key(ticket, await reopens_of(ctx, ticket) - 1))
    if entry is None:
        return
    await reverse(ctx, entry, SystemReason("passbook.reason_reopened", {"number": ticket.id or 0}))


async def award_help(work: Work, hook: HelpConfirmed) -> None:
    """A volunteer whose 点单 was confirmed (or auto-confirmed) earns the community's help points, once per request."""
    points = work.setting(PassbookConfig).help_points
    if points <= 0:
        return
    system = SystemReason("passbook.reason_help", {"number": hook.request_id, "text": hook.text[:20]})
    reason = system.said(partial(translate, work.config.default_locale))
    key = f"help:{hook.request_id}:confirmed"
    community = community_id_of(hook.building)
    await give(
        work, Award(hook.volunteer_id, points, reason, HELP, hook.request_id, None, key, community, system=system)
    )


async def award_confirmed_report(ctx: Context, hook: ReportConfirmed) -> None:
    """A resident's report confirmed by someone else earns a little, up to a daily cap, once per ticket."""
    ticket, building = hook.ticket, hook.building
    points, cap = ctx.setting(PassbookConfig).report_points, ctx.setting(PassbookConfig).report_daily_cap
    if points <= 0 or ticket.reporter_id == ctx.person.id:
        return
    since = local_midnight(ctx.now, ctx.config.timezone)
    await lock_person(ctx.session, person_id=ticket.reporter_id)  # held until the award is posted
    if await awarded_since(ctx.session, since=since, source=REPORT, person_id=ticket.reporter_id) + points > cap:
        return
    system = SystemReason("passbook.reason_report", {"number": ticket.id or 0})
    reason = system.said(partial(translate, ctx.config.default_locale))
    key = f"report:{ticket.id}"
    community = community_id_of(building)
    award = Award(ticket.reporter_id, points, reason, REPORT, ticket.id, None, key, community, ticket.private, system)
    await give(ctx, award)
