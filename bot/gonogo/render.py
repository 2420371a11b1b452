"""Renderers for go/no-go polls: the poll message, its result, reminders, status, notes. Pure."""

from __future__ import annotations

from zoneinfo import ZoneInfo

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
from bot.core.text.timefmt import when
from bot.gonogo import ids
from bot.gonogo.models import Poll
from bot.gonogo.service import GO, NO_GO, Tally
from bot.gonogo.votes import CHOICES, Voted

SHOWN_PEOPLE = 40
SHOWN_REASONS = 10
ICONS = {GO: ":white_check_mark:", NO_GO: ":no_entry:"}
DEFAULT_ICON = ":grey_question:"
CLOSE_CONFIRM = {
    "title": {"type": "plain_text", "text": "Close the poll now?"},
    "text": {
        "type": "mrkdwn",
        "text": "Votes stop here. A required No-Go makes it NO-GO, a missing vote NO DECISION.",
    },
    "confirm": {"type": "plain_text", "text": "Close it"},
    "deny": {"type": "plain_text", "text": "Keep it open"},
}


def people(users: list[str], limit: int = SHOWN_PEOPLE) -> str:
    """Mentions of the first `limit` people, then how many more."""
    shown = mentions(users[:limit])
    return shown + (f" and {len(users) - limit} more" if len(users) > limit else "")


def counts(tally: Tally) -> str:
    """'3 Go · 1 No-Go · 2 missing (of 6 required)'."""
    return (
        f"{len(tally.go)} Go · {len(tally.nogo)} No-Go · {len(tally.missing)} missing "
        f"(of {len(tally.required)} required)"
    )


def deadline_text(tally: Tally, zone: ZoneInfo) -> str:
    """When the poll closes by itself, in every reader's own time."""
    poll = tally.poll
    if poll.deadline is None:
        return "No deadline: it stays open until every required voter says Go or a lead closes it."
    return (
        f"Closes by itself {when(poll.deadline, zone)}; missing voters get a nudge 15 min before."
    )


def reasons(tally: Tally, users: list[str]) -> list[str]:
    """One line per No-Go among `users`: who, and why (escaped)."""
    lines = []
    for user in users[:SHOWN_REASONS]:
        why = tally.votes[user].reason or "no reason given"
        lines.append(f"• <@{user}>: {escape(shorten(' '.join(why.split()), 300))}")
    if len(users) > SHOWN_REASONS:
        lines.append(f"• and {len(users) - SHOWN_REASONS} more")
    return lines


def result_line(tally: Tally, zone: ZoneInfo) -> str:
    """':white_check_mark: *GO*, closed <date> by @lead'."""
    poll = tally.poll
    outcome = poll.outcome or "NO DECISION"
    line = f"{ICONS.get(outcome, DEFAULT_ICON)} *{outcome}*"
    if poll.closed_at is not None:
        line += f", decided {when(poll.closed_at, zone)}"
    if poll.closed_by and poll.closed_by.startswith(("U", "W")):
        line += f" (closed by <@{poll.closed_by}>)"
    return line


def _body(tally: Tally) -> Blocks:
    blocks = [mrkdwn(f"*Required votes:* {counts(tally)}")]
    if tally.go:
        blocks.append(mrkdwn(f"*Go:* {people(tally.go)}"))
    if tally.nogo:
        blocks.append(mrkdwn("*No-Go:*\n" + "\n".join(reasons(tally, tally.nogo))))
    if tally.missing and tally.poll.state == "open":
        blocks.append(mrkdwn(f"*Still to vote:* {people(tally.missing)}"))
    if tally.advisory:
        line = (
            f"*Advisory* (not counted): {len(tally.advisory_go)} Go · "
            f"{len(tally.advisory_nogo)} No-Go"
        )
        if tally.advisory_go:
            line += f"\nGo: {people(tally.advisory_go, 20)}"
        lines = reasons(tally, tally.advisory_nogo)
        blocks.append(mrkdwn(line + ("\nNo-Go:\n" + "\n".join(lines) if lines else "")))
    return blocks


def vote_buttons(poll: Poll) -> list[Block]:
    """Go and No-Go, for the poll message and for the voter's App Home."""
    value = ids.encode_poll(poll.id)
    return [
        button("Go", ids.GO_ACTION, value, style="primary"),
        button("No-Go", ids.NOGO_ACTION, value, style="danger"),
    ]


