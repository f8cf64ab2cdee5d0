"""The organisations feature: 物业, 维保单位, utilities, departments and the 街道 with their members; routing of
confirmed tickets to them, 派单 / 接单 / 退单 / 转单 / 挂账, 吹哨报到 and 督办, urgent requests, and 物业评价 (the
satisfaction survey, the monthly score and the 红黑榜)."""

from __future__ import annotations

from handlers.core.feature import Command, Feature, TextStep
from handlers.core.hooks import (
    CardDrawn,
    Listen,
    ReportConfirmed,
    RoleGranted,
    RoleHandedOver,
    SeeingTicket,
    TicketEscalated,
    UrgentReported,
)
from handlers.organisations.buttons import on_org_button, on_reason
from handlers.organisations.desk import DESK_ACTIONS
from handlers.organisations.dispatch import may_see, on_card, suggest, urgent
from handlers.organisations.duty import duty_command, on_duty_button
from handlers.organisations.holds import sweep_holds
from handlers.organisations.ratings import (
    on_board_button,
    on_survey_button,
    ratings_command,
    survey_command,
    sweep_surveys,
)
from handlers.organisations.settings import org_settings
from handlers.organisations.staff import ORG_ADMINS, on_handover, on_invite, org_command, org_tickets
from handlers.organisations.texts import CATALOGUE
from handlers.organisations.whistles import may_see_whistled, sweep_whistles, whistle, whistle_lines
from models.people import Role

FEATURE = Feature(
    name="organisations",
    help_topic="admin",
    commands=(
        Command("org", org_command, "cmd.org", aliases=("单位",), roles=ORG_ADMINS, refusal="org.refused"),
        Command(
            "survey", survey_command, "cmd.survey", aliases=("物业满意度",), roles=ORG_ADMINS, refusal="org.refused"
        ),
        Command(
            "ratings",
            ratings_command,
            "cmd.ratings",
            aliases=("物业评价", "红黑榜"),
            roles=ORG_ADMINS,
            refusal="org.refused",
        ),
        Command(
            "orgtickets",
            org_tickets,
            "cmd.orgtickets",
            aliases=("单位工单",),
            roles=frozenset({Role.ORG_MEMBER}),
            refusal="org.member_refused",
            topic="tickets",
        ),
        Command(
            "duty",
            duty_command,
            "cmd.duty",
            aliases=("值班",),
            roles=frozenset({Role.ORG_MEMBER}),
            refusal="org.duty_refused",
        ),
    ),
    callbacks={"o": on_org_button, "od": on_duty_button, "sq": on_survey_button, "rk": on_board_button},
    text=(TextStep(70, on_reason),),  # a reason asked for by a button, before the assignee's photos and the intake
    sweeps=(sweep_holds, sweep_whistles, sweep_surveys),
    listens=(
        Listen(RoleGranted, on_invite),
        Listen(RoleHandedOver, on_handover),
        Listen(ReportConfirmed, suggest),
        Listen(UrgentReported, urgent),
        Listen(CardDrawn, on_card),
        Listen(CardDrawn, whistle_lines),
        Listen(SeeingTicket, may_see),
        Listen(SeeingTicket, may_see_whistled),
        Listen(TicketEscalated, whistle),
    ),
    desk_actions=DESK_ACTIONS,
    settings=org_settings,
    texts=CATALOGUE,
)
