"""The households' settings and pure rules: what a 门牌 looks like, the star levels."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

DOOR = re.compile(r"^(\d{1,3}(单元|栋|号楼))*\d{2,4}(室|号)?$")


@dataclass(frozen=True)
class HouseholdConfig:
    stars: tuple[int, ...] = (50, 150, 300, 600, 1000)


def households_from(env: Any) -> HouseholdConfig:
    return HouseholdConfig(stars=env.star_thresholds)


def normal_door(text: str) -> str | None:
    """`3单元 302` / `３单元３０２` → 3单元302; None if it does not look like a door."""
    door = "".join(unicodedata.normalize("NFKC", text).split())
    return door if door and len(door) <= 24 and DOOR.match(door) else None


def star_level(points: int, thresholds: tuple[int, ...]) -> int:
    return sum(points >= t for t in thresholds)


def stars_text(level: int) -> str:
    return "★" * level if level else "☆"
