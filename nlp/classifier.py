"""Rule-based classifier for building group-chat messages: repair, dispute, sanitation or none.

Pipeline (details and reasons in docs/classifier.md):

1. pre-check on the raw text: an Aho-Corasick pass over the category terms. No term, and no
   character that normalising could turn into part of one → ``none`` (most chatter ends here);
2. normalise the text (nlp.normalize), keeping a bounded prefix;
3. bound: one more pass finds every rule word; if the message cannot reach POSSIBLE even
   when every term is a real word → ``none``, still without segmentation;
4. word check: a term counts only if it starts and ends on a jieba word boundary (HMM off), so
   电梯 counts in 电梯坏了 but not in 电梯口. jieba's segmentation runs only where the
   dictionary cannot rule out a longer word across a term's edge, on the rest of that clause;
5. patterns: a predicate of a pattern (卡住, 关不上, 没人扫) makes the jieba word just before it a
   term when that word ends in one of the pattern's characters (卷帘门, 显示屏, 鸽子|屎);
6. score: per category, evidence of terms and problem cues minus negative cues, as a noisy-OR;
7. a request is also told whether it is urgent and, where obvious, what kind of problem it is.

This runs on every chat message, so the hot path avoids work rather than repeating it: the
cheapest exits come first, each rule word carries everything precomputed, and lookups
in jieba's 500,000-entry dictionary (a trie walk, nlp/trie.py) are made only where small
precomputed sets cannot settle the question. Every shortcut returns exactly what the full
procedure would; the tests compare them on every line of the test sets. The module is
compiled by mypyc when the project is installed (setup.py, docs/decisions/0008), so plain
typed loops beat interpreter tricks here; the source runs unchanged as Python.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import ahocorasick_rs

from nlp.dictionary import Dictionary, keep, load_dictionary, read_kept
from nlp.normalize import MAX_RAW_CHARS, normalize, unsettled_by
from nlp.rules import CATEGORIES, DEFAULT_RULES_PATH, PATTERN_GAP, Pattern, Rule, Rules, load_rules
from nlp.trie import NOT_FOUND

CONFIDENT: Final = 0.75
"""At or above: the bot opens a ticket card straight away."""
POSSIBLE: Final = 0.45
"""At or above (and below CONFIDENT): the bot asks the sender 需要帮您登记报修吗?"""
NONE: Final = "none"
"""Category of every message that is not a request."""

DOMAIN_DICT_PATH = Path(__file__).parent / "data" / "domain_dict.txt"

_JIEBA_BLOCK: Final = re.compile(r"[\u4e00-\u9fd5a-zA-Z0-9+#&._%\-]+")
"""jieba's own re_han_default: it segments each such run of characters independently."""
_BLOCK_ASCII: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+#&._%-")
"""The ASCII characters of _JIEBA_BLOCK; the others are U+4E00..U+9FD5."""
_LATIN_OR_DIGIT_CHARS: Final = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_LATIN_OR_DIGIT: Final = frozenset(_LATIN_OR_DIGIT_CHARS)
"""jieba's re_eng: single characters of this set that it cuts apart are glued back into one word."""
_DICTIONARY_CHECKS_PER_TEXT: Final = 16
"""After this many dictionary checks in one text, segmenting a block is cheaper (long term-dense text)."""

_LOOSE_CUTOFF: Final = -math.log1p(-(POSSIBLE - 0.001))
"""Evidence below which a message cannot reach POSSIBLE: its confidence stays below 0.449, a
margin ~10^12 times the rounding error of adding the same evidence in another order."""
_CLOSE_CALL: Final = 1e-6
"""jieba route values closer than this are decided by cutting the whole rest of the block."""
_BEST_CASE_MATTERS_BELOW: Final = POSSIBLE + 0.002
"""A judged confidence (rounded) from here up implies a best case of at least POSSIBLE + 0.001."""


@dataclass(frozen=True, slots=True)
class Classification:
    """The verdict on one message. ``terms``: the rule words behind it, in text order.

    ``urgent`` and ``subkind`` are set for requests only (a ``none`` is always NOTHING). Where
    the problem is comes from ``nlp.place.extract_place``, asked only when a ticket is made.
    """

    category: str
    confidence: float
    terms: tuple[str, ...] = ()
    urgent: bool = False
    """Danger to people now (trapped in a lift, gas, fire or smoke, flooding, live wires, a fall)."""
    subkind: str | None = None
    """The kind of problem where the rule words make it obvious: lift, water, power, gas, heating,
    door_access (``Classifier.subkind_names`` gives 电梯, 水 ...)."""

    @property
    def is_request(self) -> bool:
        """True when the message should at least trigger the 需要帮您登记报修吗? question."""
        return self.category != NONE


