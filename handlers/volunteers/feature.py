"""The volunteer force: 报到 (volunteers and 在职党员), 志愿服务队, and 点单 → 派单 → 接单 with its timer."""

from __future__ import annotations

from handlers.core.feature import Command, Feature, TextStep
from handlers.volunteers import enlist, orders, teams
from handlers.volunteers.rules import volunteer_settings
from handlers.volunteers.texts import CATALOGUE
from models.people import Role

OFFICE = frozenset({Role.STAFF, Role.ADMIN})

FEATURE = Feature(
    name="volunteers",
    help_topic="volunteers",
    commands=(
        Command(
            "enlist", enlist.enlist_volunteer, "cmd.enlist", aliases=("志愿者报到",), private_only="enlist.private_only"
        ),
        Command(
            "partyenlist",
            enlist.enlist_party_member,
            "cmd.partyenlist",
            aliases=("党员报到",),
            private_only="enlist.private_only",
        ),
        Command("teams", teams.list_teams, "cmd.teams", aliases=("服务队", "志愿服务队")),
        Command(
            "newteam", teams.new_team, "cmd.newteam", aliases=("新建服务队",), roles=OFFICE, refusal="team.staff_only"
        ),
        Command(
            "teamgroup",
            teams.bind_team_group,
            "cmd.teamgroup",
            aliases=("绑定服务队",),
            roles=OFFICE,
            refusal="team.staff_only",
        ),
        Command("ask", orders.ask_command, "cmd.ask", aliases=("点单", "求助")),
        Command(
            "dispatch",
            orders.dispatch_command,
            "cmd.dispatch",
            aliases=("派单",),
            roles=OFFICE,
            refusal="order.staff_only",
        ),
        Command("orders", orders.open_orders, "cmd.orders", aliases=("待接单", "接单")),
        Command("order", orders.order_detail, "cmd.order", aliases=("点单详情",)),
    ),
    callbacks={"vo": enlist.on_enlist_button, "vt": teams.on_team_button, "hr": orders.on_help_button},
    text=(TextStep(57, enlist.on_availability),),  # the typed availability of a 报到
    sweeps=(orders.sweep_help,),
    settings=volunteer_settings,
    texts=CATALOGUE,
)
