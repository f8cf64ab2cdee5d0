"""English as a reader sees it: words that follow a count (「1 minute」, 「2 minutes」 from one template, no fixed
plural or 「(s)」 after a count), and a command menu without Chinese placeholders."""

from __future__ import annotations

import re

import pytest

from handlers.core.texts import CORE, Catalogue, Texts
from handlers.features import FEATURES

TEXTS = Texts((Catalogue("t", {"k": "还有 {n} 分钟"}, {"k": "due in {n} {n:minute|minutes}"}),))
CATALOGUES = [CORE, *(f.texts for f in FEATURES if f.texts is not None)]
TABLE = Texts(CATALOGUES)
CJK = re.compile(r"[\u4e00-\u9fff]")
NOUNS = "minutes|hours|days|points|people|members|groups|entries|answers|neighbours|items|times"
FIXED_PLURAL = re.compile(rf"\{{(?!name\}})(\w+)\}} ({NOUNS})\b|\w\(s\)")


@pytest.mark.parametrize(("n", "said"), [(1, "due in 1 minute"), (2, "due in 2 minutes"), (0, "due in 0 minutes")])
def test_the_word_follows_the_count(n: int, said: str) -> None:
    assert TEXTS.translate("en", "k", n=n) == said
    assert TEXTS.translate("zh", "k", n=n) == f"还有 {n} 分钟"


def test_a_signed_count_of_one_is_singular_too() -> None:
    assert TEXTS.translate("en", "k", n="+1") == "due in +1 minute"


def test_no_english_text_has_a_fixed_plural_after_a_count() -> None:
    fixed = [(c.name, key) for c in CATALOGUES for key, text in c.en.items() if FIXED_PLURAL.search(text)]
    assert fixed == []


def test_the_english_command_menu_has_no_chinese_placeholders() -> None:
    menu = [(c.name, TABLE.translate("en", c.description_key)) for f in FEATURES for c in f.commands if c.menu]
    assert [(name, text) for name, text in menu if CJK.search(text)] == []
