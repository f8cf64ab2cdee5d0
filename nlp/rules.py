"""Load and validate the classifier's rules file (``nlp/data/rules.toml``).

The rules are data, not code. Four kinds of weighted words exist, each with one role:

* category **terms** (``[[repair.terms]]`` ...): words that name the object or the nuisance;
  only terms can make a message a request, and they must match whole jieba words;
* category **cues** (``[[repair.cues]]`` ...): problem phrases (坏了, 不亮, 臭死) that raise that
  category's score only when one of its terms is present;
* **shared cues** (``[[shared_cues]]``): category-neutral problem phrases (又, 一直, 没人管);
* **negative** cues (``[[negative]]``): signs that a message is not a request (修好了, 通知, 团购).

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

_TOP_LEVEL_KEYS = frozenset({"version", "shared_cues", "negative", *CATEGORIES})
_CATEGORY_KEYS = frozenset({"terms", "cues"})
_GROUP_KEYS = frozenset({"weight", "words", "note"})


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
class Rules:
    """A validated rules file: every word appears exactly once."""

    version: str
    rules: tuple[Rule, ...]

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
    return Rules(version=version.strip(), rules=tuple(rules))


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
