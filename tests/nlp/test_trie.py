"""The trie answers every dictionary look-up as jieba's dict does, and the classifier segments with it exactly as
stock jieba segments with its own dictionary (HMM off, as the classifier uses it)."""

from __future__ import annotations

import itertools
import json
import logging
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nlp import Classifier, load_classifier
from nlp.classifier import _JIEBA_BLOCK, DOMAIN_DICT_PATH
from nlp.dictionary import Dictionary, build_dictionary, jieba_dictionary_path
from nlp.normalize import normalize
from nlp.trie import build_trie

ROOT = Path(__file__).resolve().parents[2]
_SKIP = re.compile(r"(\r\n|\s)")
"""jieba's re_skip_default: how it cuts what is not a block (cut_all off)."""


@pytest.fixture(scope="module")
def stock_jieba() -> Any:
    """jieba as it comes, on its own dict.txt with the domain words loaded by its own load_userdict."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    tokenizer.load_userdict(str(DOMAIN_DICT_PATH))
    return tokenizer


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return load_classifier()


def cut(classifier: Classifier, text: str) -> list[str]:
    """``jieba.cut(text, HMM=False)`` made of the classifier's block segmentation: jieba cuts every block on its
    own and everything else at whitespace and into single characters."""
    tokens: list[str] = []
    for index, piece in enumerate(re.split(f"({_JIEBA_BLOCK.pattern})", text)):
        if index % 2:
            offsets = sorted(classifier.block_boundaries(piece))
            tokens += [piece[start:end] for start, end in itertools.pairwise(offsets)]
        else:
            for part in _SKIP.split(piece):
                tokens += [part] if _SKIP.match(part) else list(part)
    return tokens


def strings_in(value: object) -> Iterator[str]:
    """Every string in a JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def repository_texts() -> list[str]:
    """The texts of tests/data and every string of tests/fixtures."""
    texts = [
        json.loads(line)["text"] or ""
        for path in sorted((ROOT / "tests" / "data").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    for path in sorted((ROOT / "tests" / "fixtures").rglob("*.json")):
        texts += strings_in(json.loads(path.read_text(encoding="utf-8")))
    return texts


DECORATION = [" ", "  ", "\n", "\r\n", "\t", ",", "，", "。", "!", "？", "、", "~", "…", "(", ")", "【", "】"]
DECORATION += ["😀", "👍🏻", "🏠", "[微笑]", "\u3000", "\u2005", "@", "#", "%", ".", "-", "+", "&", "_"]
ASCII = ["a", "b", "x", "ktv", "wifi", "ok", "ABC", "iPhone", "3", "12", "2024", "0.5", "5g", "b2", "c-3", "#1"]
NUMERALS = ["一", "二", "三", "十", "百", "千", "万", "两", "几", "第一", "三十五", "1号", "2楼", "101室", "五点半"]


def generated_texts(dictionary: Dictionary, count: int, seed: int) -> Iterator[str]:
    """Random mixes of dictionary words and prefixes, single characters, numerals, ASCII, punctuation and emoji."""
    rng = random.Random(seed)
    keys = [key for key, _ in dictionary.trie.items()]
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 12)):
            pick = rng.random()
            if pick < 0.6:
                parts.append(rng.choice(keys))
            elif pick < 0.7:
                parts.append(rng.choice(NUMERALS))
            elif pick < 0.8:
                parts.append(rng.choice(ASCII))
            elif pick < 0.9:
                parts.append(chr(rng.randint(0x4E00, 0x9FD5)))
            else:
                parts.append(rng.choice(DECORATION))
        yield "".join(parts)


def test_the_classifier_cuts_the_repository_texts_as_stock_jieba(classifier: Classifier, stock_jieba: Any) -> None:
    texts = repository_texts()
    assert len(texts) > 3000
    for text in texts:
        for version in (text, normalize(text)):
            assert cut(classifier, version) == list(stock_jieba.cut(version, HMM=False)), version


def test_the_classifier_cuts_generated_texts_as_stock_jieba(classifier: Classifier, stock_jieba: Any) -> None:
    dictionary = build_dictionary(jieba_dictionary_path().read_bytes(), DOMAIN_DICT_PATH.read_bytes())
    for text in generated_texts(dictionary, 20000, seed=23):
        assert cut(classifier, text) == list(stock_jieba.cut(text, HMM=False)), text


def test_the_trie_answers_every_lookup_as_jiebas_dict(stock_jieba: Any) -> None:
    """The same keys with the same values, siblings in ascending order (so the binary search finds a child exactly
    when it is there), and strings one character off a key are found exactly when jieba's dict has them."""
    dictionary = build_dictionary(jieba_dictionary_path().read_bytes(), DOMAIN_DICT_PATH.read_bytes())
    trie = dictionary.trie
    frequencies = stock_jieba.FREQ
    assert dictionary.total == stock_jieba.total
    assert dict(trie.items()) == frequencies
    for node in range(trie.nodes):
        codes = [ord(trie.characters[child]) for child in trie.children(node)]
        assert codes == sorted(set(codes)), node
    for key, value in frequencies.items():
        assert trie.get(key) == value, key
    rng = random.Random(7)
    keys = list(frequencies)
    for key in keys:
        for other in (key + rng.choice(keys)[0], rng.choice(keys)[-1] + key, key[:-1] + rng.choice(keys)[-1]):
            assert trie.get(other) == frequencies.get(other), other
    assert trie.longest_word == max(len(key) for key, value in frequencies.items() if value)


def test_keys_beyond_the_direct_table_and_words_of_frequency_0() -> None:
    trie = build_trie({"a": 0, "ab": 3, "😀": 2, "😀a": 0, "😀ab": 0, "ｶ": 1, "电": 5})
    assert [trie.get(key) for key in ["a", "ab", "😀", "😀a", "😀ab", "ｶ", "电"]] == [0, 3, 2, 0, 0, 1, 5]
    assert [trie.get(key) for key in ["", "b", "abc", "😀b", "😁", "电梯"]] == [None, None, None, None, None, None]
    assert trie.longest_word == 2  # 😀ab is a key of frequency 0: no word
    assert dict(trie.items()) == {"a": 0, "ab": 3, "😀": 2, "😀a": 0, "😀ab": 0, "ｶ": 1, "电": 5}


@pytest.mark.parametrize(
    ("frequencies", "message"),
    [
        ({"电梯": 1}, "its prefix '电' is not"),
        ({"电": 1, "电梯口": 1}, "its prefix '电梯' is not"),
        ({"电": -1}, "does not fit"),
        ({"电": 1 << 32}, "does not fit"),
        ({"": 1}, "empty string"),
    ],
)
def test_what_is_no_prefix_dictionary_is_refused(frequencies: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_trie(frequencies)


def test_a_dictionary_made_in_memory_gets_the_prefixes_jieba_adds() -> None:
    made = Dictionary.of({"电梯口": 3, "电": 9, "电梯": 20}, 32)
    assert made.frequencies() == {"电": 9, "电梯": 20, "电梯口": 3}
    assert Dictionary.of({"大电梯": 2}, 2).frequencies() == {"大": 0, "大电": 0, "大电梯": 2}
