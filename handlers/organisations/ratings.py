"""物业评价: the ten-indicator 物业满意度 survey (one anonymous answer per person, a deadline and a reminder) and the
monthly score per organisation from its outcomes and the survey, ranked as a 红黑榜 staff can post and export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.common.numbers import parse_id, read_number, read_year_month
from handlers.common.scopes import chats_in_scope
from handlers.common.sheets import Cell, Sheet, to_csv, to_xlsx
from handlers.common.times import end_of_local_day, local_time
from handlers.core.context import Context, Work
from handlers.core.texts import quoted
from handlers.core.types import Button, IncomingCallback, IncomingMessage, Keyboard, Send, SendDocument
from handlers.organisations.staff import places_named, staff_community
from models.chats import Chat, active_chats_in
from models.organisations import (
    Organisation,
    Outcomes,
    Survey,
    SurveyAnswer,
    SurveyVoter,
    answers_of,
    find_organisation,
    organisations_of,
    outcomes_of,
    surveys_due,
    surveys_of_month,
    voter_of,
)
from models.places import Place, places_within
from nlp.timeparse import TimeParseError, parse_time

INDICATORS = (
    "overall",
    "cleaning",
    "facilities",
    "security",
    "complaints",
    "repairs",
    "attitude",
    "fees",
    "parking",
    "lifts",
)
"""The ten indicators of the 物业满意度 survey, 总体满意度 first; each is answered 1–5."""
HIGHEST_SCORE = 5
REMIND_BEFORE = timedelta(hours=24)
RED, BLACK = 80.0, 60.0
"""红榜 from this score up, 黑榜 below that one."""


# ---- the survey ---------------------------------------------------------------------------------------------------


def month_of(work: Work, when: datetime) -> str:
    return when.astimezone(work.config.timezone).strftime("%Y-%m")


async def survey_command(ctx: Context, message: IncomingMessage) -> None:
    """/survey NAME DEADLINE [1号楼,2号楼]: post the survey of that organisation in the chosen groups (default: the
    groups of the places it serves)."""
    community = await staff_community(ctx)
    words = message.args.split()
    if community is None or len(words) < 2:
        ctx.reply(ctx.t("survey.usage"))
        return
    org = await find_organisation(ctx.session, community_ids=[community.id or 0], name=words[0])
    if org is None:
        ctx.reply(ctx.t("org.unknown", name=quoted(words[0])))
        return
    local_now = ctx.now.astimezone(ctx.config.timezone)
    try:
        deadline = end_of_local_day(parse_time(words[1], now=local_now).at, ctx.config.timezone)
    except TimeParseError:
        deadline = None
    if deadline is None or deadline <= ctx.now:
        ctx.reply(ctx.t("survey.bad_deadline"))
        return
    scope = await places_named(ctx, community, words[2]) if len(words) > 2 else org.serves
    if scope is None:
        return
    chats = await chats_in_scope(ctx.session, scope)
    if not chats:
        ctx.reply(ctx.t("survey.no_groups"))
        return
    survey = Survey(
        organisation_id=org.id or 0,
        month=month_of(ctx, ctx.now),
        chat_ids=[c.id or 0 for c in chats],
        deadline=deadline,
        remind_at=max(ctx.now + (deadline - ctx.now) / 2, deadline - REMIND_BEFORE),
        created_by_id=ctx.person.id,
        created_at=ctx.now,
    )
    ctx.session.add(survey)
    await ctx.session.flush()
    text = ctx.t(
        "survey.posted",
        org=org.name,
        month=survey.month,
        deadline=local_time(deadline, ctx.config.timezone, ctx.locale),
    )
    for chat in chats:
        ctx.effects.add(
            Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=text, buttons=start_button(ctx, survey))
        )
    ctx.reply(ctx.t("survey.started", org=org.name, groups=len(chats)))


def start_button(work: Work, survey: Survey) -> Keyboard:
    return ((Button(work.t("survey.button_start"), f"sq:b:{survey.id}"),),)


def question(work: Work, survey: Survey, org: Organisation, index: int) -> tuple[str, Keyboard]:
    text = work.t("survey.question", org=org.name, n=index + 1, indicator=work.t(f"survey.q_{INDICATORS[index]}"))
    row = tuple(Button(f"{k}", f"sq:a:{survey.id}:{index}:{k}") for k in range(1, HIGHEST_SCORE + 1))
    return text, (row,)


async def on_survey_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """sq:b:<survey> (start, in a group) and sq:a:<survey>:<question>:<score> (privately)."""
    survey_id = parse_id(parts[1]) if len(parts) >= 2 else None
    survey = await ctx.session.get(Survey, survey_id) if survey_id else None
    org = await ctx.session.get(Organisation, survey.organisation_id) if survey else None
    if survey is None or org is None or parts[0] not in ("b", "a"):
        ctx.answer(ctx.t("button.stale"))
        return
    if survey.closed or survey.deadline <= ctx.now:
        ctx.answer(ctx.t("survey.closed"), alert=True)
        return
    voter = await voter_of(ctx.session, survey_id=survey.id or 0, person_id=ctx.person.id or 0)
    if voter is not None and voter.done:
        ctx.answer(ctx.t("survey.already"), alert=True)
        return
    if parts[0] == "b":
        await begin(ctx, survey, org, voter)
    else:
        await score(ctx, survey, org, voter, parts[2:])


async def begin(ctx: Context, survey: Survey, org: Organisation, voter: SurveyVoter | None) -> None:
    if voter is None:
        voter = SurveyVoter(survey_id=survey.id or 0, person_id=ctx.person.id or 0)
        ctx.session.add(voter)
    voter.draft = []
    text, buttons = question(ctx, survey, org, 0)
    await ctx.tell(
        ctx.person.id or 0, ctx.t("survey.intro", org=org.name) + "\n\n" + text, buttons, prefer_platform=ctx.platform
    )
    ctx.answer(ctx.t("survey.check_private"))


async def score(ctx: Context, survey: Survey, org: Organisation, voter: SurveyVoter | None, args: list[str]) -> None:
    """One indicator answered: the next question, or after the tenth the anonymous answer is stored."""
    index = read_number(args[0], maximum=len(INDICATORS)) if args else None
    value = read_number(args[1], maximum=HIGHEST_SCORE) if len(args) > 1 else None
    if voter is None or index != len(voter.draft) or not isinstance(value, int) or value == 0:
        ctx.answer(ctx.t("button.stale"))
        return
    voter.draft = [*voter.draft, value]
    if len(voter.draft) < len(INDICATORS):
        text, buttons = question(ctx, survey, org, len(voter.draft))
        ctx.edit_pressed(text, buttons=buttons)
        ctx.answer()
        return
    ctx.session.add(SurveyAnswer(survey_id=survey.id or 0, scores=voter.draft))
    voter.draft, voter.done = [], True
    ctx.edit_pressed(ctx.t("survey.thanks", org=org.name))
    ctx.answer("🙏")


async def sweep_surveys(work: Work) -> int:
    """The reminder in the survey's groups, then at the deadline the result to whoever started it."""
    due = await surveys_due(work.session, now=work.now)
    for survey in due:
        org = await work.session.get(Organisation, survey.organisation_id)
        assert org is not None
        answers = await answers_of(work.session, survey_ids=[survey.id or 0])
        chats = [c for c in [await work.session.get(Chat, i) for i in survey.chat_ids] if c is not None and c.active]
        if survey.deadline <= work.now:
            survey.closed = True
            if survey.created_by_id is not None:
                average = survey_percent(answers)
                shown = f"{average:.1f}" if average is not None else "-"
                await work.tell(
                    survey.created_by_id,
                    work.t("survey.result", org=org.name, month=survey.month, count=len(answers), score=shown),
                )
            continue
        survey.reminded = True
        text = work.t(
            "survey.reminder",
            org=org.name,
            count=len(answers),
            deadline=local_time(survey.deadline, work.config.timezone, work.locale),
        )
        for chat in chats:
            work.effects.add(
                Send(
                    platform=chat.platform, chat_id=chat.platform_chat_id, text=text, buttons=start_button(work, survey)
                )
            )
    return len(due)


