"""The checklist as Slack shows it: the live message with its buttons, the status line,
the reason modals and the answers to `/checklist` commands. Pure; thread replies are in
`notes`.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.checklist import ids
from bot.checklist.board import (
    ACTIVE,
    COMPLETE,
    DONE,
    FAILED,
    MAX_REASON,
    PENDING,
    RUNNING,
    SKIPPED,
    WAITING,
    Board,
    Owners,
    expected,
)
from bot.checklist.jobs.spec import GITHUB, RunSpec
from bot.checklist.models import Checklist, ChecklistJob, ChecklistStep
from bot.checklist.templates import Catalog, Template, mistake
from bot.checklist.timers import ActiveStep
from bot.core.blocks import (
    SECTION_LIMIT,
    Block,
    Blocks,
    actions,
    button,
    context,
    header,
    mrkdwn,
    reason_modal,
)
from bot.core.status import Section
from bot.core.text.escape import escape, shorten
from bot.core.text.fit import cut, fit_items, fit_lines
from bot.core.text.timefmt import duration, when
from bot.release.groups import mentions
from bot.release.render import on_behalf

ICONS = {
    PENDING: ":white_circle:",
    WAITING: ":hourglass_flowing_sand:",
    ACTIVE: ":arrow_forward:",
    DONE: ":white_check_mark:",
    FAILED: ":x:",
    SKIPPED: ":fast_forward:",
}
UTC = ZoneInfo("UTC")
REASON_SHOWN = 300
PEOPLE_SHOWN = 10  # owners named on a step; the rest are counted
SHOWN_WHOLE = 20  # a checklist up to this long shows every step in its message
BEFORE, AFTER = 2, 3  # a longer one shows the current step with these neighbours
MESSAGE_BLOCKS = 50
EVERY_STEP = "`/checklist status` lists every step"
REHEARSAL_NOTE = (
    ":performing_arts: *REHEARSAL*: the same steps, buttons and rules, but nobody is pinged "
    "(names are shown, not mentioned), times and gates are shown and not waited for, a "
    "go/no-go is simulated with a button, and nothing of this channel's release changes."
)


def name_of(step: ChecklistStep) -> str:
    """`*3. Mock build*`, escaped."""
    return f"*{step.position}. {escape(step.title)}*"


def said(reason: str | None, limit: int = REASON_SHOWN) -> str:
    """A reason someone typed, quoted and made harmless (shortened past `limit`)."""
    return f"“{escape(shorten(reason or '', limit))}”"


def people(users: list[str], limit: int = PEOPLE_SHOWN) -> str:
    """Mentions of the first `limit` people, and how many more there are."""
    if len(users) <= limit:
        return mentions(users)
    return f"{mentions(users[:limit])} and {len(users) - limit} more"


def owners_text(owners: Owners) -> str:
    """`docs: <@U1>` or `docs: nobody assigned, falls to <@LEAD>`."""
    if owners.fallback:
        return f"{escape(owners.role)} (nobody assigned, falls to {people(owners.users)})"
    return f"{escape(owners.role)}: {people(owners.users)}"


def job_link(job: ChecklistJob) -> str:
    """`<url|run 123>`, or `run 123` when GitHub gave no page."""
    label = f"run {job.run_id}" if job.run_id else "the run"
    return f"<{job.run_url}|{label}>" if job.run_url else label


def job_line(job: ChecklistJob) -> str:
    """The job's part of its step's line: starting, running with its link, or how it ended."""
    by = f"started by <@{job.started_by}>"
    if job.simulated:
        going = "going" if job.state == "running" else f"ended `{job.simulated}`"
        return f"simulated run {going}, {by} (nothing was dispatched)"
    if job.state == "sending":
        return f"starting the job, {by}"
    if job.kind == "webhook" and job.state == "running":
        return f"sent to its job, {by}; waiting for its report"
    if job.state == "running":
        status = f" ({escape(job.status.replace('_', ' '))})" if job.status else ""
        return f"running: {job_link(job)}{status}, {by}"
    if job.state == "unknown":
        return f"cannot tell whether the job started, {by}: see the thread and decide"
    return f"{job_link(job)} ended `{escape(job.conclusion or job.state)}`, {by}"


def _timing(step: ChecklistStep, zone: ZoneInfo, job: ChecklistJob | None = None) -> str:
    """What the step's clock says, by state (and what its job is doing)."""
    if step.state == DONE and step.finished_at and step.started_at:
        took = duration(step.finished_at - step.started_at)
        began = when(step.started_at, zone, style="time")
        span = f"{began}–{when(step.finished_at, zone, style='time')}"
        if job is not None and job.state == "success":
            return f"done by the job, {job_line(job)} · {span} ({took})"
        return f"done by <@{step.acted_by}> · {span} ({took})"
    if step.state == FAILED and job is not None and job.state == "failed":
        return f"failed: {said(step.reason)} · {job_line(job)}"
    if step.state == ACTIVE and job is not None:
        return job_line(job)
    if step.state == SKIPPED:
        return f"skipped by <@{step.acted_by}>: {said(step.reason)}"
    if step.state == FAILED:
        return f"failed, reported by <@{step.acted_by}>: {said(step.reason)}"
    if step.state == WAITING and step.not_before:
        return f"opens at {when(step.not_before, zone)}"
    if step.state == ACTIVE and step.activated_at:
        text = f"active since {when(step.activated_at, zone, style='time')}"
        if step.activations > 1 and step.reason:
            text += f" · attempt {step.activations}, last failure: {said(step.reason)}"
        return text
    if step.not_before:
        return f"not before {when(step.not_before, zone)}"
    return "pending"


