"""The events feature: 活动 published to groups, 报名 with a waiting list, reminders, 签到, and /events with the
organisers' tools (attendance, export, moving and cancelling)."""

from __future__ import annotations

from handlers.common.scopes import PUBLISHERS
from handlers.core.feature import Command, Feature, TextStep
from handlers.core.hooks import AwaitingAnswer, Listen
from handlers.core.types import ChatKind
from handlers.events import manage, wizard
from handlers.events.signups import check_in, on_rsvp
from handlers.events.texts import CATALOGUE
from handlers.events.timers import sweep_events

FEATURE = Feature(
    name="events",
    help_topic="notices",
    commands=(
        Command(
            "event",
            wizard.new_event,
            "cmd.event",
            aliases=("活动", "发活动"),
            roles=frozenset(PUBLISHERS),
            refusal="event.refused",
            private_only="event.private_only",
        ),
        Command("checkin", check_in, "cmd.checkin", aliases=("签到",)),
        Command("events", manage.list_events, "cmd.events", aliases=("近期活动", "活动列表", "有什么活动")),
    ),
    callbacks={"ev": on_rsvp, "evs": wizard.on_scope_button, "evm": manage.on_manage_button},
    button_chats={"evs": ChatKind.PRIVATE},
    text=(
        TextStep(20, manage.on_private_text),  # an organiser's answer to 改时间 / 改地点
        TextStep(30, wizard.on_private_text),  # the author's next answer in the event wizard
    ),
    sweeps=(sweep_events,),
    listens=(Listen(AwaitingAnswer, wizard.writing_an_event),),
    settings=wizard.event_settings,
    texts=CATALOGUE,
)
