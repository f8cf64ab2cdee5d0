"""The strict number reader, and a scan that keeps `isdigit()` out of the runtime: it is true for 1² and other
digits int() refuses, so `isdigit()` then `int()` made typed commands, console URLs and a WeCom timestamp raise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handlers.common.numbers import MAX_ID, NumberProblem, numbers_in, parse_id, read_number, read_year_month

ROOT = Path(__file__).resolve().parents[3]
SCANNED = ("bot", "handlers", "models")
READER = Path("handlers/common/numbers.py")  # the one place that may ask isdigit(), after isascii()
LOOSE = re.compile(r"\.is(digit|numeric)\(")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" #12 ", 12),
        ("0", 0),
        ("1²", NumberProblem.NOT_A_NUMBER),
        ("٣", NumberProblem.NOT_A_NUMBER),
        ("", NumberProblem.NOT_A_NUMBER),
        ("-1", NumberProblem.NOT_A_NUMBER),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), NumberProblem.TOO_LARGE),
        ("1" * 400, NumberProblem.TOO_LARGE),
    ],
)
def test_read_number_takes_ascii_digits_up_to_the_largest_id(text: str, expected: int | NumberProblem) -> None:
    assert read_number(text) == expected


def test_a_maximum_caps_a_number_and_an_id_is_above_zero() -> None:
    assert read_number("5", maximum=5) == 5 and read_number("6", maximum=5) is NumberProblem.TOO_LARGE
    assert parse_id("0") is None and parse_id("7") == 7 and parse_id("1²") is None


def test_numbers_in_keeps_the_parts_that_are_numbers_in_order() -> None:
    assert numbers_in(["7", "x", "0", "1²", "1" * 20, "3"]) == [7, 0, 3]


def test_no_runtime_code_reads_a_number_with_isdigit_outside_the_strict_reader() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in SCANNED
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.relative_to(ROOT) != READER
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if LOOSE.search(line)
    ]
    assert found == [], "use read_number / parse_id from handlers/common/numbers.py:\n" + "\n".join(found)


def test_a_year_and_month_are_read_within_the_years_given() -> None:
    assert read_year_month("2026-11", first_year=2000, last_year=2100) == (2026, 11)
    assert read_year_month(" 2026-1 ", first_year=2000, last_year=2100) == (2026, 1)
    for text in ("2026", "2026-13", "2026-0", "1999-05", "2101-01", "2026-1²", "２０２６-11", "2026-11-01"):
        assert read_year_month(text, first_year=2000, last_year=2100) is None, text
