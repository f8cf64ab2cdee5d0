"""The English catalogue says everything the Chinese one says, with the same placeholders."""

from __future__ import annotations

from string import Formatter

from handlers.core.texts import CATALOG, ZH


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(template) if field}


def test_every_locale_has_every_key_with_the_same_placeholders() -> None:
    for locale, table in CATALOG.items():
        assert table.keys() == ZH.keys(), (locale, table.keys() ^ ZH.keys())
        for key, template in table.items():
            assert placeholders(template) == placeholders(ZH[key]), (locale, key)
