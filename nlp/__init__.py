"""Pure text classifier for Linli: is a chat message a repair, dispute or sanitation request?

No I/O happens at import time; the first ``classify`` call (or ``load_classifier``) loads the
rules and jieba's dictionary.
"""

from nlp.classifier import (
    CONFIDENT,
    NONE,
    POSSIBLE,
    Classification,
    Classifier,
    classify,
    load_classifier,
)
from nlp.rules import CATEGORIES, RulesError

__all__ = [
    "CATEGORIES",
    "CONFIDENT",
    "NONE",
    "POSSIBLE",
    "Classification",
    "Classifier",
    "RulesError",
    "classify",
    "load_classifier",
]
