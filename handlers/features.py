"""The one table of features: the composition root builds the router from it."""

from __future__ import annotations

from handlers import announce, events, groups, onboarding
from handlers.passbook import checking, earning, exports, shop, shop_admin
from handlers.router import Router
from handlers.texts import translate
from handlers.tickets import commands as tickets


def build_router() -> Router:
    router = Router()
    for feature in (onboarding, groups, tickets, announce, events, earning, checking, shop, shop_admin, exports):
        feature.register(router)
    return router


def menu_entries(router: Router) -> list[tuple[str, str, str]]:
    """(command, Chinese description, English description) for the platform's command menu."""
    return [(c.name, translate("zh", c.description_key), translate("en", c.description_key)) for c in router.menu()]
