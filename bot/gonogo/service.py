"""Go/no-go polls: starting and closing them, who may, the tally, and what the outcome was.

A lead (or an admin) starts and closes a poll; the deadline timer closes it as the system.
Votes are written in `votes`, the deadline's reminder is planned in `deadline`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.actor import SYSTEM, Actor
from bot.core.errors import Conflict, DomainError, NotFound
from bot.core.guards import GuardedStep, Hold
from bot.core.models import insert_once
from bot.core.text.escape import escape
from bot.gonogo.models import Poll, PollVote, PollVoter
from bot.release import roles
from bot.release import service as releases
from bot.release.groups import groups_in, via_groups
from bot.release.models import Release

GO = "GO"
NO_GO = "NO-GO"
NO_DECISION = "NO DECISION"
MAX_QUESTION = 300
MAX_VOTERS = 500
STARTING = "start a go/no-go poll"
CLOSING = "close the poll"


@dataclass(frozen=True)
class Tally:
    """A poll with its required voters and current votes, counted.

    `via` maps each required voter who is one because of a user group to that group.
    """

    poll: Poll
    required: list[str]
    votes: dict[str, PollVote] = field(default_factory=dict)
    via: dict[str, str] = field(default_factory=dict)

    @property
    def groups(self) -> dict[str, list[str]]:
        """Each user group named as voters -> its members who are required voters, in order."""
        found: dict[str, list[str]] = {}
        for user in self.required:
            if user in self.via:
                found.setdefault(self.via[user], []).append(user)
        return found

    @property
    def named(self) -> list[str]:
        """Required voters named in person (or through their own role), not through a group."""
        return [u for u in self.required if u not in self.via]

    def missing_of(self, group: str) -> list[str]:
        """Members of `group` who are required and have not voted."""
        return [u for u in self.groups.get(group, []) if u not in self.votes]

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
        select(PollVoter.user_id, PollVoter.via)
        .where(PollVoter.poll_id == poll.id)
        .order_by(col(PollVoter.position))
    ).all()
    votes = session.exec(select(PollVote).where(PollVote.poll_id == poll.id))
    via = {user: group for user, group in voters if group}
    return Tally(poll, [user for user, _ in voters], {v.user_id: v for v in votes}, via)


def default_voters(session: Session, release_id: int) -> list[str]:
    """Every role holder of the release (people and user groups), lead first, each once."""
    holders = releases.role_holders(session, release_id)
    return list(dict.fromkeys(u for users in holders.values() for u in users))


def resolve_voters(
    session: Session, release: Release, users: list[str], role_names: list[str]
) -> tuple[list[str], list[str]]:
    """Named people and groups plus holders of named roles; also the roles that fell to the lead."""
    assert release.id is not None
    holders = releases.role_holders(session, release.id)
    found, fallen = list(users), []
    for name in role_names:
        role = roles.normalize_role(name)
        if not holders.get(role):
            fallen.append(role)
        found += roles.holders_of(session, release, role)
    return list(dict.fromkeys(found)), fallen


@dataclass(frozen=True)
class Started:
    """A poll just opened from a channel: its tally, and the roles that fell to the lead."""

    release: Release
    tally: Tally
    fallen: list[str]


def start_in_channel(
    session: Session,
    channel_id: str,
    *,
    question: str,
    users: list[str],
    role_names: list[str],
    deadline: datetime | None,
    actor: Actor,
    now: datetime,
) -> Started:
    """`/gonogo`: open the channel's poll for named people, groups and role holders (a lead)."""
    release = releases.lock_active(session, channel_id)
    # Also checked by `start`; first here, so a non-lead is told that before any role name.
    releases.require_lead(session, release, actor, STARTING)
    voters, fallen = resolve_voters(session, release, users, role_names)
    poll = start(
        session,
        release,
        question=question,
        voters=voters,
        deadline=deadline,
        actor=actor,
        now=now,
    )
    return Started(release, tally(session, poll), fallen)


def start(
    session: Session,
    release: Release,
    *,
    question: str,
    voters: list[str],
    deadline: datetime | None,
    actor: Actor,
    now: datetime,
) -> Poll:
    """Open the release's poll with its required voters; only a lead or an admin may.

    `voters` are people and user groups; a group makes every member it has now a required
    voter (read with the actor's group reader).
    """
    releases.require_lead(session, release, actor, STARTING)
    assert release.id is not None
    question = " ".join(question.split())
    holders = list(dict.fromkeys(voters)) or default_voters(session, release.id)
    expanded = via_groups(holders, actor.members_of)
    voters = [user for user, _ in expanded]
    _refuse_bad_start(question, voters, deadline, now)
    if not voters and groups_in(holders):
        raise DomainError("The user groups named as voters have no members; nobody could vote.")
    if open_poll(session, release.id) is not None:
        raise Conflict("A poll is already open here; close it first with `/gonogo close`.")
    poll = Poll(
        release_id=release.id,
        channel_id=release.channel_id,
        question=question or f"Go for release {release.name}?",
        deadline=deadline,
        created_by=actor.user,
        created_at=now,
        required_count=len(voters),
    )
    insert_once(session, poll, "Another poll was just started here.")
    assert poll.id is not None
    for position, (user, group) in enumerate(expanded):
        session.add(PollVoter(poll_id=poll.id, user_id=user, position=position, via=group))
    audit.record(
        session,
        release,
        "poll.started",
        poll.question,
        after=deadline,
        detail=_required_detail(voters, groups_in(holders)),
        actor=actor.user,
        at=now,
    )
    return poll


