"""The classifier's speed-ups change no result.

Three independent checks:

* ``tests/data/classify_expected.jsonl`` holds ``classify`` and ``explain`` of every line of the
  chatter and dev sets, written by the classifier as it was before the speed-ups;
* ``SlowReference`` below is that classifier's algorithm kept as plain code (the original
  normalisation, every rule word's hits sorted up front, the best-case gate, jieba over the whole
  text for the word check, the original scoring), compared on the test sets and on thousands of
  generated messages dense in rule words, nesting, repeats, negatives, Latin and digits;
* each shortcut on its own: the NFKC fast path, the raw pre-check's "unsettled" characters, the
  automaton's hits, the characters that may join a term into a longer word, the reimplemented
  and partial jieba segmentation, the rounding.

The suite runs on the modules as mypyc compiled them; the last tests check that they are
compiled, and that their Python source, run as Python, gives the same results.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import marshal
import math
import os
import random
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from nlp import POSSIBLE, Classification, Classifier, load_classifier
from nlp import classifier as classifier_module
from nlp import normalize as normalize_module
from nlp.classifier import _JIEBA_BLOCK, NOTHING
from nlp.dictionary import Dictionary
from nlp.normalize import (
    _BRACKET_EMOTICON,
    _EMOJI,
    _EVERYDAY_RANGES,
    _LATIN_MENTION,
    _NAME_MENTION,
    _RAW_SLACK,
    _T2S,
    _TRADITIONAL,
    _URL,
    MAX_CHARS,
    MAX_RAW_CHARS,
    _nfkc,
    normalize,
)
from nlp.rules import CATEGORIES, PATTERN_GAP

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
EXPECTED = DATA / "classify_expected.jsonl"
COMPLAINTS = ROOT.parent / "shared" / "data" / "complaints" / "labeled_real.jsonl"


def texts_of(path: Path) -> list[str]:
    return [json.loads(line)["text"] or "" for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


CHATTER = texts_of(DATA / "chatter.jsonl")
DEV = texts_of(DATA / "requests_dev.jsonl")
FAMILIES = texts_of(DATA / "families_dev.jsonl")


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return load_classifier()


def as_record(result: Classification) -> list[Any]:
    return [result.category, result.confidence, list(result.terms)]


def details(result: Classification) -> list[Any]:
    """What a request says beyond its category: urgent and subkind."""
    return [result.urgent, result.subkind]


# ---------------------------------------------------------------- the stored results from before


def test_results_equal_those_stored_before_the_speed_ups(classifier: Classifier) -> None:
    rows = [json.loads(line) for line in EXPECTED.read_text(encoding="utf-8").splitlines()]
    assert [row["text"] for row in rows] == CHATTER + DEV + FAMILIES  # every line of the three files, in order
    for row in rows:
        result = classifier.classify(row["text"])
        assert as_record(result) == row["classify"], row
        assert details(result) == row["details"], row
        assert as_record(classifier.explain(row["text"])) == row["explain"], row


# ---------------------------------------------------------------- the slow reference


def reference_normalize(text: str | None, max_chars: int = MAX_CHARS) -> str:
    """nlp.normalize.normalize before the speed-ups."""
    if not text:
        return ""
    text = text[: max_chars * _RAW_SLACK]
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _LATIN_MENTION.sub(" ", _NAME_MENTION.sub(" ", text))
    text = _EMOJI.sub(" ", text)
    if "[" in text:
        text = _BRACKET_EMOTICON.sub(" ", text)
    if _TRADITIONAL.search(text):
        text = text.translate(_T2S)
    return " ".join(text.split())[:max_chars]


RefWord = tuple[str, str, int, float]  # text, role, category (-1: shared or negative), evidence
RefHit = tuple[int, int, RefWord]


def occurrences(word: str, text: str) -> list[int]:
    """Every start of ``word`` in ``text``, overlapping ones included."""
    starts = []
    start = text.find(word)
    while start >= 0:
        starts.append(start)
        start = text.find(word, start + 1)
    return starts


class SlowReference:
    """The classifier's algorithm before the speed-ups, as plain code (substring search and jieba)."""

    def __init__(self, fast: Classifier) -> None:
        self.segment = fast.segment
        self.details = fast.details  # urgency and subkind: not what the speed-ups changed
        self.words: list[RefWord] = []
        for rule in fast.rules.rules:
            category = CATEGORIES.index(rule.category) if rule.category else -1
            self.words.append((rule.word, rule.role, category, -math.log1p(-rule.weight)))
        self.term_words = fast.rules.term_words()
        self.patterns = fast.rules.patterns
        self.predicates = {predicate for pattern in self.patterns for predicate in pattern.predicates}

    def classify(self, text: str | None) -> Classification:
        normalised = reference_normalize(text)
        hits = self.hits(normalised)
        if not hits or self.best_case(hits) < POSSIBLE:
            return NOTHING
        result = self.judge(normalised, hits)
        if not result.is_request:
            return NOTHING
        urgent, subkind = self.details(normalised, result.terms)
        return Classification(result.category, result.confidence, result.terms, urgent, subkind)

    def explain(self, text: str | None) -> Classification:
        normalised = reference_normalize(text)
        hits = self.hits(normalised)
        return self.judge(normalised, hits) if hits else NOTHING

    def hits(self, text: str) -> list[RefHit]:
        anchors = [word for word in self.words if word[1] == "term" or word[0] in self.predicates]
        if not text or not any(word[0] in text for word in anchors):
            return []
        hits = [(start, start + len(word[0]), word) for word in self.words for start in occurrences(word[0], text)]
        return sorted(hits, key=lambda hit: (hit[0], -hit[1]))

    def judge(self, text: str, hits: list[RefHit]) -> Classification:
        words_at: dict[int, str] = {}  # jieba over the whole text, HMM off: end offset -> word
        position = 0
        for word in self.segment(text):
            position += len(word)
            words_at[position] = word
        boundaries = {0, *words_at}
        whole = [hit for hit in hits if hit[2][1] == "term" and hit[0] in boundaries and hit[1] in boundaries]
        terms = [hit for hit in whole if not any(inside(hit, other) for other in whole)]
        cues = [hit for hit in hits if hit[2][1] != "term"]
        kept = without_nested_cues(sorted(terms + cues, key=lambda hit: (hit[0], -hit[1])))
        kept_cues = [hit for hit in kept if hit[2][1] != "term"]
        return score(terms, self.objects(text, words_at, terms, kept_cues), kept_cues)

    def objects(self, text: str, words_at: dict[int, str], terms: list[RefHit], cues: list[RefHit]) -> list[RefHit]:
        """For each pattern, the word before the first of its predicates (as cues, in text order)
        that ends in one of its suffixes at most PATTERN_GAP block characters before it, none
        for that predicate if a term that counts comes first or the word overlaps one."""
        found: list[RefHit] = []
        done: set[int] = set()
        for start, _, (predicate, _, _, _) in cues:
            for index, pattern in enumerate(self.patterns):
                if index in done or predicate not in pattern.predicates:
                    continue
                for end in range(start, max(0, start - PATTERN_GAP - 1), -1):
                    if end == 0 or not _JIEBA_BLOCK.fullmatch(text[end:start] or "x"):
                        break
                    if any(first <= end - 1 < last for first, last, _ in terms):
                        break  # a term that counts comes first
                    word = words_at.get(end, "")
                    if word[-1:] in pattern.suffixes and word not in pattern.exceptions | self.term_words:
                        begin = end - len(word)
                        if not any(first < end and begin < last for first, last, _ in terms):
                            category = CATEGORIES.index(pattern.category)
                            found.append((begin, end, (word, "term", category, -math.log1p(-pattern.weight))))
                            done.add(index)
                        break
        return found

    def best_case(self, hits: list[RefHit]) -> float:
        evidence = [0.0] * len(CATEGORIES)
        has_term = [False] * len(CATEGORIES)
        shared = 0.0
        seen: set[str] = set()
        patterns_seen: set[int] = set()
        for _, _, (text, role, category, weight) in hits:
            if text in seen or role == "negative":
                continue
            seen.add(text)
            if category < 0:
                shared += weight
            else:
                evidence[category] += weight
                has_term[category] |= role == "term"
            for index, pattern in enumerate(self.patterns):
                if text in pattern.predicates and index not in patterns_seen:
                    patterns_seen.add(index)
                    evidence[CATEGORIES.index(pattern.category)] += -math.log1p(-pattern.weight)
                    has_term[CATEGORIES.index(pattern.category)] = True
        best = max(evidence[category] for category in range(len(CATEGORIES)) if has_term[category]) + shared
        negatives: list[RefHit] = []
        seen_negatives: set[str] = set()
        for hit in without_nested_cues(hits):
            if hit[2][1] == "negative" and hit[2][0] not in seen_negatives:
                seen_negatives.add(hit[2][0])
                negatives.append(hit)
        penalty = sum(hit[2][3] for hit in negatives)
        return round(-math.expm1(penalty - best), 3) if best > penalty else 0.0


