"""Column types and indexes shared by every table, and the tables of the shared machinery.

The audit trail (every state change of every feature) and the Slack events already handled.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, Text, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Session, SQLModel

from bot.core.errors import Conflict


class UTCDateTime(TypeDecorator[datetime]):
    """Stores an aware datetime as UTC and always gives back an aware UTC datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def unique_where(name: str, *columns: str, where: str) -> Index:
    """A unique index over only the rows that match `where` (SQL), on SQLite and PostgreSQL.

    For "at most one open X per Y": the rows outside `where` may repeat freely.
    """
    return Index(
        name,
        *columns,
        unique=True,
        sqlite_where=text(where),
        postgresql_where=text(where),
    )


def insert_once(session: Session, row: SQLModel, conflict: str) -> None:
    """Write `row` now; Conflict(`conflict`) when a unique index refuses it (a racing twin)."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(conflict) from None


class AuditEvent(SQLModel, table=True):
    """One state change: who did what, when, from what to what."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    release_id: int | None = Field(default=None, foreign_key="release.id", index=True)
    channel_id: str = Field(max_length=32)
    actor: str = Field(max_length=120)  # a user id, "releasebot", or an API token's label
    action: str = Field(max_length=64)
    subject: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    after: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ProcessedEvent(SQLModel, table=True):
    """A Slack event_id already handled, so Slack's retries are not processed twice."""

    __tablename__ = "processed_event"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LeaderTerm(SQLModel, table=True):
    """The leader's epoch: one row, bumped by every replica that takes the lead (a fencing token).

    Work a leader claims carries its epoch, and the write that finishes the work checks that
    the epoch is still this row's: a leader that lost the lead and has not noticed yet
    cannot finish work its successor has taken.
    """

    __tablename__ = "leader_term"

    id: int = Field(default=1, primary_key=True)
    epoch: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    holder: str = Field(default="", max_length=128)
    since: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
