"""The groups feature: the bot joining and leaving groups, /bind, residents registered by speaking."""

from __future__ import annotations

from handlers.core.feature import Command, Feature
from handlers.core.types import ChatKind
from handlers.groups.binding import BIND_ROLES, bind, bind_chosen, bind_page, rebind_confirmed
from handlers.groups.membership import on_membership, on_moved, register_resident
from handlers.groups.texts import CATALOGUE

FEATURE = Feature(
    name="groups",
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
    ),
    callbacks={"bind": bind_chosen, "bindp": bind_page, "bindc": rebind_confirmed},
    button_chats={"bind": ChatKind.GROUP, "bindp": ChatKind.GROUP, "bindc": ChatKind.GROUP},
    before_message=(register_resident,),
    membership=(on_membership,),
    moved=(on_moved,),
    texts=CATALOGUE,
)
