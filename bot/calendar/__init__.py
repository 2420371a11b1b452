"""The release seen from outside Slack: a private calendar feed and a read-only web page.

The front door: `register(services)` builds the feature once. The feed and the page are
served by `handlers/calendar.py` on the bot's web port.
"""

from __future__ import annotations

from bot.core.feature import Feature
from bot.core.services import Services


def register(services: Services) -> Feature:
    """Build the feature once (it runs nothing of its own in the background)."""
    return Feature("calendar")
