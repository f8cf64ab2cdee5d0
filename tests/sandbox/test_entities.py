"""Formatted text as Telegram reads it: HTML, MarkdownV2 and legacy Markdown into plain text and entities."""

from __future__ import annotations

import pytest

from sandbox.entities import parse_formatted


@pytest.mark.parametrize(
    ("source", "mode", "text", "entities"),
    [
        ("<b>a</b><i>b</i>", "HTML", "ab", [("bold", 0, 1), ("italic", 1, 1)]),
        ('<a href="https://x.cn">链接</a>', "HTML", "链接", [("text_link", 0, 2)]),
        ("*粗体* _斜体_ \\.", "MarkdownV2", "粗体 斜体 .", [("bold", 0, 2), ("italic", 3, 2)]),
        ("`code` ||秘||", "MarkdownV2", "code 秘", [("code", 0, 4), ("spoiler", 5, 1)]),
        ("*bold* 1.5", "Markdown", "bold 1.5", [("bold", 0, 4)]),
    ],
)
def test_parse_modes(source: str, mode: str, text: str, entities: list[tuple[str, int, int]]) -> None:
    parsed_text, parsed_entities = parse_formatted(source, mode)

    assert parsed_text == text
    assert [(e["type"], e["offset"], e["length"]) for e in parsed_entities] == entities
