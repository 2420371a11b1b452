"""What Slack sends back for a checklist step: its action ids, and what its buttons carry.

Defined once here: the renderers draw the step buttons and the reason modals with these,
the handlers listen for them and read the payloads back with `decode_step`. A button (and
the modal it opens) carries the step it was rendered for: its id, its state and its
attempt, so a click is checked against the step as the clicker saw it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import payloads

DONE_ACTION = "checklist:done"
FAILED_ACTION = "checklist:failed"
SKIP_ACTION = "checklist:skip"
RETRY_ACTION = "checklist:retry"
SIMULATE_ACTION = "checklist:simulate"  # a rehearsal's stand-in for a GO
RUN_ACTION = "checklist:run"  # start the step's job
RUN_FAIL_ACTION = "checklist:run-fail"  # a rehearsal's simulated run that fails
# A reason modal answers under the id of the button that opened it.
FAILED_FORM = FAILED_ACTION
SKIP_FORM = SKIP_ACTION


@dataclass(frozen=True)
class StepRef:
    """The step a button or modal was rendered for: id, state and attempt."""

    step_id: int
    state: str
    attempt: int


def encode_step(step_id: int | None, state: str, attempt: int) -> str:
    """The value of a step button, or the metadata of its reason modal."""
    return payloads.encode(s=step_id, st=state, v=attempt)


def decode_step(value: str, *, form: bool = False) -> StepRef:
    """The step a button value (or, with `form`, modal metadata) names; NotMine otherwise."""
    data = payloads.decode(value, "s", "st", "v", form=form)
    return StepRef(payloads.integer(data, "s"), str(data["st"]), payloads.integer(data, "v"))
