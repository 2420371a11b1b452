"""The gate table, the kinds of gate it holds, and every check's result (`gate_check`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models import UTCDateTime, utcnow

HTTP = "http"
MANUAL = "manual"
GITHUB = "github"  # a GitHub issue search: green at 0 results
TESTGRID = "testgrid"  # TestGrid dashboards read as the release-signal handbook does
PUSH = "push"  # CI reports its results (the API); unknown when no report came in time
CHECKED = (HTTP, GITHUB, TESTGRID)  # the kinds the bot checks by itself
TIMED = (*CHECKED, PUSH)  # the kinds with a timer at `next_check_at` (a check, a deadline)


class Gate(SQLModel, table=True):
    """A named condition of a release: a check the bot runs or a manual pass/fail, with owners.

    `state` is what people see (unknown, passing, yellow, failing); a failing check only turns
    it to failing after `damping` failures in a row. `version` guards every transition.
    Owners are people (`owners`) and roles (`owner_roles`, their holders at the time of use).
    A native gate keeps what it asks in `spec` (JSON) and what it last saw, item by item, in
    `findings` (JSON), so alerts and lists can show the open blockers or the jobs not passing.
    """

    __tablename__ = "gate"
    __table_args__ = (UniqueConstraint("release_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    name: str = Field(max_length=40)
    kind: str = Field(max_length=16)  # HTTP | MANUAL | GITHUB | TESTGRID | PUSH
    url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    expect: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    headers: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    owners: str = Field(default="", max_length=400)  # user ids, space-separated
    owner_roles: str = Field(default="", max_length=400)  # role names, space-separated
    spec: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    findings: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    alert_yellow: bool = Field(default=False)
    interval_seconds: int = Field(default=600)
    damping: int = Field(default=2)
    repeat_seconds: int = Field(default=1800)
    state: str = Field(default="unknown", max_length=16)
    state_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fail_streak: int = Field(default=0)
    last_result: str | None = Field(default=None, max_length=16)
    last_detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_check_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    pings: int = Field(default=0)
    next_ping_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    alert_ts: str | None = Field(default=None, max_length=32)
    # The escalation ladder of the current red spell: rungs told, and when to look again.
    rungs_told: int = Field(default=0)
    rung_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    message_ts: str | None = Field(default=None, max_length=32)
    version: int = Field(default=0)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def owner_ids(self) -> list[str]:
        """The gate's owners named as people, as Slack user ids."""
        return self.owners.split()

    def role_names(self) -> list[str]:
        """The roles whose holders own the gate."""
        return self.owner_roles.split()

    def asked(self) -> dict[str, Any]:
        """What a native gate asks (its query, its dashboards); {} for other gates."""
        return parse_spec(self.spec)


def parse_spec(stored: str | None) -> dict[str, Any]:
    """A native gate's stored spec (JSON) as a dict; {} when there is none or it does not read."""
    try:
        found = json.loads(stored) if stored else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


class GateCheck(SQLModel, table=True):
    """One recorded result of a gate: a check's verdict or a manual set, and what it measured."""

    __tablename__ = "gate_check"
    __table_args__ = (Index("ix_gate_check_gate_at", "gate_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    gate_id: int = Field(
        sa_column=Column(Integer, ForeignKey("gate.id", ondelete="CASCADE"), nullable=False)
    )
    release_id: int = Field(foreign_key="release.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    result: str = Field(max_length=16)  # pass | fail | yellow | unknown
    state: str = Field(max_length=16)  # the gate's state once the result was recorded
    value: float | None = Field(default=None)
    detail: str | None = Field(default=None, max_length=300)
