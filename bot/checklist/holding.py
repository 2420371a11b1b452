"""A click that a guard may hold back, and the transaction it runs in.

When a guard holds a step (a red gate, no GO yet), the click is refused with the hold's
reason, and whom the hold names are asked in the checklist thread: that ask is owed in the
click's own transaction, which commits it before the refusal is raised, so a held click
costs one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session

from bot.checklist import messages
from bot.checklist.steps import Held
from bot.core.services import Services


@contextmanager
def holding(services: Services, actor: str) -> Iterator[Session]:
    """A write transaction for `actor`'s click; a `Held` raised in it commits its ask first."""
    held: Held | None = None
    with services.db.session() as session:
        try:
            yield session
        except Held as err:
            now = services.now()
            services.outbox.queue(session, *messages.asking(err, actor, now), now=now)
            held = err
    if held is not None:
        raise held
