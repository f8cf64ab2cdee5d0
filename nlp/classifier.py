"""Rule-based classifier for building group-chat messages: repair, dispute, sanitation or none.

Pipeline (details and reasons in docs/classifier.md):

1. normalise the text (nlp.normalize), keeping a bounded prefix;
2. pre-check: one Aho-Corasick pass finds every rule word; no category term → ``none``;
3. best case: if the message cannot reach POSSIBLE even when every candidate term is a real
   word → ``none``, still without segmentation;
4. word check: a term counts only if it starts and ends on a jieba word boundary (HMM off), so
   电梯 counts in 电梯坏了 but not in 电梯口. jieba runs only on the clauses where the dictionary
   cannot rule out a longer word across a term's edge;
5. score: per category, evidence of terms and problem cues minus negative cues, as a noisy-OR.
"""

from __future__ import annotations

import bisect
import functools
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ahocorasick

from nlp.normalize import normalize
from nlp.rules import CATEGORIES, DEFAULT_RULES_PATH, Rule, Rules, load_rules

CONFIDENT = 0.75
"""At or above: the bot opens a ticket card straight away."""
POSSIBLE = 0.45
"""At or above (and below CONFIDENT): the bot asks the sender 需要帮您登记报修吗?"""
NONE = "none"
"""Category of every message that is not a request."""

DOMAIN_DICT_PATH = Path(__file__).parent / "data" / "domain_dict.txt"

_JIEBA_BLOCK = re.compile(r"[\u4e00-\u9fd5a-zA-Z0-9+#&._%\-]+")
"""jieba's own re_han_default: it segments each such run of characters independently."""
_DICTIONARY_CHECKS_PER_BLOCK = 6
"""After this many dictionary checks in one block, segmenting it once is cheaper (long term-dense text)."""
_LATIN_OR_DIGIT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


@dataclass(frozen=True, slots=True)
class Classification:
    """The verdict on one message. ``terms``: the rule words behind it, in text order."""

    category: str
    confidence: float
    terms: tuple[str, ...] = ()

    @property
    def is_request(self) -> bool:
        """True when the message should at least trigger the 需要帮您登记报修吗? question."""
        return self.category != NONE


NOTHING = Classification(NONE, 0.0, ())


@dataclass(frozen=True, slots=True)
class _Word:
    """Automaton payload: one rule word with its evidence precomputed."""

    text: str
    role: str  # "term", "cue" or "negative"
    category: int  # index into CATEGORIES, -1 for shared and negative cues
    evidence: float  # -ln(1 - weight): the noisy-OR becomes a sum

    @classmethod
    def of(cls, rule: Rule) -> _Word:
        category = CATEGORIES.index(rule.category) if rule.category else -1
        return cls(rule.word, rule.role, category, -math.log1p(-rule.weight))


_Hit = tuple[int, int, _Word]
"""(start, end, word): one occurrence of a rule word in the normalised text."""

_ALL_CATEGORIES = tuple(range(len(CATEGORIES)))