def inside(hit: RefHit, other: RefHit) -> bool:
    return other[0] <= hit[0] and hit[1] <= other[1] and other[1] - other[0] > hit[1] - hit[0]


def without_nested_cues(hits: list[RefHit]) -> list[RefHit]:
    kept: list[RefHit] = []
    reach = -1
    for hit in hits:
        if hit[2][1] == "term" or hit[1] > reach:
            kept.append(hit)
        reach = max(reach, hit[1])
    return kept


def score(terms: list[RefHit], objects: list[RefHit], cues: list[RefHit]) -> Classification:
    evidence = [0.0] * len(CATEGORIES)
    used: list[list[RefHit]] = [[] for _ in CATEGORIES]
    seen: set[str] = set()
    for hit in terms:
        text, _, category, weight = hit[2]
        if text not in seen:
            seen.add(text)
            evidence[category] += weight
            used[category].append(hit)
    for hit in objects:  # found by patterns: terms for this message
        evidence[hit[2][2]] += hit[2][3]
        used[hit[2][2]].append(hit)
    negatives: list[RefHit] = []
    penalty = 0.0
    for hit in cues:
        text, role, category, weight = hit[2]
        if text in seen:
            continue
        seen.add(text)
        if role == "negative":
            negatives.append(hit)
            penalty += weight
            continue
        for each in (category,) if category >= 0 else range(len(CATEGORIES)):
            if used[each]:
                evidence[each] += weight
                used[each].append(hit)
    best = max(range(len(CATEGORIES)), key=evidence.__getitem__)
    if not evidence[best]:
        return NOTHING
    balance = evidence[best] - penalty
    confidence = round(-math.expm1(-balance), 3) if balance > 0 else 0.0
    words = tuple(hit[2][0] for hit in sorted(used[best] + negatives, key=lambda hit: hit[0]))
    return Classification(CATEGORIES[best] if confidence >= POSSIBLE else "none", confidence, words)


