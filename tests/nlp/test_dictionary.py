"""The dictionary read without jieba is the one jieba builds, entry for entry, and is kept between runs (that the
trie holding it answers as jieba's dict: tests/nlp/test_trie.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from nlp import dictionary as dictionary_module
from nlp.classifier import DOMAIN_DICT_PATH
from nlp.dictionary import build_dictionary, jieba_dictionary_path, load_dictionary, read_frequencies
from nlp.trie import build_trie


def jieba_built(main: Path, user: Path, tmp_path: Path) -> tuple[dict[str, int], int]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer(str(main))
    tokenizer.tmp_dir = str(tmp_path)
    tokenizer.initialize()
    with user.open("rb") as handle:
        tokenizer.load_userdict(handle)
    return tokenizer.FREQ, tokenizer.total


def test_the_packaged_dictionary_equals_jiebas_in_entries_order_and_total(tmp_path: Path) -> None:
    frequencies, total = jieba_built(jieba_dictionary_path(), DOMAIN_DICT_PATH, tmp_path)
    ours, our_total = read_frequencies(jieba_dictionary_path().read_bytes(), DOMAIN_DICT_PATH.read_bytes())
    assert list(ours.items()) == list(frequencies.items())
    assert our_total == total


def test_repeated_words_and_prefixes_count_as_in_jieba(tmp_path: Path) -> None:
    main, user = tmp_path / "dict.txt", tmp_path / "user.txt"
    main.write_text("电梯口 3 n\n电 9\n电梯口 4\n坏 1\n", encoding="utf-8")
    user.write_text("\ufeff电梯 20 n\n\n坏了 5\n电梯口 0\n", encoding="utf-8")
    frequencies, total = jieba_built(main, user, tmp_path)
    assert read_frequencies(main.read_bytes(), user.read_bytes()) == (frequencies, total)
    ours = build_dictionary(main.read_bytes(), user.read_bytes())
    assert (ours.frequencies(), ours.total) == (frequencies, total)


def test_a_user_word_without_a_frequency_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="line 2"):
        read_frequencies("电 9\n".encode(), "电梯 20\n坏了\n".encode())


def test_the_dictionary_is_kept_in_a_file_and_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dictionary_module.tempfile, "tempdir", str(tmp_path))
    main, user = tmp_path / "dict.txt", tmp_path / "user.txt"
    main.write_text("电 9\n", encoding="utf-8")
    user.write_text("电梯 20\n", encoding="utf-8")
    assert load_dictionary(user, main).frequencies() == {"电": 9, "电梯": 20}
    (kept,) = tmp_path.glob("linli-nlp-dictionary-*.cache")
    other = build_trie({"甲": 1})
    kept.write_bytes(dictionary_module.marshal.dumps((other.characters, other.first_children, other.frequencies, 1)))
    assert load_dictionary(user, main).digest == build_dictionary(main.read_bytes(), user.read_bytes()).digest
    assert load_dictionary(user, main).frequencies() == {"甲": 1}  # read, not built
    user.write_text("电梯 21\n", encoding="utf-8")
    assert load_dictionary(user, main).frequencies() == {"电": 9, "电梯": 21}  # another file: built again
    user.write_text("电梯 20\n", encoding="utf-8")
    for broken in [b"not marshal", dictionary_module.marshal.dumps(("\0", "\1\1", b"", 1))]:
        kept.write_bytes(broken)
        assert load_dictionary(user, main).total == 29  # a broken file: built again
