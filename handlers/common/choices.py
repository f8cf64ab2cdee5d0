"""Buttons for platforms that have none: numbered choices in the text, and a typed reply mapped back to the button.

A message with buttons is shown as its text plus one line per button, `12-1 ✅ 确认`, where 12 names the message
(the transport picks it, e.g. the outbox row) and 1 the button. Typing `12-1` in the same chat is then the same as
pressing the button: the adapter turns it into an `IncomingCallback` carrying that button's data. Naming the
message makes a choice unambiguous even when several cards are open in one group.
"""

from __future__ import annotations

import re

from handlers.core.texts import translate
from models.payloads import StoredKeyboard

CHOICE = re.compile(r"^\s*(\d{1,12})\s*-\s*(\d{1,2})\s*$")


def choice_lines(locale: str, tag: str, buttons: StoredKeyboard) -> list[str]:
    """One line per button: links as label + address, the others as the code to type."""
    lines = [translate(locale, "choices.hint")]
    number = 0
    for row in buttons:
        for button in row:
            if button.url:
                lines.append(f"{button.text}：{button.url}")
            elif button.data:
                number += 1
                lines.append(f"{tag}-{number}  {button.text}")
    return lines if len(lines) > 1 else []


def with_choices(locale: str, text: str, tag: str, buttons: StoredKeyboard) -> str:
    """The message text followed by its buttons as typed choices (unchanged when there are none)."""
    lines = choice_lines(locale, tag, buttons)
    return text if not lines else text + "\n\n" + "\n".join(lines)


def parse_choice(text: str) -> tuple[int, int] | None:
    """`12-1` → (12, 1): the message tag and the button number; None for anything else."""
    match = CHOICE.match(text)
    return None if match is None else (int(match.group(1)), int(match.group(2)))


def chosen_data(buttons: StoredKeyboard, number: int) -> str | None:
    """The callback data of the `number`-th (1-based) non-link button."""
    pressable = [b for row in buttons for b in row if not b.url and b.data]
    return pressable[number - 1].data if 1 <= number <= len(pressable) else None
