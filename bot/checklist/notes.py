"""The checklist's thread replies and closing summary. Pure."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.checklist.board import (
    DONE,
    FAILED,
    MAX_REASON,
    PENDING,
    SKIPPED,
    WAITING,
    Board,
    Outcome,
    Owners,
    expected,
)
from bot.checklist.models import ChecklistStep
from bot.checklist.render import ICONS, MESSAGE_BLOCKS, name_of, owners_text, packed, progress, said
from bot.core.blocks import SECTION_LIMIT, Blocks, header, mrkdwn
from bot.core.text.escape import escape
from bot.core.text.fit import fit_lines
from bot.core.text.timefmt import duration, when
from bot.release.escalation import BACKUP, LEADS, OWNERS, SHADOW, Rung
from bot.release.groups import mentions


def transition_reply(outcome: Outcome) -> str:
    """The thread reply for a click that moved a step."""
    step, actor = outcome.step, outcome.actor
    if step.state == DONE:
        took = ""
        if step.finished_at and step.started_at:
            took = f" (took {duration(step.finished_at - step.started_at)})"
        return f":white_check_mark: {name_of(step)} done by <@{actor}>{took}."
    reason = said(step.reason, MAX_REASON)  # in full: a reply is not bound to a section
    if step.state == FAILED:
        text = f":x: {name_of(step)} failed, reported by <@{actor}>: {reason}"
        return text + _pulled_in(outcome)
    if step.state == SKIPPED:
        return f":fast_forward: <@{actor}> skipped {name_of(step)}: {reason}"
    return f":repeat: <@{actor}> reopened {name_of(step)} for attempt {step.activations}."


def _pulled_in(outcome: Outcome) -> str:
    """For a failed step: a line mentioning the leads and the owners, but not the reporter."""
    actor = outcome.actor
    leads = [lead for lead in outcome.leads if lead != actor]
    owners = outcome.owners.users if outcome.owners is not None else []
    others = [owner for owner in owners if owner != actor and owner not in outcome.leads]
    if not leads and not others:
        return ""
    line = "\n:rotating_light: "
    if leads:
        line += f"{mentions(leads)}: the lead is needed"
    else:
        line += "The lead reported it"
    if others:
        line += f"; owners: {mentions(others)}"
    return line + "."


def opened_reply(step: ChecklistStep, owners: Owners, zone: ZoneInfo) -> str:
    """The thread reply when a step opens (it pings its owners) or starts waiting for its time."""
    if step.state == WAITING and step.not_before:
        return (
            f":hourglass_flowing_sand: {name_of(step)} is next; it opens at "
            f"{when(step.not_before, zone)} and I will ping its owners then."
        )
    text = f":arrow_forward: {mentions(owners.users)}: you're up with {name_of(step)}."
    if owners.fallback:
        text += f" (*{escape(owners.role)}* has nobody assigned, so it falls to the lead.)"
    span = expected(step)
    if span:
        text += f" Expected to take about {duration(span)}."
    if step.requires == "gonogo":
        text += " It can be marked done once `/gonogo` has a GO."
    return text


def nudge_reply(
    step: ChecklistStep,
    rungs: list[Rung],
    following: Rung | None,
    owners: Owners,
    open_for: timedelta,
) -> str:
    """The reminder of an overdue step to the rungs of its escalation ladder told now.

    Usually one rung (the owners, then the backup, then the lead); more when those before
    are outside working hours, which it says with their local time.
    """
    span = duration(expected(step) or timedelta(0))
    late = f"{name_of(step)} has been open for {duration(open_for)}, past the expected {span}."
    lines: list[str] = []
    for index, rung in enumerate(rungs):
        lines.append(_rung_line(rung, late if index == 0 else "", owners))
        away = _away(rung)
        if away and index + 1 < len(rungs):
            lines.append(f":zzz: {away}, so I am asking the next one now.")
        elif away:
            lines.append(f":zzz: {away}; there is nobody after them to ask.")
    if following is not None:
        lines.append(
            f"_If it is still open in {duration(rungs[-1].wait)}, I will ask "
            f"{_who(following)} next._"
        )
    return "\n".join(lines)


def _rung_line(rung: Rung, late: str, owners: Owners) -> str:
    """One rung told: its mentions and what is asked of it."""
    who = mentions(rung.holders)
    if rung.label == OWNERS:
        fell = ""
        if rung.fell_to_lead:
            fell = f" (*{escape(rung.role)}* has nobody assigned, so it falls to the lead.)"
        return (
            f":alarm_clock: {who}: {late} How is it going? Mark it done or failed on the "
            f"checklist, or give an update here.{fell}"
        )
    owned = f" Owners: {mentions(owners.users)}."
    if rung.label == BACKUP:
        role = escape(rung.role.removesuffix(SHADOW))
        asked = f"{late or 'it needs you.'} Can you take it over?"
        return f":sos: {who}, backup for *{role}*: {asked}{owned}"
    return f":rotating_light: {who}: {late or 'the lead is needed.'}{owned}"


def _away(rung: Rung) -> str:
    """Why the people told cannot answer now, or "" when someone of them can.

    `It is 03:10 for @sam, outside working hours; @ana is on holiday (Republic Day)`.
    """
    parts = [f"{clock} for {mentions([person])}" for person, clock in rung.away.items()]
    parts += [f"night for every member of {mentions([group])}" for group in rung.groups_away]
    hours = ("It is " + " and ".join(parts) + ", outside working hours") if parts else ""
    others = [f"{mentions([p])} is {why}" for p, why in rung.why.items() if p not in rung.away]
    return "; ".join(part for part in [hours, *others] if part)


def _who(rung: Rung) -> str:
    """How the next rung is named in the note of what comes next."""
    if rung.label == BACKUP:
        return f"the backup (`{escape(rung.role)}`)"
    return "the lead" if rung.label == LEADS else "the owners"


def gate_ping(step: ChecklistStep, actor: str, blocked: list[tuple[str, list[str]]]) -> str:
    """The thread reply pinging the owners of the gates that keep a step from done."""
    lines = [f":no_entry: <@{actor}> could not mark {name_of(step)} done; its gates are not green:"]
    for name, owners in blocked:
        who = mentions(owners) if owners else "no owner; add it with `/gate`"
        lines.append(f"• `{escape(name)}`: {who}")
    return fit_lines(lines, SECTION_LIMIT, lambda n: f"• _…and {n} more gates: `/gate list`_")


def summary(board: Board) -> tuple[str, Blocks]:
    """The channel message when every step is done or skipped: each step's time, and the total."""
    zone = ZoneInfo(board.release.zone)
    checklist = board.checklist
    ended = checklist.finished_at or checklist.started_at
    total = ended - checklist.started_at
    name = escape(board.release.name)
    text = f"The release-day checklist of {name} is complete after {duration(total)}."
    lines = [_summary_line(step) for step in board.steps]
    blocks: Blocks = [
        header(f"Checklist complete · {board.release.name}"),
        mrkdwn(
            f":checkered_flag: All {len(board.steps)} steps of `{escape(checklist.template)}` "
            f"are finished. Total time: *{duration(total)}* (from "
            f"{when(checklist.started_at, zone)} to {when(ended, zone)})."
        ),
    ]
    blocks.extend(mrkdwn(part) for part in packed(lines, MESSAGE_BLOCKS - len(blocks), "steps"))
    return text, blocks


