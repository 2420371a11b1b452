"""The checklist's thread replies and closing summary. Pure."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.checklist.board import (
    DONE,
    FAILED,
    MAX_REASON,
    SKIPPED,
    WAITING,
    Board,
    Outcome,
    Owners,
    expected,
)
from bot.checklist.models import ChecklistStep
from bot.checklist.render import ICONS, MESSAGE_BLOCKS, name_of, packed, said
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
            lines.append(f":zzz: {away}, outside working hours, so I am asking the next one now.")
        elif away:
            lines.append(f":zzz: {away}, outside working hours; there is nobody after them to ask.")
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
    """`It is 03:10 for @sam and 02:10 for @kim`: the people told who are off work now."""
    parts = [f"{clock} for {mentions([person])}" for person, clock in rung.away.items()]
    parts += [f"night for every member of {mentions([group])}" for group in rung.groups_away]
    return ("It is " + " and ".join(parts)) if parts else ""


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
