"""Texts: each catalogue says everything in both locales with the same placeholders; every key the code uses exists
in the catalogue of the part that uses it (or the core's), dynamic keys included; no catalogue keeps a key nobody uses.

Keys are read from the source: string literals shaped like a key (`ticket.usage`) in handlers/ and sandbox/, and the
arguments of `translate(…)` / `.t(…)` in bot/ (whose log event names look like keys too). A key put together at run
time (`f"category.{…}"`, `"role." + …`) must match a `Family` its catalogue declares."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from string import Formatter

from handlers.core.texts import CORE, Catalogue, Texts
from handlers.features import FEATURES

ROOT = Path(__file__).resolve().parents[2]
KEY = re.compile(r"^[a-z][a-z_]*\.[a-z0-9_]+$")
CATALOGUES: dict[str, Catalogue] = {"core": CORE} | {f.name: f.texts for f in FEATURES if f.texts is not None}
PREFIXES = {key.split(".")[0] for catalogue in CATALOGUES.values() for key in catalogue.zh}


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(template) if field}


def owner_of(path: Path) -> str:
    """The catalogue a source file may use besides the core's: its feature's, if it is in one."""
    parts = path.relative_to(ROOT).parts
    return parts[1] if parts[0] == "handlers" and parts[1] in CATALOGUES else "core"


def not_keys(tree: ast.AST) -> set[int]:
    """Docstrings, and the literal pieces of f-strings (the f-string as a whole is looked at instead)."""
    skipped = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            skipped.add(id(body[0].value))
        if isinstance(node, ast.JoinedStr):
            skipped |= {id(value) for value in node.values}
    return skipped


def is_key(node: ast.AST, skipped: set[int]) -> bool:
    """A string literal shaped like a text key (`ticket.usage`) whose prefix some catalogue uses."""
    if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or id(node) in skipped:
        return False
    return bool(KEY.match(node.value)) and node.value.split(".")[0] in PREFIXES


def template_of(node: ast.AST) -> str | None:
    """`category.{}` for f"category.{…}" or "category." + …, when the literal head is shaped like a key."""
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        text = "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant):
        text = f"{node.left.value}{{}}"
    else:
        return None
    head = text.split(".")[0]
    return text if "." in text and head in PREFIXES and re.match(r"^[a-z_]+\.", text) else None


def translated_arguments(tree: ast.AST) -> Iterator[ast.AST]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in ("translate", "t"):
                yield from node.args


def uses() -> Iterator[tuple[str, str, str, str]]:
    """(owner, file, "key" or "template", text) for every text key the code names."""
    for path in sorted([*ROOT.glob("handlers/**/*.py"), *ROOT.glob("sandbox/**/*.py"), *ROOT.glob("bot/**/*.py")]):
        if path.name == "texts.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped, owner, where = not_keys(tree), owner_of(path), str(path.relative_to(ROOT))
        roots = list(translated_arguments(tree)) if where.startswith("bot/") else [tree]
        for root in roots:
            for node in ast.walk(root):
                if is_key(node, skipped):
                    yield owner, where, "key", str(node.value)
                template = template_of(node)
                if template is not None:
                    yield owner, where, "template", template


def allowed(owner: str) -> list[Catalogue]:
    return [CORE] if owner == "core" else [CORE, CATALOGUES[owner]]


def test_every_locale_has_every_key_with_the_same_placeholders() -> None:
    for catalogue in CATALOGUES.values():
        for locale, table in catalogue.by_locale().items():
            assert table.keys() == catalogue.zh.keys(), (catalogue.name, locale, table.keys() ^ catalogue.zh.keys())
            for key, template in table.items():
                assert placeholders(template) == placeholders(catalogue.zh[key]), (catalogue.name, locale, key)


def test_the_catalogues_join_into_one_table_without_a_key_twice() -> None:
    texts = Texts(CATALOGUES.values())
    assert texts.translate("en", "button.stale") == CORE.en["button.stale"]


def test_every_family_of_keys_built_at_run_time_exists_in_both_locales() -> None:
    for catalogue in CATALOGUES.values():
        for family in catalogue.families:
            missing = [k for k in family.expand() if k not in catalogue.zh or k not in catalogue.en]
            assert not missing, (catalogue.name, family.template, missing)


def test_every_key_used_in_code_exists_where_that_code_may_find_it() -> None:
    problems = []
    for owner, where, kind, text in uses():
        catalogues = allowed(owner)
        if kind == "key" and not any(text in c.zh and text in c.en for c in catalogues):
            problems.append(f"{where}: key {text!r} is in no catalogue it may use ({[c.name for c in catalogues]})")
        if kind == "template" and not any(f.template == text for c in catalogues for f in c.families):
            problems.append(f"{where}: key family {text!r} is not declared as a Family")
    assert not problems, "\n".join(problems)


def test_no_catalogue_keeps_a_key_nobody_uses() -> None:
    used: dict[str, set[str]] = {name: set() for name in CATALOGUES}
    for owner, _, kind, text in uses():
        for catalogue in allowed(owner):
            if kind == "key" and text in catalogue.zh:
                used[catalogue.name].add(text)
            for family in catalogue.families:
                if kind == "template" and family.template == text:
                    used[catalogue.name] |= set(family.expand())
    unused = {name: sorted(set(CATALOGUES[name].zh) - keys) for name, keys in used.items()}
    assert not any(unused.values()), unused