def _summary_line(step: ChecklistStep) -> str:
    if step.state == SKIPPED:
        return (
            f"{ICONS[SKIPPED]} {name_of(step)}: skipped by <@{step.acted_by}>, {said(step.reason)}"
        )
    took = (
        duration(step.finished_at - step.started_at)
        if step.finished_at and step.started_at
        else "—"
    )
    retries = f", {step.activations} attempts" if step.activations > 1 else ""
    return f"{ICONS[DONE]} {name_of(step)}: {took} (<@{step.acted_by}>{retries})"


# --- rehearsals --------------------------------------------------------------------------------

LONGEST_SHOWN = 3


def simulated(step: ChecklistStep, actor: str) -> str:
    """The thread reply when a GO is simulated on a rehearsal's step."""
    return (
        f":white_check_mark: <@{actor}> simulated a GO for {name_of(step)}; it can be marked done."
    )


def rehearsal_summary(board: Board, stopped_by: str | None = None) -> tuple[str, Blocks]:
    """What a rehearsal leaves to plan release day: each step's time, the total, who it waited on.

    Posted when its last step finishes, or when it is stopped (`stopped_by`) with what was done.
    """
    zone = ZoneInfo(board.release.zone)
    checklist = board.checklist
    ended = checklist.finished_at or checklist.started_at
    total = ended - checklist.started_at
    how = f"stopped by <@{stopped_by}> at {progress(board)}" if stopped_by else "complete"
    text = (
        f"REHEARSAL of the {escape(board.release.name)} checklist {how}: "
        f"{board.finished}/{len(board.steps)} steps in {duration(total)}."
    )
    intro = (
        f":performing_arts: *REHEARSAL* #{checklist.id} of `{escape(checklist.template)}` {how}. "
        f"Total time: *{duration(total)}* (from {when(checklist.started_at, zone)} to "
        f"{when(ended, zone)}). Nobody was pinged and nothing of the release changed: keep this "
        "message to plan release day."
    )
    blocks: Blocks = [
        header(f"Rehearsal {'stopped' if stopped_by else 'complete'} · {board.release.name}"),
        mrkdwn(intro),
    ]
    longest = _longest(board)
    if longest:
        blocks.append(mrkdwn(longest))
    lines = [_rehearsed(step, board.owners_of(step), zone) for step in board.steps]
    blocks.extend(mrkdwn(part) for part in packed(lines, MESSAGE_BLOCKS - len(blocks), "steps"))
    return text, blocks


