"""The console feature (社区工作台): the sign-in link by chat; the pages themselves are served by bot/console/."""

from __future__ import annotations

from handlers.console.login import console_command
from handlers.console.ranking import sweep_rankings
from handlers.console.scope import CONSOLE_ROLES
from handlers.console.settings import console_settings
from handlers.console.texts import CATALOGUE
from handlers.core.feature import Command, Feature

FEATURE = Feature(
    name="console",
    help_topic="admin",
    commands=(
        Command(
            "console",
            console_command,
            "cmd.console",
            aliases=("工作台", "社区工作台"),
            roles=frozenset(CONSOLE_ROLES),
            refusal="console.refused",
            private_only="console.private_only",
        ),
    ),
    sweeps=(sweep_rankings,),
    settings=console_settings,
    texts=CATALOGUE,
)
