"""「我住在…」 is told apart from a report that happens to start with it."""

from __future__ import annotations

import pytest

from handlers.groups.residency import LIVE_IN

SAID = [
    ("我住在2号楼", "2号楼"),
    ("我住在 1号楼3单元。", "1号楼3单元"),
    ("我家在：5号楼", "5号楼"),
    ("我住在阳光社区2号楼", "阳光社区2号楼"),
]
NOT_SAID = ["我住在3号楼，楼道灯坏了", "我住在2号楼 电梯又坏了", "我住院了", "楼上说我住在这里太吵"]


@pytest.mark.parametrize(("text", "where"), SAID)
def test_a_short_i_live_in_names_the_place(text: str, where: str) -> None:
    found = LIVE_IN.match(text)
    assert found is not None and found.group("where") == where


@pytest.mark.parametrize("text", NOT_SAID)
def test_a_report_or_chatter_is_not_taken_for_it(text: str) -> None:
    assert LIVE_IN.match(text) is None
