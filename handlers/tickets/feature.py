"""The tickets feature: requests from chat to a confirmed, escalated, fixed and verified ticket."""

from __future__ import annotations

from handlers.core.feature import Command, Feature, TextStep
from handlers.core.hooks import Listen, RoleHandedOver
from handlers.core.types import ChatKind
from handlers.tickets.commands import ticket_detail, tickets, tickets_page
from handlers.tickets.desk import DESK_ACTIONS
from handlers.tickets.extensions import LISTENS
from handlers.tickets.handover import move_open_tickets
from handlers.tickets.intake import on_chat_message, on_offer, report_command
from handlers.tickets.lifecycle import on_assignee_photo, on_ticket_button
from handlers.tickets.private import on_building_picked, on_private_request
from handlers.tickets.rules import sla_from
from handlers.tickets.texts import CATALOGUE
from handlers.tickets.timers import sweep

FEATURE = Feature(
    name="tickets",
    help_topic="tickets",
    commands=(
        Command("report", report_command, "cmd.report", aliases=("报修", "投诉", "随手拍"), topic="everyday"),
        Command("tickets", tickets, "cmd.tickets", aliases=("我的报修", "工单")),
        Command("ticket", ticket_detail, "cmd.ticket", aliases=("工单详情",)),
    ),
    callbacks={"t": on_ticket_button, "i": on_offer, "tl": tickets_page, "ip": on_building_picked},
    button_chats={"ip": ChatKind.PRIVATE},
    text=(
        TextStep(80, on_assignee_photo),  # a photo the assignee sends privately, before the passive intake
        TextStep(85, on_private_request),  # a request written privately, after every private step waiting for one
        TextStep(90, on_chat_message),  # last of all: group chatter that may be a request
    ),
    sweeps=(sweep,),
    listens=(*LISTENS, Listen(RoleHandedOver, move_open_tickets)),
    settings=sla_from,
    desk_actions=DESK_ACTIONS,
    texts=CATALOGUE,
)
