"""jieba's dictionary with the domain words, read without importing jieba, held as a trie.

The classifier needs only the dictionary jieba segments with: each word with its frequency and each prefix of a
word with 0, and the frequencies' total — exactly what ``jieba.Tokenizer`` builds from its ``dict.txt``
(``gen_pfdict``) and then a user dictionary (``load_userdict``). Importing jieba for that costs ~0.3 s and ~19 MB
at start (its ``_compat`` imports ``pkg_resources``; its HMM tables load with it), so this reads the same files the
same way. As a dict of 500,000 str keys those entries took ~70 MB; they are held as a trie in three flat objects
(nlp/trie.py, ~6 MB) that answers every look-up as the dict did (docs/decisions/0023). The trie is kept in a cache
file (marshal) named by a digest of both files, so a start reads one file instead of parsing 350,000 lines; the
same digest names what the classifier derives from the entries (its adjacency tables), so a start never digests
the 500,000 entries themselves.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import marshal
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from nlp.trie import Trie, build_trie

_USER_LINE: Final = re.compile(r"^(.+?)( [0-9]+)?( [a-z]+)?$")
"""jieba's re_userdict: word, optional frequency, optional tag."""
_CACHE_FORMAT: Final = b"linli-dictionary-2\n"
"""Part of the cache file's digest: change it when what the file holds changes."""


@dataclass(frozen=True, slots=True)
class Dictionary:
    """jieba's prefix dictionary: ``trie`` holds every word (its frequency) and every prefix of one (0)."""

    trie: Trie
    total: int
    digest: str
    """Names what the entries were read from: the caches of what is derived from them are named by it."""

    @classmethod
    def of(cls, words: dict[str, int], total: int) -> Dictionary:
        """A dictionary made in memory (tests, experiments) from words and their frequencies, their prefixes added
        as jieba adds them; its digest is of its entries and total."""
        frequencies: dict[str, int] = {}
        for word, frequency in words.items():
            _add(frequencies, word, frequency)
        entries = "\n".join([*frequencies, str(total)]).encode("utf-8", "surrogatepass")
        return cls(build_trie(frequencies), total, hashlib.sha256(_CACHE_FORMAT + entries).hexdigest()[:32])

    def frequencies(self) -> dict[str, int]:
        """The entries as jieba's ``FREQ`` (in another order): what a jieba tokenizer on this dictionary needs."""
        return dict(self.trie.items())


def jieba_dictionary_path() -> Path:
    """jieba's own dict.txt, found without running jieba's ``__init__``."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("jieba is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "dict.txt"


def load_dictionary(user_path: Path, main_path: Path | None = None) -> Dictionary:
    """jieba's dictionary (``main_path``, default jieba's dict.txt) with the words of ``user_path`` added, from the
    cache file when it holds them."""
    main, user = (main_path or jieba_dictionary_path()).read_bytes(), user_path.read_bytes()
    digest = _digest(main, user)
    cache = Path(tempfile.gettempdir()) / f"linli-nlp-dictionary-{digest}.cache"
    stored = _read_cache(cache, digest)
    if stored is not None:
        return stored
    built = build_dictionary(main, user)
    _write_cache(cache, built)
    return built


def build_dictionary(main: bytes, user: bytes) -> Dictionary:
    """The dictionary of ``read_frequencies``, as a trie."""
    frequencies, total = read_frequencies(main, user)
    return Dictionary(build_trie(frequencies), total, _digest(main, user))


def read_frequencies(main: bytes, user: bytes) -> tuple[dict[str, int], int]:
    """``jieba.Tokenizer(main)`` initialised, then ``load_userdict(user)``: the same entries, the same total."""
    frequencies: dict[str, int] = {}
    total = 0
    for number, line in enumerate(main.splitlines(), start=1):
        try:
            word, count = line.strip().decode("utf-8").split(" ")[:2]
            total += _add(frequencies, word, int(count))
        except ValueError:
            raise ValueError(f"invalid dictionary entry at line {number}: {line!r}") from None
    for number, raw in enumerate(user.splitlines(), start=1):
        entry = raw.strip().decode("utf-8").lstrip("\ufeff")
        if not entry:
            continue
        word, count, _ = _USER_LINE.match(entry).groups()  # type: ignore[union-attr]
        if count is None:
            raise ValueError(f"user dictionary line {number} has no frequency: {entry!r}")
        total += _add(frequencies, word, int(count))
    return frequencies, total


def _digest(main: bytes, user: bytes) -> str:
    """Of the two dictionary files' bytes (and the cache's format)."""
    return hashlib.sha256(b"\0".join([_CACHE_FORMAT, main, user])).hexdigest()[:32]


def _add(frequencies: dict[str, int], word: str, frequency: int) -> int:
    """Put ``word`` and its prefixes into ``frequencies`` as jieba does; returns what the total grows by."""
    frequencies[word] = frequency
    for end in range(1, len(word)):
        frequencies.setdefault(word[:end], 0)
    return frequency


def _read_cache(path: Path, digest: str) -> Dictionary | None:
    """The dictionary kept in ``path``, or None when it is missing, unreadable or not of the expected shape."""
    data = read_kept(path)
    if not (isinstance(data, tuple) and len(data) == 4 and isinstance(data[3], int)):
        return None
    characters, first_children, frequencies, total = data
    if not (isinstance(characters, str) and isinstance(first_children, str) and isinstance(frequencies, bytes)):
        return None
    try:
        return Dictionary(Trie(characters, first_children, frequencies), total, digest)
    except ValueError:
        return None


def _write_cache(path: Path, dictionary: Dictionary) -> None:
    trie = dictionary.trie
    keep(path, (trie.characters, trie.first_children, trie.frequencies, dictionary.total), "dictionary")


def read_kept(path: Path) -> object | None:
    """What ``keep`` stored in ``path``, or None when it is missing or unreadable (the caller checks its shape)."""
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None


Kept = tuple[str, str, bytes, int] | tuple[dict[str, str], dict[str, str]]
"""What the classifier keeps: the dictionary (its trie's three parts, total) or its adjacency tables (before,
after)."""


def keep(path: Path, value: Kept, what: str) -> None:
    """Keep ``value`` in ``path`` (marshal, written whole under another name, then renamed); a read-only or full
    temporary directory only means computing it again next time."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                marshal.dump(value, stream)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        logging.getLogger(__name__).warning("could not keep the classifier's %s cache in %s", what, path.parent)
