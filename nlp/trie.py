"""jieba's prefix dictionary as a trie in three flat strings: ~6 MB where the dict took ~70 MB.

jieba's ``FREQ`` maps every word to its frequency and every prefix of a word to 0 (``gen_pfdict``). Its keys are
closed under taking prefixes, so they are exactly the nodes of a trie: the node reached from the root along the
characters of a key holds that key's value, and a string that is no key leads off the trie. ``node`` and
``frequency`` answer ``FREQ.get(text[start:end])`` with the same value for every string (tests compare every key
and what the trie enumerates), and the classifier walks the trie one character at a time where it asked the dict
about each longer slice.

Nodes are numbered breadth first with siblings in code-point order, so the children of node ``n`` are the nodes
from ``first_children[n]`` up to ``first_children[n + 1]``, found by binary search on their characters. Three flat
objects hold it all: ``characters`` (node ``n``'s last character), ``first_children`` (one code point per node, as
an index; one more closes the last node's children) and ``frequencies`` (4 bytes per node, little-endian). They
keep 500,000 entries out of the garbage collector's and the allocator's way and are kept in a file as they are.
The module is compiled by mypyc (setup.py), which reads ``ord(text[i])`` and ``data[i]`` without making objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

NOT_FOUND: Final = -1
_MOST_NODES: Final = 0x110000
"""An index is kept as a code point."""
_MOST_FREQUENCY: Final = (1 << 32) - 1
_DIRECT_BELOW: Final = 0xA000
"""The root's children below this code point (ASCII and the CJK block jieba segments) are found by index."""


class Trie:
    """The keys of a prefix-closed dictionary and their values; node 0 is the root (the empty key)."""

    def __init__(self, characters: str, first_children: str, frequencies: bytes) -> None:
        if not (characters and len(first_children) == len(characters) + 1 == len(frequencies) // 4 + 1):
            raise ValueError("not a trie: its parts do not hold the same number of nodes")
        self.characters = characters
        self.first_children = first_children
        self.frequencies = frequencies
        self.nodes = len(characters)
        """How many nodes, the root included."""
        self.longest_word = self._longest_word()
        """Length of the longest key with a frequency other than 0 (jieba's words; the rest are prefixes)."""
        self._first = self._first_characters()
        """The root's child of each code point below _DIRECT_BELOW (0 for none): it has ~12,000."""

    def child(self, node: int, code: int) -> int:
        """The child of ``node`` along the character with code point ``code``, or NOT_FOUND."""
        if node == 0 and code < _DIRECT_BELOW:
            found = ord(self._first[code])
            return found if found else NOT_FOUND
        characters = self.characters
        low = ord(self.first_children[node])
        high = ord(self.first_children[node + 1])
        while low < high:
            middle = (low + high) >> 1
            found = ord(characters[middle])
            if found < code:
                low = middle + 1
            elif found > code:
                high = middle
            else:
                return middle
        return NOT_FOUND

    def node(self, text: str, start: int, end: int) -> int:
        """The node of the key ``text[start:end]``, or NOT_FOUND when it is no key."""
        node = 0
        while start < end and node != NOT_FOUND:
            node = self.child(node, ord(text[start]))
            start += 1
        return node

    def frequency(self, node: int) -> int:
        """The value of ``node``'s key: its frequency, or 0 for a prefix that is no word."""
        data = self.frequencies
        at = node * 4
        return data[at] | data[at + 1] << 8 | data[at + 2] << 16 | data[at + 3] << 24

    def get(self, key: str) -> int | None:
        """``FREQ.get(key)`` (the root stands for the empty string, which is no key)."""
        node = self.node(key, 0, len(key))
        return None if node in (NOT_FOUND, 0) else self.frequency(node)

    def children(self, node: int) -> range:
        """The nodes one character longer than ``node``'s key."""
        return range(ord(self.first_children[node]), ord(self.first_children[node + 1]))

    def items(self) -> Iterator[tuple[str, int]]:
        """Every key and its value, breadth first (jieba's FREQ, in another order)."""
        keys = [""] * self.nodes
        for node in range(self.nodes):
            for child in self.children(node):
                keys[child] = keys[node] + self.characters[child]
                yield keys[child], self.frequency(child)

    def adjacent_characters(self) -> Iterator[str]:
        """Every two characters that stand next to each other in a key (once per trie edge below the root)."""
        characters = self.characters
        for node in range(1, self.nodes):
            for child in self.children(node):
                yield characters[node] + characters[child]

    def _first_characters(self) -> str:
        first = [0] * _DIRECT_BELOW
        for node in self.children(0):
            code = ord(self.characters[node])
            if code < _DIRECT_BELOW:
                first[code] = node
        return "".join(map(chr, first))

    def _longest_word(self) -> int:
        """The depth of the last node with a frequency: breadth first, depths only grow."""
        last_word = self.nodes - 1
        while last_word and not self.frequency(last_word):
            last_word -= 1
        depth, level = 0, 0  # the first node of each depth: the first child of the first node of the one above
        while level <= last_word:
            level = self.children(level).start
            depth += 1
        return depth - 1


def build_trie(frequencies: dict[str, int]) -> Trie:
    """The trie of a prefix-closed dictionary (jieba's FREQ); ValueError when it is not prefix-closed, holds a
    frequency outside 0..2**32-1 or more than 0x110000 keys."""
    levels: list[list[str]] = []
    for key, value in frequencies.items():
        if not 0 <= value <= _MOST_FREQUENCY:
            raise ValueError(f"frequency {value} of {key!r} does not fit the trie")
        if not key:
            raise ValueError("the empty string is no dictionary key")
        while len(levels) < len(key):
            levels.append([])
        levels[len(key) - 1].append(key)
    keys = [""]
    for level in levels:
        level.sort()  # by code point: breadth first, children in their parents' order and by their character
        keys += level
    if len(keys) >= _MOST_NODES:
        raise ValueError(f"{len(keys)} keys do not fit the trie")
    first_children: list[int] = []
    child = 1  # the children of a key are the next keys one longer that start with it
    for key in keys:
        first_children.append(child)
        while child < len(keys) and len(keys[child]) == len(key) + 1 and keys[child].startswith(key):
            child += 1
    if child != len(keys):
        raise ValueError(f"{keys[child]!r} is in the dictionary but its prefix {keys[child][:-1]!r} is not")
    first_children.append(child)
    return Trie(
        "\0" + "".join([key[-1] for key in keys[1:]]),
        "".join(map(chr, first_children)),
        b"\0\0\0\0" + b"".join([frequencies[key].to_bytes(4, "little") for key in keys[1:]]),
    )
