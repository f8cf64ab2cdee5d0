"""The one ordered tuple of features. The composition root (`bot/app.py`) builds the router, the command menu and
/help, the hooks, the timers, the merge steps and the settings from it; the order is the order of the menu and of
the timers. A new feature is a package under handlers/ with a `feature.py` declaring its `Feature`, added here."""

from __future__ import annotations

from handlers.announce.feature import FEATURE as ANNOUNCE
from handlers.console.feature import FEATURE as CONSOLE
from handlers.core.feature import Feature
from handlers.events.feature import FEATURE as EVENTS
from handlers.groups.feature import FEATURE as GROUPS
from handlers.linking.feature import FEATURE as LINKING
from handlers.onboarding.feature import FEATURE as ONBOARDING
from handlers.passbook.feature import FEATURE as PASSBOOK
from handlers.privacy.feature import FEATURE as PRIVACY
from handlers.tickets.feature import FEATURE as TICKETS

FEATURES: tuple[Feature, ...] = (ONBOARDING, GROUPS, TICKETS, ANNOUNCE, EVENTS, LINKING, PASSBOOK, CONSOLE, PRIVACY)
