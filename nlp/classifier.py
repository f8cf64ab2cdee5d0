"""Rule-based classifier for building group-chat messages: repair, dispute, sanitation or none.

Pipeline (details and reasons in docs/classifier.md):

1. normalise the text (nlp.normalize), keeping a bounded prefix;
2. pre-check: an Aho-Corasick pass over the category terms; no term → ``none``;
3. best case: one more pass finds every rule word; if the message cannot reach POSSIBLE even
   when every candidate term is a real word → ``none``, still without segmentation;
4. word check: a term counts only if it starts and ends on a jieba word boundary (HMM off), so
   电梯 counts in 电梯坏了 but not in 电梯口. jieba's segmentation runs only where the
   dictionary cannot rule out a longer word across a term's edge, on the rest of that clause;
5. score: per category, evidence of terms and problem cues minus negative cues, as a noisy-OR.

This runs on every chat message, so the hot path avoids work rather than repeating it: bounds
that need no sorting come first, the automaton payload carries everything precomputed, and
lookups in jieba's 500,000-entry dictionary (a CPU cache miss each) are made only where small
precomputed sets cannot settle the question. Every shortcut returns exactly what the full
procedure would; the tests compare them on every line of the test sets.
"""

from __future__ import annotations

import bisect
import functools
import logging
import math
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter, itemgetter
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
_BLOCK_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+#&._%-")
"""The ASCII characters of _JIEBA_BLOCK; the others are U+4E00..U+9FD5."""
_LATIN_OR_DIGIT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
"""jieba's re_eng: single characters of this set that it cuts apart are glued back into one word."""
_DICTIONARY_CHECKS_PER_TEXT = 16
"""After this many dictionary checks in one text, segmenting a block is cheaper (long term-dense text)."""

_LOOSE_CUTOFF = -math.log1p(-(POSSIBLE - 0.001))
"""Evidence below which a message cannot reach POSSIBLE: its confidence stays below 0.449, a
margin ~10^12 times the rounding error of adding the same evidence in another order."""
_CLOSE_CALL = 1e-6
"""jieba route values closer than this are decided by cutting the whole rest of the block."""
_BEST_CASE_MATTERS_BELOW = POSSIBLE + 0.002
"""A judged confidence (rounded) from here up implies a best case of at least POSSIBLE + 0.001."""


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

# Where the loose bounds add a word's evidence: its category, or one of these.
_SHARED_SLOT = len(CATEGORIES)
_SURE_NEGATIVE_SLOT = len(CATEGORIES) + 1  # negative cues that no longer rule word contains
_OTHER_NEGATIVE_SLOT = len(CATEGORIES) + 2  # negative cues a longer hit may absorb (吗 in 有人管吗)
_SLOTS = len(CATEGORIES) + 3


@dataclass(frozen=True, slots=True)
class _Word:
    """Automaton payload: one rule word with everything the hot path needs precomputed."""

    text: str
    role: str  # "term", "cue" or "negative"
    category: int  # index into CATEGORIES, -1 for shared and negative cues
    evidence: float  # -ln(1 - weight): the noisy-OR becomes a sum
    length: int
    is_term: bool
    is_negative: bool
    positive: float  # the evidence of a term or cue, 0 for a negative cue
    sure_penalty: float  # the evidence of a negative cue in _SURE_NEGATIVE_SLOT, else 0
    slot: int  # where the loose bounds add the evidence
    term_bit: int  # 1 << category for a term, else 0
    crossable_before: frozenset[str]  # for a term: characters before it that may join it into a longer word
    crossable_after: frozenset[str]  # for a term: characters after it that may join it into a longer word

    @classmethod
    def of(cls, rule: Rule, context: _WordContext) -> _Word:
        word = rule.word
        category = CATEGORIES.index(rule.category) if rule.category else -1
        evidence = -math.log1p(-rule.weight)
        is_term = rule.role == "term"
        is_negative = rule.role == "negative"
        sure = is_negative and word not in context.inside_longer_words  # nothing can absorb it
        if is_negative:
            slot = _SURE_NEGATIVE_SLOT if sure else _OTHER_NEGATIVE_SLOT
        else:
            slot = _SHARED_SLOT if category < 0 else category
        return cls(
            text=word,
            role=rule.role,
            category=category,
            evidence=evidence,
            length=len(word),
            is_term=is_term,
            is_negative=is_negative,
            positive=0.0 if is_negative else evidence,
            sure_penalty=evidence if sure else 0.0,
            slot=slot,
            term_bit=1 << category if is_term else 0,
            crossable_before=context.crossable_before(word) if is_term else frozenset(),
            crossable_after=context.crossable_after(word) if is_term else frozenset(),
        )


