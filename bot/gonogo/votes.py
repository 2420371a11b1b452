"""Votes on go/no-go polls, one at a time or many in one transaction (group commit).

A batch first bumps the poll's revision with an UPDATE guarded on `state = 'open'`: that
refuses votes on a closed poll and serializes the writers of one poll (the row lock on
Postgres, the write lock on SQLite), so the all-Go check and a close never miss a vote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.errors import Conflict, DomainError
from bot.core.models import AuditEvent
from bot.gonogo.models import Poll, PollVote, PollVoter
from bot.gonogo.service import GO, finish, get, refused

CHOICES = {"go": "Go", "nogo": "No-Go"}
MAX_REASON = 1000


@dataclass(frozen=True)
class Ballot:
    """One click's vote: who, what, why, and the channel the button was in."""

    user: str
    choice: str
    reason: str | None = None
    channel_id: str | None = None


@dataclass(frozen=True)
class Voted:
    """What a vote did: the choice it replaced, whether it counts, and a close it caused."""

    poll: Poll
    before: str | None
    required: bool
    closed: bool


def ballot(user: str, choice: str, reason: str | None, channel_id: str | None) -> Ballot:
    """A checked ballot: a known choice, and a reason for every No-Go."""
    if choice not in CHOICES:
        raise DomainError("That is not a vote I know; nothing changed.")
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise DomainError(
            f"A reason takes at most {MAX_REASON:,} characters; this one has {len(reason):,}. "
            "Shorten it and vote again."
        )
    if choice == "nogo" and reason is None:
        raise DomainError("A No-Go needs a reason, so the team knows what to fix.")
    return Ballot(user, choice, reason, channel_id)


def vote(
    session: Session,
    poll_id: int,
    *,
    user: str,
    choice: str,
    reason: str | None,
    channel_id: str | None,
    now: datetime,
) -> Voted:
    """Store (or change) one vote; closes GO when every required vote is Go."""
    result = vote_batch(session, poll_id, [ballot(user, choice, reason, channel_id)], now)[0]
    if isinstance(result, DomainError):
        raise result
    return result


def vote_batch(
    session: Session, poll_id: int, ballots: list[Ballot], now: datetime
) -> list[Voted | DomainError]:
    """Store many votes on one poll in this transaction, in order; each gets its own answer."""
    bump = (
        update(Poll)
        .where(col(Poll.id) == poll_id, col(Poll.state) == "open")
        .values(revision=Poll.revision + len(ballots))
    )
    if session.execute(bump).rowcount == 0:  # type: ignore[attr-defined]
        try:
            error: DomainError = refused(get(session, poll_id))
        except DomainError as missing:
            error = missing
        return [error] * len(ballots)
    poll = get(session, poll_id)
    required = set(session.exec(select(PollVoter.user_id).where(PollVoter.poll_id == poll_id)))
    users = {b.user for b in ballots}
    current: dict[str, str] = dict(
        session.exec(
            select(PollVote.user_id, PollVote.choice).where(
                PollVote.poll_id == poll_id, col(PollVote.user_id).in_(users)
            )
        ).all()
    )
    results: list[Voted | DomainError] = []
    rows: dict[str, dict[str, Any]] = {}
    trail: list[dict[str, Any]] = []
    for item in ballots:
        if item.channel_id and item.channel_id != poll.channel_id:
            results.append(Conflict("That button belongs to a poll in another channel."))
            continue
        before = current.get(item.user)
        current[item.user] = item.choice
        rows[item.user] = {"poll_id": poll_id, "user_id": item.user, "choice": item.choice}
        rows[item.user].update(reason=item.reason, voted_at=now)
        trail.append(_audit_row(poll, item, before, item.user in required, now))
        results.append(Voted(poll, before, item.user in required, False))
    if rows:
        _upsert(session, list(rows.values()))
        session.execute(insert(AuditEvent), trail)
        audit.touched(session, poll.release_id)
    gone = [i for i, r in enumerate(results) if isinstance(r, Voted) and r.required]
    if gone and ballots[gone[-1]].choice == "go" and _all_go(session, poll_id):
        finish(session, poll, GO, actor=audit.SYSTEM_ACTOR, now=now, why="every required Go")
        last = results[gone[-1]]
        assert isinstance(last, Voted)
        results[gone[-1]] = Voted(poll, last.before, True, True)
    return results


def _audit_row(
    poll: Poll, item: Ballot, before: str | None, required: bool, now: datetime
) -> dict[str, Any]:
    return {
        "release_id": poll.release_id,
        "channel_id": poll.channel_id,
        "actor": item.user,
        "action": "poll.voted" if required else "poll.voted_advisory",
        "subject": poll.question,
        "before": CHOICES[before] if before else None,
        "after": CHOICES[item.choice],
        "detail": item.reason,
        "at": now,
    }


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = make(PollVote).values(rows)
    excluded = statement.excluded
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["poll_id", "user_id"],
            set_={
                "choice": excluded.choice,
                "reason": excluded.reason,
                "voted_at": excluded.voted_at,
            },
        )
    )


def _all_go(session: Session, poll_id: int) -> bool:
    gone = and_(
        col(PollVote.poll_id) == col(PollVoter.poll_id),
        col(PollVote.user_id) == col(PollVoter.user_id),
        col(PollVote.choice) == "go",
    )
    not_go = (
        select(func.count())
        .select_from(PollVoter)
        .outerjoin(PollVote, gone)
        .where(col(PollVoter.poll_id) == poll_id, col(PollVote.id).is_(None))
    )
    return int(session.exec(not_go).one()) == 0