DECORATION = [
    "，",
    "。",
    "！",
    "？",
    " ",
    "  ",
    "\n",
    "😡",
    "👍🏻",
    "[捂脸]",
    "@张三 ",
    "@zhang_san",
    "http://x.cn/a?b=1",
]
ODD = ["ab", "12", "x", "3", "ktv", "ＫＴＶ", "１２", "電梯", "樓道", "壞了", "口", "间", "门"]
ODD += ["\u2005", "\u3000", "①", "㎡", "ﬁ", "é"]


def generated_messages(classifier: Classifier, count: int, seed: int) -> Iterator[str]:
    """Messages built from rule words, pieces of the test sets, punctuation, Latin and digits."""
    rng = random.Random(seed)
    words = classifier.rules.words()
    pieces = [text for text in CHATTER + DEV if text]
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 9)):
            pick = rng.random()
            if pick < 0.5:
                parts.append(rng.choice(words))
            elif pick < 0.75:
                piece = rng.choice(pieces)
                start = rng.randrange(len(piece))
                parts.append(piece[start : start + rng.randint(1, 12)])
            elif pick < 0.9:
                parts.append(rng.choice(ODD))
            else:
                parts.append(rng.choice(DECORATION))
        yield "".join(parts)


def test_the_test_sets_give_what_the_slow_reference_gives(classifier: Classifier) -> None:
    reference = SlowReference(classifier)
    for text in CHATTER + DEV + FAMILIES:
        assert classifier.classify(text) == reference.classify(text), text
        assert classifier.explain(text) == reference.explain(text), text


