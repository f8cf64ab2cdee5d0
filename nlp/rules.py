"""Load and validate the classifier's rules file (``nlp/data/rules.toml``).

The rules are data, not code. Four kinds of weighted words exist, each with one role:

* category **terms** (``[[repair.terms]]`` ...): words that name the object or the nuisance;
  only terms can make a message a request, and they must match whole jieba words;
* category **cues** (``[[repair.cues]]`` ...): problem phrases (坏了, 不亮, 臭死) that raise that
  category's score only when one of its terms is present;
* **shared cues** (``[[shared_cues]]``): category-neutral problem phrases (又, 一直, 没人管);
* **negative** cues (``[[negative]]``): signs that a message is not a request (修好了, 通知, 团购).

A category may also have **patterns** (``[[repair.patterns]]``): an open class of objects named by
the last character of a jieba word (…门 …灯 …管 …箱 …屏 …梯), which counts as a term of that
category when one of the pattern's predicates (cues of the category or shared cues: 卡住, 关不上,
乱码) follows it in the same run of characters. So 卷帘门卡住了 is a repair request although
卷帘门 is in no word list.

Two more sections describe a request once it is one: ``[urgent]`` (signals of danger to people
now, and calm words that take it back: 演练, 救出来了) and ``[subkinds.KEY]`` (rule words that
make the kind of problem obvious, for routing: 电梯 → lift, 停水 → water).

Cues are matched as substrings of the normalised text. Every weight is a probability-like
number in the open interval (0, 1); see ``docs/classifier.md`` for how they combine.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.normalize import normalize

CATEGORIES: tuple[str, ...] = ("repair", "dispute", "sanitation")
DEFAULT_RULES_PATH = Path(__file__).parent / "data" / "rules.toml"

_TOP_LEVEL_KEYS = frozenset({"version", "shared_cues", "negative", "urgent", "subkinds", *CATEGORIES})
_CATEGORY_KEYS = frozenset({"terms", "cues", "patterns"})
_GROUP_KEYS = frozenset({"weight", "words", "note"})
_PATTERN_KEYS = frozenset({"weight", "note", "suffixes", "exceptions", "predicates"})
_URGENT_KEYS = frozenset({"note", "signals", "calm"})
_SUBKIND_KEYS = frozenset({"name", "note", "words"})
PATTERN_GAP = 4
"""At most this many characters (all inside one jieba block) between a pattern's object and its predicate."""


class RulesError(ValueError):
    """The rules file is malformed; the message names the offending place."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule word after normalisation, with its role and weight."""

    word: str
    role: str  # "term", "cue" or "negative"
    category: str | None  # None for shared cues and negative cues
    weight: float


@dataclass(frozen=True, slots=True)
class Pattern:
    """An object class × predicate rule: a jieba word ending in one of ``suffixes`` (and not one of
    ``exceptions`` or a term) followed within PATTERN_GAP characters by one of ``predicates``
    counts as a term of ``category`` with ``weight``."""

    category: str
    weight: float
    suffixes: frozenset[str]
    exceptions: frozenset[str]
    predicates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Subkind:
    """A kind of problem for routing (``key`` lift, water, power ...; ``name`` 电梯, 水, 电 ...),
    obvious from any of ``words``, which are rule words."""

    key: str
    name: str
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rules:
    """A validated rules file: every word appears exactly once."""

    version: str
    rules: tuple[Rule, ...]
    patterns: tuple[Pattern, ...] = ()
    urgent_signals: tuple[str, ...] = ()
    """Substrings that tell of danger to people now: 困人, 煤气味, 着火, 水漫, 冒火花, 摔倒."""
    calm: tuple[str, ...] = ()
    """Substrings that take an urgent signal back: 演练, 救出来了, 万一."""
    subkinds: tuple[Subkind, ...] = ()

    def words(self) -> list[str]:
        """Every rule word, in file order."""
        return [rule.word for rule in self.rules]

    def term_words(self) -> frozenset[str]:
        """The object / nuisance words (电梯, 垃圾, 噪音): what two reports of the same problem share."""
        return frozenset(rule.word for rule in self.rules if rule.role == "term")