def _extras(
    step: ChecklistStep, zone: ZoneInfo, rehearsal: bool = False, unstarted: bool = True
) -> str:
    """What else stands between the step and done: duration, go/no-go, gates.

    A rehearsal shows them as they will be on the day, without waiting for any of them.
    """
    parts = []
    span = expected(step)
    if span and step.state in (PENDING, WAITING, ACTIVE):
        parts.append(f"expected {duration(span)}")
    open_step = step.state not in (DONE, SKIPPED)
    if rehearsal and step.not_before and step.state != PENDING:
        parts.append(f"on the day not before {when(step.not_before, zone)}")
    if step.requires == "gonogo" and rehearsal:
        parts.append("GO simulated" if step.simulated else "needs a GO: *Simulate GO* stands in")
    elif step.requires == "gonogo" and open_step:
        parts.append("needs a GO from `/gonogo`")
    if step.run and unstarted and step.state in (PENDING, WAITING, ACTIVE):
        parts.append(f"runs {_job_of_step(step.run)}")
    if step.gate_names and (open_step or rehearsal):
        names = ", ".join(f"`{escape(g)}`" for g in step.gate_names)
        parts.append(
            f"gates on the day (not checked now): {names}" if rehearsal else f"gates: {names}"
        )
    return (" · " + " · ".join(parts)) if parts else ""


def _job_of_step(stored: str) -> str:
    """What a step's `run:` starts, as its line shows it."""
    spec = RunSpec.loads(stored)
    if spec.kind == GITHUB:
        return (
            f"`{escape(spec.repo)}` `{escape(spec.workflow)}` on `{escape(spec.ref)}` (press Run)"
        )
    return "a webhook job (press Run)"


def step_line(
    step: ChecklistStep,
    owners: Owners,
    zone: ZoneInfo,
    sep: str = "\n",
    rehearsal: bool = False,
    job: ChecklistJob | None = None,
) -> str:
    """One step: state and title, then owners, timing (or its job) and what stands before done.

    The details are cut (between tokens, with an ellipsis) so the whole fits one section.
    """
    title = f"{ICONS.get(step.state, '')} {name_of(step)}"
    timing = _timing(step, zone, job)
    details = f"{owners_text(owners)} · {timing}{_extras(step, zone, rehearsal, job is None)}"
    return title + sep + cut(details, SECTION_LIMIT - len(title) - len(sep))


