"""The console's pure pieces: percentiles, a month's figures, months, and charts drawn without the internet."""

from __future__ import annotations

from datetime import UTC, date, datetime

from handlers.console.charts import bar_chart
from handlers.console.stats import Month, figures, grid_path, percentile, read_month
from models.console import TicketFacts

T0 = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def fact(*, confirm_h: float | None, resolve_h: float | None, **extra: object) -> TicketFacts:
    values: dict[str, object] = {
        "path": "/1/2/3/",
        "category": "repair",
        "confirm_hours": confirm_h,
        "resolve_hours": resolve_h,
        "overdue": False,
        "rating": None,
        "reopened": False,
        "escalations": 0,
    } | extra
    return TicketFacts(**values)  # type: ignore[arg-type]


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 11)]
    assert percentile(values, 0.5) == 5 and percentile(values, 0.9) == 9 and percentile([7.0], 0.9) == 7
    assert percentile([], 0.5) is None


def test_a_months_figures() -> None:
    facts = [
        fact(confirm_h=1, resolve_h=10, rating=5),
        fact(confirm_h=3, resolve_h=30, rating=3, reopened=True),
        fact(confirm_h=None, resolve_h=None, overdue=True),
        fact(confirm_h=2, resolve_h=None, overdue=True, escalations=2),
    ]
    got = figures("1号楼", facts)
    assert (got.opened, got.confirm_median, got.confirm_p90) == (4, 2.0, 3.0)
    assert (got.resolve_median, got.resolve_p90) == (10.0, 30.0)
    assert (got.overdue_share, got.reopen_rate, got.stars, got.escalations) == (0.5, 0.25, 4.0, 2)


def test_months_and_grids() -> None:
    assert read_month("2026-01", date(2026, 12, 2)).previous() == Month(2025, 12)
    assert read_month("nonsense", date(2026, 12, 2)) == Month(2026, 12)
    assert Month(2026, 12).next() == Month(2027, 1) and Month(2026, 2).last_day == date(2026, 2, 28)
    assert grid_path("/1/4/9/") == "/1/4/"


def test_charts_are_inline_svg_with_escaped_labels() -> None:
    svg = bar_chart("每月<新>工单", [("<script>", 3.0), ("二网格", 0.0)])
    assert svg.startswith("<svg") and "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count('class="bar"') == 2 and "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