class Classifier:
    """Classifies messages with a validated rule set and a jieba tokenizer holding the domain words."""

    def __init__(self, rules: Rules, tokenizer: Any) -> None:
        self.rules = rules
        self.segmentations = 0
        """How many messages needed jieba; the pre-checks keep this far below the message count."""
        self._tokenizer = tokenizer
        self._frequencies: dict[str, int] = tokenizer.FREQ
        self._longest_word = max(len(word) for word, freq in self._frequencies.items() if freq)
        self._precheck = _automaton(rule for rule in rules.rules if rule.role == "term")
        self._automaton = _automaton(rules.rules)

    @property
    def version(self) -> str:
        """Version string of the rules file in use."""
        return self.rules.version

    def classify(self, text: str | None) -> Classification:
        """Classify one message; never raises on odd input (None, stickers, emoji-only).

        A ``none`` result always has confidence 0 and no terms: that is what lets the
        pre-checks stop early without looking closer.
        """
        normalised = normalize(text)
        hits = self._find_hits(normalised)
        if not hits or _best_case(hits) < POSSIBLE:
            return NOTHING
        result = self._judge(normalised, hits)
        return result if result.is_request else NOTHING

    def explain(self, text: str | None) -> Classification:
        """Like ``classify`` without the best-case shortcut: a ``none`` keeps the evidence it had."""
        normalised = normalize(text)
        hits = self._find_hits(normalised)
        return self._judge(normalised, hits) if hits else NOTHING

    def mentions_term(self, text: str | None) -> bool:
        """The pre-check alone: does the normalised text contain any category term (as a substring)?"""
        return bool(self._find_hits(normalize(text)))

    def segment(self, text: str) -> list[str]:
        """jieba words of already-normalised text, HMM off (what the word check relies on)."""
        return list(self._tokenizer.cut(text, HMM=False))

    def word_boundaries(self, text: str) -> set[int]:
        """Offsets in normalised ``text`` where jieba puts a word boundary, 0 and len included."""
        return _offsets(0, self.segment(text))

    def is_certain_boundary(self, text: str, position: int) -> bool:
        """True when every segmentation of ``text`` has a word boundary at ``position``.

        That holds when no dictionary word crosses the position, so jieba need not run.
        """
        return _Boundaries(self, text).settled_by_dictionary(position)

    def _may_be_crossed(self, text: str, position: int, block_start: int, block_end: int) -> bool:
        """True if a dictionary word inside ``text[block_start:block_end]`` could span ``position``."""
        if text[position - 1] in _LATIN_OR_DIGIT and text[position] in _LATIN_OR_DIGIT:
            return True  # jieba glues runs of Latin letters and digits into one word
        frequencies = self._frequencies
        for start in range(max(block_start, position - self._longest_word + 1), position):
            stop = min(block_end, start + self._longest_word)
            end = position + 1
            fragment = text[start:end]
            while fragment in frequencies:  # jieba's dictionary also holds every prefix of its words
                if frequencies[fragment]:
                    return True
                end += 1
                if end > stop:
                    break
                fragment = text[start:end]
        return False

    def _find_hits(self, text: str) -> list[_Hit]:
        """Every rule word in ``text``, by position (longer first); [] when no category term occurs.

        Cues alone never make a request, so the pre-check automaton holds only the terms and
        stops at the first one; most chatter ends here.
        """
        if not text or next(self._precheck.iter(text), None) is None:
            return []
        hits = [(end + 1 - len(word.text), end + 1, word) for end, word in self._automaton.iter(text)]
        hits.sort(key=lambda hit: (hit[0], -hit[1]))
        return hits

    def _judge(self, text: str, hits: list[_Hit]) -> Classification:
        """Score the terms that are whole words (the longest of nested ones) and the cues around them."""
        terms = self._whole_word_terms(text, [hit for hit in hits if hit[2].role == "term"])
        cues = [hit for hit in hits if hit[2].role != "term"]
        kept = _without_nested_cues(sorted(terms + cues, key=lambda hit: (hit[0], -hit[1])))
        return _score(terms, [hit for hit in kept if hit[2].role != "term"])

    def _whole_word_terms(self, text: str, candidates: list[_Hit]) -> list[_Hit]:
        """Candidates on jieba word boundaries, longest first so nested ones need no check."""
        boundaries = _Boundaries(self, text)
        terms: list[_Hit] = []
        reach = [0] * len(text)  # reach[i]: furthest end of an accepted term covering position i
        for hit in sorted(candidates, key=lambda hit: hit[0] - hit[1]):
            start, end, _ = hit
            if reach[start] >= end:
                continue  # inside a longer accepted term (equal spans would be the same word)
            if start in boundaries and end in boundaries:
                terms.append(hit)
                for position in range(start, end):
                    reach[position] = max(reach[position], end)
        if boundaries.used_jieba:
            self.segmentations += 1
        return sorted(terms, key=lambda hit: hit[0])


def _automaton(rules: Iterable[Rule]) -> Any:
    """An Aho-Corasick automaton mapping each rule word to its ``_Word``."""
    automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
    for rule in rules:
        automaton.add_word(rule.word, _Word.of(rule))
    automaton.make_automaton()
    return automaton


class _Boundaries:
    """Answers "does jieba put a word boundary here?" for one text, running jieba lazily.

    An edge is settled by the dictionary when no word can cross it. Otherwise (or when a block
    has many edges) jieba cuts the block (run of Han/alphanumeric characters) around it, which
    settles the block's other edges too. jieba cuts every such block on its own, so this equals
    cutting the whole text.
    """

    def __init__(self, classifier: Classifier, text: str) -> None:
        self._classifier = classifier
        self._text = text
        self._blocks: list[tuple[int, int]] | None = None
        self._segmented: set[tuple[int, int]] = set()
        self._from_jieba: set[int] = set()
        self._answers: dict[int, bool] = {}
        self._checks: dict[tuple[int, int], int] = {}

    @property
    def used_jieba(self) -> bool:
        """True once any block had to be segmented."""
        return bool(self._segmented)

    def __contains__(self, position: int) -> bool:
        if position not in self._answers:
            self._answers[position] = self._is_boundary(position)
        return self._answers[position]

    def _is_boundary(self, position: int) -> bool:
        block = self._block_containing(position)
        if block is None:
            return True
        if block not in self._segmented:
            self._checks[block] = self._checks.get(block, 0) + 1
            cheap = self._checks[block] <= _DICTIONARY_CHECKS_PER_BLOCK
            if cheap and not self._classifier._may_be_crossed(self._text, position, *block):
                return True
            self._segmented.add(block)
            start, end = block
            self._from_jieba |= _offsets(start, self._classifier.segment(self._text[start:end]))
        return position in self._from_jieba

    def settled_by_dictionary(self, position: int) -> bool:
        """True when the position is a boundary whatever jieba's path through the block."""
        block = self._block_containing(position)
        return block is None or not self._classifier._may_be_crossed(self._text, position, *block)

    def _block_containing(self, position: int) -> tuple[int, int] | None:
        """The jieba block that ``position`` lies strictly inside, if any."""
        if self._blocks is None:
            self._blocks = [match.span() for match in _JIEBA_BLOCK.finditer(self._text)]
        index = bisect.bisect_right(self._blocks, (position, len(self._text) + 1)) - 1
        if index >= 0:
            start, end = self._blocks[index]
            if start < position < end:
                return start, end
        return None