@dataclass(frozen=True, slots=True)
class _WordContext:
    """What building a ``_Word`` needs to know about the other rule words and the dictionary."""

    inside_longer_words: frozenset[str]  # rule words that occur inside a longer rule word (吗 in 停水吗)
    before_first: dict[str, frozenset[str]]  # term first character -> characters before it in a dictionary entry
    after_last: dict[str, frozenset[str]]  # term last character -> characters after it in a dictionary entry

    def crossable_before(self, term: str) -> frozenset[str]:
        """Characters that, right before ``term``, may put its start inside a jieba word.

        A dictionary word across the start contains that character followed by the term's first
        one; and jieba glues single Latin letters and digits together.
        """
        chars = self.before_first.get(term[0], frozenset())
        return chars | _LATIN_OR_DIGIT if term[0] in _LATIN_OR_DIGIT else chars  # terms share the set

    def crossable_after(self, term: str) -> frozenset[str]:
        """Characters that, right after ``term``, may put its end inside a jieba word."""
        chars = self.after_last.get(term[-1], frozenset())
        return chars | _LATIN_OR_DIGIT if term[-1] in _LATIN_OR_DIGIT else chars


_Hit = tuple[int, int, _Word]
"""(start, end, word): one occurrence of a rule word in the normalised text."""

_ALL_CATEGORIES = tuple(range(len(CATEGORIES)))
_WITH_TERMS = tuple(tuple(c for c in _ALL_CATEGORIES if bits >> c & 1) for bits in range(1 << len(CATEGORIES)))
"""For each set of categories as bits (bit c: category c has a term), those categories."""

_START = itemgetter(0)
_WORD_OF_MATCH = itemgetter(1)
_POSITIVE = attrgetter("positive")
_TEXT = attrgetter("text")
_SURE_PENALTY = attrgetter("sure_penalty")


def _longer_first(hit: _Hit) -> int:
    return hit[0] - hit[1]


