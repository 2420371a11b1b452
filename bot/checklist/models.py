"""Tables of the checklist feature: a release's running checklist and its ordered steps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.core.models import UTCDateTime, utcnow


class Checklist(SQLModel, table=True):
    """One run of a template for a release; one running checklist per release."""

    __tablename__ = "checklist"
    __table_args__ = (
        Index(
            "uq_checklist_running_release",
            "release_id",
            unique=True,
            sqlite_where=text("state = 'running'"),
            postgresql_where=text("state = 'running'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    channel_id: str = Field(max_length=32)
    template: str = Field(max_length=64)
    description: str = Field(default="", max_length=300)
    state: str = Field(default="running", max_length=16)
    started_by: str = Field(max_length=32)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_ts: str | None = Field(default=None, max_length=32)
    # A rehearsal: it runs for a stand-in release, pings nobody and waits for nothing.
    rehearsal: bool = Field(default=False)


class ChecklistStep(SQLModel, table=True):
    """One step of a checklist, copied from its template when the checklist started."""

    __tablename__ = "checklist_step"
    __table_args__ = (UniqueConstraint("checklist_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    checklist_id: int = Field(foreign_key="checklist.id", index=True)
    position: int
    title: str = Field(max_length=300)
    owner: str = Field(max_length=64)
    not_before: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expected_seconds: int | None = Field(default=None)
    gates: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    requires: str | None = Field(default=None, max_length=16)
    state: str = Field(default="pending", max_length=16, index=True)
    activations: int = Field(default=0)
    # Escalation rungs told about this attempt, and when the next one is due (None: no more).
    nudged: int = Field(default=0)
    nudge_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    activated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acted_by: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # In a rehearsal, the go/no-go result simulated with a button ("GO"), for `requires: gonogo`.
    simulated: str | None = Field(default=None, max_length=16)

    @property
    def gate_names(self) -> list[str]:
        """The gates that must pass before this step can be marked done."""
        return [name for name in self.gates.split(",") if name]
