"""What an award command says: the amount then the reason, in the forms people type."""

from __future__ import annotations

import pytest

from handlers.passbook.rules import MAX_REASON, AwardArgs, parse_award


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("10 扫雪", AwardArgs(10, "扫雪")),
        ("10分 扫雪", AwardArgs(10, "扫雪")),
        ("+10，扫雪", AwardArgs(10, "扫雪")),
        ("＋１０：帮邻居  搬家", AwardArgs(10, "帮邻居 搬家")),  # full-width signs and digits, spaces folded
        ("10", None),
        ("扫雪", None),
        ("0 扫雪", None),
        ("-5 扫雪", None),
    ],
)
def test_parse_award(text: str, parsed: AwardArgs | None) -> None:
    assert parse_award(text) == parsed


def test_a_long_reason_is_cut_to_what_the_ledger_keeps() -> None:
    parsed = parse_award("5 " + "很" * 100)
    assert parsed is not None and len(parsed.reason) == MAX_REASON
