"""Intake's pure helpers: the place inside the building a message names, and whether two reports are one problem."""

from __future__ import annotations

import pytest

from handlers.tickets.intake import similar
from handlers.tickets.service import location_in
from models.places import Place, PlaceKind
from nlp import Classification


@pytest.mark.parametrize(
    ("text", "location"),
    [
        ("3单元电梯坏了", "3单元"),
        ("03 单元门禁", "3单元"),
        ("二十三单元漏水", "23单元"),
        ("3号楼2单元501天花板渗水", "2单元501"),  # 3号楼 is the building the ticket is about
        ("3栋的电梯又坏了", None),
        ("5号楼东门的道闸坏了", "5号楼东门"),  # another building is kept
        ("地库积水了", "地库"),
        ("电梯坏了", None),
    ],
)
def test_the_location_is_the_place_inside_the_building(text: str, location: str | None) -> None:
    assert location_in(Place(kind=PlaceKind.BUILDING, name="3号楼", code="c/g/3", path="/1/2/3/"), text) == location


OBJECTS = frozenset({"电梯", "垃圾"})


def verdict(*terms: str) -> Classification:
    return Classification("repair", 0.9, terms)


def test_the_same_object_named_makes_two_reports_the_same_problem() -> None:
    assert similar(OBJECTS, verdict("电梯", "坏"), "3单元电梯坏了", verdict("电梯"), "电梯又停了，困了一个人")


def test_a_shared_word_that_is_no_object_is_not_enough_but_close_wording_is() -> None:
    assert not similar(OBJECTS, verdict("坏"), "楼道灯坏了", verdict("坏"), "门禁坏了好几天，进不去")
    assert similar(frozenset(), verdict(), "2单元楼道灯坏了", verdict(), "2单元楼道灯坏了！")
