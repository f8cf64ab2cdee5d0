"""Entities: how Telegram reads formatted text (HTML, MarkdownV2 and legacy Markdown into plain text plus entities)
and which entities it adds to a user's own text (a leading /command, @mentions). Offsets count UTF-16 code units."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

JsonDict = dict[str, Any]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets and text limits."""
    return len(text.encode("utf-16-le")) // 2


COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")


MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?![\w])")


def auto_entities(text: str) -> list[JsonDict]:
    """Entities Telegram computes for a user's text: a leading /command and @mentions."""
    found: list[tuple[int, int, str]] = []
    command = COMMAND_RE.match(text)
    if command:
        found.append((0, command.end(), "bot_command"))
    found.extend((m.start(), m.end(), "mention") for m in MENTION_RE.finditer(text) if not _inside(m, command))
    return [
        {"offset": utf16_len(text[:start]), "length": utf16_len(text[start:end]), "type": kind}
        for start, end, kind in sorted(found)
    ]


def _inside(match: re.Match[str], outer: re.Match[str] | None) -> bool:
    return outer is not None and match.start() < outer.end()


class EntityParseError(Exception):
    """``parse_mode`` text that Telegram would refuse."""


class _TextBuilder:
    """Collects plain text and tracks its UTF-16 length."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.offset += utf16_len(text)

    def text(self) -> str:
        return "".join(self.parts)


def _entity(kind: str, start: int, end: int, **extra: Any) -> JsonDict | None:
    if end <= start:
        return None
    return {"type": kind, "offset": start, "length": end - start, **extra}


def _sorted_entities(entities: Iterable[JsonDict | None]) -> list[JsonDict]:
    present = [e for e in entities if e is not None]
    return sorted(present, key=lambda e: (e["offset"], -e["length"]))


_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
    "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}  # fmt: skip


class _TelegramHtmlParser(HTMLParser):
    """Parses Telegram's HTML subset into plain text and entities."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.out = _TextBuilder()
        self.stack: list[tuple[str, int, dict[str, str | None]]] = []
        self.entities: list[JsonDict | None] = []
        self.pre_language: str | None = None

    def _byte_offset(self) -> int:
        line, column = self.getpos()
        lines = self.source.split("\n")
        index = sum(len(text) + 1 for text in lines[: line - 1]) + column
        return len(self.source[:index].encode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        supported = tag in _HTML_TAGS and not (tag == "span" and attributes.get("class") != "tg-spoiler")
        if not supported:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')
        self.stack.append((tag, self.out.offset, attributes))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self._byte_offset()}")
        open_tag, start, attributes = self.stack.pop()
        if open_tag != tag:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{open_tag}"')
        self.entities.append(self._entity_for(tag, start, attributes))

    def _entity_for(self, tag: str, start: int, attributes: dict[str, str | None]) -> JsonDict | None:
        end = self.out.offset
        kind = _HTML_TAGS[tag]
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = (attributes.get("class") or "").removeprefix("language-")
            self.pre_language = language or None
            return None
        if kind == "pre":
            pre_language, self.pre_language = self.pre_language, None
            return _entity("pre", start, end, **({"language": pre_language} if pre_language else {}))
        if kind == "text_link":
            href = attributes.get("href")
            return _entity("text_link", start, end, url=href) if href else None
        if kind == "blockquote" and "expandable" in attributes:
            return _entity("expandable_blockquote", start, end)
        if kind == "custom_emoji":
            return _entity(kind, start, end, custom_emoji_id=attributes.get("emoji-id") or "")
        return _entity(kind, start, end)

    def handle_data(self, data: str) -> None:
        self.out.add(data)

    def result(self) -> tuple[str, list[JsonDict]]:
        self.close()
        if self.stack:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"')
        return self.out.text(), _sorted_entities(self.entities)


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Telegram's ``parse_mode=HTML``: plain text and entities (UTF-16 offsets)."""
    parser = _TelegramHtmlParser(source)
    parser.feed(source)
    return parser.result()


_MARKDOWN_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")


_MARKDOWN_ENTITY_NAMES = {
    "*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough", "||": "Spoiler", "[": "TextUrl",
}  # fmt: skip


_MARKDOWN_ENTITY_TYPES = {
    "*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler",
}  # fmt: skip


