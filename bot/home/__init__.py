"""App Home: each person's releases and what waits on them, kept fresh as a live view.

The front door: `register(services)` builds the feature once. Its `Homes` publishes a Home
when its person opens it and owes a refresh to the viewers a change concerns; the Slack
listener speaks for that one object (`services.part(Homes)`).
"""

from __future__ import annotations

from bot.core.feature import Feature
from bot.core.services import Services
from bot.home import flows
from bot.home.flows import Homes


def register(services: Services) -> Feature:
    """Build the feature once: Homes published through the outbox, refreshed after changes."""
    homes = Homes(services)
    services.outbox.teach(flows.KIND, refresher=homes.refresher)
    services.db.before_commit(homes.owe_refreshes)
    return Feature("home", homes)
