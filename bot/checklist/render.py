"""The checklist as Slack shows it: the live message with its buttons, the status line,
the reason modals and the answers to `/checklist` commands. Pure; thread replies are in
`notes`.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from bot.checklist import ids
from bot.checklist.board import (
    ACTIVE,
    COMPLETE,
    DONE,
    FAILED,
    PENDING,
    RUNNING,
    SKIPPED,
    WAITING,
    Board,
    Owners,
    expected,
)
from bot.checklist.models import ChecklistStep
from bot.checklist.templates import Catalog, Template
from bot.core.blocks import (
    Block,
    Blocks,
    actions,
    button,
    context,
    header,
    mentions,
    mrkdwn,
    reason_modal,
)
from bot.core.status import Section
from bot.core.text.escape import escape, shorten
from bot.core.text.timefmt import duration, when

ICONS = {
    PENDING: ":white_circle:",
    WAITING: ":hourglass_flowing_sand:",
    ACTIVE: ":arrow_forward:",
    DONE: ":white_check_mark:",
    FAILED: ":x:",
    SKIPPED: ":fast_forward:",
}
REASON_SHOWN = 300


def name_of(step: ChecklistStep) -> str:
    """`*3. Mock build*`, escaped."""
    return f"*{step.position}. {escape(step.title)}*"


def said(reason: str | None) -> str:
    """A reason someone typed, quoted and made harmless."""
    return f"“{escape(shorten(reason or '', REASON_SHOWN))}”"


def owners_text(owners: Owners) -> str:
    """`docs: <@U1>` or `docs: nobody assigned, falls to <@LEAD>`."""
    if owners.fallback:
        return f"{escape(owners.role)} (nobody assigned, falls to {mentions(owners.users)})"
    return f"{escape(owners.role)}: {mentions(owners.users)}"


def _timing(step: ChecklistStep, zone: ZoneInfo) -> str:
    """What the step's clock says, by state."""
    if step.state == DONE and step.finished_at and step.started_at:
        took = duration(step.finished_at - step.started_at)
        began = when(step.started_at, zone, style="time")
        span = f"{began}–{when(step.finished_at, zone, style='time')}"
        return f"done by <@{step.acted_by}> · {span} ({took})"
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


def _extras(step: ChecklistStep) -> str:
    """What else stands between the step and done: duration, go/no-go, gates."""
    parts = []
    span = expected(step)
    if span and step.state in (PENDING, WAITING, ACTIVE):
        parts.append(f"expected {duration(span)}")
    if step.requires == "gonogo" and step.state not in (DONE, SKIPPED):
        parts.append("needs a GO from `/gonogo`")
    if step.gate_names and step.state not in (DONE, SKIPPED):
        parts.append("gates: " + ", ".join(f"`{escape(g)}`" for g in step.gate_names))
    return (" · " + " · ".join(parts)) if parts else ""


def step_block(step: ChecklistStep, owners: Owners, zone: ZoneInfo) -> Block:
    """One step as a section: state, title, owners, timing."""
    return mrkdwn(
        f"{ICONS.get(step.state, '')} {name_of(step)}\n"
        f"{owners_text(owners)} · {_timing(step, zone)}{_extras(step)}"
    )


def step_buttons(step: ChecklistStep) -> Block | None:
    """The buttons of the step that can be acted on: Done/Failed/Skip, or Retry/Skip."""
    value = ids.encode_step(step.id, step.state, step.activations)
    if step.state == ACTIVE:
        return actions(
            [
                button("Done", ids.DONE_ACTION, value, style="primary"),
                button("Failed", ids.FAILED_ACTION, value, style="danger"),
                button("Skip", ids.SKIP_ACTION, value),
            ]
        )
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
    """The checklist message: every step with its state, owners and timing."""
    zone = ZoneInfo(board.release.zone)
    checklist = board.checklist
    blocks: Blocks = [
        header(f"Release-day checklist · {board.release.name}"),
        context(
            f"Template `{escape(checklist.template)}` · started by <@{checklist.started_by}> "
            f"{when(checklist.started_at, zone)} · {progress(board)}"
        ),
    ]
    for step in board.steps:
        blocks.append(step_block(step, board.owners_of(step), zone))
        buttons = step_buttons(step) if interactive and checklist.state == RUNNING else None
        if buttons:
            blocks.append(buttons)
    blocks.append(context(_footer(board, zone)))
    return _fallback(board), blocks[:50]


def _footer(board: Board, zone: ZoneInfo) -> str:
    checklist = board.checklist
    if checklist.state == COMPLETE and checklist.finished_at:
        took = duration(checklist.finished_at - checklist.started_at)
        return f":checkered_flag: Complete {when(checklist.finished_at, zone)}, after {took}."
    if checklist.state != RUNNING:
        return f"This checklist was {escape(checklist.state)}."
    return "Only the current step can be acted on: by its owners or a lead. Skipping is for leads."


def _fallback(board: Board) -> str:
    text = f"Release-day checklist for {escape(board.release.name)}: {progress(board)}"
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
        owners = mentions(board.owners_of(current).users)
        line += f", {current.state}: *{escape(current.title)}* ({owners})"
        if current.state == WAITING and current.not_before:
            line += f", opens at {when(current.not_before, zone)}"
    return Section("Checklist", [line])


# --- modals and lists ------------------------------------------------------------------------


def reason_view(action: str, step: ChecklistStep, state: str) -> Block:
    """The modal asking why a step failed (`fail`) or is skipped (`skip`)."""
    meta = ids.encode_step(step.id, state, step.activations)
    title = shorten(step.title, 120)
    if action == "fail":
        return reason_modal(
            callback_id=ids.FAILED_FORM,
            title="Step failed",
            prompt=f"What went wrong with “{title}”? The team sees this in the checklist.",
            private_metadata=meta,
            submit="Mark failed",
        )
    return reason_modal(
        callback_id=ids.SKIP_FORM,
        title="Skip step",
        prompt=f"Why skip “{title}”? The reason is kept on the checklist and in the timeline.",
        private_metadata=meta,
        submit="Skip it",
    )


def started(template: Template) -> str:
    """The answer to `/checklist start`."""
    return (
        f"Started the `{escape(template.name)}` checklist ({len(template.steps)} steps); "
        "it is posted in this channel."
    )


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
        for error in found.errors[:10]:
            shown = f"{Path(error.path).name}:{error.line}: {error.message}"
            lines.append(f"• {escape(shorten(shown, 300))}")
    lines.append("_Start one with `/checklist start TEMPLATE`._")
    return "\n".join(lines)


def cancelled(actor: str, board: Board) -> str:
    """The channel note that the checklist was stopped."""
    return (
        f":no_entry_sign: <@{actor}> cancelled the release-day checklist "
        f"(`{escape(board.checklist.template)}`) at {progress(board)}."
    )
