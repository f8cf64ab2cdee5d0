"""The monthly ranking's score and order: the documented formula, ties to the busier, the idle listed unranked."""

from __future__ import annotations

from handlers.console.ranking import Entrant, ranked, score
from handlers.console.stats import figures
from tests.handlers.console.test_stats import fact


def test_the_score_follows_the_documented_formula() -> None:
    on_time = figures("物业", [fact(confirm_h=1, resolve_h=5, rating=5)])
    late_reopened = figures("维保", [fact(confirm_h=1, resolve_h=50, overdue=True, reopened=True)])
    assert score(on_time) == 100.0  # 50 + 30 × 5 ÷ 5 + 20
    assert score(late_reopened) == 18.0  # 0 + 30 × 3 ÷ 5 (nothing rated) + 0


def test_organisations_are_ranked_best_first_ties_to_the_busier_and_the_idle_unranked() -> None:
    good = [fact(confirm_h=1, resolve_h=2, rating=4)]
    rows = ranked(
        "organisation",
        [
            Entrant({"organisation_id": 1}, "供电公司", None),
            Entrant({"organisation_id": 2}, "迅达电梯维保", figures("", good)),
            Entrant({"organisation_id": 3}, "阳光物业", figures("", good * 2)),
            Entrant({"organisation_id": 4}, "燃气公司", figures("", [fact(confirm_h=1, resolve_h=None, overdue=True)])),
        ],
    )
    assert [(r["rank"], r["name"], r["organisation_id"]) for r in rows] == [
        (1, "阳光物业", 3),
        (2, "迅达电梯维保", 2),
        (3, "燃气公司", 4),
        (None, "供电公司", 1),
    ]
    assert rows[0]["score"] == 94.0 and rows[0]["opened"] == 2 and rows[0]["overdue_share"] == 0.0