class Classifier:
    """Classifies messages with a validated rule set and a jieba tokenizer holding the domain words."""

    def __init__(self, rules: Rules, tokenizer: Any) -> None:
        self.rules = rules
        self.segmentations = 0
        """How many messages needed jieba's segmentation; the pre-checks keep this far below the message count."""
        self._tokenizer = tokenizer
        self._frequencies: dict[str, int] = tokenizer.FREQ
        self._longest_word = max(len(word) for word, freq in self._frequencies.items() if freq)
        self._characters = {word: freq for word, freq in self._frequencies.items() if len(word) == 1}
        """The dictionary's single characters: a small dict that stays in the CPU cache."""
        before_first, after_last = _adjacent_characters(self._frequencies, rules.term_words())
        context = _WordContext(_inside_longer_words(rules.words()), before_first, after_last)
        self._precheck = _automaton((rule for rule in rules.rules if rule.role == "term"), context)
        self._automaton = _automaton(rules.rules, context)
        self._first_term = self._precheck.iter
        self._rule_words = self._automaton.iter

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
        if not normalised or next(self._first_term(normalised), None) is None:
            return NOTHING
        matches = list(self._rule_words(normalised))
        # Bounds looser than _best_case first, before any hit is built or sorted. Repeated words
        # count again and no cue is absorbed; only negative cues that nothing can absorb are
        # subtracted, each value once (two cues of equal weight count once: a looser bound).
        penalty = sum(set(map(_SURE_PENALTY, map(_WORD_OF_MATCH, matches))))
        if sum(map(_POSITIVE, map(_WORD_OF_MATCH, matches))) - penalty < _LOOSE_CUTOFF:  # all categories at once
            return NOTHING
        evidence = [0.0] * _SLOTS
        with_terms = 0
        candidates: list[_Hit] = []
        cues: list[_Hit] = []
        for last, word in reversed(matches):  # by end descending
            evidence[word.slot] += word.evidence
            with_terms |= word.term_bit
            if word.is_term:
                candidates.append((last + 1 - word.length, last + 1, word))
            else:
                cues.append((last + 1 - word.length, last + 1, word))
        best = max([evidence[category] for category in _WITH_TERMS[with_terms]], default=0.0)
        if best + evidence[_SHARED_SLOT] - penalty < _LOOSE_CUTOFF:  # the best category with a term
            return NOTHING
        cues.sort(key=_START)  # stable: by start, longer first
        # _best_case is tighter only with a repeated word or a negative cue that could be absorbed.
        repeated = len(set(map(_TEXT, map(_WORD_OF_MATCH, matches)))) < len(matches)
        exact = repeated or evidence[_OTHER_NEGATIVE_SLOT] > 0.0
        if exact and _best_case(_hits(matches)) < POSSIBLE:
            return NOTHING
        result = self._judge(normalised, candidates, cues)
        if not result.is_request:
            return NOTHING
        # The judged confidence never exceeds _best_case (the same evidence or less, the same
        # negatives or more), so when it was skipped it can only matter at the threshold itself.
        if not exact and result.confidence < _BEST_CASE_MATTERS_BELOW and _best_case(_hits(matches)) < POSSIBLE:
            return NOTHING
        return result

    def explain(self, text: str | None) -> Classification:
        """Like ``classify`` without the best-case shortcut: a ``none`` keeps the evidence it had."""
        normalised = normalize(text)
        hits = self._find_hits(normalised)
        if not hits:
            return NOTHING
        candidates = [hit for hit in hits if hit[2].is_term]
        return self._judge(normalised, candidates, [hit for hit in hits if not hit[2].is_term])

    def mentions_term(self, text: str | None) -> bool:
        """The pre-check alone: does the normalised text contain any category term (as a substring)?"""
        normalised = normalize(text)
        return bool(normalised) and next(self._first_term(normalised), None) is not None

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
        if not (0 < position < len(text) and _is_block_char(text[position - 1]) and _is_block_char(text[position])):
            return True  # not inside a jieba block
        glued = text[position - 1] in _LATIN_OR_DIGIT and text[position] in _LATIN_OR_DIGIT
        return not glued and not self._may_be_crossed(text, position)

    def block_boundaries(self, block: str) -> set[int]:
        """Offsets where jieba (HMM off) cuts ``block``, one run of _JIEBA_BLOCK characters."""
        return self._jieba_offsets(block, 0, len(block), len(block))[1]

    def _jieba_offsets(self, text: str, start: int, end: int, position: int) -> tuple[int, set[int]]:
        """jieba's word boundaries (HMM off) in ``text[start:stop]``; returns ``(stop, boundaries)``.

        ``text[start:end]`` must be the rest of a jieba block from a position no dictionary word
        crosses (the block's start, or a settled edge). This is jieba's ``__cut_DAG_NO_HMM``
        (jieba 0.42): the same dictionary DAG and the same dynamic programme with the same float
        operations, so that ties resolve alike. jieba's route from ``start`` depends only on the
        text after it, so starting there gives exactly the boundaries of cutting the whole block.

        The DAG is built left to right and stops at ``stop``, the first position after
        ``position`` that no word crosses: every route passes there. The programme then runs
        with the route's value at ``stop`` taken as 0 instead of the true value ``R``; that
        shifts every candidate by the same ``R`` up to float rounding (< 1e-9 for 300
        characters), so each choice is jieba's unless two candidates are within _CLOSE_CALL,
        in which case the whole rest of the block is cut instead. Tests compare both with jieba.
        """
        characters = self._characters  # small and cache-resident; the full dictionary is not
        get = self._frequencies.get
        log = math.log
        log_total = log(self._tokenizer.total)
        dag: list[list[tuple[int, float]]] = []  # per start: (last index, log probability) of each word
        reach = start  # the furthest end of a word starting before `first`
        stop = end
        first = start
        while first < end:
            words = []
            frequency = characters.get(text[first])
            last = first
            while frequency is not None:  # the dictionary holds every prefix of its words (frequency 0)
                if frequency:
                    words.append((last, log(frequency) - log_total))
                last += 1
                if last == end:
                    break
                frequency = get(text[first : last + 1])
            dag.append(words)
            if words and words[-1][0] >= reach:
                reach = words[-1][0] + 1
            first += 1
            if (
                first > position
                and reach <= first < end
                and not (text[first - 1] in _LATIN_OR_DIGIT and text[first] in _LATIN_OR_DIGIT)
            ):
                stop = first
                break
        unknown = 0.0 - log_total  # log(1) - log_total: a character that is no dictionary word
        route = [0.0] * (stop - start + 1)
        choice = list(range(start, stop))
        close_call = False
        for first in range(stop - 1, start - 1, -1):
            index = first - start
            best = second = -math.inf
            for last, log_probability in dag[index]:
                value = log_probability + route[last + 1 - start]
                if value >= best:  # ends ascend, so a tie goes to the longer word, as in jieba's max()
                    second = best
                    best = value
                    choice[index] = last
                elif value > second:
                    second = value
            if best == -math.inf:
                best = unknown + route[index + 1]
            elif best - second <= _CLOSE_CALL:
                close_call = True
            route[index] = best
        if close_call and stop < end:
            return self._jieba_offsets(text, start, end, end)
        offsets = {start, stop}
        here = start
        glued = False
        while here < stop:
            after = choice[here - start] + 1
            single_latin = after - here == 1 and text[here] in _LATIN_OR_DIGIT
            if not (single_latin and glued):  # jieba glues single Latin letters and digits together
                offsets.add(here)
            glued = single_latin
            here = after
        return stop, offsets

    def _may_be_crossed(self, text: str, position: int) -> bool:
        """True if a dictionary word inside the jieba block around ``position`` spans it.

        ``position`` must lie strictly inside a block; words are looked for only inside it.
        """
        frequencies = self._frequencies
        longest = self._longest_word
        size = len(text)
        start = position - 1
        lowest = max(0, position - longest + 1)
        while start >= lowest and _is_block_char(text[start]):
            end = position + 1
            fragment = text[start:end]
            while fragment in frequencies:  # jieba's dictionary also holds every prefix of its words
                if frequencies[fragment]:
                    return True
                if end == size or end - start == longest or not _is_block_char(text[end]):
                    break
                end += 1
                fragment = text[start:end]
            start -= 1
        return False

    def _find_hits(self, text: str) -> list[_Hit]:
        """Every rule word in ``text``, by position (longer first); [] when no category term occurs.

        Cues alone never make a request, so the pre-check automaton holds only the terms and
        stops at the first one; most chatter ends here.
        """
        if not text or next(self._first_term(text), None) is None:
            return []
        return _hits(list(self._rule_words(text)))

    def _judge(self, text: str, candidates: list[_Hit], cues: list[_Hit]) -> Classification:
        """Score the terms that are whole words (the longest of nested ones) and the cues around them.

        ``candidates``: the term hits, in any order; ``cues``: the other hits by start, longer first.
        """
        terms = self._whole_word_terms(text, candidates)
        if not terms:
            return NOTHING  # cues count only for a category with a term
        return _score(terms, cues)

    def _whole_word_terms(self, text: str, candidates: list[_Hit]) -> list[_Hit]:
        """Candidates on jieba word boundaries, longest first so nested ones need no check.

        Nearly every edge is settled by the term's own small sets of characters that could join
        it into a longer dictionary word; the others go to ``_Boundaries``.
        """
        size = len(text)
        boundaries: _Boundaries | None = None
        settled: list[int] = []  # edges known to be boundaries, where a segmentation may start
        terms: list[_Hit] = []
        for hit in sorted(candidates, key=_longer_first) if len(candidates) > 1 else candidates:
            start, end, word = hit
            for other in terms:
                if other[0] <= start and end <= other[1]:
                    break  # inside a longer accepted term (equal spans would be the same word)
            else:
                if start and text[start - 1] in word.crossable_before:
                    if boundaries is None:
                        boundaries = _Boundaries(self, text, settled)
                    if not boundaries.is_boundary(start):
                        continue
                else:
                    settled.append(start)
                if end < size and text[end] in word.crossable_after:
                    if boundaries is None:
                        boundaries = _Boundaries(self, text, settled)
                    if not boundaries.is_boundary(end):
                        continue
                else:
                    settled.append(end)
                terms.append(hit)
        if boundaries is not None and boundaries.segmented:
            self.segmentations += 1
        if len(terms) > 1:
            terms.sort(key=_START)
        return terms


