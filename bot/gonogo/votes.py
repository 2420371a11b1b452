"""Votes on go/no-go polls, one at a time or many in one transaction (group commit).

A batch first bumps the poll's revision with an UPDATE guarded on `state = 'open'`: that
refuses votes on a closed poll and serializes the writers of one poll (the row lock on
Postgres, the write lock on SQLite), so the all-Go check and a close never miss a vote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, literal, union_all, update
from sqlalchemy import select as select_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

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
    """Store many votes on one poll in this transaction, in order; each gets its own answer.

    Its cost does not grow with the electorate: the required voters among the ballots and
    their current votes are read by key, and the poll keeps how many required voters it has
    and how many of them vote Go, so "every required Go" is one comparison.
    """
    conn = session.connection()
    poll = _open_poll(session, poll_id, len(ballots))
    if isinstance(poll, DomainError):
        return [poll] * len(ballots)
    required, current = _standing(session, poll_id, list({b.user for b in ballots}))
    results: list[Voted | DomainError] = []
    rows: dict[str, dict[str, Any]] = {}
    trail: list[dict[str, Any]] = []
    go_delta = 0
    for item in ballots:
        if item.channel_id and item.channel_id != poll.channel_id:
            results.append(Conflict("That button belongs to a poll in another channel."))
            continue
        before = current.get(item.user)
        current[item.user] = item.choice
        counts = item.user in required
        if counts:
            go_delta += (item.choice == "go") - (before == "go")
        rows[item.user] = {"poll_id": poll_id, "user_id": item.user, "choice": item.choice}
        rows[item.user].update(reason=item.reason, voted_at=now)
        trail.append(_audit_row(poll, item, before, counts, now))
        results.append(Voted(poll, before, counts, False))
    if not rows:
        return results
    _upsert(session, list(rows.values()))
    conn.execute(AuditEvent.__table__.insert(), trail)  # type: ignore[attr-defined]
    audit.touched(session, poll.release_id)
    gone = [i for i, r in enumerate(results) if isinstance(r, Voted) and r.required]
    if go_delta and _all_go(session, poll_id, go_delta) and ballots[gone[-1]].choice == "go":
        poll = get(session, poll_id)
        finish(session, poll, GO, actor=audit.SYSTEM_ACTOR, now=now, why="every required Go")
        last = results[gone[-1]]
        assert isinstance(last, Voted)
        results[gone[-1]] = Voted(poll, last.before, True, True)
    return results


def _standing(session: Session, poll_id: int, users: list[str]) -> tuple[set[str], dict[str, str]]:
    """Which of these users are required voters, and their current votes (one round trip)."""
    voter = PollVoter.__table__.c  # type: ignore[attr-defined]
    cast = PollVote.__table__.c  # type: ignore[attr-defined]
    query = union_all(
        select_(voter.user_id, literal(None, String).label("choice")).where(
            voter.poll_id == poll_id, voter.user_id.in_(users)
        ),
        select_(cast.user_id, cast.choice).where(cast.poll_id == poll_id, cast.user_id.in_(users)),
    )
    required: set[str] = set()
    current: dict[str, str] = {}
    for user, choice in session.connection().execute(query):
        if choice is None:
            required.add(user)
        else:
            current[user] = choice
    return required, current


def _open_poll(session: Session, poll_id: int, count: int) -> Poll | DomainError:
    """Bump the open poll's revision (which locks it for this batch); a refusal if closed."""
    bump = (
        update(Poll)
        .where(col(Poll.id) == poll_id, col(Poll.state) == "open")
        .values(revision=Poll.revision + count)
        .returning(col(Poll.release_id), col(Poll.channel_id), col(Poll.question))
    )
    found = session.connection().execute(bump).first()
    if found is None:
        try:
            return refused(get(session, poll_id))
        except DomainError as missing:
            return missing
    release_id, channel_id, question = found
    # The batch's own view of the poll: what its answers and audit rows need to say.
    return Poll(
        id=poll_id, release_id=release_id, channel_id=channel_id, question=question, created_by=""
    )


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
    statement = make(PollVote.__table__).values(rows)  # type: ignore[attr-defined]
    excluded = statement.excluded
    session.connection().execute(
        statement.on_conflict_do_update(
            index_elements=["poll_id", "user_id"],
            set_={
                "choice": excluded.choice,
                "reason": excluded.reason,
                "voted_at": excluded.voted_at,
            },
        )
    )


def _all_go(session: Session, poll_id: int, go_delta: int) -> bool:
    """Add the batch's change to the poll's Go count; True when every required voter is Go."""
    counted = session.connection().execute(
        update(Poll)
        .where(col(Poll.id) == poll_id)
        .values(go_count=Poll.go_count + go_delta)
        .returning(col(Poll.go_count), col(Poll.required_count))
    )
    go_count, required_count = counted.one()
    return bool(required_count) and go_count >= required_count