def step_block(
    step: ChecklistStep,
    owners: Owners,
    zone: ZoneInfo,
    rehearsal: bool = False,
    job: ChecklistJob | None = None,
) -> Block:
    """One step as a section: state, title, owners, timing."""
    return mrkdwn(step_line(step, owners, zone, rehearsal=rehearsal, job=job))


def _run_buttons(step: ChecklistStep, value: str, rehearsal: bool) -> list[Block]:
    """Run, for an active step with a job not yet started in this attempt."""
    if rehearsal:
        return [
            button("Run (simulated)", ids.RUN_ACTION, value),
            button("Simulate failed run", ids.RUN_FAIL_ACTION, value),
        ]
    return [button("Run", ids.RUN_ACTION, value)]


def step_buttons(
    step: ChecklistStep, rehearsal: bool = False, job: ChecklistJob | None = None
) -> Block | None:
    """The buttons of the step that can be acted on: Done/Failed/Skip, or Retry/Skip.

    In a rehearsal, a step that needs a go/no-go also offers *Simulate GO*. A step that runs
    a job offers Run until it is pressed for this attempt.
    """
    value = ids.encode_step(step.id, step.state, step.activations)
    if step.state == ACTIVE:
        runs = _run_buttons(step, value, rehearsal) if step.run and job is None else []
        buttons = [
            *runs,
            button("Done", ids.DONE_ACTION, value, style="primary"),
            button("Failed", ids.FAILED_ACTION, value, style="danger"),
            button("Skip", ids.SKIP_ACTION, value),
        ]
        if rehearsal and step.requires == "gonogo" and not step.simulated:
            buttons.append(button("Simulate GO", ids.SIMULATE_ACTION, value))
        return actions(buttons)
    if step.state == FAILED:
        return actions(
            [
                button("Retry", ids.RETRY_ACTION, value, style="primary"),
                button("Skip", ids.SKIP_ACTION, value),
            ]
        )
    return None


def progress(board: Board) -> str:
    """`4/12 done`."""
    return f"{board.finished}/{len(board.steps)} done"


def board_message(board: Board, *, interactive: bool = True) -> tuple[str, Blocks]:
    """The checklist message: its steps with their state, owners and timing.

    A long checklist shows the current step with its neighbours and sums up the steps
    before and after them, so any length fits Slack's 50 blocks; without buttons (as
    `/checklist status` answers) it lists every step, a line each. A rehearsal says so
    in its header and first lines.
    """
    zone = ZoneInfo(board.release.zone)
    checklist = board.checklist
    rehearsal = checklist.rehearsal
    kind = f"REHEARSAL #{checklist.id} · " if rehearsal else ""
    blocks: Blocks = [
        header(f"{kind}Release-day checklist · {board.release.name}"),
        context(
            f"{'Rehearsal of t' if rehearsal else 'T'}emplate `{escape(checklist.template)}` · "
            f"started by <@{checklist.started_by}> {when(checklist.started_at, zone)} · "
            f"{progress(board)}"
        ),
    ]
    if rehearsal:
        blocks.append(context(REHEARSAL_NOTE))
    if len(board.steps) <= SHOWN_WHOLE:
        blocks.extend(_steps(board, board.steps, zone, interactive))
    elif interactive:
        blocks.extend(_window(board, zone))
    else:
        lines = [
            step_line(s, board.owners_of(s), zone, " · ", rehearsal, board.job_of(s))
            for s in board.steps
        ]
        room = MESSAGE_BLOCKS - len(blocks) - 1
        blocks.extend(mrkdwn(part) for part in packed(lines, room, "steps"))
    blocks.append(context(_footer(board, zone)))
    return _fallback(board), blocks


def _steps(board: Board, shown: list[ChecklistStep], zone: ZoneInfo, interactive: bool) -> Blocks:
    """A section per step, with the buttons of the step that can be acted on."""
    blocks: Blocks = []
    running = interactive and board.checklist.state == RUNNING
    rehearsal = board.checklist.rehearsal
    for step in shown:
        job = board.job_of(step)
        blocks.append(step_block(step, board.owners_of(step), zone, rehearsal, job))
        buttons = step_buttons(step, rehearsal, job) if running else None
        if buttons:
            blocks.append(buttons)
    return blocks


