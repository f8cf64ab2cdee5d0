"""Typed choices on platforms without buttons: the lines shown, the code typed back, the button it presses."""

from __future__ import annotations

import pytest

from handlers.common.choices import chosen_data, parse_choice, with_choices
from models.payloads import StoredButton

BUTTONS = (
    (StoredButton("✅ 确认", "t:confirm:1"), StoredButton("不是问题", "t:reject:1")),
    (StoredButton("说明", url="https://example.invalid/a"),),
)


@pytest.mark.parametrize(
    ("text", "choice"),
    [("12-1", (12, 1)), (" 12 - 3 ", (12, 3)), ("7-12", (7, 12)), ("12-100", None), ("12-1 好", None), ("好", None)],
)
def test_parse_choice(text: str, choice: tuple[int, int] | None) -> None:
    assert parse_choice(text) == choice


def test_buttons_are_numbered_in_reading_order_and_links_are_shown_as_addresses() -> None:
    shown = with_choices("zh", "工单 #1", "12", BUTTONS)
    assert shown.startswith("工单 #1\n\n") and "12-1  ✅ 确认" in shown and "12-2  不是问题" in shown
    assert "说明：https://example.invalid/a" in shown
    assert with_choices("zh", "没有按钮", "12", ()) == "没有按钮"
    assert [chosen_data(BUTTONS, n) for n in (1, 2, 3, 0)] == ["t:confirm:1", "t:reject:1", None, None]
