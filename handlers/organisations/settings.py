"""The organisations feature's settings, from the runtime's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class OrgSettings:
    """How long a member's invite link stays valid; how long a whistled organisation has to report in (报到)."""

    invite_ttl: timedelta = timedelta(hours=72)
    report_in: timedelta = timedelta(hours=2)


def org_settings(env: Any) -> OrgSettings:
    return OrgSettings(invite_ttl=timedelta(hours=env.invite_ttl_hours), report_in=timedelta(hours=env.report_in_hours))
