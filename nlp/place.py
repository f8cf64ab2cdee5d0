"""Where a message says the problem is: 3号楼2单元501, 3单元, 5楼, 302, 东门, 地库.

``extract_place`` is pure and cheap (a few regular-expression scans over at most 300 characters);
the classifier calls it for requests only. It reads normalised or raw text alike (full-width
digits are folded here too). Chinese numerals (三单元, 十二楼, 负一楼) are read with cn2an,
imported the first time a message needs it (about 0.3 s, once per process).

Conventions of building chats: N号楼 / N栋 / N幢 / N座 is a building, N单元 a unit, N楼 / N层 /
NF a floor (5楼漏水 is the fifth floor), B1 / 负一楼 a basement floor, and a three- or
four-digit number that reads as floor + door (302, 1501) a flat, as in 3-2-501 (building-unit-flat)
or 5-1202 (building-flat). 110 / 119 / 120 / 12345 and numbers with a unit after them (300块,
2024年, 15分钟) are not flats.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

_CHINESE_DIGITS: Final = "零〇一二两三四五六七八九十"
_NUMBER: Final = rf"(?:\d{{1,3}}|[{_CHINESE_DIGITS}]{{1,4}})"

_DIGIT: Final = re.compile(r"\d")
_BUILDING_MARKER: Final = re.compile("[楼栋幢座院#]")
_BUILDING: Final = re.compile(
    rf"(?<![\da-z])(?:([a-z]?\d{{1,3}})\s*(?:号楼|号栋|栋|幢|座|号院|#楼?)|([{_CHINESE_DIGITS}]{{1,4}})(?:号楼|栋|幢))"
)
"""Chinese numerals take no 座: 一座桥 is no building."""
_UNIT: Final = re.compile(rf"({_NUMBER})\s*号?单元")
_FLOOR: Final = re.compile(rf"(负|-)?(?:(?<!\d)(\d{{1,2}})\s*(?:楼|层|f)|([{_CHINESE_DIGITS}]{{1,3}})楼)(?![盘房主梯])")
"""Chinese numerals take 楼 only: 一层 is usually 一层灰 (a layer of dust), not a floor."""
_BASEMENT: Final = re.compile(r"(?<![a-z])b([1-5])(?![0-9a-z])")
_DASHED: Final = re.compile(r"(?<![\d.\-])(\d{1,2})-(?:(\d{1,2})-)?(\d{3,4})(?![\d\-])")
_ROOM_AFTER_MARKER: Final = re.compile(r"(?:单元|号楼|栋|幢|座)\s*(\d{3,4})(?!\d)")
_BARE_NUMBER: Final = re.compile(r"(?<![\d.:/\-#a-z])(\d{3,4})(?![\d.:/%\-a-z])")
_NOT_A_ROOM_AFTER: Final = re.compile(
    r"\s*(?:年|月|日|号|元|块|米|分|秒|点|个|人|次|斤|平|路|层|楼|万|千|百|天(?!天)|小时|岁|度|毫|公|里|g|m|w|k|栋|幢|座|单元)"
)
"""What makes a number no flat: 300块, 2024年, 15分钟, 302天 (but 302天天吵 is the flat 302 every day)."""
_NOT_A_ROOM_BEFORE: Final = (
    "打", "拨", "第", "¥", "$", "花", "交", "付", "赔", "罚", "转账", "收了", "电话", "号码", "尾号", "热线", "约",
)  # fmt: skip
"""Words before a number that make it money, a phone number or a count: 转账1202, 尾号1203 (a phone or a plate)."""
_SERVICE_NUMBERS: Final = frozenset({"110", "112", "114", "119", "120", "122", "12345", "95598"})

SPOTS: Final = (
    "东门", "西门", "南门", "北门", "正门", "大门", "后门", "侧门", "东大门", "西大门", "南大门", "北大门",
    "东南门", "东北门", "西南门", "西北门", "地库", "地下车库", "车库", "停车场", "地下停车场", "地面停车场",
    "地下室", "楼顶", "天台", "屋顶", "顶楼", "大堂", "大厅", "门厅", "电梯厅", "架空层", "广场", "中心广场",
    "花园", "小花园", "儿童乐园", "游乐场", "健身区", "篮球场", "门岗", "保安亭", "门卫室", "垃圾站", "垃圾房",
    "车棚", "自行车棚", "电动车棚", "消防通道",
)  # fmt: skip
"""Named places of an estate, found as written (the longest at the earliest position)."""
_SPOT_CHARACTER: Final = re.compile("[" + "".join(sorted({spot[-1] for spot in SPOTS})) + "门]")
"""The last characters of the spots: a cheap scan before the alternation of all of them."""
_SPOT: Final = re.compile("|".join(sorted(map(re.escape, SPOTS), key=len, reverse=True)) + r"|\d{1,2}号门")


@dataclass(frozen=True, slots=True)
class Location:
    """A place named in a message; every part is optional and kept as written, digits as digits."""

    building: str | None = None  # "3" (3号楼, 三栋, 3#), "a3" (A3栋)
    unit: str | None = None  # "2" (2单元, 二单元, 2号单元)
    floor: str | None = None  # "5" (5楼, 5层, 五楼), "-1" (负一楼, B1); from a flat when not given
    room: str | None = None  # "501" (501, 501室, 3-2-501)
    spot: str | None = None  # 东门, 地库, 楼顶, 3号门 ...

    @property
    def label(self) -> str:
        """The place in the usual written form: 3号楼2单元501, 3单元5楼, 地库, 东门."""
        parts = []
        if self.building:
            parts.append(f"{self.building.upper()}号楼")
        if self.unit:
            parts.append(f"{self.unit}单元")
        if self.room:
            parts.append(self.room)
        elif self.floor:
            parts.append(f"负{self.floor[1:]}楼" if self.floor.startswith("-") else f"{self.floor}楼")
        if self.spot:
            parts.append(self.spot)
        return "".join(parts)


def extract_place(text: str | None) -> Location | None:
    """The building, unit, floor, flat and named spot a message mentions, or None if it names none."""
    if not text:
        return None
    return place_in(unicodedata.normalize("NFKC", text[:1200]).lower())


def place_in(text: str) -> Location | None:
    """``extract_place`` of text already NFKC-normalised and lower-cased (what the classifier holds).

    Each search runs only when the words it needs occur (most requests name no place).
    """
    building = unit = floor = room = None
    digits = _DIGIT.search(text) is not None
    if digits and "-" in text and (dashed := _DASHED.search(text)):
        building, unit, room = dashed.group(1), dashed.group(2), dashed.group(3)
    markers = _BUILDING_MARKER.search(text) is not None
    if building is None and markers and (match := _BUILDING.search(text)):
        building = _number(match.group(1) or match.group(2))
    if unit is None and "单元" in text and (match := _UNIT.search(text)):
        unit = _number(match.group(1))
    if ("楼" in text or "层" in text or (digits and "f" in text)) and (match := _FLOOR.search(text)):
        value = _number(match.group(2) or match.group(3))
        floor = f"-{value}" if match.group(1) and value else value
    elif digits and "b" in text and (match := _BASEMENT.search(text)):
        floor = f"-{match.group(1)}"
    if room is None and digits:
        room = _room(text, markers or "单元" in text)
    if floor is None and room is not None:
        floor = str(int(room[:-2]))
    spot_match = _SPOT.search(text) if _SPOT_CHARACTER.search(text) else None
    spot = spot_match.group() if spot_match else None
    if not (building or unit or floor or room or spot):
        return None
    return Location(building=building, unit=unit, floor=floor, room=room, spot=spot)


def _room(text: str, markers: bool) -> str | None:
    """The first number that reads as a flat: after a building or unit, or on its own as floor + door."""
    if markers and (match := _ROOM_AFTER_MARKER.search(text)):
        return match.group(1) if _plausible_room(match.group(1)) else None
    for match in _BARE_NUMBER.finditer(text):
        number = match.group(1)
        if (
            number not in _SERVICE_NUMBERS
            and _plausible_room(number)
            and not _NOT_A_ROOM_AFTER.match(text, match.end())
            and not text[: match.start()].endswith(_NOT_A_ROOM_BEFORE)
        ):
            return number
    return None


def _plausible_room(number: str) -> bool:
    """Floor 1-60 followed by a door number 01-40: 302, 1501 yes; 100, 2024, 999 no."""
    floor, door = int(number[:-2]), int(number[-2:])
    return 1 <= floor <= 60 and 1 <= door <= 40


@functools.lru_cache(maxsize=512)  # a handful of numerals recur; cn2an takes ~50 us each time
def _number(written: str) -> str | None:
    """3 → "3", 三 → "3", 十二 → "12", a3 → "a3"; None for what is no number (十几, 三四: "three or four")."""
    if written[-1].isdigit():
        return written if written[0].isalpha() else str(int(written))
    if len(written) > 1 and not any(tens in written for tens in "十百"):
        return None
    import cn2an  # deferred: importing it costs ~0.3 s, and most messages have Arabic digits

    try:
        return str(int(cn2an.cn2an(written, "smart")))
    except (ValueError, KeyError):
        return None
