"""Gates over the API: each gate as last checked, and the reports CI sends to push gates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Path

from bot.api import schemas
from bot.core.services import Services
from bot.gates import flows
from bot.gates import service as gates
from bot.gates.models import Gate
from bot.gates.outcome import Outcome
from handlers.api.access import ReleaseId, Writer, acting, release_routes

if TYPE_CHECKING:
    from sqlmodel import Session  # passed through to the features' services, never opened here

GateName = Annotated[str, Path(min_length=1, max_length=40, description="The gate's name.")]


def gate_of(gate: Gate) -> schemas.Gate:
    """A gate as the API shows it."""
    return schemas.Gate(
        name=gate.name,
        kind=gate.kind,
        state=gate.state,  # type: ignore[arg-type]
        since=gate.state_since,
        last_result=gate.last_result,
        detail=gate.last_detail,
        checked_at=gate.last_checked_at,
    )


def part(session: Session, release_id: int) -> list[schemas.Gate]:
    """The release's gates by name."""
    return [gate_of(gate) for gate in gates.gates_of(session, release_id)]


def router(services: Services) -> APIRouter:
    """The gate routes."""
    routes = release_routes("gates", writes=True)

    @routes.post("/gates/{name}/reports")
    async def report_gate(
        release_id: ReleaseId, name: GateName, caller: Writer, body: schemas.GateReport
    ) -> schemas.Gate:
        """Report a push gate's result from CI: pass, fail or yellow, with a value to chart."""
        detail = body.detail or f"{body.result} reported by api:{caller.name}"
        outcome = Outcome(body.result, detail, body.value)
        with acting(services, caller) as actor:
            gate = flows.report(services, caller.release_id, name, outcome, actor)
        return gate_of(gate)

    return routes
