"""Pure rules of polls: reading the question and options, the deadline choices."""

from __future__ import annotations

MAX_OPTIONS = 8
DAY_CHOICES = (1, 3, 7)


def parse_poll(text: str) -> tuple[str, list[str]] | None:
    """The first line is the question, each further line an option (2 to 8 of them, each once)."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) < 3:
        return None
    options = list(dict.fromkeys(line[:40] for line in lines[1:]))
    return (lines[0][:200], options) if 2 <= len(options) <= MAX_OPTIONS else None


def next_days(days: int) -> int:
    """The deadline choices go round: 1 → 3 → 7 → 1 days."""
    later = [d for d in DAY_CHOICES if d > days]
    return later[0] if later else DAY_CHOICES[0]
