"""The roles feature: staff grant (授权), list and revoke (身份管理 · 撤销) and hand over (移交) roles from chat."""

from __future__ import annotations

from handlers.core.feature import Command, Feature
from handlers.core.hooks import Listen, RoleGranted
from handlers.roles_admin.granting import grant_command, on_role_granted, on_roles_button, roles_command
from handlers.roles_admin.rules import OFFICE_ROLES, roles_from
from handlers.roles_admin.texts import CATALOGUE

OFFICE = frozenset(OFFICE_ROLES)

FEATURE = Feature(
    name="roles_admin",
    help_topic="admin",
    commands=(
        Command(
            "grant",
            grant_command,
            "cmd.grant",
            aliases=("授权", "授予身份"),
            roles=OFFICE,
            refusal="roles.refused",
            private_only="roles.private_only",
        ),
        Command(
            "roles",
            roles_command,
            "cmd.roles",
            aliases=("身份管理",),
            roles=OFFICE,
            refusal="roles.refused",
            private_only="roles.private_only",
        ),
    ),
    callbacks={"ra": on_roles_button},
    listens=(Listen(RoleGranted, on_role_granted),),
    settings=roles_from,
    texts=CATALOGUE,
)
