"""Check recorded Bot API calls against the published Bot API description (tests/fixtures/telegram).

Lengths are counted like Telegram does: in UTF-16 code units, after ``parse_mode`` entity parsing
(``text`` 1-4096, ``caption`` at most 1024); ``callback_data`` in UTF-8 bytes (1-64).
Scalar types are checked loosely because form-encoded values cannot tell a String "42" from an
Integer 42: a String accepts numbers, everything else must match its declared type.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from sandbox.entities import EntityParseError, parse_formatted, utf16_len
from sandbox.limits import MAX_CALLBACK_DATA_BYTES
from sandbox.server import RecordedCall
from sandbox.state import UploadedFile
from tests.fixtures import BOT_API_SPEC

SCHEMA_PATH = BOT_API_SPEC
TEXT_LIMITS = {"text": (1, 4096), "caption": (0, 1024)}
#: InlineKeyboardButton fields that are not actions ("exactly one of the other fields must be used").
BUTTON_NON_ACTIONS = frozenset({"text", "icon_custom_emoji_id", "style"})

Schema = dict[str, Any]


@cache
def load_schema(path: Path = SCHEMA_PATH) -> Schema:
    """The Bot API description: ``methods`` -> name -> ``fields`` (name, types, required)."""
    schema: Schema = json.loads(Path(path).read_text(encoding="utf-8"))
    return schema


def validate_call(schema: Schema, method: str, params: dict[str, Any]) -> list[str]:
    """Every problem of one call: unknown method/parameter, missing required, limits, keyboards."""
    spec = _method_spec(schema, method)
    if spec is None:
        return [f"{method}: no such method in {schema.get('version', 'the Bot API')}"]
    fields = {f["name"]: f for f in spec.get("fields", [])}
    problems = [f"{method}: missing required parameter {name}" for name in _missing(fields, params)]
    for name, value in params.items():
        field = fields.get(name)
        if field is None:
            problems.append(f"{method}: unknown parameter {name}")
            continue
        problems.extend(f"{method}: {problem}" for problem in _value_problems(schema, name, value, field, params))
    return problems


def assert_calls_valid(calls: Iterable[RecordedCall], schema: Schema | None = None) -> None:
    """Raise AssertionError listing every problem of every call."""
    schema = schema if schema is not None else load_schema()
    problems = [
        f"call #{index}: {problem}"
        for index, call in enumerate(calls)
        for problem in validate_call(schema, call.method, call.params)
    ]
    if problems:
        raise AssertionError("Bot API calls violate the published API:\n" + "\n".join(problems))


def _method_spec(schema: Schema, method: str) -> dict[str, Any] | None:
    methods: dict[str, Any] = schema["methods"]
    if method in methods:
        return dict(methods[method])
    return next((dict(spec) for name, spec in methods.items() if name.lower() == method.lower()), None)


def _missing(fields: dict[str, Any], params: dict[str, Any]) -> list[str]:
    return [name for name, field in fields.items() if field["required"] and params.get(name) is None]


def _value_problems(schema: Schema, name: str, value: Any, field: dict[str, Any], params: dict[str, Any]) -> list[str]:
    if not any(_has_type(value, declared) for declared in field["types"]):
        return [f"{name} should be {' or '.join(field['types'])}, got {type(value).__name__} {value!r:.60}"]
    problems: list[str] = []
    if name in TEXT_LIMITS and isinstance(value, str):
        problems.extend(_length_problems(name, value, params.get("parse_mode")))
    if name == "reply_markup" and isinstance(value, dict) and "inline_keyboard" in value:
        problems.extend(inline_keyboard_problems(value, button_actions(schema)))
    return problems


def _has_type(value: Any, declared: str) -> bool:
    if declared.startswith("Array of "):
        return isinstance(value, list)
    scalar_checks = {
        "String": isinstance(value, str | int | float) and not isinstance(value, bool),
        "Integer": isinstance(value, int) and not isinstance(value, bool),
        "Float": isinstance(value, int | float) and not isinstance(value, bool),
        "Boolean": isinstance(value, bool),
        "InputFile": isinstance(value, UploadedFile | str),
    }
    return scalar_checks.get(declared, isinstance(value, dict))


def _length_problems(name: str, value: str, parse_mode: Any) -> list[str]:
    try:
        shown, _ = parse_formatted(value, parse_mode if isinstance(parse_mode, str) else None)
    except EntityParseError as exc:
        return [f"{name} cannot be parsed with parse_mode {parse_mode}: {exc}"]
    low, high = TEXT_LIMITS[name]
    length = utf16_len(shown)
    if not low <= length <= high:
        return [f"{name} must be {low}-{high} characters after entity parsing, got {length}"]
    return []


def button_actions(schema: Schema) -> tuple[str, ...]:
    """The action fields of InlineKeyboardButton, read from the schema."""
    fields = schema["types"]["InlineKeyboardButton"]["fields"]
    return tuple(f["name"] for f in fields if f["name"] not in BUTTON_NON_ACTIONS)


def inline_keyboard_problems(markup: dict[str, Any], actions: tuple[str, ...]) -> list[str]:
    """Problems of an inline keyboard: callback_data size, exactly one action per button."""
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        return ["reply_markup.inline_keyboard must be an array of button rows"]
    problems: list[str] = []
    for row_index, row in enumerate(rows):
        for column, button in enumerate(row):
            where = f"inline button [{row_index}][{column}]"
            problems.extend(f"{where} {problem}" for problem in _button_problems(button, actions))
    return problems


def _button_problems(button: Any, actions: tuple[str, ...]) -> list[str]:
    if not isinstance(button, dict):
        return ["is not an object"]
    problems = [] if isinstance(button.get("text"), str) else ["has no text"]
    used = [key for key in actions if key in button]
    if len(used) != 1:
        problems.append(f"must have exactly one action field, has {used or 'none'}")
    data = button.get("callback_data")
    if isinstance(data, str) and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
        problems.append(f"callback_data must be 1-64 bytes, got {len(data.encode())}: {data!r:.80}")
    return problems
