"""The words of the console's pages, for the templates (bot/console/templates), in the viewer's locale."""

from __future__ import annotations

from handlers.console.texts import ACTIONS, PAGE_WORDS, translate
from models.tickets import Category, TicketStatus


def page_words(locale: str) -> dict[str, str]:
    """Every word the pages show, by name, in this locale (the templates read them as `w.board` …)."""
    words = {name: translate(locale, f"page.{name}") for name in PAGE_WORDS}
    words |= {f"status_{s}": translate(locale, f"page.status_{s}") for s in TicketStatus}
    words |= {f"category_{c}": translate(locale, f"page.category_{c}") for c in Category}
    return words | {f"action_{a}": translate(locale, f"page.action_{a}") for a in ACTIONS}