def _took(step: ChecklistStep) -> timedelta | None:
    if step.started_at is None:
        return None
    return (step.finished_at or step.activated_at or step.started_at) - step.started_at


def _longest(board: Board) -> str | None:
    """The steps that took longest, with whom they waited on."""
    timed = [(took, step) for step in board.steps if (took := _took(step))]
    timed.sort(key=lambda pair: pair[0], reverse=True)
    parts = [
        f"{name_of(step)} ({duration(took)}, on {owners_text(board.owners_of(step))})"
        for took, step in timed[:LONGEST_SHOWN]
    ]
    return f"*Waited on longest:* {'; '.join(parts)}" if parts else None


def _rehearsed(step: ChecklistStep, owners: Owners, zone: ZoneInfo) -> str:
    """One step of the rehearsal's summary: how long, on whom, what the day adds."""
    on = f"waited on {owners_text(owners)}"
    took = _took(step)
    if step.state == DONE:
        span = expected(step)
        over = f" (expected {duration(span)})" if span else ""
        attempts = f", {step.activations} attempts" if step.activations > 1 else ""
        head = f"{ICONS[DONE]} {name_of(step)}: {duration(took or timedelta(0))}{over}{attempts}"
        line = f"{head} · {on} · done by <@{step.acted_by}>"
    elif step.state == SKIPPED:
        why = said(step.reason)
        line = f"{ICONS[SKIPPED]} {name_of(step)}: skipped by <@{step.acted_by}>, {why} · {on}"
    elif took is not None:
        icon = ICONS.get(step.state, "")
        line = f"{icon} {name_of(step)}: {step.state} when stopped, after {duration(took)} · {on}"
    else:
        return f"{ICONS[PENDING]} {name_of(step)}: not reached"
    if step.not_before:
        line += f" · on the day not before {when(step.not_before, zone)}"
    if step.gate_names:
        line += " · gates on the day: " + ", ".join(f"`{escape(g)}`" for g in step.gate_names)
    if step.simulated:
        line += f" · {escape(step.simulated)} simulated"
    return line
