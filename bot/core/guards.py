"""What can hold a checklist step back, as the checklist asks it and other features answer it.

A guard is asked before a step is done (or its job is run) and answers None, or a `Hold`:
why the step may not be done now, and whom the click should ask about it. The checklist asks
every guard registered on Services (`services.add_step_guard`) and turns a hold into its own
refusal; gonogo (no GO yet) and gates (a gate not passing) provide theirs, so the checklist
imports neither of them and none of them raises into the checklist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlmodel import Session


@dataclass(frozen=True)
class Hold:
    """A step held back: the refusal the person who clicked reads, and whom it asks.

    `ask` names what holds the step and who owns it, as (name, owner ids) pairs (no owners:
    nobody owns it); the checklist asks those owners in its thread, in the click's
    transaction. A hold that needs nobody asked leaves it empty.
    """

    reason: str
    ask: list[tuple[str, list[str]]] = field(default_factory=list)


class GuardedStep(Protocol):
    """What a guard reads of the step it is asked about."""

    @property
    def title(self) -> str:
        """The step's title, as the refusal names it."""

    @property
    def requires(self) -> str | None:
        """What the step waits for besides its gates (`gonogo`), if anything."""

    @property
    def gate_names(self) -> list[str]:
        """The gates that must pass before the step is done."""


class StepGuard(Protocol):
    """A feature's say on whether a step of a release may be done now."""

    def __call__(self, session: Session, release_id: int, step: GuardedStep) -> Hold | None:
        """None when nothing of this feature holds the step back, else why and whom to ask."""