class _MarkdownParser:
    """Telegram's MarkdownV2 (``legacy=False``) and legacy Markdown (``legacy=True``)."""

    def __init__(self, source: str, legacy: bool) -> None:
        self.source = source
        self.legacy = legacy
        self.out = _TextBuilder()
        self.open: list[tuple[str, int, int]] = []
        self.entities: list[JsonDict | None] = []
        self.quote_start: int | None = None
        self.i = 0

    def _byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode())

    def _find(self, token: str, start: int) -> int:
        index = start
        while index < len(self.source):
            if self.source[index] == "\\" and not self.legacy:
                index += 2
                continue
            if self.source.startswith(token, index):
                return index
            index += 1
        return -1

    def _unescape(self, text: str) -> str:
        return text if self.legacy else re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)

    def parse(self) -> tuple[str, list[JsonDict]]:
        while self.i < len(self.source):
            self._step()
        self._close_quote()
        if self.open:
            marker, _, index = self.open[-1]
            if self.legacy:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {self._byte_offset(index)}"
                )
            name = _MARKDOWN_ENTITY_NAMES[marker]
            raise EntityParseError(f"Can't find end of {name} entity at byte offset {self._byte_offset(index)}")
        return self.out.text(), _sorted_entities(self.entities)

    def _step(self) -> None:
        source, i = self.source, self.i
        char = source[i]
        if char == "\\" and (not self.legacy or source[i + 1 : i + 2] in ("_", "*", "`", "[")):
            self._escaped(i)
        elif source.startswith("```", i):
            self._code_block(i)
        elif char == "`":
            self._inline_code(i)
        elif char == "[":
            self.open.append(("[", self.out.offset, i))
            self.i += 1
        elif char == "]" and self.open and self.open[-1][0] == "[" and source[i + 1 : i + 2] == "(":
            self._link_end(i)
        elif self._marker_at(i):
            self._toggle(self._marker_at(i), i)
        elif char == ">" and not self.legacy and (i == 0 or source[i - 1] == "\n"):
            if self.quote_start is None:
                self.quote_start = self.out.offset
            self.i += 1
        elif char in _MARKDOWN_V2_RESERVED and not self.legacy:
            raise EntityParseError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        else:
            self._plain(char)

    def _plain(self, char: str) -> None:
        if char == "\n" and self.quote_start is not None and self.source[self.i + 1 : self.i + 2] != ">":
            self._close_quote()
        self.out.add(char)
        self.i += 1

    def _close_quote(self) -> None:
        if self.quote_start is not None:
            self.entities.append(_entity("blockquote", self.quote_start, self.out.offset))
            self.quote_start = None

    def _escaped(self, i: int) -> None:
        if i + 1 >= len(self.source):
            raise EntityParseError(f"unexpected end of text at byte offset {self._byte_offset(i)}")
        self.out.add(self.source[i + 1])
        self.i = i + 2

    def _marker_at(self, i: int) -> str:
        if self.legacy:
            return self.source[i] if self.source[i] in "*_" else ""
        for marker in ("||", "__", "*", "_", "~"):
            if self.source.startswith(marker, i):
                return marker
        return ""

    def _toggle(self, marker: str, i: int) -> None:
        if self.open and self.open[-1][0] == marker:
            _, start, _ = self.open.pop()
            self.entities.append(_entity(_MARKDOWN_ENTITY_TYPES[marker], start, self.out.offset))
        elif any(open_marker == marker for open_marker, _, _ in self.open) or (self.legacy and self.open):
            _, _, index = self.open[-1]
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {self._byte_offset(index)}")
        else:
            self.open.append((marker, self.out.offset, i))
        self.i = i + len(marker)

    def _code_block(self, i: int) -> None:
        end = self._find("```", i + 3)
        if end < 0:
            raise EntityParseError(f"Can't find end of Pre entity at byte offset {self._byte_offset(i)}")
        body = self.source[i + 3 : end]
        first_line, newline, rest = body.partition("\n")
        language = first_line if newline and first_line and " " not in first_line else None
        code = self._unescape(rest if language else body)
        start = self.out.offset
        self.out.add(code)
        extra = {"language": language} if language else {}
        self.entities.append(_entity("pre", start, self.out.offset, **extra))
        self.i = end + 3

    def _inline_code(self, i: int) -> None:
        end = self._find("`", i + 1)
        if end < 0:
            raise EntityParseError(f"Can't find end of Code entity at byte offset {self._byte_offset(i)}")
        start = self.out.offset
        self.out.add(self._unescape(self.source[i + 1 : end]))
        self.entities.append(_entity("code", start, self.out.offset))
        self.i = end + 1

    def _link_end(self, i: int) -> None:
        close = self._find(")", i + 2)
        if close < 0:
            raise EntityParseError(f"Can't find end of a URL at byte offset {self._byte_offset(i)}")
        _, start, _ = self.open.pop()
        url = self._unescape(self.source[i + 2 : close])
        self.entities.append(_entity("text_link", start, self.out.offset, url=url))
        self.i = close + 1


def parse_formatted(text: str, parse_mode: str | None) -> tuple[str, list[JsonDict]]:
    """Apply ``parse_mode`` like Telegram: plain text plus entities; EntityParseError when invalid."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode in ("markdownv2", "markdown"):
        return _MarkdownParser(text, legacy=mode == "markdown").parse()
    if mode:
        raise EntityParseError(f"unsupported parse_mode {parse_mode}")
    return text, []
