"""Slack's events, each handled once: Slack retries an event it thinks failed.

The first delivery of an event_id is noted in the database (`processed_event`); a retry,
on this replica or another, finds it there and is dropped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.core.db import Database
from bot.core.models import ProcessedEvent


def first_delivery(db: Database, event_id: str, now: datetime) -> bool:
    """Note the event as handled; False when it was handled already (a retry)."""
    try:
        with db.session() as s:
            s.add(ProcessedEvent(event_id=event_id[:64], received_at=now))
    except IntegrityError:
        return False
    return True