NOTHING: Final = Classification(NONE, 0.0, ())


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A rules-file pattern as the hot path needs it: its bit, category index and evidence."""

    bit: int  # 1 << its index among the patterns
    category: int
    evidence: float
    suffixes: frozenset[str]
    excluded: frozenset[str]  # its exceptions and every category term (those count as terms already)

    @classmethod
    def of(cls, index: int, pattern: Pattern, terms: frozenset[str]) -> _Pattern:
        return cls(
            bit=1 << index,
            category=CATEGORIES.index(pattern.category),
            evidence=-math.log1p(-pattern.weight),
            suffixes=pattern.suffixes,
            excluded=pattern.exceptions | terms,
        )


@dataclass(frozen=True, slots=True, eq=False)
class _Word:
    """One rule word with everything the hot path needs precomputed.

    Each rule word has one object, compared and hashed by identity. ``loose`` is what the word
    adds to the loose bound: the evidence of a term or cue, minus that of a negative cue that no
    longer rule word contains, so that nothing can absorb it (else 0). A predicate adds
    ``objects`` too, where one of ``object_ends`` stands close enough before it.
    """

    text: str
    category: int  # index into CATEGORIES, -1 for shared and negative cues
    evidence: float  # -ln(1 - weight): the noisy-OR becomes a sum
    is_term: bool
    is_negative: bool
    loose: float
    objects: float  # for a predicate: the evidence of the objects its patterns may find
    object_ends: frozenset[str]  # for a predicate: the suffixes of its patterns
    term_bit: int  # 1 << category for a term, else 0
    crossable_before: str  # for a term: characters before it that may join it into a longer word
    crossable_after: str  # for a term: characters after it that may join it into a longer word
    anchors: tuple[_Pattern, ...]  # for a cue: the patterns it is a predicate of

    @classmethod
    def of(cls, rule: Rule, context: _WordContext, anchors: tuple[_Pattern, ...]) -> _Word:
        word = rule.word
        category = CATEGORIES.index(rule.category) if rule.category else -1
        evidence = -math.log1p(-rule.weight)
        is_term = rule.role == "term"
        is_negative = rule.role == "negative"
        sure = is_negative and word not in context.inside_longer_words
        return cls(
            text=word,
            category=category,
            evidence=evidence,
            is_term=is_term,
            is_negative=is_negative,
            loose=-evidence if sure else 0.0 if is_negative else evidence,
            objects=sum(pattern.evidence for pattern in anchors),  # the terms its patterns may find
            object_ends=frozenset().union(*(pattern.suffixes for pattern in anchors)),
            term_bit=1 << category if is_term else 0,
            crossable_before=context.crossable_before(word) if is_term else "",
            crossable_after=context.crossable_after(word) if is_term else "",
            anchors=anchors,
        )

    @classmethod
    def found_by(cls, pattern: _Pattern, text: str) -> _Word:
        """The object a pattern found (卷帘门): a term of the pattern's category for this message."""
        return cls(
            text=text,
            category=pattern.category,
            evidence=pattern.evidence,
            is_term=True,
            is_negative=False,
            loose=0.0,
            objects=0.0,
            object_ends=frozenset(),
            term_bit=1 << pattern.category,
            crossable_before="",
            crossable_after="",
            anchors=(),
        )


@dataclass(frozen=True, slots=True)
class _WordContext:
    """What building a ``_Word`` needs to know about the other rule words and the dictionary."""

    inside_longer_words: frozenset[str]  # rule words that occur inside a longer rule word (吗 in 停水吗)
    before_first: dict[str, str]  # term first character -> characters before it in a dictionary entry
    after_last: dict[str, str]  # term last character -> characters after it in a dictionary entry

    def crossable_before(self, term: str) -> str:
        """Characters that, right before ``term``, may put its start inside a jieba word.

        A dictionary word across the start contains that character followed by the term's first
        one; and jieba glues single Latin letters and digits together. Only block characters
        qualify: jieba cuts between a block character and any other.
        """
        return _crossable(term[0], self.before_first)

    def crossable_after(self, term: str) -> str:
        """Characters that, right after ``term``, may put its end inside a jieba word."""
        return _crossable(term[-1], self.after_last)