def _offsets(start: int, words: list[str]) -> set[int]:
    """Boundary offsets of consecutive ``words`` laid out from ``start``."""
    offsets = {start}
    for word in words:
        start += len(word)
        offsets.add(start)
    return offsets


def _inside(hit: _Hit, other: _Hit) -> bool:
    """True when ``hit`` lies within the strictly longer ``other``."""
    return other[0] <= hit[0] and hit[1] <= other[1] and other[1] - other[0] > hit[1] - hit[0]


def _without_nested_cues(hits: list[_Hit]) -> list[_Hit]:
    """Drop cues lying inside a longer hit (广告 inside 小广告); terms always stay.

    ``hits`` must be sorted by start, longer first: then a hit is nested exactly when an
    earlier one reaches at least as far.
    """
    kept: list[_Hit] = []
    reach = -1
    for hit in hits:
        if hit[2].role == "term" or hit[1] > reach:
            kept.append(hit)
        reach = max(reach, hit[1])
    return kept


def _best_case(hits: list[_Hit]) -> float:
    """An upper bound of the confidence ``_judge`` can give: every candidate term counts, no cue
    is absorbed by a term, and only negative cues no longer hit could absorb are subtracted."""
    evidence = [0.0] * len(CATEGORIES)
    has_term = [False] * len(CATEGORIES)
    shared = 0.0
    seen: set[str] = set()
    for _, _, word in hits:
        if word.text in seen or word.role == "negative":
            continue
        seen.add(word.text)
        if word.category < 0:
            shared += word.evidence
        else:
            evidence[word.category] += word.evidence
            has_term[word.category] |= word.role == "term"
    best = max(evidence[category] for category in _ALL_CATEGORIES if has_term[category]) + shared
    penalty = sum(hit[2].evidence for hit in _distinct_negatives(_without_nested_cues(hits)))
    return round(-math.expm1(penalty - best), 3) if best > penalty else 0.0  # rounded like _score


def _distinct_negatives(hits: list[_Hit]) -> list[_Hit]:
    """The first hit of each distinct negative cue."""
    seen: set[str] = set()
    negatives = []
    for hit in hits:
        if hit[2].role == "negative" and hit[2].text not in seen:
            seen.add(hit[2].text)
            negatives.append(hit)
    return negatives


def _score(terms: list[_Hit], cues: list[_Hit]) -> Classification:
    """Pick the category with most evidence and turn it into a confidence in [0, 1].

    A word repeated in the message counts once; a cue adds to a category only if it has a term.
    """
    evidence = [0.0] * len(CATEGORIES)
    used: list[list[_Hit]] = [[] for _ in CATEGORIES]
    seen: set[str] = set()
    for hit in terms:
        word = hit[2]
        if word.text not in seen:
            seen.add(word.text)
            evidence[word.category] += word.evidence
            used[word.category].append(hit)
    negatives: list[_Hit] = []
    penalty = 0.0
    for hit in cues:
        word = hit[2]
        if word.text in seen:
            continue
        seen.add(word.text)
        if word.role == "negative":
            negatives.append(hit)
            penalty += word.evidence
            continue
        for category in (word.category,) if word.category >= 0 else _ALL_CATEGORIES:
            if used[category]:
                evidence[category] += word.evidence
                used[category].append(hit)
    best = max(_ALL_CATEGORIES, key=evidence.__getitem__)
    if not evidence[best]:
        return NOTHING
    balance = evidence[best] - penalty
    confidence = round(-math.expm1(-balance), 3) if balance > 0 else 0.0
    words = tuple(hit[2].text for hit in sorted(used[best] + negatives, key=lambda hit: hit[0]))
    return Classification(CATEGORIES[best] if confidence >= POSSIBLE else NONE, confidence, words)


def load_classifier(
    rules_path: Path | str = DEFAULT_RULES_PATH, dictionary_path: Path | str = DOMAIN_DICT_PATH
) -> Classifier:
    """Build a classifier: load and validate the rules, prepare jieba with the domain dictionary."""
    return Classifier(load_rules(rules_path), _build_tokenizer(Path(dictionary_path)))


def _build_tokenizer(dictionary_path: Path) -> Any:
    """A private jieba tokenizer (the global one stays untouched) with the domain words added."""
    import jieba  # deferred: importing jieba alone takes ~0.3 s

    jieba.setLogLevel(logging.WARNING)  # jieba logs its dictionary loading to stderr at DEBUG
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    with dictionary_path.open("rb") as handle:
        tokenizer.load_userdict(handle)
    return tokenizer


@functools.cache
def default_classifier() -> Classifier:
    """The shared classifier built from the packaged rules, created on first use."""
    return load_classifier()


def classify(text: str | None) -> Classification:
    """Classify one message with the default classifier (what the bot and the CLI use)."""
    return default_classifier().classify(text)