def _automaton(rules: Iterable[Rule], context: _WordContext) -> Any:
    """An Aho-Corasick automaton mapping each rule word to its ``_Word``."""
    automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
    for rule in rules:
        automaton.add_word(rule.word, _Word.of(rule, context))
    automaton.make_automaton()
    return automaton


def _inside_longer_words(words: list[str]) -> frozenset[str]:
    """The words that occur inside another, longer one of ``words`` (吗 inside 停水吗)."""
    automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return frozenset(inner for word in words for _, inner in automaton.iter(word) if inner != word)


def _adjacent_characters(
    frequencies: dict[str, int], terms: Iterable[str]
) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """For each first character of a term, the characters before it inside some dictionary entry;
    for each last character of a term, the characters after it.

    A dictionary word across the position between characters ``x`` and ``y`` contains ``xy``;
    at a term's start ``y`` is its first character, at its end ``x`` is its last one. So a term
    edge whose neighbour is not in these sets is a word boundary without any dictionary lookup.
    Two regex passes over all entries, ~0.15 s at start-up and ~8 MiB; the sets are small enough
    to stay in the CPU cache, while every lookup in the 500,000-entry dictionary is a cache miss.
    """
    terms = list(terms)
    entries = "\n".join(frequencies)  # "." below never matches the separator
    lasts = re.escape("".join(sorted({term[-1] for term in terms})))
    firsts = re.escape("".join(sorted({term[0] for term in terms})))
    after = _neighbours(re.findall(f"(?=([{lasts}].))", entries))
    before = _neighbours(re.findall(f"(?=([{firsts}].))", entries[::-1]))  # reversed: "yx" for x before y
    return before, after