def test_generated_messages_give_what_the_slow_reference_gives(classifier: Classifier) -> None:
    reference = SlowReference(classifier)
    requests = 0
    for text in generated_messages(classifier, 4000, seed=20240601):
        expected = reference.classify(text)
        assert classifier.classify(text) == expected, text
        assert classifier.explain(text) == reference.explain(text), text
        requests += expected.is_request
    assert requests > 1000  # the generator exercises the scoring, not only the early exits


PATTERN_OBJECTS = [
    "卷帘门", "信报箱", "消防管", "显示屏", "晾衣架", "大门", "部门", "不管", "冰箱门", "门", "管", "灯",
    "电梯门", "道闸", "东门道闸", "鸽子屎", "狗粪", "落叶", "香味", "咸鱼味", "垃圾袋", "水泥", "3号门",
    "ab门", "盖板", "膝盖", "楼道灯", "卫生间灯", "路灯杆", "雪", "积雪", "油渍", "喷淋管",
]  # fmt: skip
PATTERN_GAPS = ["", "", "", "又", "都", "一直", "在", "今天又", "的那个又", "昨天开始就", "了", "，", " ", "1"]


def pattern_messages(classifier: Classifier, count: int, seed: int) -> Iterator[str]:
    """Objects of every kind (outside the lists, exceptions, terms, nested) before predicates,
    with gaps of every length, amid pieces of the test sets and other rule words."""
    rng = random.Random(seed)
    predicates = sorted({word for pattern in classifier.rules.patterns for word in pattern.predicates})
    words = classifier.rules.words()
    pieces = [text for text in CHATTER + DEV + FAMILIES if text]
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.3:
                piece = rng.choice(pieces)
                start = rng.randrange(len(piece))
                parts.append(piece[start : start + rng.randint(1, 8)])
            parts += [rng.choice(PATTERN_OBJECTS), rng.choice(PATTERN_GAPS), rng.choice(predicates)]
            if rng.random() < 0.3:
                parts.append(rng.choice(words))
        yield "".join(parts)


def test_pattern_objects_give_what_the_slow_reference_gives(classifier: Classifier) -> None:
    reference = SlowReference(classifier)
    rule_words = set(classifier.rules.words())
    found = 0
    for text in pattern_messages(classifier, 4000, seed=43):
        expected = reference.classify(text)
        assert classifier.classify(text) == expected, text
        assert classifier.explain(text) == reference.explain(text), text
        found += any(term not in rule_words for term in expected.terms)
    assert found > 1000  # objects outside the word lists were found, not only the early exits


@pytest.mark.skipif(not COMPLAINTS.is_file(), reason="shared complaint set not available")
def test_long_complaint_letters_give_what_the_slow_reference_gives(classifier: Classifier) -> None:
    reference = SlowReference(classifier)
    for text in texts_of(COMPLAINTS):
        assert classifier.classify(text) == reference.classify(text), text


# ---------------------------------------------------------------- each shortcut on its own


def test_normalize_equals_the_reference_normalisation(classifier: Classifier) -> None:
    for text in [*CHATTER, *DEV, *FAMILIES, *generated_messages(classifier, 2000, seed=7)]:
        assert normalize(text) == reference_normalize(text), text


def terms_in(classifier: Classifier, text: str) -> set[str]:
    """The category terms that occur in ``text`` (as substrings)."""
    return {term for term in classifier.rules.term_words() if term in text}


SETTLED_ALPHABET = "电梯坏了灯狗臭吵脏楼道垃圾桶ktv，。！？：；（）、…“”\u3000\u2005 \n@:w[]/abcABC123😀👍\ufe0f"
UNSETTLED_ALPHABET = "KTV電樓燈ＫｋⓚⅤ⼈㊋\u0301é"


def test_where_no_character_is_unsettled_normalising_brings_no_term(classifier: Classifier) -> None:
    """The raw pre-check may skip normalising: no unsettled character, no term in the raw text, none after."""
    rng = random.Random(23)
    samples = [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        for alphabet in (SETTLED_ALPHABET, SETTLED_ALPHABET + UNSETTLED_ALPHABET)
        for _ in range(10_000)
    ]
    skipped = 0
    for text in [*samples, *CHATTER, *DEV, *generated_messages(classifier, 3000, seed=29)]:
        raw = text[:MAX_RAW_CHARS]
        if not classifier._unsettled(raw):
            skipped += 1
            assert terms_in(classifier, normalize(text)) <= terms_in(classifier, raw), text
    assert skipped > 10_000


