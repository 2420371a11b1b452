"""Webhooks out: a release's events, signed (Standard Webhooks 1.0), delivered from the outbox.

The front door: `register(services)` builds the feature once. It answers the core's
`Webhooks` protocol (`services.outbox.emit`, `services.outbox.webhooks.send_to`), so a
feature owes an event in its own transaction without knowing this one, and it runs the
`Dispatcher` that delivers on the leader, started and stopped with Services.
"""

from __future__ import annotations

from sqlalchemy.event import listen
from sqlmodel import Session

from bot.core.events import Delivery, Event
from bot.core.feature import Feature
from bot.core.services import Services
from bot.webhooks import service
from bot.webhooks.delivery import Dispatcher, Settings

_POKE_HOOKED = "releasebot_webhooks_poke"


class Webhooks(Feature):
    """The feature: what features emit lands here; the dispatcher delivers it."""

    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.dispatcher = Dispatcher(
            services.db,
            services.outbox,
            services.sender.leadership,
            Settings(
                allow=tuple(settings.gate_allow),
                timeout=settings.gate_timeout,
                proxy=settings.gate_proxy or None,
            ),
            clock=services.now,
        )
        super().__init__("webhooks", self.dispatcher)

    def start(self) -> None:
        """Start delivering (on the leader); stop() stops the dispatcher, a part of it."""
        self.dispatcher.start()

    def emit(self, session: Session, event: Event) -> None:
        """Owe the event to every endpoint of its release that wants it (this transaction)."""
        service.owe(session, event)
        self._poke_after_commit(session)

    def send_to(self, session: Session, endpoint: str, event: Event) -> str:
        """Owe the event to one endpoint of its release (its number or URL); the webhook-id.

        For a checklist step that calls a webhook: the same signing, order, retries and
        pause as every event; raises NotFound or Conflict (a paused endpoint) with a message.
        """
        webhook_id = service.send_to(session, endpoint, event)
        self._poke_after_commit(session)
        return webhook_id

    def delivery(self, session: Session, webhook_id: str) -> Delivery | None:
        """What became of a delivery: pending, delivered or failed, and the last answer."""
        return service.delivery(session, webhook_id)

    def _poke_after_commit(self, session: Session) -> None:
        if not session.info.get(_POKE_HOOKED):
            session.info[_POKE_HOOKED] = True
            listen(session, "after_commit", lambda _s: self.dispatcher.poke(), once=True)


def register(services: Services) -> Webhooks:
    """Build the feature once: events reach it through the outbox; its dispatcher runs."""
    feature = Webhooks(services)
    services.outbox.webhooks = feature
    return feature