def _crossable(edge: str, neighbours: dict[str, str]) -> str:
    """The block characters that may join ``edge``, a term's first or last character, into a jieba word.

    A string rather than a set: ``char in chars`` is as exact, and ~100,000 characters over all
    edges take 0.2 MiB as strings but ~4 MiB as sets; a term edge is checked only for a hit.
    """
    if not _is_block_char(edge):
        return ""
    chars = neighbours.get(edge, "")
    return chars + _LATIN_OR_DIGIT_CHARS if edge in _LATIN_OR_DIGIT else chars  # terms with the same edge share it


_Hit = tuple[int, int, _Word]
"""(start, end, word): one occurrence of a rule word in the normalised text."""
_Verdict = tuple[int, float, list[_Hit]]
"""(category index, confidence, counted hits) of a judged message; category -1: no evidence."""
_NO_VERDICT: Final[_Verdict] = (-1, 0.0, [])
_Match = tuple[int, int, int]
"""(index, start, end): one occurrence of the rule word ``Classifier._words[index]``."""
_DFA: Final = ahocorasick_rs.Implementation.DFA
"""The automata are small (~800 words), so the fastest kind to search costs little memory."""
_SURROGATE: Final = re.compile(f"[{chr(0xD800)}-{chr(0xDFFF)}]")  # mypyc takes no surrogates in literals

_ALL_CATEGORIES: Final = tuple(range(len(CATEGORIES)))
_WITH_TERMS: Final = tuple(tuple(c for c in _ALL_CATEGORIES if bits >> c & 1) for bits in range(1 << len(CATEGORIES)))
"""For each set of categories as bits (bit c: category c has a term), those categories."""


