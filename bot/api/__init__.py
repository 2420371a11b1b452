"""The HTTP API's own parts: tokens, the request and response models, rate limits.

`register(services)` builds the Gatekeeper that checks every call; the routes themselves are
in `handlers/api/`, calling each feature's services as a Slack click does.
"""

from __future__ import annotations

from bot.api.access import Gatekeeper
from bot.api.limits import RateLimiter
from bot.core.services import Services

PREFIX = "/api/v1"


def register(services: Services) -> Gatekeeper:
    """The API's gatekeeper for this app: tokens checked against its database, rates per token."""
    limiter = RateLimiter(services.settings.api_rate_per_minute)
    return Gatekeeper(services.db, services, limiter)
