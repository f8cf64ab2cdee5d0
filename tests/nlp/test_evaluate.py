"""Metric functions, checked against numbers worked out by hand."""

from __future__ import annotations

import pytest

from nlp.evaluate import (
    ClassScores,
    accuracy,
    class_scores,
    confusion_matrix,
    evaluate,
    false_positive_rate,
    format_report,
    macro_f1,
    present_labels,
)

# Seven rows. Gold vs predicted:
#   repair     -> repair, none        repair:     TP 1, predicted 2, support 2 -> P 1/2, R 1/2, F1 1/2
#   dispute    -> dispute             dispute:    TP 1, predicted 1, support 1 -> P 1,   R 1,   F1 1
#   sanitation -> sanitation          sanitation: TP 1, predicted 1, support 1 -> P 1,   R 1,   F1 1
#   none       -> none, repair, none  none:       TP 2, predicted 3, support 3 -> P 2/3, R 2/3, F1 2/3
# macro-F1 = (1/2 + 1 + 1 + 2/3) / 4 = 19/24; accuracy 5/7; chatter FP rate 1/3.
GOLD = ["repair", "repair", "dispute", "none", "none", "none", "sanitation"]
PREDICTED = ["repair", "none", "dispute", "none", "repair", "none", "sanitation"]


def test_confusion_matrix_counts_pairs() -> None:
    assert confusion_matrix(GOLD, PREDICTED) == {
        ("repair", "repair"): 1,
        ("repair", "none"): 1,
        ("dispute", "dispute"): 1,
        ("none", "none"): 2,
        ("none", "repair"): 1,
        ("sanitation", "sanitation"): 1,
    }


def test_confusion_matrix_rejects_length_mismatch() -> None:
    with pytest.raises(ValueError, match="2 gold labels but 1 predictions"):
        confusion_matrix(["none", "none"], ["none"])


def test_class_scores_by_hand() -> None:
    confusion = confusion_matrix(GOLD, PREDICTED)
    assert class_scores(confusion, "repair") == ClassScores(0.5, 0.5, 0.5, 2)
    assert class_scores(confusion, "dispute") == ClassScores(1.0, 1.0, 1.0, 1)
    none = class_scores(confusion, "none")
    assert (none.precision, none.recall, none.f1, none.support) == pytest.approx((2 / 3, 2 / 3, 2 / 3, 3))


def test_class_scores_with_nothing_predicted_or_present_are_zero() -> None:
    confusion = confusion_matrix(["repair", "none"], ["none", "none"])
    assert class_scores(confusion, "repair") == ClassScores(0.0, 0.0, 0.0, 1)
    assert class_scores(confusion, "dispute") == ClassScores(0.0, 0.0, 0.0, 0)


def test_macro_f1_accuracy_and_false_positive_rate_by_hand() -> None:
    confusion = confusion_matrix(GOLD, PREDICTED)
    scores = {label: class_scores(confusion, label) for label in present_labels(confusion)}
    assert macro_f1(scores) == pytest.approx(19 / 24)
    assert accuracy(confusion) == pytest.approx(5 / 7)
    assert false_positive_rate(confusion) == pytest.approx(1 / 3)


def test_false_positive_rate_needs_negative_rows() -> None:
    assert false_positive_rate(confusion_matrix(["repair"], ["none"])) is None
    assert macro_f1({}) == 0.0


def test_present_labels_keep_the_canonical_order() -> None:
    confusion = confusion_matrix(["none", "dispute"], ["repair", "dispute"])
    assert present_labels(confusion) == ("repair", "dispute", "none")


def test_evaluate_and_format_report() -> None:
    report = evaluate(GOLD, PREDICTED)
    assert report.labels == ("repair", "dispute", "sanitation", "none")
    assert report.macro_f1 == pytest.approx(19 / 24)
    assert report.negatives == 3
    text = format_report(report)
    assert "macro-F1  0.792" in text
    assert "chatter false-positive rate: 33.33% (1 of 3 'none' rows classified as a request)" in text
    matrix_row = next(line for line in text.splitlines() if line.startswith("none") and line.count(" 2"))
    assert matrix_row.split() == ["none", "1", "0", "0", "2"]


def test_report_without_chatter_rows_says_so() -> None:
    assert "n/a" in format_report(evaluate(["repair"], ["repair"]))
