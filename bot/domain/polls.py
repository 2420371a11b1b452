"""Go/no-go polls: start, vote, close, and what the outcome was."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.models.poll import Poll

GO = "GO"
NO_GO = "NO-GO"
NO_DECISION = "NO DECISION"


def latest_outcome(session: Session, release_id: int) -> str | None:
    """The outcome ("GO", "NO-GO", "NO DECISION") of the release's last closed poll, or None."""
    query = (
        select(Poll.outcome)
        .where(Poll.release_id == release_id, Poll.state == "closed")
        .order_by(col(Poll.closed_at).desc(), col(Poll.id).desc())
    )
    return session.exec(query).first()
