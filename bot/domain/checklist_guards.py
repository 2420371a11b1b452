"""What may hold back Done on a checklist step: a go/no-go decision, gates not passing."""

from __future__ import annotations

import importlib

from sqlmodel import Session

from bot.domain.errors import Conflict, DomainError
from bot.escape import escape
from bot.models import Release
from bot.models.checklist import ChecklistStep


class GateBlocked(Conflict):
    """Done refused because gates of the step are not passing."""

    def __init__(self, step: ChecklistStep, blocked: list[tuple[str, list[str]]]) -> None:
        names = ", ".join(f"*{escape(name)}*" for name, _ in blocked)
        verb = "is" if len(blocked) == 1 else "are"
        super().__init__(
            f"*{escape(step.title)}* cannot be marked done while {names} {verb} not passing. "
            "I asked the gate owners in the checklist thread; check with `/gate list`."
        )
        self.step = step
        self.blocked = blocked


def require_go(session: Session, release: Release, step: ChecklistStep) -> None:
    """A `requires: gonogo` step completes only after a go/no-go poll closed with GO."""
    if step.requires != "gonogo":
        return
    polls = importlib.import_module("bot.domain.polls")
    outcome = polls.latest_outcome(session, release.id)
    if outcome == "GO":
        return
    said = "no go/no-go poll has closed yet" if outcome is None else f"the last poll said {outcome}"
    raise DomainError(
        f"*{escape(step.title)}* needs a GO from the team, and {said}. Ask with `/gonogo` "
        "(the lead can close it early with `/gonogo close`), then mark this step done."
    )


def require_gates(session: Session, release: Release, step: ChecklistStep) -> None:
    """Done is refused while any gate the step names is not passing."""
    names = step.gate_names
    if not names:
        return
    gates = importlib.import_module("bot.domain.gates")
    blocked: list[tuple[str, list[str]]] = gates.blocking(session, release.id, names)
    if blocked:
        session.expunge(step)  # the refusal rolls back; keep the step readable for the ping
        raise GateBlocked(step, blocked)