def test_unsettled_characters_are_few_in_chat(classifier: Classifier) -> None:
    plain = [text for text in CHATTER if not classifier.mentions_term(text)]
    assert sum(bool(classifier._unsettled(text)) for text in plain) < 0.2 * len(plain)
    assert all(classifier._unsettled(char) for char in UNSETTLED_ALPHABET)
    assert not any(classifier._unsettled(char) for char in SETTLED_ALPHABET)


def test_everyday_characters_that_pass_normalise_on_their_own_and_clear_of_terms(classifier: Classifier) -> None:
    """No combining marks, nothing that composes with a neighbour, no term character unless itself."""
    term_characters = set("".join(classifier.rules.term_words()))
    neighbours = ["k", "电", "a", "e", "Ａ", "，", "😀", " "]  # everyday characters themselves
    nfkc = functools.partial(unicodedata.normalize, "NFKC")
    for first, last in _EVERYDAY_RANGES:
        for char in map(chr, range(first, last + 1)):
            if classifier._unsettled(char):
                continue
            decomposed = unicodedata.normalize("NFKD", char)
            assert not any(map(unicodedata.combining, decomposed)), ascii(char)
            for other in neighbours:
                assert nfkc(other + char) == nfkc(other) + nfkc(char), ascii(char)
                assert nfkc(char + other) == nfkc(char) + nfkc(other), ascii(char)
            if char not in term_characters:
                assert term_characters.isdisjoint(normalize(char)), ascii(char)
                assert term_characters.isdisjoint(decomposed.lower().translate(_T2S)), ascii(char)


def test_lone_surrogates_and_odd_code_points_give_what_the_slow_reference_gives(classifier: Classifier) -> None:
    reference = SlowReference(classifier)
    for text in ["电梯坏了\ud83d", "\udc00楼道灯坏了", "停水了\U0010ffff", "\x00电梯坏了\x00", "楼上装修\ufffd吵死了"]:
        assert classifier.classify(text) == reference.classify(text), ascii(text)
        assert classifier.explain(text) == reference.explain(text), ascii(text)


def test_round3_equals_round() -> None:
    rng = random.Random(31)
    values = [rng.random() for _ in range(200_000)] + [k / 1000 + d for k in range(1001) for d in (0.0, 5e-4, -5e-4)]
    values += [-math.expm1(-sum(rng.random() for _ in range(rng.randint(1, 5)))) for _ in range(50_000)]
    for value in values:
        if 0.0 <= value <= 1.0:
            assert classifier_module._round3(value) == round(value, 3), value


def test_fast_nfkc_equals_unicodedata() -> None:
    rng = random.Random(5)
    alphabet = "电梯坏了，？！：（）；。、A１ａ\u3000\u2005\u00a0①㎡ﬁé\u0301\u0308e\u1100\u1161\uac00ｶﾞ"
    samples = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    for text in [*samples, *CHATTER, *DEV]:
        assert _nfkc(text) == unicodedata.normalize("NFKC", text), ascii(text)


def term_edges(classifier: Classifier, text: str) -> Iterator[tuple[int, frozenset[str], int]]:
    """(position, characters that may join the term there, offset of the neighbour) of every term edge."""
    for start, end, word in classifier._find_hits(text):
        if word.is_term:
            if start > 0:
                yield start, word.crossable_before, start - 1
            if end < len(text):
                yield end, word.crossable_after, end


def test_term_edges_settled_by_their_neighbour_are_certain_boundaries(classifier: Classifier) -> None:
    texts = [normalize(text) for text in [*CHATTER, *DEV, *FAMILIES, *generated_messages(classifier, 3000, seed=11)]]
    settled = 0
    for text in texts:
        for position, crossable, neighbour in term_edges(classifier, text):
            if text[neighbour] not in crossable:
                settled += 1
                assert classifier.is_certain_boundary(text, position), (text, position)
    assert settled > 5000


