"""The households feature (户 and 星级文明户)."""

from __future__ import annotations

from handlers.core.feature import Command, Feature
from handlers.households.homes import door_command, home_stars, join_command, my_home
from handlers.households.rules import households_from
from handlers.households.texts import CATALOGUE
from models.people import Role

FEATURE = Feature(
    name="households",
    help_topic="account",
    commands=(
        Command("door", door_command, "cmd.door", aliases=("门牌", "登记户"), private_only="home.private_only"),
        Command("joinhome", join_command, "cmd.joinhome", aliases=("加入户",), private_only="home.private_only"),
        Command("home", my_home, "cmd.home", aliases=("我的户", "我家")),
        Command(
            "homestars",
            home_stars,
            "cmd.homestars",
            aliases=("文明户", "星级文明户导出"),
            roles=frozenset({Role.STAFF, Role.ADMIN}),
            refusal="home.staff_only",
            private_only="home.private_only",
        ),
    ),
    settings=households_from,
    texts=CATALOGUE,
)