def _required_detail(voters: list[str], groups: list[str]) -> str:
    """The audit detail of a new poll: who must vote, and the groups they came from."""
    detail = "required: " + " ".join(voters)
    if groups:
        detail += " (members of " + " ".join(groups) + " at the start)"
    return detail


def _refuse_bad_start(
    question: str, voters: list[str], deadline: datetime | None, now: datetime
) -> None:
    if len(question) > MAX_QUESTION:
        raise DomainError(f"Keep the question under {MAX_QUESTION} characters.")
    if len(voters) > MAX_VOTERS:
        raise DomainError(f"A poll can have at most {MAX_VOTERS} required voters.")
    if deadline is not None and deadline <= now:
        raise DomainError("The deadline has already passed; pick a time in the future.")


def set_message(session: Session, poll_id: int, ts: str) -> None:
    """Remember where the poll's channel message is, for refreshes and threads."""
    session.execute(update(Poll).where(col(Poll.id) == poll_id).values(message_ts=ts))


def refused(poll: Poll) -> Conflict:
    """The refusal for acting on a poll that is closed."""
    return Conflict(f"This poll is closed: the result was *{poll.outcome}*. Nothing changed.")


def votable(session: Session, poll_id: int, channel_id: str) -> Poll:
    """The poll a No-Go is about to be cast on, if it is open and the button is in its channel."""
    poll = get(session, poll_id)
    if poll.state != "open":
        raise refused(poll)
    if channel_id and poll.channel_id != channel_id:
        raise DomainError("That button belongs to a poll in another channel; nothing changed.")
    return poll


def close_in_channel(
    session: Session,
    channel_id: str,
    *,
    actor: Actor,
    now: datetime,
) -> Poll:
    """`/gonogo close`: close the channel's open poll now (a lead or an admin)."""
    release = releases.active_release(session, channel_id)
    assert release.id is not None
    poll = open_poll(session, release.id)
    if poll is None:
        # told before there is no poll
        releases.require_lead(session, release, actor, CLOSING)
        raise NotFound("There is no open poll in this channel. Start one with `/gonogo`.")
    assert poll.id is not None
    return close_now(session, poll.id, actor=actor, now=now)


def close_now(
    session: Session,
    poll_id: int,
    *,
    actor: Actor,
    now: datetime,
) -> Poll:
    """A lead or an admin closes the poll before its deadline; refused if it is closed."""
    closed = close(session, poll_id, actor=actor, now=now, why="closed early by a lead")
    if closed is None:
        raise refused(get(session, poll_id))
    return closed


def close(
    session: Session,
    poll_id: int,
    *,
    actor: Actor,
    now: datetime,
    why: str,
) -> Poll | None:
    """Close an open poll once and settle its outcome; None if already closed.

    A person must be a lead of the release or an admin; the deadline timer (the system
    actor) always may.
    """
    if actor != SYSTEM:
        poll = get(session, poll_id)
        release = releases.get(session, poll.release_id)
        releases.require_lead(session, release, actor, CLOSING)
    claim = (
        update(Poll)
        .where(col(Poll.id) == poll_id, col(Poll.state) == "open")
        .values(state="closed", closed_at=now, closed_by=actor.user)
    )
    if session.execute(claim).rowcount == 0:  # type: ignore[attr-defined]
        return None
    poll = get(session, poll_id)
    # Read after the guarded UPDATE: every vote committed before it is counted, none after.
    finish(session, poll, tally(session, poll).outcome(), actor=actor.user, now=now, why=why)
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
        session.get(Release, poll.release_id),
        "poll.closed",
        poll.question,
        before="open",
        after=outcome,
        detail=why,
        actor=actor,
        at=now,
    )


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


def voters_in(session: Session, release_ids: set[int]) -> set[str]:
    """Everyone asked to vote in a poll of these releases."""
    query = (
        select(PollVoter.user_id)
        .join(Poll, col(Poll.id) == col(PollVoter.poll_id))
        .where(col(Poll.release_id).in_(release_ids))
    )
    return set(session.exec(query))


def require_go(session: Session, release_id: int, step: GuardedStep) -> Hold | None:
    """A `requires: gonogo` step completes only after a go/no-go poll closed with GO."""
    if step.requires != "gonogo":
        return None
    outcome = latest_outcome(session, release_id)
    if outcome == GO:
        return None
    said = "no go/no-go poll has closed yet" if outcome is None else f"the last poll said {outcome}"
    return Hold(
        f"*{escape(step.title)}* needs a GO from the team, and {said}. Ask with `/gonogo` "
        "(the lead can close it early with `/gonogo close`), then mark this step done."
    )


def voting_groups_for(session: Session, user_id: str) -> dict[int, str]:
    """Open poll id -> the user group through which the person was asked to vote (for Home)."""
    query = (
        select(PollVoter.poll_id, PollVoter.via)
        .join(Poll, col(Poll.id) == col(PollVoter.poll_id))
        .where(Poll.state == "open", PollVoter.user_id == user_id, col(PollVoter.via).is_not(None))
    )
    return {poll_id: str(via) for poll_id, via in session.exec(query) if via}
