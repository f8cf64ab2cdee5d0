"""Permission probes over the whole bot: every command that needs a role, tried by every role that lacks it (and by
someone with none); the managing actions tried by managers of another building, grid or community; and every
button prefix forged, and every genuine button replayed on another message, in a group and in a private chat.
A probe leaks when anything but the refusal happens. The probes are built from the features' own declarations, so
a new command or button prefix is probed without touching this file."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from sqlmodel import select

from handlers.core.texts import CORE
from handlers.features import FEATURES
from models.passbook import LedgerEntry
from models.people import Role
from models.tickets import Ticket, TicketStatus
from tests.features.console_world import csrf_of, login_path
from tests.features.harness import BotUnderTest, Participant, running_bot
from tests.features.orgs_world import dispatched, org_world
from tests.features.test_console_orgs import client
from tests.features.test_permissions import B1, B2, GRID2, OTHER, world
from tests.features.tickets_world import bind

REPORT = "3单元电梯坏了，好几天没人修"
ROLE_GATED = [c for f in FEATURES for c in f.commands if c.roles is not None]
PREFIXES = sorted({prefix for f in FEATURES for prefix in f.callbacks})
DESK_ACTIONS = sorted({a.name for f in FEATURES for a in f.desk_actions})
# who probes, with the role they hold (None: a neighbour nobody gave a role)
PROBERS: dict[str, tuple[Role, str] | None] = {
    "路人": None,
    "王居民": (Role.RESIDENT, B1),
    "陈志愿": (Role.VOLUNTEER, B1),
    "二号楼长": (Role.BUILDING_HEAD, B2),
    "二网格员": (Role.GRID_WORKER, GRID2),
    "外社区社工": (Role.STAFF, OTHER),
}


def zh(key: str) -> str:
    """The Chinese sentence of `key`, from whichever catalogue holds it."""
    for catalogue in (CORE, *(f.texts for f in FEATURES if f.texts is not None)):
        if key in catalogue.zh:
            return catalogue.zh[key]
    raise KeyError(key)


STALE = zh("button.stale")


@dataclass
class Probes:
    """How many probes ran and what leaked (a description per leak)."""

    count: int = 0
    leaks: list[str] | None = None

    def check(self, ok: bool, what: str) -> None:
        self.count += 1
        if not ok:
            self.leaks = [*(self.leaks or []), what]


async def cast(bot: BotUnderTest) -> dict[str, Participant]:
    people = {name: bot.person(name) for name in PROBERS}
    for name, held in PROBERS.items():
        if held is not None:
            await bot.grant(people[name], *held)
    return people


def answer_to(bot: BotUnderTest, update: dict[str, object]) -> str | None:
    query = update["callback_query"]
    assert isinstance(query, dict)
    answers = [c for c in bot.api.calls_of("answerCallbackQuery") if c.params.get("callback_query_id") == query["id"]]
    return str(answers[-1].params.get("text", "")) if answers else None


async def test_every_role_gated_command_refuses_every_role_without_it(database_url: str) -> None:
    probes = Probes()
    async with running_bot(database_url) as bot:
        await world(bot)
        group = bot.group("1号楼业主群")
        await bind(bot, group, B1)
        people = await cast(bot)
        expected: dict[int, list[tuple[str, str]]] = {}
        for name, person in people.items():
            held = PROBERS[name]
            roles = {held[0]} if held else set()
            private = bot.private(person)
            for command in ROLE_GATED:
                if command.roles is None or command.roles & roles:
                    continue
                assert command.refusal is not None
                refusal = zh(command.refusal)
                if command.group_only:  # /bind: one command per member in the group, under the command pace
                    await person.says(group, f"/{command.name}")
                    answer = await group.expect_message()
                    probes.check(refusal in (answer.text or ""), f"{name} /{command.name} in the group: {answer.text}")
                    continue
                await person.says(private, f"/{command.name}")
                expected.setdefault(private.id, []).append((f"{name} /{command.name}", refusal))
        await bot.delivered()
        for chat_id, wanted in expected.items():
            said = bot.api.sent_texts(chat_id)
            for n, (what, refusal) in enumerate(wanted):
                probes.check(n < len(said) and said[n] == refusal, f"{what}: {said[n : n + 1]} instead of {refusal}")
    print(f"role-gated commands: {probes.count} probes, {len(probes.leaks or [])} leaks")
    assert probes.count >= 100 and not probes.leaks, probes.leaks


async def test_managers_of_another_place_cannot_act_on_this_buildings_reports_and_awards(database_url: str) -> None:
    probes = Probes()
    async with running_bot(database_url) as bot:
        await world(bot)
        group = bot.group("1号楼业主群")
        await bind(bot, group, B1)
        people = await cast(bot)
        reporter = people["王居民"]
        await reporter.says(group, REPORT)
        card = await group.expect_message_with("📋 工单 #1")
        said = await reporter.says(group, "谢谢大家")
        for name in ("路人", "陈志愿", "二号楼长", "二网格员", "外社区社工"):
            await people[name].presses(group, card, "确认")
            answer = await people[name].expect_answer()
            probes.check("已确认" not in str(answer.params.get("text", "")), f"{name} confirmed #1")
            await people[name].says(group, "加分 5 扫雪", reply_to_message_id=said["message"]["message_id"])
        await bot.delivered()
        async with bot.runtime.sessions() as session:
            ticket = await session.get(Ticket, 1)
            ledger = (await session.exec(select(LedgerEntry))).all()
        assert ticket is not None
        probes.check(ticket.status == TicketStatus.REPORTED, f"#1 is {ticket.status}")
        probes.check(not ledger, f"awards credited: {[(e.person_id, e.delta) for e in ledger]}")
        # the probes are real: the building's own head may do both
        head = bot.person("李楼长")
        await bot.grant(head, Role.BUILDING_HEAD, B1)
        await head.presses(group, card, "确认")
        await group.expect_edit("已确认")
    print(f"scope probes: {probes.count} probes, {len(probes.leaks or [])} leaks")
    assert not probes.leaks, probes.leaks


async def test_forged_and_replayed_buttons_of_every_prefix_are_stale(database_url: str) -> None:
    probes = Probes()
    async with running_bot(database_url) as bot:
        await world(bot)
        group = bot.group("1号楼业主群")
        await bind(bot, group, B1)
        staff, resident = bot.person("张社工"), bot.person("王居民")
        await bot.grant(staff, Role.STAFF, "阳光社区")
        await bot.grant(resident, Role.RESIDENT, B1)
        desk, home = bot.private(staff), bot.private(resident)
        genuine: set[str] = set()
        for command in ROLE_GATED:
            if command.group_only or not command.roles or Role.STAFF not in command.roles:
                continue
            await staff.says(desk, f"/{command.name}")
        await bot.delivered()  # every reply in the desk is there before its buttons are read and the chats counted
        for message in bot.api.bot_messages(desk.id):
            genuine |= {data for _, data in message.buttons if data}
        await staff.says(group, "/help")
        in_group = await group.expect_message("/help")
        await resident.says(home, "/help")
        at_home = await home.expect_message("/help")
        forged = {f"{prefix}:{tail}" for prefix in PREFIXES for tail in ("1", "1:1", "x")}
        await bot.delivered()
        before = {chat.id: bot.bot_activity(chat.id) for chat in (group, home, desk)}
        for data in sorted(forged | genuine):
            presses = ((staff, group, in_group), (resident, home, at_home), (resident, group, in_group))
            for who, chat, message in presses:
                update = bot.api.inject_callback(chat.chat, who.user, message.message_id, data, check_button=False)
                await bot.delivered()  # the answer too, not only the press handled
                answer = answer_to(bot, update)
                probes.check(answer == STALE, f"{data} in {chat.chat.type}: answered {answer!r}")
        for chat in (group, home, desk):
            probes.check(bot.bot_activity(chat.id) == before[chat.id], f"the bot spoke in {chat.chat.type}")
        probes.check(not bot.api.calls_of("sendDocument"), "a file was sent")
    print(
        f"buttons: {len(forged)} forged + {len(genuine)} genuine data, {probes.count} probes, "
        f"{len(probes.leaks or [])} leaks"
    )
    assert len(genuine) >= 10 and not probes.leaks, probes.leaks


async def test_every_console_action_on_another_organisations_ticket_or_without_its_token_is_refused(
    database_url: str,
) -> None:
    """The console's probes, built from the features' desk actions: 物业's member on the lift contractor's ticket (and
    on a made-up action) is answered 404, the lift contractor's member without the CSRF token 403, and nothing is said
    in any chat."""
    probes = Probes()
    async with running_bot(database_url) as bot, aiohttp.ClientSession() as http:
        w = await org_world(bot)
        await dispatched(bot, w, "3单元电梯又坏了", "迅达电梯维保", w.lift)
        other, member = client(bot, http), client(bot, http)
        assert await other.sign_in(await login_path(bot, w.keeper)) == 303
        assert await member.sign_in(await login_path(bot, w.lift)) == 303
        await bot.delivered()
        before = {p.user.id: bot.bot_activity(bot.private(p).id) for p in (w.lift, w.keeper, w.grid_worker)}
        group_before = bot.bot_activity(w.group.id)
        token = csrf_of((await other.get("/console"))[1])
        for action in [*DESK_ACTIONS, "made-up"]:
            status, _, _ = await other.post(f"/console/tickets/1/{action}", {"csrf": token, "choice": "1", "text": "x"})
            probes.check(status == 404, f"阳光物业 {action} on #1: {status}")
            status, _, _ = await member.post(f"/console/tickets/1/{action}", {"choice": "1", "text": "x"})
            probes.check(status == 403, f"迅达电梯维保 {action} on #1 without CSRF: {status}")
        await bot.delivered()
        for p in (w.lift, w.keeper, w.grid_worker):
            probes.check(
                bot.bot_activity(bot.private(p).id) == before[p.user.id], f"the bot spoke to {p.user.display_name}"
            )
        probes.check(bot.bot_activity(w.group.id) == group_before, "the card changed")
    print(f"console actions: {probes.count} probes, {len(probes.leaks or [])} leaks")
    assert len(DESK_ACTIONS) >= 9 and not probes.leaks, probes.leaks
