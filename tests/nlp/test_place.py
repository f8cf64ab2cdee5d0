"""Place extraction: buildings, units, floors, flats and named spots as residents write them."""

from __future__ import annotations

import pytest

from nlp.place import Location, extract_place


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3单元电梯坏了", Location(unit="3")),
        ("3号单元门禁刷不开", Location(unit="3")),
        ("三单元的楼道灯不亮", Location(unit="3")),
        ("5楼漏水了", Location(floor="5")),
        ("电梯停在十二楼不动了", Location(floor="12")),
        ("302漏水了", Location(floor="3", room="302")),
        ("1802的每天晚上拍球", Location(floor="18", room="1802")),
        ("东门道闸坏了", Location(spot="东门")),
        ("地库积水了", Location(spot="地库")),
        ("3号楼2单元501天花板渗水", Location(building="3", unit="2", floor="5", room="501")),
        ("3-2-501楼上漏水", Location(building="3", unit="2", floor="5", room="501")),
        ("5-1202家门口堆满了杂物", Location(building="5", floor="12", room="1202")),
        ("5栋1202的空调滴水", Location(building="5", floor="12", room="1202")),
        ("三栋的电梯又坏了", Location(building="3")),
        ("2号楼电梯坏了", Location(building="2")),
        ("2号楼东门的道闸坏了", Location(building="2", spot="东门")),
        ("楼上302天天吵", Location(floor="3", room="302")),  # 天天 is every day, not 302 days
        ("A3栋2单元停电", Location(building="a3", unit="2")),
        ("3#楼门禁坏了", Location(building="3")),
        ("负一楼车库灯不亮", Location(floor="-1", spot="车库")),
        ("B2地库的电梯", Location(floor="-2", spot="地库")),
        ("2单元十楼走廊", Location(unit="2", floor="10")),
        ("3号门的道闸抬不起来", Location(spot="3号门")),
        ("８楼的水管爆了", Location(floor="8")),  # full-width digits
    ],
)
def test_places_as_residents_write_them(text: str, expected: Location) -> None:
    assert extract_place(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "电梯又坏了",
        "楼上天天半夜剁肉",
        "打110报警了",
        "打12345投诉",
        "花了300块修的",
        "2024年的物业费",
        "等了15分钟电梯",
        "落了一层灰",  # 一层 is a layer, not the first floor
        "一座桥塌了",
        "第302期团购",
        "十几楼都没水",
        "三四单元都停水了",  # three or four, not unit 34
        "验证码是8321",  # no door 21 on floor 83
        "500楼?",  # not the fifth floor inside a number
        "105楼",
        "电话13812345678楼上漏水",  # a phone number holds no flat
        "有事打0571-88881234",
        "尾号1203的车占了我的车位",
        "转账1202给物业",
        "物业费收了1202块",
        "¥1202",
        "18:30停水",
        "等了302天",
    ],
)
def test_texts_without_a_place_give_none(text: str | None) -> None:
    assert extract_place(text) is None


@pytest.mark.parametrize(
    ("place", "label"),
    [
        (Location(building="3", unit="2", floor="5", room="501"), "3号楼2单元501"),
        (Location(unit="3", floor="5"), "3单元5楼"),
        (Location(floor="-1", spot="车库"), "负1楼车库"),
        (Location(building="a3"), "A3号楼"),
        (Location(spot="东门"), "东门"),
    ],
)
def test_label_is_the_usual_written_form(place: Location, label: str) -> None:
    assert place.label == label


def test_the_first_mention_of_each_part_wins() -> None:
    assert extract_place("从3楼到8楼全是黑的") == Location(floor="3")
