"""Pure metric functions for labelled classifier runs (no I/O, no classifier dependency)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

LABELS: tuple[str, ...] = ("repair", "dispute", "sanitation", "none")
NEGATIVE_LABEL = "none"

Confusion = dict[tuple[str, str], int]
"""(gold, predicted) → count."""


@dataclass(frozen=True, slots=True)
class ClassScores:
    """Precision, recall and F1 of one label, and how many gold rows carry it."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Report:
    """Everything ``python -m nlp eval`` prints."""

    labels: tuple[str, ...]
    confusion: Confusion
    scores: dict[str, ClassScores]
    macro_f1: float
    accuracy: float
    false_positive_rate: float | None
    negatives: int


def confusion_matrix(gold: Sequence[str], predicted: Sequence[str]) -> Confusion:
    """Count (gold, predicted) pairs."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    return dict(Counter(zip(gold, predicted, strict=True)))


def class_scores(confusion: Confusion, label: str) -> ClassScores:
    """Precision, recall and F1 of ``label``; a ratio with a zero denominator counts as 0."""
    true_positives = confusion.get((label, label), 0)
    predicted = sum(count for (_, guess), count in confusion.items() if guess == label)
    support = sum(count for (truth, _), count in confusion.items() if truth == label)
    precision = _ratio(true_positives, predicted)
    recall = _ratio(true_positives, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return ClassScores(precision, recall, f1, support)


def macro_f1(scores: dict[str, ClassScores]) -> float:
    """Unweighted mean F1 over the given labels (0 when there are none)."""
    return _ratio(sum(score.f1 for score in scores.values()), len(scores))


def accuracy(confusion: Confusion) -> float:
    """Fraction of rows whose prediction equals the gold label."""
    correct = sum(count for (truth, guess), count in confusion.items() if truth == guess)
    return _ratio(correct, sum(confusion.values()))


def false_positive_rate(confusion: Confusion, negative: str = NEGATIVE_LABEL) -> float | None:
    """Fraction of gold-``negative`` rows predicted as anything else; None without such rows."""
    negatives = sum(count for (truth, _), count in confusion.items() if truth == negative)
    if not negatives:
        return None
    flagged = sum(count for (truth, guess), count in confusion.items() if truth == negative != guess)
    return flagged / negatives


def present_labels(confusion: Confusion, known: Sequence[str] = LABELS) -> tuple[str, ...]:
    """Known labels seen in gold or predictions (in ``known`` order), then any unknown ones sorted."""
    seen = {label for pair in confusion for label in pair}
    return tuple(label for label in known if label in seen) + tuple(sorted(seen - set(known)))


def evaluate(gold: Sequence[str], predicted: Sequence[str]) -> Report:
    """Build the full report; macro-F1 averages over the labels present in gold or predictions."""
    confusion = confusion_matrix(gold, predicted)
    labels = present_labels(confusion)
    scores = {label: class_scores(confusion, label) for label in labels}
    negatives = sum(count for (truth, _), count in confusion.items() if truth == NEGATIVE_LABEL)
    return Report(
        labels=labels,
        confusion=confusion,
        scores=scores,
        macro_f1=macro_f1(scores),
        accuracy=accuracy(confusion),
        false_positive_rate=false_positive_rate(confusion),
        negatives=negatives,
    )


def format_report(report: Report) -> str:
    """Human-readable text: per-class table, macro-F1, confusion matrix, chatter FP rate."""
    width = max([len(label) for label in report.labels] + [10])
    lines = [f"{'label':<{width}}  precision  recall     f1  support"]
    for label in report.labels:
        score = report.scores[label]
        numbers = f"{score.precision:9.3f}  {score.recall:6.3f}  {score.f1:5.3f}  {score.support:7d}"
        lines.append(f"{label:<{width}}  {numbers}")
    rows = sum(report.confusion.values())
    lines += [
        "",
        f"macro-F1  {report.macro_f1:.3f}   accuracy {report.accuracy:.3f}   rows {rows}",
        "",
        "confusion (rows = gold, columns = predicted)",
        f"{'':<{width}}" + "".join(f"{label:>{width + 1}}" for label in report.labels),
    ]
    for truth in report.labels:
        counts = "".join(f"{report.confusion.get((truth, guess), 0):>{width + 1}}" for guess in report.labels)
        lines.append(f"{truth:<{width}}{counts}")
    lines.append("")
    if report.false_positive_rate is None:
        lines.append("chatter false-positive rate: n/a (no rows labelled none)")
    else:
        flagged = round(report.false_positive_rate * report.negatives)
        lines.append(
            f"chatter false-positive rate: {report.false_positive_rate:.2%} "
            f"({flagged} of {report.negatives} 'none' rows classified as a request)"
        )
    return "\n".join(lines)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0
