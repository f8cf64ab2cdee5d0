"""Numbers people type or buttons carry, read strictly: ASCII digits only (never ``int()`` after ``isdigit()``,
which accepts ² and other digits ``int`` refuses), and no larger than the columns that hold them."""

from __future__ import annotations

from enum import StrEnum

MAX_ID = 2**31 - 1  # the largest id or count a table holds (PostgreSQL integer)


class NumberProblem(StrEnum):
    NOT_A_NUMBER = "not_a_number"
    TOO_LARGE = "too_large"


def read_number(text: str, *, maximum: int = MAX_ID) -> int | NumberProblem:
    """The non-negative whole number `text` spells in ASCII digits, or what is wrong with it."""
    cleaned = text.strip().lstrip("#＃")
    if not cleaned or not cleaned.isascii() or not cleaned.isdigit():
        return NumberProblem.NOT_A_NUMBER
    if len(cleaned) > len(str(maximum)) or int(cleaned) > maximum:
        return NumberProblem.TOO_LARGE
    return int(cleaned)


def parse_id(text: str) -> int | None:
    """An id in a button's data or a typed number: None for anything that cannot name a row."""
    number = read_number(text)
    return number if isinstance(number, int) and number > 0 else None


def numbers_in(parts: list[str]) -> list[int]:
    """The parts of a button's data that are numbers, in order, as ints (the other parts are left out)."""
    return [number for number in map(read_number, parts) if isinstance(number, int)]


def read_year_month(text: str, *, first_year: int, last_year: int) -> tuple[int, int] | None:
    """(2026, 11) for "2026-11" with the year in first_year..last_year; None for anything else."""
    year, _, month = text.strip().partition("-")
    year_number, month_number = read_number(year, maximum=last_year), read_number(month, maximum=12)
    if isinstance(year_number, int) and isinstance(month_number, int):
        return (year_number, month_number) if year_number >= first_year and month_number >= 1 else None
    return None