def test_hits_are_every_occurrence_of_every_rule_word_by_start_longer_first(classifier: Classifier) -> None:
    words = classifier.rules.words()
    for text in [
        normalize(text) for text in [*CHATTER, *DEV, *FAMILIES, *generated_messages(classifier, 2000, seed=19)]
    ]:
        if classifier.mentions_term(text):
            expected = sorted((start, start + len(word), word) for word in words for start in occurrences(word, text))
            hits = classifier._find_hits(text)
            assert sorted((start, end, word.text) for start, end, word in hits) == expected, text
            assert hits == sorted(hits, key=lambda hit: (hit[0], -hit[1])), text


def test_lone_surrogates_are_scanned_around(classifier: Classifier) -> None:
    text = "电梯\ud83d坏了"
    assert [(start, end, word.text) for start, end, word in classifier._find_hits(text)] == [
        (0, 2, "电梯"),
        (3, 5, "坏了"),
    ]


def blocks(texts: list[str]) -> list[str]:
    return sorted({match.group() for text in texts for match in _JIEBA_BLOCK.finditer(normalize(text))})


def test_block_segmentation_equals_jieba(classifier: Classifier) -> None:
    rng = random.Random(3)
    alphabet = "电梯口坏了垃圾桶短信楼道灯间卫生热狗臭豆腐单元门禁的了在是ab1x9我家天花板漏水"
    noise = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20))) for _ in range(3000)]
    for block in blocks([*CHATTER, *DEV, *FAMILIES, *generated_messages(classifier, 1000, seed=13)]) + noise:
        assert classifier.block_boundaries(block) == classifier.word_boundaries(block), block