def load_rules(path: Path | str = DEFAULT_RULES_PATH) -> Rules:
    """Read and validate a rules TOML file."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise RulesError(f"{path}: rules file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{path}: not valid TOML: {error}") from None
    return parse_rules(data, source=str(path))


def parse_rules(data: Mapping[str, Any], source: str = "rules") -> Rules:
    """Validate already-parsed TOML data and return the rules it describes."""
    unknown = sorted(set(data) - _TOP_LEVEL_KEYS)
    if unknown:
        raise RulesError(
            f"{source}: unknown category {unknown[0]!r}; expected one of {', '.join(CATEGORIES)} "
            "(or the sections version, shared_cues, negative)"
        )
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise RulesError(f"{source}: missing or empty 'version' string")

    rules: list[Rule] = []
    for category in CATEGORIES:
        rules += _parse_category(data.get(category), category, source)
    rules += _parse_groups(data.get("shared_cues", []), "cue", None, f"{source}: shared_cues")
    rules += _parse_groups(data.get("negative", []), "negative", None, f"{source}: negative")
    _reject_duplicates(rules, source)
    patterns = [
        _parse_pattern(group, category, rules, f"{source}: [{category}].patterns group {index}")
        for category in CATEGORIES
        for index, group in enumerate(_pattern_groups(data[category], category, source), start=1)
    ]
    signals, calm = _parse_urgent(data.get("urgent", {}), f"{source}: [urgent]")
    subkinds = _parse_subkinds(data.get("subkinds", {}), rules, f"{source}: [subkinds]")
    return Rules(
        version=version.strip(),
        rules=tuple(rules),
        patterns=tuple(patterns),
        urgent_signals=signals,
        calm=calm,
        subkinds=subkinds,
    )


def _parse_urgent(table: Any, where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The [urgent] table: signals, and calm words; neither list may hold a word twice."""
    if not isinstance(table, Mapping):
        raise RulesError(f"{where}: expected a table with 'signals' and 'calm'")
    if not table:
        return (), ()
    unknown = sorted(set(table) - _URGENT_KEYS)
    if unknown:
        raise RulesError(f"{where}: unknown key {unknown[0]!r}; expected signals, calm, note")
    signals = _parse_words(table.get("signals"), f"{where} signals")
    calm = _parse_words(table.get("calm"), f"{where} calm") if "calm" in table else []
    twice = sorted({word for word in signals + calm if (signals + calm).count(word) > 1})
    if twice:
        raise RulesError(f"{where}: word {twice[0]!r} appears twice")
    return tuple(signals), tuple(calm)


def _parse_subkinds(table: Any, rules: list[Rule], where: str) -> tuple[Subkind, ...]:
    """[subkinds.KEY] tables: a Chinese name and rule words, each word in one subkind only."""
    if not isinstance(table, Mapping):
        raise RulesError(f"{where}: expected tables [subkinds.KEY]")
    known = {rule.word for rule in rules if rule.role != "negative"}
    owner: dict[str, str] = {}
    subkinds: list[Subkind] = []
    for key, group in table.items():
        place = f"{where}.{key}"
        if not isinstance(group, Mapping):
            raise RulesError(f"{place}: expected a table with 'name' and 'words'")
        unknown = sorted(set(group) - _SUBKIND_KEYS)
        if unknown:
            raise RulesError(f"{place}: unknown key {unknown[0]!r}; expected name, words, note")
        name = group.get("name")
        if not isinstance(name, str) or not name.strip():
            raise RulesError(f"{place}: missing 'name'")
        words = _parse_words(group.get("words"), place)
        for word in words:
            if word not in known:
                raise RulesError(f"{place}: {word!r} is not a term or cue of the rules")
            if owner.setdefault(word, key) != key:
                raise RulesError(f"{place}: {word!r} is already in subkind {owner[word]!r}")
        subkinds.append(Subkind(key, name.strip(), tuple(words)))
    return tuple(subkinds)


