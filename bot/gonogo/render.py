"""Renderers for go/no-go polls: the poll message, its result, reminders, status, notes. Pure.

Every list here may be long (up to 500 required voters, any number of advisory ones): it
shows what fits whole and says how many more there are and where to see them all (the
poll's *All votes* button, which opens every list in a modal).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.blocks import (
    SECTION_LIMIT,
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
from bot.core.text.fit import cut, fit_lines
from bot.core.text.timefmt import when
from bot.gonogo import ids
from bot.gonogo.models import Poll
from bot.gonogo.service import GO, NO_GO, Tally
from bot.gonogo.votes import CHOICES, MAX_REASON, Voted
from bot.release.models import Release
from bot.release.render import on_behalf, where

SHOWN_PEOPLE = 40
SHOWN_REASONS = 10
REASON_SHOWN = 300
VIEW_BLOCKS = 100
# A reminder mentions at most this many people per message, in at most this many characters.
PING_PEOPLE = 100
PING_CHARS = 2_000
ALL_VOTES = "all under *All votes*"
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


def people(users: list[str], limit: int = SHOWN_PEOPLE, where: str = ALL_VOTES) -> str:
    """Mentions of the first `limit` people, then how many more and where to see them."""
    if len(users) <= limit:
        return mentions(users)
    return mentions(users[:limit]) + f" and {len(users) - limit} more ({where})"


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


def reason_lines(tally: Tally, users: list[str], limit: int = REASON_SHOWN) -> list[str]:
    """One line per No-Go among `users`: who, and why (shortened to `limit`, escaped)."""
    lines = []
    for user in users:
        why = tally.votes[user].reason or "no reason given"
        lines.append(f"• <@{user}>: {escape(shorten(' '.join(why.split()), limit))}")
    return lines


def fit_list(lines: list[str], room: int, cap: int, where: str = ALL_VOTES) -> str:
    """At most `cap` whole lines within `room` characters, then how many more and where."""

    def more(left: int) -> str:
        return f"• …and {left} more ({where})"

    if len(lines) <= cap:
        return fit_lines(lines, room, more)
    extra = len(lines) - cap
    return fit_lines([*lines[:cap], more(extra)], room, lambda n: more(n - 1 + extra))


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


def _labelled(label: str, lines: list[str]) -> str:
    return f"{label}\n" + fit_list(lines, SECTION_LIMIT - len(label) - 1, SHOWN_REASONS)


def group_lines(tally: Tally) -> list[str]:
    """One line per user group named as voters: who it made required, how many are missing.

    The group is mentioned once, here; its members are never mentioned one by one.
    """
    is_open = tally.poll.state == "open"
    lines = []
    for group, members in tally.groups.items():
        size = f"{len(members)} {'person' if len(members) == 1 else 'people'}"
        line = (
            f":busts_in_silhouette: Every member of <!subteam^{group}> when the poll started "
            f"{'is' if is_open else 'was'} a required voter ({size})"
        )
        missing = len(tally.missing_of(group))
        if is_open and missing:
            line += f"; {missing} of them still to vote"
        elif is_open:
            line += "; all of them voted"
        lines.append(line + ".")
    return lines


def _missing_named(tally: Tally) -> list[str]:
    """Missing required voters who were named in person (group members are counted apart)."""
    return [u for u in tally.missing if u not in tally.via]


def away_line(away: dict[str, str]) -> str:
    """`*Away* (still counted): @ana (on holiday (Republic Day))`, or "" when nobody is."""
    shown = [f"{mentions([user])} ({why})" for user, why in list(away.items())[:SHOWN_PEOPLE]]
    more = f" and {len(away) - SHOWN_PEOPLE} more" if len(away) > SHOWN_PEOPLE else ""
    return f"*Away* (still counted): {', '.join(shown)}{more}" if shown else ""


def _body(tally: Tally, away: dict[str, str] | None = None) -> Blocks:
    counted = mrkdwn(f"*Required votes:* {counts(tally)}")
    counted["accessory"] = button("All votes", ids.VOTES_ACTION, ids.encode_poll(tally.poll.id))
    blocks = [counted]
    if tally.groups:
        lines = group_lines(tally)
        blocks.append(mrkdwn(fit_lines(lines, SECTION_LIMIT, lambda n: f"_…and {n} more groups_")))
    if tally.go:
        blocks.append(mrkdwn(f"*Go:* {people(tally.go)}"))
    if tally.nogo:
        blocks.append(mrkdwn(_labelled("*No-Go:*", reason_lines(tally, tally.nogo))))
    named = _missing_named(tally)
    if named and tally.poll.state == "open":
        blocks.append(mrkdwn(f"*Still to vote:* {people(named)}"))
        missing_away = {u: why for u, why in (away or {}).items() if u in set(tally.missing)}
        if missing_away:
            blocks.append(mrkdwn(cut(away_line(missing_away), SECTION_LIMIT)))
    if tally.advisory:
        line = (
            f"*Advisory* (not counted): {len(tally.advisory_go)} Go · "
            f"{len(tally.advisory_nogo)} No-Go"
        )
        if tally.advisory_go:
            line += f"\nGo: {people(tally.advisory_go, 20)}"
        if tally.advisory_nogo:
            line = _labelled(line + "\nNo-Go:", reason_lines(tally, tally.advisory_nogo))
        blocks.append(mrkdwn(line))
    return blocks


def vote_buttons(poll: Poll) -> list[Block]:
    """Go and No-Go, for the poll message and for the voter's App Home."""
    value = ids.encode_poll(poll.id)
    return [
        button("Go", ids.GO_ACTION, value, style="primary"),
        button("No-Go", ids.NOGO_ACTION, value, style="danger"),
    ]


