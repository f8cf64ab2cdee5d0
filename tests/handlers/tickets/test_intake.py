"""Intake's pure helpers: which unit a message names, and whether two reports are the same problem."""

from __future__ import annotations

import pytest

from handlers.tickets.intake import similar
from handlers.tickets.rules import unit_of
from nlp import Classification


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("3单元电梯坏了", "3"),
        ("03 单元门禁", "3"),
        ("12单元楼道灯", "12"),
        ("三单元漏水", "3"),
        ("十单元", "10"),
        ("十二单元", "12"),
        ("二十单元", "20"),
        ("二十三单元", "23"),
        ("三四单元", None),  # two digits without 十 is no number people write
        ("电梯坏了", None),
    ],
)
def test_unit_of_reads_arabic_and_chinese_numbers(text: str, unit: str | None) -> None:
    assert unit_of(text) == unit


OBJECTS = frozenset({"电梯", "垃圾"})


def verdict(*terms: str) -> Classification:
    return Classification("repair", 0.9, terms)


def test_the_same_object_named_makes_two_reports_the_same_problem() -> None:
    assert similar(OBJECTS, verdict("电梯", "坏"), "3单元电梯坏了", verdict("电梯"), "电梯又停了，困了一个人")


def test_a_shared_word_that_is_no_object_is_not_enough_but_close_wording_is() -> None:
    assert not similar(OBJECTS, verdict("坏"), "楼道灯坏了", verdict("坏"), "门禁坏了好几天，进不去")
    assert similar(frozenset(), verdict(), "2单元楼道灯坏了", verdict(), "2单元楼道灯坏了！")
