"""Checklist steps over the API: done, failed and skipped, through the click's own flow.

A call names the step by its position (and, to be sure, its title and attempt). It is
carried out as a click on the step as the caller saw it: a step that has moved on since is
refused (409) with what happened, and nothing changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Body, Path

from bot.api import schemas
from bot.api.tokens import Caller
from bot.checklist import flows
from bot.checklist import service as checklists
from bot.checklist.board import ACTIVE, FAILED, Board
from bot.checklist.ids import StepRef
from bot.checklist.models import ChecklistStep
from bot.core.errors import Conflict, NotFound
from bot.core.services import Services
from bot.core.text.escape import escape
from bot.release import service as releases
from bot.release.models import Release
from handlers.api.access import ReleaseId, Writer, acting, release_routes

if TYPE_CHECKING:
    from sqlmodel import Session  # passed through to the features' services, never opened here

Position = Annotated[int, Path(ge=1, le=10_000, description="The step's position, from 1.")]


def step_of(step: ChecklistStep) -> schemas.Step:
    """A step as the API shows it."""
    return schemas.Step(
        position=step.position,
        title=step.title,
        owner=step.owner,
        state=step.state,  # type: ignore[arg-type]
        attempt=step.activations,
        gates=step.gate_names,
        not_before=step.not_before,
        started_at=step.started_at,
        finished_at=step.finished_at,
        acted_by=step.acted_by,
        reason=step.reason,
    )


def part(session: Session, release: Release) -> schemas.Checklist | None:
    """The release's latest checklist, or None before the first one."""
    board = checklists.latest_board(session, release)
    if board is None:
        return None
    current = board.current
    return schemas.Checklist(
        template=board.checklist.template,
        state=board.checklist.state,  # type: ignore[arg-type]
        current=current.position if current is not None else None,
        steps=[step_of(step) for step in board.steps],
    )


def _board(session: Session, release_id: int) -> Board:
    board = checklists.latest_board(session, releases.get(session, release_id))
    if board is None:
        raise NotFound(
            "This release has no checklist yet; a lead starts one with `/checklist start`."
        )
    return board


def _named(board: Board, position: int, title: str | None) -> ChecklistStep:
    """The step at `position`; Conflict when the caller's title says it meant another."""
    step = next((s for s in board.steps if s.position == position), None)
    if step is None:
        raise NotFound(f"The checklist has {len(board.steps)} steps; there is no step {position}.")
    if title is not None and title.strip().casefold() != step.title.strip().casefold():
        raise Conflict(
            f"Step {position} is *{escape(step.title)}*, not *{escape(title[:300])}*; "
            "nothing changed."
        )
    return step


def act(
    services: Services,
    caller: Caller,
    position: int,
    action: str,
    title: str | None,
    attempt: int | None,
    reason: str = "",
) -> schemas.StepChange:
    """Carry out `action` on the step as a click by the token would; the step afterwards."""
    with services.db.read() as s:
        board = _board(s, caller.release_id)
        step = _named(board, position, title)
        assert step.id is not None
        state = step.state if action == "skip" and step.state in (ACTIVE, FAILED) else ACTIVE
        ref = StepRef(step.id, state, step.activations if attempt is None else attempt)
        opened_before = board.current.id if board.current is not None else None
    with acting(services, caller) as actor:  # as for a click, a hold asks its holders
        flows.act(services, action, actor, ref, reason)
    with services.db.read() as s:
        board = _board(s, caller.release_id)
        after = _named(board, position, None)
        current = board.current
        opened = current if current is not None and current.id != opened_before else None
        return schemas.StepChange(
            step=step_of(after),
            opened=step_of(opened) if opened is not None else None,
            checklist_state=board.checklist.state,
        )


def router(services: Services) -> APIRouter:
    """The step routes."""
    routes = release_routes("checklist", writes=True)

    @routes.post("/steps/{position}/done")
    async def step_done(
        release_id: ReleaseId,
        position: Position,
        caller: Writer,
        body: Annotated[schemas.StepDone | None, Body()] = None,
    ) -> schemas.StepChange:
        """Mark the step done, as its Done button does (its gates must pass)."""
        given = body or schemas.StepDone()
        return act(services, caller, position, "done", given.title, given.attempt)

    @routes.post("/steps/{position}/failed")
    async def step_failed(
        release_id: ReleaseId, position: Position, caller: Writer, body: schemas.StepFailed
    ) -> schemas.StepChange:
        """Mark the step failed with the reason; its owners and the leads are pulled in."""
        return act(services, caller, position, "fail", body.title, body.attempt, body.reason)

    @routes.post("/steps/{position}/skip")
    async def step_skip(
        release_id: ReleaseId, position: Position, caller: Writer, body: schemas.StepSkipped
    ) -> schemas.StepChange:
        """Skip the step with the reason (the token's maker must lead the release)."""
        return act(services, caller, position, "skip", body.title, body.attempt, body.reason)

    return routes
