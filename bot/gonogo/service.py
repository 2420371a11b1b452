"""Go/no-go polls: start, tally, close, remind, and what the outcome was (votes: poll_votes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.errors import Conflict, DomainError, NotFound
from bot.core.text.escape import escape
from bot.gonogo.models import Poll, PollVote, PollVoter
from bot.release import roles
from bot.release.models import Release
from bot.release.service import role_holders

GO = "GO"
NO_GO = "NO-GO"
NO_DECISION = "NO DECISION"
PING_BEFORE = timedelta(minutes=15)
MAX_QUESTION = 300
MAX_VOTERS = 500


@dataclass(frozen=True)
class Tally:
    """A poll with its required voters and current votes, counted."""

    poll: Poll
    required: list[str]
    votes: dict[str, PollVote] = field(default_factory=dict)

    def _of(self, users: list[str], choice: str) -> list[str]:
        return [u for u in users if u in self.votes and self.votes[u].choice == choice]

    @property
    def go(self) -> list[str]:
        """Required voters whose vote is Go."""
        return self._of(self.required, "go")

    @property
    def nogo(self) -> list[str]:
        """Required voters whose vote is No-Go."""
        return self._of(self.required, "nogo")

    @property
    def missing(self) -> list[str]:
        """Required voters who have not voted."""
        return [u for u in self.required if u not in self.votes]

    @property
    def advisory(self) -> list[str]:
        """People who voted without being required, in the order they voted."""
        wanted = set(self.required)
        ordered = sorted(self.votes.values(), key=lambda v: (v.voted_at, v.id or 0))
        return [v.user_id for v in ordered if v.user_id not in wanted]

    @property
    def advisory_go(self) -> list[str]:
        """Advisory Go votes."""
        return self._of(self.advisory, "go")

    @property
    def advisory_nogo(self) -> list[str]:
        """Advisory No-Go votes."""
        return self._of(self.advisory, "nogo")

    def outcome(self) -> str:
        """What the poll decides if it closes now."""
        if self.required and len(self.go) == len(self.required):
            return GO
        return NO_GO if self.nogo else NO_DECISION


def latest_outcome(session: Session, release_id: int) -> str | None:
    """The outcome ("GO", "NO-GO", "NO DECISION") of the release's last closed poll, or None."""
    query = (
        select(Poll.outcome)
        .where(Poll.release_id == release_id, Poll.state == "closed")
        .order_by(col(Poll.closed_at).desc(), col(Poll.id).desc())
    )
    return session.exec(query).first()


def open_poll(session: Session, release_id: int) -> Poll | None:
    """The release's open poll, or None."""
    query = select(Poll).where(Poll.release_id == release_id, Poll.state == "open")
    return session.exec(query).first()


def last_poll(session: Session, release_id: int) -> Poll | None:
    """The release's most recent poll, open or closed."""
    query = select(Poll).where(Poll.release_id == release_id).order_by(col(Poll.id).desc())
    return session.exec(query).first()


def get(session: Session, poll_id: int) -> Poll:
    """A poll by id, or NotFound."""
    poll = session.get(Poll, poll_id)
    if poll is None:
        raise NotFound("That poll no longer exists; nothing changed.")
    return poll


def tally(session: Session, poll: Poll) -> Tally:
    """Count a poll's votes as stored now."""
    voters = session.exec(
        select(PollVoter.user_id)
        .where(PollVoter.poll_id == poll.id)
        .order_by(col(PollVoter.position))
    )
    votes = session.exec(select(PollVote).where(PollVote.poll_id == poll.id))
    return Tally(poll, list(voters), {v.user_id: v for v in votes})


def default_voters(session: Session, release_id: int) -> list[str]:
    """Every role holder of the release, lead first, each once."""
    holders = role_holders(session, release_id)
    return list(dict.fromkeys(u for users in holders.values() for u in users))


def resolve_voters(
    session: Session, release: Release, users: list[str], role_names: list[str]
) -> tuple[list[str], list[str]]:
    """Named people plus holders of named roles; also the roles that fell to the lead."""
    assert release.id is not None
    holders = role_holders(session, release.id)
    found, fallen = list(users), []
    for name in role_names:
        role = roles.normalize_role(name)
        if not holders.get(role):
            fallen.append(role)
        found += roles.holders_of(session, release, role)
    return list(dict.fromkeys(found)), fallen


def start(
    session: Session,
    release: Release,
    *,
    question: str,
    voters: list[str],
    deadline: datetime | None,
    actor: str,
    now: datetime,
) -> Poll:
    """Open the release's poll with its required voters (the caller checked authority)."""
    assert release.id is not None
    question = " ".join(question.split())
    if len(question) > MAX_QUESTION:
        raise DomainError(f"Keep the question under {MAX_QUESTION} characters.")
    voters = list(dict.fromkeys(voters)) or default_voters(session, release.id)
    if len(voters) > MAX_VOTERS:
        raise DomainError(f"A poll can have at most {MAX_VOTERS} required voters.")
    if deadline is not None and deadline <= now:
        raise DomainError("The deadline has already passed; pick a time in the future.")
    if open_poll(session, release.id) is not None:
        raise Conflict("A poll is already open here; close it first with `/gonogo close`.")
    poll = Poll(
        release_id=release.id,
        channel_id=release.channel_id,
        question=question or f"Go for release {release.name}?",
        deadline=deadline,
        created_by=actor,
        created_at=now,
    )
    session.add(poll)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("Another poll was just started here.") from None
    assert poll.id is not None
    for position, user in enumerate(voters):
        session.add(PollVoter(poll_id=poll.id, user_id=user, position=position))
    audit.record(
        session,
        release=release,
        actor=actor,
        action="poll.started",
        subject=poll.question,
        after=deadline.isoformat() if deadline else None,
        detail="required: " + " ".join(voters),
        at=now,
    )
    return poll


