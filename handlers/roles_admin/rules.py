"""What roles may be given from chat, the words staff type for them, and the feature's settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from models.people import Role

OFFICE_ROLES = (Role.STAFF, Role.ADMIN)
GRANTABLE: tuple[Role, ...] = (Role.BUILDING_HEAD, Role.GRID_WORKER, Role.VOLUNTEER)
"""The roles staff give from chat (staff themselves are still invited from the command line)."""
LISTED: tuple[Role, ...] = (*GRANTABLE, Role.ORG_MEMBER)
"""The roles 身份管理 lists with 撤销 and 移交 (organisation members are invited by `/org invite`)."""
ROLE_WORDS: dict[str, Role] = {
    "楼栋长": Role.BUILDING_HEAD,
    "楼长": Role.BUILDING_HEAD,
    "网格员": Role.GRID_WORKER,
    "志愿者": Role.VOLUNTEER,
    **{str(role): role for role in GRANTABLE},
}
PAGE = 8


@dataclass(frozen=True)
class RolesConfig:
    invite_ttl: timedelta = timedelta(hours=72)


def roles_from(env: Any) -> RolesConfig:
    return RolesConfig(invite_ttl=timedelta(hours=env.invite_ttl_hours))


def parse_grant(text: str) -> tuple[Role, str] | None:
    """`楼栋长 1号楼` → (building head, "1号楼"); the place may be empty (a role given on the whole community)."""
    words = text.split(maxsplit=1)
    if not words or words[0] not in ROLE_WORDS:
        return None
    return ROLE_WORDS[words[0]], (words[1].strip() if len(words) > 1 else "")