def _neighbours(pairs: list[str]) -> dict[str, frozenset[str]]:
    """Two-character strings as {first character: the set of second characters}."""
    neighbours: dict[str, set[str]] = {}
    for pair in set(pairs):
        neighbours.setdefault(pair[0], set()).add(sys.intern(pair[1]))  # one object per character
    return {char: frozenset(chars) for char, chars in neighbours.items()}


def _hits(matches: list[tuple[int, _Word]]) -> list[_Hit]:
    """Automaton matches as hits sorted by start, longer first.

    The automaton reports by end, longer first; reversed, that is by end descending, and a
    stable sort by start then leaves hits with equal starts longer first.
    """
    hits = [(last + 1 - word.length, last + 1, word) for last, word in reversed(matches)]
    hits.sort(key=_START)
    return hits


def _is_block_char(char: str) -> bool:
    """True for characters of _JIEBA_BLOCK."""
    return "\u4e00" <= char <= "\u9fd5" or char in _BLOCK_ASCII


class _Boundaries:
    """Answers "does jieba put a word boundary here?" for one text, segmenting lazily.

    A position is settled without jieba when no dictionary word crosses it. Otherwise jieba's
    segmentation runs on the block (run of Han/alphanumeric characters) around it, starting at
    the nearest settled position before it: jieba cuts every block on its own, and every path
    through a block passes a position no word crosses, after which it depends only on the text
    that follows. So this equals cutting the whole text.
    """

    __slots__ = ("_blocks", "_checks", "_classifier", "_settled", "_text", "segmented")

    def __init__(self, classifier: Classifier, text: str, settled: list[int]) -> None:
        self._classifier = classifier
        self._text = text
        self._settled = settled  # shared with the caller, who adds the positions it settles
        self._checks = 0
        self._blocks: list[tuple[int, int]] | None = None
        self.segmented: dict[tuple[int, int], set[int]] = {}
        """Boundary offsets of each (start, stop) range segmented so far."""

    def is_boundary(self, position: int) -> bool:
        text = self._text
        if not (0 < position < len(text) and _is_block_char(text[position - 1]) and _is_block_char(text[position])):
            return True  # not inside a jieba block
        for (start, end), offsets in self.segmented.items():
            if start < position < end:
                return position in offsets
        self._checks += 1
        if (
            self._checks <= _DICTIONARY_CHECKS_PER_TEXT
            and not (text[position - 1] in _LATIN_OR_DIGIT and text[position] in _LATIN_OR_DIGIT)
            and not self._classifier._may_be_crossed(text, position)
        ):
            self._settled.append(position)
            return True
        if self._blocks is None:
            self._blocks = [match.span() for match in _JIEBA_BLOCK.finditer(text)]
        start, end = self._blocks[bisect.bisect_right(self._blocks, (position, len(text) + 1)) - 1]
        for settled in self._settled:  # no word crosses a settled position: start there
            if start < settled < position:
                start = settled
        stop, offsets = self._classifier._jieba_offsets(text, start, end, position)
        self.segmented[start, stop] = offsets
        return position in offsets


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


