"""Where a live message is, once the outbox posted it: what every refresher asks first.

A live message's first post goes through the outbox like any other; until Slack has taken
it there is nothing to update, and a refresher answers WAIT (try again soon) or None (it
will never be posted: its row failed, was dropped, or there is none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.core.outbox import PENDING, SENT, WAIT, OutboxRow, Wait


@dataclass(frozen=True)
class Posted:
    """A live message Slack has: its ts, and when the outbox sent it (when it was read)."""

    ts: str
    sent_at: datetime | None = None


def posted(
    session: Session, key: str, kept: str | None = None, *, drawn_when_sent: bool = False
) -> Posted | Wait | None:
    """The live message owed under `key`, once posted; WAIT while its first post is pending.

    `kept` is the ts the feature keeps itself (nothing is read then). A message
    `drawn_when_sent` waits only once the sender has claimed it: before, it will be drawn
    as things are when it goes, so there is nothing to refresh.
    """
    if kept:
        return Posted(kept)
    row = session.exec(select(OutboxRow).where(OutboxRow.key == key)).first()
    if row is None:
        return None
    if row.state == PENDING:
        return WAIT if row.claimed_until is not None or not drawn_when_sent else None
    if row.state != SENT or not row.ts or row.sent_at is None:
        return None
    return Posted(row.ts, row.sent_at)
