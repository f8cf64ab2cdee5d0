"""The groups feature: the bot joining and leaving groups, /bind, which building a person belongs to."""

from __future__ import annotations

from handlers.core.feature import Command, Feature, TextStep
from handlers.core.types import ChatKind
from handlers.groups.binding import BIND_ROLES, bind, bind_chosen, bind_page, rebind_confirmed
from handlers.groups.membership import on_membership, on_moved
from handlers.groups.residency import live_in_command, on_live_in_words, on_residency_button, register_resident
from handlers.groups.texts import CATALOGUE

FEATURE = Feature(
    name="groups",
    help_topic="admin",
    commands=(
        Command(
            "bind",
            bind,
            "cmd.bind",
            aliases=("绑定", "绑定楼栋"),
            roles=frozenset(BIND_ROLES),
            refusal="bind.refused",
            group_only="bind.only_group",
        ),
        Command("livein", live_in_command, "cmd.livein", private_only="residency.only_private", topic="account"),
    ),
    callbacks={"bind": bind_chosen, "bindp": bind_page, "bindc": rebind_confirmed, "res": on_residency_button},
    button_chats={"bind": ChatKind.GROUP, "bindp": ChatKind.GROUP, "bindc": ChatKind.GROUP, "res": ChatKind.PRIVATE},
    text=(
        TextStep(60, on_live_in_words),
    ),  # 「我住在…」 privately: after the wizards waiting for an answer, before the intake
    before_message=(register_resident,),
    membership=(on_membership,),
    moved=(on_moved,),
    texts=CATALOGUE,
)