def _best_case(hits: list[_Hit]) -> float:
    """An upper bound of the confidence ``_judge`` can give: every candidate term counts, no cue
    is absorbed by a term, and only negative cues no longer hit could absorb are subtracted."""
    evidence = [0.0] * len(CATEGORIES)
    with_terms = 0
    shared = 0.0
    seen: set[str] = set()
    negatives: list[float] = []  # evidence of each distinct negative cue outside every longer hit
    reach = -1
    for _, end, word in hits:
        if word.is_negative:
            if end > reach and word.text not in seen:
                seen.add(word.text)
                negatives.append(word.evidence)
        elif word.text not in seen:
            seen.add(word.text)
            if word.category < 0:
                shared += word.evidence
            else:
                evidence[word.category] += word.evidence
                with_terms |= word.term_bit
        if end > reach:
            reach = end
    best = max(evidence[category] for category in _WITH_TERMS[with_terms]) + shared
    penalty = sum(negatives)
    return round(-math.expm1(penalty - best), 3) if best > penalty else 0.0  # rounded like _score


def _score(terms: list[_Hit], cues: list[_Hit]) -> Classification:
    """Pick the category with most evidence and turn it into a confidence in [0, 1].

    ``terms``: the accepted terms by start; ``cues``: the other hits by start, longer first. A
    cue inside a longer cue or accepted term does not count (广告 inside 小广告); a word repeated
    in the message counts once; a cue adds to a category only if it has a term.
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
    reach = -1  # cues by start, longer first: a cue lies inside an earlier one iff it ends by this
    for hit in cues:
        start, end, word = hit
        if end <= reach:
            continue
        reach = end
        for term in terms:
            if term[0] <= start and end <= term[1]:
                break  # inside an accepted term (equal spans would be the same word, so it is longer)
        else:
            if word.text in seen:
                continue
            seen.add(word.text)
            if word.is_negative:
                negatives.append(hit)
                penalty += word.evidence
            elif word.category >= 0:
                if used[word.category]:
                    evidence[word.category] += word.evidence
                    used[word.category].append(hit)
            else:
                for category in _ALL_CATEGORIES:
                    if used[category]:
                        evidence[category] += word.evidence
                        used[category].append(hit)
    best = 0  # the first category with most evidence
    for category in _ALL_CATEGORIES:
        if evidence[category] > evidence[best]:
            best = category
    if not evidence[best]:
        return NOTHING
    balance = evidence[best] - penalty
    confidence = round(-math.expm1(-balance), 3) if balance > 0 else 0.0
    words = tuple([hit[2].text for hit in sorted(used[best] + negatives, key=_START)])
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
