"""Tables of the poll feature: go/no-go polls, their required voters, and the votes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models import UTCDateTime, unique_where, utcnow


class Poll(SQLModel, table=True):
    """A go/no-go poll of a release; at most one open poll per release."""

    __tablename__ = "poll"
    __table_args__ = (unique_where("uq_poll_open_release", "release_id", where="state = 'open'"),)

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    channel_id: str = Field(max_length=32)
    question: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="open", max_length=16)
    outcome: str | None = Field(default=None, max_length=16)
    deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    pinged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Bumped by every vote: its guarded UPDATE also serializes the votes of one poll.
    revision: int = Field(default=0)
    # Kept by the votes, so a vote never recounts the electorate: how many required voters
    # the poll has (fixed at the start), and how many of them vote Go now.
    required_count: int = Field(default=0)
    go_count: int = Field(default=0)


class PollVoter(SQLModel, table=True):
    """A required voter of a poll, fixed when the poll starts.

    `via` names the user group that made them a voter (they were its member at the start),
    or is None for a person named in person or holding a role themselves.
    """

    __tablename__ = "poll_voter"

    poll_id: int = Field(foreign_key="poll.id", primary_key=True)
    user_id: str = Field(max_length=32, primary_key=True)
    position: int = Field(default=0)
    via: str | None = Field(default=None, max_length=32)


class PollVote(SQLModel, table=True):
    """One person's current vote on a poll; a new vote replaces the old one."""

    __tablename__ = "poll_vote"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    user_id: str = Field(max_length=32)
    choice: str = Field(max_length=8)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    voted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