class Classifier:
    """Classifies messages with a validated rule set and jieba's dictionary holding the domain words."""

    def __init__(self, rules: Rules, dictionary: Dictionary) -> None:
        self.rules = rules
        self.segmentations = 0
        """How many messages needed jieba's segmentation; the pre-checks keep this far below the message count."""
        self._dictionary = dictionary
        self._jieba: Any = None
        """A jieba tokenizer on the same dictionary, made on the first ``segment`` (the tests' reference)."""
        self._trie = dictionary.trie
        self._longest_word = dictionary.trie.longest_word
        self._log_total = math.log(dictionary.total)
        terms = rules.term_words()
        before_first, after_last = _adjacent_characters(dictionary, terms)
        context = _WordContext(_inside_longer_words(rules.words()), before_first, after_last)
        patterns = [_Pattern.of(index, pattern, terms) for index, pattern in enumerate(rules.patterns)]
        anchored: dict[str, tuple[_Pattern, ...]] = {}
        for pattern, source in zip(patterns, rules.patterns, strict=True):
            for predicate in source.predicates:
                anchored[predicate] = (*anchored.get(predicate, ()), pattern)
        anchors = sorted(terms | frozenset(anchored))
        """What can make a request: terms, and the predicates of patterns (they may find a term)."""
        self._terms = ahocorasick_rs.AhoCorasick(anchors, implementation=_DFA)
        self._object_ends: list[frozenset[str] | None] = [
            None if word in terms else frozenset().union(*(pattern.suffixes for pattern in anchored[word]))
            for word in anchors
        ]
        """For each word of ``_terms``: None for a term, else the suffixes of the predicate's patterns."""
        self._words = [_Word.of(rule, context, anchored.get(rule.word, ())) for rule in rules.rules]
        """The payload of each rule word, by its index in ``rules.rules`` and in ``_automaton``."""
        self._automaton = ahocorasick_rs.AhoCorasick([rule.word for rule in rules.rules], implementation=_DFA)
        suffixes = "".join("".join(pattern.suffixes) for pattern in rules.patterns)
        self._unsettled = unsettled_by(frozenset("".join(anchors) + suffixes)).search
        """Finds raw characters that normalising might turn into part of a term, a predicate or a suffix."""
        self._signals = len(rules.urgent_signals)
        self._urgency = ahocorasick_rs.AhoCorasick([*rules.urgent_signals, *rules.calm], implementation=_DFA)
        """Urgent signals (indexes below ``_signals``), then the calm words that take them back."""
        self._subkind_of = {word: subkind.key for subkind in rules.subkinds for word in subkind.words}
        self.subkind_names = {subkind.key: subkind.name for subkind in rules.subkinds}
        """Chinese name of each subkind: {"lift": "电梯", "water": "水", ...}."""

    @property
    def version(self) -> str:
        """Version string of the rules file in use."""
        return self.rules.version

    def classify(self, text: str | None) -> Classification:
        """Classify one message; never raises on odd input (None, stickers, emoji-only).

        A ``none`` result always has confidence 0 and no terms: that is what lets the
        pre-checks stop early without looking closer.
        """
        if not text:
            return NOTHING
        raw = text[:MAX_RAW_CHARS]  # all that normalize reads
        if self._may_request(raw):
            normalised = normalize(text)  # should normalising remove the term, the steps below find none
        elif self._unsettled(raw):
            normalised = normalize(text)
            if not self._may_request(normalised):
                return NOTHING
        else:
            return NOTHING  # most chatter: no term in the raw text, and normalising cannot make one
        matches = self._rule_words(normalised)
        # A bound looser than _best_case, before any hit is built: every distinct term counts, no
        # cue is absorbed, and only negative cues that nothing can absorb are subtracted.
        if self._loose_bound(normalised, matches) < _LOOSE_CUTOFF:
            return NOTHING
        hits = self._hits(matches)
        best, confidence, counted = self._judge(normalised, hits)
        if confidence < POSSIBLE:
            return NOTHING
        # The judged confidence never exceeds _best_case (the same evidence or less, the same
        # negatives or more), so the reference's best-case gate can only matter at the threshold.
        if confidence < _BEST_CASE_MATTERS_BELOW and _best_case(hits) < POSSIBLE:
            return NOTHING
        words = _words_of(best, counted)
        urgent, subkind = self.details(normalised, words)
        return Classification(CATEGORIES[best], confidence, words, urgent, subkind)

    def is_urgent(self, text: str | None) -> bool:
        """Whether ``text`` tells of danger to people now: an urgent signal and no calm word.

        ``classify`` sets ``urgent`` this way for requests; this answers for any text.
        """
        return self._urgent(normalize(text))

    def _urgent(self, normalised: str) -> bool:
        signal = False
        for index, _, _ in _scan(self._urgency, normalised, overlapping=True):
            if index >= self._signals:
                return False  # 演练, 救出来了, 万一 ...
            signal = True
        return signal

    def details(self, normalised: str, words: tuple[str, ...]) -> tuple[bool, str | None]:
        """Urgency and subkind of a request: its normalised text and the rule words of its verdict."""
        subkind: str | None = None
        for word in words:
            subkind = self._subkind_of.get(word)
            if subkind is not None:
                break
        return self._urgent(normalised), subkind

    def explain(self, text: str | None) -> Classification:
        """Like ``classify`` without the best-case shortcut: a ``none`` keeps the evidence it had
        (urgency and subkind are left out: they describe requests)."""
        normalised = normalize(text)
        hits = self._find_hits(normalised)
        if not hits:
            return NOTHING
        best, confidence, counted = self._judge(normalised, hits)
        if best < 0:
            return NOTHING
        return Classification(
            CATEGORIES[best] if confidence >= POSSIBLE else NONE, confidence, _words_of(best, counted)
        )

    def mentions_term(self, text: str | None) -> bool:
        """The pre-check alone: does the normalised text contain a category term or a pattern's
        predicate (as a substring)?"""
        normalised = normalize(text)
        return bool(normalised) and self._has_term(normalised)

    def segment(self, text: str) -> list[str]:
        """jieba words of already-normalised text, HMM off (what the word check relies on), cut by jieba itself."""
        if self._jieba is None:
            self._jieba = _jieba_tokenizer(self._dictionary)
        return list(self._jieba.cut(text, HMM=False))

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
        trie = self._trie
        log_total = self._log_total
        dag: list[list[tuple[int, float]]] = []  # per start: (last index, log probability) of each word
        reach = start  # the furthest end of a word starting before `first`
        stop = end
        first = start
        while first < end:
            words: list[tuple[int, float]] = []
            node = trie.child(0, ord(text[first]))
            last = first
            while node != NOT_FOUND:  # the dictionary holds every prefix of its words (frequency 0)
                frequency = trie.frequency(node)
                if frequency:
                    words.append((last, math.log(frequency) - log_total))
                last += 1
                if last == end:
                    break
                node = trie.child(node, ord(text[last]))
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
        trie = self._trie
        longest = self._longest_word
        size = len(text)
        for start in range(position - 1, max(-1, position - longest), -1):
            if not _is_block_char(text[start]):
                break
            end = position + 1
            node = trie.node(text, start, end)
            while node != NOT_FOUND:  # jieba's dictionary also holds every prefix of its words
                if trie.frequency(node):
                    return True
                if end == size or end - start == longest or not _is_block_char(text[end]):
                    break
                node = trie.child(node, ord(text[end]))
                end += 1
        return False

    def _find_hits(self, text: str) -> list[_Hit]:
        """Every rule word in ``text``, by position (longer first); [] when no category term occurs.

        Cues alone never make a request, so a pass of the smaller automaton over the terms comes
        first; most chatter ends there.
        """
        if not text or not self._has_term(text):
            return []
        return self._hits(self._rule_words(text))

    def _may_request(self, text: str) -> bool:
        """Whether ``text`` holds a term, or a predicate with one of its suffixes close before it.

        Where no character is unsettled, normalising only puts spaces in and collapses them, and
        a space ends a pattern's gap: so this on the raw text answers for the normalised one.
        """
        matches = _scan(self._terms, text, overlapping=False)
        if not matches:
            return False
        ends = self._object_ends
        for index, _, _ in matches:
            if ends[index] is None:
                return True
        for index, start, _ in _scan(self._terms, text, overlapping=True):  # rare: predicates only
            suffixes = ends[index]
            if suffixes is None or _suffix_before(text, start, suffixes):
                return True
        return False

    def _has_term(self, text: str) -> bool:
        """Whether a category term occurs in ``text`` (as a substring)."""
        return bool(_scan(self._terms, text, overlapping=False))

    def _rule_words(self, text: str) -> list[_Match]:
        """Every occurrence of every rule word in ``text``, by end."""
        return _scan(self._automaton, text, overlapping=True)

    def _loose_bound(self, text: str, matches: list[_Match]) -> float:
        """The evidence of the distinct rule words matched (and of the objects their patterns may
        find), minus the negative cues nothing can absorb; 0 when there is no term and no
        predicate with one of its suffixes close before it (cues alone never make a request)."""
        words = self._words
        seen: set[int] = set()
        bound = 0.0
        terms = False
        for index, _, _ in matches:
            if index not in seen:
                seen.add(index)
                word = words[index]
                bound += word.loose + word.objects
                if word.is_term:
                    terms = True
        if terms:
            return bound
        for index, start, _ in matches:  # without a term only an object found by a pattern can count
            word = words[index]
            if word.objects and _suffix_before(text, start, word.object_ends):
                return bound
        return 0.0

    def _hits(self, matches: list[_Match]) -> list[_Hit]:
        """``matches`` as hits, sorted by start, longer first."""
        words = self._words
        hits = [(start, end, words[index]) for index, start, end in matches]
        hits.sort(key=_by_start_longer_first)
        return hits

    def _judge(self, text: str, hits: list[_Hit]) -> _Verdict:
        """Score the terms that are whole words (the longest of nested ones) and the cues around them.

        ``hits``: every rule word by start, longer first. A cue inside a longer cue or an accepted
        term does not count (广告 inside 小广告), a term inside a cue does (停水 inside 停水吗), and a
        word repeated in the message counts once. In this order every hit that could contain
        another comes before it, so "inside" is a comparison with the furthest end reached so far.
        """
        size = len(text)
        boundaries: _Boundaries | None = None
        settled: list[int] = []  # edges known to be boundaries, where a segmentation may start
        evidence = [0.0] * len(CATEGORIES)  # of the distinct accepted terms, in text order
        counted: list[_Hit] = []  # those terms, and the distinct cues inside no longer cue or accepted term
        anchors: list[_Hit] = []  # every occurrence of a pattern's predicate that counts as a cue
        accepted: list[_Hit] = []  # every occurrence of an accepted term: no pattern object overlaps one
        seen: set[_Word] = set()
        term_reach = cue_reach = 0
        for hit in hits:
            start, end, word = hit
            if not word.is_term:
                if end > cue_reach:
                    cue_reach = end
                    if end > term_reach:
                        if word.anchors:
                            anchors.append(hit)
                        if word not in seen:
                            seen.add(word)
                            counted.append(hit)
                continue
            if end <= term_reach:
                continue
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
            term_reach = end
            accepted.append(hit)
            if word not in seen:
                seen.add(word)
                evidence[word.category] += word.evidence
                if counted and counted[-1][0] == start:  # a longer cue that starts here: the term goes first
                    counted.insert(-1, hit)
                else:
                    counted.append(hit)
        segmented = boundaries is not None and bool(boundaries.segmented)
        if anchors and self._find_objects(text, anchors, accepted, evidence, counted):
            segmented = True
        if segmented:
            self.segmentations += 1
        return _score(evidence, counted) if any(evidence) else _NO_VERDICT  # cues count only for a category with a term

    def _find_objects(
        self, text: str, anchors: list[_Hit], accepted: list[_Hit], evidence: list[float], counted: list[_Hit]
    ) -> bool:
        """Let each pattern find its object before the first of its predicates that has one.

        The object's evidence goes to the pattern's category once, and the object joins
        ``counted`` as a term. Returns whether jieba's segmentation had to run.
        """
        words = _Words(self, text, accepted)
        found = 0  # bits of the patterns that found an object
        for start, _, word in anchors:
            for pattern in word.anchors:
                if found & pattern.bit:
                    continue
                span = words.object_before(start, pattern)
                if span is not None:
                    found |= pattern.bit
                    evidence[pattern.category] += pattern.evidence
                    _insert_term(counted, (span[0], span[1], _Word.found_by(pattern, text[span[0] : span[1]])))
        return words.segmented


