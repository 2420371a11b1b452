"""The API's requests and responses: pydantic models, the source of the OpenAPI document.

Requests refuse unknown fields (`extra="forbid"`), so a misspelt field is named back to the
caller instead of being ignored. Errors are RFC 9457 problem details (`Problem`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

MAX_REASON = 1000
MAX_DETAIL = 300
Title = Field(default=None, max_length=300, description="The step's title, to be sure of it.")


class Strict(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """RFC 9457 problem details: what went wrong, and what to do about it."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="The kind of problem, in a few words.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong in this request, and how to fix it.")
    instance: str | None = Field(default=None, description="The request's path.")
    errors: list[FieldError] | None = Field(
        default=None, description="For a request that does not validate: each field at fault."
    )


class FieldError(BaseModel):
    """One field of a request that does not validate."""

    field: str = Field(description="Where: `body.reason`, `path.position`, `query.x`.")
    problem: str = Field(description="What is wrong with it.")


# --- the release as `/release status` shows it ------------------------------------------------


class Role(BaseModel):
    """A role and its holders (Slack user ids `U…`, or user groups `S…`)."""

    name: str
    holders: list[str]


class Milestone(BaseModel):
    """A milestone of the release's schedule."""

    name: str
    at: datetime
    zone: str
    planned_at: datetime = Field(description="Where it was first planned.")
    phase: str | None = None
    moved_reason: str | None = None


class Step(BaseModel):
    """A checklist step: its position names it in step calls."""

    position: int
    title: str
    owner: str = Field(description="The role that owns the step.")
    state: Literal["pending", "waiting", "active", "done", "failed", "skipped"]
    attempt: int = Field(description="How many times the step has been opened.")
    gates: list[str] = Field(description="Gates that must pass before it can be done.")
    not_before: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    acted_by: str | None = Field(default=None, description="Who last moved it (a user id).")
    reason: str | None = Field(default=None, description="Why it failed or was skipped.")


class Checklist(BaseModel):
    """The release's latest checklist."""

    template: str
    state: Literal["running", "complete", "cancelled"]
    current: int | None = Field(description="The position of the step that can be acted on.")
    steps: list[Step]


class Gate(BaseModel):
    """A gate of the release, as last checked or reported."""

    name: str
    kind: str = Field(description="http, manual, github, testgrid or push.")
    state: Literal["unknown", "passing", "yellow", "failing"]
    since: datetime | None = None
    last_result: str | None = None
    detail: str | None = Field(default=None, description="What the last check or report said.")
    checked_at: datetime | None = None


class PollTally(BaseModel):
    """The release's latest go/no-go poll, counted."""

    question: str
    state: Literal["open", "closed"]
    outcome: str | None = Field(description="GO, NO-GO or NO DECISION once closed.")
    deadline: datetime | None = None
    required: int
    go: list[str]
    nogo: list[str]
    missing: list[str]
    advisory_go: list[str]
    advisory_nogo: list[str]


class ReleaseStatus(BaseModel):
    """A release as `/release status` shows it."""

    id: int
    name: str
    state: str
    phase: str
    zone: str
    release_day: datetime | None
    roles: list[Role]
    milestones: list[Milestone]
    checklist: Checklist | None
    gates: list[Gate]
    poll: PollTally | None


# --- changes ----------------------------------------------------------------------------------


class StepDone(Strict):
    """Mark the step done (its owners or a lead; its gates must pass)."""

    title: str | None = Title
    attempt: int | None = Field(
        default=None, ge=0, description="The attempt the caller saw; a later one is refused."
    )


class StepFailed(Strict):
    """Mark the step failed, saying why; its owners and the leads are pulled in."""

    reason: str = Field(min_length=1, max_length=MAX_REASON)
    title: str | None = Title
    attempt: int | None = Field(default=None, ge=0)


class StepSkipped(Strict):
    """Skip the step (a lead), saying why."""

    reason: str = Field(min_length=1, max_length=MAX_REASON)
    title: str | None = Title
    attempt: int | None = Field(default=None, ge=0)


class StepChange(BaseModel):
    """What a step call did: the step as it is now, and the step opened after it."""

    step: Step
    opened: Step | None = None
    checklist_state: str


class GateReport(Strict):
    """A push gate's result, as CI saw it."""

    result: Literal["pass", "fail", "yellow"]
    value: float | None = Field(
        default=None, allow_inf_nan=False, description="A number to chart (open blockers)."
    )
    detail: str | None = Field(default=None, max_length=MAX_DETAIL)


class MilestoneMove(Strict):
    """Move a milestone (a lead), announced in the channel with the reason."""

    to: AwareDatetime = Field(description="The new instant, with its offset (RFC 3339).")
    reason: str = Field(min_length=1, max_length=MAX_REASON)


Problem.model_rebuild()
