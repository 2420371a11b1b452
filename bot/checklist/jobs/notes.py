"""What a step's job says in the checklist thread and on the step's line. Pure."""

from __future__ import annotations

from datetime import timedelta

from bot.checklist.board import Outcome, Owners
from bot.checklist.jobs.spec import WEBHOOK, RunSpec
from bot.checklist.models import ChecklistJob, ChecklistStep
from bot.checklist.notes import _pulled_in
from bot.checklist.render import job_link as link
from bot.checklist.render import name_of, said
from bot.core.text.escape import escape
from bot.core.text.timefmt import duration
from bot.release.groups import mentions

SIMULATED = "simulated: nothing was dispatched"


def what(spec: RunSpec) -> str:
    """The job as people read it: `kubernetes/release` workflow `promote.yaml` on `main`."""
    if spec.kind == WEBHOOK:
        return f"the webhook {escape(spec.url)}"
    return f"`{escape(spec.repo)}` workflow `{escape(spec.workflow)}` on `{escape(spec.ref)}`"


def sent(step: ChecklistStep, job: ChecklistJob, spec: RunSpec) -> str:
    """A webhook job's event is on its way: the job reports through the API."""
    return (
        f":gear: {name_of(step)}: <@{job.started_by}> started its job; a signed event goes to "
        f"{what(spec)}, and the job reports done or failed through the API within "
        f"{duration(spec.timeout)}."
    )


def simulated_started(step: ChecklistStep, job: ChecklistJob, wait: timedelta) -> str:
    """A rehearsal's Run: nothing is sent; the simulated outcome comes after a short wait."""
    return (
        f":gear: {name_of(step)}: simulated run started by <@{job.started_by}> "
        f"({SIMULATED}); it will end `{job.simulated}` in {duration(wait)}."
    )


def running(step: ChecklistStep, job: ChecklistJob, spec: RunSpec, looked_up: bool) -> str:
    """The job's run is known: its link and who started it."""
    found = " (found among the workflow's runs)" if looked_up else ""
    return (
        f":gear: {name_of(step)} is running: {what(spec)}, {link(job)}{found}, started by "
        f"<@{job.started_by}>. I will mark it done or failed when the run ends."
    )


def concluded(outcome: Outcome, job: ChecklistJob, reason: str) -> str:
    """The job decided the step: done by the job, or failed with the conclusion and link."""
    step = outcome.step
    mark = f" ({SIMULATED})" if job.simulated else ""
    if step.state == "done":
        took = ""
        if step.finished_at and step.started_at:
            took = f" (took {duration(step.finished_at - step.started_at)})"
        return (
            f":white_check_mark: {name_of(step)} done by the job, {link(job)}, started by "
            f"<@{job.started_by}>{took}{mark}."
        )
    text = (
        f":x: {name_of(step)} failed: {said(reason)}, {link(job)}, started by "
        f"<@{job.started_by}>{mark}. *Retry* offers Run again."
    )
    return text + _pulled_in(outcome)


def unknown(step: ChecklistStep, job: ChecklistJob, runs: str, owners: Owners, why: str) -> str:
    """The lookup cannot tell whether the job started: a person looks and decides."""
    who = mentions(list(dict.fromkeys([job.started_by, *owners.users])))
    return (
        f":warning: {who}: I cannot tell whether {name_of(step)}'s job started ({escape(why)}). "
        f"I will not send it again. Look at <{runs}|the workflow's runs>, then mark the step "
        "Done or Failed (after Failed, *Retry* offers Run again)."
    )