class _Words:
    """The jieba words (HMM off) that end before a predicate in one text, found lazily.

    A word's end is settled without jieba where no dictionary word crosses it; a one-character
    word where that holds on both sides. Otherwise jieba's segmentation runs from the nearest
    position before that no dictionary word crosses, as in ``_Boundaries``.
    """

    __slots__ = ("_accepted", "_classifier", "_text", "segmented")

    def __init__(self, classifier: Classifier, text: str, accepted: list[_Hit]) -> None:
        self._classifier = classifier
        self._text = text
        self._accepted = accepted
        self.segmented = False

    def object_before(self, start: int, pattern: _Pattern) -> tuple[int, int] | None:
        """The nearest jieba word ending in one of ``pattern``'s suffixes at most PATTERN_GAP
        block characters before ``start``, unless it is an exception or a term; none when an
        accepted term comes first (the term names that thing: 东门道闸坏了 is about 道闸) or the
        word overlaps one."""
        text = self._text
        suffixes = pattern.suffixes
        end = start
        while end > 0 and start - end <= PATTERN_GAP:
            if end < start and not _is_block_char(text[end]):
                return None  # the gap runs across punctuation or a space
            if _covers(self._accepted, end - 1):
                return None  # the nearest thing before the predicate is a term that counts
            if text[end - 1] in suffixes:
                begin = self._word_ending_at(end)
                if begin >= 0 and text[begin:end] not in pattern.excluded:
                    return None if _overlaps_any((begin, end), self._accepted) else (begin, end)
            end -= 1
        return None

    def _word_ending_at(self, end: int) -> int:
        """The start of the jieba word that ends at ``end`` (after a block character), or -1 if
        jieba puts no boundary there."""
        classifier = self._classifier
        text = self._text
        if classifier.is_certain_boundary(text, end) and classifier.is_certain_boundary(text, end - 1):
            return end - 1
        begin = end - 1  # back to a position no dictionary word crosses: jieba's route from there is exact
        while not classifier.is_certain_boundary(text, begin):
            begin -= 1
        block_end = _JIEBA_BLOCK.match(text, end - 1).end()  # type: ignore[union-attr]
        offsets = classifier._jieba_offsets(text, begin, block_end, end)[1]
        self.segmented = True
        if end not in offsets:
            return -1
        return max([offset for offset in offsets if offset < end])


