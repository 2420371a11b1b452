"""Tables of the checklist feature: a release's running checklist and its ordered steps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models import UTCDateTime, unique_where, utcnow


class Checklist(SQLModel, table=True):
    """One run of a template for a release; one running checklist per release."""

    __tablename__ = "checklist"
    __table_args__ = (
        unique_where("uq_checklist_running_release", "release_id", where="state = 'running'"),
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
    # The job the step runs (RunSpec as JSON), when its template says `run:`.
    run: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

    @property
    def gate_names(self) -> list[str]:
        """The gates that must pass before this step can be marked done."""
        return [name for name in self.gates.split(",") if name]


class ChecklistJob(SQLModel, table=True):
    """One press of Run on one attempt at a step: the claim, written before the job is sent.

    One per attempt (the unique constraint), so Run pressed twice, or on two replicas,
    sends the job once. `state`: sending (claimed; the request may be in flight), running
    (the run is known), unknown (a lookup could not tell whether it started: a person
    decides), success or failed (concluded). A rehearsal's job is `simulated` (the outcome
    it stands for) and sends nothing.
    """

    __tablename__ = "checklist_job"
    __table_args__ = (UniqueConstraint("step_id", "attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    step_id: int = Field(foreign_key="checklist_step.id", index=True)
    attempt: int
    kind: str = Field(max_length=16)
    state: str = Field(default="sending", max_length=16, index=True)
    simulated: str | None = Field(default=None, max_length=16)
    started_by: str = Field(max_length=32)
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    correlation: str = Field(max_length=64)
    inputs: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    run_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    run_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str | None = Field(default=None, max_length=32)
    conclusion: str | None = Field(default=None, max_length=32)
    etag: str | None = Field(default=None, max_length=200)
    next_check_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deadline_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
