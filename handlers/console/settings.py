"""The console's settings: where its pages are served, how long a login link and an idle session last."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class ConsoleSettings:
    base_url: str
    link_ttl: timedelta
    idle: timedelta


def console_settings(env: Any) -> ConsoleSettings:
    base = env.console_base_url.rstrip("/") or f"http://{env.web_host}:{env.web_port}"
    return ConsoleSettings(
        base_url=base,
        link_ttl=timedelta(minutes=env.console_link_minutes),
        idle=timedelta(minutes=env.console_idle_minutes),
    )