# ---- the monthly score and the 红黑榜 ------------------------------------------------------------------------------


def survey_percent(answers: list[list[int]]) -> float | None:
    """The mean of every indicator of every answer, as a percentage of 5."""
    values = [v for scores in answers for v in scores]
    return sum(values) / len(values) / 5 * 100 if values else None


@dataclass(frozen=True)
class Rating:
    """An organisation's month: its outcomes, its survey, and the score they make."""

    org: Organisation
    outcomes: Outcomes
    answers: int
    survey: float | None

    @property
    def score(self) -> float | None:
        """60 % survey and 40 % 回访 stars (either alone when the other is missing), less 5 per overdue ticket and
        20 × the reopen rate; never below 0."""
        stars = self.outcomes.stars / 5 * 100 if self.outcomes.stars is not None else None
        parts = [(0.6, self.survey), (0.4, stars)]
        weight = sum(w for w, v in parts if v is not None)
        if not weight:
            return None
        base = sum(w * v for w, v in parts if v is not None) / weight
        return round(max(0.0, base - 5 * self.outcomes.overdue - 20 * self.outcomes.reopen_rate), 1)


def month_bounds(work: Work, month: str) -> tuple[datetime, datetime]:
    year, number = (int(p) for p in month.split("-"))
    start = datetime(year, number, 1, tzinfo=work.config.timezone)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=work.config.timezone)
    return start, end