def _covers(hits: list[_Hit], position: int) -> bool:
    """Whether one of ``hits`` holds the character at ``position``."""
    for start, end, _ in hits:  # noqa: SIM110 (no generator object)
        if start <= position < end:
            return True
    return False


def _inside_longer_words(words: list[str]) -> frozenset[str]:
    """The words that occur inside another, longer one of ``words`` (吗 inside 停水吗)."""
    automaton = ahocorasick_rs.AhoCorasick(words)
    found = (
        (word, words[index])
        for word in words
        for index, _, _ in automaton.find_matches_as_indexes(word, overlapping=True)
    )
    return frozenset(inner for word, inner in found if inner != word)


def _adjacent_characters(dictionary: Dictionary, terms: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """For each first character of a term, the characters before it inside some dictionary entry;
    for each last character of a term, the characters after it.

    A dictionary word across the position between characters ``x`` and ``y`` contains ``xy``;
    at a term's start ``y`` is its first character, at its end ``x`` is its last one. So a term
    edge whose neighbour is not in these tables is a word boundary without any dictionary lookup.
    These strings are small enough to stay in the CPU cache, while every lookup in the 500,000-entry
    dictionary is a cache miss. Computing them takes two regex passes over all entries (~0.4 s
    and tens of MiB of short-lived strings), so the result is kept in a cache file beside
    the dictionary's, named by the dictionary's digest and the term edges (_adjacency_cache_path).
    """
    terms = list(terms)
    lasts = "".join(sorted({term[-1] for term in terms}))
    firsts = "".join(sorted({term[0] for term in terms}))
    cache = _adjacency_cache_path(dictionary.digest, firsts, lasts)
    stored = _read_adjacency(cache)
    if stored is not None:
        return stored
    after_last: list[str] = []
    before_first: list[str] = []  # "yx" for x before y
    for pair in dictionary.trie.adjacent_characters():
        if pair[0] in lasts:
            after_last.append(pair)
        if pair[1] in firsts:
            before_first.append(pair[::-1])
    before, after = _neighbours(before_first), _neighbours(after_last)
    keep(cache, (before, after), "adjacency")
    return before, after


_ADJACENCY_FORMAT: Final = b"linli-adjacency-2\n"
"""Part of the cache file's digest: change it when what the file holds changes."""


def _adjacency_cache_path(dictionary_digest: str, firsts: str, lasts: str) -> Path:
    """The cache file for this dictionary and these term edges: a digest of all three names it,
    so a changed dictionary or rule set never reads another's tables."""
    digest = hashlib.sha256(_ADJACENCY_FORMAT)
    for part in (dictionary_digest, firsts, lasts):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return Path(tempfile.gettempdir()) / f"linli-nlp-adjacency-{digest.hexdigest()[:32]}.cache"


def _read_adjacency(path: Path) -> tuple[dict[str, str], dict[str, str]] | None:
    """The tables kept in ``path``, or None when it is missing, unreadable or not of the expected shape."""
    data = read_kept(path)
    if not (isinstance(data, tuple) and len(data) == 2 and all(_is_neighbour_table(table) for table in data)):
        return None
    before: dict[str, str] = data[0]
    after: dict[str, str] = data[1]
    return before, after


def _is_neighbour_table(table: object) -> bool:
    """Whether ``table`` is {character: characters}, as the adjacency tables are kept."""
    if not isinstance(table, dict):
        return False
    return all(isinstance(key, str) and isinstance(value, str) for key, value in table.items())


def _neighbours(pairs: list[str]) -> dict[str, str]:
    """Two-character strings as {first character: the second characters that are block characters,
    sorted}; jieba always cuts between a block character and any other."""
    neighbours: dict[str, set[str]] = {}
    for pair in set(pairs):
        if _is_block_char(pair[1]):
            neighbours.setdefault(pair[0], set()).add(pair[1])
    return {char: "".join(sorted(chars)) for char, chars in neighbours.items()}


def _scan(automaton: Any, text: str, overlapping: bool) -> list[_Match]:
    """``automaton``'s matches in ``text``. Lone surrogates (which Telegram's JSON may carry) are
    not UTF-8, so the automaton is shown U+FFFD in their place: the same length, and no rule word
    holds either character."""
    try:
        matches: list[_Match] = automaton.find_matches_as_indexes(text, overlapping=overlapping)
    except UnicodeEncodeError:
        matches = automaton.find_matches_as_indexes(_SURROGATE.sub("\ufffd", text), overlapping=overlapping)
    return matches


def _suffix_before(text: str, start: int, suffixes: frozenset[str]) -> bool:
    """Whether one of ``suffixes`` stands where a pattern's object before ``start`` could end."""
    for position in range(max(0, start - PATTERN_GAP - 1), start):  # noqa: SIM110 (no generator object)
        if text[position] in suffixes:
            return True
    return False


def _overlaps_any(span: tuple[int, int], hits: list[_Hit]) -> bool:
    """Whether ``span`` shares a character with any of ``hits``."""
    begin, end = span
    return any(start < end and begin < stop for start, stop, _ in hits)


def _insert_term(counted: list[_Hit], hit: _Hit) -> None:
    """Put a found object into ``counted`` in text order: after the terms that start where it
    does, before the cues."""
    start = hit[0]
    index = len(counted)
    while index:
        before, _, word = counted[index - 1]
        if before < start or (before == start and word.is_term):
            break
        index -= 1
    counted.insert(index, hit)


def _by_start_longer_first(hit: _Hit) -> tuple[int, int]:
    return hit[0], -hit[1]


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

    __slots__ = ("_checks", "_classifier", "_settled", "_text", "segmented")

    def __init__(self, classifier: Classifier, text: str, settled: list[int]) -> None:
        self._classifier = classifier
        self._text = text
        self._settled = settled  # shared with the caller, who adds the positions it settles
        self._checks = 0
        self.segmented: dict[tuple[int, int], set[int]] = {}
        """Boundary offsets of each (start, stop) range segmented so far."""

    def is_boundary(self, position: int) -> bool:
        """Whether jieba cuts at ``position``, which lies between two block characters."""
        text = self._text
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
        start = position - _JIEBA_BLOCK.match(text[position - 1 :: -1]).end()  # type: ignore[union-attr]
        for settled in self._settled:  # no word crosses a settled position: start there
            if start < settled < position:
                start = settled
        end = _JIEBA_BLOCK.match(text, position).end()  # type: ignore[union-attr]
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
    found = 0  # bits of the patterns whose object is counted as found
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
            for pattern in word.anchors:  # every pattern with a predicate here may find its object
                if not found & pattern.bit:
                    found |= pattern.bit
                    evidence[pattern.category] += pattern.evidence
                    with_terms |= 1 << pattern.category
        if end > reach:
            reach = end
    best = max(evidence[category] for category in _WITH_TERMS[with_terms]) + shared
    penalty = sum(negatives)
    return round(-math.expm1(penalty - best), 3) if best > penalty else 0.0  # rounded like _score


def _score(evidence: list[float], counted: list[_Hit]) -> _Verdict:
    """Add the cues to the terms' ``evidence``, pick the category with most and turn it into a
    confidence in [0, 1].

    A category cue counts only for a category with a term, a shared cue for every such category;
    negative cues subtract from the balance. ``counted``: the distinct terms and cues by start,
    a term before a cue that starts with it.
    """
    penalty = 0.0
    for hit in counted:
        word = hit[2]
        if word.is_term:
            continue
        if word.is_negative:
            penalty += word.evidence
        elif word.category >= 0:
            if evidence[word.category]:  # the category has a term
                evidence[word.category] += word.evidence
        else:
            for category in _ALL_CATEGORIES:
                if evidence[category]:
                    evidence[category] += word.evidence
    best = evidence.index(max(evidence))  # the first of equals
    balance = evidence[best] - penalty
    confidence = _round3(-math.expm1(-balance)) if balance > 0 else 0.0
    return best, confidence, counted


def _words_of(best: int, counted: list[_Hit]) -> tuple[str, ...]:
    """The rule words behind a verdict for category ``best``, in text order (shared and negative cues: -1)."""
    return tuple([hit[2].text for hit in counted if hit[2].category in (best, -1)])


def _round3(value: float) -> float:
    """``round(value, 3)`` for values in [0, 1], without its decimal conversion when the third
    decimal is not a near tie: ``value * 1000`` is then off by < 1e-12, far from a half."""
    scaled = value * 1000.0
    nearest = math.floor(scaled + 0.5)
    if abs(scaled - nearest) < 0.4999:
        return nearest / 1000.0
    return round(value, 3)


def load_classifier(
    rules_path: Path | str = DEFAULT_RULES_PATH, dictionary_path: Path | str = DOMAIN_DICT_PATH
) -> Classifier:
    """Build a classifier: load and validate the rules, load jieba's dictionary with the domain words."""
    return Classifier(load_rules(rules_path), load_dictionary(Path(dictionary_path)))


def _jieba_tokenizer(dictionary: Dictionary) -> Any:
    """A private jieba tokenizer (the global one stays untouched) that segments with ``dictionary``."""
    import jieba  # deferred: the bot never segments with jieba itself, and importing it takes ~0.3 s

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = dictionary.frequencies(), dictionary.total, True
    return tokenizer


@functools.cache
def default_classifier() -> Classifier:
    """The shared classifier built from the packaged rules, created on first use."""
    return load_classifier()


def classify(text: str | None) -> Classification:
    """Classify one message with the default classifier (what the bot and the CLI use)."""
    return default_classifier().classify(text)