@pytest.mark.parametrize("close_call", [classifier_module._CLOSE_CALL, math.inf])
def test_segmenting_part_of_a_block_equals_segmenting_all_of_it(
    classifier: Classifier, close_call: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From any position no word crosses, up to where the route is sure to pass, for every edge.

    With ``close_call`` infinite every partial cut counts as a close call: the fallback runs.
    """
    monkeypatch.setattr(classifier_module, "_CLOSE_CALL", close_call)
    for block in blocks([*CHATTER, *DEV, *FAMILIES, *generated_messages(classifier, 300, seed=17)]):
        full = classifier.block_boundaries(block)
        starts = [0] + [p for p in range(1, len(block)) if classifier.is_certain_boundary(block, p)]
        for start in starts:
            for position in range(start + 1, len(block)):
                stop, offsets = classifier._jieba_offsets(block, start, len(block), position)
                assert position < stop <= len(block), (block, start, position)
                assert offsets == {offset for offset in full if start <= offset <= stop}, (block, start, position)


def test_exact_ties_go_to_the_longer_word_as_in_jieba(classifier: Classifier, tmp_path: Path) -> None:
    """甲乙|丙 and 甲|乙丙 score exactly alike here: jieba's max() over (value, end) takes the
    longer first word, and the partial segmentation must notice the tie and cut everything."""
    import jieba

    dictionary = tmp_path / "dict.txt"
    dictionary.write_text("甲 10\n丙 10\n甲乙 5\n乙丙 5\n乙 1\n丁 7\n", encoding="utf-8")
    tokenizer = jieba.Tokenizer(str(dictionary))
    tokenizer.tmp_dir = str(tmp_path)
    tokenizer.initialize()
    tiny = Classifier(classifier.rules, Dictionary.of(tokenizer.FREQ, tokenizer.total))
    assert tiny.segment("甲乙丙") == ["甲乙", "丙"]  # (log 5 - L) + (log 10 - L) either way round
    for block in ["甲乙丙", "甲乙丙丁", "丁甲乙丙丁甲乙丙"]:
        full = tiny.block_boundaries(block)
        assert full == tiny.word_boundaries(block), block
        for position in range(1, len(block)):
            stop, offsets = tiny._jieba_offsets(block, 0, len(block), position)
            assert offsets == {offset for offset in full if offset <= stop}, (block, position)


# ---------------------------------------------------------------- the compiled modules and their source


def from_source(module: ModuleType) -> ModuleType:
    """``module`` loaded afresh from its Python source, under another name, beside the compiled one."""
    name = module.__name__.rpartition(".")[2]
    spec = importlib.util.spec_from_file_location(f"{name}_from_source", Path(module.__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = loaded  # dataclasses look their module up while the classes are made
    try:
        spec.loader.exec_module(loaded)
    finally:
        del sys.modules[spec.name]
    return loaded


@pytest.mark.skipif(bool(os.environ.get("LINLI_PURE_PYTHON")), reason="installed without compiling (LINLI_PURE_PYTHON)")
def test_the_hot_path_runs_compiled() -> None:
    for module in (classifier_module, normalize_module):
        assert not module.__file__.endswith(".py"), f"{module.__name__} is not compiled: run `make venv`"


def test_the_python_source_classifies_as_the_compiled_module(classifier: Classifier) -> None:
    source = from_source(classifier_module).load_classifier()
    for text in [
        *CHATTER,
        *DEV,
        *FAMILIES,
        *generated_messages(classifier, 2000, seed=37),
        *pattern_messages(classifier, 1000, seed=47),
        "电梯\ud83d坏了",
    ]:
        for compiled, interpreted in [
            (classifier.classify(text), source.classify(text)),
            (classifier.explain(text), source.explain(text)),
        ]:
            assert as_record(compiled) == as_record(interpreted), text
            assert details(compiled) == details(interpreted), text


def test_the_python_source_normalises_as_the_compiled_module(classifier: Classifier) -> None:
    source = from_source(normalize_module)
    for text in [*CHATTER, *DEV, *FAMILIES, *generated_messages(classifier, 2000, seed=41)]:
        assert source.normalize(text) == normalize(text), text


# ---------------------------------------------------------------- the adjacency tables kept between runs

TOY_DICTIONARY = Dictionary.of({"电梯": 5, "电梯口": 3, "大电梯": 2, "坏了": 4, "a电梯": 1}, 15)


def test_adjacency_tables_are_kept_in_a_file_and_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classifier_module.tempfile, "tempdir", str(tmp_path))
    computed = classifier_module._adjacent_characters(TOY_DICTIONARY, ["电梯"])
    assert computed == ({"电": "a大"}, {"梯": "口"})  # the characters around the term's edges in dictionary entries
    (kept,) = tmp_path.glob("linli-nlp-adjacency-*.cache")
    kept.write_bytes(marshal.dumps(({"电": "X"}, {"梯": "Y"})))
    assert classifier_module._adjacent_characters(TOY_DICTIONARY, ["电梯"]) == (
        {"电": "X"},
        {"梯": "Y"},
    )  # read, not computed


def test_a_changed_dictionary_or_rule_set_uses_another_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classifier_module.tempfile, "tempdir", str(tmp_path))
    classifier_module._adjacent_characters(TOY_DICTIONARY, ["电梯"])
    classifier_module._adjacent_characters(Dictionary.of({**TOY_DICTIONARY.frequencies(), "小电梯": 1}, 16), ["电梯"])
    classifier_module._adjacent_characters(TOY_DICTIONARY, ["电梯", "坏了"])
    assert len(list(tmp_path.glob("linli-nlp-adjacency-*.cache"))) == 3


@pytest.mark.parametrize("content", [b"", b"not marshal", None])
def test_a_broken_adjacency_file_is_computed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None
) -> None:
    monkeypatch.setattr(classifier_module.tempfile, "tempdir", str(tmp_path))
    expected = classifier_module._adjacent_characters(TOY_DICTIONARY, ["电梯"])
    (kept,) = tmp_path.glob("linli-nlp-adjacency-*.cache")
    wrong_shape = marshal.dumps({"电": ["大"]})
    kept.write_bytes(wrong_shape if content is None else content)
    assert classifier_module._adjacent_characters(TOY_DICTIONARY, ["电梯"]) == expected
    assert marshal.loads(kept.read_bytes()) == expected  # and kept again


def test_an_unwritable_temporary_directory_only_costs_the_computation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classifier_module.tempfile, "tempdir", str(tmp_path / "missing"))
    assert classifier_module._adjacent_characters(TOY_DICTIONARY, ["电梯"]) == ({"电": "a大"}, {"梯": "口"})
