"""The pure rules of the volunteer force: skills and the words that call for them, when a request is for, what of
a request is private, and the feature's settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

SKILL_WORDS: dict[str, tuple[str, ...]] = {
    "repair": ("修", "坏", "换灯", "漏水", "疏通"),
    "medical": ("医院", "看病", "陪诊", "买药", "量血压", "打针"),
    "legal": ("法律", "合同", "纠纷", "咨询律师"),
    "company": ("陪伴", "聊天", "陪我", "看望", "独居"),
    "errand": ("买菜", "跑腿", "取快递", "代买", "缴费", "交费", "水费", "电费", "送"),
    "haircut": ("理发", "剪发", "剪头"),
}
SKILLS = tuple(SKILL_WORDS)
WHEN = ("asap", "today", "tomorrow", "week")
PHONE = re.compile(r"(?:联系电话|联系方式|电话|手机)?\s*[:：]?\s*(1[3-9]\d{9})")
REPEATED_COMMAS = re.compile(r"[，,]\s*(?:[，,]\s*)+")
DOOR = re.compile(r"\d+\s*(?:号楼|栋)?\s*\d*\s*单元\s*\d+\s*(?:室|号)?|\d{3,4}\s*室")
MAX_TEXT = 300


@dataclass(frozen=True)
class VolunteerConfig:
    escalate_after: timedelta = timedelta(hours=4)
    auto_confirm_after: timedelta = timedelta(hours=48)


def volunteer_settings(env: Any) -> VolunteerConfig:
    return VolunteerConfig(
        escalate_after=timedelta(hours=env.help_escalate_hours),
        auto_confirm_after=timedelta(hours=env.help_auto_confirm_hours),
    )


def skill_for(text: str) -> str:
    """The skill a request calls for, by the first skill whose words it contains ("" when none does)."""
    return next((skill for skill, words in SKILL_WORDS.items() if any(w in text for w in words)), "")


@dataclass(frozen=True)
class SplitRequest:
    public: str
    contact: str


def split_contact(text: str) -> SplitRequest:
    """Take the phone number and the door (3单元302) out of what everyone sees; they go only to the volunteer."""
    found = [m.group(0) for m in DOOR.finditer(text)] + PHONE.findall(text)
    public = REPEATED_COMMAS.sub("，", DOOR.sub("", PHONE.sub("", text)))
    public = " ".join(public.split()).strip(" ，,。")
    return SplitRequest(public[:MAX_TEXT], " ".join(" ".join(found).split())[:100])


def toggled(chosen: list[str], skill: str) -> list[str]:
    """The chosen skills with `skill` added or removed, in the catalogue's order."""
    wanted = set(chosen) ^ {skill}
    return [s for s in SKILLS if s in wanted]