def _window(board: Board, zone: ZoneInfo) -> Blocks:
    """The current step with its neighbours, between a line on the steps before and after."""
    current = board.current
    at = board.steps.index(current) if current is not None else len(board.steps)
    first, last = max(at - BEFORE, 0), min(at + AFTER + 1, len(board.steps))
    if current is None:
        first = max(len(board.steps) - BEFORE - 1, 0)
    blocks: Blocks = []
    if first:
        blocks.append(context(_earlier(board.steps[:first])))
    blocks.extend(_steps(board, board.steps[first:last], zone, interactive=True))
    if last < len(board.steps):
        blocks.append(context(_later(board.steps[last:])))
    return blocks


def _earlier(steps: list[ChecklistStep]) -> str:
    """`Steps 1-20: 18 done, 2 skipped`, naming the skipped ones."""
    skipped = [s for s in steps if s.state == SKIPPED]
    span = f"Steps 1–{len(steps)}" if len(steps) > 1 else "Step 1"
    head = f"{ICONS[DONE]} {span}: {len(steps) - len(skipped)} done"
    if skipped:
        head += f", {len(skipped)} skipped:"
    lines = [head, *(f"{ICONS[SKIPPED]} {name_of(s)}" for s in skipped)]
    return fit_lines(lines, SECTION_LIMIT, lambda n: f"_…and {n} more skipped; {EVERY_STEP}._")


def _later(steps: list[ChecklistStep]) -> str:
    """`24 more steps to come`, naming as many as fit."""
    count = f"{len(steps)} more steps" if len(steps) > 1 else "1 more step"
    head = f"{ICONS[PENDING]} {count} to come ({EVERY_STEP}):"
    names = [f"{s.position}. {escape(s.title)}" for s in steps]
    return fit_lines([head, *names], SECTION_LIMIT, lambda n: f"_…and {n} more._")


def packed(lines: list[str], blocks: int, what: str) -> list[str]:
    """Lines gathered into at most `blocks` sections; the ones that do not fit are counted."""
    groups: list[list[str]] = []
    size = 0
    for line in (cut(line, SECTION_LIMIT) for line in lines):
        if groups and size + 1 + len(line) <= SECTION_LIMIT:
            groups[-1].append(line)
            size += 1 + len(line)
        else:
            groups.append([line])
            size = len(line)
    if len(groups) > blocks:
        rest = [line for group in groups[blocks - 1 :] for line in group]
        last = fit_lines(rest, SECTION_LIMIT, lambda n: f"_…and {n} more {what}._")
        groups = [*groups[: blocks - 1], [last]]
    return ["\n".join(group) for group in groups]


def _footer(board: Board, zone: ZoneInfo) -> str:
    checklist = board.checklist
    if checklist.state == COMPLETE and checklist.finished_at:
        took = duration(checklist.finished_at - checklist.started_at)
        return f":checkered_flag: Complete {when(checklist.finished_at, zone)}, after {took}."
    if checklist.state != RUNNING:
        if checklist.rehearsal:
            return "This rehearsal was stopped."
        return f"This checklist was {escape(checklist.state)}."
    rule = "Only the current step can be acted on: by its owners or a lead. Skipping is for leads."
    if checklist.rehearsal:
        rule += f" `/checklist rehearse stop {checklist.id}` ends this rehearsal."
    return rule


def _fallback(board: Board) -> str:
    text = f"Release-day checklist for {escape(board.release.name)}: {progress(board)}"
    if board.checklist.rehearsal:
        text = f"REHEARSAL · {text}"
    current = board.current
    if current is not None and board.checklist.state == RUNNING:
        text += f", {current.state}: {escape(current.title)}"
    return text