def set_message(session: Session, poll_id: int, ts: str) -> None:
    """Remember where the poll's channel message is, for refreshes and threads."""
    session.execute(update(Poll).where(col(Poll.id) == poll_id).values(message_ts=ts))


def refused(poll: Poll) -> Conflict:
    """The refusal for acting on a poll that is closed."""
    return Conflict(f"This poll is closed: the result was *{poll.outcome}*. Nothing changed.")


def close(session: Session, poll_id: int, *, actor: str, now: datetime, why: str) -> Poll | None:
    """Close an open poll once (guarded UPDATE) and settle its outcome; None if already closed."""
    claim = (
        update(Poll)
        .where(col(Poll.id) == poll_id, col(Poll.state) == "open")
        .values(state="closed", closed_at=now, closed_by=actor)
    )
    if session.execute(claim).rowcount == 0:  # type: ignore[attr-defined]
        return None
    poll = get(session, poll_id)
    # Read after the guarded UPDATE: every vote committed before it is counted, none after.
    finish(session, poll, tally(session, poll).outcome(), actor=actor, now=now, why=why)
    return poll


def finish(
    session: Session, poll: Poll, outcome: str, *, actor: str, now: datetime, why: str
) -> None:
    """Record a closing poll's outcome (its state was claimed by a guarded UPDATE)."""
    poll.state, poll.outcome, poll.closed_at, poll.closed_by = "closed", outcome, now, actor
    session.add(poll)
    session.flush()
    audit.record(
        session,
        release=session.get(Release, poll.release_id),
        actor=actor,
        action="poll.closed",
        subject=poll.question,
        before="open",
        after=outcome,
        detail=why,
        at=now,
    )


def claim_ping(session: Session, poll_id: int, now: datetime) -> Tally | None:
    """Claim the reminder of an open poll once, before its deadline; None if not to send."""
    claim = (
        update(Poll)
        .where(
            col(Poll.id) == poll_id,
            col(Poll.state) == "open",
            col(Poll.pinged_at).is_(None),
            col(Poll.deadline) > now,
        )
        .values(pinged_at=now)
    )
    if session.execute(claim).rowcount == 0:  # type: ignore[attr-defined]
        return None
    found = tally(session, get(session, poll_id))
    audit.record(
        session,
        release=session.get(Release, found.poll.release_id),
        actor=audit.SYSTEM_ACTOR,
        action="poll.reminded",
        subject=found.poll.question,
        detail="missing: " + (" ".join(found.missing) or "nobody"),
        at=now,
    )
    return found


def ping_due(poll: Poll) -> datetime | None:
    """When the missing voters get their reminder; None when the poll is too short for one."""
    if poll.deadline is None or poll.pinged_at is not None:
        return None
    due = poll.deadline - PING_BEFORE
    return due if due > poll.created_at else None


def with_deadline_before(session: Session, until: datetime) -> list[Poll]:
    """Open polls whose reminder or deadline falls before `until` (overdue ones included)."""
    query = select(Poll).where(
        Poll.state == "open",
        col(Poll.deadline).is_not(None),
        col(Poll.deadline) <= until + PING_BEFORE,
    )
    return list(session.exec(query))


def missing_votes_for(session: Session, user_id: str) -> list[Poll]:
    """Open polls of active releases where `user_id` is a required voter yet to vote."""
    voted = select(PollVote.poll_id).where(PollVote.user_id == user_id)
    query = (
        select(Poll)
        .join(PollVoter, col(PollVoter.poll_id) == col(Poll.id))
        .join(Release, col(Release.id) == col(Poll.release_id))
        .where(
            Poll.state == "open",
            Release.state == "active",
            PollVoter.user_id == user_id,
            col(Poll.id).not_in(voted),
        )
        .order_by(col(Poll.deadline).asc().nulls_last(), col(Poll.id))
    )
    return list(session.exec(query))


def require_go(session: Session, release: Release, step: Any) -> None:
    """A `requires: gonogo` step completes only after a go/no-go poll closed with GO."""
    if step.requires != "gonogo":
        return
    assert release.id is not None
    outcome = latest_outcome(session, release.id)
    if outcome == "GO":
        return
    said = "no go/no-go poll has closed yet" if outcome is None else f"the last poll said {outcome}"
    raise DomainError(
        f"*{escape(step.title)}* needs a GO from the team, and {said}. Ask with `/gonogo` "
        "(the lead can close it early with `/gonogo close`), then mark this step done."
    )
