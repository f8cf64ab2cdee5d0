"""The one table of features: the composition root builds the router from it."""

from __future__ import annotations

from handlers.announce import compose as announce
from handlers.core.router import Router
from handlers.core.texts import translate
from handlers.events import manage as event_manage
from handlers.events import wizard as events
from handlers.groups import membership as groups
from handlers.linking import codes as linking
from handlers.onboarding import commands as onboarding
from handlers.passbook import checking, earning, exports, shop, shop_admin
from handlers.tickets import commands as tickets
from models import ledger
from models.people import MergeStep


def build_router() -> Router:
    router = Router()
    features = (onboarding, groups, tickets, announce, events, event_manage, linking)
    for feature in (*features, earning, checking, shop, shop_admin, exports):
        feature.register(router)
    return router


def menu_entries(router: Router) -> list[tuple[str, str, str]]:
    """(command, Chinese description, English description) for the platform's command menu."""
    return [(c.name, translate("zh", c.description_key), translate("en", c.description_key)) for c in router.menu()]


def merge_steps() -> tuple[MergeStep, ...]:
    """What features do when two people become one (关联账号), before every person reference is re-pointed.

    Tables whose rows are simply re-pointed need nothing here. A feature with one row per person that must be
    combined rather than dropped (a balance kept next to a ledger) adds its step to this tuple.
    """
    return (ledger.merge_balances,)