def poll_message(tally: Tally, zone: ZoneInfo) -> tuple[str, Blocks]:
    """The poll's channel message: question, tally, who is missing, deadline, buttons."""
    poll = tally.poll
    question = escape(poll.question)
    blocks: Blocks = [
        header("Go / No-Go"),
        mrkdwn(f"*{question}*\nAsked by <@{poll.created_by}>."),
        *_body(tally),
    ]
    if poll.state == "open":
        close = button("Close poll", ids.CLOSE_ACTION, ids.encode_poll(poll.id))
        blocks.append(context(deadline_text(tally, zone)))
        blocks.append(
            actions(
                [*vote_buttons(poll), {**close, "confirm": CLOSE_CONFIRM}],
                block_id=f"gonogo-{poll.id}",
            )
        )
        text = f"Go / No-Go: {question}: {counts(tally)}"
    else:
        blocks.append(mrkdwn(f"*Result:* {result_line(tally, zone)}"))
        text = f"Go / No-Go: {question}: {poll.outcome}"
    return text, blocks


def announcement(tally: Tally, zone: ZoneInfo) -> tuple[str, Blocks]:
    """The result, posted in the poll's thread and to the channel."""
    poll = tally.poll
    outcome = poll.outcome or "NO DECISION"
    question = escape(poll.question)
    lines = [f"{ICONS.get(outcome, DEFAULT_ICON)} *{outcome}* on _{question}_", counts(tally)]
    if outcome == GO:
        lines.append("Every required voter said Go.")
    elif outcome == NO_GO:
        lines += ["*No-Go reasons:*", *reasons(tally, tally.nogo)]
    else:
        lines.append(f"No decision: these required votes never came in: {people(tally.missing)}")
    if poll.closed_by and poll.closed_by.startswith(("U", "W")):
        lines.append(f"Closed by <@{poll.closed_by}>.")
    elif poll.deadline is not None and outcome != GO:
        lines.append(f"Closed at the deadline, {when(poll.deadline, zone)}.")
    text = f"Go / No-Go result: {outcome} on {question}"
    return text, [mrkdwn("\n".join(lines))]


def reminder(tally: Tally, zone: ZoneInfo) -> tuple[str, Blocks]:
    """The nudge to missing voters before the deadline."""
    assert tally.poll.deadline is not None
    body = (
        f":hourglass_flowing_sand: {people(tally.missing, 100)}: your vote on "
        f"_{escape(tally.poll.question)}_ is still missing. The poll closes "
        f"{when(tally.poll.deadline, zone)}; without your vote it cannot be GO."
    )
    return "Your go/no-go vote is still missing.", [mrkdwn(body)]


def status_section(tally: Tally | None, zone: ZoneInfo) -> Section:
    """The poll's part of `/release status`: open with tally and deadline, or the result."""
    if tally is None:
        return Section("Go / No-Go", ["No poll yet; a lead starts one with `/gonogo`."])
    return Section("Go / No-Go", _status_lines(tally, zone))


def _status_lines(tally: Tally, zone: ZoneInfo) -> list[str]:
    poll = tally.poll
    question = escape(shorten(poll.question, 120))
    if poll.state != "open":
        return [f"Last poll _{question}_: {result_line(tally, zone)}"]
    lines = [f"Open: _{question}_", f"Required: {counts(tally)}"]
    if tally.missing:
        lines.append(f"Still to vote: {people(tally.missing, 20)}")
    if tally.advisory:
        lines.append(f"Advisory: {len(tally.advisory_go)} Go · {len(tally.advisory_nogo)} No-Go")
    if poll.deadline is not None:
        lines.append(f"Closes {when(poll.deadline, zone)}")
    return lines


def nogo_modal(poll: Poll) -> Block:
    """The modal asking why a No-Go."""
    assert poll.id is not None
    return reason_modal(
        callback_id=ids.REASON_FORM,
        title="No-Go",
        prompt=f"Why No-Go on “{shorten(poll.question, 200)}”? The team sees your reason.",
        private_metadata=ids.encode_reason(poll.id, poll.channel_id),
        submit="Vote No-Go",
    )


def started_note(tally: Tally, fallen: list[str]) -> str:
    """What the lead who started a poll is told: how many must vote, roles nobody holds."""
    count = len(tally.required)
    note = f"Poll started with {count} required voter{'s' if count != 1 else ''}."
    if fallen:
        roles = ", ".join(f"*{escape(role)}*" for role in fallen)
        note += f" Nobody holds {roles}: that falls to the lead."
    return note


def closed_note(poll: Poll) -> str:
    """What the person who closed a poll is told."""
    return f"Poll closed: *{poll.outcome}*."


def vote_note(choice: str, voted: Voted) -> str | None:
    """What the voter is told: an advisory vote, or a changed one; nothing for a plain vote."""
    label = CHOICES[choice]
    if not voted.required:
        return f"Your {label} is recorded as advisory: you are not one of the required voters."
    if voted.before and voted.before != choice:
        return f"You changed your vote from {CHOICES[voted.before]} to {label}."
    return None
