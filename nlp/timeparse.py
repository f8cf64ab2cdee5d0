"""Read the times people type (明天下午3点, 周六上午9点, 11月30日 9:00, 2026-11-30 09:00) — pure, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar

DateLike = TypeVar("DateLike", date, datetime)

WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
CN_NUMBERS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
RELATIVE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2}
AFTERNOON = ("下午", "晚上", "傍晚", "今晚")
ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*(.*)$")
MONTH_DAY = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]?\s*(.*)$")
MONTHLY = re.compile(r"^每(?:个)?月(\d{1,2}|[一二三四五六七八九十]{1,3})[日号]\s*(.*)$")
WEEKDAY = re.compile(r"^(每)?(?:下)?(?:周|星期|礼拜)([一二三四五六日天])\s*(.*)$")
NEXT_WEEK = re.compile(r"^下(?:周|星期|礼拜)")
CLOCK = re.compile(
    r"^(早上|上午|中午|下午|晚上|傍晚|今晚)?\s*(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:[:：](\d{2})|点(?:(半)|(\d{1,2})分?)?)\s*$"
)


RANGE = re.compile(r"\s*(?:到|至|-|–|—|~|～)\s*")


@dataclass(frozen=True)
class ParsedTime:
    """A local date-time; `repeat` is "weekly" for 每周X and "monthly" for 每月N日 (a series starting then);
    `ends` when a range was typed (周六上午9点到11点, 9:00-11:30)."""

    at: datetime
    repeat: str = "once"
    ends: datetime | None = None


class TimeParseError(ValueError):
    """The text is not a time this parser reads."""


def cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (CN_NUMBERS.get(tens, 1) if tens else 1) * 10 + (CN_NUMBERS.get(ones, 0) if ones else 0)
    if text in CN_NUMBERS:
        return CN_NUMBERS[text]
    raise TimeParseError(text)


def parse_clock(text: str) -> time:
    """9:00, 9点, 下午3点, 晚上7点半, 十点 → a time of day."""
    match = CLOCK.match(text.strip())
    if match is None:
        raise TimeParseError(text)
    period, hour_text, minute_text, half, minute_cn = match.groups()
    hour = cn_number(hour_text)
    minute = 30 if half else int(minute_text or minute_cn or 0)
    if period in AFTERNOON and hour < 12:
        hour += 12
    if period == "中午" and hour < 11:
        hour += 12
    if hour > 23 or minute > 59:
        raise TimeParseError(text)
    return time(hour, minute)


def parse_time(text: str, *, now: datetime) -> ParsedTime:
    """A local time for `text`, relative to `now` (a naive or aware local datetime; the result matches it).

    A weekday or a day of every month names the next one to come: 「周六 9:00」 typed on a Saturday at 10:00 is
    next Saturday, 「每月5日 9:00」 typed on the 5th at noon starts next month. An explicit date or 今天/明天 is
    taken as written (a time already past is the caller's to refuse)."""
    cleaned = " ".join(text.replace("：", ":").split())
    if not cleaned:
        raise TimeParseError("empty")
    tz = now.tzinfo
    day, rest, repeat = parse_day(cleaned, now.date())
    start_text, *end_text = RANGE.split(rest, maxsplit=1)
    clock = parse_clock(start_text) if start_text else time(9, 0)
    at = datetime.combine(day, clock, tzinfo=tz)
    if at <= now and (repeat == "monthly" or WEEKDAY.match(cleaned)):
        at = add_months(at, 1) if repeat == "monthly" else at + timedelta(weeks=1)
    return ParsedTime(at, repeat, end_of(at, end_text[0]) if end_text else None)


def end_of(start: datetime, text: str) -> datetime:
    """The end typed after a start (11点, 11:30, 下午5点) on the start's day: 「下午3点到5点」 ends at 17:00; an end
    not after the start is refused."""
    clock = parse_clock(text)
    ends = datetime.combine(start.date(), clock, tzinfo=start.tzinfo)
    if ends <= start and clock.hour < 12 and (ends + timedelta(hours=12)) > start:
        ends += timedelta(hours=12)
    if ends <= start:
        raise TimeParseError(f"ends {text} before it starts")
    return ends


def parse_day(text: str, today: date) -> tuple[date, str, str]:
    """The date part, what is left of the text (the time of day) and how it repeats."""
    if match := ISO.match(text):
        year, month, day, rest = match.groups()
        return safe_date(int(year), int(month), int(day)), rest, "once"
    if match := MONTH_DAY.match(text):
        year, month, day, rest = match.groups()
        candidate = safe_date(int(year) if year else today.year, int(month), int(day))
        if not year and candidate < today:
            candidate = safe_date(today.year + 1, int(month), int(day))
        return candidate, rest, "once"
    if match := MONTHLY.match(text):
        day_text, rest = match.groups()
        return next_day_of_month(today, cn_number(day_text)), rest, "monthly"
    for word, offset in RELATIVE_DAYS.items():
        if text.startswith(word):
            return today + timedelta(days=offset), text[len(word) :].strip(), "once"
    if match := WEEKDAY.match(text):
        every, weekday, rest = match.groups()
        ahead = (WEEKDAYS[weekday] - today.weekday()) % 7
        if NEXT_WEEK.match(text):
            ahead += 7
        return today + timedelta(days=ahead), rest, "weekly" if every else "once"
    return today, text, "once"


def next_day_of_month(today: date, day: int) -> date:
    """The first date on or after `today` that falls on day `day` of its month (1–28, so every month has it)."""
    if not 1 <= day <= 28:
        raise TimeParseError(f"day {day} of every month")
    this_month = today.replace(day=day)
    return this_month if this_month >= today else add_months(this_month, 1)


def add_months(day: DateLike, months: int) -> DateLike:
    """The same day of the month `months` later (callers keep the day ≤ 28)."""
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def safe_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise TimeParseError(f"{year}-{month}-{day}") from None
