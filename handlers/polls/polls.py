"""投票: staff write a question and its options, choose single/multiple, anonymous/named, per person/per household
and the deadline, pick the groups; residents vote on the card (live counts); a reminder before the deadline, the
result after it, exportable as CSV."""

from __future__ import annotations

from datetime import timedelta

from handlers.common.numbers import parse_id, read_number
from handlers.common.scopes import chats_in_scope, scope_keyboard, scope_options
from handlers.common.sheets import Cell, Sheet, to_csv
from handlers.core.context import Context, Work
from handlers.core.types import Button, Edit, IncomingCallback, IncomingMessage, Keyboard, Send, SendDocument
from handlers.polls.rules import DAY_CHOICES, MAX_OPTIONS, next_days, parse_poll
from models.households import household_of
from models.people import person_by_id
from models.polls import Poll, PollStatus, cast_vote, poll_by_id, poll_counts, poll_votes, polls_due


async def poll_command(ctx: Context, message: IncomingMessage) -> None:
    """投票 问题 + one option a line: a draft with its settings as buttons."""
    parsed = parse_poll(message.args)
    if parsed is None:
        ctx.reply(ctx.t("poll.usage", most=MAX_OPTIONS))
        return
    question, options = parsed
    poll = Poll(
        author_id=ctx.person.id or 0, question=question, options=options, days=DAY_CHOICES[1], created_at=ctx.now
    )
    ctx.session.add(poll)
    await ctx.session.flush()
    ctx.reply(draft_text(ctx, poll), buttons=draft_buttons(ctx, poll))


def rules_text(work: Work, poll: Poll) -> str:
    parts = (
        work.t("poll.multiple" if poll.multiple else "poll.single"),
        work.t("poll.anonymous" if poll.anonymous else "poll.named"),
        work.t("poll.per_household" if poll.per_household else "poll.per_person"),
    )
    return " · ".join(parts)


def draft_text(ctx: Context, poll: Poll) -> str:
    options = "\n".join(f"{i}. {o}" for i, o in enumerate(poll.options, start=1))
    return ctx.t("poll.draft", question=poll.question, options=options, rules=rules_text(ctx, poll), days=poll.days)


def draft_buttons(ctx: Context, poll: Poll) -> Keyboard:
    i = poll.id
    return (
        (
            Button("🔁 " + ctx.t("poll.multiple" if poll.multiple else "poll.single"), f"pl:m:{i}"),
            Button("🔁 " + ctx.t("poll.anonymous" if poll.anonymous else "poll.named"), f"pl:a:{i}"),
        ),
        (
            Button("🔁 " + ctx.t("poll.per_household" if poll.per_household else "poll.per_person"), f"pl:h:{i}"),
            Button(ctx.t("button.poll_days", days=poll.days), f"pl:d:{i}"),
        ),
        (Button(ctx.t("button.poll_groups"), f"pl:g:{i}"),),
    )


async def on_poll_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """pl:<m|a|h|d|g>:<poll> settings of a draft · pl:v:<poll>:<option> a vote · pl:e:<poll> the export."""
    poll_id = parse_id(parts[1]) if len(parts) >= 2 else None
    poll = await poll_by_id(ctx.session, poll_id=poll_id) if poll_id else None
    if poll is None:
        ctx.answer(ctx.t("button.stale"))
        return
    option = read_number(parts[2]) if parts[0] == "v" and len(parts) == 3 else None
    if isinstance(option, int):
        await vote(ctx, poll, option)
    elif ctx.person.id != poll.author_id:
        ctx.answer(ctx.t("poll.author_only"), alert=True)
    elif parts[0] == "e":
        await export(ctx, poll)
    elif poll.status != PollStatus.DRAFT:
        ctx.answer(ctx.t("poll.already_sent"))
    else:
        await change_draft(ctx, poll, parts[0])


async def change_draft(ctx: Context, poll: Poll, what: str) -> None:
    if what == "g":
        options = await scope_options(ctx)
        ctx.edit_pressed(
            ctx.t("poll.choose_groups"), buttons=scope_keyboard(ctx, "pls", poll.id or 0, poll.scope_ids, options)
        )
        ctx.answer()
        return
    if what == "m":
        poll.multiple = not poll.multiple
    elif what == "a":
        poll.anonymous = not poll.anonymous
    elif what == "h":
        poll.per_household = not poll.per_household
    elif what == "d":
        poll.days = next_days(poll.days)
    ctx.edit_pressed(draft_text(ctx, poll), buttons=draft_buttons(ctx, poll))
    ctx.answer()


async def on_scope_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """pls:t:<poll>:<place> toggle a group scope · pls:n:<poll> send · pls:x:<poll> cancel."""
    poll_id = parse_id(parts[1]) if len(parts) >= 2 else None
    poll = await poll_by_id(ctx.session, poll_id=poll_id) if poll_id else None
    if poll is None or poll.author_id != ctx.person.id or poll.status != PollStatus.DRAFT:
        ctx.answer(ctx.t("button.stale"))
        return
    chosen = parse_id(parts[2]) if parts[0] == "t" and len(parts) == 3 else None
    if chosen:
        poll.scope_ids = (
            [p for p in poll.scope_ids if p != chosen] if chosen in poll.scope_ids else [*poll.scope_ids, chosen]
        )
        options = await scope_options(ctx)
        ctx.edit_pressed(
            ctx.t("poll.choose_groups"), buttons=scope_keyboard(ctx, "pls", poll.id or 0, poll.scope_ids, options)
        )
        ctx.answer()
    elif parts[0] == "n":
        await publish(ctx, poll)
    else:
        ctx.edit_pressed(draft_text(ctx, poll), buttons=draft_buttons(ctx, poll))
        ctx.answer()