def poll_message(
    tally: Tally, zone: ZoneInfo, away: dict[str, str] | None = None
) -> tuple[str, Blocks]:
    """The poll's channel message: question, tally, who is missing, deadline, buttons.

    `away` names required voters who are away now (their Slack status, a public holiday),
    with why: shown as away, still counted as required.
    """
    poll = tally.poll
    question = escape(poll.question)
    blocks: Blocks = [
        header("Go / No-Go"),
        mrkdwn(f"*{question}*\nAsked by <@{poll.created_by}>."),
        *_body(tally, away),
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
    head = [f"{ICONS.get(outcome, DEFAULT_ICON)} *{outcome}* on _{question}_", counts(tally)]
    tail = []
    if poll.closed_by and poll.closed_by.startswith(("U", "W")):
        tail.append(f"Closed by <@{poll.closed_by}>.")
    elif poll.deadline is not None and outcome != GO:
        tail.append(f"Closed at the deadline, {when(poll.deadline, zone)}.")
    if outcome == GO:
        head.append("Every required voter said Go.")
    elif outcome == NO_GO:
        room = SECTION_LIMIT - len("\n".join([*head, *tail, "*No-Go reasons:*"])) - 2
        head += ["*No-Go reasons:*", fit_list(reason_lines(tally, tally.nogo), room, SHOWN_REASONS)]
    else:
        head.append(f"No decision: these required votes never came in: {_never_came(tally)}")
    text = f"Go / No-Go result: {outcome} on {question}"
    return text, [mrkdwn("\n".join(head + tail))]


def _never_came(tally: Tally) -> str:
    """The missing voters of a closed poll: people named, and group members only counted."""
    named = _missing_named(tally)
    from_groups = len(tally.missing) - len(named)
    parts = [people(named)] if named else []
    if from_groups:
        members = "member" if from_groups == 1 else "members"
        parts.append(f"{from_groups} {members} of the required user groups ({ALL_VOTES})")
    return " and ".join(parts)


def ping_groups(users: list[str]) -> list[list[str]]:
    """The missing voters split so that each reminder message mentions a part of them."""
    groups: list[list[str]] = []
    size = 0
    for user in users:
        width = len(user) + 5  # "<@" + id + ">" + ", "
        if not groups or len(groups[-1]) >= PING_PEOPLE or size + width > PING_CHARS:
            groups.append([])
            size = 0
        groups[-1].append(user)
        size += width
    return groups


def reminder(
    tally: Tally,
    zone: ZoneInfo,
    users: list[str],
    part: int,
    parts: int,
    groups: list[str] | None = None,
) -> tuple[str, Blocks]:
    """One message of the nudge to missing voters before the deadline (`part` of `parts`).

    People named in person are mentioned; a user group with members still to vote is
    mentioned once, as the group, in the first part.
    """
    assert tally.poll.deadline is not None
    question = escape(tally.poll.question)
    missing = len(tally.missing)
    if part == 1:
        head = (
            f":hourglass_flowing_sand: {missing} required vote{'s are' if missing != 1 else ' is'}"
            f" still missing on _{question}_. The poll closes {when(tally.poll.deadline, zone)};"
            " without every vote it cannot be GO."
        )
        if parts > 1:
            head += " Everyone missing is mentioned, here and in the replies below."
    else:
        head = f":hourglass_flowing_sand: Still to vote on _{question}_ ({part} of {parts}):"
    text = "Your go/no-go vote is still missing" + (f" ({part} of {parts})." if parts > 1 else ".")
    blocks = [mrkdwn(head)]
    if users:
        blocks.append(mrkdwn(mentions(users)))
    lines = [
        f"<!subteam^{group}>: {len(tally.missing_of(group))} of you have not voted yet "
        "(*All votes* on the poll shows who)."
        for group in groups or []
    ]
    if lines:
        blocks.append(mrkdwn(fit_lines(lines, SECTION_LIMIT)))
    return text, blocks


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
        where = "the poll's *All votes* button lists them all"
        lines.append(f"Still to vote: {people(tally.missing, 20, where)}")
    if tally.advisory:
        lines.append(f"Advisory: {len(tally.advisory_go)} Go · {len(tally.advisory_nogo)} No-Go")
    if poll.deadline is not None:
        lines.append(f"Closes {when(poll.deadline, zone)}")
    return lines


def _packed(items: list[str], sep: str, room: int = SECTION_LIMIT) -> list[tuple[str, int]]:
    """Items joined into as few texts of at most `room` characters as fit; each with its count.

    The first item is a label, not counted; an item too long for a text alone is cut.
    """
    texts: list[tuple[str, int]] = []
    for index, item in enumerate(items):
        counted = 1 if index else 0
        joiner = sep if index > 1 else "\n"  # the label stands on a line of its own
        if texts and len(texts[-1][0]) + len(joiner) + len(item) <= room:
            texts[-1] = (texts[-1][0] + joiner + item, texts[-1][1] + counted)
        else:
            texts.append((cut(item, room), counted))
    return texts


def votes_modal(tally: Tally) -> Block:
    """Every list of the poll in full (within a modal's 100 blocks): who is missing, who voted."""
    poll = tally.poll
    blocks: Blocks = [mrkdwn(f"*{escape(poll.question)}*\n{counts(tally)}")]
    missing = "Still to vote" if poll.state == "open" else "Never voted"
    parts = [
        (missing, [f"<@{u}>" for u in tally.missing], ", "),
        ("Go", [f"<@{u}>" for u in tally.go], ", "),
        ("No-Go", reason_lines(tally, tally.nogo, MAX_REASON), "\n"),
        ("Advisory Go", [f"<@{u}>" for u in tally.advisory_go], ", "),
        ("Advisory No-Go", reason_lines(tally, tally.advisory_nogo, MAX_REASON), "\n"),
    ]
    left = 0
    for label, items, sep in parts:
        if not items:
            continue
        texts = _packed([f"*{label}* ({len(items)}):", *items], sep)
        room = max(VIEW_BLOCKS - 1 - len(blocks), 0)  # one kept for the note below
        shown = texts[:room]
        left += len(items) - sum(count for _, count in shown)
        blocks += [mrkdwn(text) for text, _ in shown]
    if left:
        blocks.append(context(f"{left} more did not fit here; `/release timeline` has every vote."))
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Votes"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


def nogo_modal(poll: Poll) -> Block:
    """The modal asking why a No-Go (the limit is stated, and refused above it)."""
    assert poll.id is not None
    return reason_modal(
        callback_id=ids.REASON_FORM,
        title="No-Go",
        prompt=(
            f"Why No-Go on “{shorten(poll.question, 200)}”? The team sees your reason "
            f"(at most {MAX_REASON:,} characters)."
        ),
        private_metadata=ids.encode_reason(poll.id, poll.channel_id),
        submit="Vote No-Go",
    )


def started_note(tally: Tally, fallen: list[str]) -> str:
    """What the lead who started a poll is told: how many must vote, roles nobody holds."""
    count = len(tally.required)
    note = f"Poll started with {count} required voter{'s' if count != 1 else ''}."
    for group, members in tally.groups.items():
        note += (
            f" <!subteam^{group}> counts as its {len(members)} members now; "
            "someone who joins the group later votes as advisory."
        )
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


def home_vote(poll: Poll, release: Release, group: str | None) -> Blocks:
    """App Home: a poll still missing the person's vote (asked through `group`), with buttons."""
    closes = when(poll.deadline, ZoneInfo(release.zone)) if poll.deadline else None
    line = (
        f":ballot_box_with_ballot: *Your vote is missing:* {escape(poll.question)}"
        f"{on_behalf(group)} "
        f"({where(release)}{f', closes {closes}' if closes else ''})"
    )
    return [mrkdwn(line), actions(vote_buttons(poll))]