def _parse_category(table: Any, category: str, source: str) -> list[Rule]:
    where = f"{source}: [{category}]"
    if not isinstance(table, Mapping):
        raise RulesError(f"{where}: missing category table")
    unknown = sorted(set(table) - _CATEGORY_KEYS)
    if unknown:
        raise RulesError(f"{where}: unknown key {unknown[0]!r}; expected 'terms' and optionally 'cues'")
    if not table.get("terms"):
        raise RulesError(f"{where}: needs at least one [[{category}.terms]] group")
    terms = _parse_groups(table["terms"], "term", category, f"{where}.terms")
    cues = _parse_groups(table.get("cues", []), "cue", category, f"{where}.cues")
    return terms + cues


def _pattern_groups(table: Mapping[str, Any], category: str, source: str) -> list[Any]:
    groups = table.get("patterns", [])
    if not isinstance(groups, list):
        raise RulesError(f"{source}: [{category}].patterns: expected an array of tables ([[...]])")
    return groups


def _parse_pattern(group: Any, category: str, rules: list[Rule], place: str) -> Pattern:
    """One [[category.patterns]] group; its predicates must be cues of the category or shared cues."""
    if not isinstance(group, Mapping):
        raise RulesError(f"{place}: expected a table with 'weight', 'suffixes' and 'predicates'")
    unknown = sorted(set(group) - _PATTERN_KEYS)
    if unknown:
        raise RulesError(f"{place}: unknown key {unknown[0]!r}; expected {', '.join(sorted(_PATTERN_KEYS))}")
    weight = _parse_weight(group.get("weight"), place)
    suffixes = _parse_words(group.get("suffixes"), f"{place} suffixes")
    if any(len(suffix) != 1 for suffix in suffixes):
        raise RulesError(f"{place}: every suffix must be one character")
    exceptions = _parse_words(group["exceptions"], f"{place} exceptions") if "exceptions" in group else []
    predicates = _parse_words(group.get("predicates"), f"{place} predicates")
    cues = {rule.word for rule in rules if rule.role == "cue" and rule.category in (category, None)}
    for predicate in predicates:
        if predicate not in cues:
            raise RulesError(f"{place}: predicate {predicate!r} is not a {category} cue or a shared cue")
    return Pattern(category, weight, frozenset(suffixes), frozenset(exceptions), tuple(predicates))


def _parse_groups(groups: Any, role: str, category: str | None, where: str) -> list[Rule]:
    if not isinstance(groups, list):
        raise RulesError(f"{where}: expected an array of tables ([[...]])")
    rules: list[Rule] = []
    for index, group in enumerate(groups, start=1):
        place = f"{where} group {index}"
        if not isinstance(group, Mapping):
            raise RulesError(f"{place}: expected a table with 'weight' and 'words'")
        unknown = sorted(set(group) - _GROUP_KEYS)
        if unknown:
            raise RulesError(f"{place}: unknown key {unknown[0]!r}; expected weight, words, note")
        weight = _parse_weight(group.get("weight"), place)
        rules += [Rule(word, role, category, weight) for word in _parse_words(group.get("words"), place)]
    return rules


def _parse_weight(weight: Any, place: str) -> float:
    if isinstance(weight, bool) or not isinstance(weight, int | float):
        raise RulesError(f"{place}: 'weight' must be a number, got {weight!r}")
    if not 0.0 < weight < 1.0:
        raise RulesError(f"{place}: weight {weight} is outside the open interval (0, 1)")
    return float(weight)


def _parse_words(words: Any, place: str) -> list[str]:
    if not isinstance(words, list) or not words:
        raise RulesError(f"{place}: 'words' must be a non-empty list of strings")
    parsed: list[str] = []
    for word in words:
        if not isinstance(word, str):
            raise RulesError(f"{place}: word {word!r} is not a string")
        normalised = normalize(word)
        if not normalised:
            raise RulesError(f"{place}: word {word!r} is empty after normalisation")
        parsed.append(normalised)
    return parsed


def _reject_duplicates(rules: list[Rule], source: str) -> None:
    seen: dict[str, Rule] = {}
    for rule in rules:
        first = seen.setdefault(rule.word, rule)
        if first is not rule:
            raise RulesError(
                f"{source}: word {rule.word!r} appears twice "
                f"({_describe(first)} and {_describe(rule)}); each word may have one role only"
            )


def _describe(rule: Rule) -> str:
    return f"{rule.category} {rule.role}" if rule.category else f"{rule.role}"
