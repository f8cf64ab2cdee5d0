"""The polls feature: 投票 in chosen groups and the 需求清单."""

from __future__ import annotations

from handlers.common.scopes import PUBLISHERS
from handlers.core.feature import Command, Feature
from handlers.polls import needs, polls
from handlers.polls.texts import CATALOGUE
from models.people import Role

FEATURE = Feature(
    name="polls",
    help_topic="notices",
    commands=(
        Command(
            "poll",
            polls.poll_command,
            "cmd.poll",
            aliases=("投票", "发起投票", "问卷"),
            roles=frozenset(PUBLISHERS),
            refusal="poll.refused",
            private_only="poll.private_only",
        ),
        Command("need", needs.need_command, "cmd.need", aliases=("需求",)),
        Command(
            "needs",
            needs.needs_list,
            "cmd.needs",
            aliases=("需求清单",),
            roles=frozenset({Role.STAFF, Role.ADMIN}),
            refusal="need.staff_only",
            private_only="poll.private_only",
        ),
    ),
    callbacks={"pl": polls.on_poll_button, "pls": polls.on_scope_button, "nd": needs.on_need_button},
    sweeps=(polls.sweep_polls,),
    texts=CATALOGUE,
)
