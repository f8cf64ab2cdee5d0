"""Wording a newcomer tripped on (issue 19 §13), as rules over every catalogue's Chinese texts and the sandbox page's
toasts: the bot speaks to whoever reads it, puts no space inside a Chinese phrase, and never names its own fields."""

from __future__ import annotations

import re

import pytest

from handlers.core.texts import CORE, Catalogue
from handlers.features import FEATURES
from sandbox.web import MAX_SAY_LENGTH, SandboxInputError, _text_field

CATALOGUES: list[Catalogue] = [CORE, *(f.texts for f in FEATURES if f.texts is not None)]
ZH = [(c.name, key, text) for c in CATALOGUES for key, text in c.zh.items()]


def offending(pattern: str) -> list[tuple[str, str, str]]:
    found = re.compile(pattern)
    return [(name, key, text) for name, key, text in ZH if found.search(text)]


def test_nobody_is_told_to_let_a_third_person_choose() -> None:
    assert offending(r"请[他她]本人") == []


WORDS = "community|org|scope|role|place|building|name|previous|title"
"""Placeholders that hold a Chinese word (a name, a place, a role), unlike numbers and times."""


def test_a_word_placeholder_is_not_followed_by_a_space_inside_a_phrase() -> None:
    assert offending(rf"\{{({WORDS})\}} [的之里中内]") == []


def test_no_question_has_a_category_tacked_on_in_brackets() -> None:
    assert offending(r"[？?]\s*（\{[a-z_]+\}）\s*$") == []


@pytest.mark.parametrize("value", ["", "   ", "长" * (MAX_SAY_LENGTH + 1)])
@pytest.mark.parametrize("field", ["text", "data"])
def test_the_sandbox_page_refuses_in_words_not_field_names(field: str, value: str) -> None:
    with pytest.raises(SandboxInputError) as refused:
        _text_field({field: value}, field)
    assert field not in str(refused.value)
    assert not re.search(r"[A-Za-z_]{3,}", str(refused.value)), refused.value
