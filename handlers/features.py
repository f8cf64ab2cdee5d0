"""The one ordered tuple of features. The composition root (`bot/app.py`) builds the router, the command menu and
/help, the hooks, the timers, the merge steps and the settings from it; the order is the order of the menu and of
the timers. A new feature is a package under handlers/ with a `feature.py` declaring its `Feature`, added here."""

from __future__ import annotations

from handlers.announce.feature import FEATURE as ANNOUNCE
from handlers.console.feature import FEATURE as CONSOLE
from handlers.core.feature import Feature
from handlers.events.feature import FEATURE as EVENTS
from handlers.groups.feature import FEATURE as GROUPS
from handlers.households.feature import FEATURE as HOUSEHOLDS
from handlers.linking.feature import FEATURE as LINKING
from handlers.onboarding.feature import FEATURE as ONBOARDING
from handlers.organisations.feature import FEATURE as ORGANISATIONS
from handlers.passbook.feature import FEATURE as PASSBOOK
from handlers.polls.feature import FEATURE as POLLS
from handlers.privacy.feature import FEATURE as PRIVACY
from handlers.roles_admin.feature import FEATURE as ROLES_ADMIN
from handlers.tickets.feature import FEATURE as TICKETS
from handlers.volunteers.feature import FEATURE as VOLUNTEERS

FEATURES: tuple[Feature, ...] = (
    ONBOARDING,
    GROUPS,
    TICKETS,
    ANNOUNCE,
    EVENTS,
    LINKING,
    PASSBOOK,
    ORGANISATIONS,
    ROLES_ADMIN,
    VOLUNTEERS,
    HOUSEHOLDS,
    POLLS,
    CONSOLE,
    PRIVACY,
)