async def ratings_of(work: Work, community: Place, month: str) -> list[Rating]:
    start, end = month_bounds(work, month)
    found = []
    for org in await organisations_of(work.session, community_id=community.id or 0):
        surveys = await surveys_of_month(work.session, organisation_id=org.id or 0, month=month)
        answers = await answers_of(work.session, survey_ids=[s.id or 0 for s in surveys])
        outcomes = await outcomes_of(work.session, organisation_id=org.id or 0, start=start, end=end)
        if outcomes.dispatched or answers:
            found.append(Rating(org, outcomes, len(answers), survey_percent(answers)))
    return sorted(found, key=lambda r: -(r.score if r.score is not None else -1))


def figure(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def board_text(work: Work, month: str, ratings: list[Rating]) -> str:
    """The monthly figures and the 红黑榜."""
    lines = [work.t("rating.header", month=month)]
    for r in ratings:
        o = r.outcomes
        lines.append(
            work.t(
                "rating.line",
                name=r.org.name,
                score=figure(r.score),
                tickets=o.dispatched,
                accept=figure(o.accept_hours),
                resolve=figure(o.resolve_hours),
                reopen=f"{o.reopen_rate:.0%}",
                stars=figure(o.stars),
                overdue=o.overdue,
                answers=r.answers,
                survey=figure(r.survey),
            )
        )
    red = [r.org.name for r in ratings if r.score is not None and r.score >= RED]
    black = [r.org.name for r in ratings if r.score is not None and r.score < BLACK]
    lines += [
        "",
        work.t("rating.red", names="、".join(red) or "-"),
        work.t("rating.black", names="、".join(black) or "-"),
    ]
    return "\n".join(lines) if ratings else work.t("rating.none", month=month)


def requested_month(ctx: Context, text: str) -> str | None:
    text = text.strip()
    if not text:
        return month_of(ctx, ctx.now)
    found = read_year_month(text, first_year=1000, last_year=9999)
    return f"{found[0]}-{found[1]:02d}" if found else None


async def ratings_command(ctx: Context, message: IncomingMessage) -> None:
    """/ratings [YYYY-MM] (物业评价): the month's figures and 红黑榜, with 发到各群 and the exports."""
    community = await staff_community(ctx)
    month = requested_month(ctx, message.args)
    if community is None or month is None:
        ctx.reply(ctx.t("rating.usage"))
        return
    ratings = await ratings_of(ctx, community, month)
    buttons: Keyboard = ()
    if ratings:
        buttons = (
            (Button(ctx.t("rating.button_post"), f"rk:post:{month}"),),
            (Button("CSV", f"rk:csv:{month}"), Button("Excel", f"rk:xlsx:{month}")),
        )
    ctx.reply(board_text(ctx, month, ratings), buttons=buttons)


def rating_sheet(work: Work, month: str, ratings: list[Rating]) -> Sheet:
    """The month's figures per organisation, one row each, as exported (CSV / Excel)."""
    rows: list[list[Cell]] = []
    for r in ratings:
        o = r.outcomes
        rows.append(
            [
                r.org.name,
                work.t(f"orgkind.{r.org.kind}"),
                r.score if r.score is not None else "",
                o.dispatched,
                round(o.accept_hours, 1) if o.accept_hours is not None else "",
                round(o.resolve_hours, 1) if o.resolve_hours is not None else "",
                round(o.reopen_rate, 3),
                round(o.stars, 2) if o.stars is not None else "",
                o.overdue,
                r.answers,
                round(r.survey, 1) if r.survey is not None else "",
            ]
        )
    return Sheet(work.t("rating.sheet", month=month), [work.t(f"rating.col_{c}") for c in COLUMNS], rows)


COLUMNS = ("org", "kind", "score", "tickets", "accept", "resolve", "reopen", "stars", "overdue", "answers", "survey")


async def on_board_button(ctx: Context, callback: IncomingCallback, parts: list[str]) -> None:
    """rk:post|csv|xlsx:<month> — staff only."""
    community = await staff_community(ctx)
    month = requested_month(ctx, parts[1]) if len(parts) == 2 else None
    if community is None:
        ctx.answer(ctx.t("org.refused"), alert=True)
        return
    if month is None or parts[0] not in ("post", "csv", "xlsx"):
        ctx.answer(ctx.t("button.stale"))
        return
    ratings = await ratings_of(ctx, community, month)
    if parts[0] == "post":
        text = board_text(ctx, month, ratings)
        buildings = await places_within(ctx.session, scope=community)
        for chat in await active_chats_in(ctx.session, places=buildings):
            if chat.kind == "group":
                ctx.effects.add(Send(platform=chat.platform, chat_id=chat.platform_chat_id, text=text))
        ctx.answer(ctx.t("rating.posted"))
        return
    sheet = rating_sheet(ctx, month, ratings)
    content = to_csv(sheet) if parts[0] == "csv" else to_xlsx(sheet)
    ctx.effects.add(
        SendDocument(
            platform=ctx.platform,
            chat_id=callback.chat.platform_chat_id,
            filename=f"物业评价-{month}.{parts[0]}",
            content=content,
            caption=ctx.t("rating.caption", month=month),
        )
    )
    ctx.answer()