def status_section(board: Board | None) -> Section | None:
    """The checklist line of `/release status`."""
    if board is None:
        return None
    zone = ZoneInfo(board.release.zone)
    checklist = board.checklist
    line = f"{progress(board)} (`{escape(checklist.template)}`)"
    current = board.current
    if checklist.state == COMPLETE and checklist.finished_at:
        line += f", complete after {duration(checklist.finished_at - checklist.started_at)}"
    elif checklist.state != RUNNING:
        line += f", {escape(checklist.state)}"
    elif current is not None:
        owners = people(board.owners_of(current).users)
        line += f", {current.state}: *{escape(current.title)}* ({owners})"
        if current.state == WAITING and current.not_before:
            line += f", opens at {when(current.not_before, zone)}"
    return Section("Checklist", [line])


# --- modals and lists ------------------------------------------------------------------------


# action -> the form's callback id, title, question (of the step's title), submit label
_REASON_FORMS = {
    "fail": (
        ids.FAILED_FORM,
        "Step failed",
        "What went wrong with “{title}”? The team sees this in the checklist",
        "Mark failed",
    ),
    "skip": (
        ids.SKIP_FORM,
        "Skip step",
        "Why skip “{title}”? The reason is kept on the checklist and in the timeline",
        "Skip it",
    ),
}


def reason_view(action: str, step: ChecklistStep, state: str) -> Block:
    """The modal asking why a step failed (`fail`) or is skipped (`skip`)."""
    callback_id, title, question, submit = _REASON_FORMS["fail" if action == "fail" else "skip"]
    limit = f"at most {MAX_REASON:,} characters"
    return reason_modal(
        callback_id=callback_id,
        title=title,
        prompt=question.format(title=shorten(step.title, 120)) + f" ({limit}).",
        private_metadata=ids.encode_step(step.id, state, step.activations),
        submit=submit,
    )


def started(template: Template) -> str:
    """The answer to `/checklist start`."""
    return (
        f"Started the `{escape(template.name)}` checklist ({len(template.steps)} steps); "
        "it is posted in this channel."
    )


def rehearsal_started(template: Template, checklist: Checklist) -> str:
    """The answer to `/checklist rehearse`."""
    return (
        f"Rehearsal #{checklist.id} of `{escape(template.name)}` ({len(template.steps)} steps) "
        "is posted in this channel, marked REHEARSAL. Nobody is pinged and this channel's "
        f"release is left as it is. End it early with `/checklist rehearse stop {checklist.id}`."
    )


def rehearsal_stopped(number: int) -> str:
    """The answer to `/checklist rehearse stop`."""
    return f"Rehearsal #{number} is stopped; its summary so far is posted in this channel."


def templates_text(found: Catalog) -> str:
    """The answer to `/checklist templates`."""
    lines = ["*Checklist templates*"]
    for template in sorted(found.templates.values(), key=lambda t: t.name):
        origin = "built-in" if template.source == "built-in" else "custom"
        lines.append(
            f"• `{escape(template.name)}` ({origin}, {len(template.steps)} steps): "
            f"{escape(shorten(template.description, 200))}"
        )
    if found.errors:
        lines.append(":warning: Custom template files with mistakes (not loaded):")
        shown = [f"• {escape(shorten(mistake(e), 300))}" for e in found.errors]
        lines.extend(fit_items(shown, 10, lambda n: f"• _…and {n} more: `releasebot doctor`_"))
    lines.append("_Start one with `/checklist start TEMPLATE`._")
    return "\n".join(lines)


def cancelled(actor: str, board: Board) -> str:
    """The channel note that the checklist was stopped."""
    return (
        f":no_entry_sign: <@{actor}> cancelled the release-day checklist "
        f"(`{escape(board.checklist.template)}`) at {progress(board)}."
    )


def home_step(active: ActiveStep, step: ChecklistStep, group: str | None) -> Blocks:
    """App Home: an active step the person owns (through `group`, if not in person), with
    its buttons."""
    since = f" since {when(active.activated_at, UTC)}" if active.activated_at else ""
    line = (
        f":arrow_forward: *Your step:* {escape(active.title)} ({escape(active.role)})"
        f"{on_behalf(group)} in {escape(active.release_name)} <#{active.channel_id}>{since}"
    )
    buttons = step_buttons(step)
    return [mrkdwn(line), *([buttons] if buttons else [])]