async def publish(ctx: Context, poll: Poll) -> None:
    chats = await chats_in_scope(ctx.session, poll.scope_ids)
    if not chats:
        ctx.answer(ctx.t("poll.no_groups"), alert=True)
        return
    poll.status, poll.closes_at = PollStatus.OPEN, ctx.now + timedelta(days=poll.days)
    poll.next_timer_at = poll.closes_at - min(timedelta(days=1), timedelta(days=poll.days) / 2)
    text, buttons = await card(ctx, poll), vote_buttons(poll)
    refs = []
    for chat in chats:
        ref = f"poll:{poll.id}:{chat.id}"
        ctx.effects.add(
            Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=text, buttons=buttons, ref_key=ref)
        )
        refs.append(ref)
    poll.card_refs = refs
    ctx.edit_pressed(ctx.t("poll.sent", count=len(chats), question=poll.question), buttons=export_button(ctx, poll))
    ctx.answer()


def export_button(work: Work, poll: Poll) -> Keyboard:
    return ((Button(work.t("button.poll_export"), f"pl:e:{poll.id}"),),)


def vote_buttons(poll: Poll) -> Keyboard:
    if poll.status != PollStatus.OPEN:
        return ()
    return tuple((Button(option, f"pl:v:{poll.id}:{i}"),) for i, option in enumerate(poll.options))


async def card(work: Work, poll: Poll) -> str:
    counts = await poll_counts(work.session, poll_id=poll.id or 0)
    lines = "\n".join(
        work.t("poll.count_line", number=i + 1, option=o, count=counts.get(i, 0)) for i, o in enumerate(poll.options)
    )
    closes = poll.closes_at.astimezone(work.config.timezone).strftime("%m-%d %H:%M") if poll.closes_at else ""
    key = "poll.card_closed" if poll.status == PollStatus.CLOSED else "poll.card"
    return work.t(key, question=poll.question, lines=lines, rules=rules_text(work, poll), closes=closes)


async def refresh(work: Work, poll: Poll) -> None:
    text, buttons = await card(work, poll), vote_buttons(poll)
    for ref in poll.card_refs:
        work.effects.add(Edit(text=text, buttons=buttons, ref_key=ref))


async def vote(ctx: Context, poll: Poll, option: int) -> None:
    if poll.status != PollStatus.OPEN or (poll.closes_at and ctx.now >= poll.closes_at):
        ctx.answer(ctx.t("poll.closed"), alert=True)
        return
    if option >= len(poll.options):
        ctx.answer()
        return
    voter = f"p:{ctx.person.id}"
    if poll.per_household:
        household = await household_of(ctx.session, person_id=ctx.person.id or 0)
        if household is None:
            ctx.answer(ctx.t("poll.needs_household"), alert=True)
            return
        voter = f"h:{household.id}"
    chosen = await cast_vote(
        ctx.session, poll=poll, voter=voter, option=option, person_id=ctx.person.id or 0, now=ctx.now
    )
    key = "poll.voted" if chosen else "poll.unvoted"
    ctx.answer(ctx.t(key, option=poll.options[option]))
    await refresh(ctx, poll)


async def export(ctx: Context, poll: Poll) -> None:
    """The results as CSV (with the voters' names when the poll is named), privately to the author."""
    counts = await poll_counts(ctx.session, poll_id=poll.id or 0)
    voters: dict[int, list[str]] = {}
    if not poll.anonymous:
        for v in await poll_votes(ctx.session, poll_id=poll.id or 0):
            person = await person_by_id(ctx.session, person_id=v.person_id)
            voters.setdefault(v.option, []).append(person.display_name if person else "?")
    header = [ctx.t("poll.col_option"), ctx.t("poll.col_count"), ctx.t("poll.col_voters")]
    rows: list[list[Cell]] = [[o, counts.get(i, 0), "、".join(voters.get(i, []))] for i, o in enumerate(poll.options)]
    ctx.effects.add(
        SendDocument(
            platform=ctx.platform,
            chat_id=ctx.incoming.chat.platform_chat_id,
            filename=ctx.t("poll.filename", number=poll.id),
            content=to_csv(Sheet(poll.question, header, rows)),
            caption=poll.question,
        )
    )
    ctx.answer()


async def sweep_polls(work: Work) -> int:
    """A reminder in the groups before the deadline; at the deadline the cards show the result."""
    due = await polls_due(work.session, now=work.now)
    for poll in due:
        if not poll.reminded:
            poll.reminded, poll.next_timer_at = True, poll.closes_at
            hours = max(1, int(((poll.closes_at or work.now) - work.now).total_seconds() // 3600))
            for chat in await chats_in_scope(work.session, poll.scope_ids):
                text = work.t("poll.reminder", question=poll.question, hours=hours)
                work.effects.add(Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=text))
        else:
            poll.status, poll.next_timer_at = PollStatus.CLOSED, None
            await refresh(work, poll)
            await work.tell(poll.author_id, await card(work, poll), export_button(work, poll))
    return len(due)
